"""The service window: when evening tutoring is open, and when it next opens.

`next_window` is a pure function of the moment and the district's rules, so the
rules can be checked for every moment (tests/test_window.py uses hypothesis);
`window_at` / `window_next` read the rules from the database.
"""

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass

from eschool.core import timeutil

# A district has no service for at most this long (summer holidays are ~60 days).
SEARCH_DAYS = 400


@dataclass(frozen=True)
class Window:
    day: dt.date
    opens_at: dt.datetime
    closes_at: dt.datetime

    def contains(self, at: dt.datetime) -> bool:
        return self.opens_at <= at < self.closes_at


def is_service_day(day: dt.date, *, weekdays: Collection[int], is_holiday: Callable) -> bool:
    return day.isoweekday() in weekdays and not is_holiday(day)


def next_window(
    at: dt.datetime,
    *,
    start: dt.time,
    end: dt.time,
    weekdays: Collection[int],
    is_holiday: Callable[[dt.date], bool] = lambda day: False,
) -> Window | None:
    """The window open at `at`, or else the next one to open; None if none within SEARCH_DAYS.

    A window is `start`–`end` on a service day (an ISO weekday in `weekdays` that is no
    holiday), in the district's wall-clock time; it never crosses midnight.
    """
    if end <= start or not weekdays:
        return None
    day = timeutil.today(at)
    for offset in range(SEARCH_DAYS):
        candidate = day + dt.timedelta(days=offset)
        if not is_service_day(candidate, weekdays=weekdays, is_holiday=is_holiday):
            continue
        closes_at = timeutil.at_local(candidate, end)
        if closes_at <= at:
            continue
        return Window(candidate, timeutil.at_local(candidate, start), closes_at)
    return None


def _holiday_checker(settings_row) -> Callable[[dt.date], bool]:
    if not settings_row.holidays_off:
        return lambda day: False
    from eschool.classroom.models import DayNotice

    # Days without classes (holidays, exam days) come from the timetable's
    # all-day notices; read once per call, as a set.
    days = set(DayNotice.objects.filter(no_classes=True).values_list("day", flat=True))
    return days.__contains__


def window_next(at: dt.datetime | None = None, *, settings_row=None) -> Window | None:
    """The window open now (or at `at`), else the next one, by the district's settings."""
    from eschool.tutoring.selectors import tutoring_settings

    at = at or timeutil.now()
    settings_row = settings_row or tutoring_settings()
    return next_window(
        at,
        start=settings_row.window_start,
        end=settings_row.window_end,
        weekdays=settings_row.weekday_numbers,
        is_holiday=_holiday_checker(settings_row),
    )


def window_at(at: dt.datetime | None = None, *, settings_row=None) -> Window | None:
    """The window open at `at` (default now), or None when tutoring is closed."""
    at = at or timeutil.now()
    window = window_next(at, settings_row=settings_row)
    if window is not None and window.contains(at):
        return window
    return None


def window_of_day(day: dt.date, *, settings_row=None) -> Window | None:
    """The window of `day` if it is a service day."""
    from eschool.tutoring.selectors import tutoring_settings

    settings_row = settings_row or tutoring_settings()
    if not is_service_day(
        day, weekdays=settings_row.weekday_numbers, is_holiday=_holiday_checker(settings_row)
    ):
        return None
    return Window(
        day,
        timeutil.at_local(day, settings_row.window_start),
        timeutil.at_local(day, settings_row.window_end),
    )
