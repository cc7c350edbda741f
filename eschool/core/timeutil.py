"""Time helpers. Everything is stored in UTC and shown in the district's zone.

The district's zone is settings.TIME_ZONE (Asia/Shanghai); the server process's
own zone (TZ) never matters, because nothing here calls the naive clock.

`now()` is the project's one clock. Tests set it with `frozen_at(moment)` (or the
`clock` fixture built on it) instead of patching Django or the database.
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

# When set, the moment `now()` returns; only tests set it, through frozen_at().
_frozen: dt.datetime | None = None


def district_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def now() -> dt.datetime:
    """The current moment, aware (UTC), unless a test froze the clock."""
    if _frozen is not None:
        return _frozen
    return timezone.now()


@contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[None]:
    """Make `now()` return `moment` inside the block. `moment` must be aware."""
    global _frozen
    if timezone.is_naive(moment):
        raise ValueError("frozen_at() needs an aware datetime")
    previous = _frozen
    _frozen = moment.astimezone(dt.UTC)
    try:
        yield
    finally:
        _frozen = previous


def local(moment: dt.datetime) -> dt.datetime:
    """The moment as a wall-clock time in the district."""
    return moment.astimezone(district_zone())


def today(at: dt.datetime | None = None) -> dt.date:
    return local(at or now()).date()


def at_local(day: dt.date, time: dt.time) -> dt.datetime:
    """The aware moment when the district's clocks show `day` `time`."""
    return dt.datetime.combine(day, time, tzinfo=district_zone())


def parse_hhmm(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))
