"""Reads of evening tutoring: settings, access helpers, the queue, coverage, the board, records."""

import datetime as dt
import math
import statistics
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Exists, OuterRef, Q, Sum
from django.http import Http404
from django.utils.translation import gettext_noop

from eschool.accounts.models import Guardianship, Role, Teacher
from eschool.core import timeutil
from eschool.org.models import Subject
from eschool.tutoring.models import (
    GradeBand,
    Offer,
    Question,
    QuestionPhoto,
    Shift,
    TutoringSession,
    TutoringSettings,
    minutes_rounded,
)

# Waits of this many recent matched questions make the estimate.
RECENT_WAITS = 30
RECENT_WAITS_DAYS = 14
# Fewer teachers than this on a subject's evening is thin coverage.
THIN_COVERAGE = 2


def tutoring_settings() -> TutoringSettings:
    return TutoringSettings.objects.get_or_create(pk=1)[0]


def is_tutoring_admin(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or user.role == Role.DISTRICT_ADMIN


def teacher_of(user) -> Teacher | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "teacher", None)


def may_ask(user) -> bool:
    """Students ask; outside learners too when the district allows it."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.STUDENT:
        return hasattr(user, "student")
    if user.role == Role.OUTSIDE_LEARNER:
        return tutoring_settings().outside_learners_allowed
    return False


def profile_grade(user):
    """The grade on the asker's profile, for the default of the form."""
    student = getattr(user, "student", None)
    if student is not None:
        return student.grade
    learner = getattr(user, "outside_learner", None)
    return learner.grade if learner is not None else None


def _may_see_asker(user, asker_id: int) -> bool:
    if user.pk == asker_id or is_tutoring_admin(user):
        return True
    return Guardianship.objects.filter(guardian_id=user.pk, student_id=asker_id).exists()


def question_get_for_user(*, user, question_id: int) -> Question:
    """The question if `user` may see it: the asker, their guardians, a teacher who was
    offered it or serves it, any teacher for written and waiting questions, admins. 404 otherwise."""
    question = (
        Question.objects.select_related("subject", "grade", "asker").filter(pk=question_id).first()
    )
    if question is None or not getattr(user, "is_authenticated", False):
        raise Http404
    if _may_see_asker(user, question.asker_id):
        return question
    teacher = teacher_of(user)
    if teacher is not None and (
        question.offered_to_id == teacher.pk
        or question.status in (Question.Status.WAITING, Question.Status.WRITTEN)
        or question.answered_by_id == teacher.pk
        or TutoringSession.objects.filter(
            Q(question=question) | Q(transferred_to__question=question), teacher=teacher
        ).exists()
    ):
        return question
    raise Http404


def session_get_for_user(*, user, session_id: int) -> TutoringSession:
    """The session if `user` is its student, that student's guardian, its teacher or an
    admin; 404 otherwise (a guessed id reveals nothing)."""
    session = (
        TutoringSession.objects.select_related("teacher__user", "student", "question")
        .filter(pk=session_id)
        .first()
    )
    if session is None or not getattr(user, "is_authenticated", False):
        raise Http404
    if _may_see_asker(user, session.student_id) or session.teacher.user_id == user.pk:
        return session
    raise Http404


def session_question(session: TutoringSession) -> Question | None:
    """The question a session serves, following transfers back to the first session."""
    current = session
    seen = set()
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        question = Question.objects.filter(session=current).first()
        if question is not None:
            return question
        # After a transfer the question belongs to the newer session.
        newer = TutoringSession.objects.filter(transferred_from=current).first()
        current = newer
    return None


def photo_get_for_user(*, user, photo_id: int) -> QuestionPhoto:
    photo = QuestionPhoto.objects.filter(pk=photo_id).first()
    if photo is None:
        raise Http404
    question_get_for_user(user=user, question_id=photo.question_id)
    return photo


def open_question_of(user) -> Question | None:
    return Question.objects.filter(asker=user, status__in=Question.OPEN).first()


def sessions_open(at: dt.datetime | None = None):
    """Sessions not ended that started today (district time): the ones that keep a teacher
    busy. The evening's end closes every session (room.sessions_close_after_window); should
    one stay open all the same, it never counts against its teacher on a later day."""
    at = at or timeutil.now()
    return TutoringSession.objects.filter(
        ended_at__isnull=True, started_at__gte=timeutil.at_local(timeutil.today(at), dt.time(0))
    )


# Who may serve a shift -------------------------------------------------------------


def teacher_qualifies(teacher: Teacher, subject_ids, band: GradeBand) -> bool:
    """Whether `teacher` may serve a shift of the subjects `subject_ids` for `band`, by their
    profile: the rule of sign-up, with the band as matching reads it. They teach every one of
    the subjects and a grade in the band; a profile that lists no subjects (or no grades) is
    not restricted on that side, as at sign-up. A chemistry teacher never takes a 语文
    evening, a 高中 teacher never a 小学 one. Reads `teacher.subjects` and `teacher.grades`,
    so prefetch them for many teachers."""
    taught = {subject.pk for subject in teacher.subjects.all()}
    levels = [grade.level for grade in teacher.grades.all()]
    return (not taught or set(subject_ids) <= taught) and (
        not levels or any(band.low <= level <= band.high for level in levels)
    )


def shift_colleagues(shifts) -> dict[int, list[Teacher]]:
    """{shift id: the colleagues who could take it instead of its teacher}: qualified for its
    subjects and band and not on duty that evening themselves, by name. In 4 queries however
    many shifts (their subjects and band prefetched)."""
    shifts = list(shifts)
    if not shifts:
        return {}
    on_duty = set(
        Shift.objects.filter(day__in={shift.day for shift in shifts}).values_list(
            "day", "teacher_id"
        )
    )
    subject_ids_of = {
        shift.pk: [subject.pk for subject in shift.subjects.all()] for shift in shifts
    }
    teachers = Teacher.objects.select_related("user").prefetch_related("subjects", "grades")
    if all(subject_ids_of.values()):
        # Only those who teach one of the subjects (or list none) can qualify: a district's
        # 2,000 teachers are not all read for a teacher's page.
        wanted = {pk for ids in subject_ids_of.values() for pk in ids}
        teachers = teachers.filter(Q(subjects__in=wanted) | Q(subjects=None)).distinct()
    teachers = list(teachers.order_by("user__name", "pk"))
    colleagues = {}
    for shift in shifts:
        subject_ids = subject_ids_of[shift.pk]
        colleagues[shift.pk] = [
            teacher
            for teacher in teachers
            if teacher.pk != shift.teacher_id
            and (shift.day, teacher.pk) not in on_duty
            and teacher_qualifies(teacher, subject_ids, shift.band)
        ]
    return colleagues


def subjects_on_duty(day: dt.date, grade) -> set[int]:
    """The ids of the subjects a teacher signed up on `day` serves for `grade` (their band
    covers it): what a student of that grade can ask live that evening."""
    if grade is None:
        return set()
    return set(
        Shift.subjects.through.objects.filter(
            shift__day=day, shift__band__low__lte=grade.level, shift__band__high__gte=grade.level
        ).values_list("subject_id", flat=True)
    )


# The queue ------------------------------------------------------------------------


def _same_teachers(question: Question) -> Q:
    """Questions the teachers who could take `question` could take instead: its subject,
    and a grade in a band that covers its grade (in any band, when none covers it)."""
    level = question.grade.level
    bands = GradeBand.objects.filter(low__lte=level, high__gte=level).values_list("low", "high")
    grades = Q()
    for low, high in bands:
        grades |= Q(grade__level__gte=low, grade__level__lte=high)
    return Q(subject_id=question.subject_id) & grades


def _waiting_before(question: Question):
    return Question.objects.filter(
        _same_teachers(question),
        status__in=(Question.Status.WAITING, Question.Status.OFFERED),
    ).filter(
        Q(waiting_since__lt=question.waiting_since)
        | Q(waiting_since=question.waiting_since, pk__lt=question.pk)
    )


def queue_place(question: Question) -> int | None:
    """1 for the next question its teachers (its subject, its grade band) will serve; None
    when not waiting."""
    if question.status not in (Question.Status.WAITING, Question.Status.OFFERED):
        return None
    return _waiting_before(question).count() + 1


def recent_waits(at: dt.datetime | None = None, *, subject_id=None) -> list[dt.timedelta]:
    """How long the latest matched questions waited, newest first."""
    at = at or timeutil.now()
    matched = Question.objects.filter(
        matched_at__isnull=False,
        waiting_since__isnull=False,
        matched_at__gte=at - dt.timedelta(days=RECENT_WAITS_DAYS),
        matched_at__lte=at,
    )
    if subject_id is not None:
        matched = matched.filter(subject_id=subject_id)
    rows = matched.order_by("-matched_at").values_list("waiting_since", "matched_at")[:RECENT_WAITS]
    return [max(dt.timedelta(0), matched_at - since) for since, matched_at in rows]


def estimate_wait(place: int, waits: list[dt.timedelta], teachers: int) -> dt.timedelta | None:
    """The expected wait of the `place`-th in line: the median recent wait for each round
    of `teachers` questions ahead (at least one round). None without recent waits."""
    if not waits:
        return None
    median = statistics.median(w.total_seconds() for w in waits)
    rounds = -(-place // max(1, teachers))  # ceil: the first `teachers` in line go together
    return dt.timedelta(seconds=round(median * rounds))


def online_shifts(at: dt.datetime | None = None):
    at = at or timeutil.now()
    return Shift.objects.filter(
        day=timeutil.today(at), clocked_in_at__isnull=False, clocked_out_at__isnull=True
    )


def qualified_shifts(question: Question, at: dt.datetime | None = None):
    """Tonight's online shifts covering the question's subject and grade."""
    level = question.grade.level
    return online_shifts(at).filter(
        subjects=question.subject_id, band__low__lte=level, band__high__gte=level
    )


@dataclass
class WaitInfo:
    place: int | None
    estimate: dt.timedelta | None
    teachers: int
    # A teacher was offered the question and could not take it (declined, let it pass or
    # went offline); it waits for another.
    passed_on: bool = False

    @property
    def estimate_minutes(self) -> int | None:
        """The estimate in whole minutes, rounded up (at least 1)."""
        if self.estimate is None:
            return None
        return max(1, math.ceil(self.estimate.total_seconds() / 60))


def wait_info(question: Question, at: dt.datetime | None = None) -> WaitInfo:
    place = queue_place(question)
    teachers = qualified_shifts(question, at).count()
    if place is None:
        return WaitInfo(None, None, teachers)
    waits = recent_waits(at, subject_id=question.subject_id) or recent_waits(at)
    return WaitInfo(
        place,
        estimate_wait(place, waits, teachers) if teachers else None,
        teachers,
        passed_on=question.status == Question.Status.WAITING and _last_offer_passed(question),
    )


def _last_offer_passed(question: Question) -> bool:
    last = Offer.objects.filter(question=question).order_by("-offered_at", "-pk").first()
    return last is not None and last.outcome in (
        Offer.Outcome.DECLINED,
        Offer.Outcome.EXPIRED,
        Offer.Outcome.WITHDRAWN,
    )


# Coverage -------------------------------------------------------------------------


@dataclass
class CoverageCell:
    subject: Subject
    band: GradeBand
    teachers: list[str] = field(default_factory=list)
    # Questions asked in this subject by students of the band in the last DEMAND_DAYS.
    asked: int = 0

    @property
    def count(self) -> int:
        return len(self.teachers)

    @property
    def thin(self) -> bool:
        return self.count < THIN_COVERAGE


# Questions of this many days make the demand the coverage page shows.
DEMAND_DAYS = 14


def coverage(days: list[dt.date], at: dt.datetime | None = None) -> dict:
    """{day: [CoverageCell, by subject then band]} for the served subjects × served grade
    bands that matter that evening: a teacher signed up for it, or students asked in it
    lately (a 初中 maths teacher does not cover 小学 maths). The rest (nobody on duty,
    nobody asking) is left out, so that the thin spots stand out. In 4 queries + 1,
    whatever the number of days and shifts."""
    at = at or timeutil.now()
    settings_row = tutoring_settings()
    subjects = list(settings_row.subjects.all()) or list(Subject.objects.all())
    bands = list(grade_bands())
    grid = {
        day: {
            (subject.pk, band.pk): CoverageCell(subject, band)
            for subject in subjects
            for band in bands
        }
        for day in days
    }
    through = Shift.subjects.through.objects.filter(shift__day__in=days).values_list(
        "shift__day", "subject_id", "shift__band_id", "shift__teacher__user__name"
    )
    for day, subject_id, band_id, name in through:
        cell = grid.get(day, {}).get((subject_id, band_id))
        if cell is not None:
            cell.teachers.append(name)
    demand = (
        Question.objects.filter(created_at__gte=at - dt.timedelta(days=DEMAND_DAYS))
        .values_list("subject_id", "grade__level")
        .annotate(n=Count("pk"))
    )
    for subject_id, level, n in demand:
        for band in bands:
            if band.low <= level <= band.high:
                for cells in grid.values():
                    cell = cells.get((subject_id, band.pk))
                    if cell is not None:
                        cell.asked += n
    return {
        day: [cell for cell in cells.values() if cell.teachers or cell.asked]
        for day, cells in grid.items()
    }


# The live board -----------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile (`fraction` 0.9 for the 90th); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(round(fraction * len(ordered), 9)))
    return ordered[min(len(ordered), rank) - 1]


def waits_of_day(day: dt.date) -> list[float]:
    start = timeutil.at_local(day, dt.time(0))
    end = start + dt.timedelta(days=1)
    rows = Question.objects.filter(
        matched_at__gte=start, matched_at__lt=end, waiting_since__isnull=False
    ).values_list("waiting_since", "matched_at")
    return [max(0.0, (matched - since).total_seconds()) for since, matched in rows]


@dataclass
class TeacherOnDuty:
    shift: Shift
    state: str  # offline | idle | offered | in_session | absent
    sessions: int


def live_board(at: dt.datetime | None = None) -> dict:
    at = at or timeutil.now()
    day = timeutil.today(at)
    active = sessions_open(at)
    since = timeutil.at_local(day, dt.time(0))
    shifts = (
        Shift.objects.filter(day=day)
        .select_related("teacher__user", "band")
        .prefetch_related("subjects")
        .annotate(
            active_sessions=Count(
                "teacher__tutoring_sessions",
                filter=Q(
                    teacher__tutoring_sessions__ended_at__isnull=True,
                    teacher__tutoring_sessions__started_at__gte=since,
                ),
            ),
            has_offer=Exists(
                Question.objects.filter(offered_to=OuterRef("teacher"), status="offered")
            ),
        )
        .order_by("teacher__user__name")
    )
    teachers = []
    for shift in shifts:
        if shift.clocked_in_at is None:
            state = "absent"
        elif shift.active_sessions:
            state = "in_session"
        elif shift.clocked_out_at is not None:
            state = "offline"
        elif shift.has_offer:
            state = "offered"
        else:
            state = "idle"
        teachers.append(TeacherOnDuty(shift, state, shift.active_sessions))
    waiting = (
        Question.objects.filter(status__in=(Question.Status.WAITING, Question.Status.OFFERED))
        .select_related("subject", "grade", "asker")
        .order_by("subject__position", "waiting_since", "pk")
    )
    by_subject: dict = {}
    for question in waiting:
        question.wait = at - question.waiting_since
        by_subject.setdefault(question.subject, []).append(question)
    waits = waits_of_day(day)
    median = statistics.median(waits) if waits else None
    return {
        "teachers": teachers,
        "waiting_by_subject": by_subject,
        "sessions": active.select_related("teacher__user", "student", "question__subject"),
        "median_wait": dt.timedelta(seconds=round(median)) if median is not None else None,
        "p90_wait": (dt.timedelta(seconds=round(percentile(waits, 0.9))) if waits else None),
        "matched_today": len(waits),
    }


# Records --------------------------------------------------------------------------


@dataclass
class TeacherRecord:
    duty_minutes: int
    shifts: int  # served: the teacher went online for them
    upcoming: int  # signed up for, not yet served
    sessions: int
    tutoring_minutes: int
    rating_average: float | None
    rating_count: int
    written_answers: int


def duty_minutes_now(shift: Shift, at: dt.datetime | None = None) -> int:
    """The shift's minutes on duty, counting the time online so far while the teacher is
    online: the stored minutes are added only at going offline."""
    if not shift.is_online:
        return shift.duty_minutes
    at = at or timeutil.now()
    return shift.duty_minutes + max(0, int((at - shift.clocked_in_at).total_seconds() // 60))


def teacher_record(teacher: Teacher, at: dt.datetime | None = None) -> TeacherRecord:
    """What a teacher did, honestly: only shifts served count (a sign-up for a later evening
    is upcoming, not done), tonight's time online counts up to now, and tutoring minutes are
    the sessions' seconds added up and rounded once (floors per session would make ten
    1½-minute sessions 0 minutes)."""
    at = at or timeutil.now()
    all_shifts = Shift.objects.filter(teacher=teacher)
    served = all_shifts.filter(clocked_in_at__isnull=False)
    minutes = served.aggregate(minutes=Sum("duty_minutes"))["minutes"] or 0
    online = online_shifts(at).filter(teacher=teacher).first()
    if online is not None:
        minutes += duty_minutes_now(online, at) - online.duty_minutes
    sessions = TutoringSession.objects.filter(teacher=teacher)
    ended = sessions.filter(ended_at__isnull=False).only("started_at", "ended_at")
    ratings = sessions.aggregate(average=Avg("rating"), count=Count("rating"))
    return TeacherRecord(
        duty_minutes=minutes,
        shifts=served.count(),
        upcoming=all_shifts.filter(clocked_in_at__isnull=True, day__gte=timeutil.today(at)).count(),
        sessions=sessions.count(),
        tutoring_minutes=minutes_rounded(sum(session.seconds for session in ended)),
        rating_average=(round(ratings["average"], 2) if ratings["average"] is not None else None),
        rating_count=ratings["count"],
        written_answers=Question.objects.filter(answered_by=teacher).count(),
    )


def history_for(user) -> list[Question]:
    """Questions of `user`, or of the children of a parent, newest first, with sessions."""
    askers = [user.pk]
    askers += list(Guardianship.objects.filter(guardian=user).values_list("student_id", flat=True))
    return list(
        Question.objects.filter(asker_id__in=askers)
        .select_related("subject", "grade", "asker", "session__teacher__user")
        .order_by("-created_at", "-pk")[:200]
    )


def sessions_of_asker(user_ids) -> list[TutoringSession]:
    return list(
        TutoringSession.objects.filter(student_id__in=user_ids)
        .select_related("teacher__user", "student")
        .order_by("-started_at")
    )


# The bands a district starts with: Chinese data, like grade names, marked so that English
# pages show their translation (GradeBand.__str__).
DEFAULT_BANDS = [
    (gettext_noop("小学低段"), 1, 3),
    (gettext_noop("小学高段"), 4, 6),
    (gettext_noop("初中"), 7, 9),
    (gettext_noop("高中"), 10, 12),
]


def grade_bands(*, served_only: bool = True):
    """The grade bands, created with the defaults the first time they are needed."""
    if not GradeBand.objects.exists():
        for name, low, high in DEFAULT_BANDS:
            GradeBand.objects.get_or_create(name=name, defaults={"low": low, "high": high})
    bands = GradeBand.objects.all()
    return bands.filter(served=True) if served_only else bands
