"""Live ingest: a teacher's H.264 stream in, an HLS EVENT playlist of MPEG-TS segments out.

The video is never re-encoded (two cores could not afford it): its packets are copied into
MPEG-TS segments cut at keyframes, at least SEGMENT_MIN seconds long where the keyframes allow
and never longer than the playlist's fixed TARGETDURATION where they allow (2 s segments when
the sender puts a keyframe every 2 s). Only the sound is re-encoded, Opus to AAC, which costs
little. A segment is written under a hidden ".part" name and listed in index.m3u8 only once
it is complete, so players, caches and the recovery step never see half a segment. Closed,
the playlist is declared VOD: the replay.

A second ingest into the same folder (the teacher reconnected) continues the numbering and
the timeline after an #EXT-X-DISCONTINUITY: the same live, the same replay.

Plain functions on files, no database: the browser WebSocket (consumers.py) and the RTMP
ingest both call ingest_stream.
"""

from __future__ import annotations

import collections
import fcntl
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from django.utils.translation import gettext as _

from eschool.live.media import AUDIO_RATE, MediaRefused, Playlist, Segment, read_playlist
from eschool.live.media import write_media_playlist as _write_playlist

logger = logging.getLogger(__name__)

PLAYLIST = "index.m3u8"
LOCK = ".ingest.lock"
PART_START = ".part-start"
SEGMENT_MIN = 2.0  # seconds; a segment is cut at the first keyframe at least this far in
# The #EXT-X-TARGETDURATION of a live playlist, declared with its first segment and never
# changed (RFC 8216 §6.2.1 lists what a server may change in a playlist it updates, and the
# target duration is not among them; hls.js takes its reload pace and hold-back from it). It
# bounds every segment: EXTINF <= TARGETDURATION. Video is cut only at keyframes (anywhere
# else would mean re-encoding), so the bound is kept by where the cuts go: a segment is cut
# at the first keyframe at least SEGMENT_MIN in, and a group of pictures that would carry it
# past the bound starts the next segment instead (the cut goes at the latest keyframe inside
# the bound). 3 s holds the 2 s keyframes the go-live page asks for (browsers deliver
# 2.00-2.05 s) and OBS's recommended 2 s, and keyframes every 1-1.5 s (segments of 2-3 s);
# 4 s would cost viewers 2 s more delay for nothing (hls.js stays LIVE_SYNC_SEGMENTS target
# durations behind the edge). A sender whose keyframes are further apart (OBS's "auto": 8 s
# or more) makes groups no cut can shorten: its playlist declares its first segment's length,
# rounded up, instead. A group longer still later on cannot be bounded without re-encoding:
# it is logged, and kept.
TARGET_DURATION = 3
# Every output timestamp is shifted by this much, so that AAC's priming samples (which come
# before the first picture) never need a negative timestamp.
TIMELINE_BASE = 10.0
AAC_BIT_RATE = 128_000
# Demuxer probing: MediaRecorder and FLV headers describe the streams; there is no need to
# buffer FFmpeg's default 5 MB (16 s of a 2.5 Mbit/s stream) before the first segment.
DEFAULT_OPTIONS = {"probesize": "500000", "analyzeduration": "1000000"}
_NUMBER = re.compile(r"seg-(\d+)\.ts$")


class IngestBusy(Exception):
    """Another ingest is writing this broadcast's playlist (another window or device)."""


@dataclass
class SegmentDone:
    """What on_segment hears after each segment is listed in the playlist."""

    segment: Segment
    count: int  # segments in the playlist now
    timeline_start: float  # where the segment starts on the playlist's timeline (seconds)
    first_byte: int  # position of its first picture in the input (-1 when unknown)


# --------------------------------------------------------------------------- the pipe


class ChunkPipe:
    """A file-like object PyAV reads from while another thread feeds it chunks.

    read() blocks until there is data or the pipe is closed (then b"" after what was fed).
    An idle_timeout ends the stream when nothing arrives for that long, so a sender that
    vanished without closing its socket does not hold the ingest (and its lock) forever.
    """

    def __init__(self, *, idle_timeout: float | None = 30.0):
        self._chunks: collections.deque[bytes] = collections.deque()
        self._condition = threading.Condition()
        self._closed = False
        self._idle_timeout = idle_timeout
        self.fed = 0  # bytes fed so far
        self.consumed = 0  # bytes handed to the reader so far

    def feed(self, data: bytes) -> None:
        if not data:
            return
        with self._condition:
            if self._closed:
                return
            self._chunks.append(bytes(data))
            self.fed += len(data)
            self._condition.notify()

    def close(self) -> None:
        """End of stream: the reader gets what was fed, then EOF."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    def abort(self) -> None:
        """End of stream now: what was fed and not read yet is dropped."""
        with self._condition:
            self._chunks.clear()
            self._closed = True
            self._condition.notify_all()

    def read(self, size: int = -1) -> bytes:
        with self._condition:
            while not self._chunks and not self._closed:
                if not self._condition.wait(timeout=self._idle_timeout):
                    logger.info("live ingest: nothing received for %ss, ending", self._idle_timeout)
                    self._closed = True
            if not self._chunks:
                return b""
            if size is None or size < 0:
                data = b"".join(self._chunks)
                self._chunks.clear()
            else:
                data = self._chunks.popleft()
                if len(data) > size:
                    self._chunks.appendleft(data[size:])
                    data = data[:size]
            self.consumed += len(data)
            return data


# --------------------------------------------------------------------------- playlist files


@contextmanager
def playlist_lock(out_dir: Path, *, timeout: float = 10.0) -> Iterator[None]:
    """Only one writer per playlist, across threads and processes (an advisory file lock)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / LOCK, "a+b") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IngestBusy(str(out_dir)) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def writer_running(out_dir: Path) -> bool:
    """Whether an ingest (of this process or another, browser or OBS) is writing out_dir."""
    if not out_dir.exists():
        return False
    try:
        with playlist_lock(out_dir, timeout=0):
            return False
    except IngestBusy:
        return True


def _existing(out_dir: Path) -> Playlist:
    path = out_dir / PLAYLIST
    return read_playlist(path) if path.exists() else Playlist()


def _write(out_dir: Path, segments: list[Segment], *, ended: bool, target: int) -> None:
    # Closed, the playlist is declared VOD. RFC 8216 §4.3.3.5: EVENT promises that segments are
    # only ever added at the end, VOD that the playlist no longer changes. Once #EXT-X-ENDLIST
    # is there no segment will be added, so the closed EVENT playlist already is what VOD
    # declares: the same segments in the same order, nothing removed, and a player that read
    # it as EVENT has stopped reloading at ENDLIST anyway. (A broadcast resumed inside its
    # window breaks both promises, ENDLIST's and VOD's, by reopening it: the players we serve
    # reload it when status.json says live again, see static/js/player.js.)
    _write_playlist(out_dir / PLAYLIST, segments, ended=ended, vod=ended, target=target)


def _target_for(segments: list[Segment], declared: int | None) -> int:
    longest = max((math.ceil(s.duration - 1e-6) for s in segments), default=0)
    return max(declared or TARGET_DURATION, longest)


def _drop_unfinished(out_dir: Path) -> int:
    removed = 0
    for part in out_dir.glob(".seg-*.part"):
        part.unlink(missing_ok=True)
        removed += 1
    return removed


def _number(name: str) -> int | None:
    match = _NUMBER.search(name)
    return int(match.group(1)) if match else None


def _next_number(out_dir: Path, segments: list[Segment]) -> int:
    numbers = [n for s in segments if (n := _number(s.uri)) is not None]
    numbers += [n for p in out_dir.glob("seg-*.ts") if (n := _number(p.name)) is not None]
    return max(numbers, default=-1) + 1


def _mark_part_start(out_dir: Path, number: int) -> None:
    # Where this ingest's part begins, so that a segment recovery lists after a crash gets its
    # #EXT-X-DISCONTINUITY (the timeline goes on across a reconnect: timestamps cannot tell).
    temporary = out_dir / f"{PART_START}.tmp"
    temporary.write_text(str(number), encoding="ascii")
    temporary.replace(out_dir / PART_START)


def _part_start(out_dir: Path) -> int | None:
    try:
        return int((out_dir / PART_START).read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None


def _picture_times(path: Path, *, first_only: bool = False) -> tuple[float, float] | None:
    """(time of the first picture, end of the last) of a segment file, decoding every picture;
    None when it has none or does not decode."""
    times: list[float] = []
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            for packet in container.demux(stream):
                if packet.pts is None:
                    continue  # the demuxer's empty packet at the end
                times.append(float(packet.pts * stream.time_base))
                if first_only:
                    break
                packet.decode()
    except (av.FFmpegError, OSError):
        return None
    if not times:
        return None
    step = (max(times) - min(times)) / (len(times) - 1) if len(times) > 1 else 1 / 30
    return times[0], max(times) + step


def _complete_unlisted(out_dir: Path, playlist: Playlist) -> list[Segment]:
    """The segments written in full but not listed yet, in order, with their durations.

    A segment is written as .seg-N.ts.part and renamed seg-N.ts only once its muxer closed it,
    then listed: a process that died between the rename and the playlist's rewrite leaves a
    complete segment the playlist does not name. It was recorded: it belongs to the live. (A
    .part is the segment being written when the process died: cut short, it is not listed.)
    Each is decoded; its duration runs to the next segment's first picture (the next one had
    started), or to the end of its own last picture.
    """
    numbers = [n for s in playlist.segments if (n := _number(s.uri)) is not None]
    expected = max(numbers, default=-1) + 1
    part_start = _part_start(out_dir)
    found: list[Segment] = []
    while (path := out_dir / f"seg-{expected:05d}.ts").exists():
        times = _picture_times(path)
        if times is None:
            break
        start, end = times
        following = out_dir / f"seg-{expected + 1:05d}.ts"
        if not following.exists():
            following = out_dir / f".seg-{expected + 1:05d}.ts.part"
        after = _picture_times(following, first_only=True) if following.exists() else None
        if after is not None and after[0] > start:
            end = after[0]
        found.append(
            Segment(
                uri=path.name,
                duration=round(max(end - start, 0.001), 6),
                discontinuity=expected == part_start and bool(playlist.segments or found),
            )
        )
        expected += 1
    return found


def close_playlist(out_dir: str | Path, *, timeout: float = 10.0) -> Playlist | None:
    """End the live: add #EXT-X-ENDLIST (and declare it VOD). None when nothing was recorded.

    Waits (up to `timeout`) for an ingest still writing, also one that has not listed its
    first segment yet (an OBS stream ended before the puller's first cut)."""
    out_dir = Path(out_dir)
    if not out_dir.exists():
        return None
    with playlist_lock(out_dir, timeout=timeout):
        if not (out_dir / PLAYLIST).exists():
            return None
        playlist = _existing(out_dir)
        if not playlist.ended:
            target = _target_for(playlist.segments, playlist.target_duration)
            _write(out_dir, playlist.segments, ended=True, target=target)
            playlist = _existing(out_dir)
        return playlist


def reopen_playlist(out_dir: str | Path, *, timeout: float = 10.0) -> Playlist | None:
    """Remove #EXT-X-ENDLIST so the live can go on (a broadcast resumed within its window)."""
    out_dir = Path(out_dir)
    if not (out_dir / PLAYLIST).exists():
        return None
    with playlist_lock(out_dir, timeout=timeout):
        playlist = _existing(out_dir)
        if playlist.ended:
            target = _target_for(playlist.segments, playlist.target_duration)
            _write(out_dir, playlist.segments, ended=False, target=target)
            playlist = _existing(out_dir)
        return playlist


def recover_playlist(out_dir: str | Path, *, timeout: float = 0.0) -> Playlist | None:
    """After a crash: close the playlist after the last complete segment.

    Complete segments the playlist did not list yet are listed (nothing recorded is lost);
    only the segment that was being written, cut short, is dropped. Raises IngestBusy when an
    ingest is still writing (it is alive: nothing to recover). None when nothing was recorded.
    """
    out_dir = Path(out_dir)
    if not out_dir.exists():
        return None
    with playlist_lock(out_dir, timeout=timeout):
        playlist = _existing(out_dir)
        found = _complete_unlisted(out_dir, playlist)
        _drop_unfinished(out_dir)
        if not found and not (out_dir / PLAYLIST).exists():
            return None
        if found or not playlist.ended:
            segments = playlist.segments + found
            target = _target_for(segments, playlist.target_duration)
            _write(out_dir, segments, ended=True, target=target)
        return _existing(out_dir)


# --------------------------------------------------------------------------- ingest


def ingest_stream(
    source: Any,
    out_dir: str | Path,
    *,
    on_segment: Callable[[SegmentDone], None] | None = None,
    options: dict[str, str] | None = None,
    lock_timeout: float = 10.0,
) -> None:
    """Repackage a live H.264 stream into out_dir/index.m3u8 (EVENT) until the input ends.

    `source` is anything PyAV opens: a file-like object (ChunkPipe), a path or an rtmp:// URL.
    `options` are FFmpeg input options; a "format" entry names the input format. The video
    must be H.264 (MediaRefused otherwise, with a message for the teacher). Returns at the
    end of the input, having listed the last (maybe shorter) segment; the playlist stays
    open for a reconnect: close_playlist ends it. IngestBusy when another ingest holds it.
    """
    out_dir = Path(out_dir)
    opts = {**DEFAULT_OPTIONS, **(options or {})}
    input_format = opts.pop("format", None)
    with playlist_lock(out_dir, timeout=lock_timeout):
        try:
            container = av.open(source, "r", format=input_format, options=opts)
        except (av.FFmpegError, OSError, UnicodeDecodeError) as error:
            raise MediaRefused(_("The live video could not be read.")) from error
        try:
            _Ingest(out_dir, container, on_segment).run()
        finally:
            container.close()


class _Ingest:
    def __init__(self, out_dir: Path, container, on_segment):
        self.out_dir = out_dir
        self.container = container
        self.on_segment = on_segment
        previous = _existing(out_dir)
        # A previous ingest that died between finishing a segment and listing it (recovery did
        # not run before the teacher came back): that segment is listed first.
        found = _complete_unlisted(out_dir, previous)
        _drop_unfinished(out_dir)
        self.segments = previous.segments + found
        self.target = (
            _target_for(self.segments, previous.target_duration) if self.segments else None
        )
        self.reconnect = bool(self.segments)
        self.number = _next_number(out_dir, self.segments)
        # This part's timeline continues where the playlist ends.
        self.timeline_offset = sum(segment.duration for segment in self.segments)
        if previous.ended or found:
            _write(out_dir, self.segments, ended=False, target=self.target)

        self.video = next(iter(container.streams.video), None)
        if self.video is None:
            raise MediaRefused(_("The live stream has no video."))
        if self.video.codec_context.name != "h264":
            raise MediaRefused(_("The live video must be H.264. Choose another format or use OBS."))
        self.audio = next(iter(container.streams.audio), None)

        self.start: float | None = None  # source time of the first keyframe
        self.output = None  # the segment being written
        self.out_video = None
        self.out_audio = None
        self.segment_start = 0.0  # relative to self.start
        self.segment_first_byte = -1
        # A group of pictures (and its sound) kept aside until its length is known, when it
        # follows a shorter one in the open segment: it may not fit there (see TARGET_DURATION).
        self.held: list[tuple[str, Any]] | None = None
        self.held_start = 0.0
        self.held_first_byte = -1
        self.video_end = 0.0
        self.last_dts: int | None = None
        self.frame_seconds = 1 / 30

        self.encoder_sink = None
        self.encoder = None
        self.resampler = None
        self.audio_position: int | None = None  # next sample on this part's timeline
        if self.audio is not None:
            self._open_audio_encoder()

    # ---- audio

    def _open_audio_encoder(self) -> None:
        # The AAC encoder lives for the whole part (a new one per segment would restart its
        # priming and click); it belongs to a container that is never written, and each
        # segment's audio stream is a copy of its parameters.
        self.encoder_sink = av.open(_Discard(), "w", format="mpegts")
        self.encoder = self.encoder_sink.add_stream("aac", rate=AUDIO_RATE)
        self.encoder.layout = "stereo"
        self.encoder.bit_rate = AAC_BIT_RATE
        self.encoder.codec_context.time_base = Fraction(1, AUDIO_RATE)
        # Starting the container opens the encoder and copies its settings (with the
        # AudioSpecificConfig the MPEG-TS muxer turns into ADTS headers) to the stream.
        self.encoder_sink.start_encoding()
        self.resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)

    def _audio_packet(self, packet) -> None:
        try:
            frames = packet.decode()
        except av.FFmpegError:
            return  # one damaged sound packet: a few ms of silence, not the end of the live
        for frame in frames:
            if frame.pts is None or frame.time_base is None or self.start is None:
                continue
            seconds = float(frame.pts * frame.time_base) - self.start
            if seconds < -0.001:
                continue  # before the first picture: not on the timeline
            expected = round(seconds * AUDIO_RATE)
            if self.audio_position is None or expected > self.audio_position + AUDIO_RATE // 10:
                self.audio_position = expected  # first sound, or a real gap (muted microphone)
            frame.pts = None
            for converted in self.resampler.resample(frame):
                self._encode_audio(converted)

    def _encode_audio(self, frame) -> None:
        base = round((TIMELINE_BASE + self.timeline_offset) * AUDIO_RATE)
        if frame is not None:
            frame.pts = base + self.audio_position
            frame.time_base = Fraction(1, AUDIO_RATE)
            self.audio_position += frame.samples
        for packet in self.encoder.encode(frame):
            if self.output is not None:
                self._emit("audio", packet)

    # ---- video and segments

    def _open_segment(self, at: float, first_byte: int) -> None:
        name = f"seg-{self.number:05d}.ts"
        self.output = av.open(str(self.out_dir / f".{name}.part"), "w", format="mpegts")
        self.out_video = self.output.add_stream_from_template(self.video)
        self.out_audio = (
            self.output.add_stream_from_template(self.encoder) if self.encoder else None
        )
        self.segment_start = at
        self.segment_first_byte = first_byte

    def _finish_segment(self, end: float) -> SegmentDone:
        self.output.close()
        name = f"seg-{self.number:05d}.ts"
        (self.out_dir / f".{name}.part").replace(self.out_dir / name)
        segment = Segment(
            uri=name,
            duration=round(max(end - self.segment_start, 0.001), 6),
            discontinuity=self.reconnect and self.number == self._first_number,
        )
        if self.target is None:  # the first segment of the playlist declares the bound
            self.target = _target_for([segment], None)
        elif segment.duration > self.target + 0.001:
            logger.warning(
                "live ingest: a %.2f s segment in %s exceeds its target duration %s s "
                "(the sender's keyframes are too far apart)",
                segment.duration,
                self.out_dir,
                self.target,
            )
        self.segments.append(segment)
        _write(self.out_dir, self.segments, ended=False, target=self.target)
        self.output = None
        self.number += 1
        return SegmentDone(
            segment=segment,
            count=len(self.segments),
            timeline_start=self.timeline_offset + self.segment_start,
            first_byte=self.segment_first_byte,
        )

    def _emit(self, kind: str, packet) -> None:
        if self.held is not None:
            self.held.append((kind, packet))
        else:
            self._mux(kind, packet)

    def _mux(self, kind: str, packet) -> None:
        packet.stream = self.out_video if kind == "video" else self.out_audio
        self.output.mux(packet)

    def _place_held(self, end: float) -> list[SegmentDone]:
        """The held group [held_start, end) goes into the open segment if that stays within
        the target duration; else the segment ends before it and the group starts the next."""
        done = []
        packets, self.held = self.held, None
        if end - self.segment_start > (self.target or TARGET_DURATION) + 0.001:
            done.append(self._finish_segment(self.held_start))
            self._open_segment(self.held_start, self.held_first_byte)
        for kind, packet in packets:
            self._mux(kind, packet)
        return done

    def _keyframe(self, at: float, first_byte: int) -> list[SegmentDone]:
        done = self._place_held(at) if self.held is not None else []
        if self.output is not None and at - self.segment_start >= SEGMENT_MIN - 0.001:
            done.append(self._finish_segment(at))
        if self.output is None:
            # A group that starts a segment goes straight to the file: nothing to decide.
            self._open_segment(at, first_byte)
        else:
            self.held, self.held_start, self.held_first_byte = [], at, first_byte
        return done

    def _announce(self, done: SegmentDone) -> None:
        if self.on_segment is not None:
            self.on_segment(done)

    def _video_packet(self, packet) -> None:
        if packet.pts is None and packet.dts is None:
            return
        tb = packet.time_base
        pts = packet.pts if packet.pts is not None else packet.dts
        dts = packet.dts if packet.dts is not None else pts
        seconds = float(pts * tb)
        if self.start is None:
            if not packet.is_keyframe:
                return  # pictures before the first keyframe cannot be decoded
            self.start = seconds
        at = seconds - self.start
        done = []
        if packet.is_keyframe:
            done = self._keyframe(at, packet.pos if packet.pos is not None else -1)
        if packet.duration:
            self.frame_seconds = float(packet.duration * tb)
        self.video_end = max(self.video_end, at + self.frame_seconds)

        shift = round((TIMELINE_BASE + self.timeline_offset - self.start) / tb)
        dts += shift
        pts += shift
        if self.last_dts is not None and dts <= self.last_dts:
            dts = self.last_dts + 1  # MediaRecorder timestamps are in ms and may repeat
        pts = max(pts, dts)
        self.last_dts = dts
        packet.pts, packet.dts = pts, dts
        self._emit("video", packet)
        for finished in done:
            self._announce(finished)  # the next segment is already under way

    def run(self) -> None:
        self._first_number = self.number
        _mark_part_start(self.out_dir, self.number)
        streams = [self.video] + ([self.audio] if self.audio is not None else [])
        try:
            try:
                for packet in self.container.demux(*streams):
                    if packet.stream is self.video or packet.stream.index == self.video.index:
                        self._video_packet(packet)
                    elif self.start is not None:
                        self._audio_packet(packet)
            except av.FFmpegError as error:
                # A stream cut in the middle (a dropped socket): keep everything up to here.
                logger.info("live ingest: input ended with %s", error)
            if self.output is not None:
                if self.encoder is not None:
                    for converted in self.resampler.resample(None):
                        self._encode_audio(converted)
                    self._encode_audio(None)
                done = self._place_held(self.video_end) if self.held is not None else []
                done.append(self._finish_segment(self.video_end))
                for finished in done:
                    self._announce(finished)
        finally:
            if self.output is not None:
                self.output.close()  # an error: the unfinished .part is never listed
            if self.encoder_sink is not None:
                self.encoder_sink.close()


class _Discard:
    """A write-only sink for the container that only hosts the audio encoder."""

    def write(self, data) -> int:
        return len(data)
