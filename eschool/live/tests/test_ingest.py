"""Live ingest on files: MediaRecorder-like streams become 2-3 s MPEG-TS segments in an EVENT
playlist whose target duration never changes; reconnects continue it after a discontinuity;
closing makes it the VOD replay; recovery closes it after a crash, losing nothing recorded.

The media is real: make_test_video's pattern (a clock burnt into every frame, a 440 Hz tone)
re-encoded as a browser would (H.264 without B-frames, Opus) and fed in chunks through a
ChunkPipe, then every segment is decoded back with PyAV.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import av
import pytest
from django.utils import translation

from eschool.live import ingest, testing
from eschool.live.media import (
    MediaRefused,
    Segment,
    make_test_video,
    read_clock,
    read_playlist,
    write_media_playlist,
)
from eschool.live.tests.conftest import MKV, MP4, MP4_AAC, WEBM


def feed(data: bytes, out_dir: Path, *, pieces: int = 9, on_segment=None) -> None:
    """Feed a recording in `pieces` chunks from this thread while the ingest reads in another."""
    pipe = ingest.ChunkPipe(idle_timeout=30)
    errors: list[BaseException] = []
    language = translation.get_language()  # the ingest's messages speak the caller's language

    def work():
        try:
            with translation.override(language):
                ingest.ingest_stream(pipe, out_dir, on_segment=on_segment)
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    for chunk in testing.chunks(data, pieces):
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
    # Live, an EVENT playlist; closed, the replay: VOD, ended.
    assert playlist.playlist_type == ("VOD" if ended else "EVENT")
    assert playlist.ended is ended
    durations = [s.duration for s in playlist.segments]
    # Only the last segment of each part (before a reconnect, or at the end) may be shorter.
    ends_part = [s.discontinuity for s in playlist.segments[1:]] + [True]
    for duration, last in zip(durations, ends_part, strict=True):
        assert (duration > 0 if last else duration >= 2.0 - 1e-6) and duration <= 3.0, durations
    assert playlist.target_duration == 3
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
    [
        (3.0, [3.0, 3.0, 3.0], 3),
        (1.0, [2.0, 2.0, 2.0, 2.0, 1.0], 3),
        # Two 1.8 s groups would make 3.6 s, past the bound: each starts a segment of its own.
        (1.8, [1.8, 1.8, 1.8, 1.8, 1.8], 3),
        # Keyframes further apart than the bound: the first segment declares a larger one.
        (4.0, [4.0, 4.0, 1.0], 4),
    ],
)
def test_segments_are_cut_at_keyframes_within_a_target_duration_that_never_changes(
    recordings, tmp_path, keyframe_seconds, durations, target
):
    playlists: list[str] = []  # the playlist as players saw it after each segment
    feed(
        recordings(WEBM, keyframe_seconds=keyframe_seconds),
        tmp_path,
        on_segment=lambda _event: playlists.append((tmp_path / "index.m3u8").read_text()),
    )
    ingest.close_playlist(tmp_path)
    playlists.append((tmp_path / "index.m3u8").read_text())

    playlist = read_playlist(tmp_path / "index.m3u8")
    assert [s.duration for s in playlist.segments] == pytest.approx(durations, abs=1e-6)
    assert len(playlists) == len(durations) + 1
    for text in playlists:
        assert text.count("#EXT-X-TARGETDURATION:") == 1
        assert f"#EXT-X-TARGETDURATION:{target}\n" in text
        extinfs = [float(line[8:].rstrip(",")) for line in text.splitlines() if "#EXTINF:" in line]
        assert max(extinfs) <= target


def test_a_reconnect_keeps_the_target_duration_the_playlist_declared(
    recordings, short_recording, tmp_path
):
    feed(short_recording, tmp_path, pieces=5)
    assert read_playlist(tmp_path / "index.m3u8").target_duration == 3
    # The teacher comes back with keyframes 4 s apart: the declared bound stays (a player may
    # keep the first value it read); the longer segments are what the sender allows.
    feed(recordings(WEBM, keyframe_seconds=4.0), tmp_path)
    playlist = read_playlist(tmp_path / "index.m3u8")
    assert playlist.target_duration == 3
    assert [s.duration for s in playlist.segments] == [2.0, 2.0, 1.0, 4.0, 4.0, 1.0]


def test_closing_declares_the_replay_vod_with_the_same_segments_and_reopening_undoes_it(
    recordings, tmp_path
):
    feed(recordings(WEBM), tmp_path)
    live = (tmp_path / "index.m3u8").read_text()

    closed = ingest.close_playlist(tmp_path)

    text = (tmp_path / "index.m3u8").read_text()
    assert "#EXT-X-PLAYLIST-TYPE:VOD\n" in text and "EVENT" not in text
    assert text.endswith("#EXT-X-ENDLIST\n")
    # Nothing else changed: the same header values, the same segments in the same order.
    assert text == live.replace("PLAYLIST-TYPE:EVENT", "PLAYLIST-TYPE:VOD") + "#EXT-X-ENDLIST\n"
    assert (closed.playlist_type, closed.ended, closed.target_duration) == ("VOD", True, 3)
    assert ingest.close_playlist(tmp_path) == closed  # again: nothing changes

    reopened = ingest.reopen_playlist(tmp_path)
    assert (reopened.playlist_type, reopened.ended) == ("EVENT", False)
    assert (tmp_path / "index.m3u8").read_text() == live


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


def crashed_before_listing(out_dir: Path, listed: int, *, keep: int) -> list[Segment]:
    """Make a finished ingest look like one that died after writing segment files it had not
    listed yet: the playlist names the first `listed` segments; only `keep` files remain."""
    written = read_playlist(out_dir / "index.m3u8").segments
    for segment in written[keep:]:
        (out_dir / segment.uri).unlink()
    write_media_playlist(out_dir / "index.m3u8", written[:listed], ended=False, vod=False, target=3)
    return written


def test_recovery_lists_a_complete_segment_the_playlist_had_not_named_yet(recordings, tmp_path):
    feed(recordings(WEBM), tmp_path)
    written = crashed_before_listing(tmp_path, listed=2, keep=4)
    # seg-00002 was complete (renamed) but not listed; seg-00003 was being written, cut short.
    (tmp_path / "seg-00003.ts").rename(tmp_path / ".seg-00003.ts.part")
    part = tmp_path / ".seg-00003.ts.part"
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])

    playlist = ingest.recover_playlist(tmp_path)

    assert (playlist.ended, playlist.playlist_type, playlist.target_duration) == (True, "VOD", 3)
    assert [(s.uri, s.duration) for s in playlist.segments] == [
        (s.uri, s.duration) for s in written[:3]
    ]
    assert [s.duration for s in playlist.segments] == [2.0, 2.0, 2.0]
    assert not list(tmp_path.glob(".seg-*"))  # only the segment cut short is gone
    timeline = 0.0
    for segment in playlist.segments:
        clock, picture, sound = decoded(tmp_path / segment.uri)
        assert clock == pytest.approx(timeline, abs=0.1)  # nothing missing, nothing twice
        assert picture == pytest.approx(segment.duration, abs=0.05)
        assert sound == pytest.approx(segment.duration, abs=0.1)
        timeline += segment.duration


def test_recovery_measures_a_last_unlisted_segment_from_its_own_pictures(recordings, tmp_path):
    feed(recordings(WEBM), tmp_path)
    crashed_before_listing(tmp_path, listed=4, keep=5)

    playlist = ingest.recover_playlist(tmp_path)

    assert [s.uri for s in playlist.segments] == [f"seg-{n:05d}.ts" for n in range(5)]
    assert [s.duration for s in playlist.segments] == pytest.approx([2, 2, 2, 2, 1], abs=0.001)
    assert playlist.duration == pytest.approx(9.0, abs=0.001)
    _clock, picture, sound = decoded(tmp_path / "seg-00004.ts")
    assert (picture, sound) == (pytest.approx(1.0, abs=0.05), pytest.approx(1.0, abs=0.1))


def test_an_unlisted_first_segment_after_a_reconnect_keeps_its_discontinuity(
    recordings, short_recording, tmp_path
):
    feed(short_recording, tmp_path, pieces=5)  # seg-00000..00002
    feed(recordings(WEBM), tmp_path)  # the reconnect: seg-00003 onwards
    crashed_before_listing(tmp_path, listed=3, keep=4)

    playlist = ingest.recover_playlist(tmp_path)

    assert [s.discontinuity for s in playlist.segments] == [False, False, False, True]
    assert [s.duration for s in playlist.segments] == [2.0, 2.0, 1.0, 2.0]
    assert decoded(tmp_path / "seg-00003.ts")[0] == pytest.approx(0.0, abs=0.1)


def test_an_ingest_that_resumes_first_lists_what_the_dead_one_left(recordings, tmp_path):
    feed(recordings(WEBM), tmp_path)
    crashed_before_listing(tmp_path, listed=1, keep=2)  # seg-00001 complete, unlisted
    feed(recordings(WEBM), tmp_path)  # the teacher is back before recovery ran

    playlist, _segments = check_playlist(tmp_path, seconds=4 + 9, ended=False)
    assert [s.uri for s in playlist.segments][:3] == [
        "seg-00000.ts",
        "seg-00001.ts",
        "seg-00002.ts",
    ]
    assert [s.discontinuity for s in playlist.segments].index(True) == 2


def test_recovery_leaves_a_playlist_alone_while_an_ingest_is_writing_it(tmp_path):
    with ingest.playlist_lock(tmp_path), pytest.raises(ingest.IngestBusy):
        ingest.recover_playlist(tmp_path)
    assert ingest.recover_playlist(tmp_path) is None  # nothing was ever recorded


def test_closing_waits_for_an_ingest_that_has_not_listed_its_first_segment(recordings, tmp_path):
    # OBS stops before the puller made its first cut: the end must wait for that segment, not
    # find no playlist and end the broadcast with nothing while the puller goes on writing.
    pipe = ingest.ChunkPipe(idle_timeout=30)
    ingesting = threading.Thread(target=ingest.ingest_stream, args=(pipe, tmp_path))
    ingesting.start()
    while not ingest.writer_running(tmp_path):
        assert ingesting.is_alive()
        time.sleep(0.01)  # polls a condition: the ingest takes the lock, then waits on the pipe
    closed = []
    closing = threading.Thread(target=lambda: closed.append(ingest.close_playlist(tmp_path)))
    closing.start()
    for chunk in testing.chunks(recordings(WEBM), 9):
        pipe.feed(chunk)
    pipe.close()
    ingesting.join(timeout=60)
    closing.join(timeout=60)

    assert closed[0] is not None and closed[0].ended
    assert read_playlist(tmp_path / "index.m3u8") == closed[0]
    assert closed[0].duration == pytest.approx(9.0, abs=0.5)


def test_a_stream_without_sound_still_goes_live(lesson_video, tmp_path):
    feed(testing.browser_recording(lesson_video, mime=WEBM, audio=False), tmp_path)

    playlist, segments = check_playlist(tmp_path, seconds=9.0, ended=False)
    assert [sound for _clock, _picture, sound in segments] == [0.0] * 5


def test_video_that_is_not_h264_or_not_video_is_refused_with_a_message(tmp_path):
    vp8 = make_test_video(tmp_path / "vp8.webm", seconds=1, width=160, height=90)
    with translation.override("en"), pytest.raises(MediaRefused) as refused:
        feed(vp8.read_bytes(), tmp_path / "vp8")
    assert refused.value.message == (
        "The live video must be H.264. Choose another format or use OBS."
    )
    with translation.override("en"), pytest.raises(MediaRefused) as refused:
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
