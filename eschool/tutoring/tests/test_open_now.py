"""manage.py tutoring_open_now: trying an evening of tutoring in the daytime."""

import io

import pytest
from django.core.management import CommandError, call_command

from eschool.accounts.models import Role
from eschool.core.demo import SCHOOL_ADMIN, SCHOOL_ADMIN_NAME
from eschool.core.testing import make_user
from eschool.org.models import Grade
from eschool.tutoring.models import Shift
from eschool.tutoring.selectors import tutoring_settings
from eschool.tutoring.services import asking, shifts
from eschool.tutoring.services.window import window_at

from .conftest import MONDAY, SUNDAY, make_teacher, maths, shanghai

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    # No address recorded by a load_demo of the developer's own (see core.demo.demo_url).
    settings.DATA_DIR = tmp_path


@pytest.fixture
def demo_district(school_a):
    """What tutoring_open_now recognises as the demo: its school administrator, and its
    teacher T1001 with three colleagues (two of them teach; one has no subject)."""
    make_user(SCHOOL_ADMIN[0], SCHOOL_ADMIN_NAME, Role.SCHOOL_ADMIN, school=school_a)
    demo = make_teacher("T1001", "许梅萱", school=school_a, subjects=("数学", "物理", "化学"))
    make_teacher("T1002", "王老师", school=school_a, subjects=("语文",))
    make_teacher("T1003", "李老师", school=school_a, subjects=("英语",))
    make_teacher("T1004", "无课老师", school=school_a, subjects=())
    return demo


def open_now(*args) -> str:
    out = io.StringIO()
    call_command("tutoring_open_now", *args, stdout=out)
    return out.getvalue()


def test_it_opens_tutoring_now_for_the_demo_teachers(clock, demo_district, student):
    clock.at("10:07")
    output = open_now()
    row = tutoring_settings()
    assert (str(row.window_start), str(row.window_end), row.weekdays) == (
        "10:07:00",
        "12:07:00",
        "1,2,3,4,5,6",
    )
    on_duty = Shift.objects.filter(day=MONDAY).order_by("teacher__user__username")
    assert [(s.teacher.user.username, s.band.name) for s in on_duty] == [
        ("T1001", "初中"),
        ("T1002", "初中"),
        ("T1003", "初中"),
    ]
    assert [s.name for s in on_duty[0].subjects.order_by("position")] == ["数学", "物理"]
    assert (
        "Evening tutoring is open today 10:07–12:07 (the window was 19:30–21:30, 1,2,3,4,5,6;"
        in (output)
    )
    assert "  许梅萱 (T1001): 数学、物理 · 初中\n" in output
    assert "as T1001 (password eschool-teacher)" in output
    assert "as 26000001 (password eschool-student)" in output

    # An evening now: the demo teacher goes online and the student's question reaches them.
    clock.at("10:09")
    assert window_at() is not None
    shift = shifts.shift_clock_in(actor=demo_district, shift=on_duty[0])
    assert shift.late_minutes == 0
    question = asking.question_ask(
        asker=student, subject=maths(), grade=Grade.objects.get(level=7), text="?"
    )
    question.refresh_from_db()
    assert (question.status, question.offered_to) == ("offered", demo_district.teacher)


def test_its_links_go_where_make_run_serves_the_demo(clock, demo_district):
    clock.at("10:07")
    call_command("load_demo", "--if-empty", "--url", "http://127.0.0.1:8123/", stdout=io.StringIO())
    output = open_now()
    assert "set back at http://127.0.0.1:8123/tutoring/settings/)" in output
    assert "open http://127.0.0.1:8123/tutoring/duty/" in output
    assert "The administrator's live board: http://127.0.0.1:8123/tutoring/board/" in output
    assert ":8000" not in output


def test_running_it_again_keeps_tonights_shifts(clock, demo_district):
    clock.at("10:00")
    open_now()
    clock.at("11:30")
    open_now()
    assert Shift.objects.filter(day=MONDAY).count() == 3
    assert str(tutoring_settings().window_end) == "13:30:00"


def test_on_a_sunday_today_becomes_a_service_day(clock, demo_district):
    clock.at("15:00", day=SUNDAY)
    open_now("--hours", "1")
    row = tutoring_settings()
    assert (row.weekdays, str(row.window_end)) == ("1,2,3,4,5,6,7", "16:00:00")
    assert window_at(shanghai(SUNDAY, "15:30")) is not None


def test_late_in_the_evening_the_window_stops_at_midnight(clock, demo_district):
    clock.at("22:40")
    open_now()
    assert str(tutoring_settings().window_end) == "23:59:00"
    clock.at("23:50")
    with pytest.raises(CommandError, match="less than a quarter of an hour is left today"):
        open_now()


def test_it_refuses_a_database_that_is_not_the_demo(clock, teacher):
    with pytest.raises(CommandError, match="does not hold the demo district"):
        open_now()
    assert str(tutoring_settings().window_start) == "19:30:00"
    assert not Shift.objects.exists()


def test_with_force_it_needs_the_teachers_named(clock, teacher):
    with pytest.raises(CommandError, match="--teachers"):
        open_now("--force")
    with pytest.raises(CommandError, match="No teacher with the login T9999"):
        open_now("--force", "--teachers", "T0001,T9999")
    assert not Shift.objects.exists()
    output = open_now("--force", "--teachers", "T0001")
    assert [s.teacher.user.username for s in Shift.objects.filter(day=MONDAY)] == ["T0001"]
    assert "as T0001 (their password)" in output
