"""Two phones chat beside a session's video over the real WebSocket (whole ASGI app)."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from eschool.browser_tests.conftest import PHONE, assert_no_horizontal_scroll, in_chinese
from eschool.chat.models import Message
from eschool.classroom.models import Session
from eschool.core import timeutil
from eschool.core.testing import PASSWORD
from eschool.org.models import Grade, Stage, Subject

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
DAY = dt.date(2026, 12, 7)
SCRIPT = "<script>window.pwned = 1</script>老师好"


def at(hhmm: str) -> dt.datetime:
    return timeutil.at_local(DAY, timeutil.parse_hhmm(hhmm))


@pytest.fixture
def lesson(monkeypatch, teacher):
    # The server thread reads the same clock: 10:00, during the class.
    monkeypatch.setattr(timeutil, "_frozen", at("10:00").astimezone(dt.UTC))
    session = Session.objects.create(
        day=DAY,
        starts_at=at("09:40"),
        ends_at=at("10:20"),
        title="分数的加减",
        stage=Stage.JUNIOR,
        subject=Subject.objects.get(name="数学"),
        teacher=teacher.teacher,
    )
    session.grades.set(Grade.objects.filter(name="七年级"))
    return session


def phone(chromium, base, username):
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(base + "/accounts/login/")
    page.get_by_label(in_chinese("Student/staff number or mobile number")).fill(username)
    page.get_by_label(in_chinese("Password")).fill(PASSWORD)
    page.get_by_role("button", name=in_chinese("Log in")).click()
    expect(page.get_by_role("button", name=in_chinese("Log out"), exact=True)).to_be_visible()
    return context, page


def test_two_phones_chat_and_the_teacher_hides_a_message(
    chromium, asgi_server, lesson, student, teacher
):
    student_context, pupil = phone(chromium, asgi_server, student.username)
    teacher_context, master = phone(chromium, asgi_server, teacher.username)
    for page in (pupil, master):
        page.goto(f"{asgi_server}/sessions/{lesson.pk}/")
        expect(page.locator("[data-chat-panel] [data-status]")).to_be_hidden()  # connected

    pupil.get_by_label(in_chinese("Your message")).fill(SCRIPT)
    pupil.get_by_label(in_chinese("Your message")).press("Enter")
    teacher_lines = master.locator('[data-list="chat"] .chat-text')
    expect(teacher_lines).to_have_text([SCRIPT])  # shown as typed, once
    expect(pupil.locator('[data-list="chat"] .chat-text')).to_have_text([SCRIPT])
    assert master.evaluate("window.pwned") is None

    master.get_by_label(in_chinese("Your message")).fill("同学好")
    master.get_by_role("button", name=in_chinese("Send")).click()
    expect(pupil.locator('[data-list="chat"] .chat-text')).to_have_text([SCRIPT, "同学好"])

    # A question goes to the other tab; the teacher marks it answered.
    pupil.get_by_role("tab", name=in_chinese("Questions")).click()
    pupil.get_by_label(in_chinese("Your question for the teacher")).fill("第三题怎么做？")
    pupil.get_by_label(in_chinese("Your question for the teacher")).press("Enter")
    master.get_by_role("tab", name=in_chinese("Questions")).click()
    question = master.locator('[data-list="question"] .chat-message')
    expect(question.locator(".chat-text")).to_have_text(["第三题怎么做？"])
    question.get_by_role("button", name=in_chinese("Mark answered")).click()
    expect(pupil.locator('[data-list="question"] .chat-answered')).to_have_text(
        [in_chinese("Answered")]
    )

    master.get_by_role("tab", name=in_chinese("Chat")).click()
    first = master.locator('[data-list="chat"] .chat-message').first
    first.get_by_role("button", name=in_chinese("Hide")).click()
    expect(pupil.locator('[data-list="chat"] .chat-text')).to_have_text(["同学好"])
    expect(master.locator('[data-list="chat"] .chat-text')).to_have_text(["同学好"])

    for page in (pupil, master):
        assert_no_horizontal_scroll(page)
    assert Message.objects.filter(hidden_at__isnull=False).count() == 1
    assert Message.objects.count() == 3
    student_context.close()
    teacher_context.close()
