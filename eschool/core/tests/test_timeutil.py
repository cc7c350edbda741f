import datetime as dt

import pytest

from eschool.core import timeutil


def test_local_shows_a_utc_moment_on_the_district_clock():
    moment = dt.datetime(2026, 12, 7, 0, 0, tzinfo=dt.UTC)
    assert timeutil.local(moment).isoformat() == "2026-12-07T08:00:00+08:00"


def test_today_changes_at_midnight_in_shanghai_not_in_utc():
    assert timeutil.today(dt.datetime(2026, 12, 6, 15, 59, 59, tzinfo=dt.UTC)) == dt.date(
        2026, 12, 6
    )
    assert timeutil.today(dt.datetime(2026, 12, 6, 16, 0, 0, tzinfo=dt.UTC)) == dt.date(2026, 12, 7)


def test_at_local_is_the_moment_the_district_clocks_show():
    moment = timeutil.at_local(dt.date(2026, 12, 7), dt.time(8, 0))
    assert moment.astimezone(dt.UTC).isoformat() == "2026-12-07T00:00:00+00:00"


def test_parse_hhmm():
    assert timeutil.parse_hhmm("18:00") == dt.time(18, 0)
    assert timeutil.parse_hhmm("7:05") == dt.time(7, 5)


def test_now_is_aware_utc():
    assert timeutil.now().utcoffset() == dt.timedelta(0)


def test_frozen_at_sets_the_clock_and_puts_it_back():
    moment = timeutil.at_local(dt.date(2026, 12, 7), dt.time(17, 59, 59))
    with timeutil.frozen_at(moment):
        assert timeutil.now() == dt.datetime(2026, 12, 7, 9, 59, 59, tzinfo=dt.UTC)
        assert timeutil.today() == dt.date(2026, 12, 7)
    assert timeutil.now() != moment


def test_frozen_at_refuses_a_naive_moment():
    with pytest.raises(ValueError), timeutil.frozen_at(dt.datetime(2026, 12, 7, 8, 0)):
        pass
