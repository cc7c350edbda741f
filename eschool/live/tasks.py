"""Huey jobs of the live app."""

from huey.contrib.djhuey import db_task

from eschool.live import services


@db_task()
def package_recording(recording_id: int) -> None:
    """Transcode an uploaded recording to the session's replay (see services.recording_package)."""
    services.recording_package(recording_id=recording_id)
