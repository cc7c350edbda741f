"""Requests per second of `/` (a day with 200 sessions) on the ASGI server.

Compared with a static HTML file of the same size served by WhiteNoise from the
same uvicorn process (one worker), with the same small keep-alive client
(8 connections). Uses a fresh SQLite database in a temporary folder.

    .venv/bin/python bench/timetable_page.py [--quick]

Prints `name: value` lines, page_to_static_ratio last (target >= 0.3).
"""

import argparse
import asyncio
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _server import free_port, start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = 200
CONCURRENCY = 8
STATIC_PATH = "/static/bench/timetable-size.html"


def set_up_environment(data_dir: Path) -> dict[str, str]:
    """The bench's own embedded database and folders, whatever the caller's environment."""
    for name in ("DATABASE_URL", "REDIS_URL", "ESCHOOL_SQLITE_PATH", "ESCHOOL_STATIC_ROOT"):
        os.environ.pop(name, None)
    os.environ["ESCHOOL_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("ESCHOOL_LOG_LEVEL", "WARNING")
    return dict(os.environ)


def create_day(sessions: int) -> None:
    """Today: `sessions` sessions across the four stages, 50 teachers in 4 schools."""
    from eschool.accounts.models import Role, Teacher, User
    from eschool.classroom.models import Session
    from eschool.core import timeutil
    from eschool.org.models import Grade, Region, School, Stage, Subject

    region = Region.objects.get(kind=Region.Kind.HOME)
    schools = {
        stage: School.objects.create(
            code=f"9{index:08d}", name=f"基准学校{index}", stage=stage, region=region
        )
        for index, stage in enumerate(Stage.values)
    }
    grades_by_stage = {
        stage: list(Grade.objects.filter(stage=stage).order_by("level")) for stage in Stage.values
    }
    subjects = list(Subject.objects.all()[:10])
    teachers = []
    for number in range(50):
        stage = Stage.values[number % 4]
        user = User.objects.create_user(
            f"B{number:04d}", name=f"基准老师{number}", role=Role.TEACHER, school=schools[stage]
        )
        teachers.append(Teacher.objects.create(user=user, school=schools[stage]))
    day = timeutil.today()
    rows, grade_sets = [], []
    for number in range(sessions):
        teacher = teachers[number % len(teachers)]
        stage = teacher.school.stage
        slot = number // len(teachers)
        starts_at = timeutil.at_local(day, dt.time(8, 0)) + dt.timedelta(minutes=50 * slot)
        grades = grades_by_stage[stage]
        rows.append(
            Session(
                kind=Session.Kind.CLASS if number % 7 else Session.Kind.LECTURE,
                title=f"第{number + 1}课：单元复习与拓展练习",
                stage=stage,
                subject=subjects[number % len(subjects)],
                teacher=teacher,
                day=day,
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=40),
                status=Session.Status.CANCELLED if number % 50 == 49 else Session.Status.SCHEDULED,
            )
        )
        grade_sets.append([grades[number % len(grades)]])
    created = Session.objects.bulk_create(rows)
    Through = Session.grades.through
    Through.objects.bulk_create(
        Through(session_id=session.pk, grade_id=grade.pk)
        for session, grades in zip(created, grade_sets, strict=True)
        for grade in grades
    )


def measure_page() -> tuple[int, int]:
    """The size of `/` and the number of queries it makes when not cached."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/")
    assert response.status_code == 200, response.status_code
    return len(response.content), len(queries)


async def fetch(reader, writer, request: bytes) -> tuple[int, int]:
    """One request on a keep-alive HTTP/1.1 connection: (status, body bytes)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
        return status, len(body)
    if headers.get("transfer-encoding", "").lower() == "chunked":
        size = 0
        while True:
            chunk_size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if chunk_size == 0:
                await reader.readuntil(b"\r\n")
                return status, size
            size += len(await reader.readexactly(chunk_size))
            await reader.readexactly(2)
    raise RuntimeError("response without a length")


async def load(port: int, path: str, *, requests: int, seconds: float) -> tuple[float, int, int]:
    """Send up to `requests` GETs over CONCURRENCY connections, stopping after `seconds`.

    Returns (requests per second, requests done, body bytes of the last response).
    """
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: keep-alive\r\n\r\n"
    ).encode()
    remaining = requests
    done = 0
    last_size = 0
    deadline = time.monotonic() + seconds

    async def worker():
        nonlocal remaining, done, last_size
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while remaining > 0 and time.monotonic() < deadline:
                remaining -= 1
                status, size = await fetch(reader, writer, request)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}")
                done += 1
                last_size = size
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - started
    return done / elapsed, done, last_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests (under 60 s)")
    args = parser.parse_args()
    requests, seconds = (800, 12.0) if args.quick else (6000, 60.0)

    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    temp = Path(tempfile.mkdtemp(prefix="eschool-bench-page-"))
    server = None
    try:
        env = set_up_environment(temp)
        # WhiteNoise serves STATIC_ROOT (ESCHOOL_DATA_DIR/static) as well as the
        # finders; the file is written there before the server starts and indexes it.
        static_file = temp / "static" / STATIC_PATH.removeprefix("/static/")
        static_file.parent.mkdir(parents=True)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        create_day(SESSIONS)
        page_bytes, queries = measure_page()

        filler = "<!doctype html><title>static</title><p>"
        static_file.write_bytes((filler + "x" * (page_bytes - len(filler))).encode())

        port = free_port()
        server = start_server(port, env)
        for path in ("/", STATIC_PATH):  # warm up: templates, the page cache, the file
            asyncio.run(load(port, path, requests=50, seconds=10))
        page_rps, page_done, served_page = asyncio.run(
            load(port, "/", requests=requests, seconds=seconds)
        )
        static_rps, static_done, served_static = asyncio.run(
            load(port, STATIC_PATH, requests=requests, seconds=seconds)
        )
        if served_static != page_bytes or abs(served_page - page_bytes) > 200:
            raise RuntimeError(f"sizes differ: page {served_page}, static {served_static}")

        print(f"sessions: {SESSIONS}")
        print(f"page_bytes: {page_bytes}")
        print(f"queries_per_page: {queries}")
        print(f"page_requests: {page_done}")
        print(f"page_rps: {page_rps:.1f}")
        print(f"static_requests: {static_done}")
        print(f"static_rps: {static_rps:.1f}")
        print(f"page_to_static_ratio: {page_rps / static_rps:.2f}")
        return 0
    finally:
        stop_server(server)
        shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
