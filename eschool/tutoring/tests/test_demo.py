"""The demo's evening tutoring: shifts on the next two evenings, two rated past sessions."""

import pytest

from eschool.tutoring.demo import demo_tutoring
from eschool.tutoring.models import Shift, TutoringSession
from eschool.tutoring.selectors import teacher_record

from .conftest import MONDAY, TUESDAY, make_teacher

pytestmark = pytest.mark.django_db


def test_demo_tutoring(clock, teacher, student, school_a):
    clock.at("10:00")
    make_teacher("T8001", "王老师", school=school_a, subjects=("英语",))
    made = demo_tutoring(teacher_username=teacher.username, student_username=student.username)
    assert made == 4
    assert sorted(set(Shift.objects.values_list("day", flat=True))) == [MONDAY, TUESDAY]
    assert Shift.objects.get(teacher=teacher.teacher, day=MONDAY).band.name == "初中"
    record = teacher_record(teacher.teacher)
    assert (record.sessions, record.rating_count, record.rating_average) == (2, 2, 4.5)
    assert record.tutoring_minutes == 34  # 2 × 17 min (18 min after asking, after 50 s wait)
    # Loading again adds nothing.
    assert demo_tutoring(teacher_username=teacher.username, student_username=student.username) == 0
    assert TutoringSession.objects.count() == 2
