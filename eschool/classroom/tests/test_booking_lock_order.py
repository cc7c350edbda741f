"""A promotion racing bookings of the learners it promotes: one lock order, so no deadlock.

PostgreSQL only: SQLite's IMMEDIATE transactions serialise every writer, so there is
no order of row locks to get wrong. The test holds two learners' rows itself, lines
the bookings and the promotions up behind them (asking PostgreSQL who waits for a
lock, not sleeping), then lets them all go at once: the interleaving that closed a
cycle when a promotion locked the session before the learner.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.utils import translation

from eschool.accounts.models import User
from eschool.classroom.models import Booking, Session
from eschool.classroom.services import session_cancel
from eschool.classroom.services.booking import booking_cancel, booking_create
from eschool.homeschool.models import Notification

from .booking_helpers import make_student, seat_maker

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks of PostgreSQL"),
]


@pytest.fixture
def seated(make_session):
    return seat_maker(make_session)


def lock_waiters() -> int:
    """Connections to this database waiting for a lock (autocommit: a fresh view each call)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


class Lanes:
    """Calls started one by one, each in a thread (and a connection) of its own."""

    def __init__(self):
        self.results: dict[str, object] = {}
        self.raised: dict[str, Exception] = {}
        self.threads: list[threading.Thread] = []

    def start(self, name: str, action) -> None:
        def run() -> None:
            try:
                # A new thread speaks the default language (Chinese); read English.
                with translation.override("en"):
                    self.results[name] = action()
            except Exception as error:  # noqa: BLE001 - reported to the test, which asserts on it
                self.raised[name] = error
            finally:
                connections.close_all()

        thread = threading.Thread(target=run, name=name)
        self.threads.append(thread)
        thread.start()

    def wait_until_waiting(self, count: int) -> None:
        """Until `count` connections wait for a lock; fails if a call ended instead."""
        deadline = time.monotonic() + 30
        while lock_waiters() < count:
            assert not self.raised, self.raised
            assert time.monotonic() < deadline, f"{lock_waiters()} waiting, not {count}"

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in self.threads)


def hold_rows(users, *, locked: threading.Event, release: threading.Event) -> None:
    try:
        with transaction.atomic():
            list(User.objects.select_for_update().filter(pk__in=[u.pk for u in users]))
            locked.set()
            release.wait(timeout=60)
    finally:
        connections.close_all()


def test_promotions_and_the_promoted_learners_bookings_do_not_deadlock(clock, seated, school_a):
    # Two full sessions at different times, each with one learner waiting; each of
    # those learners books the other session just as a seat frees in both.
    first = seated(title="语文", start="14:00", end="14:40", capacity=1)
    second = seated(title="英语", start="15:00", end="15:40", capacity=1)
    holders = [make_student(f"066{n:02d}", f"占座{n}", school=school_a) for n in range(2)]
    seats = [booking_create(learner=holders[0], session=first)]
    seats.append(booking_create(learner=holders[1], session=second))
    ann = make_student("06700", "安", school=school_a)
    bo = make_student("06701", "博", school=school_a)
    booking_create(learner=ann, session=first, waitlist=True)
    booking_create(learner=bo, session=second, waitlist=True)

    locked, release = threading.Event(), threading.Event()
    gate = threading.Thread(
        target=hold_rows, args=([ann, bo],), kwargs={"locked": locked, "release": release}
    )
    gate.start()
    assert locked.wait(timeout=30)
    lanes = Lanes()
    try:
        # Ann's and Bo's bookings take their learner first...
        lanes.start("ann books", lambda: booking_create(learner=ann, session=second, waitlist=True))
        lanes.wait_until_waiting(1)
        lanes.start("bo books", lambda: booking_create(learner=bo, session=first, waitlist=True))
        lanes.wait_until_waiting(2)
        # ...then each cancel commits and its promotion waits for Ann, then for Bo.
        lanes.start("seat 1 freed", lambda: booking_cancel(learner=holders[0], booking=seats[0]))
        lanes.wait_until_waiting(3)
        lanes.start("seat 2 freed", lambda: booking_cancel(learner=holders[1], booking=seats[1]))
        lanes.wait_until_waiting(4)
    finally:
        release.set()
        gate.join(timeout=60)
        lanes.join()

    assert lanes.raised == {}
    assert {name: booking.status for name, booking in lanes.results.items()} == {
        "ann books": "waitlisted",
        "bo books": "waitlisted",
        "seat 1 freed": "cancelled",
        "seat 2 freed": "cancelled",
    }
    # Each freed seat went to the one who was waiting for it, and told them once.
    mine = {
        (booking.learner.name, booking.session.title): booking.status
        for booking in Booking.objects.filter(learner__in=[ann, bo]).select_related(
            "learner", "session"
        )
    }
    assert mine == {
        ("安", "语文"): "confirmed",
        ("安", "英语"): "waitlisted",
        ("博", "英语"): "confirmed",
        ("博", "语文"): "waitlisted",
    }
    assert [Session.objects.get(pk=s.pk).seats_taken for s in (first, second)] == [1, 1]
    promoted = Notification.objects.filter(key__startswith="promoted:")
    assert sorted(promoted.values_list("user__name", flat=True)) == ["博", "安"]


def test_cancelling_sessions_while_their_learners_book_others_does_not_deadlock(
    clock, seated, school_a, district_admin
):
    # Cancelling a session notifies its learners, and a notification points at the
    # learner's row: a booking holding that row must not keep the notice waiting.
    first = seated(title="语文", start="14:00", end="14:40", capacity=5)
    second = seated(title="英语", start="15:00", end="15:40", capacity=5)
    ann = make_student("06800", "安", school=school_a)
    bo = make_student("06801", "博", school=school_a)
    booking_create(learner=ann, session=first)
    booking_create(learner=bo, session=second)

    locked, release = threading.Event(), threading.Event()
    gate = threading.Thread(
        target=hold_rows, args=([ann, bo],), kwargs={"locked": locked, "release": release}
    )
    gate.start()
    assert locked.wait(timeout=30)
    lanes = Lanes()
    try:
        lanes.start("ann books", lambda: booking_create(learner=ann, session=second))
        lanes.wait_until_waiting(1)
        lanes.start("bo books", lambda: booking_create(learner=bo, session=first))
        lanes.wait_until_waiting(2)
        for number, session in enumerate((first, second)):
            lanes.start(
                f"{session.title} cancelled",
                lambda session=session: session_cancel(
                    actor=district_admin, session=session, reason="停电"
                ),
            )
            lanes.wait_until_waiting(3 + number)
    finally:
        release.set()
        gate.join(timeout=60)
        lanes.join()

    # Each booking waited for the cancellation of the session it wanted.
    assert {name: getattr(error, "message", error) for name, error in lanes.raised.items()} == {
        "ann books": "This session is cancelled.",
        "bo books": "This session is cancelled.",
    }
    assert {name: s.status for name, s in lanes.results.items()} == {
        "语文 cancelled": "cancelled",
        "英语 cancelled": "cancelled",
    }
    notices = Notification.objects.filter(key__startswith="cancelled:")
    assert sorted(notices.values_list("user__name", flat=True)) == ["博", "安"]
