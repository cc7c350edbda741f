"""Changes made by another process reach this one's cached pages at once.

With the embedded default each process has a cache of its own (LocMemCache):
`manage.py publish_timetable`, the Huey worker and a second web worker cannot
empty this one's. The test runs those writes in a real second process on the
test database, then reads the pages here. On Redis the cache is shared and
the same test holds.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from eschool.classroom.models import Session

from .conftest import TODAY, TOMORROW

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(__file__).resolve().parents[3]


def in_another_process(*arguments: str) -> str:
    """Run `manage.py *arguments` in a new process on the test database; its output."""
    env = dict(os.environ)
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        env["ESCHOOL_SQLITE_PATH"] = str(database["NAME"])
        env.pop("DATABASE_URL", None)
    else:
        password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
        env["DATABASE_URL"] = (
            f"postgres://{database['USER']}{password}@{database['HOST']}:{database['PORT']}"
            f"/{database['NAME']}"
        )
    done = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def day_status(client, day) -> int:
    return client.get(reverse("classroom:day", args=[day])).status_code


def test_a_publication_by_the_command_shows_at_once(client, clock, make_session):
    make_session(day=TOMORROW, title="明天的课")
    assert day_status(client, TOMORROW) == 404  # cached here: not published

    in_another_process("publish_timetable", "--date", TOMORROW.isoformat())

    response = client.get(reverse("classroom:day", args=[TOMORROW]))
    assert response.status_code == 200
    assert "明天的课" in response.content.decode()
    # The day before links to it now (its cached page said "not yet").
    assert f'href="/timetable/{TOMORROW.isoformat()}/"' in client.get("/").content.decode()


def test_a_withdrawal_and_a_notice_elsewhere_show_at_once(
    client, clock, make_session, district_admin
):
    session = make_session(title="分数的加减")
    client.cookies["django_language"] = "en"
    assert "is-cancelled" not in client.get("/").content.decode()
    assert client.get(f"/api/v1/timetable/{TODAY.isoformat()}").json()["notices"] == []

    in_another_process(
        "shell",
        "-c",
        "from eschool.accounts.models import User\n"
        "from eschool.classroom.models import Session\n"
        "from eschool.classroom.services import session_cancel\n"
        "from eschool.classroom.services.publication import day_notice_add\n"
        "import datetime\n"
        f"admin = User.objects.get(pk={district_admin.pk})\n"
        f"session_cancel(actor=admin, session=Session.objects.get(pk={session.pk}), reason='停电')\n"
        f"day_notice_add(actor=admin, day=datetime.date.fromisoformat('{TODAY}'), title='运动会')\n",
    )

    assert Session.objects.get(pk=session.pk).status == Session.Status.CANCELLED
    html = client.get("/").content.decode()
    assert 'class="session is-cancelled"' in html
    assert "运动会" in html
    feed = client.get(f"/api/v1/timetable/{TODAY.isoformat()}").json()
    assert [s["status"] for s in feed["sessions"]] == ["cancelled"]
    assert [n["title"] for n in feed["notices"]] == ["运动会"]
