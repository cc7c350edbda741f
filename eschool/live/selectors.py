"""Reading recordings and replays."""

from __future__ import annotations

from eschool.classroom.models import Session
from eschool.live.models import Recording


def replay_of(session: Session) -> Recording | None:
    """The session's latest ready recording (one query), or None."""
    return (
        Recording.objects.filter(session=session, status=Recording.Status.READY)
        .order_by("-created_at", "-pk")
        .first()
    )
