"""The service window and the next opening, for every moment (hypothesis) and by example."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eschool.classroom.models import DayNotice
from eschool.core import timeutil
from eschool.tutoring.selectors import tutoring_settings
from eschool.tutoring.services.window import next_window, window_at, window_next

from .conftest import MONDAY, SUNDAY, TUESDAY, shanghai

START, END = dt.time(19, 30), dt.time(21, 30)
MON_SAT = {1, 2, 3, 4, 5, 6}

moments = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2028, 12, 31)).map(
    lambda naive: naive.replace(tzinfo=dt.UTC)
)
holiday_sets = st.frozensets(
    st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2029, 1, 31)), max_size=30
)
weekday_sets = st.frozensets(st.integers(1, 7), min_size=1)


@given(at=moments, holidays=holiday_sets, weekdays=weekday_sets)
def test_the_next_window_is_on_a_service_day_and_not_over(at, holidays, weekdays):
    window = next_window(
        at, start=START, end=END, weekdays=weekdays, is_holiday=holidays.__contains__
    )
    assert window is not None
    assert window.closes_at > at
    assert window.day.isoweekday() in weekdays
    assert window.day not in holidays
    local_open = timeutil.local(window.opens_at)
    assert (local_open.date(), local_open.time()) == (window.day, START)
    assert timeutil.local(window.closes_at).time() == END
    assert window.closes_at - window.opens_at == dt.timedelta(hours=2)


@given(at=moments, holidays=holiday_sets, weekdays=weekday_sets)
def test_no_service_day_is_skipped_before_the_next_window(at, holidays, weekdays):
    window = next_window(
        at, start=START, end=END, weekdays=weekdays, is_holiday=holidays.__contains__
    )
    day = timeutil.today(at)
    while day < window.day:
        is_service = day.isoweekday() in weekdays and day not in holidays
        # A service day before the window found must have closed already.
        assert not is_service or timeutil.at_local(day, END) <= at
        day += dt.timedelta(days=1)


@given(at=moments)
def test_a_moment_inside_a_window_gets_that_window(at):
    window = next_window(at, start=START, end=END, weekdays=MON_SAT)
    local = timeutil.local(at)
    inside = local.isoweekday() in MON_SAT and START <= local.time() < END
    assert window.contains(at) == inside


def test_examples():
    monday_morning = shanghai(MONDAY, "10:00")
    window = next_window(monday_morning, start=START, end=END, weekdays=MON_SAT)
    assert window.opens_at == shanghai(MONDAY, "19:30")
    after = next_window(shanghai(MONDAY, "21:30"), start=START, end=END, weekdays=MON_SAT)
    assert after.opens_at == shanghai(TUESDAY, "19:30")
    # Saturday evening after the window: Sunday has no service, so Monday.
    saturday_late = shanghai(dt.date(2026, 12, 12), "22:00")
    assert next_window(saturday_late, start=START, end=END, weekdays=MON_SAT).day == (
        dt.date(2026, 12, 14)
    )
    assert next_window(shanghai(SUNDAY, "20:00"), start=START, end=END, weekdays=MON_SAT).day == (
        dt.date(2026, 12, 14)
    )
    assert next_window(monday_morning, start=END, end=START, weekdays=MON_SAT) is None


def test_holidays_come_from_the_timetables_no_class_day_notices(db):
    DayNotice.objects.create(day=MONDAY, title="元旦调休", no_classes=True)
    DayNotice.objects.create(day=TUESDAY, title="家长会", no_classes=False)
    assert window_at(shanghai(MONDAY, "20:00")) is None
    assert window_next(shanghai(MONDAY, "20:00")).day == TUESDAY
    settings_row = tutoring_settings()
    settings_row.holidays_off = False
    settings_row.save()
    assert window_at(shanghai(MONDAY, "20:00")).day == MONDAY


@pytest.mark.parametrize(
    ("hhmm", "open_"), [("19:29", False), ("19:30", True), ("21:29", True), ("21:30", False)]
)
def test_the_default_window_is_1930_to_2130(db, hhmm, open_):
    assert (window_at(shanghai(MONDAY, hhmm)) is not None) is open_
