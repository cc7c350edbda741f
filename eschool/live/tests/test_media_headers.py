"""The development server sends media with the headers nginx sends in production."""

import os
from pathlib import Path

import av
import pytest

from eschool.live import ingest
from eschool.live.media import AUDIO_RATE, read_playlist
from eschool.live.tests.conftest import WEBM
from eschool.live.tests.test_ingest import feed

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    live = tmp_path / "live" / "7"
    live.mkdir(parents=True)
    (live / "index.m3u8").write_text("#EXTM3U\n#EXT-X-PLAYLIST-TYPE:EVENT\n")
    (live / "seg-00001.ts").write_bytes(b"\x47" * 188)
    replay = tmp_path / "replays" / "7" / "3" / "360p"
    replay.mkdir(parents=True)
    (replay.parent / "master.m3u8").write_text("#EXTM3U\n")
    (replay / "index.m3u8").write_text("#EXTM3U\n#EXT-X-ENDLIST\n")
    (replay / "seg-00000.ts").write_bytes(b"\x47" * 188)
    (tmp_path / "covers").mkdir()
    (tmp_path / "covers" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return tmp_path


@pytest.mark.parametrize(
    ("path", "content_type", "cache_control"),
    [
        ("live/7/index.m3u8", "application/vnd.apple.mpegurl", "public, max-age=1"),
        ("live/7/seg-00001.ts", "video/mp2t", "public, max-age=31536000, immutable"),
        ("replays/7/3/master.m3u8", "application/vnd.apple.mpegurl", "public, max-age=300"),
        ("replays/7/3/360p/index.m3u8", "application/vnd.apple.mpegurl", "public, max-age=300"),
        ("replays/7/3/360p/seg-00000.ts", "video/mp2t", "public, max-age=31536000, immutable"),
    ],
)
def test_playlists_and_segments(client, media, path, content_type, cache_control):
    response = client.get(f"/media/{path}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Cache-Control"] == cache_control
    assert "Access-Control-Allow-Origin" not in response  # same origin: no CORS needed
    assert response.getvalue() == (media / path).read_bytes()


def test_other_media_and_missing_files_keep_the_defaults(client, media):
    cover = client.get("/media/covers/a.png")
    assert cover.status_code == 200
    assert cover["Content-Type"] == "image/png"
    assert "Cache-Control" not in cover
    assert client.get("/media/live/7/missing.m3u8").status_code == 404
    assert client.get("/media/../secret.m3u8").status_code in {400, 404}  # never outside


def media_seconds(path: Path) -> tuple[float, float]:
    """(seconds of picture, seconds of sound) decoded from one segment: from the first
    picture's timestamp to the end of the last, and the sound's samples."""
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
    with av.open(str(path)) as container:
        sound = sum(frame.samples for frame in container.decode(audio=0)) / AUDIO_RATE
    times = sorted(float(frame.pts * frame.time_base) for frame in frames)
    step = (times[-1] - times[0]) / (len(times) - 1)
    return times[-1] - times[0] + step, sound


def test_a_player_that_read_the_live_playlist_just_before_the_end_gets_the_replay(
    client, settings, tmp_path, recordings, short_recording
):
    # At the end the last segment is listed, then #EXT-X-ENDLIST is added milliseconds later:
    # a player that read the playlist between the two and asks again within the same second
    # (the student reloads the page) must get the replay, not "304 not modified" and its live
    # copy, which has neither the ENDLIST nor, often, the last segment.
    settings.MEDIA_ROOT = tmp_path
    out_dir = tmp_path / "live" / "7-0123456789abcdef"
    url = "/media/live/7-0123456789abcdef/index.m3u8"
    playlist_file = out_dir / "index.m3u8"
    feed(short_recording, out_dir, pieces=5)  # the teacher's line drops after five seconds
    feed(recordings(WEBM), out_dir)  # and comes back for nine more
    live = client.get(url)
    assert live.status_code == 200
    assert b"#EXT-X-ENDLIST" not in live.getvalue()
    live_written = playlist_file.stat().st_mtime_ns

    ingest.close_playlist(out_dir)  # the teacher presses stop
    # ... in the same second (Last-Modified's unit) as the copy the player holds, as it does
    # when the last segment and the ENDLIST come milliseconds apart.
    same_second = max(live_written, live_written // 10**9 * 10**9 + 999_000_000)
    os.utime(playlist_file, ns=(same_second, same_second))
    # What the browser sends to revalidate its copy: the validators the response carried.
    validators = {}
    if "Last-Modified" in live:
        validators["HTTP_IF_MODIFIED_SINCE"] = live["Last-Modified"]
    if "ETag" in live:
        validators["HTTP_IF_NONE_MATCH"] = live["ETag"]
    assert validators
    again = client.get(url, **validators)

    assert again.status_code == 200
    assert again.getvalue() == playlist_file.read_bytes()
    assert again["Cache-Control"] == "public, max-age=1"
    replay = read_playlist(playlist_file)
    assert replay.ended and replay.playlist_type == "VOD"
    assert [s.discontinuity for s in replay.segments] == [False] * 3 + [True] + [False] * 4
    # The replay's durations add up to its real length: each EXTINF is its segment's picture
    # to within a frame (25 fps). The sound is cut a little after the picture (the AAC
    # encoder's delay), so it is each part's sound that matches the part's length, to within
    # two AAC frames (1024 samples each).
    parts: list[list[float]] = []
    for segment in replay.segments:
        picture, sound = media_seconds(out_dir / segment.uri)
        assert picture == pytest.approx(segment.duration, abs=0.04), segment
        if segment.discontinuity or not parts:
            parts.append([0.0, 0.0])
        parts[-1][0] += segment.duration
        parts[-1][1] += sound
    assert [length for length, _sound in parts] == pytest.approx([5.0, 9.0], abs=0.04)
    for length, sound in parts:
        assert sound == pytest.approx(length, abs=2 * 1024 / AUDIO_RATE)
    assert replay.duration == pytest.approx(5 + 9, abs=0.04)
    # Unchanged, the playlist is still answered 304: revalidating stays cheap.
    assert client.get(url, HTTP_IF_NONE_MATCH=again["ETag"]).status_code == 304
