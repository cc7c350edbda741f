"""Attendance pages: who watched live, who watched the replay, who booked and did not watch."""

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from eschool.accounts.models import Role, Student
from eschool.classroom.models import Booking
from eschool.core.testing import make_user
from eschool.org.models import Grade, Homeroom

from .conftest import beat, fold, post, token_for

pytestmark = pytest.mark.django_db


def watched(clock, user, session, mode, seconds, section="s1"):
    """`user` plays `seconds` of `session`, a batch every 20 s through the endpoint; folded."""
    token = token_for(user, session)
    client = Client()
    assert post(client, token, [beat(session, section, 0, 0, 0, mode=mode)]).status_code == 202
    for played in range(20, seconds + 20, 20):
        played = min(played, seconds)
        clock.advance(20)
        answer = post(client, token, [beat(session, section, 0, played, played * 1000, mode=mode)])
        assert answer.status_code == 202
    fold()


@pytest.fixture
def absent(school_a, lesson, clock):
    """A second student of school A who booked and never watched."""
    grade = Grade.objects.get(level=7)
    homeroom = Homeroom.objects.get_or_create(school=school_a, grade=grade, number=3)[0]
    user = make_user("00124", "李四", Role.STUDENT, school=school_a)
    Student.objects.create(user=user, school=school_a, grade=grade, homeroom=homeroom)
    Booking.objects.create(
        session=lesson, learner=user, status=Booking.Status.CONFIRMED, queued_at=clock.moment
    )
    return user


@pytest.fixture
def watched_lesson(clock, lesson, student, stranger, absent):
    watched(clock, student, lesson, "live", 1500)  # 25 minutes live
    watched(clock, student, lesson, "replay", 90, section="r1")  # 1.5 minutes of the replay
    watched(clock, stranger, lesson, "replay", 600)  # not booked: watched the replay only
    return lesson


def test_the_teacher_sees_live_replay_and_absent_lists(client, watched_lesson, teacher):
    client.force_login(teacher)
    answer = client.get(f"/watch/sessions/{watched_lesson.pk}/attendance/")
    assert answer.status_code == 200
    report = answer.context["attendance"]
    assert [(line.name, line.live_minutes) for line in report.live] == [("张三", 25.0)]
    assert [(line.name, line.replay_minutes) for line in report.replay] == [
        ("张三", 1.5),
        ("王五", 10.0),
    ]
    assert [line.name for line in report.absent] == ["李四"]
    assert [line.booked for line in report.replay] == [True, False]
    html = answer.content.decode()
    assert "25.0" in html and "李四" in html


def test_the_page_costs_the_same_queries_whatever_the_number_of_viewers(
    client, watched_lesson, teacher, django_assert_num_queries
):
    client.force_login(teacher)
    client.get(f"/watch/sessions/{watched_lesson.pk}/attendance/")  # warm the session
    with django_assert_num_queries(7):
        client.get(f"/watch/sessions/{watched_lesson.pk}/attendance/")


def test_the_spreadsheet_has_one_line_per_person(client, watched_lesson, school_admin):
    client.force_login(school_admin)
    client.cookies["django_language"] = "en"
    answer = client.get(f"/watch/sessions/{watched_lesson.pk}/attendance.xlsx")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == [
        "Learner", "Login number", "School", "Homeroom", "Booked", "Live minutes", "Replay minutes",
    ]  # fmt: skip
    assert rows[1:] == [
        ["张三", "00123", "南京市鼓楼区示范初级中学", "Grade 7 class 3", "yes", 25, 1.5],
        ["李四", "00124", "南京市鼓楼区示范初级中学", "Grade 7 class 3", "yes", 0, 0],
        ["王五", "01126", "南京市鼓楼区实验初级中学", "Grade 7 class 1", "no", 0, 10],
    ]


@pytest.mark.parametrize("persona", ["teacher", "school_admin", "district_admin"])
def test_those_who_run_the_session_see_it(client, lesson, personas, persona):
    client.force_login(personas[persona])
    assert client.get(f"/watch/sessions/{lesson.pk}/attendance/").status_code == 200
    assert client.get(f"/watch/sessions/{lesson.pk}/attendance.xlsx").status_code == 200


@pytest.mark.parametrize("persona", ["student", "parent", "stranger", "outside_learner"])
def test_others_get_404(client, lesson, personas, persona):
    client.force_login(personas[persona])
    assert client.get(f"/watch/sessions/{lesson.pk}/attendance/").status_code == 404
    assert client.get(f"/watch/sessions/{lesson.pk}/attendance.xlsx").status_code == 404


def test_another_schools_administrator_gets_404(client, lesson, school_b):
    other_admin = make_user("SB001", "另一校管理员", Role.SCHOOL_ADMIN, school=school_b)
    client.force_login(other_admin)
    assert client.get(f"/watch/sessions/{lesson.pk}/attendance/").status_code == 404
    assert client.get("/watch/attendance/").context["sessions"] == []


def test_the_public_is_sent_to_log_in(client, lesson):
    answer = client.get(f"/watch/sessions/{lesson.pk}/attendance/")
    assert answer.status_code == 302
    assert "/accounts/login/" in answer["Location"]


def test_the_list_of_sessions_is_the_ones_one_may_see(
    client, lesson, teacher, school_admin, student
):
    for user in (teacher, school_admin):
        client.force_login(user)
        assert client.get("/watch/attendance/").context["sessions"] == [lesson]
    client.force_login(student)
    assert client.get("/watch/attendance/").context["sessions"] == []


# Learners and parents ------------------------------------------------------------------------


def test_a_parent_sees_their_childs_minutes(client, watched_lesson, parent, student):
    client.force_login(parent)
    answer = client.get(f"/watch/children/{student.pk}/")
    assert answer.status_code == 200
    lines = answer.context["lines"]
    assert [(line.session, line.live_minutes, line.replay_minutes) for line in lines] == [
        (watched_lesson, 25.0, 1.5)
    ]


def test_a_parent_gets_404_for_another_familys_child(client, watched_lesson, parent, stranger):
    client.force_login(parent)
    assert client.get(f"/watch/children/{stranger.pk}/").status_code == 404
    assert client.get("/watch/children/999999/").status_code == 404


def test_the_childs_page_links_to_their_watch_time(client, parent, student):
    client.force_login(parent)
    html = client.get(f"/accounts/children/{student.pk}/").content.decode()
    assert f"/watch/children/{student.pk}/" in html


def test_a_student_sees_their_own_and_nobody_elses(client, watched_lesson, student, stranger):
    client.force_login(stranger)
    lines = client.get("/watch/mine/").context["lines"]
    assert [(line.session, line.live_minutes, line.replay_minutes) for line in lines] == [
        (watched_lesson, 0.0, 10.0)
    ]
    assert client.get(f"/watch/children/{student.pk}/").status_code == 404
