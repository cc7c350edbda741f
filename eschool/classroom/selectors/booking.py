"""Reads of booking: a learner's state on a session page, timetables, rosters, JSON seats."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from eschool.accounts.models import Role
from eschool.classroom.models import Booking, Session
from eschool.classroom.services.booking import booking_needed, booking_refusal
from eschool.core import timeutil
from eschool.org.models import Grade


def seats_of(session: Session) -> int | None:
    """The number of seats (None: unlimited, and always for a district event)."""
    return session.capacity if booking_needed(session) else None


def seats_left(session: Session) -> int | None:
    """Free seats (None: unlimited)."""
    seats = seats_of(session)
    if seats is None:
        return None
    return max(0, seats - session.seats_taken)


def booking_state(session: Session, *, at: dt.datetime | None = None) -> str:
    """ "not_needed" (a district event), "closed" (cancelled or started), "full" or "open";
    no query. A session with unlimited seats is never full."""
    at = at or timeutil.now()
    if not booking_needed(session):
        return "not_needed"
    if session.status == Session.Status.CANCELLED or at >= session.starts_at:
        return "closed"
    if seats_left(session) == 0:
        return "full"
    return "open"


def seats_as_json(session: Session, *, at: dt.datetime) -> dict:
    """The booking fields of a session in /api/v1/timetable/ (no query)."""
    return {
        "seats": seats_of(session),
        "seats_left": seats_left(session),
        "booking": booking_state(session, at=at),
    }


def booking_of(*, learner, session: Session) -> Booking | None:
    if not learner.is_authenticated:
        return None
    return Booking.objects.filter(learner=learner, session=session).first()


@dataclass(frozen=True)
class BookingPanel:
    """What the session page shows about booking to one visitor."""

    state: str  # see booking_state()
    capacity: int | None
    seats_left: int | None
    booking: Booking | None  # the visitor's own row (any status)
    # The button to show: "book", "waitlist", "cancel" or "" (none).
    action: str
    # Why the visitor cannot book (shown instead of a button), or "".
    refusal: str


def booking_panel(*, user, session: Session, at: dt.datetime | None = None) -> BookingPanel:
    """The booking part of a session page for `user` (anonymous visitors included).

    One query for a logged-in visitor (their booking), none otherwise, besides
    the session's grades which the page has already prefetched.
    """
    at = at or timeutil.now()
    state = booking_state(session, at=at)
    booking = booking_of(learner=user, session=session) if state != "not_needed" else None
    action, refusal = "", ""
    active = booking is not None and booking.status != Booking.Status.CANCELLED
    if active and state in {"open", "full"}:
        action = "cancel"
    elif state in {"open", "full"} and user.is_authenticated:
        refusal = booking_refusal(learner=user, session=session, at=at) or ""
        if not refusal:
            action = "book" if state == "open" else "waitlist"
    return BookingPanel(
        state=state,
        capacity=seats_of(session),
        seats_left=seats_left(session),
        booking=booking,
        action=action,
        refusal=refusal,
    )


@dataclass(frozen=True)
class Timetable:
    upcoming: list[Booking]
    past: list[Booking]
    # Withdrawn sessions that would still be ahead: listed apart, so that nobody
    # counts on them (the past ones stay under `past`, marked cancelled).
    cancelled: list[Booking]


def timetable_of(*, learner, at: dt.datetime | None = None) -> Timetable:
    """`learner`'s booked and waitlisted sessions: upcoming (soonest first), past (latest
    first) and cancelled (upcoming sessions withdrawn by the district, soonest first).

    Two queries whatever the number of bookings.
    """
    at = at or timeutil.now()
    bookings = list(
        Booking.objects.filter(
            learner=learner, status__in=[Booking.Status.CONFIRMED, Booking.Status.WAITLISTED]
        )
        .select_related("session__teacher__user", "session__subject")
        .prefetch_related(Prefetch("session__grades", queryset=Grade.objects.order_by("level")))
        .order_by("session__starts_at", "session_id")
    )
    ahead = [b for b in bookings if b.session.ends_at > at]
    past = [b for b in bookings if b.session.ends_at <= at]
    past.reverse()
    return Timetable(
        upcoming=[b for b in ahead if b.session.status != Session.Status.CANCELLED],
        past=past,
        cancelled=[b for b in ahead if b.session.status == Session.Status.CANCELLED],
    )


def may_see_roster(user, session: Session) -> bool:
    """The session's teacher, district admins and admins of the teacher's school."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.role == Role.DISTRICT_ADMIN:
        return True
    if session.teacher_id is not None and session.teacher_id == user.pk:
        return True
    return (
        user.role == Role.SCHOOL_ADMIN
        and user.school_id is not None
        and session.teacher is not None
        and session.teacher.school_id == user.school_id
    )


def session_get_for_roster(*, user, session_id) -> Session:
    """The session if `user` may see who booked it, else Http404.

    The session's own teacher, district administrators and the administrators
    of the teacher's school.
    """
    session = (
        Session.objects.select_related("teacher__user", "teacher__school", "subject")
        .filter(pk=session_id)
        .first()
    )
    if session is None or not may_see_roster(user, session):
        raise Http404
    return session


@dataclass(frozen=True)
class Roster:
    confirmed: list[Booking]
    waitlisted: list[Booking]


def _roster_bookings(session: Session) -> QuerySet[Booking]:
    return Booking.objects.filter(session=session).select_related(
        "learner__student__school",
        "learner__student__grade",
        "learner__student__homeroom__grade",
        "learner__outside_learner__grade",
        "learner__outside_learner__region",
    )


def roster_of(*, session: Session) -> Roster:
    """Who booked `session`: confirmed by name (with school, grade, homeroom), then the queue.

    One query whatever the number of learners.
    """
    bookings = list(
        _roster_bookings(session)
        .filter(status__in=[Booking.Status.CONFIRMED, Booking.Status.WAITLISTED])
        .order_by("queued_at", "pk")
    )
    confirmed = sorted(
        (b for b in bookings if b.status == Booking.Status.CONFIRMED),
        key=lambda b: (b.learner.name, b.learner.username),
    )
    waitlisted = [b for b in bookings if b.status == Booking.Status.WAITLISTED]
    return Roster(confirmed=confirmed, waitlisted=waitlisted)
