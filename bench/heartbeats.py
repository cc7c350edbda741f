"""Heartbeats at 8:00: how many per second the endpoint accepts, the player's way and batched.

On PostgreSQL + Redis, the way a district runs: creates a throwaway database
(BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench_heartbeats), migrates
it, creates the students and a session of today, gives each student a watch token (what
the player fetches once per page), starts uvicorn (2 workers) with REDIS_URL (default
redis://127.0.0.1:6379/13), then keeps CONNECTIONS keep-alive connections busy posting
heartbeats for a fixed time: first one heartbeat per request (what the player sends: one
batch every 20 s holds the one heartbeat of those 20 s), then BATCH heartbeats per request
(a player that was offline, or a client that batches harder). Twice: through Django alone
("view": config.asgi.build_application(django_asgi_app)), then through the application
config.asgi serves ("fast": the fast path of eschool.watching.asgi in front of Django).
Then folds what was received into watch sections in this process and checks every
accepted section is there.
Without PostgreSQL or Redis it prints why and exits 0.

    .venv/bin/python bench/heartbeats.py [--quick]

Prints `name: value` lines, the ratios (fast path to view, batched to single), viewers per
worker at the player's batching, and heartbeats_per_second (config.asgi's application, one
heartbeat per request as the player sends them) last.
"""

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

from _server import create_students, free_port, fresh_site, stop_server, unavailable

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_heartbeats"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
WORKERS = 2
BATCH = 10
PLAYER_BATCH = 1  # static/js/watch-time.js: one heartbeat per 20 s tick, sent as one batch
PLAYER_INTERVAL_S = 20
# What an earlier run left in Redis: heartbeats not yet folded, the fold's lock.
REDIS_KEYS = ("eschool:watching:*", "eschool:*watching:fold-lock")


def view_application():
    """Django alone behind the router, without the fast path (uvicorn --factory)."""
    from config.asgi import build_application, django_asgi_app

    return build_application(django_asgi_app)


def create_viewers(students: int) -> tuple[int, list[str]]:
    """The session's id and one watch token per student."""
    from eschool.classroom.models import Session
    from eschool.core import timeutil
    from eschool.org.models import Stage
    from eschool.watching.services import watch_token_issue

    users = create_students(
        [f"H{number:06d}" for number in range(students)], school_code="999000002"
    )
    starts_at = timeutil.now().replace(second=0, microsecond=0)
    session = Session.objects.create(
        title="升旗仪式",
        kind=Session.Kind.EVENT,
        stage=Stage.JUNIOR,
        day=timeutil.local(starts_at).date(),
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=40),
    )
    tokens = [watch_token_issue(user=user, session_id=session.pk)[0] for user in users]
    return session.pk, tokens


async def hammer(
    port: int,
    session_id: int,
    tokens: list[str],
    *,
    batch: int,
    seconds: float,
    connections: int,
    tag: str,
) -> tuple[int, int, int, set[str]]:
    """Keep `connections` connections posting for `seconds`: (requests ok, heartbeats, errors, sections)."""
    ok = beats_sent = errors = 0
    sections: set[str] = set()
    deadline = time.perf_counter() + seconds

    async def connection(number: int) -> None:
        nonlocal ok, beats_sent, errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        sent = 0
        try:
            while time.perf_counter() < deadline:
                viewer = (number + sent * connections) % len(tokens)
                section = f"{tag}{number}r{sent}b{batch}"
                start = float(sent % 3600)
                beats = [
                    {
                        "session": session_id,
                        "mode": "live",
                        "section": section,
                        "from": start,
                        "to": start + 2 * n,
                        "at": 1_000 + 2_000 * n,
                    }
                    for n in range(batch)
                ]
                body = json.dumps({"token": tokens[viewer], "beats": beats}).encode()
                writer.write(
                    (
                        "POST /watch/heartbeats HTTP/1.1\r\n"
                        f"Host: 127.0.0.1:{port}\r\n"
                        "Content-Type: text/plain;charset=UTF-8\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n"
                    ).encode()
                    + body
                )
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                sent += 1
                if head.startswith(b"HTTP/1.1 202"):
                    ok += 1
                    beats_sent += batch
                    sections.add(f"{viewer}:{section}")
                else:
                    errors += 1
        except (OSError, asyncio.IncompleteReadError):
            errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection(n) for n in range(connections)))
    return ok, beats_sent, errors, sections


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 s per phase, 1,000 viewers")
    args = parser.parse_args()
    students, seconds, connections = (1000, 4.0, 32) if args.quick else (10000, 15.0, 64)
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS

    reason = unavailable(url, redis_url)
    if reason:
        print(f"skipped: {reason}")
        return 0
    with fresh_site(
        "eschool-bench-heartbeats-", database_url=url, redis_url=redis_url, redis_keys=REDIS_KEYS
    ) as site:
        from django.db import connections as db_connections

        from eschool.watching import buffer, services
        from eschool.watching.models import WatchSection

        session_id, tokens = create_viewers(students)
        db_connections.close_all()

        results = {}
        for name, app in (
            (
                "view",
                ("--factory", "--app-dir", str(ROOT / "bench"), "heartbeats:view_application"),
            ),
            ("fast", ("config.asgi:application",)),
        ):
            port = free_port()
            server = site.start_server(port, app=app, workers=WORKERS, extra=("--backlog", "4096"))
            for batch in (PLAYER_BATCH, BATCH):
                results[name, batch] = asyncio.run(
                    hammer(
                        port, session_id, tokens, batch=batch, seconds=seconds,
                        connections=connections, tag=name,
                    )
                )  # fmt: skip
            stop_server(server)

        pending = buffer.pending_count()
        started = time.perf_counter()
        report = services.heartbeats_fold(rounds=10_000)
        fold_seconds = time.perf_counter() - started
        stored = WatchSection.objects.count()
        accepted = set().union(*(result[3] for result in results.values()))
        errors = sum(result[2] for result in results.values())

        def rate(name, batch, index=1):
            return results[name, batch][index] / seconds

        print(f"workers: {WORKERS}")
        print(f"connections: {connections}")
        print(f"viewers: {students}")
        print(f"seconds_per_phase: {seconds:.0f}")
        print(f"player_batch_size: {PLAYER_BATCH}")
        print(f"batch_size: {BATCH}")
        for name in ("view", "fast"):
            for batch in (PLAYER_BATCH, BATCH):
                label = "player" if batch == PLAYER_BATCH else "batched"
                print(f"{name}_{label}_requests_per_second: {rate(name, batch, 0):.0f}")
                print(f"{name}_{label}_heartbeats_per_second: {rate(name, batch):.0f}")
        print(f"errors: {errors}")
        print(f"batches_folded: {report.batches} of {pending}")
        print(f"sections_folded: {report.sections}")
        print(f"fold_seconds: {fold_seconds:.2f}")
        print(f"fold_heartbeats_per_second: {report.beats / fold_seconds:.0f}")
        print(f"fold_sections_per_second: {report.sections / fold_seconds:.0f}")
        print(
            f"fast_path_to_view_player: {rate('fast', PLAYER_BATCH) / rate('view', PLAYER_BATCH):.1f}"
        )
        print(f"fast_path_to_view_batched: {rate('fast', BATCH) / rate('view', BATCH):.1f}")
        print(f"batched_to_player_fast: {rate('fast', BATCH) / rate('fast', PLAYER_BATCH):.1f}")
        # A viewer sends one request per PLAYER_INTERVAL_S: what a worker sustains.
        for name in ("view", "fast"):
            viewers = rate(name, PLAYER_BATCH, 0) * PLAYER_INTERVAL_S / WORKERS
            print(f"viewers_per_worker_{name}: {viewers:.0f}")
        print(f"heartbeats_per_second: {rate('fast', PLAYER_BATCH):.0f}")
        expected = len(accepted)
        if stored != expected or errors:
            print(
                f"FAILED: {stored} sections stored for {expected} accepted, {errors} errors",
                file=sys.stderr,
            )
            return 1
        return 0


if __name__ == "__main__":
    sys.exit(main())
