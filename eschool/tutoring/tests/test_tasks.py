"""The periodic tick: queued questions open, offers expire, the evening closes, absences flagged."""

import pytest

from eschool.org.models import Grade
from eschool.tutoring.models import Question
from eschool.tutoring.services import asking
from eschool.tutoring.tasks import purge_original_photos, tutoring_tick

from .conftest import make_teacher, maths, on_duty, photo_upload

pytestmark = pytest.mark.django_db


def test_an_evening_of_ticks(clock, student, school_a, district_admin):
    clock.at("19:00")
    question = asking.question_ask(
        asker=student, subject=maths(), grade=Grade.objects.get(level=7), text="?"
    )
    teacher = make_teacher("T9100", "值班", school=school_a)
    on_duty(teacher, online_at=clock.at("19:20"))
    on_duty(make_teacher("T9101", "缺席", school=school_a))
    clock.at("19:30")
    assert tutoring_tick.call_local() == {
        "opened": 1,
        "offered": 0,  # the opening already offered it
        "written": 0,
        "sessions_closed": 0,
        "late": 0,
        "missing": 0,
        "clocked_out": 0,
    }
    question.refresh_from_db()
    assert (question.status, question.offered_to) == ("offered", teacher.teacher)
    clock.at("19:31")
    result = tutoring_tick.call_local()
    assert (result["late"], result["written"]) == (0, 0)
    question.refresh_from_db()
    assert question.status == "waiting"  # 30 s passed; nobody else qualified
    clock.at("19:40")
    assert tutoring_tick.call_local()["late"] == 1
    clock.at("21:30")
    result = tutoring_tick.call_local()
    assert (result["written"], result["missing"], result["clocked_out"]) == (1, 1, 1)
    assert Question.objects.get(pk=question.pk).status == "written"


def test_the_nightly_purge(clock, student):
    asking.question_ask(
        asker=student,
        subject=maths(),
        grade=Grade.objects.get(level=7),
        text="?",
        photos=[photo_upload()],
    )
    clock.advance(days=31)
    assert purge_original_photos.call_local() == 1
