"""manage.py demo_class_now: a class of the demo teacher to go live with, at any time of day."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from eschool.accounts.models import Role, Student, Teacher
from eschool.classroom.models import Session
from eschool.classroom.services import session_create
from eschool.core import timeutil
from eschool.core.demo import DEMO_CLASS_TITLE, SCHOOL_ADMIN, SCHOOL_ADMIN_NAME
from eschool.core.testing import make_user
from eschool.live.models import Broadcast
from eschool.live.services import broadcast_begin
from eschool.org.models import Grade, Homeroom, Subject

MONDAY = dt.date(2026, 12, 7)


def shanghai(hhmm: str, day: dt.date = MONDAY) -> dt.datetime:
    return timeutil.at_local(day, dt.time.fromisoformat(hhmm))


@pytest.fixture
def clock(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DATA_DIR = tmp_path  # no address recorded by a load_demo (see demo_url)

    def set_clock(hhmm: str, day: dt.date = MONDAY) -> dt.datetime:
        moment = shanghai(hhmm, day)
        monkeypatch.setattr(timeutil, "_frozen", moment.astimezone(dt.UTC))
        return moment

    return set_clock


@pytest.fixture
def demo(school_a, district_admin, grade7):
    """What the command recognises as the demo (its school administrator) and the demo's
    teacher and student by the logins of demo/*.xlsx: T1001, who teaches 语文, and 26000001
    in 七年级."""
    make_user(SCHOOL_ADMIN[0], SCHOOL_ADMIN_NAME, Role.SCHOOL_ADMIN, school=school_a)
    teacher = make_user("T1001", "许梅萱", Role.TEACHER, school=school_a)
    Teacher.objects.create(user=teacher, school=school_a).subjects.set(
        Subject.objects.filter(name="语文")
    )
    student = make_user("26000001", "于行若", Role.STUDENT, school=school_a)
    homeroom = Homeroom.objects.get_or_create(school=school_a, grade=grade7, number=1)[0]
    Student.objects.create(user=student, school=school_a, grade=grade7, homeroom=homeroom)
    return teacher


def class_now(*args) -> str:
    out = io.StringIO()
    call_command("demo_class_now", *args, stdout=out)
    return out.getvalue()


def test_it_makes_a_class_starting_in_five_minutes_that_the_teacher_can_broadcast(
    client, clock, demo
):
    clock("10:07:40")
    output = class_now()

    session = Session.objects.get()
    assert (session.title, session.kind, session.stage, session.status) == (
        DEMO_CLASS_TITLE,
        "class",
        "junior",
        "scheduled",
    )
    assert (timeutil.local(session.starts_at), timeutil.local(session.ends_at)) == (
        shanghai("10:12"),
        shanghai("10:52"),
    )
    assert session.day == MONDAY
    assert (session.teacher.user.username, session.subject.name) == ("T1001", "语文")
    assert [grade.level for grade in session.grades.all()] == [7]
    assert session.capacity is None  # the student watches without booking a seat
    assert output.splitlines()[:2] == [
        f"{DEMO_CLASS_TITLE} · 语文 · 七年级: 2026-12-07 10:12–10:52, taught by 许梅萱 (T1001) "
        "(made now).",
        "Going live is open 09:42–11:22.",
    ]
    page = f"http://127.0.0.1:8000/sessions/{session.pk}/"
    assert (
        "log in at http://127.0.0.1:8000/accounts/login/ as T1001 (password eschool-teacher)"
        in output
    )
    assert output.count(f"     {page}\n") == 2  # the teacher's page and the student's
    assert "log in as 26000001 (password eschool-student)" in output
    assert "开始直播 (Start broadcast)" in output

    # Published: anyone sees it on today's page and its status; the teacher may go live now.
    response = client.get(reverse("live:status", args=[session.pk]))
    assert response.status_code == 200
    assert json.loads(response.content)["status"] == "waiting"
    broadcast = broadcast_begin(actor=demo, session=session, source=Broadcast.Source.BROWSER)
    assert broadcast.status == Broadcast.Status.LIVE


def test_its_links_go_where_make_run_serves_the_demo(clock, demo):
    # `make run` gives load_demo the --url of its HOST and PORT; the demo commands remember it.
    clock("10:07")
    call_command("load_demo", "--if-empty", "--url", "http://127.0.0.1:8123/", stdout=io.StringIO())
    output = class_now()
    page = f"http://127.0.0.1:8123/sessions/{Session.objects.get().pk}/"
    assert output.count(f"     {page}\n") == 2
    assert "log in at http://127.0.0.1:8123/accounts/login/ as T1001" in output
    assert ":8000" not in output
    # Given here, --url wins (and is not remembered).
    assert "http://school.example.cn/sessions/" in class_now("--url", "http://school.example.cn/")
    assert "http://127.0.0.1:8123/sessions/" in class_now()


def test_running_it_again_while_going_live_is_open_keeps_the_same_class(clock, demo):
    clock("10:07")
    class_now()
    first = Session.objects.get()
    clock("11:20")  # going live is open until 11:22 (30 minutes after 10:52)
    output = class_now("--minutes", "10")
    assert list(Session.objects.values_list("pk", flat=True)) == [first.pk]
    assert "(made earlier and kept: going live is still open)." in output.splitlines()[0]
    assert "2026-12-07 10:12–10:52" in output.splitlines()[0]

    # Once it is closed, the next run makes a new class.
    clock("11:23")
    class_now("--minutes", "0")
    starts = Session.objects.order_by("starts_at").values_list("starts_at", flat=True)
    assert [timeutil.local(moment).time() for moment in starts] == [
        dt.time(10, 12),
        dt.time(11, 23),
    ]


def test_it_refuses_a_database_that_is_not_the_demo(clock, teacher, student, district_admin):
    clock("10:07")
    with pytest.raises(CommandError, match="does not hold the demo district") as refused:
        class_now()
    assert refused.value.returncode == 1
    assert not Session.objects.exists()


def test_with_force_it_needs_a_teacher_and_a_student_of_that_database(
    clock, teacher, student, district_admin
):
    clock("10:07")
    with pytest.raises(CommandError, match="--teacher and --student"):
        class_now("--force")
    with pytest.raises(CommandError, match="No teacher with the login T9999"):
        class_now("--force", "--teacher", "T9999", "--student", "00123")
    assert not Session.objects.exists()
    output = class_now("--force", "--teacher", "T0001", "--student", "00123")
    session = Session.objects.get()
    assert (session.teacher.user.username, session.subject.name) == ("T0001", "语文")
    assert "as T0001 (their password)" in output
    assert "as 00123 (their password)" in output


def test_a_class_that_would_end_after_midnight_is_refused(clock, demo):
    clock("23:30")
    with pytest.raises(CommandError) as refused:
        class_now()
    assert str(refused.value) == "No class was made: 课次须在开始当天结束。"
    assert not Session.objects.exists()


def test_a_class_the_teacher_already_gives_then_is_named(clock, demo, district_admin):
    session_create(
        actor=district_admin,
        starts_at=shanghai("10:00"),
        ends_at=shanghai("10:40"),
        stage="junior",
        grades=[Grade.objects.get(level=8)],
        title="《春》朗读与赏析",
        teacher=demo.teacher,
    )
    clock("10:07")
    with pytest.raises(CommandError, match="《春》朗读与赏析") as refused:
        class_now()
    assert "10:00" in str(refused.value) and "10:40" in str(refused.value)
    assert Session.objects.count() == 1
