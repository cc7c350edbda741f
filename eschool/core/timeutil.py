"""Time helpers. Everything is stored in UTC and shown in the district's zone.

The district's zone is settings.TIME_ZONE (Asia/Shanghai); the server process's
own zone (TZ) never matters, because nothing here calls the naive clock.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def district_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def now() -> dt.datetime:
    return timezone.now()


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
