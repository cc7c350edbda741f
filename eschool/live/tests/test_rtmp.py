"""Broadcasting from OBS: nginx-rtmp's callbacks, and a real stream pushed through nginx.

The callback tests post what nginx-rtmp posts (checked against nginx-rtmp 1.2.2: app, name,
addr, clientid, call, tcurl, flashver, type). The end-to-end test needs nginx with the RTMP
module (Debian: nginx libnginx-mod-rtmp); without it the test is skipped with a printed
reason, except with CI=true, where it fails.
"""

import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import av
import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, RequestFactory

from eschool.classroom.models import Session
from eschool.core import timeutil
from eschool.live import ingest, rtmp, services, testing
from eschool.live.media import make_test_video, read_clock, read_playlist
from eschool.live.models import Broadcast, Recording
from eschool.org.models import Stage

ROOT = Path(__file__).resolve().parents[3]
RTMP_DEV = ROOT / "tools" / "rtmp-dev"
DAY = dt.date(2026, 12, 7)
DURING = timeutil.at_local(DAY, dt.time(8, 10))


@pytest.fixture
def folders(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ESCHOOL_PRIVATE_ROOT = tmp_path / "private"
    # Unit tests have no nginx: the puller is refused at once by a port this test holds
    # without listening (so no other program can be listening there meanwhile).
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        settings.ESCHOOL_RTMP_PULL_URL = f"rtmp://127.0.0.1:{closed.getsockname()[1]}/live"
        yield tmp_path


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
def broadcast(session):
    return services.broadcast_of(session)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def nginx_form(call: str, key: str, **extra) -> dict:
    form = {
        "app": "live",
        "flashver": "FMLE/3.0 (compatible; FMSc/1.0)",
        "tcurl": "rtmp://127.0.0.1:1935/live",
        "addr": "198.51.100.7",
        "clientid": "3",
        "call": call,
        "name": key,
    }
    if call == "publish":
        form["type"] = "live"
    return {**form, **extra}


def post(client, route: str, form: dict, **headers):
    return client.post(f"/rtmp/{route}/", form, **headers)


def wait_for_puller(session_id: int) -> None:
    thread = rtmp.puller_of(session_id)
    if thread is not None:
        thread.join(timeout=30)
        assert not thread.is_alive()


# --------------------------------------------------------------------------- callbacks


def test_the_right_key_inside_the_window_goes_live(client, folders, broadcast):
    with timeutil.frozen_at(DURING):
        response = post(client, "publish", nginx_form("publish", broadcast.stream_key))
    assert response.status_code == 200
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.LIVE
    assert broadcast.source == Broadcast.Source.RTMP
    assert broadcast.started_at == DURING
    assert broadcast.awaiting_first_segment is True  # viewers wait for the puller's first one
    # The playlist's folder has a random part: its URL cannot be guessed from the session's id.
    assert re.fullmatch(
        rf"live/{broadcast.session_id}-[0-9a-f]{{16}}/index\.m3u8", broadcast.hls_path
    )
    # A puller was started: it took the playlist's lock (nothing listens here, so it ended).
    wait_for_puller(broadcast.session_id)
    assert (services.live_dir(broadcast) / ".ingest.lock").exists()


def test_a_wrong_key_is_refused(client, folders, broadcast):
    with timeutil.frozen_at(DURING):
        response = post(client, "publish", nginx_form("publish", broadcast.stream_key + "x"))
        empty = post(client, "publish", nginx_form("publish", ""))
    assert response.status_code == 403
    assert empty.status_code == 403
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.WAITING
    assert broadcast.started_at is None
    assert not (folders / "media" / "live").exists()  # no puller was started


@pytest.mark.parametrize(
    "moment",
    [
        timeutil.at_local(DAY, dt.time(7, 29, 59)),  # 30 min 1 s before the start
        timeutil.at_local(DAY, dt.time(9, 10, 1)),  # 30 min 1 s after the end
        timeutil.at_local(DAY + dt.timedelta(days=1), dt.time(8, 10)),  # the next day
    ],
    ids=["too-early", "too-late", "next-day"],
)
def test_the_right_key_outside_the_window_is_refused(client, folders, broadcast, moment):
    with timeutil.frozen_at(moment):
        response = post(client, "publish", nginx_form("publish", broadcast.stream_key))
    assert response.status_code == 403
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.WAITING
    assert not (folders / "media" / "live").exists()  # no puller was started


def test_the_window_opens_30_minutes_before_the_start(client, folders, broadcast):
    with timeutil.frozen_at(timeutil.at_local(DAY, dt.time(7, 30))):
        response = post(client, "publish", nginx_form("publish", broadcast.stream_key))
    assert response.status_code == 200
    wait_for_puller(broadcast.session_id)


def test_a_cancelled_session_cannot_be_broadcast(client, folders, broadcast, session):
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)
    with timeutil.frozen_at(DURING):
        response = post(client, "publish", nginx_form("publish", broadcast.stream_key))
    assert response.status_code == 403
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.WAITING


@pytest.mark.parametrize(
    "route,call",
    [
        ("publish", "publish"),
        ("play", "play"),
        ("update", "update_publish"),
        ("publish-done", "publish_done"),
    ],
)
def test_callbacks_from_an_untrusted_address_are_refused(client, folders, broadcast, route, call):
    with timeutil.frozen_at(DURING):
        outsider = post(
            client, route, nginx_form(call, broadcast.stream_key), REMOTE_ADDR="203.0.113.9"
        )
        # Through the public site's proxy, which connects from 127.0.0.1 but says for whom.
        proxied = post(
            client,
            route,
            nginx_form(call, broadcast.stream_key),
            HTTP_X_FORWARDED_FOR="203.0.113.9",
        )
    assert outsider.status_code == 403
    assert proxied.status_code == 403
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.WAITING
    assert not (folders / "media" / "live").exists()  # no puller was started


def test_trusted_addresses_come_from_the_setting(client, folders, broadcast, settings):
    settings.ESCHOOL_RTMP_CALLBACK_ADDRESSES = ["10.0.0.0/8", "::1"]
    with timeutil.frozen_at(DURING):
        local = post(client, "publish", nginx_form("publish", broadcast.stream_key))
        lan = post(
            client, "publish", nginx_form("publish", broadcast.stream_key), REMOTE_ADDR="10.1.2.3"
        )
    assert local.status_code == 403  # 127.0.0.1 is no longer listed
    assert lan.status_code == 200
    wait_for_puller(broadcast.session_id)


def test_callbacks_need_no_csrf_token_and_only_accept_post(folders, broadcast):
    client = Client(enforce_csrf_checks=True)
    with timeutil.frozen_at(DURING):
        response = post(client, "publish", nginx_form("publish", broadcast.stream_key))
        got = client.get("/rtmp/publish/", nginx_form("publish", broadcast.stream_key))
    assert response.status_code == 200
    assert got.status_code == 405
    wait_for_puller(broadcast.session_id)


def go_live(client, broadcast):
    with timeutil.frozen_at(DURING):
        assert (
            post(client, "publish", nginx_form("publish", broadcast.stream_key)).status_code == 200
        )
    wait_for_puller(broadcast.session_id)


def test_play_is_for_the_apps_puller_of_a_live_obs_broadcast(client, folders, broadcast):
    joined = rtmp._joined_key(broadcast.pk)
    with timeutil.frozen_at(DURING):
        waiting = post(client, "play", nginx_form("play", broadcast.stream_key))
        assert cache.get(joined) is None
        go_live(client, broadcast)
        unknown = post(client, "play", nginx_form("play", "guessed-key"))
        assert cache.get(joined) is None
        puller = post(client, "play", nginx_form("play", broadcast.stream_key))
    assert (waiting.status_code, unknown.status_code, puller.status_code) == (403, 403, 200)
    # What on_publish waits for before it lets OBS in.
    assert cache.get(joined) is True


def test_the_puller_counts_as_joined_only_once_its_play_answer_was_sent(client, folders, broadcast):
    # nginx puts the puller in the stream when it reads this answer; on_publish's answer must
    # not overtake it, or OBS's first pictures go out before the puller is there.
    joined = rtmp._joined_key(broadcast.pk)
    with timeutil.frozen_at(DURING):
        go_live(client, broadcast)
        request = RequestFactory().post("/rtmp/play/", nginx_form("play", broadcast.stream_key))
        answer = rtmp.on_play(request)
    assert (answer.status_code, answer.content) == (200, b"ok")
    assert cache.get(joined) is None  # answered, not yet sent
    answer.close()  # Django's handlers close a response after its last byte went out
    assert cache.get(joined) is True


def pull_attempts(caplog, broadcast) -> int:
    heard = f"rtmp: session {broadcast.session_id} stream refused"
    return sum(1 for record in caplog.records if record.getMessage().startswith(heard))


def test_update_keeps_a_stream_inside_the_window_and_restarts_a_missing_puller(
    client, folders, broadcast, caplog
):
    go_live(client, broadcast)
    assert pull_attempts(caplog, broadcast) == 1  # nothing to pull in this test: it ended
    at_end = timeutil.at_local(DAY, dt.time(9, 10))  # the session's end + 30 min, exactly
    with timeutil.frozen_at(at_end):
        response = post(client, "update", nginx_form("update_publish", broadcast.stream_key))
    assert response.status_code == 200
    wait_for_puller(broadcast.session_id)
    # No ingest held the playlist (as after an app restart): a puller was started again.
    assert pull_attempts(caplog, broadcast) == 2
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.LIVE


def test_update_leaves_a_running_puller_alone(client, folders, broadcast, caplog):
    go_live(client, broadcast)
    writing = ingest.playlist_lock(services.live_dir(broadcast))  # another ingest
    with writing, timeutil.frozen_at(DURING):
        response = post(client, "update", nginx_form("update_publish", broadcast.stream_key))
    assert response.status_code == 200
    assert rtmp.puller_of(broadcast.session_id) is None
    assert pull_attempts(caplog, broadcast) == 1


def test_update_drops_a_stream_that_overruns_the_window(client, folders, broadcast):
    go_live(client, broadcast)
    with timeutil.frozen_at(timeutil.at_local(DAY, dt.time(9, 10, 1))):
        response = post(client, "update", nginx_form("update_publish", broadcast.stream_key))
    assert response.status_code == 403


def test_update_drops_a_stream_whose_broadcast_was_ended_or_key_renewed(client, folders, broadcast):
    go_live(client, broadcast)
    old_key = broadcast.stream_key
    Broadcast.objects.filter(pk=broadcast.pk).update(stream_key="renewed-key")
    with timeutil.frozen_at(DURING):
        renewed = post(client, "update", nginx_form("update_publish", old_key))
        Broadcast.objects.filter(pk=broadcast.pk).update(
            stream_key=old_key, status=Broadcast.Status.ENDED
        )
        ended = post(client, "update", nginx_form("update_publish", old_key))
    assert renewed.status_code == 403
    assert ended.status_code == 403


def test_update_from_the_apps_own_puller_is_accepted(client, folders, broadcast):
    with timeutil.frozen_at(timeutil.at_local(DAY, dt.time(23, 0))):
        response = post(client, "update", nginx_form("update_play", broadcast.stream_key))
    assert response.status_code == 200


def test_publish_done_turns_the_stream_into_the_replay(client, folders, broadcast, tmp_path):
    go_live(client, broadcast)
    # What the puller would have written: 5 s of the stream in the session's live playlist.
    clip = make_test_video(tmp_path / "clip.mp4", seconds=5, width=320, height=180)
    ingest.ingest_stream(str(clip), services.live_dir(broadcast))
    with timeutil.frozen_at(DURING + dt.timedelta(minutes=20)):
        response = post(client, "publish-done", nginx_form("publish_done", broadcast.stream_key))
    assert response.status_code == 200
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.ENDED
    assert broadcast.ended_at == DURING + dt.timedelta(minutes=20)
    replay = broadcast.recording
    assert replay.status == Recording.Status.READY
    assert replay.kind == Recording.Kind.LIVE
    assert replay.hls_path == broadcast.hls_path
    playlist = read_playlist(folders / "media" / replay.hls_path)
    assert playlist.ended
    assert playlist.duration == pytest.approx(5.0, abs=0.05)
    assert replay.duration_seconds == pytest.approx(playlist.duration, abs=0.001)


def test_publish_done_leaves_a_browser_broadcast_alone(client, folders, broadcast, teacher):
    with timeutil.frozen_at(DURING):
        services.broadcast_begin(actor=teacher, session=broadcast.session, source="browser")
        response = post(client, "publish-done", nginx_form("publish_done", broadcast.stream_key))
    assert response.status_code == 200
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.LIVE
    assert broadcast.source == Broadcast.Source.BROWSER


# --------------------------------------------------------------------------- end to end


def _require_nginx_rtmp() -> str:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    reason = ""
    if not nginx:
        reason = "the RTMP test needs nginx (apt-get install nginx libnginx-mod-rtmp)"
    elif not Path("/usr/lib/nginx/modules/ngx_rtmp_module.so").exists():
        built_in = subprocess.run([nginx, "-V"], capture_output=True, text=True).stderr
        if "rtmp" not in built_in:
            reason = "the RTMP test needs nginx's RTMP module (apt-get install libnginx-mod-rtmp)"
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}", pytrace=False)
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)
    return nginx


def _wait_until(condition, *, seconds: float, what: str, process=None):
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            pytest.fail(f"nginx exited ({process.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)  # polling a condition with a deadline, not guessing a duration


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def nginx_rtmp(folders, live_server, settings):
    """tools/rtmp-dev on a free port, calling the test's live server; stopped afterwards."""
    _require_nginx_rtmp()
    port = free_port()
    with open(folders / "nginx.log", "wb") as log:
        process = subprocess.Popen(
            [str(RTMP_DEV), "--port", str(port), "--app", live_server.url],
            env={**os.environ, "ESCHOOL_RTMP_PREFIX": str(folders / "nginx")},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    settings.ESCHOOL_RTMP_PULL_URL = f"rtmp://127.0.0.1:{port}/live"
    try:
        _wait_until(lambda: _listening(port), seconds=15, what="nginx to listen", process=process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=15)
        print((folders / "nginx.log").read_text(errors="replace")[-2000:])


def push(source: Path, url: str) -> subprocess.CompletedProcess:
    return testing.push_as_obs(source, url)


def decode_segment(path: Path) -> tuple[list[float], int]:
    """The clock read from each picture of a segment, and how many sound samples it holds."""
    clocks, samples = [], 0
    with av.open(str(path)) as segment:
        assert segment.streams.video[0].codec_context.name == "h264"
        assert segment.streams.audio[0].codec_context.name == "aac"
        for frame in segment.decode(segment.streams.video[0], segment.streams.audio[0]):
            if isinstance(frame, av.VideoFrame):
                clocks.append(read_clock(frame))
            else:
                samples += frame.samples
    return clocks, samples


def session_now(teacher) -> Session:
    """A session going on now (the end-to-end tests run on the real clock, as nginx does)."""
    now = timeutil.now()
    return Session.objects.create(
        day=timeutil.today(now),
        starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(minutes=40),
        title="直播测试",
        stage=Stage.JUNIOR,
        teacher=teacher.teacher,
    )


# nginx calls the live server in another thread: committed data, restored afterwards.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_obs_stream_through_nginx_becomes_live_then_the_replay(
    nginx_rtmp, teacher, tmp_path, settings
):
    port = nginx_rtmp
    session = session_now(teacher)
    broadcast = services.broadcast_of(session)
    clip = make_test_video(tmp_path / "obs.mp4", seconds=10, width=320, height=180)

    # nginx asks the app: a wrong key never gets to publish.
    refused = push(clip, f"rtmp://127.0.0.1:{port}/live/not-{broadcast.stream_key}")
    assert refused.returncode == 3, refused.stderr
    assert Broadcast.objects.get(pk=broadcast.pk).status == Broadcast.Status.WAITING

    pushed_at = time.monotonic()
    pushed = push(clip, f"rtmp://127.0.0.1:{port}/live/{broadcast.stream_key}")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    pushed_for = time.monotonic() - pushed_at
    assert pushed_for == pytest.approx(10.0, abs=1.0)  # it was sent live, not in one burst

    def replay_ready():
        done = Broadcast.objects.select_related("recording").get(pk=broadcast.pk)
        return done if done.recording and done.recording.status == "ready" else None

    done = _wait_until(replay_ready, seconds=30, what="the replay")
    ready_after = time.monotonic() - pushed_at - pushed_for
    print(f"rtmp: replay ready {ready_after:.2f} s after the stream ended")
    assert done.status == Broadcast.Status.ENDED
    assert done.source == Broadcast.Source.RTMP
    assert done.started_at is not None and done.last_media_at is not None
    assert done.awaiting_first_segment is False  # the puller's first segment made it playable

    path = Path(settings.MEDIA_ROOT) / done.recording.hls_path
    assert path == services.live_dir(done) / "index.m3u8"
    playlist = read_playlist(path)
    assert playlist.ended
    assert playlist.playlist_type == "VOD"  # the replay: closed, declared VOD
    assert playlist.duration == pytest.approx(10.0, abs=0.2)
    assert done.recording.duration_seconds == pytest.approx(playlist.duration, abs=0.001)
    assert playlist.target_duration >= max(s.duration for s in playlist.segments)
    # make_test_video puts a keyframe every 2 s: segments of 2 s, the last one maybe shorter.
    assert [round(s.duration) for s in playlist.segments[:-1]] == [2] * (len(playlist.segments) - 1)

    clocks, samples = [], 0
    for segment in playlist.segments:
        segment_clocks, segment_samples = decode_segment(path.parent / segment.uri)
        assert segment_clocks, f"{segment.uri} has no pictures"
        assert segment_samples > 0.9 * segment.duration * 48000, f"{segment.uri} lacks sound"
        clocks += segment_clocks
        samples += segment_samples
    # Every picture arrived once, in order, from the first (the puller was there before OBS).
    assert clocks[0] == 0.0
    assert clocks == sorted(clocks)
    assert len(clocks) == 250
    assert clocks[-1] == pytest.approx(9.96, abs=0.001)
    assert samples / 48000 == pytest.approx(10.0, abs=0.1)
    assert not list(path.parent.glob(".*.part"))
    assert rtmp.puller_of(session.pk) is None or not rtmp.puller_of(session.pk).is_alive()


def test_rtmp_dev_writes_a_configuration_nginx_accepts(tmp_path):
    nginx = _require_nginx_rtmp()
    result = subprocess.run(
        [str(RTMP_DEV), "--check", "--port", "19999", "--app", "http://127.0.0.1:8123/"],
        env={
            **os.environ,
            "ESCHOOL_RTMP_PREFIX": str(tmp_path / "nginx"),
            "PATH": f"{Path(nginx).parent}:{os.environ.get('PATH', '')}",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    written = (tmp_path / "nginx" / "conf" / "rtmp.conf").read_text()
    assert "listen 19999;" in written
    assert "on_publish http://127.0.0.1:8123/rtmp/publish/;" in written
    assert "on_update http://127.0.0.1:8123/rtmp/update/;" in written
    assert "on_publish_done http://127.0.0.1:8123/rtmp/publish-done/;" in written
    assert "notify_update_timeout 30s;" in written


# nginx calls the live server in another thread: committed data, restored afterwards.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_obs_reconnecting_continues_the_same_live_and_replay(nginx_rtmp, teacher, tmp_path):
    port = nginx_rtmp
    session = session_now(teacher)
    broadcast = services.broadcast_of(session)
    clip = make_test_video(tmp_path / "part.mp4", seconds=4, width=320, height=180)
    url = f"rtmp://127.0.0.1:{port}/live/{broadcast.stream_key}"

    def ended_with_replay():
        done = Broadcast.objects.select_related("recording").get(pk=broadcast.pk)
        ready = done.recording and done.recording.status == Recording.Status.READY
        return done if done.status == Broadcast.Status.ENDED and ready else None

    first = push(clip, url)
    assert first.returncode == 0, first.stdout + first.stderr
    replay = _wait_until(ended_with_replay, seconds=30, what="the first part's replay").recording
    assert replay.duration_seconds == pytest.approx(4.0, abs=0.1)

    # OBS's line dropped and it reconnected (or the teacher pressed Start again) in the window.
    second = push(clip, url)
    assert second.returncode == 0, second.stdout + second.stderr
    done = _wait_until(
        lambda: (d := ended_with_replay()) and d.recording.duration_seconds > 4.5 and d,
        seconds=30,
        what="the replay of both parts",
    )
    assert done.recording.pk == replay.pk  # the same replay, not a new recording
    assert Recording.objects.filter(session=session).count() == 1
    playlist = read_playlist(Path(settings.MEDIA_ROOT) / done.recording.hls_path)
    assert playlist.ended
    assert playlist.duration == pytest.approx(8.0, abs=0.1)
    assert [s.discontinuity for s in playlist.segments] == [False, False, True, False]
    clocks = []
    for segment in playlist.segments:
        segment_clocks, samples = decode_segment(services.live_dir(done) / segment.uri)
        assert samples > 0.9 * segment.duration * 48000
        clocks += segment_clocks
    # Each part from its first picture: the clip's clock twice over, nothing lost or repeated.
    assert clocks == [i / 25 for i in range(100)] * 2
