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
import sys

from _client import load
from _server import free_port, fresh_site, measure, write_static

SESSIONS = 200
CONCURRENCY = 8
STATIC_PATH = "/static/bench/timetable-size.html"


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests (under 60 s)")
    args = parser.parse_args()
    requests, seconds = (800, 12.0) if args.quick else (6000, 60.0)

    with fresh_site("eschool-bench-page-") as site:
        create_day(SESSIONS)
        page_bytes, queries = measure("/")
        # WhiteNoise serves STATIC_ROOT (ESCHOOL_DATA_DIR/static) as well as the
        # finders; the file is written there before the server starts and indexes it.
        static_file = site.folder / "static" / STATIC_PATH.removeprefix("/static/")
        write_static(static_file, page_bytes, json=False)

        port = free_port()
        site.start_server(port)
        for path in ("/", STATIC_PATH):  # warm up: templates, the page cache, the file
            asyncio.run(load(port, path, connections=CONCURRENCY, requests=50, seconds=10))
        run = {"connections": CONCURRENCY, "requests": requests, "seconds": seconds}
        page = asyncio.run(load(port, "/", **run))
        static = asyncio.run(load(port, STATIC_PATH, **run))
        if static["size"] != page_bytes or abs(page["size"] - page_bytes) > 200:
            raise RuntimeError(f"sizes differ: page {page['size']}, static {static['size']}")

        print(f"sessions: {SESSIONS}")
        print(f"page_bytes: {page_bytes}")
        print(f"queries_per_page: {queries}")
        print(f"page_requests: {page['done']}")
        print(f"page_rps: {page['rps']:.1f}")
        print(f"static_requests: {static['done']}")
        print(f"static_rps: {static['rps']:.1f}")
        print(f"page_to_static_ratio: {page['rps'] / static['rps']:.2f}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
