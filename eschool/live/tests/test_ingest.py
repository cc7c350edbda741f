"""Live ingest on files: MediaRecorder-like streams become 2-4 s MPEG-TS segments in an EVENT
playlist; reconnects continue it after a discontinuity; recovery closes it after a crash.

The media is real: make_test_video's pattern (a clock burnt into every frame, a 440 Hz tone)
re-encoded as a browser would (H.264 without B-frames, Opus) and fed in chunks through a
ChunkPipe, then every segment is decoded back with PyAV.
"""

from __future__ import annotations

import threading
from pathlib import Path

import av
import pytest

from eschool.live import ingest
from eschool.live.media import read_clock, read_playlist
from eschool.live.tests.conftest import MKV, MP4, WEBM


def feed(data: bytes, out_dir: Path, *, pieces: int = 9, on_segment=None) -> None:
    """Feed a recording in `pieces` chunks from this thread while the ingest reads in another."""
    pipe = ingest.ChunkPipe(idle_timeout=30)
    errors: list[BaseException] = []

    def work():
        try:
            ingest.ingest_stream(pipe, out_dir, on_segment=on_segment)
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    for chunk in ingest.chunks(data, pieces):
        pipe.feed(chunk)
    pipe.close()
    thread.join(timeout=60)
    assert not thread.is_alive()
    if errors:
        raise errors[0]


def decoded(path: Path) -> tuple[float | None, float, float]:
    """(clock of the first picture, seconds of picture, seconds of sound) in one segment."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        frames = list(container.decode(video))
    with av.open(str(path)) as container:
        sound = (
            sum(f.samples for f in container.decode(audio=0)) / 48000
            if container.streams.audio
            else 0.0
        )
    times = sorted(float(f.pts * f.time_base) for f in frames)
    step = (times[-1] - times[0]) / max(1, len(times) - 1)
    return read_clock(frames[0]), times[-1] - times[0] + step, sound


def check_playlist(out_dir: Path, *, seconds: float, ended: bool):
    """The checks every live playlist must pass; returns it with each segment decoded."""
    playlist = read_playlist(out_dir / "index.m3u8")
    assert playlist.playlist_type == "EVENT"
    assert playlist.ended is ended
    durations = [s.duration for s in playlist.segments]
    assert all(2.0 - 1e-6 <= d <= 4.0 for d in durations[:-1]), durations
    assert 0 < durations[-1] <= 4.0
    assert playlist.target_duration >= max(durations)
    assert playlist.duration == pytest.approx(seconds, abs=0.5)
    return playlist, [decoded(out_dir / s.uri) for s in playlist.segments]


@pytest.mark.parametrize("mime", [WEBM, MKV, MP4])
def test_each_browser_format_becomes_two_second_segments_with_sound(recordings, tmp_path, mime):
    heard = []
    feed(recordings(mime), tmp_path, on_segment=heard.append)

    playlist, segments = check_playlist(tmp_path, seconds=9.0, ended=False)
    assert [s.uri for s in playlist.segments] == [f"seg-{n:05d}.ts" for n in range(5)]
    assert (
        [round(s.duration, 2) for s in playlist.segments] == [2.01, 2.0, 2.0, 2.0, 1.0]
        if (mime == MP4)
        else [2.0, 2.0, 2.0, 2.0, 1.0]
    )
    assert [event.count for event in heard] == [1, 2, 3, 4, 5]
    timeline = 0.0
    for segment, (clock, picture, sound) in zip(playlist.segments, segments, strict=True):
        # The picture shown at each point of the playlist is the one filmed at that moment.
        assert clock == pytest.approx(timeline, abs=0.1)
        assert picture == pytest.approx(segment.duration, abs=0.05)
        assert sound == pytest.approx(segment.duration, abs=0.1)  # AAC all along
        timeline += segment.duration
    assert not list(tmp_path.glob(".seg-*"))  # nothing half-written left behind
