"""Booking (预约): seats, the waitlist, cancelling, capacity changes and reminders.

The seat count of a session (Session.seats_taken) changes only through the
conditional UPDATEs of this module, so it never passes the capacity whatever
the concurrency, on SQLite and on PostgreSQL alike: the database decides, not a
check made beforehand in Python. The unique (learner, session) constraint
turns a double click into one booking.

Every session but a district event is booked, also one with unlimited seats
(capacity None): there the booking has no seat limit and no waitlist, and puts
the session on the learner's timetable, reminders and calendar. Only confirmed
seats count as overlaps: a learner on one waitlist may book another session at
the same time, and is then skipped when the first one has a seat for them.

Locks, on PostgreSQL (SQLite's IMMEDIATE transactions serialise every writer):
one order everywhere, the learner's row and then the session's, both FOR NO KEY
UPDATE (rows that only point at them, a booking or a notification, are not held
up). Booking and cancelling take them in that order; a promotion gives one seat
per transaction, locking the waiting learner and then the session; changing the
seats or cancelling a session holds the session alone. No transaction holds a
session while waiting for a learner, nor two learners, so none can deadlock.
A promotion runs after the change that freed the seats has committed.

Seats freed while learners wait are theirs: a new booking does not take one
before the waitlist is served (it queues, and asks for the promotion again in
case the one that should have run never did).
"""

import datetime as dt
import functools

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from eschool.accounts.models import Guardianship, Role, Student, User
from eschool.classroom.models import Booking, Session
from eschool.classroom.selectors import user_manages_timetable
from eschool.classroom.services import timetable_changed
from eschool.core import timeutil
from eschool.homeschool.models import Notification
from eschool.homeschool.services import notification_send

# A reminder goes out this long before a booked session starts.
REMINDER_LEAD = dt.timedelta(minutes=10)
ACTIVE = (Booking.Status.CONFIRMED, Booking.Status.WAITLISTED)
# More seats than any broadcast has viewers is a typo (and past the database's integers).
MAX_SEATS = 1_000_000


def capacity_problem(capacity: int | None, *, kind: str) -> str | None:
    """Why `capacity` is not a number of seats for a session of `kind`, or None.

    None (unlimited) is fine for every kind, and the only choice for a district event.
    """
    if capacity is None:
        return None
    if kind == Session.Kind.EVENT:
        return _("A district event is for everyone: leave the seats empty.")
    if not 1 <= capacity <= MAX_SEATS:
        return _("Enter between 1 and %(max)s seats, or leave it empty for unlimited.") % {
            "max": f"{MAX_SEATS:,}"
        }
    return None


class BookingRefused(Exception):
    """A booking or a cancellation that the rules do not allow; `message` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Who may book ---------------------------------------------------------------------


def booking_needed(session: Session) -> bool:
    """District events are open to all, without booking; every other session is booked."""
    return session.kind != Session.Kind.EVENT


def _is_parent(user) -> bool:
    return user.role == Role.PARENT or Guardianship.objects.filter(guardian_id=user.pk).exists()


def _audience_refusal(learner, session: Session) -> str | None:
    """Why `learner` is not in the audience of `session`, or None if they are."""
    if session.kind == Session.Kind.PARENTING:
        if _is_parent(learner):
            return None
        return _("This course is for parents.")
    if learner.role == Role.STUDENT:
        student = getattr(learner, "student", None)
        if student is None:
            return _("Your account has no student record; ask your school.")
        # A session open to the public is open to every district student too.
        if session.open_to_public:
            return None
        grade_ids = [grade.pk for grade in session.grades.all()]
        if grade_ids:
            if student.grade_id in grade_ids:
                return None
        elif student.grade.stage == session.stage:
            return None
        return _("This session is for other grades.")
    if learner.role == Role.OUTSIDE_LEARNER:
        if session.open_to_public:
            return None
        return _("This session is for the district's own students.")
    if learner.role == Role.PARENT:
        return _("Parents book parenting courses; children book their own classes.")
    return _("Only learners book sessions.")


def audience_filter(learner) -> Q:
    """The sessions whose audience `learner` is in, as a filter on Session.

    The rule of _audience_refusal written for a query (a test holds the two
    together): parents and guardians for parenting courses; for the rest,
    district students of the session's grades (or of its stage when it has no
    grades) and everyone who registered, outside learners too, when it is open
    to the public. At most two queries (the student's grade, guardianship).
    """
    nobody = Q(pk__in=[])
    if not getattr(learner, "is_authenticated", False):
        return nobody
    parenting = Q(kind=Session.Kind.PARENTING)
    audience = parenting if _is_parent(learner) else nobody
    if learner.role == Role.STUDENT:
        student = (
            Student.objects.filter(user=learner).values_list("grade_id", "grade__stage").first()
        )
        if student is not None:
            grade_id, stage = student
            audience |= ~parenting & (
                Q(open_to_public=True) | Q(grades=grade_id) | Q(grades__isnull=True, stage=stage)
            )
    elif learner.role == Role.OUTSIDE_LEARNER:
        audience |= ~parenting & Q(open_to_public=True)
    return audience


def booking_refusal(*, learner, session: Session, at: dt.datetime | None = None) -> str | None:
    """Why `learner` may not book `session` now (a translated message), or None.

    Overlaps are not checked here (see booking_create): this is what the page
    uses to decide which button to show.
    """
    at = at or timeutil.now()
    if not booking_needed(session):
        return _("No booking needed: everyone may join this session.")
    if session.status == Session.Status.CANCELLED:
        return _("This session is cancelled.")
    if at >= session.starts_at:
        return _("Booking closed when the session started.")
    if not learner.is_active:
        return _("This account is disabled.")
    return _audience_refusal(learner, session)


def _at_overlapping_times(learner, session: Session, *, status: str):
    """`learner`'s bookings in `status` of other scheduled sessions overlapping `session`."""
    return Booking.objects.filter(
        learner=learner,
        status=status,
        session__status=Session.Status.SCHEDULED,
        session__starts_at__lt=session.ends_at,
        session__ends_at__gt=session.starts_at,
    ).exclude(session_id=session.pk)


def _overlapping_seat(learner, session: Session) -> Booking | None:
    """A confirmed seat of `learner` in another session at an overlapping time.

    Only seats count: a place on a waitlist does not stop a learner from
    booking a fallback session at the same time.
    """
    return (
        _at_overlapping_times(learner, session, status=Booking.Status.CONFIRMED)
        .select_related("session")
        .order_by("session__starts_at")
        .first()
    )


def _lock_learner(learner) -> None:
    # One learner's bookings queue up on PostgreSQL (a double click, two
    # overlapping sessions booked at once, a promotion): always before the
    # session (module docstring). SQLite's IMMEDIATE transactions already
    # serialise every writer.
    list(User.objects.select_for_update(no_key=True).filter(pk=learner.pk).values_list("pk"))


def _lock_session(session_id: int):
    """The session's row, locked after the learner's: who decides on its seats queues here."""
    return Session.objects.select_for_update(no_key=True).filter(pk=session_id)


# Seats ------------------------------------------------------------------------------


def _waiting(session_id: int):
    return Booking.objects.filter(session_id=session_id, status=Booking.Status.WAITLISTED)


def _take_seat(session_id: int, *, from_waitlist: bool = False) -> bool:
    """Take one seat if one is free: one conditional UPDATE, True if it took it.

    A newcomer takes a limited seat only while nobody waits for one; a
    promotion (`from_waitlist`) takes it for the first in line.
    """
    free = Q(seats_taken__lt=F("capacity"))
    if not from_waitlist:
        free &= ~Exists(_waiting(OuterRef("pk")))
    return bool(
        Session.objects.filter(pk=session_id, status=Session.Status.SCHEDULED)
        .filter(Q(capacity__isnull=True) | free)
        .update(seats_taken=F("seats_taken") + 1, updated_at=timeutil.now())
    )


def _has_free_seat(session: Session) -> bool:
    return session.capacity is None or session.seats_taken < session.capacity


def _free_seat(session_id: int) -> None:
    Session.objects.filter(pk=session_id, seats_taken__gt=0).update(
        seats_taken=F("seats_taken") - 1, updated_at=timeutil.now()
    )


def _session_url(session: Session) -> str:
    return reverse("classroom:session", args=[session.pk])


# Booking and cancelling -------------------------------------------------------------


def booking_create(*, learner, session: Session, waitlist: bool = False) -> Booking:
    """Book a seat of `session` for `learner`, or a place on its waitlist.

    Returns the booking: confirmed when a seat was free (always, with unlimited
    seats); waitlisted when the session is full, or its free seats are kept for
    learners already waiting, and `waitlist` is True. Booking again (a double click, or
    twice at once) returns the learner's existing booking; booking after a
    cancellation reuses the cancelled row with a new place in the queue.
    Raises BookingRefused when the learner is not in the session's audience,
    the session needs no booking (a district event), is cancelled or has
    started, overlaps a confirmed seat of the learner (a place on a waitlist
    does not count), or is full (for a newcomer) and `waitlist` is False.
    """
    at = timeutil.now()
    # Seats free while learners wait: their promotion is running, or never ran
    # (a worker stopped after a cancel). Asked for again once this commits.
    stalled = False
    try:
        with transaction.atomic():
            _lock_learner(learner)
            existing = Booking.objects.filter(learner=learner, session_id=session.pk).first()
            if existing is not None and existing.status in ACTIVE:
                return existing
            session = Session.objects.prefetch_related("grades").get(pk=session.pk)
            refusal = booking_refusal(learner=learner, session=session, at=at)
            if refusal:
                raise BookingRefused(refusal)
            clash = _overlapping_seat(learner, session)
            if clash is not None:
                raise BookingRefused(
                    _("You already booked “%(title)s” at that time (%(start)s–%(end)s).")
                    % {
                        "title": clash.session.title,
                        "start": timeutil.local(clash.session.starts_at).strftime("%H:%M"),
                        "end": timeutil.local(clash.session.ends_at).strftime("%H:%M"),
                    }
                )
            try:
                # A savepoint: if another request of the same learner inserted the
                # row first, the seat taken here is given back with it.
                with transaction.atomic():
                    took = _take_seat(session.pk)
                    if not took:
                        # Full, or its free seats kept for those waiting: decided
                        # holding the session until the commit, so that a promotion
                        # looking for this booking on the waitlist finds it.
                        locked = _lock_session(session.pk).get()
                        if locked.status == Session.Status.CANCELLED:  # meanwhile
                            raise BookingRefused(_("This session is cancelled."))
                        took = _take_seat(session.pk)
                        stalled = not took and _has_free_seat(locked)
                    if took:
                        status = Booking.Status.CONFIRMED
                    elif waitlist:
                        status = Booking.Status.WAITLISTED
                    else:
                        raise BookingRefused(_("This session is full."))
                    if existing is None:
                        return Booking.objects.create(
                            learner=learner, session=session, status=status, queued_at=at
                        )
                    reused = Booking.objects.filter(
                        pk=existing.pk, status=Booking.Status.CANCELLED
                    ).update(status=status, queued_at=at, updated_at=at)
                    if not reused:
                        raise IntegrityError("booked again meanwhile")
                    existing.refresh_from_db()
                    return existing
            except IntegrityError:
                return Booking.objects.get(learner=learner, session=session)
    finally:
        if stalled:
            transaction.on_commit(functools.partial(promote_waitlist, session=session))


def booking_cancel(*, learner, booking: Booking) -> Booking:
    """Cancel `learner`'s booking (a seat or a place on the waitlist) before the session starts.

    A freed seat goes at once to the first eligible learner on the waitlist
    (promote_waitlist, run once the cancellation is committed). Cancelling a
    cancelled booking changes nothing. Raises PermissionDenied if the booking
    is someone else's and BookingRefused once the session started.
    """
    if booking.learner_id != learner.pk:
        raise PermissionDenied
    at = timeutil.now()
    with transaction.atomic():
        _lock_learner(learner)
        booking = Booking.objects.select_related("session").get(pk=booking.pk)
        session = booking.session
        if at >= session.starts_at:
            raise BookingRefused(_("The session has started; the booking can no longer change."))
        freed = Booking.objects.filter(pk=booking.pk, status=Booking.Status.CONFIRMED).update(
            status=Booking.Status.CANCELLED, updated_at=at
        )
        if freed:
            _free_seat(session.pk)
        else:
            Booking.objects.filter(pk=booking.pk, status=Booking.Status.WAITLISTED).update(
                status=Booking.Status.CANCELLED, updated_at=at
            )
    if freed:
        # After the commit: the promotion locks waiting learners, and must not
        # do so while holding this learner and the session.
        promote_waitlist(session=session)
    booking.refresh_from_db()
    return booking


def _notify_promoted(booking: Booking) -> None:
    session = booking.session
    # Shown in the reader's language: the promoted learner is not the person
    # whose request this is.
    notification_send(
        user=booking.learner,
        key=f"promoted:{booking.pk}:{booking.queued_at.timestamp()}",
        title=gettext_noop("You have a seat: %(title)s"),
        body=gettext_noop(
            "A seat freed up and your place on the waitlist became a booking for %(when)s."
        ),
        params={
            "title": session.title,
            "when": timeutil.local(session.starts_at).strftime("%Y-%m-%d %H:%M"),
        },
        url=_session_url(session),
    )


def _first_waiting(session_id: int) -> Booking | None:
    return _waiting(session_id).select_related("learner").order_by("queued_at", "pk").first()


def _promote_next(session_id: int) -> tuple[str, Booking | None]:
    """Give the first in line a seat, in one transaction: (outcome, their booking).

    Outcomes: "promoted", "skipped" (no longer eligible: taken off the waitlist),
    "again" (the queue moved while the locks were awaited) and "done" (nobody
    waits, no seat is free, or the session is cancelled or started).
    """
    head = _first_waiting(session_id)
    if head is None:
        return "done", None
    learner = head.learner
    with transaction.atomic():
        # The order of booking and cancelling: the learner, then the session.
        _lock_learner(learner)
        session = _lock_session(session_id).get()
        now = timeutil.now()
        if session.status != Session.Status.SCHEDULED or now >= session.starts_at:
            return "done", None
        if not _has_free_seat(session):
            return "done", None
        first = _first_waiting(session_id)
        if first is None or first.pk != head.pk:
            return "again", None
        head = first  # as it is now, its place in the queue included
        learner.refresh_from_db(fields=["is_active"])
        if not learner.is_active or _overlapping_seat(learner, session) is not None:
            # No longer eligible: off the waitlist, and the next in line is asked.
            Booking.objects.filter(pk=head.pk).update(
                status=Booking.Status.CANCELLED, updated_at=now
            )
            return "skipped", head
        # Both locks held: the seat is free and the booking still waits.
        if not _take_seat(session_id, from_waitlist=True):
            return "done", None
        Booking.objects.filter(pk=head.pk).update(status=Booking.Status.CONFIRMED, updated_at=now)
        # A seat now: the learner's places on waitlists at the same time are of no use
        # (a promotion there would skip them) and would only hold up the queue.
        _at_overlapping_times(learner, session, status=Booking.Status.WAITLISTED).update(
            status=Booking.Status.CANCELLED, updated_at=now
        )
        head.status = Booking.Status.CONFIRMED
        head.session = session
        _notify_promoted(head)
        return "promoted", head


def promote_waitlist(*, session: Session) -> list[Booking]:
    """Give free seats of `session` to its waitlist, first queued first; returns the promoted.

    Anyone no longer eligible (account disabled, or now holding a confirmed
    seat at an overlapping time) is taken off the waitlist (cancelled) and
    skipped. A promoted learner's places on the waitlists of other sessions at
    an overlapping time are dropped (cancelled). Each promoted learner is
    notified once. Nothing happens once the session has started or if it is
    cancelled. Each seat is given in a transaction of its own that locks the
    learner before the session, as booking does: call it after the commit of
    whatever freed the seats, never while holding a session's row.
    """
    promoted: list[Booking] = []
    while True:
        outcome, booking = _promote_next(session.pk)
        if outcome == "done":
            return promoted
        if outcome == "promoted":
            promoted.append(booking)


def session_capacity_set(*, actor, session: Session, capacity: int | None) -> Session:
    """Change the number of seats (None: unlimited); raising it promotes from the waitlist.

    Only district administrators; raises PermissionDenied otherwise and
    ValidationError (key "capacity") for a capacity below the seats already
    taken, out of range, or on a district event (which has no seats).
    """
    if not user_manages_timetable(actor):
        raise PermissionDenied(_("Only district administrators change the timetable."))
    problem = capacity_problem(capacity, kind=session.kind)
    if problem:
        raise ValidationError({"capacity": [problem]})
    with transaction.atomic():
        sessions = Session.objects.filter(pk=session.pk)
        if capacity is not None:
            sessions = sessions.filter(seats_taken__lte=capacity)
        if not sessions.update(capacity=capacity, updated_at=timeutil.now()):
            taken = Session.objects.filter(pk=session.pk).values_list("seats_taken", flat=True)
            raise ValidationError(
                {
                    "capacity": [
                        _("%(count)s seats are already booked; the capacity cannot be lower.")
                        % {"count": taken.first()}
                    ]
                }
            )
        # The timetable shows seats: drop its cached pages of that day.
        timetable_changed(session.day)
    # After the commit: a promotion must not wait for learners while this
    # transaction holds the session.
    promote_waitlist(session=session)
    session.refresh_from_db()
    return session


# Reminders --------------------------------------------------------------------------


def reminder_key(session_id: int) -> str:
    return f"reminder:{session_id}"


def reminders_send(*, at: dt.datetime | None = None) -> int:
    """Remind every confirmed learner of a session starting within 10 minutes; returns how many.

    Each learner is reminded of a session once, however often this runs (the
    notification's unique key decides, also between concurrent workers).
    """
    at = at or timeutil.now()
    already = Notification.objects.filter(
        user_id=OuterRef("learner_id"),
        key=Concat(Value("reminder:"), Cast(OuterRef("session_id"), CharField())),
    )
    due = (
        Booking.objects.filter(
            status=Booking.Status.CONFIRMED,
            learner__is_active=True,
            session__status=Session.Status.SCHEDULED,
            session__starts_at__gt=at,
            session__starts_at__lte=at + REMINDER_LEAD,
        )
        .exclude(Exists(already))
        .select_related("learner", "session")
        .order_by("session__starts_at", "pk")
    )
    sent = 0
    for booking in due:
        session = booking.session
        minutes = max(1, round((session.starts_at - at).total_seconds() / 60))
        with transaction.atomic():
            sent += notification_send(
                user=booking.learner,
                key=reminder_key(session.pk),
                title=gettext_noop("Starting in %(minutes)s minutes: %(title)s"),
                body=gettext_noop("%(title)s starts at %(time)s."),
                params={
                    "minutes": minutes,
                    "title": session.title,
                    "time": timeutil.local(session.starts_at).strftime("%H:%M"),
                },
                url=_session_url(session),
            )
    return sent
