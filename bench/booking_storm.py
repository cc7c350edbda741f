"""500 students press "book" on a 100-seat session at the same moment, through HTTP.

On PostgreSQL: creates a throwaway database: the one named by
BENCH_DATABASE_URL; else, on the server of DATABASE_URL (same credentials),
`<its database>_bench_booking`, never the database itself; else
postgres://postgres@127.0.0.1:5432/bench_booking. It migrates it, creates the
students and the session, starts uvicorn (2 workers) with the application a district runs
(config.asgi, its request line of ESCHOOL_REQUESTS_PER_WORKER included), logs
every student in by writing their Django session straight to the database (no
500 Argon2 logins), then opens one connection per student and releases all the
POSTs together.
Confirmations are read from the database afterwards: exactly the number of seats,
or the bench fails. The database is dropped at the end. Without a reachable
PostgreSQL it prints why and exits 0.

    .venv/bin/python bench/booking_storm.py [--quick]

Prints `name: value` lines, requests_per_second last.
"""

import argparse
import asyncio
import datetime as dt
import os
import secrets
import sys
import time
from urllib.parse import urlsplit, urlunsplit

from _server import admin_url, create_students, free_port, fresh_site, unavailable

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_booking"
WORKERS = 2


def bench_url(environ) -> str:
    """The throwaway database's URL: BENCH_DATABASE_URL, else beside DATABASE_URL's, else
    DEFAULT_URL. DATABASE_URL's own database is never the one dropped."""
    if environ.get("BENCH_DATABASE_URL"):
        return environ["BENCH_DATABASE_URL"]
    if environ.get("DATABASE_URL"):
        parts = urlsplit(environ["DATABASE_URL"])
        name = parts.path.lstrip("/") or "eschool"
        return urlunsplit(parts._replace(path=f"/{name}_bench_booking"))
    return DEFAULT_URL


def create_district(students: int, seats: int) -> tuple[int, list[str]]:
    """The session's id and one session cookie per student (logged in)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session as DjangoSession

    from eschool.classroom.models import Session
    from eschool.core import timeutil
    from eschool.org.models import Grade, Stage, Subject

    users = create_students(
        [f"S{number:05d}" for number in range(students)], school_code="999000001"
    )
    # Two hours from now: bookable, and its day is already public.
    starts_at = (timeutil.now() + dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    session = Session.objects.create(
        title="期末复习：一元一次方程",
        stage=Stage.JUNIOR,
        subject=Subject.objects.get(name="数学"),
        day=timeutil.local(starts_at).date(),
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=40),
        capacity=seats,
    )
    session.grades.set([Grade.objects.get(level=7)])

    backend = settings.AUTHENTICATION_BACKENDS[0]
    store = SessionStore()
    expires = timeutil.now() + dt.timedelta(days=1)
    rows, keys = [], []
    for user in users:
        key = secrets.token_hex(16)
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: backend,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(
            DjangoSession(session_key=key, session_data=store.encode(data), expire_date=expires)
        )
        keys.append(key)
    DjangoSession.objects.bulk_create(rows)
    return session.pk, keys


def booking_counts(session_id: int) -> dict[str, int]:
    from django.db.models import Count

    from eschool.classroom.models import Booking, Session

    counts = dict(
        Booking.objects.filter(session_id=session_id)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    counts["seats_taken"] = Session.objects.get(pk=session_id).seats_taken
    return counts


async def storm(
    port: int, session_id: int, cookies: list[str]
) -> tuple[dict[int, int], int, float]:
    """One connection per student; every POST leaves together. (statuses, failures, seconds)."""
    body = b"waitlist=1"
    release = asyncio.Event()
    statuses: dict[int, int] = {}
    failures = 0

    def request(cookie: str) -> bytes:
        # A CSRF cookie and the same token in the header: what a page's form sends.
        token = secrets.token_hex(16)
        return (
            f"POST /sessions/{session_id}/book/ HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            f"Cookie: sessionid={cookie}; csrftoken={token}\r\n"
            f"X-CSRFToken: {token}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode() + body

    async def client(cookie: str) -> None:
        nonlocal failures
        payload = request(cookie)
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            failures += 1
            return
        try:
            await release.wait()
            writer.write(payload)
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=120)
            status = int(head.split(b" ", 2)[1])
            statuses[status] = statuses.get(status, 0) + 1
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            failures += 1
        finally:
            writer.close()

    tasks = [asyncio.create_task(client(cookie)) for cookie in cookies]
    await asyncio.sleep(0.5)  # every connection open before the release
    started = time.perf_counter()
    release.set()
    await asyncio.gather(*tasks)
    return statuses, failures, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 students, 40 seats")
    args = parser.parse_args()
    students, seats = (200, 40) if args.quick else (500, 100)
    url = bench_url(os.environ)

    reason = unavailable(url)
    if reason:
        print(f"skipped: {reason}")
        return 0
    with fresh_site("eschool-bench-booking-", database_url=url) as site:
        from django.conf import settings
        from django.db import connections

        session_id, cookies = create_district(students, seats)
        connections.close_all()

        port = free_port()
        # config.asgi:application, as in production: its request line keeps the
        # database connections of a burst under PostgreSQL's max_connections.
        site.start_server(port, workers=WORKERS, extra=("--backlog", "4096"))
        statuses, failures, seconds = asyncio.run(storm(port, session_id, cookies))
        counts = booking_counts(session_id)
        connections.close_all()

        redirects = statuses.get(302, 0)
        errors = failures + sum(n for status, n in statuses.items() if status != 302)
        confirmed = counts.get("confirmed", 0)
        print(f"database: {admin_url(url)[1]}")
        print(f"workers: {WORKERS}")
        print(f"requests_per_worker: {settings.ESCHOOL_REQUESTS_PER_WORKER}")
        print(f"students: {students}")
        print(f"seats: {seats}")
        print(f"requests: {students}")
        print(f"answered: {redirects}")
        print(f"confirmations: {confirmed}")
        print(f"waitlisted: {counts.get('waitlisted', 0)}")
        print(f"seats_taken: {counts['seats_taken']}")
        print(f"errors: {errors}")
        print(f"seconds: {seconds:.2f}")
        print(f"confirmations_to_seats: {confirmed / seats:.2f}")
        print(f"requests_per_second: {students / seconds:.1f}")
        if confirmed != seats or counts["seats_taken"] != seats:
            print(f"FAILED: {confirmed} confirmations for {seats} seats", file=sys.stderr)
            return 1
        return 0


if __name__ == "__main__":
    sys.exit(main())
