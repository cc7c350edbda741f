"""Huey jobs of the live app."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from eschool.live import services


@db_task()
def package_recording(recording_id: int) -> None:
    """Transcode an uploaded recording to the session's replay (see services.recording_package)."""
    services.recording_package(recording_id=recording_id)


@db_periodic_task(crontab(minute="*"))
def recover_broadcasts() -> int:
    """Every minute: close the live broadcasts that fell silent (the ingest died or the
    teacher never came back), at their last complete segment; they become replays."""
    return services.broadcasts_recover()
