"""Shared set-up of the booking tests: sessions with seats and more students."""

from eschool.accounts.models import Role, Student
from eschool.classroom.models import Session
from eschool.core.testing import make_user
from eschool.org.models import Grade, Homeroom


def make_student(username, name, *, school, grade_level=7, homeroom_number=3, **extra):
    grade = Grade.objects.get(level=grade_level)
    homeroom = Homeroom.objects.get_or_create(school=school, grade=grade, number=homeroom_number)[0]
    user = make_user(username, name, Role.STUDENT, school=school, **extra)
    Student.objects.create(user=user, school=school, grade=grade, homeroom=homeroom)
    return user


def seat_maker(make_session):
    """make(...) -> a session (today 14:00–14:40, 七年级 数学 by default) with `capacity` seats.

    Each booking test module wraps it in its own `seated` fixture.
    """

    def make(*, capacity=2, start="14:00", end="14:40", open_to_public=False, **fields):
        session = make_session(start=start, end=end, **fields)
        Session.objects.filter(pk=session.pk).update(
            capacity=capacity, open_to_public=open_to_public
        )
        session.refresh_from_db()
        return session

    return make
