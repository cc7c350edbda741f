"""Reads of watch time, and who may read what (one access helper per kind of object).

Something the user may not see is a 404, never a 403.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, Sum
from django.http import Http404

from eschool.accounts.models import Role, User
from eschool.accounts.selectors import child_get_for_parent
from eschool.classroom.models import Booking, Session
from eschool.classroom.selectors import session_get_for_user, timetable_revision
from eschool.classroom.selectors.booking import may_see_roster, session_get_for_roster
from eschool.classroom.selectors.publication import anonymous_may_watch
from eschool.core import timeutil
from eschool.live.services import user_manages_recordings
from eschool.watching.models import Mode, WatchSection

# Access ----------------------------------------------------------------------------------------


def session_get_for_watching(*, user, session_id) -> Session:
    """The session if `user` may watch it (and so send heartbeats), else Http404.

    Anonymous visitors only where the district lets the public watch (ESCHOOL_PUBLIC_WATCH).
    """
    if not user.is_authenticated and not settings.ESCHOOL_PUBLIC_WATCH:
        raise Http404
    session = session_get_for_user(session_id, user=user)
    if session is None:
        raise Http404
    return session


# Both keys carry the timetable's revision: where each process has a cache of its
# own, another process's change to the session drops them too (timetable_revision).
PUBLIC_SESSION_KEY = "watching:public-session:{pk}{revision}"
PUBLIC_SESSION_SECONDS = 60


def session_id_for_watching(*, user, session_id) -> int:
    """session_get_for_watching's answer as the session's id, cached for the public.

    At 8:00 every anonymous viewer's player asks for a token; a day once public stays
    public, so the answer is kept for a minute and those requests cost no query.
    """
    if user.is_authenticated:
        return session_get_for_watching(user=user, session_id=session_id).pk
    key = PUBLIC_SESSION_KEY.format(pk=session_id, revision=timetable_revision())
    if settings.ESCHOOL_PUBLIC_WATCH and cache.get(key):
        return session_id
    session = session_get_for_watching(user=user, session_id=session_id)
    cache.set(key, True, PUBLIC_SESSION_SECONDS)
    return session.pk


OPEN_EVENT_KEY = "watching:open-event:{pk}{revision}"
OPEN_EVENT_SECONDS = 60


@dataclass(frozen=True)
class OpenEvent:
    """A district event that everyone may watch (the facts its shared page needs)."""

    pk: int
    day: dt.date
    teacher_id: int | None


def open_event(session_id: int) -> OpenEvent | None:
    """The session as an OpenEvent if it is a district event anyone may watch now, else None.

    Anyone: the live player's rule for visitors (anonymous_may_watch: the district lets
    the public watch, the day is published, not cancelled), so its page, token and chat
    may be the same for everyone. The answer, yes or no, is kept OPEN_EVENT_SECONDS: at
    8:00 the page, the token and the chat ask it for every viewer.
    """
    key = OPEN_EVENT_KEY.format(pk=session_id, revision=timetable_revision())
    known = cache.get(key)
    if known is None:
        session = Session.objects.filter(pk=session_id).first()
        known = False
        if (
            session is not None
            and session.kind == Session.Kind.EVENT
            and anonymous_may_watch(session)
        ):
            known = OpenEvent(pk=session.pk, day=session.day, teacher_id=session.teacher_id)
        cache.set(key, known, OPEN_EVENT_SECONDS)
    return known or None


SESSION_KEYS = (OPEN_EVENT_KEY, PUBLIC_SESSION_KEY)


def forget_session(session_id: int) -> None:
    """Drop what is kept of `session_id` for visitors (open_event, the public token's check).

    The classroom's services call it when they cancel or change a session: at once, so
    that their own transaction reads afresh, and again once it commits, since a request
    may have kept the old answer meanwhile. Without it a cancelled event's token and
    chat would stay public for up to OPEN_EVENT_SECONDS.
    """

    def forget() -> None:
        revision = timetable_revision()
        cache.delete_many([key.format(pk=session_id, revision=revision) for key in SESSION_KEYS])

    forget()
    transaction.on_commit(forget)


def session_get_for_viewer_count(*, user, session_id) -> Session:
    """The session if `user` manages it (its teacher or a district admin), else Http404."""
    session = Session.objects.filter(pk=session_id).first()
    if session is None or not user_manages_recordings(user, session):
        raise Http404
    return session


def session_get_for_attendance(*, user, session_id) -> Session:
    """The session if `user` may see who watched it, else Http404.

    The same people who see who booked it: its teacher, the administrators of the
    teacher's school and district administrators.
    """
    return session_get_for_roster(user=user, session_id=session_id)


def may_see_attendance(user, session: Session) -> bool:
    return may_see_roster(user, session)


def learner_get_for_history(*, user, student_id=None) -> User:
    """Whose watch history `user` may see: their own (no id) or their own child's, else Http404."""
    if not user.is_authenticated:
        raise Http404
    if student_id is None:
        return user
    return child_get_for_parent(parent=user, student_id=student_id).user


# Attendance ------------------------------------------------------------------------------------


@dataclass
class AttendanceLine:
    user_id: int
    name: str
    username: str
    school: str
    homeroom: str
    booked: bool
    live_seconds: float = 0.0
    replay_seconds: float = 0.0

    @property
    def live_minutes(self) -> float:
        return minutes(self.live_seconds)

    @property
    def replay_minutes(self) -> float:
        return minutes(self.replay_seconds)


@dataclass
class Attendance:
    live: list[AttendanceLine] = field(default_factory=list)
    replay: list[AttendanceLine] = field(default_factory=list)
    absent: list[AttendanceLine] = field(default_factory=list)  # booked, watched nothing
    everyone: list[AttendanceLine] = field(default_factory=list)


def minutes(seconds: float) -> float:
    """Minutes with one decimal, as the pages and the spreadsheet show them."""
    return round(seconds / 60, 1)


def watch_seconds(*, session: Session) -> dict[int, dict[str, float]]:
    """{user id: {"live": seconds, "replay": seconds}} for a session, one query."""
    totals: dict[int, dict[str, float]] = {}
    rows = (
        WatchSection.objects.filter(session=session)
        .values("user_id", "mode")
        .annotate(total=Sum("seconds"))
        .order_by()
    )
    for row in rows:
        totals.setdefault(row["user_id"], {})[row["mode"]] = row["total"] or 0.0
    return totals


def attendance_of(*, session: Session) -> Attendance:
    """Who watched the session live, who watched its replay, who booked and watched nothing.

    Three queries whatever the number of people: the sums, the bookings, the people.
    Someone who watched both is in both lists. Names in order, ties by login number.
    """
    totals = watch_seconds(session=session)
    booked = set(
        Booking.objects.filter(session=session, status=Booking.Status.CONFIRMED).values_list(
            "learner_id", flat=True
        )
    )
    people = (
        User.objects.filter(pk__in=set(totals) | booked)
        .select_related("school", "student__homeroom__grade", "outside_learner")
        .order_by("name", "username")
    )
    report = Attendance()
    for person in people:
        seconds = totals.get(person.pk, {})
        line = AttendanceLine(
            user_id=person.pk,
            name=person.name,
            username=person.username,
            school=_school_of(person),
            homeroom=_homeroom_of(person),
            booked=person.pk in booked,
            live_seconds=seconds.get(Mode.LIVE, 0.0),
            replay_seconds=seconds.get(Mode.REPLAY, 0.0),
        )
        report.everyone.append(line)
        if line.live_seconds > 0:
            report.live.append(line)
        if line.replay_seconds > 0:
            report.replay.append(line)
        if line.booked and line.live_seconds <= 0 and line.replay_seconds <= 0:
            report.absent.append(line)
    return report


def _school_of(person: User) -> str:
    if person.school_id:
        return person.school.name
    outside = getattr(person, "outside_learner", None)
    return outside.school_name if outside is not None else ""


def _homeroom_of(person: User) -> str:
    student = getattr(person, "student", None)
    if student is None or student.homeroom is None:
        return ""
    return str(student.homeroom)


# Where a viewer stopped ----------------------------------------------------------------------


@dataclass(frozen=True)
class ResumePoint:
    position: float  # seconds into the replay
    seen_ms: int  # the server's clock when it was last heard of (ms since the epoch)


def resume_point(*, user, session_id: int) -> ResumePoint | None:
    """Where `user` last was in the session's replay, on any device; None if nowhere. One query.

    The end of the replay section heard of last, so a student who stops on the phone
    continues on the laptop. As old as the last fold (every minute): the page compares it
    with what this browser kept (replay-tools.js) and takes the later.
    """
    if not getattr(user, "is_authenticated", False):
        return None
    row = (
        WatchSection.objects.filter(user=user, session_id=session_id, mode=Mode.REPLAY)
        .order_by("-last_seen", "-pk")
        .values_list("end_s", "last_seen")
        .first()
    )
    return ResumePoint(position=row[0], seen_ms=row[1]) if row else None


# A learner's own history --------------------------------------------------------------------


@dataclass
class HistoryLine:
    session: Session
    live_seconds: float
    replay_seconds: float

    @property
    def live_minutes(self) -> float:
        return minutes(self.live_seconds)

    @property
    def replay_minutes(self) -> float:
        return minutes(self.replay_seconds)


def history_of(*, learner: User, limit: int = 100) -> list[HistoryLine]:
    """The sessions `learner` watched, newest first, with live and replay seconds. Two queries."""
    rows = (
        WatchSection.objects.filter(user=learner)
        .values("session_id", "mode")
        .annotate(total=Sum("seconds"))
        .order_by()
    )
    totals: dict[int, dict[str, float]] = {}
    for row in rows:
        totals.setdefault(row["session_id"], {})[row["mode"]] = row["total"] or 0.0
    sessions = Session.objects.filter(pk__in=totals).select_related("subject", "teacher__user")
    lines = [
        HistoryLine(
            session=session,
            live_seconds=totals[session.pk].get(Mode.LIVE, 0.0),
            replay_seconds=totals[session.pk].get(Mode.REPLAY, 0.0),
        )
        for session in sessions.order_by("-starts_at", "-pk")[:limit]
    ]
    return lines


def sessions_for_attendance(*, user, days: int = 14) -> list[Session]:
    """Sessions of the last `days` days (today included) whose attendance `user` may see."""
    if not user.is_authenticated:
        return []
    today = timeutil.today()
    sessions = Session.objects.filter(
        day__gt=today - dt.timedelta(days=days), day__lte=today
    ).select_related("teacher__user", "teacher__school", "subject")
    if not (user.is_superuser or user.role == Role.DISTRICT_ADMIN):
        mine = Q(teacher_id=user.pk)
        if user.role == Role.SCHOOL_ADMIN and user.school_id:
            mine |= Q(teacher__school_id=user.school_id)
        sessions = sessions.filter(mine)
    return list(sessions.order_by("-starts_at", "-pk"))
