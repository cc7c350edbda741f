"""Two phones chat beside a session's video over the real WebSocket (whole ASGI app)."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from eschool.browser_tests.conftest import assert_fits_a_phone, in_chinese, log_in, new_page
from eschool.chat.models import Message
from eschool.classroom.models import Session
from eschool.core import timeutil
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
    context, page = new_page(chromium)
    log_in(page, base, username)
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
    # Pinned: above the chat on the student's phone.
    question.get_by_role("button", name=in_chinese("Pin")).click()
    expect(pupil.locator("[data-pinned-list] li")).to_have_text([f"{student.name}：第三题怎么做？"])
    expect(pupil.locator('[data-list="question"] .chat-pinned-badge')).to_be_visible()

    master.get_by_role("tab", name=in_chinese("Chat")).click()
    first = master.locator('[data-list="chat"] .chat-message').first
    first.get_by_role("button", name=in_chinese("Hide")).click()
    expect(pupil.locator('[data-list="chat"] .chat-text')).to_have_text(["同学好"])
    expect(master.locator('[data-list="chat"] .chat-text')).to_have_text(["同学好"])

    for page in (pupil, master):
        assert_fits_a_phone(page)
    assert Message.objects.filter(hidden_at__isnull=False).count() == 1
    assert Message.objects.count() == 3
    student_context.close()
    teacher_context.close()


def test_a_half_written_question_survives_the_page_reloading(
    chromium, asgi_server, lesson, student
):
    # The player reloads the page once when the live starts; a reload by hand is the same.
    context, pupil = phone(chromium, asgi_server, student.username)
    pupil.goto(f"{asgi_server}/sessions/{lesson.pk}/")
    expect(pupil.locator("[data-chat-panel] [data-status]")).to_be_hidden()
    pupil.get_by_role("tab", name=in_chinese("Questions")).click()
    pupil.get_by_label(in_chinese("Your question for the teacher")).fill("我写了一半的问题")

    pupil.reload()

    expect(pupil.get_by_role("tab", name=in_chinese("Questions"))).to_have_attribute(
        "aria-selected", "true"
    )
    expect(pupil.get_by_label(in_chinese("Your question for the teacher"))).to_have_value(
        "我写了一半的问题"
    )
    # Sent, it is not put back by the next load.
    pupil.get_by_label(in_chinese("Your question for the teacher")).press("Enter")
    expect(pupil.locator('[data-list="question"] .chat-text')).to_have_text(["我写了一半的问题"])
    pupil.reload()
    expect(pupil.get_by_label(in_chinese("Your message"))).to_have_value("")
    context.close()


def test_a_phone_that_lost_its_connection_gets_what_it_missed_once(
    chromium, asgi_server, lesson, student, teacher
):
    student_context, pupil = phone(chromium, asgi_server, student.username)
    teacher_context, master = phone(chromium, asgi_server, teacher.username)
    for page in (pupil, master):
        page.goto(f"{asgi_server}/sessions/{lesson.pk}/")
        expect(page.locator("[data-chat-panel] [data-status]")).to_be_hidden()
    master.get_by_label(in_chinese("Your message")).fill("上课了")
    master.get_by_label(in_chinese("Your message")).press("Enter")
    expect(pupil.locator('[data-list="chat"] .chat-text')).to_have_text(["上课了"])

    # The connection drops, and stays down until the test lets the page reconnect.
    pupil.evaluate(
        """() => {
          const chat = document.querySelector('[data-chat-panel]').chat;
          chat.realConnect = chat.connect;
          chat.connect = () => {};
          chat.socket.close();
        }"""
    )
    expect(pupil.locator("[data-chat-panel] [data-status]")).to_have_text(
        in_chinese("Connection lost; reconnecting…")
    )
    for text in ("第一题", "第二题"):
        master.get_by_label(in_chinese("Your message")).fill(text)
        master.get_by_label(in_chinese("Your message")).press("Enter")
    expect(master.locator('[data-list="chat"] .chat-text')).to_have_text(
        ["上课了", "第一题", "第二题"]
    )
    # Written while offline: kept and sent after reconnecting.
    pupil.get_by_label(in_chinese("Your message")).fill("我掉线了")
    pupil.get_by_label(in_chinese("Your message")).press("Enter")

    pupil.evaluate(
        """() => {
          const chat = document.querySelector('[data-chat-panel]').chat;
          chat.connect = chat.realConnect;
          chat.connect();
        }"""
    )
    everything = ["上课了", "第一题", "第二题", "我掉线了"]
    expect(pupil.locator('[data-list="chat"] .chat-text')).to_have_text(everything)
    expect(master.locator('[data-list="chat"] .chat-text')).to_have_text(everything)
    assert Message.objects.filter(text="我掉线了").count() == 1
    student_context.close()
    teacher_context.close()


def replay_with_chat(teacher, student, settings, tmp_path, monkeypatch, chat) -> Session:
    """A class of DAY with its 12 s replay, seen after it; `chat` is (text, offset) pairs
    written by `student` during the broadcast (offset None: before it went live)."""
    from django.core.files import File

    from eschool.live import services as live_services
    from eschool.live.media import make_test_video
    from eschool.live.models import Broadcast, Recording

    settings.ESCHOOL_REPLAY_RENDITIONS = ((320, 180),)
    monkeypatch.setattr(timeutil, "_frozen", at("12:00").astimezone(dt.UTC))  # after the class
    session = Session.objects.create(
        day=DAY,
        starts_at=at("09:40"),
        ends_at=at("10:20"),
        title="光的折射",
        stage=Stage.JUNIOR,
        teacher=teacher.teacher,
    )
    clip = tmp_path / "lesson.mp4"
    make_test_video(clip, seconds=12, width=320, height=180)
    with clip.open("rb") as upload:
        recording = live_services.recording_upload(
            actor=teacher, session=session, uploaded_file=File(upload, name="lesson.mp4")
        )
    assert Recording.objects.get(pk=recording.pk).status == "ready"
    Broadcast.objects.create(
        session=session, status=Broadcast.Status.ENDED, started_at=at("09:40"), ended_at=at("10:20")
    )
    for text, offset in chat:
        Message.objects.create(
            session=session,
            author=student,
            text=text,
            created_at=at("09:40"),
            offset_seconds=offset,
        )
    return session


def test_the_kept_chat_follows_the_replay(
    chromium, asgi_server, student, teacher, settings, tmp_path, monkeypatch
):
    session = replay_with_chat(
        teacher,
        student,
        settings,
        tmp_path,
        monkeypatch,
        [("课前好", None), ("两秒", 2.0), ("八秒", 8.0)],
    )
    student_context, pupil = phone(chromium, asgi_server, student.username)
    pupil.goto(f"{asgi_server}/sessions/{session.pk}/")
    assert pupil.locator("video").get_attribute("data-mode") == "replay"
    expect(pupil.locator("[data-chat-panel] [data-status]")).to_have_text(
        in_chinese("Chat from the broadcast, shown as the replay plays.")
    )
    expect(pupil.locator("[data-chat-panel] [data-form]")).to_be_hidden()
    shown = pupil.locator('[data-list="chat"] .chat-message:not([hidden]) .chat-text')
    expect(shown).to_have_text(["课前好"])

    pupil.wait_for_function("window.Hls !== undefined")
    pupil.evaluate("const v = document.querySelector('video'); v.muted = true; v.play()")
    pupil.wait_for_function("document.querySelector('video').currentTime > 0.5")
    pupil.evaluate("const v = document.querySelector('video'); v.pause(); v.currentTime = 5")
    expect(shown).to_have_text(["课前好", "两秒"])
    pupil.evaluate("document.querySelector('video').currentTime = 9")
    expect(shown).to_have_text(["课前好", "两秒", "八秒"])
    pupil.evaluate("document.querySelector('video').currentTime = 1")
    expect(shown).to_have_text(["课前好"])
    assert_fits_a_phone(pupil)
    student_context.close()


def test_a_replay_whose_chat_is_all_shown_at_once_does_not_also_say_there_is_none(
    chromium, asgi_server, student, teacher, settings, tmp_path, monkeypatch
):
    # Only messages from before the broadcast: all shown from 0:00, with no sync to refresh.
    session = replay_with_chat(
        teacher, student, settings, tmp_path, monkeypatch, [("课前好", None)]
    )
    student_context, pupil = phone(chromium, asgi_server, student.username)
    pupil.goto(f"{asgi_server}/sessions/{session.pk}/")
    shown = pupil.locator('[data-list="chat"] .chat-message:not([hidden]) .chat-text')
    expect(shown).to_have_text(["课前好"])
    expect(pupil.locator('[data-chat-panel] [data-empty="chat"]')).to_be_hidden()
    student_context.close()


def test_a_replay_at_its_start_shows_none_of_the_chat_written_during_the_broadcast(
    chromium, asgi_server, student, teacher, settings, tmp_path, monkeypatch
):
    # Every message has an offset: at 0:00 none is shown yet and the panel says so.
    session = replay_with_chat(
        teacher, student, settings, tmp_path, monkeypatch, [("两秒", 2.0), ("八秒", 8.0)]
    )
    student_context, pupil = phone(chromium, asgi_server, student.username)
    pupil.goto(f"{asgi_server}/sessions/{session.pk}/")
    expect(pupil.locator("[data-chat-panel] [data-status]")).to_have_text(
        in_chinese("Chat from the broadcast, shown as the replay plays.")
    )
    messages = pupil.locator('[data-list="chat"] .chat-message')
    expect(messages).to_have_count(2)  # loaded, and waiting for their moment
    shown = pupil.locator('[data-list="chat"] .chat-message:not([hidden]) .chat-text')
    empty = pupil.locator('[data-empty="chat"]')
    expect(shown).to_have_count(0)
    expect(empty).to_have_text(in_chinese("No messages yet."))
    expect(empty).to_be_visible()
    assert pupil.evaluate("document.querySelector('video').currentTime") == 0

    pupil.wait_for_function("window.Hls !== undefined")
    pupil.evaluate("const v = document.querySelector('video'); v.muted = true; v.play()")
    pupil.wait_for_function("document.querySelector('video').currentTime > 0.5")
    pupil.evaluate("const v = document.querySelector('video'); v.pause(); v.currentTime = 5")
    expect(shown).to_have_text(["两秒"])
    expect(empty).to_be_hidden()
    pupil.evaluate("document.querySelector('video').currentTime = 1")
    expect(shown).to_have_count(0)
    expect(empty).to_be_visible()
    assert_fits_a_phone(pupil)
    student_context.close()


def test_a_district_events_viewers_read_the_organisers_messages_without_a_socket(
    chromium, asgi_server, lesson, student, teacher
):
    Session.objects.filter(pk=lesson.pk).update(kind=Session.Kind.EVENT, title="升旗仪式")
    student_context, pupil = phone(chromium, asgi_server, student.username)
    teacher_context, master = phone(chromium, asgi_server, teacher.username)
    sockets = []
    pupil.on("websocket", lambda socket: sockets.append(socket.url))
    pupil.goto(f"{asgi_server}/sessions/{lesson.pk}/")
    master.goto(f"{asgi_server}/sessions/{lesson.pk}/")
    expect(master.locator("[data-chat-panel] [data-status]")).to_be_hidden()  # connected
    expect(
        pupil.get_by_text(in_chinese("During a district event only its organisers write here."))
    ).to_be_visible()
    assert pupil.get_by_label(in_chinese("Your message")).count() == 0

    master.get_by_label(in_chinese("Your message")).fill("请全体起立")
    master.get_by_label(in_chinese("Your message")).press("Enter")
    expect(master.locator('[data-list="chat"] .chat-text')).to_have_text(["请全体起立"])
    # The viewer's page polls recent.json every 5 s (cached 2 s for everyone).
    expect(pupil.locator('[data-list="chat"] .chat-text')).to_have_text(
        ["请全体起立"], timeout=20_000
    )

    master.locator('[data-list="chat"] .chat-message').first.get_by_role(
        "button", name=in_chinese("Hide")
    ).click()
    expect(pupil.locator('[data-list="chat"] .chat-text')).to_have_count(0, timeout=20_000)
    assert not [url for url in sockets if "/chat/" in url]  # no chat socket for the viewer
    assert_fits_a_phone(pupil)
    student_context.close()
    teacher_context.close()
