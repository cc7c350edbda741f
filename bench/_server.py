"""What the HTTP benchmarks share: a free port and a uvicorn server that answers /healthz.

Not a benchmark itself (`make bench` skips files starting with `_`).
"""

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    port: int,
    env: dict[str, str],
    *,
    app: tuple[str, ...] = ("config.asgi:application",),
    workers: int = 1,
    extra: tuple[str, ...] = (),
    stderr=None,
) -> subprocess.Popen:
    """Start uvicorn on 127.0.0.1:`port` and return once /healthz answers 200 (30 s at most).

    `stderr` (a file) receives the server's log, to be read afterwards; by default it is ours.
    """
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *app]
        + ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        + ["--lifespan", "off", "--log-level", "warning", "--no-access-log", *extra],
        cwd=ROOT,
        env=env,
        stderr=stderr,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("uvicorn did not answer within 30 s")


def stop_server(server: subprocess.Popen | None) -> None:
    """Stop a server from start_server (if one was started), killing it after 10 s."""
    if server is None:
        return
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
