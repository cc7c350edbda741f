import datetime as dt

import pytest

from eschool.classroom.selectors import day_is_public, publication_moment

from .conftest import TODAY, TOMORROW, shanghai

# Before its moment, a day may still have been published early by hand: a row.
pytestmark = pytest.mark.django_db


def test_publication_moment_is_the_evening_before_in_shanghai():
    moment = publication_moment(TOMORROW)
    assert moment.isoformat() == "2026-12-07T18:00:00+08:00"
    assert moment.astimezone(dt.UTC).isoformat() == "2026-12-07T10:00:00+00:00"


def test_tomorrow_is_hidden_at_17_59_59_and_public_at_18_00_00():
    assert day_is_public(TOMORROW, at=shanghai(TODAY, "17:59") + dt.timedelta(seconds=59)) is False
    assert day_is_public(TOMORROW, at=shanghai(TODAY, "18:00")) is True


def test_the_moment_may_be_given_in_any_zone():
    # 10:00 UTC is 18:00 in Shanghai.
    assert day_is_public(TOMORROW, at=dt.datetime(2026, 12, 7, 9, 59, 59, tzinfo=dt.UTC)) is False
    assert day_is_public(TOMORROW, at=dt.datetime(2026, 12, 7, 10, 0, 0, tzinfo=dt.UTC)) is True


def test_today_and_past_days_are_public_from_the_first_second():
    at = shanghai(TODAY, "00:00")
    assert day_is_public(TODAY, at=at) is True
    assert day_is_public(dt.date(2026, 9, 1), at=at) is True


def test_the_day_after_tomorrow_stays_hidden_all_evening():
    at = shanghai(TODAY, "23:59") + dt.timedelta(seconds=59)
    assert day_is_public(dt.date(2026, 12, 9), at=at) is False


def test_the_publication_time_is_a_setting(settings):
    settings.ESCHOOL_PUBLICATION_TIME = "12:30"
    assert publication_moment(TOMORROW).isoformat() == "2026-12-07T12:30:00+08:00"
    assert day_is_public(TOMORROW, at=shanghai(TODAY, "12:29")) is False
    assert day_is_public(TOMORROW, at=shanghai(TODAY, "12:30")) is True


def test_without_a_moment_it_uses_the_project_clock(clock):
    clock.set(shanghai(TODAY, "17:59") + dt.timedelta(seconds=59))
    assert day_is_public(TOMORROW) is False
    clock.set(shanghai(TODAY, "18:00"))
    assert day_is_public(TOMORROW) is True
