"""The published timetable at 8:00-like load: `/` and the JSON feed, against static files.

A day of 200 sessions in a fresh SQLite database (temporary folder), one uvicorn
worker, 64 keep-alive connections from a small asyncio HTTP/1.1 client (the one
of bench/timetable_page.py). Each dynamic URL is compared with a static file of
the same size served by WhiteNoise from the same process; p99 is the latency of
one request under that load.

    .venv/bin/python bench/public_timetable.py [--quick]

Prints `name: value` lines, page_to_static_ratio last.
"""

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _server import stop_server  # noqa: E402 - after the path is set
from timetable_page import (  # noqa: E402 - after the path is set
    create_day,
    fetch,
    free_port,
    set_up_environment,
    start_server,
)

SESSIONS = 200
CONCURRENCY = 64
STATIC_PAGE = "/static/bench/public-page-size.html"
STATIC_JSON = "/static/bench/public-json-size.json"


def measure(path: str, *, host: str) -> tuple[int, int]:
    """The size of `path` and the number of queries it makes when nothing is cached."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        # The server's host: the JSON holds absolute URLs, so its size depends on it.
        response = Client(HTTP_HOST=host).get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(response.content), len(queries)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def load(port: int, path: str, *, requests: int, seconds: float) -> dict:
    """Up to `requests` GETs of `path` over CONCURRENCY connections, for at most `seconds`."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: keep-alive\r\n\r\n"
    ).encode()
    remaining = requests
    latencies: list[float] = []
    size = 0
    deadline = time.monotonic() + seconds

    async def worker():
        nonlocal remaining, size
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while remaining > 0 and time.monotonic() < deadline:
                remaining -= 1
                sent = time.perf_counter()
                status, size = await fetch(reader, writer, request)
                latencies.append(time.perf_counter() - sent)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}")
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - started
    return {
        "rps": len(latencies) / elapsed,
        "done": len(latencies),
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "size": size,
    }


def write_static(path: Path, size: int, *, json: bool) -> None:
    start = '{"filler": "' if json else "<!doctype html><title>static</title><p>"
    end = '"}' if json else ""
    path.write_bytes((start + "x" * (size - len(start) - len(end)) + end).encode())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests (under 60 s)")
    args = parser.parse_args()
    requests, seconds = (6000, 5.0) if args.quick else (40000, 30.0)

    os.chdir(ROOT)
    temp = Path(tempfile.mkdtemp(prefix="eschool-bench-public-"))
    server = None
    try:
        env = set_up_environment(temp)
        static_dir = temp / "static" / "bench"
        static_dir.mkdir(parents=True)
        import django

        django.setup()
        from django.core.management import call_command

        from eschool.core import timeutil

        call_command("migrate", verbosity=0)
        create_day(SESSIONS)
        json_path = f"/api/v1/timetable/{timeutil.today().isoformat()}"
        port = free_port()
        host = f"127.0.0.1:{port}"
        page_bytes, page_queries = measure("/", host=host)
        json_bytes, json_queries = measure(json_path, host=host)
        write_static(temp / "static" / STATIC_PAGE.removeprefix("/static/"), page_bytes, json=False)
        write_static(temp / "static" / STATIC_JSON.removeprefix("/static/"), json_bytes, json=True)

        server = start_server(port, env)
        paths = ("/", json_path, STATIC_PAGE, STATIC_JSON)
        for path in paths:  # warm up: templates, the page cache, the files
            asyncio.run(load(port, path, requests=300, seconds=2))
        results = {
            path: asyncio.run(load(port, path, requests=requests, seconds=seconds))
            for path in paths
        }
        page, feed = results["/"], results[json_path]
        static_page, static_json = results[STATIC_PAGE], results[STATIC_JSON]
        if static_page["size"] != page_bytes or abs(page["size"] - page_bytes) > 200:
            raise RuntimeError(f"sizes differ: page {page['size']}, static {static_page['size']}")
        if static_json["size"] != json_bytes or abs(feed["size"] - json_bytes) > 200:
            raise RuntimeError(f"sizes differ: json {feed['size']}, static {static_json['size']}")

        print(f"sessions: {SESSIONS}")
        print(f"connections: {CONCURRENCY}")
        print(f"page_bytes: {page_bytes}")
        print(f"json_bytes: {json_bytes}")
        print(f"queries_per_page_uncached: {page_queries}")
        print(f"queries_per_json: {json_queries}")
        print(f"page_requests: {page['done']}")
        print(f"json_requests: {feed['done']}")
        print(f"page_rps: {page['rps']:.1f}")
        print(f"json_rps: {feed['rps']:.1f}")
        print(f"static_rps: {static_page['rps']:.1f}")
        print(f"static_json_rps: {static_json['rps']:.1f}")
        print(f"page_p99_ms: {page['p99_ms']:.1f}")
        print(f"json_p99_ms: {feed['p99_ms']:.1f}")
        print(f"static_p99_ms: {static_page['p99_ms']:.1f}")
        print(f"static_json_p99_ms: {static_json['p99_ms']:.1f}")
        print(f"json_to_static_ratio: {feed['rps'] / static_json['rps']:.2f}")
        print(f"page_to_static_ratio: {page['rps'] / static_page['rps']:.2f}")
        return 0
    finally:
        stop_server(server)
        shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
