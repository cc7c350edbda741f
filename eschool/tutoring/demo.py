"""The demo district's evening tutoring: teachers on duty today and tomorrow, two past
rated sessions of the demo student (called by eschool.core.demo after the accounts exist),
and opening the service now to try it in the daytime (manage.py tutoring_open_now)."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from eschool.accounts.models import Role, Student, Teacher, User
from eschool.core import timeutil
from eschool.tutoring.models import Question, Shift, TutoringSession
from eschool.tutoring.selectors import grade_bands, tutoring_settings
from eschool.tutoring.services.window import Window, window_next, window_of_day

# Teachers on duty each demo evening (the demo teacher first).
TEACHERS_PER_EVENING = 4


def _band_for(teacher: Teacher):
    levels = list(teacher.grades.values_list("level", flat=True))
    bands = list(grade_bands())
    for band in bands:
        if any(band.low <= level <= band.high for level in levels):
            return band
    return next(band for band in bands if band.name == "初中")


def _teachers_on_duty(demo_teacher: Teacher) -> list[Teacher]:
    """The demo teacher and a few colleagues of the same school who teach a subject."""
    others = list(
        Teacher.objects.filter(subjects__isnull=False, school=demo_teacher.school)
        .exclude(pk=demo_teacher.pk)
        .distinct()
        .order_by("pk")[: TEACHERS_PER_EVENING - 1]
    )
    return [demo_teacher, *others]


def _on_duty(teacher: Teacher, day: dt.date) -> tuple[Shift | None, bool]:
    """(`teacher`'s shift on `day` for their first two subjects, whether it was made now);
    (None, False) for a teacher without subjects."""
    subjects = list(teacher.subjects.all()[:2])
    if not subjects:
        return None, False
    shift, created = Shift.objects.get_or_create(
        teacher=teacher, day=day, defaults={"band": _band_for(teacher)}
    )
    if created:
        shift.subjects.set(subjects)
    return shift, created


def demo_tutoring(*, teacher_username: str, student_username: str) -> int:
    """Shifts for the next two service evenings and two rated past sessions; the shift count."""
    demo_teacher = Teacher.objects.get(user__username=teacher_username)
    teachers = _teachers_on_duty(demo_teacher)
    evenings = []
    at = timeutil.now()
    while len(evenings) < 2:
        window = window_next(at)
        if window is None:
            break
        evenings.append(window.day)
        at = window.closes_at
    made = 0
    for day in evenings:
        for teacher in teachers:
            made += int(_on_duty(teacher, day)[1])
    student_user = User.objects.get(username=student_username, role=Role.STUDENT)
    student = Student.objects.get(user=student_user)
    subject = demo_teacher.subjects.first()
    if subject is not None and not TutoringSession.objects.filter(student=student_user).exists():
        for days_ago, rating, text, comment in (
            (3, 5, "一元一次方程移项总是出错，怎么检查？", "老师讲得很清楚，谢谢！"),
            (1, 4, "这道几何题的辅助线怎么想到？", "有帮助"),
        ):
            asked = timeutil.at_local(
                timeutil.today() - dt.timedelta(days=days_ago), dt.time(19, 40)
            )
            question = Question.objects.create(
                asker=student_user,
                subject=subject,
                grade=student.grade,
                text=text,
                status=Question.Status.CLOSED,
                created_at=asked,
                waiting_since=asked,
                matched_at=asked + dt.timedelta(seconds=50),
                closed_at=asked + dt.timedelta(minutes=18),
            )
            TutoringSession.objects.create(
                question=question,
                teacher=demo_teacher,
                student=student_user,
                started_at=question.matched_at,
                ended_at=question.closed_at,
                ended_by=demo_teacher.user,
                rating=rating,
                comment=comment,
                rated_at=question.closed_at,
            )
    return made


# Trying evening tutoring in the daytime ---------------------------------------------------

OPEN_NOW_HOURS = 2
LAST_MINUTE = dt.time(23, 59)


@dataclass
class OpenNow:
    window: Window
    before: str  # the window as it was, e.g. "19:30–21:30, 1,2,3,4,5,6"
    shifts: list[Shift]
    holidays_ignored: bool


def tutoring_open_now(*, teachers: list[Teacher], hours: int = OPEN_NOW_HOURS) -> OpenNow:
    """For a demo or a developer: today's service window covers the next `hours` (from this
    minute, at the latest until 23:59) and `teachers` are on duty tonight.

    It rewrites the district's window for every day (the settings page sets it back);
    today becomes a service day, and a day without classes no longer stops the service.
    Raises ValueError when less than a quarter of an hour is left today.
    """
    at = timeutil.now()
    local = timeutil.local(at)
    start = local.time().replace(second=0, microsecond=0)
    end_at = local.replace(second=0, microsecond=0) + dt.timedelta(hours=hours)
    end = LAST_MINUTE if end_at.date() != local.date() else end_at.time()
    if dt.datetime.combine(local.date(), end) - dt.datetime.combine(local.date(), start) < (
        dt.timedelta(minutes=15)
    ):
        raise ValueError("less than a quarter of an hour is left today")
    row = tutoring_settings()
    before = f"{row.window_start:%H:%M}–{row.window_end:%H:%M}, {row.weekdays}"
    today = timeutil.today(at)
    weekdays = row.weekday_numbers | {today.isoweekday()}
    with transaction.atomic():
        row.window_start, row.window_end = start, end
        row.weekdays = ",".join(str(day) for day in sorted(weekdays))
        holidays_ignored = row.holidays_off and window_of_day(today, settings_row=row) is None
        if holidays_ignored:
            row.holidays_off = False
        row.save(update_fields=["window_start", "window_end", "weekdays", "holidays_off"])
        shifts = [shift for teacher in teachers if (shift := _on_duty(teacher, today)[0])]
    return OpenNow(window_of_day(today), before, shifts, holidays_ignored)


def demo_teachers_on_duty() -> list[Teacher]:
    """The demo's teacher (T1001) and a few colleagues, as on the demo's evenings."""
    from eschool.core.demo import demo_logins

    login = demo_logins()[2].login
    return _teachers_on_duty(Teacher.objects.get(user__username=login))
