"""Live ingest of a browser broadcast: CPU per minute of 720p, broadcasts per core, latency.

The source is make_test_video's pattern at 1280x720, 30 fps, recorded as Chromium's
MediaRecorder sends it (video/webm;codecs=h264,opus: H.264 without B-frames at 2.5 Mbit/s
CBR, a keyframe every 2 s, Opus sound), then:

1. CPU: the whole recording through ingest_stream (video copied, Opus to AAC, 2 s MPEG-TS
   segments); process CPU seconds per minute of media, and 60 / that = broadcasts one core
   sustains. For comparison, the CPU of re-encoding the same video (libx264 veryfast, what
   the design avoids) on a part of it.
2. Latency: the recording fed in 1 s chunks at real-time pace (chunk k, holding media
   [k, k+1) s, arrives at k+1 s). Per segment: the wait from the chunk holding its first
   picture being fed to the segment being listed in the playlist, and, from the clock burnt
   into that picture, camera to listed. Glass-to-glass estimate = chunk duration + segment
   wait + one playlist refresh (target duration) + hls.js's buffer (3 target durations);
   the clock-based figure puts camera-to-listed in place of the first two.

    .venv/bin/python bench/live_ingest.py [--quick]

Prints `name: value` lines; broadcasts_per_core last.
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT, FPS = 1280, 720, 30
BIT_RATE = 2_500_000
CHUNK_SECONDS = 1.0
HLS_JS_BUFFER_SEGMENTS = 3  # hls.js liveSyncDurationCount


def set_up(folder: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["ESCHOOL_DATA_DIR"] = str(folder / "data")
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def cpu_of_remux(data: bytes, out_dir: Path) -> float:
    from eschool.live import ingest

    pipe = ingest.ChunkPipe()
    pipe.feed(data)
    pipe.close()
    before = time.process_time()
    ingest.ingest_stream(pipe, out_dir)
    return time.process_time() - before


def cpu_of_reencode(source: Path, seconds: float) -> float:
    """CPU to decode and re-encode `seconds` of the 720p video with libx264 veryfast."""
    import av

    class Discard:
        def write(self, data):
            return len(data)

    with av.open(str(source)) as original, av.open(Discard(), "w", format="mpegts") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"preset": "veryfast", "x264-params": f"bitrate={BIT_RATE // 1000}"}
        before = time.process_time()
        for index, frame in enumerate(original.decode(video=0)):
            if index >= seconds * FPS:
                break
            frame.pts, frame.time_base = index, Fraction(1, FPS)
            frame.pict_type = av.video.frame.PictureType.NONE
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
        return time.process_time() - before


def latency(data: bytes, seconds: float, out_dir: Path) -> dict:
    import av

    from eschool.live import ingest
    from eschool.live.media import read_clock, read_playlist

    pieces = ingest.chunks(data, round(seconds / CHUNK_SECONDS))
    size = len(pieces[0])
    fed_at: list[float] = []
    listed: list = []
    pipe = ingest.ChunkPipe()

    def on_segment(event):
        listed.append((time.monotonic(), event))

    worker = threading.Thread(
        target=lambda: ingest.ingest_stream(pipe, out_dir, on_segment=on_segment)
    )
    worker.start()
    start = time.monotonic()
    for index, piece in enumerate(pieces):
        # The recorder hands over a timeslice when it is over.
        delay = start + (index + 1) * CHUNK_SECONDS - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        fed_at.append(time.monotonic())
        pipe.feed(piece)
    pipe.close()
    worker.join()

    waits, camera_to_listed, durations = [], [], []
    for when, event in listed[:-1]:  # the last one is listed at the end of the stream
        chunk = min(len(fed_at) - 1, max(0, event.first_byte) // size)
        waits.append(when - fed_at[chunk])
        with av.open(str(out_dir / event.segment.uri)) as segment:
            clock = read_clock(next(segment.decode(video=0)))
        camera_to_listed.append(when - (start + clock))
        durations.append(event.segment.duration)
    playlist = read_playlist(out_dir / ingest.PLAYLIST)
    return {
        "waits": waits,
        "camera_to_listed": camera_to_listed,
        "durations": durations,
        "target": playlist.target_duration,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="15 s of media instead of 60 s")
    args = parser.parse_args()
    seconds = 15 if args.quick else 60

    with tempfile.TemporaryDirectory(prefix="bench-live-") as name:
        folder = Path(name)
        set_up(folder)
        from eschool.live import ingest
        from eschool.live.media import make_test_video

        source = make_test_video(
            folder / "camera.mp4", seconds=seconds, width=WIDTH, height=HEIGHT, fps=FPS
        )
        data = ingest.browser_recording(source, bit_rate=BIT_RATE)

        remux = cpu_of_remux(data, folder / "cpu")
        per_minute = remux / seconds * 60
        sample = min(seconds, 10)
        reencode_per_minute = cpu_of_reencode(source, sample) / sample * 60
        measured = latency(data, seconds, folder / "latency")

        waits = measured["waits"]
        segment = statistics.mean(measured["durations"])
        target = measured["target"]
        wait = statistics.mean(waits)
        estimate = CHUNK_SECONDS + wait + target + HLS_JS_BUFFER_SEGMENTS * target
        print(f"media_seconds: {seconds}")
        print(f"video: {WIDTH}x{HEIGHT} {FPS} fps H.264")
        print(f"stream_mbit_per_second: {len(data) * 8 / seconds / 1e6:.2f}")
        print(f"cpu_seconds_remux: {remux:.2f}")
        print(f"cpu_seconds_per_minute: {per_minute:.2f}")
        print(f"cpu_seconds_per_minute_if_reencoded: {reencode_per_minute:.1f}")
        print(f"reencode_to_remux_ratio: {reencode_per_minute / per_minute:.1f}")
        print(f"segments_measured: {len(waits)}")
        print(f"segment_seconds_mean: {segment:.2f}")
        print(f"target_duration_seconds: {target}")
        print(f"chunk_seconds: {CHUNK_SECONDS:.1f}")
        print(f"segment_wait_seconds_mean: {wait:.2f}")
        print(f"segment_wait_seconds_max: {max(waits):.2f}")
        print(f"camera_to_listed_seconds_mean: {statistics.mean(measured['camera_to_listed']):.2f}")
        print(f"camera_to_listed_seconds_max: {max(measured['camera_to_listed']):.2f}")
        print(f"playlist_refresh_seconds: {target:.1f}")
        print(f"player_buffer_seconds: {HLS_JS_BUFFER_SEGMENTS * target:.1f}")
        clocked = (
            statistics.mean(measured["camera_to_listed"]) + (1 + HLS_JS_BUFFER_SEGMENTS) * target
        )
        print(f"clock_based_glass_to_glass_seconds: {clocked:.1f}")
        print(f"estimated_glass_to_glass_seconds: {estimate:.1f}")
        print(f"latency_within_12_seconds: {'yes' if estimate < 12 else 'NO'}")
        print(f"broadcasts_per_core: {60 / per_minute:.0f}")
        if estimate >= 12:
            sys.exit(1)


if __name__ == "__main__":
    main()
