"""Broadcasting from the browser: the ingest WebSocket, the broadcast services and recovery.

Each socket test runs one coroutine (async_to_sync) with Channels' WebsocketCommunicator on
the live routes and the configured channel layer (in memory, or Redis on the PostgreSQL +
Redis leg); the media is a real MediaRecorder-like recording (see test_ingest).
"""

from __future__ import annotations

import datetime as dt
import sys
import types
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from eschool.classroom.models import Session
from eschool.core import timeutil
from eschool.live import ingest, selectors
from eschool.live.models import Broadcast, Recording
from eschool.live.routing import websocket_urlpatterns
from eschool.live.tests.conftest import MP4, WEBM
from eschool.live.tests.test_ingest import check_playlist
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
    communicator = WebsocketCommunicator(_app(), f"/ws/live/{session.pk}/ingest/", headers=headers)
    communicator.scope["user"] = user
    if language:
        communicator.scope["cookies"] = {"django_language": language}
    connected, _code = await communicator.connect()
    assert connected
    return communicator


async def go_live(communicator, mime=WEBM):
    await communicator.send_json_to({"type": "start", "mime": mime})
    assert await communicator.receive_json_from(timeout=10) == {"type": "live"}


async def send_media(communicator, data: bytes, pieces: int = 9):
    for chunk in ingest.chunks(data, pieces):
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
        assert await layer.receive(listener) == {
            "type": "live.status",
            "session": session.pk,
            "status": "live",
        }
        await send_media(socket, recordings(mime))
        await socket.send_json_to({"type": "stop"})
        frames = await until(socket, "ended")
        assert (await socket.receive_output(timeout=10))["type"] == "websocket.close"
        assert (await layer.receive(listener))["status"] == "ended"
        return frames

    frames = async_to_sync(scenario)()

    assert [f["count"] for f in frames if f["type"] == "segment"] == [1, 2, 3, 4, 5]
    assert frames[-1] == {"type": "ended", "replay_url": f"/media/live/{session.pk}/index.m3u8"}
    playlist, segments = check_playlist(media / "live" / str(session.pk), seconds=9, ended=True)
    assert all(sound > 0 for _clock, _picture, sound in segments)

    broadcast = Broadcast.objects.get(session=session)
    assert broadcast.status == Broadcast.Status.ENDED
    assert broadcast.source == Broadcast.Source.BROWSER
    assert broadcast.started_at == broadcast.ended_at == during
    replay = selectors.replay_of(session)
    assert replay == broadcast.recording
    assert replay.kind == Recording.Kind.LIVE
    assert replay.status == Recording.Status.READY
    assert replay.hls_path == broadcast.hls_path == f"live/{session.pk}/index.m3u8"
    assert replay.duration_seconds == pytest.approx(playlist.duration, abs=0.001)
