"""The room's WebSocket with Channels' test client: order, resume, resends, the end, strangers.

Each test runs one coroutine (async_to_sync) in which the student and the teacher are two
WebsocketCommunicators on the ASGI application; the channel layer is the configured one
(in memory, or Redis on the PostgreSQL + Redis leg).
"""

import sys
import types

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client
from django.utils import translation

from eschool.core.testing import opened_socket, run_sockets
from eschool.tutoring import room
from eschool.tutoring.models import RoomMessage, TutoringSession
from eschool.tutoring.routing import websocket_urlpatterns
from eschool.tutoring.tests.test_room_services import make_session

try:
    from channels.testing import WebsocketCommunicator
except ModuleNotFoundError:
    # channels.testing imports Daphne for its live-server test case, which these tests do
    # not use; the WebSocket test client itself needs nothing from it.
    sys.modules.setdefault("daphne", types.ModuleType("daphne"))
    _stub = types.ModuleType("daphne.testing")
    _stub.DaphneProcess = object
    sys.modules["daphne.testing"] = _stub
    from channels.testing import WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ORIGIN = (b"origin", b"http://testserver")
# Seconds to wait for a frame: generous, for a CI machine busy with other work.
WAIT = 15


def run(scenario, *args):
    return run_sockets(scenario, *args, timeout=WAIT)


@pytest.fixture
def tutoring_session(student, teacher):
    return make_session(student, teacher)


def _app():
    from channels.routing import URLRouter

    return URLRouter(websocket_urlpatterns)


async def join(session, user, after=0, language=None):
    """A side's socket, connected and past its hello; returns (communicator, replayed frames,
    the welcome). `language` is the one the visitor chose with the switch (its cookie)."""
    communicator = WebsocketCommunicator(_app(), f"/ws/tutoring/{session.pk}/", headers=[ORIGIN])
    communicator.scope["user"] = user
    opened_socket(communicator)
    if language:
        communicator.scope["cookies"] = {settings.LANGUAGE_COOKIE_NAME: language}
    connected, _code = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "hello", "after": after})
    replayed = []
    while True:
        frame = await communicator.receive_json_from(timeout=WAIT)
        if frame["type"] == "welcome":
            return communicator, replayed, frame
        replayed.append(frame)


async def post(communicator, text, client_id):
    await communicator.send_json_to(
        {"type": "post", "client_id": client_id, "kind": "text", "body": {"text": text}}
    )


async def post_stored(communicator, text, client_id):
    """Post and wait for the server's acknowledgement: the message is stored."""
    await post(communicator, text, client_id)
    ack = await next_frame(communicator, skip=("message",))
    assert ack["type"] == "ack" and ack["client_id"] == client_id
    return ack["seq"]


async def next_frame(communicator, *, skip=("ack",)):
    while True:
        frame = await communicator.receive_json_from(timeout=WAIT)
        if frame["type"] not in skip:
            return frame


def texts(frames):
    return [(f["seq"], f["body"]["text"]) for f in frames if f.get("kind") == "text"]


def test_a_message_reaches_the_other_side_once_and_the_sender_gets_its_number(
    tutoring_session, student, teacher
):
    async def scenario():
        pupil, _, welcome = await join(tutoring_session, student)
        tutor, _, _ = await join(tutoring_session, teacher)
        assert welcome == {"type": "welcome", "role": "student", "last_seq": 0, "ended": False}

        await post(pupil, "老师好", "m-1")
        ack = await pupil.receive_json_from(timeout=WAIT)
        echo = await pupil.receive_json_from(timeout=WAIT)
        got = await next_frame(tutor)
        assert ack == {"type": "ack", "client_id": "m-1", "seq": 1}
        assert (echo["seq"], echo["client_id"]) == (1, "m-1")
        assert {k: got[k] for k in ("seq", "author", "author_name", "kind", "body")} == {
            "seq": 1,
            "author": "student",
            "author_name": "张三",
            "kind": "text",
            "body": {"text": "老师好"},
        }
        # The teacher's next frame is the next message, not the first one again.
        await post(pupil, "第二题不会", "m-2")
        assert texts([await next_frame(tutor)]) == [(2, "第二题不会")]
        await pupil.disconnect()
        await tutor.disconnect()

    run(scenario)


def test_after_a_dropped_connection_a_side_gets_exactly_what_it_missed(
    tutoring_session, student, teacher
):
    async def scenario():
        pupil, _, _ = await join(tutoring_session, student)
        tutor, _, _ = await join(tutoring_session, teacher)
        assert await post_stored(pupil, "一", "m-1") == 1
        assert texts([await next_frame(tutor)]) == [(1, "一")]
        await tutor.disconnect()  # the teacher's connection drops having seen 1

        for n, text in enumerate(["二", "三", "四"], start=2):
            assert await post_stored(pupil, text, f"m-{n}") == n
        tutor, replayed, welcome = await join(tutoring_session, teacher, after=1)
        assert texts(replayed) == [(2, "二"), (3, "三"), (4, "四")]
        assert welcome["last_seq"] == 4
        # Live messages go on from there, without repeating any.
        await post(pupil, "五", "m-5")
        assert texts([await next_frame(tutor)]) == [(5, "五")]
        await pupil.disconnect()
        await tutor.disconnect()

    run(scenario)


def test_a_message_sent_again_after_reconnecting_is_stored_once(tutoring_session, student, teacher):
    async def scenario():
        tutor, _, _ = await join(tutoring_session, teacher)
        pupil, _, _ = await join(tutoring_session, student)
        await post(pupil, "老师好", "same-id")
        first_ack = await next_frame(pupil, skip=("message",))
        await pupil.disconnect()
        # The student never saw the ack arrive (say), so the client sends it again.
        pupil, replayed, _ = await join(tutoring_session, student, after=0)
        await post(pupil, "老师好", "same-id")
        second_ack = await next_frame(pupil, skip=("message",))
        assert first_ack == second_ack == {"type": "ack", "client_id": "same-id", "seq": 1}
        assert texts(replayed) == [(1, "老师好")]
        await post(pupil, "下一条", "other-id")
        assert texts([await next_frame(tutor), await next_frame(tutor)]) == [
            (1, "老师好"),
            (2, "下一条"),
        ]
        await pupil.disconnect()
        await tutor.disconnect()

    run(scenario)
    assert RoomMessage.objects.filter(session=tutoring_session, client_id="same-id").count() == 1


def test_a_side_that_was_away_when_the_session_ended_learns_it_on_return(
    tutoring_session, student, teacher
):
    async def scenario():
        pupil, _, _ = await join(tutoring_session, student)
        tutor, _, _ = await join(tutoring_session, teacher)
        await post(pupil, "谢谢老师", "m-1")
        assert texts([await next_frame(tutor)]) == [(1, "谢谢老师")]
        await pupil.disconnect()  # the student's phone goes to sleep

        await tutor.send_json_to({"type": "end"})
        notice = await next_frame(tutor)
        assert (notice["seq"], notice["kind"], notice["body"]) == (
            2,
            "system",
            {"event": "ended", "by": "teacher"},
        )
        assert await tutor.receive_json_from(timeout=WAIT) == {"type": "ended"}
        assert (await tutor.receive_output(timeout=WAIT))["type"] == "websocket.close"

        pupil, replayed, welcome = await join(tutoring_session, student, after=1)
        assert [(f["seq"], f["body"]) for f in replayed] == [
            (2, {"event": "ended", "by": "teacher"})
        ]
        assert welcome["ended"] is True
        assert await pupil.receive_json_from(timeout=WAIT) == {"type": "ended"}
        closed = await pupil.receive_output(timeout=WAIT)
        assert (closed["type"], closed["code"]) == ("websocket.close", 4000)

    run(scenario)
    tutoring_session.refresh_from_db()
    assert tutoring_session.ended_at is not None and tutoring_session.ended_by == teacher


def test_after_the_end_a_post_is_not_stored(tutoring_session, student):
    async def scenario():
        pupil, _, _ = await join(tutoring_session, student)
        await database_sync_to_async(room.room_end)(actor=student, session=tutoring_session)
        await next_frame(pupil)  # the notice
        assert await pupil.receive_json_from(timeout=WAIT) == {"type": "ended"}

    run(scenario)
    assert list(RoomMessage.objects.values_list("kind", flat=True)) == ["system"]


def test_typing_draw_and_voice_signals_go_to_the_other_side_only(
    tutoring_session, student, teacher
):
    async def scenario():
        pupil, _, _ = await join(tutoring_session, student)
        tutor, _, _ = await join(tutoring_session, teacher)
        offer = {"kind": "offer", "sdp": "v=0 o=- 1 2 IN IP4 127.0.0.1"}
        await tutor.send_json_to({"type": "signal", "data": offer})
        assert await pupil.receive_json_from(timeout=WAIT) == {
            "type": "signal",
            "data": offer,
            "from": "teacher",
        }
        await pupil.send_json_to({"type": "typing", "text": "not relayed"})
        stroke = {"id": "s1", "color": "#C0392B", "width": 0.006, "points": [[0.1, 0.2]]}
        await pupil.send_json_to({"type": "draw", "stroke": {**stroke, "onclick": "x"}})
        # The teacher's own signal did not come back to it: its next frames are the student's,
        # with only the fields a board draws.
        assert await tutor.receive_json_from(timeout=WAIT) == {"type": "typing", "from": "student"}
        assert await tutor.receive_json_from(timeout=WAIT) == {
            "type": "draw",
            "stroke": {**stroke, "color": "#c0392b", "erase": False},
            "from": "student",
        }
        await pupil.disconnect()
        await tutor.disconnect()

    run(scenario)
    assert not RoomMessage.objects.exists()  # none of these is stored


def test_a_refused_post_gets_an_error_with_its_client_id_in_the_users_language(
    tutoring_session, student
):
    async def scenario(language):
        pupil, _, _ = await join(tutoring_session, student, language=language)
        await post(pupil, "长" * (room.TEXT_LIMIT + 1), "too-long")
        error = await pupil.receive_json_from(timeout=WAIT)
        await pupil.disconnect()
        return error

    assert run(scenario, "en") == {
        "type": "error",
        "client_id": "too-long",
        "code": "too_long",
        "message": "The message is too long: at most 1000 characters.",
    }
    # Without the switch's cookie, the district's language.
    with translation.override("zh-hans"):
        chinese = translation.gettext("The message is too long: at most %(limit)s characters.")
    assert run(scenario, None)["message"] == chinese % {"limit": 1000}
    assert not RoomMessage.objects.exists()


# Relayed frames: limits and shapes --------------------------------------------------------


def test_live_drawing_is_relayed_up_to_its_rate_then_refused_once_with_a_notice(
    clock, tutoring_session, student, teacher
):
    from eschool.tutoring.consumers import DRAW_RATE

    limit, seconds = DRAW_RATE
    piece = {"id": "s1", "color": "#0b5cad", "width": 0.006, "points": [[0.5, 0.5]]}

    async def scenario():
        pupil, _, _ = await join(tutoring_session, student, language="en")
        tutor, _, _ = await join(tutoring_session, teacher)
        # One at a time, as a board sends them: the channel layer holds 100 per socket.
        for _n in range(limit):
            await pupil.send_json_to({"type": "draw", "stroke": piece})
            assert (await tutor.receive_json_from(timeout=WAIT))["type"] == "draw"
        for _n in range(2):
            await pupil.send_json_to({"type": "draw", "stroke": piece})
        # The student is told once, however many more pieces were refused.
        assert await pupil.receive_json_from(timeout=WAIT) == {
            "type": "error",
            "code": "rate_limited",
            "frame": "draw",
            "message": "You are sending too fast. Wait a moment, then send again.",
        }
        await post(pupil, "好了", "after-flood")
        assert (await next_frame(pupil, skip=()))["type"] == "ack"
        # The teacher got nothing beyond the limit: the next frame is the message.
        assert (await tutor.receive_json_from(timeout=WAIT))["kind"] == "text"
        # The next window draws again.
        clock.advance(seconds=seconds)
        await pupil.send_json_to({"type": "draw", "stroke": piece})
        assert (await tutor.receive_json_from(timeout=WAIT))["type"] == "draw"
        await pupil.disconnect()
        await tutor.disconnect()

    run(scenario)


def test_typing_is_relayed_at_most_three_times_a_second(clock, tutoring_session, student, teacher):
    async def scenario():
        pupil, _, _ = await join(tutoring_session, student, language="en")
        tutor, _, _ = await join(tutoring_session, teacher)
        for _n in range(5):
            await pupil.send_json_to({"type": "typing"})
        error = await pupil.receive_json_from(timeout=WAIT)
        assert (error["code"], error["frame"]) == ("rate_limited", "typing")
        await pupil.send_json_to({"type": "signal", "data": {"kind": "hangup"}})
        frames = [await tutor.receive_json_from(timeout=WAIT) for _n in range(4)]
        assert [frame["type"] for frame in frames] == ["typing"] * 3 + ["signal"]
        await pupil.disconnect()
        await tutor.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    "frame, code",
    [
        ({"type": "draw", "stroke": {"id": "s", "points": [[1.5, 0.2]]}}, "bad_stroke"),
        ({"type": "draw", "stroke": {"id": "s", "points": [[0.1, 0.1]] * 201}}, "bad_stroke"),
        ({"type": "draw", "stroke": "s"}, "bad_stroke"),
        ({"type": "signal", "data": {"kind": "offer", "sdp": "v" * 16_001}}, "bad_signal"),
        ({"type": "signal", "data": {"kind": "script", "sdp": "v=0"}}, "bad_signal"),
        ({"type": "signal", "data": {"kind": "ice", "candidate": "c"}}, "bad_signal"),
        (
            {"type": "signal", "data": {"kind": "ice", "candidate": {"candidate": "c" * 1001}}},
            "bad_signal",
        ),
        ({"type": "signal", "data": ["offer"]}, "bad_signal"),
    ],
)
def test_a_malformed_or_oversized_relay_is_refused_and_not_relayed(
    clock, tutoring_session, student, teacher, frame, code
):
    async def scenario():
        pupil, _, _ = await join(tutoring_session, student, language="en")
        tutor, _, _ = await join(tutoring_session, teacher)
        await pupil.send_json_to(frame)
        error = await pupil.receive_json_from(timeout=WAIT)
        await pupil.send_json_to({"type": "typing"})
        relayed = await tutor.receive_json_from(timeout=WAIT)
        await pupil.disconnect()
        await tutor.disconnect()
        return error, relayed

    error, relayed = run(scenario)
    assert (error["type"], error["code"]) == ("error", code)
    assert error["message"] in (
        "This drawing could not be read.",
        "This voice call message could not be read.",
    )
    assert relayed == {"type": "typing", "from": "student"}  # the bad frame never crossed


def test_an_ice_candidate_crosses_with_only_its_four_fields(
    clock, tutoring_session, student, teacher
):
    candidate = {
        "candidate": "candidate:1 1 udp 2122260223 192.168.1.5 54321 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
        "usernameFragment": "abcd",
    }

    async def scenario():
        pupil, _, _ = await join(tutoring_session, student)
        tutor, _, _ = await join(tutoring_session, teacher)
        await pupil.send_json_to(
            {"type": "signal", "data": {"kind": "ice", "candidate": {**candidate, "x": "<b>"}}}
        )
        got = await tutor.receive_json_from(timeout=WAIT)
        await pupil.disconnect()
        await tutor.disconnect()
        return got

    assert run(scenario) == {
        "type": "signal",
        "data": {"kind": "ice", "candidate": candidate},
        "from": "student",
    }


def test_voice_signals_are_limited_to_sixty_in_thirty_seconds(
    clock, tutoring_session, student, teacher
):
    async def scenario():
        pupil, _, _ = await join(tutoring_session, student)
        tutor, _, _ = await join(tutoring_session, teacher)
        relayed = []
        for _n in range(60):
            await pupil.send_json_to({"type": "signal", "data": {"kind": "hangup"}})
            relayed.append(await tutor.receive_json_from(timeout=WAIT))
        await pupil.send_json_to({"type": "signal", "data": {"kind": "hangup"}})
        error = await pupil.receive_json_from(timeout=WAIT)
        await pupil.send_json_to({"type": "typing"})
        after = await tutor.receive_json_from(timeout=WAIT)
        await pupil.disconnect()
        await tutor.disconnect()
        return error, relayed, after

    error, relayed, after = run(scenario)
    assert (error["code"], error["frame"]) == ("rate_limited", "signal")
    assert len(relayed) == 60 and after == {"type": "typing", "from": "student"}


# Resync: what the channel layer dropped arrives at the next sync ---------------------------


def _store_unannounced(session, seq, *, author, kind="text", body=None):
    """A message stored whose broadcast was lost (as a Redis group message may be)."""
    from eschool.core import timeutil

    return RoomMessage.objects.create(
        session=session,
        seq=seq,
        author=author,
        client_id=f"lost-{seq}" if author else "",
        kind=kind,
        body=body or {"text": f"第{seq}条"},
        created_at=timeutil.now(),
    )


def test_a_sync_brings_a_message_whose_broadcast_was_lost(
    clock, tutoring_session, student, teacher
):
    async def scenario():
        tutor, _, _ = await join(tutoring_session, teacher)
        await database_sync_to_async(_store_unannounced)(tutoring_session, 1, author=student)
        await tutor.send_json_to({"type": "sync"})
        got = await tutor.receive_json_from(timeout=WAIT)
        assert texts([got]) == [(1, "第1条")]
        assert await tutor.receive_json_from(timeout=WAIT) == {"type": "synced", "last_seq": 1}
        # Nothing new: the answer only.
        await tutor.send_json_to({"type": "sync"})
        assert await tutor.receive_json_from(timeout=WAIT) == {"type": "synced", "last_seq": 1}
        # A live message after the sync is the next number, once.
        pupil, _, _ = await join(tutoring_session, student, after=1)
        await post(pupil, "第2条", "m-2")
        assert texts([await tutor.receive_json_from(timeout=WAIT)]) == [(2, "第2条")]
        await pupil.disconnect()
        await tutor.disconnect()

    run(scenario)


def test_a_sync_tells_a_side_the_session_ended_when_the_live_notice_was_lost(
    clock, tutoring_session, student, teacher
):
    from eschool.core import timeutil

    def end_unannounced():
        TutoringSession.objects.filter(pk=tutoring_session.pk).update(
            ended_at=timeutil.now(), ended_by=teacher
        )
        _store_unannounced(
            tutoring_session,
            1,
            author=None,
            kind="system",
            body={"event": "ended", "by": "teacher"},
        )

    async def scenario():
        pupil, _, _ = await join(tutoring_session, student)
        await database_sync_to_async(end_unannounced)()
        await pupil.send_json_to({"type": "sync"})
        notice = await pupil.receive_json_from(timeout=WAIT)
        assert (notice["seq"], notice["body"]) == (1, {"event": "ended", "by": "teacher"})
        assert await pupil.receive_json_from(timeout=WAIT) == {"type": "ended"}
        closed = await pupil.receive_output(timeout=WAIT)
        assert (closed["type"], closed["code"]) == ("websocket.close", 4000)

    run(scenario)


def test_a_second_hello_on_the_same_socket_starts_again_from_its_number(
    clock, tutoring_session, student, teacher
):
    async def scenario():
        pupil, _, _ = await join(tutoring_session, student)
        for n in (1, 2, 3):
            assert await post_stored(pupil, f"第{n}条", f"m-{n}") == n
        tutor, _, _ = await join(tutoring_session, teacher, after=3)
        # The client saw a gap after 1 (it should never): it says hello again from 1.
        await tutor.send_json_to({"type": "hello", "after": 1})
        frames = [await tutor.receive_json_from(timeout=WAIT) for _n in range(3)]
        assert texts(frames[:2]) == [(2, "第2条"), (3, "第3条")]
        assert frames[2] == {"type": "welcome", "role": "teacher", "last_seq": 3, "ended": False}
        await pupil.disconnect()
        await tutor.disconnect()

    run(scenario)


def test_syncs_are_limited(clock, tutoring_session, student):
    from eschool.tutoring.consumers import SYNC_RATE

    async def scenario():
        pupil, _, _ = await join(tutoring_session, student)
        for _n in range(SYNC_RATE[0]):
            await pupil.send_json_to({"type": "sync"})
            assert (await pupil.receive_json_from(timeout=WAIT))["type"] == "synced"
        await pupil.send_json_to({"type": "sync"})
        error = await pupil.receive_json_from(timeout=WAIT)
        await pupil.disconnect()
        return error

    error = run(scenario)
    assert (error["code"], error["frame"]) == ("rate_limited", "sync")


def test_the_end_of_the_evening_closes_the_room_on_both_sides(
    clock, tutoring_session, student, teacher
):
    async def scenario():
        pupil, _, _ = await join(tutoring_session, student)
        tutor, _, _ = await join(tutoring_session, teacher)
        clock.at("21:30")
        closed = await database_sync_to_async(room.sessions_close_after_window)()
        assert closed == 1
        for side in (pupil, tutor):
            notice = await side.receive_json_from(timeout=WAIT)
            assert (notice["seq"], notice["body"]) == (1, {"event": "ended", "by": "closing"})
            assert await side.receive_json_from(timeout=WAIT) == {"type": "ended"}

    run(scenario)
    assert TutoringSession.objects.get(pk=tutoring_session.pk).ended_at is not None


def _cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


@pytest.mark.parametrize("persona", ["stranger", "parent", "district_admin"])
def test_only_the_two_sides_may_open_the_room(tutoring_session, personas, persona):
    # Through the whole ASGI application: the session cookie decides who is knocking.
    from config.asgi import application

    async def knock(cookie):
        communicator = WebsocketCommunicator(
            application,
            f"/ws/tutoring/{tutoring_session.pk}/",
            headers=[ORIGIN, (b"cookie", cookie)],
        )
        connected, code = await communicator.connect()
        # Refused or not, the consumer runs until its client goes: one left running when
        # this loop closes is cancelled there, and on Redis that can hang the loop's close.
        await communicator.disconnect(timeout=WAIT)
        return connected, code

    assert async_to_sync(knock)(_cookie_for(personas[persona])) == (False, 4403)
    assert async_to_sync(knock)(_cookie_for(personas["student"]))[0] is True


def test_a_session_transferred_while_the_student_was_away_sends_them_to_the_new_room(
    tutoring_session, student, teacher, school_a
):
    from eschool.accounts.models import Role, Teacher
    from eschool.core.testing import make_user

    colleague = make_user("T0002", "李老师", Role.TEACHER, school=school_a)
    Teacher.objects.create(user=colleague, school=school_a)
    # The colleague is on duty tonight and free (G's transfer checks the shift).
    _on_duty(colleague)
    new = room.room_transfer(actor=teacher, session=tutoring_session, to_teacher=colleague.teacher)

    async def scenario():
        pupil, replayed, welcome = await join(tutoring_session, student)
        assert [f["body"]["event"] for f in replayed] == ["transferred"]
        assert replayed[0]["body"]["session"] == new.pk
        assert replayed[0]["body"]["url"] == f"/tutoring/session/{new.pk}/"
        assert welcome["ended"] is True
        tutor, replayed, _ = await join(new, colleague)
        assert [(f["body"]["event"], f["body"]["from"]) for f in replayed] == [
            ("continued", "陈老师")
        ]

    run(scenario)
    assert TutoringSession.objects.get(pk=new.pk).transferred_from_id == tutoring_session.pk


def _on_duty(user):
    from eschool.core import timeutil
    from eschool.tutoring.models import GradeBand, Shift

    band = GradeBand.objects.get_or_create(name="初中", defaults={"low": 7, "high": 9})[0]
    now = timeutil.now()
    Shift.objects.create(
        teacher=user.teacher, day=timeutil.today(now), band=band, clocked_in_at=now, idle_since=now
    )


def test_broadcasts_that_cross_still_reach_a_side_once_and_in_order(
    tutoring_session, student, teacher
):
    # Two senders' broadcasts may arrive in either order: here number 2 is announced before
    # number 1. The consumer fills the gap from the database and drops the late duplicate.
    from channels.layers import get_channel_layer

    from eschool.core import timeutil

    async def scenario():
        tutor, _, _ = await join(tutoring_session, teacher)

        def store_two():
            return [
                room.message_payload(
                    RoomMessage.objects.create(
                        session=tutoring_session,
                        seq=seq,
                        author=student,
                        client_id=f"m-{seq}",
                        kind="text",
                        body={"text": text},
                        created_at=timeutil.now(),
                    ),
                    tutoring_session,
                )
                for seq, text in [(1, "一"), (2, "二")]
            ]

        first, second = await database_sync_to_async(store_two)()
        layer = get_channel_layer()
        group = room.group_name(tutoring_session.pk)
        await layer.group_send(group, {"type": "room.message", "message": second})
        await layer.group_send(group, {"type": "room.message", "message": first})
        pupil, _, _ = await join(tutoring_session, student, after=2)
        await post(pupil, "三", "m-3")
        got = [await next_frame(tutor) for _ in range(3)]
        assert texts(got) == [(1, "一"), (2, "二"), (3, "三")]
        await pupil.disconnect()
        await tutor.disconnect()

    run(scenario)


def test_nothing_is_accepted_before_the_hello(tutoring_session, student):
    async def scenario():
        communicator = WebsocketCommunicator(
            _app(), f"/ws/tutoring/{tutoring_session.pk}/", headers=[ORIGIN]
        )
        communicator.scope["user"] = student
        assert (await communicator.connect())[0]
        await post(communicator, "老师好", "early")
        frame = await communicator.receive_json_from(timeout=WAIT)
        assert (frame["type"], frame["code"]) == ("error", "hello_first")
        await communicator.disconnect()

    run(scenario)
    assert not RoomMessage.objects.exists()
