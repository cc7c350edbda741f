"""Evening tutoring on phones: a student asks with photos (picked twice, three kept at most,
one taken back), a teacher on duty accepts, and the student's wait page follows into the
room by itself (htmx polling).

The clock is frozen on a Monday at 19:45, inside the service window.
"""

import datetime as dt

import pytest
from PIL import Image
from playwright.sync_api import expect

from eschool.core import timeutil
from eschool.tutoring.models import Question, Shift, TutoringSession
from eschool.tutoring.selectors import grade_bands

from .conftest import assert_fits_a_phone, in_chinese, log_in, new_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MONDAY_EVENING = timeutil.at_local(dt.date(2026, 12, 7), dt.time(19, 45))


@pytest.fixture
def evening(monkeypatch):
    monkeypatch.setattr(timeutil, "_frozen", MONDAY_EVENING.astimezone(dt.UTC))


@pytest.fixture
def teacher_on_duty(teacher, evening):
    shift = Shift.objects.create(
        teacher=teacher.teacher, day=dt.date(2026, 12, 7), band=grade_bands().get(name="初中")
    )
    shift.subjects.set(teacher.teacher.subjects.all())
    online = MONDAY_EVENING - dt.timedelta(minutes=15)
    Shift.objects.filter(pk=shift.pk).update(clocked_in_at=online, idle_since=online)
    return teacher


def homework_photo(tmp_path, number=1):
    path = tmp_path / f"作业{number}.jpg"
    Image.new("RGB", (1600, 1200), (240, 240, 230 - number)).save(path, format="JPEG")
    return path


def test_a_student_asks_with_a_photo_and_a_teacher_accepts(
    chromium, asgi_server, student, teacher_on_duty, tmp_path
):
    student_context, student_page = new_page(chromium)
    teacher_context, teacher_page = new_page(chromium)
    try:
        log_in(student_page, asgi_server, student.username)
        student_page.get_by_role("link", name=in_chinese("Evening tutoring")).click()
        expect(student_page.get_by_role("heading", level=1)).to_have_text(
            in_chinese("Ask a teacher")
        )
        assert_fits_a_phone(student_page)
        student_page.get_by_label(in_chinese("Subject")).select_option(label="数学")
        student_page.get_by_label(in_chinese("Your question")).fill("第3题的分数怎么通分？")
        # Two photos from the gallery, then two more (one pick each on a phone's camera):
        # three are kept, the page says so, and one is taken off the list again.
        photos = student_page.get_by_label(in_chinese("Photos (up to 3)"))
        photos.set_input_files([str(homework_photo(tmp_path, n)) for n in (1, 2)])
        picks = student_page.locator("#photo-picks li")
        expect(picks).to_have_count(2)
        photos.set_input_files([str(homework_photo(tmp_path, n)) for n in (3, 4)])
        expect(picks).to_have_count(3)
        # (Found by place, not by text: these strings are new to the catalogue.)
        expect(student_page.locator("#photo-picks [role=status]")).to_contain_text("3")
        expect(picks).to_contain_text(["作业1.jpg", "作业2.jpg", "作业3.jpg"])
        assert_fits_a_phone(student_page)
        remove = picks.nth(1).get_by_role("button")
        assert "作业2.jpg" in remove.get_attribute("aria-label")
        remove.click()
        expect(picks).to_have_count(2)
        assert photos.evaluate("input => input.files.length") == 2
        student_page.get_by_role("button", name=in_chinese("Ask now")).click()

        question = Question.objects.get(asker=student)
        expect(student_page.locator(".queue-place")).to_be_visible()
        expect(student_page.locator(".question-text")).to_have_text("第3题的分数怎么通分？")
        assert question.photos.count() == 2
        assert_fits_a_phone(student_page)

        log_in(teacher_page, asgi_server, teacher_on_duty.username)
        teacher_page.goto(asgi_server + "/tutoring/duty/")
        offer = teacher_page.locator(".offer")
        expect(offer).to_contain_text("第3题的分数怎么通分？")
        expect(offer.get_by_role("img")).to_have_count(2)
        assert_fits_a_phone(teacher_page)
        offer.get_by_role("button", name=in_chinese("Accept")).click()

        session = TutoringSession.objects.get(question=question)
        expect(teacher_page).to_have_url(f"{asgi_server}/tutoring/session/{session.pk}/")
        # The student's page polls its status and follows the HX-Redirect into the room.
        expect(student_page).to_have_url(
            f"{asgi_server}/tutoring/session/{session.pk}/", timeout=15_000
        )
        assert Question.objects.get(pk=question.pk).status == "in_session"
    finally:
        student_context.close()
        teacher_context.close()
