import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from eschool.classroom import services
from eschool.classroom.models import Session
from eschool.org.models import Stage

from .conftest import TODAY, TOMORROW, shanghai

pytestmark = pytest.mark.django_db


def english(client):
    client.cookies["django_language"] = "en"
    return client


def titles(html: str) -> list[str]:
    return re.findall(r'<a class="title" href="/sessions/\d+/">([^<]*)</a>', html)


def test_today_shows_the_sessions_by_stage_then_grade(client, clock, make_session, teacher):
    make_session(
        title="高一物理",
        stage=Stage.SENIOR,
        grades=["高一"],
        subject="物理",
        start="09:00",
        end="09:40",
    )
    make_session(title="七年级数学", grades=["七年级"], teacher=teacher)
    make_session(title="一年级语文", stage=Stage.PRIMARY, grades=["一年级"], subject="语文")
    make_session(title="八年级语文", grades=["八年级"], subject="语文", start="07:50", end="08:30")
    make_session(title="明天的课", day=TOMORROW)

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert titles(html) == ["一年级语文", "七年级数学", "八年级语文", "高一物理"]
    stages = re.findall(r'<h2 id="stage-(\w+)">', html)
    assert stages == ["primary", "junior", "senior"]
    assert re.findall(r"<h3>([^<]+)</h3>", html) == ["一年级", "七年级", "八年级", "高一"]
    assert "08:00–08:40" in html
    assert "数学 · 陈老师" in html


def test_a_session_of_several_grades_is_listed_under_each(client, clock, make_session):
    make_session(title="青春期讲座", grades=["七年级", "八年级"], kind=Session.Kind.LECTURE)

    html = client.get("/").content.decode()

    assert titles(html) == ["青春期讲座", "青春期讲座"]
    assert re.findall(r"<h3>([^<]+)</h3>", html) == ["七年级", "八年级"]
    assert html.count("七年级、八年级") == 2
    # In English with the English list separator (each language has its cached page).
    assert english(client).get("/").content.decode().count("Grade 7, Grade 8") == 2


def test_it_shows_kind_and_cancelled_badges(client, clock, make_session):
    make_session(title="家庭教育讲座", kind=Session.Kind.PARENTING, status=Session.Status.CANCELLED)

    html = english(client).get("/").content.decode()

    assert '<span class="badge kind-parenting">Parenting course</span>' in html
    assert '<span class="badge cancelled">Cancelled</span>' in html


def test_an_empty_day_says_so(client, clock):
    response = english(client).get("/")

    assert response.status_code == 200
    assert "There are no sessions on this day." in response.content.decode()


def test_tomorrow_is_hidden_from_the_public_until_18_00(client, clock, make_session):
    make_session(title="明天的数学", day=TOMORROW)

    clock.set(shanghai(TODAY, "17:59") + dt.timedelta(seconds=59))
    assert client.get("/timetable/2026-12-08/").status_code == 404
    today_page = client.get("/").content.decode()
    assert "/timetable/2026-12-08/" not in today_page

    clock.set(shanghai(TODAY, "18:00"))
    response = client.get("/timetable/2026-12-08/")
    assert response.status_code == 200
    assert titles(response.content.decode()) == ["明天的数学"]
    today_page = english(client).get("/").content.decode()
    assert '<a href="/timetable/2026-12-08/">Tomorrow\'s timetable ›</a>' in today_page
    assert 'href="/timetable/2026-12-08/" rel="next"' in today_page


@pytest.mark.parametrize("persona", ["district_admin", "school_admin"])
def test_administrators_see_unpublished_days_marked(client, clock, make_session, personas, persona):
    make_session(title="明天的数学", day=TOMORROW)
    client.force_login(personas[persona])

    response = english(client).get("/timetable/2026-12-08/")

    assert response.status_code == 200
    html = response.content.decode()
    assert titles(html) == ["明天的数学"]
    assert "Not yet published" in html
    assert response["Cache-Control"] == "private, no-cache"


@pytest.mark.parametrize("persona", ["teacher", "student", "parent", "outside_learner"])
def test_other_people_get_404_before_publication(client, clock, make_session, personas, persona):
    session = make_session(title="明天的数学", day=TOMORROW)
    client.force_login(personas[persona])

    assert client.get("/timetable/2026-12-08/").status_code == 404
    assert client.get(f"/sessions/{session.pk}/").status_code == 404


def test_past_days_are_public_and_impossible_dates_are_404(client, clock, make_session):
    make_session(title="上周的课", day=dt.date(2026, 11, 30))

    assert titles(client.get("/timetable/2026-11-30/").content.decode()) == ["上周的课"]
    assert client.get("/timetable/2026-02-30/").status_code == 404
    assert client.get("/timetable/2026-1-3/").status_code == 404


def test_the_date_picker_leads_to_the_day(client, clock):
    assert client.get("/timetable/?date=2026-12-01")["Location"] == "/timetable/2026-12-01/"
    assert client.get("/timetable/?date=2026-12-07")["Location"] == "/"
    assert client.get("/timetable/?date=nonsense")["Location"] == "/"


def test_public_pages_may_be_cached_for_a_minute(client, clock, make_session):
    session = make_session()

    assert client.get("/")["Cache-Control"] == "public, max-age=60"
    assert client.get("/timetable/2026-12-07/")["Cache-Control"] == "public, max-age=60"
    assert client.get(f"/sessions/{session.pk}/")["Cache-Control"] == "public, max-age=60"


def test_the_session_page_shows_everything_in_local_time(client, clock, make_session, teacher):
    session = make_session(
        title="分数的加减",
        teacher=teacher,
        description="带好<b>草稿纸</b>\n和铅笔",
        grades=["七年级"],
    )

    response = english(client).get(f"/sessions/{session.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>分数的加减</h1>" in html
    assert '<time datetime="2026-12-07T08:00:00+08:00">08:00</time>' in html
    assert '<time datetime="2026-12-07T08:40:00+08:00">08:40</time>' in html
    assert "陈老师" in html and "南京市鼓楼区示范初级中学" in html
    assert "Junior high school" in html
    assert "<dd>Grade 7</dd>" in html  # 七年级, 数学 in English
    assert "<dd>Mathematics</dd>" in html
    assert "带好&lt;b&gt;草稿纸&lt;/b&gt;<br>和铅笔" in html
    assert "<dd>Ended</dd>" in html  # 08:40 has passed (the clock says 10:00)


def test_sessions_with_a_ready_replay_are_marked_on_the_timetable(client, clock, make_session):
    from eschool.live.models import Recording

    watched = make_session(title="有回看的课")
    make_session(title="回看还在生成", start="09:00", end="09:40")
    make_session(title="没有录像", start="10:00", end="10:40")
    Recording.objects.create(
        session=watched,
        kind=Recording.Kind.UPLOAD,
        status=Recording.Status.READY,
        hls_path=f"replays/{watched.pk}/1/master.m3u8",
    )
    Recording.objects.create(
        session=Session.objects.get(title="回看还在生成"),
        kind=Recording.Kind.UPLOAD,
        status=Recording.Status.PROCESSING,
    )

    html = english(client).get("/").content.decode()

    rows = re.findall(r'<li class="session[^"]*">(.*?)</li>', html, flags=re.S)
    marked = [row for row in rows if '<span class="badge replay">Replay</span>' in row]
    assert [titles(row) for row in marked] == [["有回看的课"]]
    assert len(rows) == 3


def test_the_session_page_is_404_for_unknown_ids(client, clock):
    assert client.get("/sessions/999999/").status_code == 404


@pytest.mark.parametrize("count", [5, 50])
def test_the_day_pages_make_five_queries_whatever_the_number_of_sessions(
    client, clock, make_session, teacher, django_assert_num_queries, count
):
    for number in range(count):
        make_session(
            title=f"课{number}",
            start="08:00",
            end="08:40",
            teacher=teacher if number == 0 else None,
            grades=["七年级", "八年级"],
        )
    # The sessions with teacher, school and subject; then all their grades; which have a
    # replay (the 回看 mark); whether tomorrow was published early (its "next day" link);
    # the day's notices.
    with django_assert_num_queries(5):
        response = client.get("/")
    assert len(titles(response.content.decode())) == 2 * count
    # All five are cached: the same page again asks nothing of the database.
    with django_assert_num_queries(0):
        client.get("/")
    cache.clear()
    with django_assert_num_queries(5):
        response = client.get("/timetable/2026-12-07/")
    assert len(titles(response.content.decode())) == 2 * count
    # The JSON: sessions, grades, and their playlists (live or replay, hls_url).
    with django_assert_num_queries(3):
        response = client.get("/api/v1/timetable/2026-12-07")
    assert len(response.json()["sessions"]) == count


def test_the_rendered_timetable_is_cached_until_the_day_changes(
    client, clock, make_session, district_admin
):
    session = make_session(title="旧标题")
    assert titles(client.get("/").content.decode()) == ["旧标题"]

    # A write that bypasses the services is not seen while the page is cached ...
    Session.objects.filter(pk=session.pk).update(title="新标题")
    with CaptureQueriesContext(connection) as queries:
        assert titles(client.get("/").content.decode()) == ["旧标题"]
    assert len(queries) == 0

    # ... and the services' signal drops it.
    services.timetable_changed(TODAY)
    assert titles(client.get("/").content.decode()) == ["新标题"]


def test_a_service_write_drops_the_cached_page(client, clock, make_session, district_admin):
    session = make_session(title="旧标题")
    assert "Cancelled" not in english(client).get("/").content.decode()

    services.session_cancel(actor=district_admin, session=session, reason="老师生病")

    html = english(client).get("/").content.decode()
    assert '<span class="badge cancelled">Cancelled</span>' in html


def test_each_language_has_its_own_cached_page(client, clock, make_session):
    make_session()

    english_page = english(client).get("/").content.decode()
    del client.cookies["django_language"]
    chinese_page = client.get("/").content.decode()

    # Django's own catalogue names the weekday and formats the date.
    assert "Dec. 7, 2026 Monday" in english_page
    assert "2026年12月7日 星期一" in chinese_page


def test_a_session_of_an_unpublished_day_is_404_to_visitors_and_marked_for_admins(
    client, clock, make_session, school_admin
):
    session = make_session(title="明天的数学", day=TOMORROW)

    assert client.get(f"/sessions/{session.pk}/").status_code == 404

    client.force_login(school_admin)
    response = english(client).get(f"/sessions/{session.pk}/")
    assert response.status_code == 200
    assert '<span class="badge unpublished">Not yet published</span>' in response.content.decode()
    assert response["Cache-Control"] == "private, no-cache"

    clock.set(shanghai(TODAY, "18:00"))
    client.logout()
    assert client.get(f"/sessions/{session.pk}/").status_code == 200


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31"])
def test_a_day_outside_the_timetable_years_is_not_found_even_for_an_administrator(
    client, district_admin, day
):
    assert client.get(f"/timetable/{day}/").status_code == 404
    client.force_login(district_admin)
    assert client.get(f"/timetable/{day}/").status_code == 404
    assert client.get(f"/api/v1/timetable/{day}").status_code == 404
    assert client.get("/timetable/", {"date": day}).headers["Location"] == "/"
