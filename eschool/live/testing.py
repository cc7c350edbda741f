"""Media for tests and benches: what a browser's MediaRecorder and what OBS would send.

Kept out of ingest.py, which only receives; the tests, bench/live_ingest.py and nothing in
production call these.
"""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av

from eschool.live.media import AUDIO_RATE


class _Collect:
    """A non-seekable output, like the stream of chunks a browser's MediaRecorder produces."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)


def browser_recording(
    source: str | Path,
    *,
    mime: str = "video/webm;codecs=h264,opus",
    keyframe_seconds: float = 2.0,
    bit_rate: int | None = None,
    audio: bool = True,
) -> bytes:
    """What MediaRecorder would send for `source` (e.g. a make_test_video file), as one blob.

    H.264 without B-frames (as browsers encode it) with a keyframe every keyframe_seconds,
    Opus sound; written as a stream (no seeking): Matroska for webm/x-matroska, fragmented
    MP4 for mp4. Slice the bytes into chunks to imitate the recorder's timeslices.
    """
    mp4 = mime.startswith("video/mp4")
    sink = _Collect()
    options = {"movflags": "frag_keyframe+empty_moov+default_base_moof"} if mp4 else {}
    with (
        av.open(str(source)) as original,
        av.open(sink, "w", format="mp4" if mp4 else "matroska", options=options) as out,
    ):
        in_video = original.streams.video[0]
        in_audio = original.streams.audio[0] if audio and original.streams.audio else None
        fps = in_video.average_rate or Fraction(25)
        video = out.add_stream("libx264", rate=fps)
        video.width = in_video.codec_context.width
        video.height = in_video.codec_context.height
        video.pix_fmt = "yuv420p"
        video.codec_context.gop_size = max(1, round(keyframe_seconds * fps))
        params = "scenecut=0:bframes=0"
        if bit_rate:
            kbps = bit_rate // 1000
            # CBR with filler, as a camera at a fixed bit rate sends (the pattern is easy).
            params += f":bitrate={kbps}:vbv-maxrate={kbps}:vbv-bufsize={kbps}:nal-hrd=cbr"
        video.options = {"preset": "veryfast", "profile": "baseline", "x264-params": params}
        sound_stream = None
        if in_audio is not None:
            # Chromium records Opus, or AAC when asked for mp4a in MP4.
            sound_codec = "aac" if "mp4a" in mime else "libopus"
            sound_stream = out.add_stream(sound_codec, rate=AUDIO_RATE)
            sound_stream.layout = "stereo"
            sound_stream.bit_rate = 64000
        resampler = av.AudioResampler(
            format="fltp" if sound_stream is not None and sound_stream.name == "aac" else "s16",
            layout="stereo",
            rate=AUDIO_RATE,
        )
        samples = 0
        streams = [in_video] + ([in_audio] if in_audio is not None else [])
        for packet in original.demux(*streams):
            for frame in packet.decode():
                if isinstance(frame, av.VideoFrame):
                    frame.pict_type = av.video.frame.PictureType.NONE
                    for out_packet in video.encode(frame):
                        out.mux(out_packet)
                else:
                    frame.pts = None
                    for sound in resampler.resample(frame):
                        sound.pts = samples
                        sound.time_base = Fraction(1, AUDIO_RATE)
                        samples += sound.samples
                        for out_packet in sound_stream.encode(sound):
                            out.mux(out_packet)
        for stream in (video, sound_stream):
            if stream is not None:
                for out_packet in stream.encode(None):
                    out.mux(out_packet)
    return b"".join(sink.parts)


# What OBS sends, for tests and the bench: a file's H.264 + AAC copied into FLV over RTMP at
# real-time pace (a packet leaves when its moment comes). Run in a process of its own, as OBS
# is: PyAV keeps Python's lock while it waits for nginx to accept the publish, and nginx waits
# for the app's answer. Exit status 3: nginx refused the stream.
PUSH_AS_OBS = """
import sys, time
import av
source, url = sys.argv[1], sys.argv[2]
try:
    with av.open(source) as original, av.open(url, "w", format="flv") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in original.streams}
        started = time.monotonic()
        for packet in original.demux():
            if packet.dts is None:
                continue
            due = started + float(packet.dts * packet.time_base) - time.monotonic()
            if due > 0:
                time.sleep(due)
            packet.stream = streams[packet.stream.index]
            out.mux(packet)
except av.FFmpegError as error:
    print(f"refused: {error}")
    sys.exit(3)
"""


def push_as_obs(
    source: str | Path, url: str, *, timeout: float = 60
) -> subprocess.CompletedProcess:
    """Push `source` to `url` as OBS would (PUSH_AS_OBS), in another process; waits for it."""
    return subprocess.run(
        [sys.executable, "-c", PUSH_AS_OBS, str(source), url],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def chunks(data: bytes, count: int) -> list[bytes]:
    """Cut a recording into `count` nearly equal chunks (MediaRecorder timeslices)."""
    size = -(-len(data) // max(1, count))
    return [data[i : i + size] for i in range(0, len(data), size)]
