"""Reads of the publication and sharing part: early publications, day notices,
share links and QR codes, who may watch without an account, calendar feeds.
"""

import datetime as dt
import hashlib
import io

import icalendar
import segno
from django.conf import settings
from django.core.cache import cache
from django.db.models import Q

from eschool.classroom.models import Booking, CalendarFeed, DayNotice, DayPublication, Kind, Session
from eschool.classroom.selectors import (
    FIRST_DAY,
    LAST_DAY,
    _with_relations,
    day_is_public,
    timetable_revision,
    timetable_version,
)
from eschool.core import timeutil

# Whether `day` has a DayPublication row. "1" is kept for good (a publication is
# never taken back), "0" for a minute. Publishing drops the "0" in every process:
# a shared cache's by deleting it (forget_publication), per-process caches' by
# replacing the timetable revision that the key carries (timetable_revision).
PUBLISHED_KEY = "classroom:published:{day}{revision}"
UNPUBLISHED_TTL = 60
NOTICES_KEY = "classroom:notices:{day}:{version}"
QR_KEY = "classroom:qr2:{kind}:{scale}:{digest}"
QR_TTL = 7 * 24 * 3600


def day_has_publication(day: dt.date) -> bool:
    """Whether `day` was published (by the evening task or early by hand)."""
    key = PUBLISHED_KEY.format(day=day.isoformat(), revision=timetable_revision())
    cached = cache.get(key)
    if cached is not None:
        return cached == "1"
    published = DayPublication.objects.filter(day=day).exists()
    cache.set(key, "1" if published else "0", None if published else UNPUBLISHED_TTL)
    return published


def forget_publication(day: dt.date) -> None:
    """Drop the cached answer of day_has_publication(day) (the services call it)."""
    cache.delete(PUBLISHED_KEY.format(day=day.isoformat(), revision=timetable_revision()))


def publication_of(day: dt.date) -> DayPublication | None:
    return DayPublication.objects.select_related("published_by").filter(day=day).first()


# Day notices ----------------------------------------------------------------------


def notices_of_day(day: dt.date) -> list[DayNotice]:
    """The all-day notices of `day` (holidays, exam days), cached until the day changes.

    The cache key carries the day's timetable version, which every notice
    change bumps, so a page never shows a removed notice.
    """
    key = NOTICES_KEY.format(day=day.isoformat(), version=timetable_version(day))
    notices = cache.get(key)
    if notices is None:
        notices = list(DayNotice.objects.filter(day=day).order_by("id"))
        cache.set(key, notices, 24 * 3600)
    return notices


def sessions_still_on(day: dt.date) -> int:
    """How many of `day`'s sessions are not withdrawn."""
    return Session.objects.filter(day=day, status=Session.Status.SCHEDULED).count()


def notices_from(day: dt.date, *, days: int = 366) -> list[DayNotice]:
    """Notices from `day` on, for the management page."""
    return list(
        DayNotice.objects.filter(day__gte=day, day__lt=day + dt.timedelta(days=days)).order_by(
            "day", "id"
        )
    )


# Share links and QR codes ---------------------------------------------------------


def day_share_code(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def parse_day_share_code(code: str) -> dt.date | None:
    """YYYYMMDD as a date (the day's short link), else None."""
    if len(code) != 8 or not code.isdigit():
        return None
    try:
        day = dt.date(int(code[:4]), int(code[4:6]), int(code[6:]))
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def _qr(url: str):
    # Level M survives a crumpled poster; segno picks the smallest version.
    return segno.make(url, error="m", micro=False)


def _inline_svg(url: str, scale: int) -> str:
    qr = _qr(url)
    width, height = qr.symbol_size(scale=scale)
    # Its natural size, and a viewBox so that a width set in CSS scales the code: without
    # one the browser crops it (the announcement's codes lost their edge and did not scan).
    svg = qr.svg_inline(scale=scale, title=url, omitsize=True)
    return svg.replace("<svg ", f'<svg width="{width}" height="{height}" ', 1)


def qr_svg(url: str, *, scale: int = 4) -> str:
    """An inline <svg> QR code of `url` (cached: making one takes ~5 ms)."""
    return qr_svgs([url], scale=scale)[url]


def qr_svgs(urls: list[str], *, scale: int = 4) -> dict[str, str]:
    """Inline SVG QR codes for many URLs: one cache round trip, then only the missing made."""
    keys = {
        QR_KEY.format(kind="svg", scale=scale, digest=hashlib.sha256(url.encode()).hexdigest()): url
        for url in urls
    }
    found = cache.get_many(list(keys))
    result = {keys[key]: svg for key, svg in found.items()}
    missing = {}
    for key, url in keys.items():
        if url not in result:
            svg = _inline_svg(url, scale)
            result[url] = svg
            missing[key] = svg
    if missing:
        cache.set_many(missing, QR_TTL)
    return result


def qr_file(url: str, *, kind: str, scale: int = 8) -> bytes:
    """The QR code of `url` as an SVG document or a PNG image (`kind` "svg" or "png")."""
    key = QR_KEY.format(kind=kind, scale=scale, digest=hashlib.sha256(url.encode()).hexdigest())
    data = cache.get(key)
    if data is None:
        out = io.BytesIO()
        _qr(url).save(out, kind=kind, scale=scale, border=4)
        data = out.getvalue()
        cache.set(key, data, QR_TTL)
    return data


# Watching without an account ------------------------------------------------------


def anonymous_may_watch(session: Session, *, at: dt.datetime | None = None) -> bool:
    """Whether a person who is not logged in may watch `session` (live or its replay).

    Only where the district allows it (settings.ESCHOOL_PUBLIC_WATCH), only for a
    published, not cancelled session, and only a district event or, once the
    session has ended, its replay.
    """
    at = at or timeutil.now()
    if not settings.ESCHOOL_PUBLIC_WATCH:
        return False
    if session.status == Session.Status.CANCELLED or not day_is_public(session.day, at=at):
        return False
    return session.kind == Kind.EVENT or at >= session.ends_at


# Calendars ------------------------------------------------------------------------

# A private feed goes this far back: a calendar keeps what it already imported.
FEED_DAYS_BACK = 60


def calendar_feed_by_token(token: str) -> CalendarFeed | None:
    return CalendarFeed.objects.select_related("user").filter(token=token).first()


def sessions_for_calendar(user, *, at: dt.datetime | None = None) -> list[Session]:
    """The sessions on `user`'s private calendar: what they booked (confirmed), what
    their children booked (confirmed), and what they teach; each once, by start."""
    from_day = timeutil.today(at) - dt.timedelta(days=FEED_DAYS_BACK)
    booked = Booking.objects.filter(status=Booking.Status.CONFIRMED).filter(
        Q(learner=user) | Q(learner__student__guardianships__guardian=user)
    )
    sessions = Session.objects.filter(day__gte=from_day).filter(
        Q(pk__in=booked.values("session_id")) | Q(teacher_id=user.pk)
    )
    return list(_with_relations(sessions).order_by("starts_at", "id"))


def notices_for_calendar(*, at: dt.datetime | None = None) -> list[DayNotice]:
    """The all-day notices on every private calendar (holidays, exam days are for
    everyone): as far back as the sessions, and forward up to the last published day."""
    from eschool.classroom.selectors.courses import public_until

    from_day = timeutil.today(at) - dt.timedelta(days=FEED_DAYS_BACK)
    return list(
        DayNotice.objects.filter(day__gte=from_day, day__lte=public_until(at)).order_by("day", "id")
    )


def _calendar(name: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//eSchool//classroom//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    return calendar


def _session_event(session: Session, *, url: str, stamp: dt.datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"session-{session.pk}@eschool")
    event.add("dtstamp", stamp)
    # Aware in the district's zone: written with TZID=Asia/Shanghai, and the
    # calendar gets the matching VTIMEZONE (add_missing_timezones).
    event.add("dtstart", timeutil.local(session.starts_at))
    event.add("dtend", timeutil.local(session.ends_at))
    event.add("summary", session.title)
    details = []
    if session.teacher is not None:
        details.append(f"{session.teacher.user.name} · {session.teacher.school.name}")
    if session.cancel_reason:
        details.append(session.cancel_reason)
    if session.description:
        details.append(session.description)
    if details:
        event.add("description", "\n".join(details))
    event.add("url", url)
    event.add("last-modified", session.updated_at)
    if session.status == Session.Status.CANCELLED:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    return event


def _notice_event(notice: DayNotice, *, stamp: dt.datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"notice-{notice.pk}@eschool")
    event.add("dtstamp", stamp)
    # All day: dates, and the end is the next day (RFC 5545: DTEND is exclusive).
    event.add("dtstart", notice.day)
    event.add("dtend", notice.day + dt.timedelta(days=1))
    event.add("summary", notice.title)
    if notice.description:
        event.add("description", notice.description)
    event.add("transp", "TRANSPARENT")
    return event


def calendar_ics(
    *,
    name: str,
    sessions: list[Session],
    notices: list[DayNotice] = (),
    session_url,
    at: dt.datetime | None = None,
) -> bytes:
    """An iCalendar document of `sessions` (timed, TZID=Asia/Shanghai) and `notices`
    (all day). `session_url(session)` gives each event's URL."""
    stamp = (at or timeutil.now()).astimezone(dt.UTC)
    calendar = _calendar(name)
    for notice in notices:
        calendar.add_component(_notice_event(notice, stamp=stamp))
    for session in sessions:
        calendar.add_component(_session_event(session, url=session_url(session), stamp=stamp))
    calendar.add_missing_timezones()
    return calendar.to_ical()
