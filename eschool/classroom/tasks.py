"""Periodic work of the classroom. Tasks only call services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from eschool.classroom.services.booking import reminders_send


@db_periodic_task(crontab(minute="*"))
def send_booking_reminders() -> int:
    """Every minute: remind learners of the booked sessions starting within 10 minutes."""
    return reminders_send()


@db_periodic_task(crontab(minute="*"))
def publish_tomorrow() -> str | None:
    """Every minute: publish tomorrow's timetable once its moment (18:00 Asia/Shanghai)
    has passed. Idempotent, and right whatever the server's zone (see publication_due)."""
    from eschool.classroom.services.publication import publication_due

    publication = publication_due()
    return publication.day.isoformat() if publication is not None else None
