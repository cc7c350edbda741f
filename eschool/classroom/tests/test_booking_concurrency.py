"""Many learners press "book" at the same moment: the database, not Python, keeps the count.

Each thread has its own database connection (Django's connections are per
thread) and waits on a barrier, so the bookings reach the database together.
"""

import threading

import pytest
from django.db import connections
from django.utils import translation

from eschool.classroom.models import Booking, Session
from eschool.classroom.services.booking import BookingRefused, booking_create

from .booking_helpers import make_student, seat_maker

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
