"""The media core: test video, upload-to-HLS packaging and playlist reading.

Plain functions on files, no database. PyAV (FFmpeg) does the decoding and encoding; we cut
the MPEG-TS segments with FFmpeg's segment muxer and write every playlist ourselves, so
#EXT-X-TARGETDURATION and #EXTINF are exactly what the spec asks for.
"""

from __future__ import annotations

import array
import csv
import math
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

AUDIO_RATE = 48000
VIDEO_TIME_BASE = Fraction(1, 90000)
CLOCK_BITS = 32  # milliseconds since the start, 2 rows of 16 blocks at the top of the frame


class MediaRefused(Exception):
    """A file we cannot turn into a replay; `message` is translated and safe to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------- test video


def _tone_second() -> bytes:
    # 48000 samples hold exactly 440 periods, so one second repeats without a click.
    samples = array.array(
        "f", (0.2 * math.sin(2 * math.pi * 440 * i / AUDIO_RATE) for i in range(AUDIO_RATE))
    )
    return samples.tobytes()


def _draw_clock_code(draw: ImageDraw.ImageDraw, width: int, height: int, ms: int) -> None:
    row_h = max(4, height // 24)
    block_w = width / 16
    for bit in range(CLOCK_BITS):
        row, col = divmod(bit, 16)
        on = (ms >> (CLOCK_BITS - 1 - bit)) & 1
        x0 = round(col * block_w)
        x1 = round((col + 1) * block_w)
        draw.rectangle(
            (x0, row * row_h, x1 - 1, (row + 1) * row_h - 1),
            fill=(255, 255, 255) if on else (0, 0, 0),
        )


def read_clock(frame: av.VideoFrame) -> float | None:
    """Seconds burnt into a frame by make_test_video, or None when the code is unreadable."""
    image = frame.to_image().convert("L")
    width, height = image.size
    row_h = max(4, height // 24)
    block_w = width / 16
    ms = 0
    for bit in range(CLOCK_BITS):
        row, col = divmod(bit, 16)
        x = int((col + 0.5) * block_w)
        y = int((row + 0.5) * row_h)
        ms = (ms << 1) | (image.getpixel((x, y)) >= 128)
    return ms / 1000


def _pattern(width: int, height: int) -> Image.Image:
    colours = [(192, 192, 192), (192, 192, 0), (0, 192, 192), (0, 192, 0)]
    colours += [(192, 0, 192), (192, 0, 0), (0, 0, 192)]
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    bar = width / len(colours)
    for i, colour in enumerate(colours):
        draw.rectangle((round(i * bar), 0, round((i + 1) * bar) - 1, height - 1), fill=colour)
    return image


def make_test_video(
    path: str | Path,
    *,
    seconds: float,
    width: int = 640,
    height: int = 360,
    fps: int = 25,
    with_clock: bool = True,
) -> Path:
    """Write a test pattern with a 440 Hz tone; with_clock burns the frame time into each frame.

    .mp4/.mov/.mkv get H.264 + AAC, .webm gets VP8 + Opus; H.264 has a keyframe every 2 s.
    """
    path = Path(path)
    webm = path.suffix.lower() == ".webm"
    base = _pattern(width, height)
    font = ImageFont.load_default(size=max(10, height // 5))
    tone = _tone_second()
    frames = round(seconds * fps)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libvpx" if webm else "libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        if not webm:
            video.codec_context.gop_size = 2 * fps
            video.options = {"preset": "veryfast", "x264-params": "scenecut=0"}
        audio = out.add_stream("libopus" if webm else "aac", rate=AUDIO_RATE)
        layout = "stereo" if webm else "mono"
        audio.codec_context.layout = layout
        audio_written = 0
        audio_total = round(seconds * AUDIO_RATE)
        for index in range(frames):
            image = base.copy()
            if with_clock:
                ms = index * 1000 // fps
                draw = ImageDraw.Draw(image)
                _draw_clock_code(draw, width, height, ms)
                draw.text(
                    (width // 2, height // 2),
                    f"{ms // 1000}.{ms % 1000 // 10:02d}",
                    font=font,
                    fill=(255, 255, 255),
                    anchor="mm",
                    stroke_width=max(1, height // 90),
                    stroke_fill=(0, 0, 0),
                )
            frame = av.VideoFrame.from_image(image)
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            for packet in video.encode(frame):
                out.mux(packet)
            # Keep the audio up to the video so the muxer interleaves them.
            until = min(audio_total, round((index + 1) * AUDIO_RATE / fps))
            while audio_written < until:
                count = min(1024, until - audio_written)
                tone_frame = _tone_frame(tone, audio_written, count, layout)
                for packet in audio.encode(tone_frame):
                    out.mux(packet)
                audio_written += count
        for stream in (video, audio):
            for packet in stream.encode(None):
                out.mux(packet)
    return path


def _tone_frame(tone: bytes, start: int, count: int, layout: str) -> av.AudioFrame:
    channels = 2 if layout == "stereo" else 1
    frame = av.AudioFrame(format="flt", layout=layout, samples=count)
    offset = start % AUDIO_RATE
    raw = (tone + tone)[offset * 4 : (offset + count) * 4]
    if channels == 2:
        mono = array.array("f", raw)
        raw = array.array("f", (s for s in mono for _ in range(2))).tobytes()
    frame.planes[0].update(raw)
    frame.sample_rate = AUDIO_RATE
    frame.pts = start
    frame.time_base = Fraction(1, AUDIO_RATE)
    return frame


# --------------------------------------------------------------------------- playlists


@dataclass
class Segment:
    uri: str
    duration: float
    # True for the first segment after a reconnect: timestamps and encoder settings may jump.
    discontinuity: bool = False


@dataclass
class Playlist:
    target_duration: int | None = None
    playlist_type: str | None = None
    ended: bool = False
    media_sequence: int = 0
    segments: list[Segment] = field(default_factory=list)
    variants: list[dict[str, str]] = field(default_factory=list)  # master playlists only

    @property
    def duration(self) -> float:
        return sum(segment.duration for segment in self.segments)


def _attributes(text: str) -> dict[str, str]:
    result: dict[str, str] = {}
    key, value, quoted, reading_key = "", "", False, True
    for char in text + ",":
        if reading_key:
            if char == "=":
                reading_key = False
            else:
                key += char
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            result[key.strip()] = value
            key, value, reading_key = "", "", True
        else:
            value += char
    return result


def read_playlist(path: str | Path) -> Playlist:
    """Parse an HLS playlist (media or master) from a file."""
    playlist = Playlist()
    pending_duration: float | None = None
    pending_variant: dict[str, str] | None = None
    pending_discontinuity = False
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#EXT-X-TARGETDURATION:"):
            playlist.target_duration = int(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-PLAYLIST-TYPE:"):
            playlist.playlist_type = line.split(":", 1)[1]
        elif line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            playlist.media_sequence = int(line.split(":", 1)[1])
        elif line == "#EXT-X-ENDLIST":
            playlist.ended = True
        elif line == "#EXT-X-DISCONTINUITY":
            pending_discontinuity = True
        elif line.startswith("#EXTINF:"):
            pending_duration = float(line.split(":", 1)[1].split(",", 1)[0])
        elif line.startswith("#EXT-X-STREAM-INF:"):
            pending_variant = _attributes(line.split(":", 1)[1])
        elif not line.startswith("#"):
            if pending_variant is not None:
                playlist.variants.append({**pending_variant, "URI": line})
                pending_variant = None
            elif pending_duration is not None:
                playlist.segments.append(
                    Segment(
                        uri=line, duration=pending_duration, discontinuity=pending_discontinuity
                    )
                )
                pending_duration = None
                pending_discontinuity = False
    return playlist


def write_media_playlist(
    path: Path, segments: list[Segment], *, ended: bool, vod: bool, target: int | None = None
) -> None:
    """Write a media playlist. TARGETDURATION is `target` when given (a live playlist keeps the
    value it declared first), else the ceiling of the longest segment (a VOD written once)."""
    if target is None:
        target = max((math.ceil(s.duration - 1e-6) for s in segments), default=1)
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{max(1, target)}"]
    lines += ["#EXT-X-MEDIA-SEQUENCE:0", f"#EXT-X-PLAYLIST-TYPE:{'VOD' if vod else 'EVENT'}"]
    for segment in segments:
        if segment.discontinuity:
            lines.append("#EXT-X-DISCONTINUITY")
        lines += [f"#EXTINF:{segment.duration:.6f},", segment.uri]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    temporary.replace(path)  # readers never see a half-written playlist


# --------------------------------------------------------------------------- packaging


@dataclass
class _Rendition:
    width: int
    height: int
    kbps: int
    directory: Path
    container: av.container.OutputContainer = None
    video: av.VideoStream = None
    audio: av.AudioStream | None = None


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def _fit(source: tuple[int, int], box: tuple[int, int]) -> tuple[int, int] | None:
    """Size that fits the box keeping the source's shape; None when it would upscale."""
    sw, sh = source
    scale = min(box[0] / sw, box[1] / sh)
    if scale > 1.0001:
        return None
    return _even(sw * scale), _even(sh * scale)


def _open_source(source_path: Path) -> av.container.InputContainer:
    try:
        source = av.open(str(source_path), "r")
    except (av.FFmpegError, UnicodeDecodeError) as error:
        raise MediaRefused(_("This file is not a video we can read.")) from error
    if not source.streams.video:
        source.close()
        raise MediaRefused(_("This file has no video in it."))
    return source


def package_vod(
    source_path: str | Path,
    out_dir: str | Path,
    *,
    renditions: tuple[tuple[int, int], ...] = ((1280, 720), (640, 360)),
    segment_seconds: int = 4,
    on_progress: Callable[[float], None] | None = None,
) -> Path:
    """Transcode a recording into an HLS VOD at out_dir (master.m3u8 + one folder per rendition).

    Renditions larger than the source are skipped (the source size is used when none fits).
    The result appears at out_dir all at once or not at all; an unreadable file raises
    MediaRefused. on_progress gets non-decreasing fractions ending with 1.0.
    """
    source_path, out_dir = Path(source_path), Path(out_dir)
    work = out_dir.with_name(f".{out_dir.name}.{uuid.uuid4().hex[:8]}.part")
    source = _open_source(source_path)
    try:
        work.mkdir(parents=True)
        result = _package(source, work, renditions, segment_seconds, on_progress)
    except av.FFmpegError as error:
        shutil.rmtree(work, ignore_errors=True)
        raise MediaRefused(_("This video is damaged and cannot be played.")) from error
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        source.close()
    _publish(work, out_dir)
    return out_dir / result


def _publish(work: Path, out_dir: Path) -> None:
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.{uuid.uuid4().hex[:8]}.old")
        out_dir.rename(old)
    work.rename(out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _package(
    source: av.container.InputContainer,
    work: Path,
    boxes: tuple[tuple[int, int], ...],
    segment_seconds: int,
    on_progress: Callable[[float], None] | None,
) -> str:
    in_video = source.streams.video[0]
    in_audio = source.streams.audio[0] if source.streams.audio else None
    in_video.thread_type = "AUTO"
    size = (in_video.codec_context.width, in_video.codec_context.height)
    if not size[0] or not size[1]:
        raise MediaRefused(_("This file is not a video we can read."))
    fps = float(in_video.average_rate or in_video.guessed_rate or 25)
    sizes: list[tuple[int, int]] = []
    for box in boxes:
        fitted = _fit(size, box)
        if fitted and fitted not in sizes:
            sizes.append(fitted)
    if not sizes:
        sizes.append((_even(size[0] - 1), _even(size[1] - 1)))
    duration = source.duration / av.time_base if source.duration else None

    outputs: list[_Rendition] = []
    for width, height in sizes:
        kbps = max(200, round(2500 * width * height / (1280 * 720)))
        directory = work / f"{height}p"
        directory.mkdir()
        container = av.open(
            str(directory / "seg-%05d.ts"),
            "w",
            format="segment",
            options={
                "segment_format": "mpegts",
                "segment_time": str(segment_seconds),
                "segment_list": str(directory / "segments.csv"),
                "segment_list_type": "csv",
                "break_non_keyframes": "0",
            },
        )
        video = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.time_base = VIDEO_TIME_BASE
        video.codec_context.time_base = VIDEO_TIME_BASE
        video.codec_context.gop_size = max(1, round(fps * segment_seconds))
        video.options = {
            "preset": "veryfast",
            "crf": "23",
            "maxrate": f"{kbps}k",
            "bufsize": f"{2 * kbps}k",
        }
        audio = None
        if in_audio is not None:
            audio = container.add_stream("aac", rate=AUDIO_RATE)
            audio.layout = "stereo"
            audio.bit_rate = 128000 if height >= 480 else 64000
        outputs.append(_Rendition(width, height, kbps, directory, container, video, audio))

    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
    start: float | None = None
    next_cut = 0.0
    progress = 0.0
    last_video_time = 0.0
    frames_seen = 0
    audio_samples: int | None = None
    early_audio: list[av.AudioFrame] = []
    streams = [in_video] + ([in_audio] if in_audio is not None else [])
    for packet in source.demux(*streams):
        for frame in packet.decode():
            if frame.pts is None or frame.time_base is None:
                continue
            seconds = float(frame.pts * frame.time_base)
            if isinstance(frame, av.VideoFrame):
                if start is None:
                    start = seconds
                t = seconds - start
                if t < last_video_time - 1e-6 and frames_seen:
                    continue  # a frame going back in time cannot be encoded in order
                frames_seen += 1
                last_video_time = t
                keyframe = t >= next_cut - 1e-6
                if keyframe:
                    next_cut += segment_seconds
                for output in outputs:
                    scaled = frame.reformat(
                        width=output.width, height=output.height, format="yuv420p"
                    )
                    scaled.pts = round(t / VIDEO_TIME_BASE)
                    scaled.time_base = VIDEO_TIME_BASE
                    # A keyframe exactly at each boundary makes every segment the same length.
                    scaled.pict_type = (
                        av.video.frame.PictureType.I
                        if keyframe
                        else av.video.frame.PictureType.NONE
                    )
                    for out_packet in output.video.encode(scaled):
                        output.container.mux(out_packet)
                if on_progress and duration:
                    fraction = min(0.99, t / duration)
                    if fraction > progress + 0.01:
                        progress = fraction
                        on_progress(progress)
            elif start is None:
                early_audio.append(frame)  # the container may give sound before the picture
            else:
                for sound in [*early_audio, frame]:
                    audio_samples = _encode_audio(sound, start, audio_samples, resampler, outputs)
                early_audio.clear()
    if not frames_seen:
        raise MediaRefused(_("This file is not a video we can read."))
    for converted in resampler.resample(None) if in_audio is not None else []:
        converted.pts = audio_samples or 0
        converted.time_base = Fraction(1, AUDIO_RATE)
        for output in outputs:
            for out_packet in output.audio.encode(converted):
                output.container.mux(out_packet)
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for output in outputs:
        for stream in (output.video, output.audio):
            if stream is not None:
                for out_packet in stream.encode(None):
                    output.container.mux(out_packet)
        output.container.close()
        segments, peak = _segments_from_csv(output.directory)
        write_media_playlist(output.directory / "index.m3u8", segments, ended=True, vod=True)
        (output.directory / "segments.csv").unlink()
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={peak},RESOLUTION={output.width}x{output.height}"
        )
        lines.append(f"{output.directory.name}/index.m3u8")
    (work / "master.m3u8").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if on_progress:
        on_progress(1.0)
    return "master.m3u8"


def _encode_audio(
    frame: av.AudioFrame,
    start: float,
    position: int | None,
    resampler: av.AudioResampler,
    outputs: list[_Rendition],
) -> int:
    """Encode one decoded sound frame into every rendition; returns the next sample position."""
    if position is None:
        position = max(0, round((float(frame.pts * frame.time_base) - start) * AUDIO_RATE))
    frame.pts = None
    for converted in resampler.resample(frame):
        converted.pts = position
        converted.time_base = Fraction(1, AUDIO_RATE)
        position += converted.samples
        for output in outputs:
            for packet in output.audio.encode(converted):
                output.container.mux(packet)
    return position


def _segments_from_csv(directory: Path) -> tuple[list[Segment], int]:
    """Segments with the durations a player sees: from each segment's first picture to the next.

    The muxer shifts every timestamp by the encoder's B-frame delay, so the list's own start of
    the first segment (0) would make it look longer than it is; the first pictures are exact.
    """
    rows = []
    with open(directory / "segments.csv", newline="", encoding="utf-8") as listing:
        rows = [(name, float(end)) for name, _begin, end in csv.reader(listing)]
    starts = [_first_picture_time(directory / name) for name, _end in rows]
    segments: list[Segment] = []
    peak = 0
    for index, (name, end) in enumerate(rows):
        stop = starts[index + 1] if index + 1 < len(rows) else end
        seconds = stop - starts[index]
        segments.append(Segment(uri=name, duration=seconds))
        bits = (directory / name).stat().st_size * 8
        peak = max(peak, round(bits / max(seconds, 0.5)))
    return segments, peak


def _first_picture_time(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.pts is not None:
                return float(packet.pts * stream.time_base)
    return 0.0
