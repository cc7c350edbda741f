"""A district event's page at 8:00: requests per second against a static file of its size.

A district event today in a fresh SQLite database (temporary folder), one uvicorn worker,
64 keep-alive connections from the small asyncio HTTP/1.1 client of bench/_client.py.
The event's page is fetched by visitors without an account and by a logged-in student (their
login cookie on every request); both get the same shared page (eschool/watching/event_page.py,
`Cache-Control: public`), which a CDN would answer. Measured here is the origin without
one: the page against a static file of the same size served by WhiteNoise from the same
process. The student's requests still cost what the middleware does to know who is logged
in (the login session and the user), the page itself nothing.

    .venv/bin/python bench/event_page.py [--quick]

Prints `name: value` lines, event_page_to_static_ratio (the logged-in student's) last.
"""

import argparse
import asyncio
import datetime as dt
import sys

from _client import load
from _server import create_students, free_port, fresh_site, write_static

CONNECTIONS = 64
ROUNDS = 3
STATIC_PAGE = "/static/bench/event-page-size.html"


def create_event() -> tuple[int, str]:
    """Today's flag-raising (starting in an hour) and a logged-in student's login cookie."""
    from django.test import Client

    from eschool.classroom.models import Session
    from eschool.core import timeutil
    from eschool.org.models import Grade, Stage

    [user] = create_students(["E000001"], school_code="999000003")
    starts_at = timeutil.now().replace(second=0, microsecond=0) + dt.timedelta(hours=1)
    event = Session.objects.create(
        title="升旗仪式",
        kind=Session.Kind.EVENT,
        stage=Stage.JUNIOR,
        day=timeutil.local(starts_at).date(),
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=30),
    )
    event.grades.set(Grade.objects.filter(stage=Stage.JUNIOR))
    client = Client()
    client.force_login(user)
    return event.pk, f"sessionid={client.cookies['sessionid'].value}"


def page_size(path: str, cookie: str, *, host: str) -> int:
    from django.test import Client

    # The server's host: the share link on the page is an absolute URL.
    response = Client(HTTP_COOKIE=cookie, HTTP_HOST=host).get(path)
    assert response.status_code == 200, (path, response.status_code)
    assert response["Cache-Control"] == "public, max-age=60", response["Cache-Control"]
    return len(response.content)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests (under 60 s)")
    args = parser.parse_args()
    requests, seconds = (5000, 5.0) if args.quick else (40000, 20.0)

    with fresh_site("eschool-bench-event-") as site:
        pk, cookie = create_event()
        path = f"/sessions/{pk}/"
        port = free_port()
        size = page_size(path, cookie, host=f"127.0.0.1:{port}")
        if page_size(path, "", host=f"127.0.0.1:{port}") != size:
            raise RuntimeError("the visitor's and the student's pages differ in size")
        static_file = site.folder / "static" / STATIC_PAGE.removeprefix("/static/")
        write_static(static_file, size, json=False)

        site.start_server(port)
        runs = {"visitor": (path, ""), "student": (path, cookie), "static": (STATIC_PAGE, "")}
        warm_up = {"connections": CONNECTIONS, "requests": 300, "seconds": 2}
        for url, with_cookie in runs.values():  # templates, the page cache, the file
            asyncio.run(load(port, url, cookie=with_cookie, **warm_up))
        # In alternating rounds, so that what else the machine does falls on all three alike.
        rounds = {name: [] for name in runs}
        run = {
            "connections": CONNECTIONS,
            "requests": requests // ROUNDS,
            "seconds": seconds / ROUNDS,
        }
        for _round in range(ROUNDS):
            for name, (url, with_cookie) in runs.items():
                rounds[name].append(asyncio.run(load(port, url, cookie=with_cookie, **run)))
        results = {
            name: {
                "rps": sum(r["rps"] for r in done) / ROUNDS,
                "p99_ms": max(r["p99_ms"] for r in done),
                "sizes": set().union(*(r["sizes"] for r in done)),
            }
            for name, done in rounds.items()
        }
        if any(result["sizes"] != {size} for result in results.values()):
            raise RuntimeError(f"sizes differ: {[r['sizes'] for r in results.values()]}")

        static = results["static"]["rps"]
        print(f"connections: {CONNECTIONS}")
        print(f"rounds: {ROUNDS}")
        print(f"page_bytes: {size}")
        for name in ("visitor", "student", "static"):
            print(f"{name}_rps: {results[name]['rps']:.1f}")
            print(f"{name}_p99_ms: {results[name]['p99_ms']:.1f}")
        print(f"visitor_page_to_static_ratio: {results['visitor']['rps'] / static:.2f}")
        print(f"event_page_to_static_ratio: {results['student']['rps'] / static:.2f}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
