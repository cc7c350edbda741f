"""The tutoring room in two browsers: a student on a 375 px phone and a teacher on a laptop.

They chat (a message typed as HTML is shown as typed), the teacher draws on the whiteboard
and the stroke appears on the student's board while it is being drawn, the student's own
stroke is undone on both boards, the student's
connection drops and resumes without losing or repeating anything, a message whose broadcast
was lost reaches the idle student at the next sync, and the teacher ends the session: the
student is asked to rate it.
"""

import pytest
from django.db.models import Max
from playwright.sync_api import expect

from eschool.core import timeutil
from eschool.tutoring.models import RoomMessage
from eschool.tutoring.tests.test_room_services import make_session

from .conftest import DESKTOP, PHONE, assert_fits_a_phone, in_chinese, log_in, new_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def open_as(chromium, base, user, session, viewport):
    context, page = new_page(chromium, viewport)
    # The page's clock runs as usual, and a test may move it on (the idle sync is at 25 s).
    page.clock.install()
    log_in(page, base, user.username)
    page.goto(f"{base}/tutoring/session/{session.pk}/")
    expect(page.locator("#room-status")).to_have_text(in_chinese("Connected"))
    return context, page


def say(page, text):
    page.get_by_label(in_chinese("Message")).fill(text)
    page.get_by_role("button", name=in_chinese("Send"), exact=True).click()


def board_strokes(page) -> int:
    return page.evaluate("document.getElementById('room').__board.strokes.length")


def test_a_student_and_a_teacher_chat_draw_resume_and_end(asgi_server, chromium, student, teacher):
    session = make_session(student, teacher)
    student_context, pupil = open_as(chromium, asgi_server, student, session, PHONE)
    teacher_context, tutor = open_as(chromium, asgi_server, teacher, session, DESKTOP)
    try:
        say(pupil, "<b>老师好</b>，第二题不会")
        expect(tutor.locator("#room-log .text")).to_have_text(["<b>老师好</b>，第二题不会"])
        say(tutor, "我们看图")
        expect(pupil.locator("#room-log .text")).to_have_text(
            ["<b>老师好</b>，第二题不会", "我们看图"]
        )
        assert_fits_a_phone(pupil)

        # The teacher draws; the student's board shows the stroke while the pen is still down.
        tutor.get_by_role("tab", name=in_chinese("Whiteboard")).click()
        pupil.get_by_role("tab", name=in_chinese("Whiteboard")).click()
        box = tutor.locator("#board canvas").bounding_box()
        tutor.mouse.move(box["x"] + 20, box["y"] + 20)
        tutor.mouse.down()
        for step in range(1, 15):
            tutor.mouse.move(box["x"] + 20 + step * 15, box["y"] + 20 + step * 8)
        pupil.wait_for_function("document.getElementById('room').__board.strokes.length === 1")
        tutor.mouse.up()
        pupil.wait_for_function(
            "(() => { const s = document.getElementById('room').__board.strokes;"
            " return s.length === 1 && !s[0].live && s[0].key.startsWith('teacher:'); })()"
        )
        # The student draws a stroke of their own and takes it back: gone on both boards.
        box = pupil.locator("#board canvas").bounding_box()
        pupil.mouse.move(box["x"] + 30, box["y"] + 60)
        pupil.mouse.down()
        pupil.mouse.move(box["x"] + 120, box["y"] + 90)
        pupil.mouse.up()
        tutor.wait_for_function("document.getElementById('room').__board.strokes.length === 2")
        pupil.get_by_role("button", name=in_chinese("Undo")).click()
        tutor.wait_for_function("document.getElementById('room').__board.strokes.length === 1")
        assert board_strokes(pupil) == 1
        assert_fits_a_phone(pupil)

        # The student's connection drops; what the teacher says meanwhile arrives once.
        pupil.get_by_role("tab", name=in_chinese("Chat")).click()
        tutor.get_by_role("tab", name=in_chinese("Chat")).click()
        pupil.context.set_offline(True)
        pupil.evaluate("document.getElementById('room').__drop()")
        expect(pupil.locator("#room-status")).to_have_text(
            in_chinese("Connection lost. Reconnecting…")
        )
        say(tutor, "先移项")
        expect(tutor.locator("#room-log .room-message.mine:not(.pending)")).to_have_count(2)
        # What the student writes meanwhile is sent on return, after what they missed, and
        # both sides show the same order.
        say(pupil, "我再算一遍")
        pupil.context.set_offline(False)
        said = ["<b>老师好</b>，第二题不会", "我们看图", "先移项", "我再算一遍"]
        expect(pupil.locator("#room-log .text")).to_have_text(said)
        expect(pupil.locator("#room-log .pending")).to_have_count(0)
        expect(tutor.locator("#room-log .text")).to_have_text(said)
        assert board_strokes(pupil) == 1

        # A message whose broadcast was lost (stored, never announced): the student's idle
        # page asks for what is new after 25 s and shows it.
        last = RoomMessage.objects.filter(session=session).aggregate(last=Max("seq"))["last"]
        RoomMessage.objects.create(
            session=session,
            seq=last + 1,
            author=teacher,
            client_id="lost",
            kind="text",
            body={"text": "这条广播丢了"},
            created_at=timeutil.now(),
        )
        pupil.clock.fast_forward(30_000)
        expect(pupil.locator("#room-log .text")).to_have_text([*said, "这条广播丢了"])

        # The student is typing when the teacher ends the session (the teacher's clock held,
        # so "… is typing" cannot simply time out): the end clears it.
        tutor.clock.pause_at(tutor.evaluate("Date.now()") + 1000)
        pupil.get_by_label(in_chinese("Message")).fill("还有一个问题")
        expect(tutor.locator("#room-typing")).not_to_have_text("")
        # The teacher ends the session; the student is asked to rate it.
        tutor.once("dialog", lambda dialog: dialog.accept())
        tutor.get_by_role("button", name=in_chinese("End session")).click()
        expect(tutor.locator("#room-status")).to_have_text(in_chinese("The session has ended."))
        expect(tutor.locator("#room-typing")).to_have_text("")
        expect(pupil.get_by_text(in_chinese("How was this session?"))).to_be_visible()
        # What the student was typing stays on screen to copy, but can no longer be sent.
        expect(pupil.locator("#room-text")).to_have_value("还有一个问题")
        expect(pupil.locator("#room-text")).not_to_be_editable()
        expect(pupil.locator("#room-send")).to_be_hidden()
        pupil.get_by_label("5 ★").check()
        pupil.get_by_role("button", name=in_chinese("Send rating")).click()
        expect(pupil.get_by_text(in_chinese("Thank you for rating the session."))).to_be_visible()
        session.refresh_from_db()
        assert session.rating == 5 and session.ended_by == teacher
        assert_fits_a_phone(pupil)
    finally:
        student_context.close()
        teacher_context.close()
