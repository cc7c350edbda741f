"""The evening publication, early publication by hand, day notices, calendar tokens.

Withdrawing a session is services.session_cancel (it notifies booked learners).
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from eschool.classroom.models import CalendarFeed, DayNotice, DayPublication, new_calendar_token
from eschool.classroom.selectors import (
    FIRST_DAY,
    LAST_DAY,
    publication_moment,
    user_manages_timetable,
)
from eschool.classroom.selectors.publication import forget_publication
from eschool.classroom.services import timetable_changed
from eschool.core import timeutil


def _check_actor(actor) -> None:
    if not user_manages_timetable(actor):
        raise PermissionDenied(_("Only district administrators change the timetable."))


def day_publish_once(
    *, day: dt.date, actor=None, at: dt.datetime | None = None
) -> tuple[DayPublication, bool]:
    """Like day_publish, and also whether this call is the one that published."""
    if actor is not None:
        _check_actor(actor)
    at = at or timeutil.now()
    try:
        with transaction.atomic():
            publication, created = DayPublication.objects.get_or_create(
                day=day, defaults={"published_at": at, "published_by": actor}
            )
            if created:
                # Cached pages of the day, and of the day before (its "next day"
                # link), are rendered afresh; the cached answer of
                # day_has_publication is dropped now and again once committed.
                timetable_changed(day)
                timetable_changed(day - dt.timedelta(days=1))
                forget_publication(day)
                transaction.on_commit(lambda: forget_publication(day))
    except IntegrityError:
        # Another worker published the same day at the same moment.
        return DayPublication.objects.get(day=day), False
    return publication, created


def day_publish(*, day: dt.date, actor=None, at: dt.datetime | None = None) -> DayPublication:
    """Make the timetable of `day` public now (if it is not already).

    Idempotent: calling it twice, or from two processes at once, leaves one
    DayPublication and returns it. `actor` None is the evening task; otherwise
    it must be a district administrator (PermissionDenied).
    """
    return day_publish_once(day=day, actor=actor, at=at)[0]


def publication_due(*, at: dt.datetime | None = None) -> DayPublication | None:
    """What the periodic task runs: publish tomorrow once its moment has passed.

    Everything is computed from the aware `at` (default: the project clock) in
    the district's zone, so the server's own time zone never matters. Returns
    the publication, or None before the moment.
    """
    at = at or timeutil.now()
    tomorrow = timeutil.today(at) + dt.timedelta(days=1)
    if at < publication_moment(tomorrow):
        return None
    return day_publish(day=tomorrow, at=at)


# Day notices ----------------------------------------------------------------------


def day_notice_add(
    *, actor, day: dt.date, title: str, description: str = "", no_classes: bool = True
) -> DayNotice:
    """Mark `day` with an all-day notice (a holiday, an exam day).

    Raises PermissionDenied unless `actor` is a district administrator, and
    ValidationError (keys: day, title) for a day outside 2000–2100 or an empty title.
    """
    _check_actor(actor)
    title = " ".join(title.split())
    errors = {}
    if not FIRST_DAY <= day <= LAST_DAY:
        errors["day"] = [_("Choose a date between 2000 and 2100.")]
    if not title:
        errors["title"] = [_("Give the notice a title.")]
    elif len(title) > 200:
        errors["title"] = [_("At most 200 characters.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        notice = DayNotice.objects.create(
            day=day, title=title, description=description.strip(), no_classes=no_classes
        )
        timetable_changed(day)
    return notice


def day_notice_remove(*, actor, notice: DayNotice) -> None:
    """Remove a notice; the day's pages drop it at once."""
    _check_actor(actor)
    with transaction.atomic():
        DayNotice.objects.filter(pk=notice.pk).delete()
        timetable_changed(notice.day)


# Calendar feeds -------------------------------------------------------------------


def calendar_feed_get_or_create(*, user) -> CalendarFeed:
    """`user`'s private calendar address, created on first use."""
    try:
        with transaction.atomic():
            return CalendarFeed.objects.get_or_create(user=user)[0]
    except IntegrityError:
        return CalendarFeed.objects.get(user=user)


def calendar_feed_renew(*, user) -> CalendarFeed:
    """Give `user` a new calendar address; the old one answers 404 from now on."""
    feed = calendar_feed_get_or_create(user=user)
    feed.token = new_calendar_token()
    feed.save(update_fields=["token", "created_at"])
    return feed
