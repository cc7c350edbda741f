"""Posting, refusals, moderation and the kept chat."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.utils import translation

from eschool.chat import selectors, services
from eschool.chat.models import Message, Mute
from eschool.classroom.models import Session
from eschool.core import timeutil
from eschool.live.models import Broadcast
from eschool.safety import services as safety

from .conftest import shanghai


def post(author, session, text="大家好", **extra):
    return services.message_post(author=author, session=session, text=text, **extra)


def test_a_message_is_stored_with_its_offset_into_the_broadcast(session, student):
    Broadcast.objects.create(session=session, status="live", started_at=shanghai("09:45"))
    message = post(student, session, "老师好", kind="question")
    message.refresh_from_db()
    assert (message.kind, message.text, message.offset_seconds) == ("question", "老师好", 900.0)
    assert message.created_at == shanghai("10:00")


def test_without_a_broadcast_the_offset_is_none(session, student):
    assert post(student, session).offset_seconds is None
    Broadcast.objects.create(session=session)  # waiting, never started
    assert post(student, session, "再来").offset_seconds is None


def test_sensitive_words_and_contacts_are_masked_before_storing(session, student, district_admin):
    safety.word_add(actor=district_admin, word="坏蛋")
    message = post(student, session, "你是ＢＡＤ坏 蛋，加我微信 wang_123 或打13800138000")
    assert message.text == "你是ＢＡＤ＊＊＊，加我微信 ＊＊＊＊＊＊＊＊ 或打＊＊＊＊＊＊＊＊＊＊＊"


def test_html_is_stored_as_typed_and_the_json_carries_it_as_text(session, student, client):
    message = post(student, session, "<script>alert(1)</script>")
    assert message.text == "<script>alert(1)</script>"
    client.force_login(student)
    data = client.get(f"/chat/sessions/{session.pk}/messages.json")
    assert data.json()["messages"][0]["text"] == "<script>alert(1)</script>"


@pytest.mark.parametrize("text", ["", "   \n "])
def test_an_empty_message_is_refused(session, student, text):
    with pytest.raises(services.ChatRefused) as refused:
        post(student, session, text)
    assert refused.value.message == "Write something first."
    assert Message.objects.count() == 0


def test_a_message_too_long_is_refused_in_the_users_language(session, student):
    with override_settings(ESCHOOL_CHAT_MAX_LENGTH=10), pytest.raises(services.ChatRefused) as en:
        post(student, session, "字" * 11)
    assert en.value.message == "A message is at most 10 characters; yours has 11."
    with (
        override_settings(ESCHOOL_CHAT_MAX_LENGTH=10),
        translation.override("zh-hans"),
        pytest.raises(services.ChatRefused) as zh,
    ):
        post(student, session, "字" * 11)
    expected = translation.gettext
    with translation.override("zh-hans"):
        assert zh.value.message == expected(
            "A message is at most %(max)s characters; yours has %(length)s."
        ) % {"max": 10, "length": 11}
    assert Message.objects.count() == 0


def test_the_rate_limits_refuse_the_sixth_message_in_ten_seconds(session, student, monkeypatch):
    sent = [post(student, session, f"第{i}条") for i in range(5)]
    with pytest.raises(services.ChatRefused) as refused:
        post(student, session, "第6条")
    assert refused.value.message == "You are writing too fast. Wait a few seconds, then send again."
    assert Message.objects.count() == len(sent) == 5
    # Ten seconds later the window is new (the per-minute limit still has room).
    monkeypatch.setattr(timeutil, "_frozen", timeutil.now() + dt.timedelta(seconds=10))
    assert post(student, session, "第7条").text == "第7条"


def test_the_per_minute_limit_holds_across_ten_second_windows(session, student, monkeypatch):
    start = timeutil.now()
    count = 0
    for window in range(7):
        monkeypatch.setattr(timeutil, "_frozen", start + dt.timedelta(seconds=10 * window))
        for _ in range(5):
            try:
                post(student, session, "刷屏")
                count += 1
            except services.ChatRefused:
                pass
    # 10:00:00 is a minute boundary: windows 0-5 are one minute (30 allowed), window 6 is new.
    assert count == 30 + 5


def test_a_resent_client_id_is_stored_once(session, student):
    first = post(student, session, "你好", client_id="c-1")
    again = post(student, session, "你好", client_id="c-1")
    assert again.pk == first.pk
    assert Message.objects.count() == 1
    assert post(student, session, "你好", client_id="c-2").pk != first.pk


def test_a_muted_user_is_refused_until_the_mute_ends(session, teacher, student, monkeypatch):
    mute = services.user_mute(actor=teacher, session=session, user=student, minutes=10)
    assert mute.until == shanghai("10:10")
    with pytest.raises(services.ChatRefused) as refused:
        post(student, session)
    assert refused.value.message == "You are muted in this chat until 10:10."
    monkeypatch.setattr(timeutil, "_frozen", shanghai("10:10").astimezone(dt.UTC))
    assert post(student, session).pk


def test_a_district_wide_mute_reaches_every_session(
    make_session, session, district_admin, teacher, student
):
    other = make_session(teacher=teacher, start="09:50")
    services.user_mute(
        actor=district_admin, session=session, user=student, minutes=60, everywhere=True
    )
    with pytest.raises(services.ChatRefused):
        post(student, other)
    with pytest.raises(PermissionDenied):  # a teacher mutes only in their session
        services.user_mute(actor=teacher, session=session, user=student, minutes=5, everywhere=True)


def test_unmute_lets_the_user_write_again(session, teacher, student):
    services.user_mute(actor=teacher, session=session, user=student, minutes=10)
    assert services.user_unmute(actor=teacher, session=session, user=student) == 1
    assert post(student, session).pk


def test_the_teacher_cannot_be_muted_and_mute_lengths_are_bounded(
    session, teacher, district_admin, student
):
    with pytest.raises(services.ChatRefused):
        services.user_mute(actor=district_admin, session=session, user=teacher, minutes=10)
    for minutes in (0, -5, "x", 7 * 24 * 60 + 1):
        with pytest.raises(services.ChatRefused):
            services.user_mute(actor=teacher, session=session, user=student, minutes=minutes)
    assert Mute.objects.count() == 0


@pytest.mark.parametrize(
    "persona", ["school_admin", "student", "parent", "stranger", "outside_learner"]
)
def test_only_the_teacher_or_a_district_admin_moderates(session, personas, persona, student):
    message = post(personas["student"], session)
    actor = personas[persona]
    for action in (
        lambda: services.message_hide(actor=actor, message=message),
        lambda: services.message_pin(actor=actor, message=message),
        lambda: services.user_mute(actor=actor, session=session, user=student, minutes=5),
    ):
        with pytest.raises(PermissionDenied):
            action()
    message.refresh_from_db()
    assert (message.hidden_at, message.pinned) == (None, False)
    assert Mute.objects.count() == 0


def test_hide_pin_and_answer(session, teacher, district_admin, student):
    question = post(student, session, "为什么？", kind="question")
    chat = post(student, session, "哈哈")
    services.message_pin(actor=teacher, message=question)
    services.question_answered(actor=district_admin, message=question)
    services.message_hide(actor=teacher, message=chat)
    with pytest.raises(services.ChatRefused):
        services.question_answered(actor=teacher, message=chat)
    question.refresh_from_db()
    chat.refresh_from_db()
    assert (question.pinned, question.answered) == (True, True)
    assert chat.hidden_at == shanghai("10:00") and chat.hidden_by == teacher
    assert [m["id"] for m in selectors.messages_for_replay(session)] == [question.pk]
    state = selectors.moderation_state(session, up_to=chat.pk)
    assert state == {"hidden": [chat.pk], "pinned": [question.pk], "answered": [question.pk]}


def test_nobody_posts_in_a_cancelled_session_and_anonymous_never_posts(
    make_session, teacher, student, at_ten
):
    from django.contrib.auth.models import AnonymousUser

    cancelled = make_session(teacher=teacher, status=Session.Status.CANCELLED, start="09:00")
    with pytest.raises(PermissionDenied):
        post(student, cancelled)
    with pytest.raises(PermissionDenied):
        post(AnonymousUser(), make_session(teacher=teacher))


def test_who_reads_the_chat(make_session, teacher, student, at_ten, settings):
    from django.contrib.auth.models import AnonymousUser

    lesson = make_session(teacher=teacher)
    event = make_session(kind=Session.Kind.EVENT)
    anonymous = AnonymousUser()
    assert selectors.session_for_chat(lesson.pk, user=student) == lesson
    # A class is not for people without an account until it has ended (then its replay is).
    assert selectors.session_for_chat(lesson.pk, user=anonymous) is None
    assert selectors.session_for_chat(event.pk, user=anonymous) == event
    settings.ESCHOOL_PUBLIC_WATCH = False
    assert selectors.session_for_chat(event.pk, user=anonymous) is None


def test_the_replay_json_lists_the_kept_chat_in_a_fixed_number_of_queries(
    session, student, teacher, client, django_assert_num_queries
):
    Broadcast.objects.create(session=session, status="live", started_at=shanghai("09:50"))
    post(student, session, "一")
    post(teacher, session, "二")
    client.force_login(student)
    # The session and its grades, the login session and user, the messages with authors.
    with django_assert_num_queries(5):
        response = client.get(f"/chat/sessions/{session.pk}/messages.json")
    data = response.json()
    assert [(m["text"], m["offset_seconds"], m["teacher"]) for m in data["messages"]] == [
        ("一", 600.0, False),
        ("二", 600.0, True),
    ]
    assert data["messages"][1]["author"] == {"id": teacher.pk, "name": "陈老师"}
    assert response["Cache-Control"] == "private, max-age=10"
