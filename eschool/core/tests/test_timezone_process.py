"""The server process's own time zone (TZ) changes nothing: stored in UTC, shown in Shanghai.

Each case runs a fresh Python process with TZ set, on a fresh SQLite database.
"""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

SCRIPT = r"""
import datetime as dt, json, os, time
process_zone = time.tzname
import django
django.setup()
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
day = dt.date(2026, 12, 7)
session = services.session_create(
    actor=admin,
    starts_at=timeutil.at_local(day, dt.time(8, 0)),
    ends_at=timeutil.at_local(day, dt.time(8, 40)),
    stage="junior",
    grades=Grade.objects.filter(name="七年级"),
    title="时区",
)
with connection.cursor() as cursor:
    cursor.execute("SELECT starts_at FROM classroom_session")
    raw = str(cursor.fetchone()[0])
with timeutil.frozen_at(dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)):
    client = Client()
    detail = client.get(f"/sessions/{session.pk}/").content.decode()
    day_page = client.get("/timetable/2026-12-07/").content.decode()
    api = client.get("/api/v1/timetable/2026-12-07").json()
print(json.dumps({
    "process_zone": process_zone,
    "stored": Session.objects.get().starts_at.isoformat(),
    "raw": raw,
    "detail": detail.split('<time datetime="2026-12-07T08:00:00+08:00">')[1].split("<")[0],
    "day_page": "08:00–08:40" in day_page,
    "api": api["sessions"][0]["starts_at"],
}))
"""


@pytest.mark.parametrize(
    ("zone", "names"), [("UTC", ["UTC", "UTC"]), ("America/New_York", ["EST", "EDT"])]
)
def test_times_do_not_depend_on_the_process_time_zone(tmp_path, zone, names):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "ESCHOOL_SQLITE_PATH"}
    }
    env.update(TZ=zone, ESCHOOL_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")

    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {
        "process_zone": names,
        "stored": "2026-12-07T00:00:00+00:00",
        "raw": "2026-12-07 00:00:00",
        "detail": "08:00",
        "day_page": True,
        "api": "2026-12-07T08:00:00+08:00",
    }
