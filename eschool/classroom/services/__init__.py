"""Writes to the timetable: the only way sessions change.

Every write runs in one transaction and calls timetable_changed() for each day
it touches, so cached pages of those days are dropped once it commits.
"""

import datetime as dt
import os
from collections.abc import Iterable

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from eschool.accounts.models import Teacher
from eschool.classroom.models import Session
from eschool.classroom.selectors import (
    VERSION_KEY,
    cache_is_per_process,
    forget_timetable_revision,
    new_version_token,
    revision_path,
    user_manages_timetable,
)
from eschool.core import timeutil
from eschool.org.models import Grade, Stage, Subject
from eschool.org.stages import stage_grades_error


def timetable_changed(day: dt.date) -> None:
    """Drop the cached pages of `day`'s timetable.

    Safe to call inside a transaction: the version is bumped at once and again
    when the outermost transaction commits, so no page that another request
    cached meanwhile from the old state survives. Call it once per changed day.
    """
    key = VERSION_KEY.format(day=day.isoformat())
    # Now, so that this transaction's own later reads render afresh; and again
    # on commit, since another request may have cached the old state meanwhile.
    cache.set(key, new_version_token(), timeout=None)
    transaction.on_commit(lambda: cache.set(key, new_version_token(), timeout=None))
    if cache_is_per_process():
        # The other processes' caches hear of it through the revision file, once
        # the change is committed (before, they would cache the old state anew).
        transaction.on_commit(_new_revision)


def session_watch_changed(session_id: int) -> None:
    """Drop what the watching app keeps of the session for visitors (whether it is public).

    Call it from every write that cancels a session or changes its kind, day or teacher.
    """
    # Imported here: the watching app is built on the classroom (a cycle at the top).
    from eschool.watching.selectors import forget_session

    forget_session(session_id)


def _new_revision() -> None:
    path = revision_path()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # A new file renamed over the old (atomic): its inode and time are the revision.
    written = f"{path}.{new_version_token()}"
    with open(written, "w") as new:
        new.write(new_version_token())
    os.replace(written, path)
    forget_timetable_revision()


def _check_actor(actor) -> None:
    if not user_manages_timetable(actor):
        raise PermissionDenied(_("Only district administrators change the timetable."))


def _validate(
    *,
    session: Session | None,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    stage: str,
    grades: list[Grade],
    teacher: Teacher | None,
    kind: str,
) -> None:
    """Raise ValidationError (keyed by argument name) when the session cannot be booked."""
    errors: dict[str, list[str]] = {}
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValueError("starts_at and ends_at must be aware datetimes")
    if ends_at <= starts_at:
        errors.setdefault("ends_at", []).append(_("The end must be after the start."))
    elif timeutil.local(ends_at).date() != timeutil.local(starts_at).date():
        errors.setdefault("ends_at", []).append(_("A session ends on the day it starts."))
    if stage not in Stage.values:
        errors.setdefault("stage", []).append(_("Choose a stage."))
    # A class is for given grades; a lecture, parenting course or event may be
    # for its whole stage.
    if not grades and kind == Session.Kind.CLASS:
        errors.setdefault("grades", []).append(_("Choose at least one grade."))
    wrong_grades = stage_grades_error(stage=stage, grades=grades)
    if wrong_grades:
        errors.setdefault("grades", []).append(wrong_grades)
    if teacher is not None and "ends_at" not in errors:
        others = Session.objects.filter(teacher=teacher)
        if session is not None and session.pk:
            others = others.exclude(pk=session.pk)
        clash = (
            others.filter(
                status=Session.Status.SCHEDULED, starts_at__lt=ends_at, ends_at__gt=starts_at
            )
            .order_by("starts_at")
            .first()
        )
        if clash is not None:
            errors.setdefault("teacher", []).append(
                _("This teacher already gives “%(title)s” from %(start)s to %(end)s that day.")
                % {
                    "title": clash.title,
                    "start": timeutil.local(clash.starts_at).strftime("%H:%M"),
                    "end": timeutil.local(clash.ends_at).strftime("%H:%M"),
                }
            )
        elif others.filter(starts_at=starts_at).exists():
            # A cancelled session keeps its slot (teacher, start is unique).
            errors.setdefault("teacher", []).append(
                _("This teacher has a cancelled session starting at that time; edit it instead.")
            )
    if kind == Session.Kind.EVENT and session is not None and session.capacity is not None:
        # Seats are booked and waitlisted; an event is booked by nobody.
        errors.setdefault("kind", []).append(
            _("A district event has no seats: first set this session's seats to unlimited.")
        )
    if errors:
        raise ValidationError(errors)


def _lock_teacher(teacher: Teacher | None) -> None:
    # Two administrators booking the same teacher at once: the second waits for
    # the first on PostgreSQL; SQLite's IMMEDIATE transactions already queue writers.
    if teacher is not None:
        list(Teacher.objects.select_for_update().filter(pk=teacher.pk).values_list("pk"))


def _save(session: Session, grades: list[Grade], *, create: bool, fields: list[str]) -> None:
    try:
        with transaction.atomic():
            if create:
                session.save(force_insert=True)
            else:
                # Only what this form changes: the seat count and the status are the
                # booking's and the cancellation's, and may change meanwhile.
                session.save(update_fields=[*fields, "day", "updated_at"])
            session.grades.set(grades)
    except IntegrityError as error:
        # Only reached by a race the checks above could not see.
        raise ValidationError(
            {"teacher": [_("This teacher is already booked at that time.")]}
        ) from error


def _write(session: Session, *, grades: list[Grade], **fields) -> Session:
    """Check `fields` and save them on `session` (new or existing), teacher row locked."""
    with transaction.atomic():
        _lock_teacher(fields["teacher"])
        _validate(
            session=session if session.pk else None,
            starts_at=fields["starts_at"],
            ends_at=fields["ends_at"],
            stage=fields["stage"],
            grades=grades,
            teacher=fields["teacher"],
            kind=fields["kind"],
        )
        for name, value in fields.items():
            setattr(session, name, value)
        session.day = timeutil.local(session.starts_at).date()
        _save(session, grades, create=session.pk is None, fields=list(fields))
    return session


def session_create(
    *,
    actor,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    stage: str,
    grades: Iterable[Grade],
    title: str,
    kind: str = Session.Kind.CLASS,
    subject: Subject | None = None,
    teacher: Teacher | None = None,
    description: str = "",
    capacity: int | None = None,
) -> Session:
    """Put a new session on the timetable, with `capacity` seats (None: unlimited).

    Raises PermissionDenied unless `actor` is a district administrator, and
    ValidationError (keys: ends_at, stage, grades, teacher, capacity) when the end is
    not after the start on the same day, a grade is not of `stage`, the teacher
    gives another scheduled session at an overlapping time, or the seats are out of
    range or given to a district event. Later changes of the seats go through
    booking.session_capacity_set, which moves the waitlist.
    """
    # Imported here: the booking services are built on this module.
    from eschool.classroom.services.booking import capacity_problem

    _check_actor(actor)
    problem = capacity_problem(capacity, kind=kind)
    if problem:
        raise ValidationError({"capacity": [problem]})
    session = _write(
        Session(capacity=capacity),
        starts_at=starts_at,
        ends_at=ends_at,
        stage=stage,
        grades=list(grades),
        title=title,
        kind=kind,
        subject=subject,
        teacher=teacher,
        description=description,
    )
    timetable_changed(session.day)
    return session


def session_update(
    *,
    actor,
    session: Session,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    stage: str,
    grades: Iterable[Grade],
    title: str,
    kind: str,
    subject: Subject | None,
    teacher: Teacher | None,
    description: str,
) -> Session:
    """Change every field of a session; same checks as session_create.

    Both the old and the new day count as changed.
    """
    _check_actor(actor)
    old_day = session.day
    _write(
        session,
        starts_at=starts_at,
        ends_at=ends_at,
        stage=stage,
        grades=list(grades),
        title=title,
        kind=kind,
        subject=subject,
        teacher=teacher,
        description=description,
    )
    timetable_changed(old_day)
    if session.day != old_day:
        timetable_changed(session.day)
    # Its kind, day or teacher decide whether visitors may watch it.
    session_watch_changed(session.pk)
    return session


def session_cancel(*, actor, session: Session, reason: str) -> Session:
    """Cancel (withdraw) a session with a reason; it stays on the timetable marked cancelled.

    Every learner with a confirmed or waitlisted booking of it gets one
    notification (key "cancelled:<session id>") in the same transaction.
    Cancelling a cancelled session changes nothing (its first reason stays).
    ValidationError (key: reason) when the reason is empty: those who booked are owed one.
    """
    _check_actor(actor)
    reason = reason.strip()[:200]
    if not reason:
        raise ValidationError({"reason": _("Say why the session is cancelled.")})
    with transaction.atomic():
        changed = Session.objects.filter(pk=session.pk, status=Session.Status.SCHEDULED).update(
            status=Session.Status.CANCELLED,
            cancel_reason=reason,
            updated_at=timeutil.now(),
        )
        if changed:
            timetable_changed(session.day)
            # A cancelled event is no longer public: its shared token and chat stop now.
            session_watch_changed(session.pk)
            _notify_cancelled(session, reason=reason)
    session.refresh_from_db()
    return session


def _notify_cancelled(session: Session, *, reason: str) -> None:
    from eschool.classroom.models import Booking
    from eschool.homeschool.services import notification_send

    url = reverse("classroom:session", args=[session.pk])
    bookings = Booking.objects.filter(
        session=session, status__in=[Booking.Status.CONFIRMED, Booking.Status.WAITLISTED]
    ).select_related("learner")
    for booking in bookings:
        notification_send(
            user=booking.learner,
            key=f"cancelled:{session.pk}",
            title=gettext_noop("Cancelled: %(title)s"),
            body=gettext_noop("%(reason)s") if reason else "",
            params={"title": session.title, "reason": reason},
            url=url,
        )
