"""Short links, QR codes, the share partials, posters and the announcement page."""

import hashlib
import io
import re

import pytest
import segno
from django.conf import settings
from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from PIL import Image

from eschool.classroom.models import CalendarFeed, Course, Session
from eschool.classroom.selectors.publication import QR_KEY, anonymous_may_watch, qr_svgs

from .conftest import TODAY, TOMORROW, shanghai

pytestmark = pytest.mark.django_db


def english(client):
    client.cookies["django_language"] = "en"
    return client


def qr_matrix_of_png(data: bytes) -> list[list[bool]]:
    """Read the modules back from our PNG (scale 8, quiet zone 4)."""
    image = Image.open(io.BytesIO(data)).convert("L")
    modules = image.width // 8 - 8
    return [
        [image.getpixel(((4 + x) * 8 + 4, (4 + y) * 8 + 4)) < 128 for x in range(modules)]
        for y in range(modules)
    ]


def expected_matrix(url: str) -> list[list[bool]]:
    code = segno.make(url, error="m", micro=False)
    return [[bool(bit) for bit in row] for row in code.matrix]


def test_a_session_short_link_leads_to_its_page(client, clock, make_session):
    session = make_session()
    session.share_code = "Ab3_-xYz"
    session.save(update_fields=["share_code"])
    response = client.get("/s/Ab3_-xYz")
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{session.pk}/"
    assert client.get("/s/Ab3_-xYz/").status_code == 302
    assert client.get("/s/nothere1").status_code == 404


def test_a_day_short_link_leads_to_its_page(client, clock):
    response = client.get("/d/20261208")
    assert response.status_code == 302
    assert response["Location"] == "/timetable/2026-12-08/"
    assert client.get("/d/20260230").status_code == 404
    assert client.get("/d/21010101").status_code == 404


def test_a_course_short_link_leads_to_the_course(client, clock, make_session):
    course = Course.objects.create(title="中考数学专题", kind="lecture", share_code="course01")
    later = make_session(start="10:00", end="10:40", title="第二讲")
    first = make_session(start="08:00", end="08:40", title="第一讲")
    Session.objects.filter(pk__in=[first.pk, later.pk]).update(course=course)
    try:
        expected = reverse("classroom:course", args=[course.pk])
    except NoReverseMatch:  # without the courses part: its first session
        expected = f"/sessions/{first.pk}/"
    response = client.get("/c/course01")
    assert response.status_code == 302
    assert response["Location"] == expected


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_the_qr_codes_encode_the_absolute_short_link(client, clock, make_session, fmt):
    session = make_session()
    response = client.get(f"/s/{session.share_code}/qr.{fmt}")
    assert response.status_code == 200
    assert response["Content-Type"] == {"svg": "image/svg+xml", "png": "image/png"}[fmt]
    assert response["Cache-Control"] == "public, max-age=86400"
    url = f"http://testserver/s/{session.share_code}"
    if fmt == "png":
        assert qr_matrix_of_png(response.content) == expected_matrix(url)
    else:
        out = io.BytesIO()
        segno.make(url, error="m", micro=False).save(out, kind="svg", scale=8, border=4)
        assert response.content == out.getvalue()
        assert response.content.startswith(b"<?xml")


def test_the_day_and_course_qr_codes(client, clock):
    Course.objects.create(title="育儿", kind="parenting", share_code="course02")
    day = client.get("/d/20261207/qr.png")
    assert qr_matrix_of_png(day.content) == expected_matrix("http://testserver/d/20261207")
    course = client.get("/c/course02/qr.png")
    assert qr_matrix_of_png(course.content) == expected_matrix("http://testserver/c/course02")
    assert client.get("/c/nothere9/qr.png").status_code == 404
    assert client.get("/s/nothere9/qr.svg").status_code == 404


def test_the_session_page_shows_the_short_link_and_the_qr(client, clock, make_session):
    session = make_session(title="分数的加减")
    html = english(client).get(f"/sessions/{session.pk}/").content.decode()
    code = session.share_code
    assert f'value="http://testserver/s/{code}" readonly>' in html
    assert 'data-copy="share-url" data-done="Copied">Copy</button>' in html
    assert f'<img class="share-qr" src="/s/{code}/qr.svg"' in html
    assert 'alt="QR code of “分数的加减”: scan it to open this page on a phone"' in html
    assert f'href="/sessions/{session.pk}/poster/"' in html
    assert "navigator.clipboard.writeText" in html


def test_the_day_page_shows_its_short_link_once_public(client, clock, make_session):
    make_session()
    html = english(client).get("/").content.decode()
    assert 'value="http://testserver/d/20261207" readonly>' in html
    assert '<img class="share-qr" src="/d/20261207/qr.svg"' in html
    assert 'href="/timetable/2026-12-07/announcement/"' in html
    assert 'href="/timetable/2026-12-07.ics"' in html


def test_the_poster_has_the_facts_and_a_large_qr(client, clock, make_session, teacher):
    session = make_session(title="数学<script>alert(1)</script>", teacher=teacher)
    response = english(client).get(f"/sessions/{session.pk}/poster/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "@page { size: A4; margin: 15mm; }" in html
    assert "<h1>数学&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in html
    assert "<script>alert(1)" not in html
    assert '<p class="teacher">陈老师 · 南京市鼓楼区示范初级中学</p>' in html
    assert '<time datetime="2026-12-07T08:00:00+08:00">' in html
    assert "08:00</time>–08:40" in html
    assert f"<strong>http://testserver/s/{session.share_code}</strong>" in html
    # The QR code inline, large (scale 10), titled with the link it holds.
    assert f"<title>http://testserver/s/{session.share_code}</title>" in html
    # 28 characters at level M: version 3, 29 modules + 8 of quiet zone, 10 px each.
    assert '<svg width="370" height="370" viewBox="0 0 370 370" class="segno">' in html


def test_the_poster_of_an_unpublished_session_is_hidden(client, clock, make_session):
    session = make_session(day=TOMORROW)
    assert client.get(f"/sessions/{session.pk}/poster/").status_code == 404


def test_the_announcement_lists_the_day_by_stage_and_grade(client, clock, make_session, teacher):
    clock.set(shanghai(TODAY, "18:00"))  # tomorrow is published
    make_session(day=TOMORROW, title="分数的加减", teacher=teacher, start="08:00", end="08:40")
    make_session(day=TOMORROW, title="高一物理", stage="senior", grades=["高一"], subject="物理")
    response = english(client).get("/timetable/2026-12-08/announcement/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Junior high school") < html.index("Grade 7") < html.index("分数的加减")
    assert html.index("分数的加减") < html.index("Senior high school") < html.index("高一物理")
    assert "陈老师 · 南京市鼓楼区示范初级中学" in html
    # One QR code per session plus one for the day.
    assert html.count('class="segno"') == 3
    assert "<title>http://testserver/d/20261208</title>" in html
    assert response["Cache-Control"] == "public, max-age=60"


def test_the_announcement_of_an_unpublished_day_is_hidden(client, clock, make_session):
    make_session(day=TOMORROW)
    assert client.get("/timetable/2026-12-08/announcement/").status_code == 404
    assert client.get("/timetable/2026-13-08/announcement/").status_code == 404


@pytest.mark.parametrize("count", [5, 40])
def test_the_announcement_makes_three_queries_whatever_the_number_of_sessions(
    client, clock, make_session, django_assert_num_queries, count
):
    for number in range(count):
        make_session(title=f"课{number}", grades=["七年级", "八年级"])
    # The sessions with teacher, school, subject; their grades; the day's notices.
    with django_assert_num_queries(3):
        response = client.get("/timetable/2026-12-07/announcement/")
    html = response.content.decode()
    assert html.count('class="segno"') == count * 2 + 1
    # Each code scales to the width the page gives it instead of being cropped.
    assert len(re.findall(r'<svg width="(\d+)" height="\1" viewBox="0 0 \1 \1"', html)) == (
        count * 2 + 1
    )
    # The QR codes are cached, the same whoever asks.
    session = Session.objects.order_by("pk").first()
    url = f"http://testserver/s/{session.share_code}"
    assert qr_svgs([url], scale=3)[url] == cache.get(
        QR_KEY.format(kind="svg", scale=3, digest=hashlib.sha256(url.encode()).hexdigest())
    )
    with django_assert_num_queries(2):  # the notices are cached too
        client.get("/timetable/2026-12-07/announcement/")


def test_anonymous_watching_follows_the_setting(clock, make_session, settings):
    event = make_session(kind=Session.Kind.EVENT, title="升旗仪式", start="08:00", end="08:30")
    lesson = make_session(title="分数的加减", start="09:00", end="09:40")
    at_eight = shanghai(TODAY, "08:00")
    assert anonymous_may_watch(event, at=at_eight) is True
    assert anonymous_may_watch(lesson, at=at_eight) is False  # live class: log in
    assert anonymous_may_watch(lesson, at=shanghai(TODAY, "09:40")) is True  # its replay
    settings.ESCHOOL_PUBLIC_WATCH = False
    assert anonymous_may_watch(event, at=at_eight) is False
    assert anonymous_may_watch(lesson, at=shanghai(TODAY, "09:40")) is False


def test_anonymous_watching_needs_a_published_scheduled_session(clock, make_session):
    assert settings.ESCHOOL_PUBLIC_WATCH is True
    hidden = make_session(day=TOMORROW, kind=Session.Kind.EVENT)
    cancelled = make_session(kind=Session.Kind.EVENT, status=Session.Status.CANCELLED)
    assert anonymous_may_watch(hidden, at=shanghai(TODAY, "10:00")) is False
    assert anonymous_may_watch(cancelled, at=shanghai(TODAY, "10:00")) is False


def test_link_checkers_and_previews_may_ask_with_head(client, clock, make_session, student):
    # A chat app's link preview or a QR scanner may ask with HEAD before opening (RFC 9110:
    # a server answers HEAD wherever it answers GET): the same answer, without the body.
    session = make_session(title="分数的加减")
    Course.objects.create(title="中考数学专题", kind="lecture", share_code="course03")
    feed = CalendarFeed.objects.create(user=student)
    paths = [
        "/",
        "/timetable/",
        "/timetable/2026-12-07/",
        f"/sessions/{session.pk}/",
        f"/s/{session.share_code}",
        f"/s/{session.share_code}/qr.svg",
        f"/s/{session.share_code}/qr.png",
        "/c/course03",
        "/d/20261207",
        f"/sessions/{session.pk}/poster/",
        "/timetable/2026-12-07/announcement/",
        "/timetable/2026-12-07.ics",
        f"/calendar/{feed.token}.ics",
        "/lectures/",
        "/parenting/",
    ]
    for path in paths:
        got = client.get(path)
        head = client.head(path)
        assert (path, head.status_code) == (path, got.status_code)
        assert got.status_code in {200, 302}, path
        assert head["Content-Type"] == got["Content-Type"], path
        assert head.content == b"", path
    assert client.post(f"/s/{session.share_code}").status_code == 405
