"""The chat WebSocket with Channels' test client, through the whole ASGI application
(session cookie, Origin check), on the in-memory layer and, when REDIS_URL is set, on Redis."""

import os
import sys
import types
import uuid

import pytest
from asgiref.sync import async_to_sync

try:
    from channels.testing import WebsocketCommunicator
except ModuleNotFoundError:
    # channels.testing imports Daphne for its live-server test case, which is not used here
    # (uvicorn serves the app); the WebSocket test client needs nothing from it.
    sys.modules.setdefault("daphne", types.ModuleType("daphne"))
    if "daphne.testing" not in sys.modules:
        _stub = types.ModuleType("daphne.testing")
        _stub.DaphneProcess = object
        sys.modules["daphne.testing"] = _stub
    from channels.testing import WebsocketCommunicator
from django.test import Client

from eschool.chat.models import Message
from eschool.classroom.models import Session

# serialized_rollback: the data migrations (regions, grades, subjects) are back for each test.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
WAIT = 5  # seconds a frame may take to arrive before the test fails


@pytest.fixture(params=["memory", "redis"])
def layer(request, settings):
    if request.param == "redis":
        url = os.environ.get("REDIS_URL")
        if not url:
            pytest.skip("the Redis channel layer is tested when REDIS_URL is set")
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                # A prefix of its own: nothing left by another test or process is seen.
                "CONFIG": {"hosts": [url], "prefix": f"chat-test-{uuid.uuid4().hex[:8]}"},
            }
        }
    else:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # Tests post many messages within the frozen clock's one second.
    settings.ESCHOOL_CHAT_RATE_LIMITS = ((1000, 10),)
    return request.param


def cookie_of(user, language="en") -> str:
    parts = [f"django_language={language}"] if language else []
    if user is not None:
        client = Client()
        client.force_login(user)
        parts.append(f"sessionid={client.cookies['sessionid'].value}")
    return "; ".join(parts)


class Chat:
    """One browser tab's socket."""

    def __init__(self, session_id: int, cookie: str):
        from config.asgi import application

        headers = [(b"origin", b"http://testserver")]
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        self.socket = WebsocketCommunicator(
            application, f"/ws/sessions/{session_id}/chat/", headers=headers
        )

    async def open(self, after=None, *, hello=True):
        connected, code = await self.socket.connect(timeout=WAIT)
        assert connected, code
        if hello:
            return await self.hello(after)

    async def hello(self, after=None):
        await self.socket.send_json_to({"type": "hello", "after": after})
        history = await self.receive()
        assert history["type"] == "history"
        return history

    async def receive(self):
        return await self.socket.receive_json_from(timeout=WAIT)

    async def post(self, text, *, client_id=None, kind="chat"):
        await self.socket.send_json_to(
            {"type": "post", "text": text, "kind": kind, "client_id": client_id or uuid.uuid4().hex}
        )

    async def close(self):
        await self.socket.disconnect()


def texts(frames):
    return [frame["message"]["text"] for frame in frames if frame["type"] == "message"]


async def posted(chat, text, **kwargs):
    """Post and return (ack, own message frame) whatever order they arrive in."""
    await chat.post(text, **kwargs)
    frames = [await chat.receive(), await chat.receive()]
    by_type = {frame["type"]: frame for frame in frames}
    assert set(by_type) == {"ack", "message"}, frames
    assert by_type["ack"]["id"] == by_type["message"]["message"]["id"]
    return by_type["ack"], by_type["message"]


@pytest.fixture
def lesson(make_session, teacher, at_ten):
    return make_session(teacher=teacher)


def test_two_clients_see_each_others_messages_once(layer, lesson, student, teacher):
    student_cookie, teacher_cookie = cookie_of(student), cookie_of(teacher)

    async def scenario():
        pupil, master = Chat(lesson.pk, student_cookie), Chat(lesson.pk, teacher_cookie)
        first = await pupil.open()
        assert (first["messages"], first["can_post"], first["moderator"]) == ([], True, False)
        assert (await master.open())["moderator"] is True
        _ack, mine = await posted(pupil, "老师好<b>")
        assert texts([await master.receive()]) == ["老师好<b>"]
        assert mine["message"]["author"] == {"id": student.pk, "name": "张三"}
        _ack, reply = await posted(master, "同学好")
        assert reply["message"]["teacher"] is True
        # The next frame the student gets is the teacher's reply: nothing came twice.
        assert texts([await pupil.receive()]) == ["同学好"]
        await pupil.close()
        await master.close()

    async_to_sync(scenario)()
    assert list(Message.objects.values_list("text", flat=True)) == ["老师好<b>", "同学好"]


def test_a_reconnecting_client_gets_exactly_what_it_missed(layer, lesson, student, teacher):
    student_cookie, teacher_cookie = cookie_of(student), cookie_of(teacher)

    async def scenario():
        pupil, master = Chat(lesson.pk, student_cookie), Chat(lesson.pk, teacher_cookie)
        await pupil.open()
        await master.open()
        _ack, seen = await posted(master, "第一条")
        assert texts([await pupil.receive()]) == ["第一条"]
        last_seen = seen["message"]["id"]
        await pupil.close()  # the phone loses its connection
        for text in ("第二条", "第三条"):
            await posted(master, text)
        # Back: the socket is open before it says hello; what is sent meanwhile is not lost.
        pupil = Chat(lesson.pk, student_cookie)
        await pupil.open(hello=False)
        await posted(master, "第四条")
        history = await pupil.hello(after=last_seen)
        assert texts({"type": "message", "message": m} for m in history["messages"]) == [
            "第二条",
            "第三条",
            "第四条",
        ]
        await posted(master, "第五条")
        assert texts([await pupil.receive()]) == ["第五条"]  # and 第四条 did not come again
        await pupil.close()
        await master.close()

    async_to_sync(scenario)()


def test_a_message_resent_with_its_client_id_is_stored_and_shown_once(
    layer, lesson, student, teacher
):
    student_cookie, teacher_cookie = cookie_of(student), cookie_of(teacher)

    async def scenario():
        pupil, master = Chat(lesson.pk, student_cookie), Chat(lesson.pk, teacher_cookie)
        await pupil.open()
        await master.open()
        first_ack, _message = await posted(pupil, "有问题", client_id="tab1-7", kind="question")
        assert texts([await master.receive()]) == ["有问题"]
        # The student's page did not see the ack and sends it again.
        await pupil.post("有问题", client_id="tab1-7", kind="question")
        again = await pupil.receive()
        assert again == {"type": "ack", "client_id": "tab1-7", "id": first_ack["id"]}
        await posted(pupil, "下一条")
        assert texts([await master.receive()]) == ["下一条"]
        await pupil.close()
        await master.close()

    async_to_sync(scenario)()
    assert Message.objects.filter(text="有问题").count() == 1


def test_a_hidden_message_is_removed_on_the_other_client(layer, lesson, student, teacher):
    student_cookie, teacher_cookie = cookie_of(student), cookie_of(teacher)

    async def scenario():
        pupil, master = Chat(lesson.pk, student_cookie), Chat(lesson.pk, teacher_cookie)
        await pupil.open()
        await master.open()
        _ack, message = await posted(pupil, "捣乱")
        message_id = message["message"]["id"]
        await master.receive()
        await master.socket.send_json_to({"type": "hide", "id": message_id})
        assert await pupil.receive() == {"type": "hidden", "id": message_id}
        assert await master.receive() == {"type": "hidden", "id": message_id}
        await master.socket.send_json_to({"type": "pin", "id": message_id, "value": True})
        assert await pupil.receive() == {"type": "pinned", "id": message_id, "pinned": True}
        # A new visitor never sees it; one who had it learns it was hidden.
        late = Chat(lesson.pk, student_cookie)
        assert (await late.open())["messages"] == []
        await late.close()
        back = Chat(lesson.pk, student_cookie)
        assert (await back.open(after=message_id))["state"]["hidden"] == [message_id]
        await back.close()
        await pupil.close()
        await master.close()

    async_to_sync(scenario)()


def test_a_muted_student_is_told_and_refused(layer, lesson, student, teacher):
    student_cookie, teacher_cookie = cookie_of(student), cookie_of(teacher)

    async def scenario():
        pupil, master = Chat(lesson.pk, student_cookie), Chat(lesson.pk, teacher_cookie)
        await pupil.open()
        await master.open()
        await master.socket.send_json_to({"type": "mute", "user": student.pk, "minutes": 10})
        told = await pupil.receive()
        assert told == {
            "type": "muted",
            "user": student.pk,
            "until": "2026-12-07T10:10:00+08:00",
            "message": "You are muted in this chat until 10:10.",
        }
        assert "message" not in await master.receive()  # the teacher's copy names no one's mute
        await pupil.post("我还要说", client_id="m1")
        assert await pupil.receive() == {
            "type": "error",
            "message": "You are muted in this chat until 10:10.",
            "client_id": "m1",
        }
        # A new tab knows it at once.
        tab = Chat(lesson.pk, student_cookie)
        assert (await tab.open())["muted_message"] == "You are muted in this chat until 10:10."
        await tab.close()
        await pupil.close()
        await master.close()

    async_to_sync(scenario)()
    assert Message.objects.count() == 0


def test_a_student_cannot_moderate(layer, lesson, student, stranger):
    student_cookie = cookie_of(student)

    async def scenario():
        pupil = Chat(lesson.pk, student_cookie)
        await pupil.open()
        await pupil.socket.send_json_to({"type": "mute", "user": stranger.pk, "minutes": 10})
        assert await pupil.receive() == {
            "type": "error",
            "message": "Only the teacher and administrators can do that.",
        }
        await pupil.close()

    async_to_sync(scenario)()


def test_refusals_are_in_chinese_by_default(layer, lesson, student):
    from django.utils import translation

    cookie = cookie_of(student, language=None)
    with translation.override("zh-hans"):
        expected = translation.gettext("Write something first.")

    async def scenario():
        pupil = Chat(lesson.pk, cookie)
        await pupil.open()
        await pupil.post("   ", client_id="e1")
        assert (await pupil.receive())["message"] == expected
        await pupil.close()

    async_to_sync(scenario)()


def test_a_district_events_viewers_get_no_socket_and_its_organisers_do(
    layer, make_session, student, teacher, at_ten
):
    """100,000 viewers poll recent.json (the same answer for all); only the event's teacher
    and the administrators hold a socket, to write announcements and moderate."""
    event = make_session(kind=Session.Kind.EVENT, teacher=teacher)
    student_cookie, teacher_cookie, anonymous_cookie = (
        cookie_of(student),
        cookie_of(teacher),
        cookie_of(None),
    )

    async def scenario():
        for cookie in (anonymous_cookie, student_cookie):
            viewer = Chat(event.pk, cookie)
            connected, code = await viewer.socket.connect(timeout=WAIT)
            assert (connected, code) == (False, 4403)
        master = Chat(event.pk, teacher_cookie)
        history = await master.open()
        assert (history["can_post"], history["moderator"]) == (True, True)
        await posted(master, "升旗仪式八点开始")
        await master.close()

    async_to_sync(scenario)()
    assert list(Message.objects.values_list("text", flat=True)) == ["升旗仪式八点开始"]


def test_a_class_chat_refuses_anonymous_sockets(layer, lesson):
    async def scenario():
        viewer = Chat(lesson.pk, cookie_of_anonymous)
        connected, code = await viewer.socket.connect(timeout=WAIT)
        assert (connected, code) == (False, 4403)

    cookie_of_anonymous = cookie_of(None)
    async_to_sync(scenario)()


def test_binary_frames_and_broken_json_are_ignored(layer, lesson, student):
    student_cookie = cookie_of(student)

    async def scenario():
        pupil = Chat(lesson.pk, student_cookie)
        await pupil.open()
        await pupil.socket.send_to(bytes_data=b"\x00\x01")
        await pupil.socket.send_to(text_data="{not json")
        await pupil.socket.send_to(text_data="[1, 2]")
        # Still open and answering.
        _ack, message = await posted(pupil, "还在")
        assert message["message"]["text"] == "还在"
        await pupil.close()

    async_to_sync(scenario)()


def test_the_teacher_pins_a_question_and_marks_it_answered_and_the_student_sees_it(
    layer, lesson, student, teacher
):
    student_cookie, teacher_cookie = cookie_of(student), cookie_of(teacher)

    async def scenario():
        pupil, master = Chat(lesson.pk, student_cookie), Chat(lesson.pk, teacher_cookie)
        await pupil.open()
        await master.open()
        _ack, asked = await posted(pupil, "分母不同怎么加？", kind="question")
        question = asked["message"]["id"]
        assert (asked["message"]["kind"], asked["message"]["pinned"]) == ("question", False)
        await master.receive()
        await master.socket.send_json_to({"type": "pin", "id": question, "value": True})
        assert await pupil.receive() == {"type": "pinned", "id": question, "pinned": True}
        assert await master.receive() == {"type": "pinned", "id": question, "pinned": True}
        await master.socket.send_json_to({"type": "answered", "id": question, "value": True})
        assert await pupil.receive() == {"type": "answered", "id": question, "answered": True}
        assert await master.receive() == {"type": "answered", "id": question, "answered": True}
        # Unpinned later: the student sees that too.
        await master.socket.send_json_to({"type": "pin", "id": question, "value": False})
        assert await pupil.receive() == {"type": "pinned", "id": question, "pinned": False}
        await master.receive()
        # A chat message is not a question.
        _ack, chat = await posted(pupil, "谢谢老师")
        await master.receive()
        await master.socket.send_json_to(
            {"type": "answered", "id": chat["message"]["id"], "value": True}
        )
        assert await master.receive() == {
            "type": "error",
            "message": "Only questions are marked answered.",
        }
        # A tab that comes back after the question learns it was answered (and not pinned).
        back = Chat(lesson.pk, student_cookie)
        state = (await back.open(after=chat["message"]["id"]))["state"]
        assert state == {"hidden": [], "pinned": [], "answered": [question]}
        # A new tab gets the question with its flags.
        fresh = Chat(lesson.pk, student_cookie)
        first = (await fresh.open())["messages"][0]
        assert (first["id"], first["pinned"], first["answered"]) == (question, False, True)
        for chat_socket in (fresh, back, pupil, master):
            await chat_socket.close()

    async_to_sync(scenario)()
    stored = Message.objects.get(kind="question")
    assert (stored.pinned, stored.answered) == (False, True)


def test_the_rate_limit_is_per_user_across_their_sockets(layer, lesson, student, teacher, settings):
    """Three messages per 10 s per user, counted in the shared cache (local memory on the
    embedded default, Redis when REDIS_URL is set): a second tab does not double it."""
    settings.ESCHOOL_CHAT_RATE_LIMITS = ((3, 10),)
    student_cookie, teacher_cookie = cookie_of(student), cookie_of(teacher)
    too_fast = "You are writing too fast. Wait a few seconds, then send again."

    async def scenario():
        phone, laptop = Chat(lesson.pk, student_cookie), Chat(lesson.pk, student_cookie)
        master = Chat(lesson.pk, teacher_cookie)
        for chat_socket in (phone, laptop, master):
            await chat_socket.open()

        async def from_phone_seen_on_laptop(text):
            await posted(phone, text)
            assert texts([await laptop.receive()]) == [text]
            assert texts([await master.receive()]) == [text]

        await from_phone_seen_on_laptop("一")
        await from_phone_seen_on_laptop("二")
        _ack, _message = await posted(laptop, "三")
        assert texts([await phone.receive()]) == ["三"]
        assert texts([await master.receive()]) == ["三"]
        for chat_socket in (laptop, phone):
            await chat_socket.post("四", client_id=f"four-{id(chat_socket)}")
            assert await chat_socket.receive() == {
                "type": "error",
                "message": too_fast,
                "client_id": f"four-{id(chat_socket)}",
            }
        # Someone else is not slowed down by this student.
        _ack, reply = await posted(master, "慢一点")
        assert reply["message"]["text"] == "慢一点"
        for chat_socket in (phone, laptop, master):
            await chat_socket.close()

    async_to_sync(scenario)()
    assert list(Message.objects.order_by("pk").values_list("text", flat=True)) == [
        "一",
        "二",
        "三",
        "慢一点",
    ]


def test_hellos_are_limited_per_user_across_sockets(layer, lesson, student, teacher, settings):
    """A page says hello once per connection; a user whose tabs loop on hello are closed with
    4429 (the page reconnects with backoff) once they pass the limit across all their tabs."""
    from eschool.chat import consumers

    student_cookie, teacher_cookie = cookie_of(student), cookie_of(teacher)
    per_user = consumers.HELLO_PER_USER[0]

    async def scenario():
        tabs = [Chat(lesson.pk, student_cookie) for _ in range(per_user + 1)]
        for tab in tabs[:per_user]:
            await tab.open()  # one hello each: all answered
        last = tabs[per_user]
        await last.open(hello=False)
        await last.socket.send_json_to({"type": "hello", "after": None})
        assert await last.socket.receive_output(timeout=WAIT) == {
            "type": "websocket.close",
            "code": consumers.CLOSE_TOO_MANY_HELLOS,
        }
        # The teacher's own tab is not affected.
        master = Chat(lesson.pk, teacher_cookie)
        assert (await master.open())["moderator"] is True
        for tab in [*tabs[:per_user], master]:
            await tab.close()

    async_to_sync(scenario)()
