"""Many learners press "book" at the same moment: the database, not Python, keeps the count.

Each thread has its own database connection (Django's connections are per
thread) and waits on a barrier, so the bookings reach the database together.
"""

import datetime as dt
import threading

import pytest
from django.db import connections
from django.utils import translation

from eschool.classroom.models import Booking, Session
from eschool.classroom.services.booking import BookingRefused, booking_cancel, booking_create
from eschool.homeschool.models import Notification

from .booking_helpers import make_student, seat_maker
from .conftest import TODAY, shanghai

# On PostgreSQL (DATABASE_URL) and on SQLite alike: the SQLite test database is
# a file in WAL mode with IMMEDIATE transactions, as a district runs it.
pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

THREADS = 20
CLICKS = 10
CAPACITY = 5


@pytest.fixture
def seated(make_session):
    return seat_maker(make_session)


def run_together(count: int, action) -> tuple[list, list[Exception]]:
    """Call action(i) in `count` threads released together; (results, exceptions)."""
    barrier = threading.Barrier(count)
    results: list = []
    raised: list[Exception] = []
    lock = threading.Lock()

    def worker(number: int) -> None:
        try:
            barrier.wait(timeout=30)
            # A new thread speaks the default language (Chinese); read English.
            with translation.override("en"):
                outcome = action(number)
            with lock:
                results.append(outcome)
        except Exception as error:  # noqa: BLE001 - reported to the test, which asserts on it
            with lock:
                raised.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results, raised


def test_simultaneous_bookings_fill_exactly_the_seats(clock, seated, school_a):
    session = seated(capacity=CAPACITY)
    learners = [make_student(f"060{n:02d}", f"学生{n}", school=school_a) for n in range(THREADS)]

    results, raised = run_together(
        THREADS, lambda n: booking_create(learner=learners[n], session=session).status
    )

    assert sorted(results) == ["confirmed"] * CAPACITY
    assert [error.message for error in raised] == ["This session is full."] * (THREADS - CAPACITY)
    assert Session.objects.get(pk=session.pk).seats_taken == CAPACITY
    assert Booking.objects.filter(session=session, status="confirmed").count() == CAPACITY
    assert all(isinstance(error, BookingRefused) for error in raised)


def test_simultaneous_bookings_with_the_waitlist_queue_the_rest(clock, seated, school_a):
    session = seated(capacity=CAPACITY)
    learners = [make_student(f"061{n:02d}", f"学生{n}", school=school_a) for n in range(THREADS)]

    results, raised = run_together(
        THREADS,
        lambda n: booking_create(learner=learners[n], session=session, waitlist=True).status,
    )

    assert raised == []
    assert sorted(results) == ["confirmed"] * CAPACITY + ["waitlisted"] * (THREADS - CAPACITY)
    assert Session.objects.get(pk=session.pk).seats_taken == CAPACITY


def test_a_frantic_double_click_makes_one_booking(clock, seated, student):
    session = seated(capacity=CAPACITY)
    results, raised = run_together(
        CLICKS, lambda n: booking_create(learner=student, session=session).pk
    )

    assert raised == []
    assert len(set(results)) == 1
    assert Booking.objects.filter(learner=student).count() == 1
    assert Session.objects.get(pk=session.pk).seats_taken == 1


def test_two_seats_freed_at_once_go_to_two_different_learners(clock, seated, school_a):
    session = seated(capacity=2)
    holders = [make_student(f"062{n:02d}", f"占座{n}", school=school_a) for n in range(2)]
    seats = [booking_create(learner=learner, session=session) for learner in holders]
    waiting = []
    for number in range(3):
        clock.set(shanghai(TODAY, "10:00") + dt.timedelta(minutes=number + 1))
        learner = make_student(f"063{number:02d}", f"候补{number}", school=school_a)
        booking_create(learner=learner, session=session, waitlist=True)
        waiting.append(learner)

    results, raised = run_together(
        2, lambda n: booking_cancel(learner=holders[n], booking=seats[n]).status
    )

    assert (raised, results) == ([], ["cancelled", "cancelled"])
    statuses = [Booking.objects.get(learner=learner, session=session).status for learner in waiting]
    assert statuses == ["confirmed", "confirmed", "waitlisted"]
    assert Session.objects.get(pk=session.pk).seats_taken == 2
    promoted = Notification.objects.filter(key__startswith="promoted:")
    assert sorted(promoted.values_list("user__name", flat=True)) == ["候补0", "候补1"]


def test_a_learner_first_in_two_queues_at_once_gets_one_seat(clock, seated, school_a):
    first = seated(title="语文", start="14:00", end="14:40", capacity=1)
    second = seated(title="英语", start="14:20", end="15:00", capacity=1)
    holders = [make_student(f"064{n:02d}", f"占座{n}", school=school_a) for n in range(2)]
    seats = [booking_create(learner=holders[0], session=first)]
    seats.append(booking_create(learner=holders[1], session=second))
    both = make_student("06500", "两边候补", school=school_a)
    booking_create(learner=both, session=first, waitlist=True)
    booking_create(learner=both, session=second, waitlist=True)
    clock.set(shanghai(TODAY, "10:05"))
    next_in_line = {}
    for session, username in ((first, "06501"), (second, "06502")):
        next_in_line[session.pk] = make_student(username, f"候补{username}", school=school_a)
        booking_create(learner=next_in_line[session.pk], session=session, waitlist=True)

    results, raised = run_together(
        2, lambda n: booking_cancel(learner=holders[n], booking=seats[n]).status
    )

    assert raised == []
    mine = dict(Booking.objects.filter(learner=both).values_list("session_id", "status"))
    assert sorted(mine.values()) == ["cancelled", "confirmed"]
    # The other session's seat went to the one waiting behind.
    other = next(pk for pk, status in mine.items() if status == "cancelled")
    assert Booking.objects.get(learner=next_in_line[other], session_id=other).status == (
        "confirmed"
    )
    assert [Session.objects.get(pk=s.pk).seats_taken for s in (first, second)] == [1, 1]
