"""Broadcasting from the browser: the ingest WebSocket, the broadcast services and recovery.

Each socket test runs one coroutine (run_sockets, which closes its sockets) with Channels'
WebsocketCommunicator on the live routes and the configured channel layer (in memory, or Redis
on the PostgreSQL + Redis leg); the media is a real MediaRecorder-like recording (see
test_ingest).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import types
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied
from django.utils import translation

from eschool.classroom.models import Session
from eschool.core import timeutil
from eschool.core.testing import opened_socket, run_sockets
from eschool.live import ingest, selectors, services, tasks, testing
from eschool.live.media import read_playlist
from eschool.live.models import Broadcast, Recording
from eschool.live.routing import websocket_urlpatterns
from eschool.live.tests.conftest import MP4, WEBM
from eschool.live.tests.test_ingest import check_playlist, feed
from eschool.org.models import Stage

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
DAY = dt.date(2026, 12, 7)
DURING = timeutil.at_local(DAY, dt.time(8, 10))


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_URL = "/media/"
    return tmp_path / "media"


@pytest.fixture
def session(teacher):
    return Session.objects.create(
        day=DAY,
        starts_at=timeutil.at_local(DAY, dt.time(8, 0)),
        ends_at=timeutil.at_local(DAY, dt.time(8, 40)),
        title="分数的加减",
        stage=Stage.JUNIOR,
        teacher=teacher.teacher,
    )


@pytest.fixture
def during():
    with timeutil.frozen_at(DURING):
        yield DURING


def _app():
    from channels.routing import URLRouter

    return URLRouter(websocket_urlpatterns)


async def opened(session, user, *, language: str | None = None):
    headers = [ORIGIN]
    communicator = opened_socket(
        WebsocketCommunicator(_app(), f"/ws/live/{session.pk}/ingest/", headers=headers)
    )
    communicator.scope["user"] = user
    if language:
        communicator.scope["cookies"] = {"django_language": language}
    connected, _code = await communicator.connect()
    assert connected
    return communicator


def live_path(session) -> str:
    """The broadcast's playlist, relative to MEDIA_ROOT: live/<session>-<random>/index.m3u8."""
    path = Broadcast.objects.get(session=session).hls_path
    assert re.fullmatch(rf"live/{session.pk}-[0-9a-f]{{16}}/index\.m3u8", path), path
    return path


async def go_live(communicator, mime=WEBM):
    await communicator.send_json_to({"type": "start", "mime": mime})
    accepted = await communicator.receive_json_from(timeout=10)
    session = Session(pk=int(communicator.scope["path"].split("/")[3]))
    path = await database_sync_to_async(live_path)(session)
    # Accepted, with the playlist's URL (the teacher's own page plays it from there).
    assert accepted == {"type": "live", "hls_url": f"/media/{path}"}


async def start_refused(session, user) -> tuple[dict, dict]:
    """A "start" the server refuses: its error frame (in English) and how it closed."""
    socket = await opened(session, user, language="en")
    await socket.send_json_to({"type": "start", "mime": WEBM})
    refused = await socket.receive_json_from(timeout=10)
    closed = await socket.receive_output(timeout=10)
    return refused, closed


async def send_media(communicator, data: bytes, pieces: int = 9):
    for chunk in testing.chunks(data, pieces):
        await communicator.send_to(bytes_data=chunk)


async def until(communicator, kind: str) -> list[dict]:
    """Frames up to and including the first of `kind`."""
    frames = []
    while True:
        frame = await communicator.receive_json_from(timeout=30)
        frames.append(frame)
        if frame["type"] == kind:
            return frames


@pytest.mark.parametrize("mime", [WEBM, MP4])
def test_a_teacher_goes_live_from_the_browser_and_the_same_playlist_is_the_replay(
    media, session, teacher, during, recordings, mime
):
    layer = get_channel_layer()

    async def scenario():
        listener = await layer.new_channel()
        await layer.group_add(f"session-{session.pk}", listener)
        socket = await opened(session, teacher)
        await go_live(socket, mime)
        # Started, but nothing to play yet: viewers hear "starting", and "live" with the
        # first segment in the playlist (before the teacher's page hears of that segment).
        assert await layer.receive(listener) == {
            "type": "live.status",
            "session": session.pk,
            "status": "starting",
        }
        live = await database_sync_to_async(Broadcast.objects.get)(session=session)
        assert (live.status, live.awaiting_first_segment) == (Broadcast.Status.LIVE, True)
        await send_media(socket, recordings(mime))
        first = await until(socket, "segment")
        assert first[-1] == {"type": "segment", "count": 1}
        live = await database_sync_to_async(Broadcast.objects.get)(session=session)
        assert live.awaiting_first_segment is False
        assert (await layer.receive(listener))["status"] == "live"
        await socket.send_json_to({"type": "stop"})
        frames = first + await until(socket, "ended")
        assert (await socket.receive_output(timeout=10))["type"] == "websocket.close"
        assert (await layer.receive(listener))["status"] == "ended"
        return frames

    frames = run_sockets(scenario)

    assert [f["count"] for f in frames if f["type"] == "segment"] == [1, 2, 3, 4, 5]
    path = live_path(session)
    assert frames[-1] == {"type": "ended", "replay_url": f"/media/{path}"}
    playlist, segments = check_playlist((media / path).parent, seconds=9, ended=True)
    assert all(sound > 0 for _clock, _picture, sound in segments)

    broadcast = Broadcast.objects.get(session=session)
    assert broadcast.status == Broadcast.Status.ENDED
    assert broadcast.source == Broadcast.Source.BROWSER
    assert broadcast.started_at == broadcast.ended_at == during
    replay = selectors.replay_of(session)
    assert replay == broadcast.recording
    assert replay.kind == Recording.Kind.LIVE
    assert replay.status == Recording.Status.READY
    assert replay.hls_path == broadcast.hls_path == path
    assert replay.duration_seconds == pytest.approx(playlist.duration, abs=0.001)


def test_a_dropped_socket_keeps_the_live_and_a_new_one_continues_it(
    media, session, teacher, during, recordings, short_recording
):
    async def scenario():
        first = await opened(session, teacher)
        await go_live(first)
        await send_media(first, short_recording, pieces=5)
        await first.disconnect()  # the school's line drops; no "stop"
        live = await database_sync_to_async(Broadcast.objects.get)(session=session)
        assert live.status == Broadcast.Status.LIVE
        assert not read_playlist(media / live.hls_path).ended

        second = await opened(session, teacher)
        await go_live(second)
        # Viewers go on at once with the segments the playlist already has.
        again = await database_sync_to_async(Broadcast.objects.get)(session=session)
        assert again.awaiting_first_segment is False
        await send_media(second, recordings(WEBM))
        await second.send_json_to({"type": "stop"})
        return await until(second, "ended")

    frames = run_sockets(scenario)

    # The new socket counts on from the segments already listed.
    assert [f["count"] for f in frames if f["type"] == "segment"] == [4, 5, 6, 7, 8]
    playlist, _segments = check_playlist(
        (media / live_path(session)).parent, seconds=5 + 9, ended=True
    )
    assert [s.discontinuity for s in playlist.segments].count(True) == 1
    assert playlist.segments[3].discontinuity
    broadcast = Broadcast.objects.get(session=session)
    assert broadcast.status == Broadcast.Status.ENDED
    assert Recording.objects.filter(session=session).count() == 1
    assert broadcast.recording.duration_seconds == pytest.approx(14.0, abs=0.01)


def test_a_second_window_takes_over_the_broadcast_from_the_first(
    media, session, teacher, during, recordings
):
    async def scenario():
        old = await opened(session, teacher, language="en")
        await go_live(old)
        new = await opened(session, teacher)
        await go_live(new)
        told = await old.receive_json_from(timeout=10)
        closed = await old.receive_output(timeout=10)
        await send_media(new, recordings(WEBM))
        await new.send_json_to({"type": "stop"})
        await until(new, "ended")
        return told, closed

    told, closed = run_sockets(scenario)

    assert told == {
        "type": "error",
        "message": "The broadcast continues from another window or device.",
    }
    assert closed == {"type": "websocket.close", "code": 4409}
    assert read_playlist(media / live_path(session)).ended


@pytest.mark.parametrize("persona", ["student", "stranger", "parent", "school_admin"])
def test_only_the_teacher_or_a_district_administrator_may_broadcast(
    media, session, during, request, persona
):
    user = request.getfixturevalue(persona)

    async def scenario():
        socket = await opened(session, user, language="en")
        refused = await socket.receive_json_from(timeout=10)
        closed = await socket.receive_output(timeout=10)
        return refused, closed

    refused, closed = run_sockets(scenario)

    assert refused == {
        "type": "error",
        "message": "Only the session's teacher or a district administrator can broadcast it.",
    }
    assert closed == {"type": "websocket.close", "code": 4403}
    assert not Broadcast.objects.filter(session=session).exists()
    with pytest.raises(PermissionDenied):
        services.broadcast_begin(actor=user, session=session, source=Broadcast.Source.BROWSER)


def test_a_district_administrator_may_broadcast(media, session, district_admin, during):
    broadcast = services.broadcast_begin(
        actor=district_admin, session=session, source=Broadcast.Source.BROWSER
    )
    assert broadcast.status == Broadcast.Status.LIVE


def test_the_refusal_is_in_chinese_by_default(media, session, student, during):
    async def scenario():
        socket = await opened(session, student)
        return await socket.receive_json_from(timeout=10)

    refused = run_sockets(scenario)

    with translation.override("zh-hans"):
        expected = translation.gettext(
            "Only the session's teacher or a district administrator can broadcast it."
        )
    assert refused["message"] == expected


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        (
            dt.time(7, 29),
            "You can go live from 2026-12-07 07:30, 30 minutes before the session starts.",
        ),
        (
            dt.time(9, 11),
            "The session ended more than 30 minutes ago; it can no longer be broadcast.",
        ),
    ],
)
def test_going_live_outside_the_window_is_refused_with_a_message(
    media, session, teacher, moment, message
):
    with timeutil.frozen_at(timeutil.at_local(DAY, moment)):
        refused, closed = run_sockets(start_refused, session, teacher)

    assert refused == {"type": "error", "message": message}
    assert closed["code"] == 4403
    assert not Broadcast.objects.filter(session=session).exclude(status="waiting").exists()
    assert not (media / "live").exists()


@pytest.mark.parametrize("moment", [dt.time(7, 30), dt.time(9, 10)])
def test_the_window_opens_half_an_hour_before_and_closes_half_an_hour_after(
    media, session, teacher, moment
):
    with timeutil.frozen_at(timeutil.at_local(DAY, moment)):
        broadcast = services.broadcast_begin(
            actor=teacher, session=session, source=Broadcast.Source.BROWSER
        )
    assert broadcast.status == Broadcast.Status.LIVE


def test_media_after_the_window_ends_the_broadcast(media, session, teacher, recordings):
    async def scenario():
        socket = await opened(session, teacher, language="en")
        with timeutil.frozen_at(timeutil.at_local(DAY, dt.time(9, 5))):
            await go_live(socket)
        with timeutil.frozen_at(timeutil.at_local(DAY, dt.time(9, 11))):
            await send_media(socket, recordings(WEBM))
            return await until(socket, "ended")

    frames = run_sockets(scenario)

    assert frames[0] == {
        "type": "error",
        "message": "The session's time is over; the broadcast has ended.",
    }
    assert Broadcast.objects.get(session=session).status == Broadcast.Status.ENDED


def test_a_cancelled_session_cannot_go_live(media, session, teacher, during):
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)
    session.refresh_from_db()
    with translation.override("en"), pytest.raises(services.BroadcastRefused) as refused:
        services.broadcast_begin(actor=teacher, session=session, source=Broadcast.Source.BROWSER)
    assert refused.value.message == "This session was cancelled; it cannot be broadcast."


def test_rtmp_may_begin_without_a_user_but_the_browser_may_not(media, session, during):
    with pytest.raises(PermissionDenied):
        services.broadcast_begin(actor=None, session=session, source=Broadcast.Source.BROWSER)
    broadcast = services.broadcast_begin(actor=None, session=session, source=Broadcast.Source.RTMP)
    assert (broadcast.status, broadcast.source) == (Broadcast.Status.LIVE, "rtmp")


def test_ending_a_broadcast_that_recorded_nothing_leaves_no_replay(media, session, teacher, during):
    broadcast = services.broadcast_begin(
        actor=teacher, session=session, source=Broadcast.Source.BROWSER
    )
    assert services.broadcast_end(broadcast=broadcast) is None
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.ENDED
    assert selectors.replay_of(session) is None


def test_an_ended_broadcast_resumed_in_its_window_keeps_one_playlist_and_one_replay(
    media, session, teacher, during, recordings, short_recording
):
    broadcast = services.broadcast_begin(
        actor=teacher, session=session, source=Broadcast.Source.BROWSER
    )
    out_dir = services.live_dir(broadcast)
    feed(short_recording, out_dir, pieces=5)
    replay = services.broadcast_end(broadcast=broadcast)
    assert replay.duration_seconds == 5.0

    services.broadcast_begin(actor=teacher, session=session, source=Broadcast.Source.BROWSER)
    replay.refresh_from_db()
    assert replay.status == Recording.Status.PROCESSING  # live again: not a replay for now
    assert selectors.replay_of(session) is None
    assert not read_playlist(out_dir / "index.m3u8").ended
    feed(recordings(WEBM), out_dir)
    again = services.broadcast_end(broadcast=broadcast)

    assert again.pk == replay.pk
    assert (again.status, again.duration_seconds) == (Recording.Status.READY, 14.0)
    assert selectors.replay_of(session) == again
    check_playlist(out_dir, seconds=14, ended=True)


def test_chat_offsets_are_times_in_the_replay_which_skips_the_gap_between_parts(
    media, session, teacher, recordings, short_recording
):
    from eschool.chat.services import message_post

    def say(hhmmss: str, text: str):
        with timeutil.frozen_at(at(hhmmss)):
            return message_post(author=teacher, session=session, text=text)

    def at(hhmmss: str) -> dt.datetime:
        return timeutil.at_local(session.day, dt.time.fromisoformat(hhmmss))

    with timeutil.frozen_at(at("08:10:00")):
        broadcast = services.broadcast_begin(
            actor=teacher, session=session, source=Broadcast.Source.BROWSER
        )
        out_dir = services.live_dir(broadcast)
        feed(short_recording, out_dir, pieces=5)  # the first part: 5 s
    first = say("08:10:03", "first part, 3 s in")
    with timeutil.frozen_at(at("08:10:06")):
        services.broadcast_end(broadcast=broadcast)
    between = say("08:12:00", "between the parts")
    with timeutil.frozen_at(at("08:15:00")):
        services.broadcast_begin(actor=teacher, session=session, source=Broadcast.Source.BROWSER)
    second = say("08:15:04", "second part, 4 s in")
    feed(recordings(WEBM), out_dir)  # the second part: 9 s
    with timeutil.frozen_at(at("08:15:10")):
        replay = services.broadcast_end(broadcast=broadcast)
    after = say("08:20:00", "after the end")

    assert replay.duration_seconds == 14.0
    assert sum(s.discontinuity for s in read_playlist(out_dir / "index.m3u8").segments) == 1
    offsets = [m.offset_seconds for m in (first, between, second, after)]
    # Counted from the first start these were 3, 120, 304 and 600 s into a 14 s replay.
    assert offsets == [3.0, 5.0, 9.0, 14.0]


class Crash(Exception):
    pass


def test_recovery_turns_a_broadcast_whose_ingest_died_into_a_replay(
    media, session, teacher, recordings
):
    started = timeutil.at_local(DAY, dt.time(8, 0))
    with timeutil.frozen_at(started):
        broadcast = services.broadcast_begin(
            actor=teacher, session=session, source=Broadcast.Source.BROWSER
        )

    def die_after_two(event):
        if event.count == 2:
            raise Crash  # the process dies while the third segment is being written

    with pytest.raises(Crash):
        feed(recordings(WEBM), services.live_dir(broadcast), on_segment=die_after_two)

    with timeutil.frozen_at(started + dt.timedelta(seconds=59)):
        assert tasks.recover_broadcasts.call_local() == 0  # silent for less than a minute
    with timeutil.frozen_at(started + dt.timedelta(seconds=61)):
        assert tasks.recover_broadcasts.call_local() == 1
        assert tasks.recover_broadcasts.call_local() == 0

    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.ENDED
    assert broadcast.ended_at == started + dt.timedelta(seconds=61)
    playlist = read_playlist(media / broadcast.hls_path)
    assert playlist.ended
    assert [s.uri for s in playlist.segments] == ["seg-00000.ts", "seg-00001.ts"]
    assert not list(services.live_dir(broadcast).glob(".seg-*"))
    replay = selectors.replay_of(session)
    assert (replay.kind, replay.duration_seconds) == (Recording.Kind.LIVE, 4.0)


def test_recovery_leaves_broadcasts_that_are_still_receiving_media(media, session, teacher, during):
    broadcast = services.broadcast_begin(
        actor=teacher, session=session, source=Broadcast.Source.BROWSER
    )
    with timeutil.frozen_at(during + dt.timedelta(minutes=5)):
        services.broadcast_media_arrived(broadcast_id=broadcast.pk)
    with timeutil.frozen_at(during + dt.timedelta(minutes=5, seconds=30)):
        assert services.broadcasts_recover() == 0
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.LIVE


# Two ways of broadcasting one session ------------------------------------------------------


def test_a_browser_start_while_obs_is_live_is_refused_and_obs_goes_on(
    client, media, session, teacher, during
):
    from eschool.live.tests.test_rtmp import nginx_form

    broadcast = services.broadcast_begin(actor=None, session=session, source="rtmp")
    before = Broadcast.objects.values().get(pk=broadcast.pk)

    with ingest.playlist_lock(services.live_dir(broadcast)):  # OBS's puller is writing
        refused, closed = run_sockets(start_refused, session, teacher)
        assert Broadcast.objects.values().get(pk=broadcast.pk) == before  # nothing changed
        # nginx's next check keeps OBS on the air (it would drop a broadcast no longer OBS's).
        update = client.post("/rtmp/update/", nginx_form("update_publish", broadcast.stream_key))

    assert refused == {
        "type": "error",
        "message": "This session is being broadcast from OBS. Stop streaming in OBS first.",
    }
    assert closed == {"type": "websocket.close", "code": 4403}
    assert update.status_code == 200
    # OBS stops: its publish-done ends the broadcast as usual.
    done = client.post("/rtmp/publish-done/", nginx_form("publish_done", broadcast.stream_key))
    assert done.status_code == 200
    assert Broadcast.objects.get(pk=broadcast.pk).status == Broadcast.Status.ENDED


def test_obs_publishing_while_a_browser_is_live_is_refused_and_changes_nothing(
    client, media, session, teacher, during, settings
):
    import socket

    from eschool.live.tests.test_rtmp import nginx_form, wait_for_puller

    # No nginx here: the puller OBS's publish starts is refused at once by a port this test
    # holds without listening.
    closed_port = socket.socket()
    closed_port.bind(("127.0.0.1", 0))
    settings.ESCHOOL_RTMP_PULL_URL = f"rtmp://127.0.0.1:{closed_port.getsockname()[1]}/live"
    broadcast = services.broadcast_begin(actor=teacher, session=session, source="browser")
    before = Broadcast.objects.values().get(pk=broadcast.pk)
    with ingest.playlist_lock(services.live_dir(broadcast)):  # the browser's ingest
        response = client.post("/rtmp/publish/", nginx_form("publish", broadcast.stream_key))
    assert response.status_code == 403
    assert Broadcast.objects.values().get(pk=broadcast.pk) == before
    # Once the browser's ingest has let go (the teacher closed the tab), OBS may take over.
    response = client.post("/rtmp/publish/", nginx_form("publish", broadcast.stream_key))
    assert response.status_code == 200
    assert Broadcast.objects.get(pk=broadcast.pk).source == Broadcast.Source.RTMP
    wait_for_puller(session.pk)
    closed_port.close()


# A teacher who closed the tab ---------------------------------------------------------------


def abandoned_checks() -> list:
    from huey.contrib.djhuey import HUEY

    return [task for task in HUEY.scheduled() if task.name == "close_abandoned_broadcast"]


@pytest.fixture
def schedule():
    """Huey's schedule (in memory in tests: a delayed job waits there, it does not run)."""
    from huey.contrib.djhuey import HUEY

    HUEY.flush()
    yield
    HUEY.flush()


def test_a_dropped_socket_closes_the_broadcast_35_s_later_if_the_teacher_does_not_return(
    media, session, teacher, during, recordings, schedule
):
    async def scenario():
        socket = await opened(session, teacher)
        await go_live(socket)
        await send_media(socket, recordings(WEBM))
        await socket.disconnect()  # the tab is closed: no "stop"

    queued_after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    run_sockets(scenario)
    queued_before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    broadcast = Broadcast.objects.get(session=session)
    assert broadcast.status == Broadcast.Status.LIVE

    [check] = abandoned_checks()
    assert check.args == (broadcast.pk, during)
    delay = dt.timedelta(seconds=35)
    assert queued_after + delay <= check.eta <= queued_before + delay  # Huey's UTC clock

    later = during + services.ABANDONED_AFTER
    with timeutil.frozen_at(later):
        assert tasks.close_abandoned_broadcast.call_local(*check.args) is True
        assert tasks.close_abandoned_broadcast.call_local(*check.args) is False  # done already
    broadcast.refresh_from_db()
    assert (broadcast.status, broadcast.ended_at) == (Broadcast.Status.ENDED, later)
    replay = selectors.replay_of(session)
    assert (replay.status, replay.duration_seconds) == (Recording.Status.READY, 9.0)
    check_playlist(services.live_dir(broadcast), seconds=9, ended=True)


def test_a_teacher_back_within_35_s_keeps_the_broadcast_live(
    media, session, teacher, during, recordings, short_recording, schedule
):
    def check_after_35_s():
        [check] = abandoned_checks()
        with timeutil.frozen_at(during + services.ABANDONED_AFTER):
            return tasks.close_abandoned_broadcast.call_local(*check.args)

    async def scenario():
        first = await opened(session, teacher)
        await go_live(first)
        await send_media(first, short_recording, pieces=5)
        await first.disconnect()
        with timeutil.frozen_at(during + dt.timedelta(seconds=10)):  # the page reconnected
            second = await opened(session, teacher)
            await go_live(second)
            await send_media(second, recordings(WEBM))
        closed = await database_sync_to_async(check_after_35_s)()
        status = await database_sync_to_async(
            lambda: Broadcast.objects.get(session=session).status
        )()
        await second.send_json_to({"type": "stop"})
        await until(second, "ended")
        return closed, status

    closed, status = run_sockets(scenario)
    assert (closed, status) == (False, Broadcast.Status.LIVE)


def test_a_socket_that_ends_the_broadcast_or_is_taken_over_schedules_nothing(
    media, session, teacher, during, recordings, schedule
):
    async def scenario():
        old = await opened(session, teacher)
        await go_live(old)
        new = await opened(session, teacher)
        await go_live(new)
        await old.receive_output(timeout=10)  # told, then closed (taken over)
        await old.disconnect()
        await send_media(new, recordings(WEBM))
        await new.send_json_to({"type": "stop"})
        await until(new, "ended")
        await new.disconnect()

    run_sockets(scenario)
    assert abandoned_checks() == []
