"""`manage.py serve` (what `make run` ends with): stopping it stops its Huey worker too."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from django.conf import settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_of(pid: int) -> list[int]:
    found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(line) for line in found.stdout.split()]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def test_sigterm_stops_the_server_and_its_huey_worker(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(ESCHOOL_DATA_DIR=str(tmp_path), ESCHOOL_LOG_LEVEL="CRITICAL")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    workers = []
    try:
        deadline = time.monotonic() + 60
        while not answers(f"http://127.0.0.1:{port}/healthz") and time.monotonic() < deadline:
            assert server.poll() is None, "the server stopped before answering"
            time.sleep(0.2)
        workers = children_of(server.pid)
        assert len(workers) == 1

        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=30)
        left = [pid for pid in workers if os.path.exists(f"/proc/{pid}")]
    finally:
        # Whatever the outcome, this test leaves no process behind.
        if server.poll() is None:
            server.kill()
        for pid in workers:
            if os.path.exists(f"/proc/{pid}"):
                os.kill(pid, signal.SIGKILL)

    assert code == 128 + signal.SIGTERM
    # The worker was waited for: it no longer exists (not even as a zombie to reap).
    assert left == []
    assert not answers(f"http://127.0.0.1:{port}/healthz")
