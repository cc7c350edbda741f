"""The evening publication, early publication by hand, and the command."""

import datetime as dt
import io
import os
import time

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from eschool.classroom import tasks
from eschool.classroom.models import DayPublication
from eschool.classroom.selectors import day_is_public
from eschool.classroom.services.publication import day_publish, publication_due
from eschool.core import timeutil

from .conftest import TODAY, TOMORROW, shanghai

AFTER_TOMORROW = dt.date(2026, 12, 9)
JUST_BEFORE = shanghai(TODAY, "17:59") + dt.timedelta(seconds=59)
AT_SIX = shanghai(TODAY, "18:00")


def test_the_task_does_nothing_at_17_59_59(db):
    assert publication_due(at=JUST_BEFORE) is None
    assert DayPublication.objects.count() == 0


def test_the_task_publishes_tomorrow_at_18_00_00(db):
    publication = publication_due(at=AT_SIX)
    assert publication.day == TOMORROW
    assert publication.published_at == dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
    assert publication.published_by is None
    assert list(DayPublication.objects.values_list("day", flat=True)) == [TOMORROW]


def test_the_task_running_twice_makes_one_publication(db, clock):
    clock.set(AT_SIX)
    assert tasks.publish_tomorrow.call_local() == "2026-12-08"
    clock.set(AT_SIX + dt.timedelta(minutes=1))
    assert tasks.publish_tomorrow.call_local() == "2026-12-08"
    publication = DayPublication.objects.get()
    assert publication.day == TOMORROW
    # The first run's moment stays.
    assert publication.published_at == dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)


def test_the_task_before_the_moment_returns_nothing(db, clock):
    clock.set(JUST_BEFORE)
    assert tasks.publish_tomorrow.call_local() is None
    assert DayPublication.objects.count() == 0


def test_just_after_midnight_the_task_looks_at_the_next_tomorrow(db):
    # 00:30 on the 8th: "tomorrow" is the 9th, whose moment is 18:00 on the 8th.
    assert publication_due(at=shanghai(TOMORROW, "00:30")) is None
    assert publication_due(at=shanghai(TOMORROW, "18:00")).day == AFTER_TOMORROW


@pytest.fixture
def server_in_los_angeles():
    # The process's own zone must not matter: timeutil never reads the naive clock.
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "America/Los_Angeles"
    time.tzset()
    yield
    if previous is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = previous
    time.tzset()


def test_the_server_zone_does_not_move_the_moment(db, server_in_los_angeles):
    # 18:00 in Shanghai is 02:00 the same day in Los Angeles.
    assert time.localtime(AT_SIX.timestamp()).tm_hour == 2
    assert publication_due(at=JUST_BEFORE) is None
    assert publication_due(at=AT_SIX).day == TOMORROW


def test_an_early_publication_makes_the_day_public_before_its_moment(db, district_admin):
    at = shanghai(TODAY, "09:00")
    assert day_is_public(AFTER_TOMORROW, at=at) is False
    publication = day_publish(day=AFTER_TOMORROW, actor=district_admin, at=at)
    assert publication.published_by == district_admin
    assert day_is_public(AFTER_TOMORROW, at=at) is True
    # Publishing again is harmless and returns the same row.
    assert day_publish(day=AFTER_TOMORROW, actor=district_admin).pk == publication.pk
    assert DayPublication.objects.count() == 1


def test_only_a_district_admin_publishes_by_hand(db, school_admin, teacher):
    for person in (school_admin, teacher):
        with pytest.raises(PermissionDenied):
            day_publish(day=TOMORROW, actor=person)
    assert DayPublication.objects.count() == 0


def test_the_publish_button_is_for_district_admins_on_unpublished_days(
    client, clock, make_session, district_admin, school_admin
):
    client.cookies["django_language"] = "en"
    make_session(day=TOMORROW, title="明天的课")
    client.force_login(school_admin)  # sees the unpublished day, may not publish it
    html = client.get("/timetable/2026-12-08/").content.decode()
    assert "明天的课" in html and "/timetable/2026-12-08/publish/" not in html
    response = client.post("/timetable/2026-12-08/publish/")
    assert response.status_code == 403
    assert DayPublication.objects.count() == 0

    client.force_login(district_admin)
    html = client.get("/timetable/2026-12-08/").content.decode()
    assert 'action="/timetable/2026-12-08/publish/"' in html
    assert "Publish now" in html
    # A publication cannot be undone: the form asks first (static/js/confirm.js).
    assert 'data-confirm="Publish this day now? Its timetable and teachers become public' in html
    response = client.post("/timetable/2026-12-08/publish/")
    assert response.status_code == 302
    assert response["Location"] == "/timetable/2026-12-08/"
    assert DayPublication.objects.get().published_by == district_admin
    # Once published the button gives way to the share links.
    html = client.get("/timetable/2026-12-08/").content.decode()
    assert "/publish/" not in html and "/d/20261208" in html


def test_a_get_does_not_publish(client, clock, district_admin):
    client.force_login(district_admin)
    assert client.get("/timetable/2026-12-08/publish/").status_code == 405
    assert DayPublication.objects.count() == 0


def test_the_cached_pages_follow_an_early_publication(client, clock, make_session, district_admin):
    client.cookies["django_language"] = "en"
    make_session(day=TOMORROW, title="明天的课")
    make_session(day=TODAY, title="今天的课")
    # A visitor at 10:00: tomorrow is hidden, today's page has no link to it.
    assert client.get("/timetable/2026-12-08/").status_code == 404
    today_html = client.get("/").content.decode()
    assert "今天的课" in today_html and "/timetable/2026-12-08/" not in today_html

    day_publish(day=TOMORROW, actor=district_admin)

    # The same visitor, same cache: both pages changed at once.
    response = client.get("/timetable/2026-12-08/")
    assert response.status_code == 200
    assert "明天的课" in response.content.decode()
    assert "Not yet published" not in response.content.decode()
    today_html = client.get("/").content.decode()
    assert 'href="/timetable/2026-12-08/" rel="next"' in today_html
    assert client.get("/api/v1/timetable/2026-12-08").json()["sessions"][0]["title"] == "明天的课"


@pytest.fixture
def site_in_english(settings):
    # publish_timetable speaks the site's default language; these tests read English.
    settings.LANGUAGE_CODE = "en"


def test_the_command_publishes_tomorrow_by_default(db, clock, site_in_english):
    out = io.StringIO()
    call_command("publish_timetable", stdout=out)
    assert out.getvalue() == "Published the timetable of 2026-12-08.\n"
    out = io.StringIO()
    call_command("publish_timetable", stdout=out)
    assert out.getvalue() == (
        "The timetable of 2026-12-08 was already published (at 2026-12-07 10:00).\n"
    )
    assert DayPublication.objects.count() == 1


def test_the_command_takes_a_date(db, clock, site_in_english):
    out = io.StringIO()
    call_command("publish_timetable", "--date", "2026-12-20", stdout=out)
    assert out.getvalue() == "Published the timetable of 2026-12-20.\n"
    assert DayPublication.objects.get().day == dt.date(2026, 12, 20)
    assert timeutil.local(DayPublication.objects.get().published_at) == shanghai(TODAY, "10:00")


def test_the_command_refuses_a_bad_date(db, clock, site_in_english):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Not a date between 2000 and 2100: '2026-02-30'"):
        call_command("publish_timetable", "--date", "2026-02-30")
    assert DayPublication.objects.count() == 0
