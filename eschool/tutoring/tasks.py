"""Periodic work of evening tutoring. Tasks only call services.

Huey's periodic tasks run once a minute at most; offers last 30 s, so pages
that poll (the teacher's duty page, the student's wait page) also expire
offers when they are read, and this task is the backstop when nobody looks.
"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*"))
def tutoring_tick() -> dict:
    """Every minute: open queued questions, expire offers and offer waiting questions,
    close the evening (waiting questions become written ones, open sessions end), and flag
    late or missing teachers."""
    from eschool.tutoring.room import sessions_close_after_window
    from eschool.tutoring.services.asking import queue_open, window_close
    from eschool.tutoring.services.matching import dispatch
    from eschool.tutoring.services.shifts import shifts_check

    return {
        "opened": queue_open(),
        "offered": dispatch(),
        "written": window_close(),
        "sessions_closed": sessions_close_after_window(),
        **shifts_check(),
    }


@db_periodic_task(crontab(minute="17", hour="3"))
def purge_original_photos() -> int:
    """Every night: delete original photos older than the retention setting."""
    from eschool.tutoring.services.asking import photos_purge_originals

    return photos_purge_originals()
