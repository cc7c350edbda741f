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
from eschool.live.media import MediaRefused, make_test_video, read_clock, read_playlist
from eschool.live.tests.conftest import MKV, MP4, MP4_AAC, WEBM


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
    # Only the last segment of each part (before a reconnect, or at the end) may be shorter.
    ends_part = [s.discontinuity for s in playlist.segments[1:]] + [True]
    for duration, last in zip(durations, ends_part, strict=True):
        assert (duration > 0 if last else duration >= 2.0 - 1e-6) and duration <= 4.0, durations
    assert playlist.target_duration >= max(durations)
    assert playlist.duration == pytest.approx(seconds, abs=0.5)
    return playlist, [decoded(out_dir / s.uri) for s in playlist.segments]


@pytest.mark.parametrize("mime", [WEBM, MKV, MP4, MP4_AAC])
def test_each_browser_format_becomes_two_second_segments_with_sound(recordings, tmp_path, mime):
    heard = []
    feed(recordings(mime), tmp_path, on_segment=heard.append)

    playlist, segments = check_playlist(tmp_path, seconds=9.0, ended=False)
    assert [s.uri for s in playlist.segments] == [f"seg-{n:05d}.ts" for n in range(5)]
    durations = [s.duration for s in playlist.segments]
    # MP4 starts the picture a few ms late (the sound's priming shifts the first frame).
    assert durations[0] == pytest.approx(2.0, abs=0.03)
    assert durations[1:] == [2.0, 2.0, 2.0, 1.0]
    assert [event.count for event in heard] == [1, 2, 3, 4, 5]
    timeline = 0.0
    for segment, (clock, picture, sound) in zip(playlist.segments, segments, strict=True):
        # The picture shown at each point of the playlist is the one filmed at that moment.
        assert clock == pytest.approx(timeline, abs=0.1)
        assert picture == pytest.approx(segment.duration, abs=0.05)
        assert sound == pytest.approx(segment.duration, abs=0.1)  # AAC all along
        timeline += segment.duration
    assert not list(tmp_path.glob(".seg-*"))  # nothing half-written left behind


def test_a_reconnect_continues_the_playlist_after_one_discontinuity_without_a_gap(
    recordings, short_recording, tmp_path
):
    feed(short_recording, tmp_path, pieces=5)  # the line drops after five seconds
    first = read_playlist(tmp_path / "index.m3u8")
    assert [s.duration for s in first.segments] == [2.0, 2.0, 1.0]
    assert not first.ended

    feed(recordings(WEBM), tmp_path)  # the teacher is back: a new recorder, its clock from 0

    playlist, segments = check_playlist(tmp_path, seconds=5 + 9, ended=False)
    assert [s.uri for s in playlist.segments] == [f"seg-{n:05d}.ts" for n in range(8)]
    assert [s.discontinuity for s in playlist.segments] == [False] * 3 + [True] + [False] * 4
    assert (tmp_path / "index.m3u8").read_text().count("#EXT-X-DISCONTINUITY") == 1
    timeline = 0.0
    for index, (segment, (clock, _picture, sound)) in enumerate(
        zip(playlist.segments, segments, strict=True)
    ):
        part_start = 0.0 if index < 3 else 5.0
        assert clock == pytest.approx(timeline - part_start, abs=0.1)
        assert sound > 0
        timeline += segment.duration
    assert timeline == pytest.approx(14.0, abs=0.01)


@pytest.mark.parametrize(
    ("keyframe_seconds", "durations", "target"),
    [(3.0, [3.0, 3.0, 3.0], 3), (1.0, [2.0, 2.0, 2.0, 2.0, 1.0], 2)],
)
def test_segments_are_cut_at_keyframes_at_least_two_seconds_apart(
    recordings, tmp_path, keyframe_seconds, durations, target
):
    feed(recordings(WEBM, keyframe_seconds=keyframe_seconds), tmp_path)

    playlist = read_playlist(tmp_path / "index.m3u8")
    assert [s.duration for s in playlist.segments] == durations
    assert playlist.target_duration == target


class Crash(Exception):
    pass


def test_recovery_closes_a_playlist_cut_mid_segment_at_the_last_complete_segment(
    recordings, tmp_path
):
    def crash_after_two(event):
        if event.count == 2:
            raise Crash  # the process dies while the third segment is being written

    with pytest.raises(Crash):
        feed(recordings(WEBM), tmp_path, on_segment=crash_after_two)
    assert [p.name for p in tmp_path.glob(".seg-*")] == [".seg-00002.ts.part"]
    assert not read_playlist(tmp_path / "index.m3u8").ended

    playlist = ingest.recover_playlist(tmp_path)

    assert playlist.ended
    assert read_playlist(tmp_path / "index.m3u8") == playlist
    assert [(s.uri, s.duration) for s in playlist.segments] == [
        ("seg-00000.ts", 2.0),
        ("seg-00001.ts", 2.0),
    ]
    assert sorted(p.name for p in tmp_path.glob("*seg-*")) == ["seg-00000.ts", "seg-00001.ts"]


def test_recovery_leaves_a_playlist_alone_while_an_ingest_is_writing_it(tmp_path):
    with ingest.playlist_lock(tmp_path), pytest.raises(ingest.IngestBusy):
        ingest.recover_playlist(tmp_path)
    assert ingest.recover_playlist(tmp_path) is None  # nothing was ever recorded


def test_a_stream_without_sound_still_goes_live(lesson_video, tmp_path):
    feed(ingest.browser_recording(lesson_video, mime=WEBM, audio=False), tmp_path)

    playlist, segments = check_playlist(tmp_path, seconds=9.0, ended=False)
    assert [sound for _clock, _picture, sound in segments] == [0.0] * 5


def test_video_that_is_not_h264_or_not_video_is_refused_with_a_message(tmp_path):
    vp8 = make_test_video(tmp_path / "vp8.webm", seconds=1, width=160, height=90)
    with pytest.raises(MediaRefused) as refused:
        feed(vp8.read_bytes(), tmp_path / "vp8")
    assert refused.value.message == (
        "The live video must be H.264. Choose another format or use OBS."
    )
    with pytest.raises(MediaRefused) as refused:
        feed(b"not a video at all" * 1000, tmp_path / "junk")
    assert refused.value.message == "The live video could not be read."
    assert not (tmp_path / "vp8" / "index.m3u8").exists()


def test_a_pipe_gives_what_was_fed_in_order_then_ends():
    pipe = ingest.ChunkPipe()
    pipe.feed(b"abc")
    pipe.feed(b"defg")
    assert pipe.read(2) == b"ab"
    assert pipe.read(10) == b"c"
    pipe.close()
    pipe.feed(b"late")  # after the end: dropped
    assert pipe.read(10) == b"defg"
    assert pipe.read(10) == b""
    assert (pipe.fed, pipe.consumed) == (7, 7)


def test_a_pipe_nobody_feeds_ends_after_its_idle_timeout():
    assert ingest.ChunkPipe(idle_timeout=0.01).read(10) == b""
