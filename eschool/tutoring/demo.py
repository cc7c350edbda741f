"""The demo district's evening tutoring: teachers on duty today and tomorrow, two past
rated sessions of the demo student. Called by eschool.core.demo after the accounts exist."""

import datetime as dt

from eschool.accounts.models import Role, Student, Teacher, User
from eschool.core import timeutil
from eschool.tutoring.models import Question, Shift, TutoringSession
from eschool.tutoring.selectors import grade_bands
from eschool.tutoring.services.window import window_next

# Teachers on duty each demo evening (the demo teacher first).
TEACHERS_PER_EVENING = 4


def _band_for(teacher: Teacher):
    levels = list(teacher.grades.values_list("level", flat=True))
    bands = list(grade_bands())
    for band in bands:
        if any(band.low <= level <= band.high for level in levels):
            return band
    return next(band for band in bands if band.name == "初中")


def demo_tutoring(*, teacher_username: str, student_username: str) -> int:
    """Shifts for the next two service evenings and two rated past sessions; the shift count."""
    demo_teacher = Teacher.objects.get(user__username=teacher_username)
    others = list(
        Teacher.objects.filter(subjects__isnull=False, school=demo_teacher.school)
        .exclude(pk=demo_teacher.pk)
        .distinct()
        .order_by("pk")[: TEACHERS_PER_EVENING - 1]
    )
    teachers = [demo_teacher, *others]
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
            subjects = list(teacher.subjects.all()[:2])
            if not subjects:
                continue
            shift, created = Shift.objects.get_or_create(
                teacher=teacher, day=day, defaults={"band": _band_for(teacher)}
            )
            if created:
                shift.subjects.set(subjects)
                made += 1
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
