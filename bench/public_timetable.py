"""The published timetable at 8:00-like load: `/` and the JSON feed, against static files.

A day of 200 sessions in a fresh SQLite database (temporary folder), one uvicorn
worker, 64 keep-alive connections from a small asyncio HTTP/1.1 client (the one
of bench/_client.py). Each dynamic URL is compared with a static file of
the same size served by WhiteNoise from the same process; p99 is the latency of
one request under that load.

    .venv/bin/python bench/public_timetable.py [--quick]

Prints `name: value` lines, page_to_static_ratio last.
"""

import argparse
import asyncio
import sys

from _client import load
from _server import free_port, fresh_site, measure, write_static
from timetable_page import create_day

SESSIONS = 200
CONCURRENCY = 64
STATIC_PAGE = "/static/bench/public-page-size.html"
STATIC_JSON = "/static/bench/public-json-size.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests (under 60 s)")
    args = parser.parse_args()
    requests, seconds = (6000, 5.0) if args.quick else (40000, 30.0)

    with fresh_site("eschool-bench-public-") as site:
        from eschool.core import timeutil

        create_day(SESSIONS)
        json_path = f"/api/v1/timetable/{timeutil.today().isoformat()}"
        port = free_port()
        # The server's host: the JSON holds absolute URLs, so its size depends on it.
        host = f"127.0.0.1:{port}"
        page_bytes, page_queries = measure("/", host=host)
        json_bytes, json_queries = measure(json_path, host=host)
        static = site.folder / "static"
        write_static(static / STATIC_PAGE.removeprefix("/static/"), page_bytes, json=False)
        write_static(static / STATIC_JSON.removeprefix("/static/"), json_bytes, json=True)

        site.start_server(port)
        paths = ("/", json_path, STATIC_PAGE, STATIC_JSON)
        for path in paths:  # warm up: templates, the page cache, the files
            asyncio.run(load(port, path, connections=CONCURRENCY, requests=300, seconds=2))
        run = {"connections": CONCURRENCY, "requests": requests, "seconds": seconds}
        results = {path: asyncio.run(load(port, path, **run)) for path in paths}
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


if __name__ == "__main__":
    sys.exit(main())
