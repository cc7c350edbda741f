"""The server process's own time zone changes nothing: stored in UTC, shown in Shanghai.

Each case runs a fresh Python process on a fresh database (SQLite, or on the
PostgreSQL leg a PostgreSQL database of its own). Django's setup sets the
process zone to TIME_ZONE, so the script puts the process in the zone under
test after setup, as a server started with another TZ that reset it would be,
and checks that it really is there before reading any page.
"""

import json
import os
import subprocess
import sys
from urllib.parse import urlparse, urlunparse

import pytest
from django.conf import settings

SCRIPT = r"""
import datetime as dt, json, os, time
import django
django.setup()
# After setup: Django has just set TZ to TIME_ZONE (Asia/Shanghai).
os.environ["TZ"] = os.environ["PROCESS_ZONE"]
time.tzset()
# 2026-12-07 10:00 UTC as the process's own clock sees it.
probe = time.localtime(dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC).timestamp())
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.db import connection
from django.test import Client
from eschool.accounts.models import Role, User
from eschool.classroom import services
from eschool.classroom.models import Session
from eschool.core import timeutil
from eschool.org.models import Grade

admin = User.objects.create_user("admin", name="管理员", role=Role.DISTRICT_ADMIN)
day, tomorrow = dt.date(2026, 12, 7), dt.date(2026, 12, 8)
grades = Grade.objects.filter(name="七年级")
session = services.session_create(
    actor=admin,
    starts_at=timeutil.at_local(day, dt.time(8, 0)),
    ends_at=timeutil.at_local(day, dt.time(8, 40)),
    stage="junior", grades=grades, title="时区",
)
services.session_create(
    actor=admin,
    starts_at=timeutil.at_local(tomorrow, dt.time(8, 0)),
    ends_at=timeutil.at_local(tomorrow, dt.time(8, 40)),
    stage="junior", grades=grades, title="明天",
)
with connection.cursor() as cursor:
    cursor.execute("SELECT starts_at FROM classroom_session WHERE id = %s", [session.pk])
    raw = str(cursor.fetchone()[0])
shanghai = timeutil.district_zone()
client = Client()
# 07:00 in Shanghai is still the day before in UTC and in New York: "today" is Shanghai's.
with timeutil.frozen_at(dt.datetime(2026, 12, 7, 7, 0, tzinfo=shanghai)):
    today_page = client.get("/").content.decode()
with timeutil.frozen_at(dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)):
    detail = client.get(f"/sessions/{session.pk}/").content.decode()
    day_page = client.get("/timetable/2026-12-07/").content.decode()
    api = client.get("/api/v1/timetable/2026-12-07").json()
boundary = {}
for label, moment in [("17:59:59", (17, 59, 59)), ("18:00:00", (18, 0, 0))]:
    with timeutil.frozen_at(dt.datetime(2026, 12, 7, *moment, tzinfo=shanghai)):
        page = client.get("/timetable/2026-12-08/")
        feed = client.get("/api/v1/timetable/2026-12-08")
        boundary[label] = [page.status_code, feed.status_code]
print(json.dumps({
    "process_offset": probe.tm_gmtoff,
    "process_zone": probe.tm_zone,
    "stored": Session.objects.get(pk=session.pk).starts_at.isoformat(),
    "raw": raw,
    "today_page": "08:00–08:40" in today_page and "时区" in today_page,
    "detail": detail.split('<time datetime="2026-12-07T08:00:00+08:00">')[1].split("<")[0],
    "day_page": "08:00–08:40" in day_page,
    "api": api["sessions"][0]["starts_at"],
    "tomorrow_at": boundary,
}))
"""


def _postgres_database(name: str):
    """A fresh PostgreSQL database next to the test database, dropped afterwards."""
    import psycopg

    url = urlparse(os.environ["DATABASE_URL"])
    admin_url = urlunparse(url._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(url._replace(path=f"/{name}")), admin_url


@pytest.mark.parametrize(
    ("zone", "offset", "abbreviation"),
    [("UTC", 0, "UTC"), ("America/New_York", -5 * 3600, "EST")],
)
def test_times_do_not_depend_on_the_process_time_zone(tmp_path, zone, offset, abbreviation):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "ESCHOOL_SQLITE_PATH", "TZ"}
    }
    env.update(
        PROCESS_ZONE=zone, ESCHOOL_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings"
    )
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    if on_postgres:
        name = f"{urlparse(os.environ['DATABASE_URL']).path.lstrip('/')}_tz_{offset // 3600 + 12}"
        env["DATABASE_URL"], admin_url = _postgres_database(name)

    try:
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        if on_postgres:
            import psycopg

            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {
        # The process really ran in the zone under test, not in Asia/Shanghai.
        "process_offset": offset,
        "process_zone": abbreviation,
        "stored": "2026-12-07T00:00:00+00:00",
        "raw": "2026-12-07 00:00:00+00:00" if on_postgres else "2026-12-07 00:00:00",
        "today_page": True,
        "detail": "08:00",
        "day_page": True,
        "api": "2026-12-07T08:00:00+08:00",
        # Tomorrow is published at 18:00 Shanghai: 10:00 UTC, 05:00 in New York.
        "tomorrow_at": {"17:59:59": [404, 404], "18:00:00": [200, 200]},
    }
