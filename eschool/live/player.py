"""What the session page's player shows: the broadcast's state, who may watch, stream URLs.

Every viewer's page polls /live/sessions/<pk>/status.json every few seconds (100,000 of
them at 8:00 for a district event), so the state of a session is one cached value per
session, rebuilt by one request at a time while the others answer with the previous copy.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import Q
from django.utils.translation import gettext as _

from eschool.classroom.models import Booking, Session
from eschool.classroom.selectors import session_visible_to, user_sees_unpublished
from eschool.classroom.selectors.publication import anonymous_may_watch
from eschool.core import timeutil
from eschool.live.models import Broadcast, Recording
from eschool.live.selectors import replay_of
from eschool.live.services import user_manages_recordings

STATUS_KEY = "live:status:{pk}"
# How old a session's state may be. The page polls every 5 s; browsers and a CDN may keep
# the answer this long too (Cache-Control: max-age).
STATUS_MAX_AGE = 2

# STARTING: the teacher pressed Start, but the playlist has no segment yet (it does not
# exist: loading it would be a 404), so viewers see "about to start" and get no URL.
WAITING, STARTING, LIVE, ENDED = "waiting", "starting", "live", "ended"
# How many target durations hls.js keeps between the live edge and what it plays (its
# liveSyncDurationCount): the player's share of the delay. The page hands it to player.js and
# bench/live_ingest.py reads it here, so the measured latency is the one students get.
LIVE_SYNC_SEGMENTS = 2


@dataclass(frozen=True)
class LiveState:
    """A session's broadcast as viewers see it; the same for every viewer."""

    status: str  # waiting | starting | live | ended
    live_path: str  # the live playlist, relative to MEDIA_ROOT ("" before there is a broadcast)
    replay_path: str  # the replay's playlist (master or media), or ""
    replay: Recording | None = None  # the ready recording behind replay_path
    broadcast: Broadcast | None = None


def live_state(session: Session, *, at: dt.datetime | None = None) -> LiveState:
    """Two queries: the session's broadcast and its latest ready replay. Reads only."""
    at = at or timeutil.now()
    broadcast = Broadcast.objects.filter(session=session).first()
    replay = replay_of(session)
    live_path = broadcast.hls_path if broadcast else ""
    if broadcast is not None and broadcast.status == Broadcast.Status.LIVE:
        status = STARTING if broadcast.awaiting_first_segment else LIVE
    elif (
        (broadcast is not None and broadcast.status == Broadcast.Status.ENDED)
        or replay is not None
        or at >= session.ends_at
    ):
        status = ENDED
    else:
        status = WAITING
    return LiveState(
        status=status,
        live_path=live_path,
        replay_path=replay.hls_path if replay else "",
        replay=replay,
        broadcast=broadcast,
    )


def replay_pending(session: Session) -> bool:
    """Whether a recording of the session is being packaged (one query): a replay is on its
    way. A broadcast's own recording is ready the moment it ends, so only an upload waits
    here; a failed one is no replay to come."""
    return Recording.objects.filter(session=session, status=Recording.Status.PROCESSING).exists()


def media_url(path: str) -> str | None:
    return f"{settings.MEDIA_URL}{path}" if path else None


def _status_document(pk: int) -> dict | None:
    """The part of status.json that is the same for every viewer, or None (no such session,
    or one the public may not see: its day is not published yet)."""
    session = Session.objects.filter(pk=pk).first()
    if session is None or not session_visible_to(session, user=AnonymousUser()):
        return None
    return status_of(session)


def status_of(session: Session) -> dict:
    """status.json's document for `session`, whoever may see it (the caller checked); the
    same for every viewer who may. Two queries (live_state)."""
    state = live_state(session)
    # Anyone who fetches the URL can play it (media files are plain files behind a CDN), so
    # the shared answer names it only where the district lets everyone watch; a viewer who
    # may watch otherwise gets it in their own page. The JSON timetable follows the same rule
    # (selectors.public_playlist_paths).
    public = anonymous_may_watch(session)
    url = None
    if state.status == LIVE:
        url = media_url(state.live_path)
    elif state.status == ENDED:
        url = media_url(state.replay_path)
    return {
        # When the state was read: a page ignores an answer older than what it shows (a copy
        # from a cache, taken before the page was rendered).
        "as_of": timeutil.local(timeutil.now()).isoformat(),
        "status": state.status,
        "starts_at": timeutil.local(session.starts_at).isoformat(),
        "ends_at": timeutil.local(session.ends_at).isoformat(),
        "cancelled": session.status == Session.Status.CANCELLED,
        "hls_url": url if public else None,
        "replay": bool(state.replay_path),
    }


def status_document(pk: int) -> dict | None:
    """The cached shared state of session `pk` (see _status_document); at most
    STATUS_MAX_AGE seconds old, and only one request at a time rebuilds it."""
    key = STATUS_KEY.format(pk=pk)
    entry = cache.get(key)
    now = time.time()
    stale = entry is not None and now - entry[0] > STATUS_MAX_AGE
    if entry is None or (stale and cache.add(f"{key}:building", 1, 10)):
        document = _status_document(pk)
        cache.set(key, (now, document), 60)
        cache.delete(f"{key}:building")
        return document
    return entry[1]


# Who may watch --------------------------------------------------------------------


def watch_refusal(user, session: Session, *, at: dt.datetime | None = None) -> str:
    """Why `user` may not watch `session` live or its replay, or "" when they may.

    Those who manage the session and administrators always may. Visitors without an
    account follow the district's rule (anonymous_may_watch: district events, and
    replays, where ESCHOOL_PUBLIC_WATCH allows). A logged-in visitor may watch a session
    that needs no booking (district events, unlimited seats) and any replay; the live of a
    class with seats is for those who booked one (or whose child did): the seats are the
    class. One query at most (the booking).
    """
    at = at or timeutil.now()
    if user_manages_recordings(user, session) or user_sees_unpublished(user):
        return ""
    if session.status == Session.Status.CANCELLED:
        return _("This session was cancelled.")
    if not getattr(user, "is_authenticated", False):
        if anonymous_may_watch(session, at=at):
            return ""
        return _("Log in to watch this session.")
    if session.capacity is None or at >= session.ends_at:
        return ""
    booked = (
        Booking.objects.filter(session=session, status=Booking.Status.CONFIRMED)
        .filter(Q(learner=user) | Q(learner__student__guardianships__guardian=user))
        .exists()
    )
    return "" if booked else _("Only those who booked a seat can watch this class live.")
