"""Live ingest: CPU per minute of 720p by each way in (browser, OBS), broadcasts per core, latency.

The source is make_test_video's pattern at 1280x720, 30 fps, recorded as Chromium's
MediaRecorder sends it (video/webm;codecs=h264,opus: H.264 without B-frames at 2.5 Mbit/s
CBR, a keyframe every 2 s, Opus sound), then:

1. CPU, browser path: the whole recording through ingest_stream from a ChunkPipe (video
   copied, Opus to AAC, 2 s MPEG-TS segments); CPU seconds per minute of media, and 60 / that
   = broadcasts one core sustains. For comparison, re-encoding the same video (libx264
   veryfast, what the design avoids) on a part of it.
2. CPU, OBS path: the same pictures as OBS sends them (FLV: the H.264 copied, AAC sound),
   pushed at real-time pace by another process into nginx-rtmp started by tools/rtmp-dev (the
   shipped deploy/nginx/rtmp.conf; a stub answers its callbacks; live.testing.push_as_obs),
   and pulled with ingest_stream exactly as eschool/live/rtmp.py's puller does (its options). The puller
   thread's CPU seconds per minute of broadcast (it reads the stream as it comes, so this
   includes waiting on the socket), and nginx's. Skipped, with the reason printed, where
   nginx or its RTMP module is missing.
3. Latency: the browser recording fed in 1 s chunks at real-time pace (chunk k, holding media
   [k, k+1) s, arrives at k+1 s). For each segment, camera to listed: the moment it is listed
   in the playlist minus the moment its first picture was filmed (the clock burnt into it).
   The player's hold-back: hls.js plays liveSyncDurationCount target durations behind the end
   of the newest listed segment; the count is eschool/live/player.py's LIVE_SYNC_SEGMENTS, the
   value the page hands to static/js/player.js. Camera to screen = camera to listed + hold-back:
   camera to listed counts from the segment's first picture, so it holds the segment's own
   length, which covers hls.js's wait for its next playlist reload (about one segment).

    .venv/bin/python bench/live_ingest.py [--quick]

Prints `name: value` lines; the camera-to-screen latency (median segment) last.
"""

import argparse
import http.server
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

from _server import cpu_seconds, free_port

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT, FPS = 1280, 720, 30
BIT_RATE = 2_500_000
CHUNK_SECONDS = 1.0
RTMP_MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")


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


# --------------------------------------------------------------------------- OBS path


def as_obs_sends_it(recording: bytes, path: Path) -> Path:
    """The browser recording's H.264 copied, its sound as AAC (what OBS sends in FLV)."""
    import io

    import av

    from eschool.live.media import AUDIO_RATE

    with av.open(io.BytesIO(recording)) as original, av.open(str(path), "w") as out:
        in_video, in_audio = original.streams.video[0], original.streams.audio[0]
        video = out.add_stream_from_template(in_video)
        audio = out.add_stream("aac", rate=AUDIO_RATE)
        audio.layout, audio.bit_rate = "stereo", 160_000
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
        samples = 0
        for packet in original.demux(in_video, in_audio):
            if packet.dts is None:
                continue
            if packet.stream is in_video:
                packet.stream = video
                out.mux(packet)
                continue
            for frame in packet.decode():
                frame.pts = None
                for sound in resampler.resample(frame):
                    sound.pts, sound.time_base = samples, Fraction(1, AUDIO_RATE)
                    samples += sound.samples
                    for encoded in audio.encode(sound):
                        out.mux(encoded)
        for encoded in audio.encode(None):
            out.mux(encoded)
    return path


class _Callbacks(http.server.BaseHTTPRequestHandler):
    """Says yes to every nginx-rtmp callback (the app's decisions are not measured here)."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def _nginx_processes(master: int) -> list[int]:
    pids = [master]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


def obs_path(source: Path, seconds: float, folder: Path) -> dict | str:
    """CPU of the OBS path for `seconds` of real-time stream; a reason string when skipped."""
    from eschool.live import ingest, rtmp, testing

    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        return "nginx is not installed (apt-get install nginx libnginx-mod-rtmp)"
    if not RTMP_MODULE.exists():
        return "nginx has no RTMP module (apt-get install libnginx-mod-rtmp)"
    callbacks = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Callbacks)
    threading.Thread(target=callbacks.serve_forever, daemon=True).start()
    port = free_port()
    nginx = subprocess.Popen(
        [
            str(ROOT / "tools" / "rtmp-dev"),
            "--port",
            str(port),
            "--app",
            f"http://127.0.0.1:{callbacks.server_address[1]}",
            "--prefix",
            str(folder / "nginx"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:  # waits for nginx to listen, not for a guessed time
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or nginx.poll() is not None:
                    return "nginx-rtmp did not start"
                time.sleep(0.05)
        url = f"rtmp://127.0.0.1:{port}/live/bench"
        pulled: dict = {}

        def pull():
            before = time.thread_time()
            ingest.ingest_stream(url, folder / "obs", options=rtmp.PULL_OPTIONS)
            pulled["cpu"] = time.thread_time() - before

        puller = threading.Thread(target=pull)
        puller.start()  # it waits for the publisher (nginx-rtmp keeps idle streams)
        nginx_pids = _nginx_processes(nginx.pid)
        nginx_before = cpu_seconds(nginx_pids)
        started = time.monotonic()
        pushed = testing.push_as_obs(source, url, timeout=seconds + 60)
        if pushed.returncode:
            return f"the push failed: {pushed.stdout}{pushed.stderr}"
        puller.join(timeout=60)
        elapsed = time.monotonic() - started
        nginx_cpu = cpu_seconds(nginx_pids) - nginx_before
    finally:
        nginx.terminate()
        nginx.wait(timeout=15)
        callbacks.shutdown()
    from eschool.live.media import read_playlist

    listed = read_playlist(folder / "obs" / ingest.PLAYLIST).duration
    return {"cpu": pulled["cpu"], "nginx_cpu": nginx_cpu, "seconds": elapsed, "listed": listed}


# --------------------------------------------------------------------------- latency


def latency(data: bytes, seconds: float, out_dir: Path) -> dict:
    import av

    from eschool.live import ingest, testing
    from eschool.live.media import read_clock, read_playlist

    pieces = testing.chunks(data, round(seconds / CHUNK_SECONDS))
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
        pipe.feed(piece)
    pipe.close()
    worker.join()

    camera_to_listed, durations = [], []
    for when, event in listed[:-1]:  # the last one is listed at the end of the stream
        with av.open(str(out_dir / event.segment.uri)) as segment:
            clock = read_clock(next(segment.decode(video=0)))
        camera_to_listed.append(when - (start + clock))
        durations.append(event.segment.duration)
    playlist = read_playlist(out_dir / ingest.PLAYLIST)
    return {
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
        from eschool.live import testing
        from eschool.live.media import make_test_video
        from eschool.live.player import LIVE_SYNC_SEGMENTS

        source = make_test_video(
            folder / "camera.mp4", seconds=seconds, width=WIDTH, height=HEIGHT, fps=FPS
        )
        data = testing.browser_recording(source, bit_rate=BIT_RATE)

        remux = cpu_of_remux(data, folder / "cpu")
        per_minute = remux / seconds * 60
        sample = min(seconds, 10 if not args.quick else 5)
        reencode_per_minute = cpu_of_reencode(source, sample) / sample * 60
        obs = obs_path(as_obs_sends_it(data, folder / "obs.mkv"), seconds, folder)
        measured = latency(data, seconds, folder / "latency")

        print(f"media_seconds: {seconds}")
        print(f"video: {WIDTH}x{HEIGHT} {FPS} fps H.264")
        print(f"stream_mbit_per_second: {len(data) * 8 / seconds / 1e6:.2f}")
        print(f"browser_cpu_seconds_remux: {remux:.2f}")
        print(f"browser_cpu_seconds_per_minute: {per_minute:.2f}")
        print(f"cpu_seconds_per_minute_if_reencoded: {reencode_per_minute:.1f}")
        print(f"reencode_to_remux_ratio: {reencode_per_minute / per_minute:.1f}")
        print(f"browser_broadcasts_per_core: {60 / per_minute:.0f}")
        if isinstance(obs, str):
            print(f"obs_path: skipped, {obs}")
        else:
            obs_per_minute = obs["cpu"] / obs["seconds"] * 60
            print(f"obs_stream_seconds: {obs['seconds']:.1f}")
            print(f"obs_seconds_listed: {obs['listed']:.1f}")
            print(f"obs_puller_cpu_seconds_per_minute: {obs_per_minute:.2f}")
            print(f"obs_nginx_cpu_seconds_per_minute: {obs['nginx_cpu'] / obs['seconds'] * 60:.2f}")
            print(f"obs_to_browser_cpu_ratio: {obs_per_minute / per_minute:.1f}")
            print(f"obs_broadcasts_per_core: {60 / obs_per_minute:.0f}")

        target = measured["target"]
        listed = measured["camera_to_listed"]
        hold_back = LIVE_SYNC_SEGMENTS * target
        p50 = statistics.median(listed)
        print(f"segments_measured: {len(listed)}")
        print(f"segment_seconds_mean: {statistics.mean(measured['durations']):.2f}")
        print(f"target_duration_seconds: {target}")
        print(f"chunk_seconds: {CHUNK_SECONDS:.1f}")
        print(f"camera_to_listed_seconds_p50: {p50:.2f}")
        print(f"camera_to_listed_seconds_max: {max(listed):.2f}")
        print(f"player_live_sync_segments: {LIVE_SYNC_SEGMENTS}")
        print(f"player_hold_back_seconds: {hold_back:.1f}")
        print(f"camera_to_screen_seconds_max: {max(listed) + hold_back:.1f}")
        print(f"latency_within_12_seconds: {'yes' if max(listed) + hold_back < 12 else 'NO'}")
        print(f"camera_to_screen_seconds: {p50 + hold_back:.1f}")
        if max(listed) + hold_back >= 12:
            sys.exit(1)


if __name__ == "__main__":
    main()
