"""Reads of the timetable: publication, the sessions of a day, one session.

Publication rule: the timetable of day D becomes public at
settings.ESCHOOL_PUBLICATION_TIME (Asia/Shanghai) on day D-1, or earlier when an
administrator publishes it by hand (a DayPublication row); every day up to and
including today is public. Administrators see unpublished days too.
"""

import datetime as dt
import os
import threading
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from eschool.accounts.models import Role
from eschool.classroom.models import Session
from eschool.core import timeutil
from eschool.org.models import Grade, Stage

# The cache key that holds the current version of a day's timetable; bumped by
# services.timetable_changed(). A version is a fresh random token, never a
# counter, so a key that was evicted can never bring an old page back.
VERSION_KEY = "classroom:timetable:version:{day}"
# Where each process has a cache of its own: the file in ESCHOOL_DATA_DIR that every
# timetable change replaces (a new file renamed over the old) once it commits.
REVISION_FILE = "timetable-revision"


def publication_moment(day: dt.date) -> dt.datetime:
    """The aware moment when the timetable of `day` becomes public."""
    time = timeutil.parse_hhmm(settings.ESCHOOL_PUBLICATION_TIME)
    return timeutil.at_local(day - dt.timedelta(days=1), time)


def day_is_public(day: dt.date, *, at: dt.datetime | None = None) -> bool:
    """Whether anyone, logged in or not, may see the timetable of `day` at `at` (default now).

    The one place the publication rule lives: today and every earlier day are
    public; a later day once its publication moment has passed (the evening
    task publishes it then) or once it has a DayPublication (published early by
    hand). Only that last check reads the database, and it is cached.
    """
    at = at or timeutil.now()
    if day <= timeutil.today(at) or at >= publication_moment(day):
        return True
    # Imported here: the publication selectors import this module.
    from eschool.classroom.selectors.publication import day_has_publication

    return day_has_publication(day)


def user_sees_unpublished(user) -> bool:
    """Administrators see days before they are published."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or user.role in {Role.DISTRICT_ADMIN, Role.SCHOOL_ADMIN}


def user_manages_timetable(user) -> bool:
    """Only district administrators change the timetable."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or user.role == Role.DISTRICT_ADMIN


def day_visible_to(day: dt.date, *, user, at: dt.datetime | None = None) -> bool:
    """Whether `user` may see the timetable of `day`: public, or an administrator."""
    return day_is_public(day, at=at) or user_sees_unpublished(user)


def _with_relations(queryset: QuerySet[Session]) -> QuerySet[Session]:
    # Two queries whatever the number of sessions: the sessions with their
    # teacher, school and subject, then all their grades.
    return queryset.select_related("teacher__user", "teacher__school", "subject").prefetch_related(
        Prefetch("grades", queryset=Grade.objects.order_by("level"))
    )


def sessions_of_day(day: dt.date) -> list[Session]:
    """Every session of `day` (cancelled ones too), by start time."""
    return list(_with_relations(Session.objects.filter(day=day)).order_by("starts_at", "id"))


def session_visible_to(session: Session, *, user, at: dt.datetime | None = None) -> bool:
    """Whether `user` may see `session` (its page, its live state): its day is public, or
    they are an administrator, or it is their own session. The one rule for a session;
    session_get_for_user applies it to an id."""
    # A teacher prepares their own session before the district publishes its day.
    own = getattr(user, "is_authenticated", False) and session.teacher_id == user.pk
    return own or day_visible_to(session.day, user=user, at=at)


def session_get_for_user(session_id: int, *, user, at: dt.datetime | None = None) -> Session | None:
    """The session if `user` may see it now, else None (the caller answers 404)."""
    session = _with_relations(Session.objects.filter(pk=session_id)).first()
    if session is None or not session_visible_to(session, user=user, at=at):
        return None
    return session


@dataclass(frozen=True)
class SessionState:
    """Where a session stands as people see it, on every page that says so."""

    code: str  # scheduled | under_way | ended | cancelled
    label: str  # in the reader's language


def session_state(session: Session, *, at: dt.datetime | None = None) -> SessionState:
    """The state of `session` at `at` (default now) by its times: cancelled, ended (past its
    end, whatever was broadcast), under way (between its start and end), else scheduled.
    Reads no database, so a list of sessions costs nothing more."""
    at = at or timeutil.now()
    if session.status == Session.Status.CANCELLED:
        return SessionState("cancelled", _("Cancelled"))
    if at >= session.ends_at:
        return SessionState("ended", _("Ended"))
    if at >= session.starts_at:
        return SessionState("under_way", _("Under way"))
    return SessionState("scheduled", _("Scheduled"))


def sessions_taught_by(user, *, from_day: dt.date, days: int = 14) -> list[Session]:
    """The sessions `user` teaches from `from_day` for `days` days, published or not."""
    return list(
        _with_relations(
            Session.objects.filter(
                teacher__user=user,
                day__gte=from_day,
                day__lt=from_day + dt.timedelta(days=days),
            )
        ).order_by("starts_at", "id")
    )


def learners_booked_with(user) -> QuerySet:
    """Ids (`learner_id`) of those booked or waitlisted on a session `user` teaches.

    The people on the teacher's rosters, past and future; a cancelled booking is not one.
    """
    from eschool.classroom.models import Booking

    return Booking.objects.filter(
        session__teacher__user=user,
        status__in=[Booking.Status.CONFIRMED, Booking.Status.WAITLISTED],
    ).values("learner_id")


@dataclass
class GradeGroup:
    grade: Grade | None  # None: sessions given for no particular grade of the stage
    sessions: list[Session] = field(default_factory=list)


@dataclass
class StageGroup:
    stage: str
    label: str
    grades: list[GradeGroup] = field(default_factory=list)


def group_by_stage_and_grade(sessions: list[Session]) -> list[StageGroup]:
    """Sessions by stage (幼儿园, 小学, 初中, 高中) then grade, each list by start time.

    A session for several grades is listed under each of them: a pupil looks
    under their own grade and must find it there.
    """
    by_stage: dict[str, dict[int | None, GradeGroup]] = {}
    for session in sessions:
        grades = by_stage.setdefault(session.stage, {})
        session_grades = list(session.grades.all()) or [None]
        for grade in session_grades:
            key = grade.level if grade is not None else None
            grades.setdefault(key, GradeGroup(grade=grade)).sessions.append(session)
    groups = []
    for stage, label in Stage.choices:
        if stage not in by_stage:
            continue
        grades = by_stage[stage]
        ordered = sorted(grades, key=lambda level: (level is None, level or 0))
        for level in ordered:
            grades[level].sessions.sort(key=lambda s: (s.starts_at, s.pk))
        groups.append(StageGroup(stage=stage, label=label, grades=[grades[k] for k in ordered]))
    return groups


def timetable_version(day: dt.date) -> str:
    """The current version of `day`'s timetable: what the keys of its cached pages carry.

    A token in the cache, which timetable_changed() replaces; where each process
    has a cache of its own, followed by the timetable's revision (a file all the
    processes read, see timetable_revision), so that other processes' changes
    count too.
    """
    key = VERSION_KEY.format(day=day.isoformat())
    version = cache.get(key)
    if version is None:
        cache.add(key, new_version_token(), timeout=None)
        version = cache.get(key)
    return f"{version}{timetable_revision()}"


def cache_is_per_process() -> bool:
    """Whether each process keeps a cache of its own (LocMemCache, the embedded default)."""
    return isinstance(caches["default"], LocMemCache)


# The revision read during the current request ({} at its start, None outside
# requests): read once per request, never carried from one request to the next.
# Thread-local: Django runs a request's synchronous code, the request_started and
# request_finished receivers included, in one thread (under ASGI, one per request);
# a context variable set by a receiver would not outlive the receiver's task.
_request = threading.local()


def _request_memo() -> dict | None:
    return getattr(_request, "memo", None)


def revision_path() -> str:
    return os.path.join(settings.DATA_DIR, REVISION_FILE)


def timetable_revision() -> str:
    """What the keys of cached timetable pages add for other processes' changes.

    Empty with a shared cache (Redis). Else the identity of the file
    revision_path(), which every process of the district sees (without Redis
    they all run on one machine, beside the SQLite database and the Huey queue):
    a new file each change, so a new inode and time. Looked at once per request
    (one stat, a few microseconds), and at every call outside requests (tasks,
    commands). A file, not a row: a cached page opens no database connection.
    """
    if not cache_is_per_process():
        return ""
    memo = _request_memo()
    if memo is not None and "revision" in memo:
        return memo["revision"]
    try:
        found = os.stat(revision_path())
        revision = f":{found.st_ino}-{found.st_mtime_ns}"
    except FileNotFoundError:  # nothing changed since the data folder was made
        revision = ":0"
    if memo is not None:
        memo["revision"] = revision
    return revision


def forget_timetable_revision() -> None:
    """The request changed the timetable: its next read of the revision reads the file."""
    memo = _request_memo()
    if memo is not None:
        memo.pop("revision", None)


def request_started(**kwargs) -> None:
    _request.memo = {}


def request_finished(**kwargs) -> None:
    _request.memo = None


def new_version_token() -> str:
    return uuid.uuid4().hex


def session_as_json(session: Session, *, url: str) -> dict:
    """The public JSON shape of a session (see /api/v1/timetable/)."""
    teacher = session.teacher
    return {
        "id": session.pk,
        "kind": session.kind,
        "title": session.title,
        "subject": session.subject.name if session.subject else None,
        "grades": [grade.name for grade in session.grades.all()],
        "stage": session.stage,
        "teacher": teacher.user.name if teacher else None,
        "starts_at": timeutil.local(session.starts_at).isoformat(),
        "ends_at": timeutil.local(session.ends_at).isoformat(),
        "status": session.status,
        "cancel_reason": session.cancel_reason,
        "url": url,
    }


# A timetable day outside these years is a typo or a probe; treating it as "not
# found" also keeps previous/next-day arithmetic away from date.min and date.max.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)


def parse_day(value: str) -> dt.date | None:
    """YYYY-MM-DD as a date within the years a timetable can have, else None."""
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None
