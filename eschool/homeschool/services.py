"""Writes of the home–school part: notifications (the notification centre)."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from eschool.homeschool.models import Notification


def notification_send(
    *, user, key: str, title: str, body: str = "", url: str = "", params: dict | None = None
) -> bool:
    """Put a notification in `user`'s centre once per `key`; False if it was already sent.

    With `params`, `title` and `body` are English templates marked with
    gettext_noop, e.g. title=gettext_noop("Cancelled: %(title)s"),
    params={"title": session.title}: each reader sees them in their own language.

    Safe to call from retries and from several workers at once: the unique
    (user, key) constraint decides, not a check beforehand. Call it inside the
    caller's transaction, so a rolled-back action sends nothing.
    """
    try:
        with transaction.atomic():
            Notification.objects.create(
                user=user, key=key, title=title, body=body, url=url, params=params
            )
    except IntegrityError:
        return False
    return True


def notifications_mark_read(*, user, ids=None) -> int:
    """Mark `user`'s notifications read (all unread, or those of `ids`); returns how many."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
