import datetime as dt

import pytest

from eschool.classroom import services
from eschool.classroom.models import DayNotice, Session
from eschool.org.models import Stage

from .conftest import TODAY, TOMORROW, shanghai

pytestmark = pytest.mark.django_db


def test_it_returns_the_day_as_json_in_shanghai_time(client, clock, make_session, teacher):
    session = make_session(
        title="分数的加减", teacher=teacher, grades=["七年级"], start="08:00", end="08:40"
    )
    DayNotice.objects.create(day=TODAY, title="运动会", description="下午停课", no_classes=False)
    lecture = make_session(
        title="青春期讲座",
        kind=Session.Kind.LECTURE,
        grades=["七年级", "八年级"],
        subject=None,
        start="14:00",
        end="15:00",
        status=Session.Status.CANCELLED,
    )
    Session.objects.filter(pk=lecture.pk).update(cancel_reason="主讲人生病")

    response = client.get("/api/v1/timetable/2026-12-07")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=10"
    assert response.json() == {
        "date": "2026-12-07",
        "published": True,
        "notices": [{"title": "运动会", "description": "下午停课", "no_classes": False}],
        "sessions": [
            {
                "id": session.pk,
                "kind": "class",
                "title": "分数的加减",
                "subject": "数学",
                "grades": ["七年级"],
                "stage": "junior",
                "teacher": "陈老师",
                "starts_at": "2026-12-07T08:00:00+08:00",
                "ends_at": "2026-12-07T08:40:00+08:00",
                "status": "scheduled",
                "cancel_reason": "",
                "url": f"http://testserver/sessions/{session.pk}/",
                "seats": None,
                "seats_left": None,
                "booking": "closed",
                "hls_url": None,
            },
            {
                "id": lecture.pk,
                "kind": "lecture",
                "title": "青春期讲座",
                "subject": None,
                "grades": ["七年级", "八年级"],
                "stage": "junior",
                "teacher": None,
                "starts_at": "2026-12-07T14:00:00+08:00",
                "ends_at": "2026-12-07T15:00:00+08:00",
                "status": "cancelled",
                "cancel_reason": "主讲人生病",
                "url": f"http://testserver/sessions/{lecture.pk}/",
                "seats": None,
                "seats_left": None,
                "booking": "closed",
                "hls_url": None,
            },
        ],
    }


def test_a_trailing_slash_gives_the_same_answer(client, clock, make_session):
    make_session()

    without = client.get("/api/v1/timetable/2026-12-07")
    with_slash = client.get("/api/v1/timetable/2026-12-07/")

    assert with_slash.status_code == 200
    assert with_slash.json() == without.json()


def test_an_empty_public_day_has_no_sessions(client, clock):
    response = client.get("/api/v1/timetable/2026-12-01")

    assert response.status_code == 200
    assert response.json() == {
        "date": "2026-12-01",
        "published": True,
        "notices": [],
        "sessions": [],
    }


def test_tomorrow_is_404_json_until_18_00(client, clock, make_session, district_admin):
    make_session(day=TOMORROW, stage=Stage.PRIMARY, grades=["一年级"], subject="语文")
    client.cookies["django_language"] = "en"

    clock.set(shanghai(TODAY, "17:59") + dt.timedelta(seconds=59))
    response = client.get("/api/v1/timetable/2026-12-08")
    assert response.status_code == 404
    assert response.json() == {"error": "No published timetable for this date."}
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "no-cache"

    clock.set(shanghai(TODAY, "18:00"))
    response = client.get("/api/v1/timetable/2026-12-08")
    assert response.status_code == 200
    assert [s["grades"] for s in response.json()["sessions"]] == [["一年级"]]


def test_an_impossible_date_is_404_json(client, clock):
    response = client.get("/api/v1/timetable/2026-02-30")

    assert response.status_code == 404
    assert "error" in response.json()


def test_it_only_reads(client, clock):
    assert client.post("/api/v1/timetable/2026-12-07").status_code == 405


def test_the_json_is_built_once_and_rebuilt_when_the_day_changes(
    client, clock, make_session, django_assert_num_queries
):
    session = make_session()
    first = client.get("/api/v1/timetable/2026-12-07").json()

    with django_assert_num_queries(0):
        again = client.get("/api/v1/timetable/2026-12-07").json()
    assert again == first

    Session.objects.filter(pk=session.pk).update(title="改过的课题")
    services.timetable_changed(session.day)

    titles = [s["title"] for s in client.get("/api/v1/timetable/2026-12-07").json()["sessions"]]
    assert titles == ["改过的课题"]


def test_an_old_copy_is_rebuilt_by_one_request_while_the_others_answer_with_it(
    client, clock, make_session, monkeypatch
):
    from django.core.cache import cache

    from eschool.classroom import views

    make_session(title="旧课题")
    client.get("/api/v1/timetable/2026-12-07")
    Session.objects.update(title="新课题")
    # Age the cached copy past JSON_MAX_AGE without sleeping.
    real_time = views.time.time
    monkeypatch.setattr(views.time, "time", lambda: real_time() + views.JSON_MAX_AGE + 1)
    key = views.JSON_KEY.format(
        day="2026-12-07",
        version=views.selectors.timetable_version(TODAY),
        origin="http://testserver",
    )

    def titles():
        return [s["title"] for s in client.get("/api/v1/timetable/2026-12-07").json()["sessions"]]

    cache.add(f"{key}:building", 1, 30)  # another request is rebuilding it
    assert titles() == ["旧课题"]

    cache.delete(f"{key}:building")
    assert titles() == ["新课题"]
