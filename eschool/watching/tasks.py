"""Periodic work of the watching app. Tasks only call services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from eschool.watching import services


@db_periodic_task(crontab(minute="*"))
def fold_heartbeats() -> int:
    """Every minute: fold the heartbeats received since into watch sections."""
    return services.heartbeats_fold().sections
