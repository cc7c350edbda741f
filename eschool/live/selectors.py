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


def chapters_of(recording: Recording) -> list:
    """The replay's chapters by time (one query)."""
    from eschool.live.models import Chapter

    return list(Chapter.objects.filter(recording=recording).order_by("at_seconds", "pk"))


def playlist_paths_of(session_ids) -> dict[int, str]:
    """Each session's playlist, relative to MEDIA_ROOT: the live one while it is live, else
    its latest ready replay; sessions with neither are left out. Two queries for any number.
    """
    from eschool.live.models import Broadcast

    session_ids = list(session_ids)
    if not session_ids:
        return {}
    paths: dict[int, str] = {}
    replays = (
        Recording.objects.filter(session_id__in=session_ids, status=Recording.Status.READY)
        .exclude(hls_path="")
        .order_by("created_at", "pk")
        .values_list("session_id", "hls_path")
    )
    for session_id, path in replays:
        paths[session_id] = path  # the latest one wins
    live = Broadcast.objects.filter(
        session_id__in=session_ids, status=Broadcast.Status.LIVE
    ).exclude(hls_path="")
    for session_id, path in live.values_list("session_id", "hls_path"):
        paths[session_id] = path
    return paths
