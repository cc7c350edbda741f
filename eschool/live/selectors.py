"""Reading recordings and replays."""

from __future__ import annotations

from django.db.models.functions import Coalesce

from eschool.classroom.models import Session
from eschool.live.models import Recording


def _replay_since():
    # Recordings made before the teacher could choose the replay have no replay_since.
    return Coalesce("replay_since", "created_at")


def replay_of(session: Session) -> Recording | None:
    """The session's replay (one query), or None: of its ready recordings the one that became
    the replay last (finished, or chosen by the teacher on the upload page)."""
    return (
        Recording.objects.filter(session=session, status=Recording.Status.READY)
        .annotate(since=_replay_since())
        .order_by("-since", "-pk")
        .first()
    )


def sessions_with_replay(session_ids) -> set[int]:
    """The ids among `session_ids` of the sessions with a ready replay (one query for any number)."""
    return set(
        Recording.objects.filter(session_id__in=list(session_ids), status=Recording.Status.READY)
        .exclude(hls_path="")
        .values_list("session_id", flat=True)
    )


def chapters_of(recording: Recording) -> list:
    """The replay's chapters by time (one query)."""
    from eschool.live.models import Chapter

    return list(Chapter.objects.filter(recording=recording).order_by("at_seconds", "pk"))


def public_playlist_paths(sessions, *, at=None) -> dict[int, str]:
    """playlist_paths_of for a document anyone may read (the JSON timetable): only the sessions
    anyone may watch without an account, by the rule status.json follows (anonymous_may_watch).
    The media files are plain files: whoever has a playlist's URL can play it, so a public
    document must not name the live of a class whose seats are the audience."""
    from eschool.classroom.selectors.publication import anonymous_may_watch

    return playlist_paths_of(
        session.pk for session in sessions if anonymous_may_watch(session, at=at)
    )


def playlist_paths_of(session_ids) -> dict[int, str]:
    """Each session's playlist, relative to MEDIA_ROOT: the live one while it is live (from its
    first segment), else its replay (as replay_of chooses); sessions with neither are left out. One query for any number.
    """
    from django.db.models import IntegerField, Value

    from eschool.live.models import Broadcast

    session_ids = list(session_ids)
    if not session_ids:
        return {}
    replays = (
        Recording.objects.filter(session_id__in=session_ids, status=Recording.Status.READY)
        .exclude(hls_path="")
        .annotate(live=Value(0, output_field=IntegerField()))
        .annotate(since=_replay_since())
        .values_list("session_id", "hls_path", "live", "since", "pk")
        .order_by()  # no ORDER BY inside a UNION
    )
    live = (
        # Not before its first segment: the playlist is written with it.
        Broadcast.objects.filter(
            session_id__in=session_ids,
            status=Broadcast.Status.LIVE,
            awaiting_first_segment=False,
        )
        .exclude(hls_path="")
        .annotate(live=Value(1, output_field=IntegerField()))
        .values_list("session_id", "hls_path", "live", "started_at", "pk")
        .order_by()
    )
    best: dict[int, tuple] = {}
    for session_id, path, is_live, moment, pk in replays.union(live, all=True):
        # Live first; among replays the one that became the replay last (as replay_of).
        rank = (is_live, moment is not None, moment or 0, pk)
        if session_id not in best or rank > best[session_id][0]:
            best[session_id] = (rank, path)
    return {session_id: path for session_id, (_rank, path) in best.items()}
