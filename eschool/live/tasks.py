"""Huey jobs of the live app."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from eschool.live import chunked, services


@db_task()
def package_recording(recording_id: int, attempt: int | None = None) -> None:
    """Transcode an uploaded recording to the session's replay (see services.recording_package)."""
    services.recording_package(recording_id=recording_id, attempt=attempt)


@db_periodic_task(crontab(minute="*/5"))
def retry_stalled_packaging() -> tuple[int, int]:
    """Every 5 minutes: queue again the packaging jobs that stopped moving (a killed worker),
    or fail them with a message after a few runs (services.recordings_retry_stalled)."""
    return services.recordings_retry_stalled()


@db_periodic_task(crontab(hour="3", minute="40"))
def forget_stale_uploads() -> int:
    """Every night: delete the resumable uploads nobody continued for 3 days."""
    return chunked.uploads_forget_stale()


@db_periodic_task(crontab(minute="*"))
def recover_broadcasts() -> int:
    """Every minute: close the live broadcasts that fell silent (the ingest died or the
    teacher never came back), at their last complete segment; they become replays."""
    return services.broadcasts_recover()


@db_task()
def close_abandoned_broadcast(broadcast_id: int, dropped_at) -> bool:
    """Queued (with a delay) when a browser's ingest socket drops: closes the broadcast if
    the teacher did not come back (services.broadcast_close_if_abandoned)."""
    return services.broadcast_close_if_abandoned(broadcast_id=broadcast_id, dropped_at=dropped_at)
