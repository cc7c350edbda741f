"""Broadcasting from OBS: the callbacks nginx-rtmp makes (deploy/nginx/rtmp.conf).

nginx only relays RTMP; every decision is the app's. nginx POSTs a form (name = the stream key,
addr = the publisher's address, call = publish | update_publish | publish_done, ...) and
acts on the status code: 2xx goes on, anything else refuses the publisher or drops it.

- publish: a known key, inside its session's window -> broadcast_begin (source rtmp) and a
  puller starts copying rtmp://127.0.0.1/live/<key> into the session's HLS playlist. OBS is
  let in once the puller is in place (play), or after PULLER_JOIN_TIMEOUT at worst.
- play: only the puller plays (nginx allows only local players); a known live key.
- update (every 30 s): the stream is dropped once it overruns the window, or when its
  broadcast was ended or its key renewed meanwhile; a puller is started again if none runs.
- publish_done: the playlist is closed and becomes the replay (broadcast_end).

Why the app pulls the stream itself, in a thread, instead of nginx writing HLS or running a
command: docs/decisions/0005-rtmp-ingest.md. In short, one code path (ingest.ingest_stream)
writes every live playlist, browser or OBS, and the stream key never appears in a public URL.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import close_old_connections, connections
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from eschool.core import timeutil
from eschool.live import ingest, services
from eschool.live.media import MediaRefused
from eschool.live.models import Broadcast

logger = logging.getLogger(__name__)

# The puller gives up when nothing arrives for this long (FFmpeg's rw_timeout): a stream
# that was never published after all, or an nginx that stopped answering. It must stay well
# below the 60 s after which recovery closes a silent broadcast.
PULL_READ_TIMEOUT = 10.0
# How long OBS's publish waits, at most, for the puller to join the stream. nginx-rtmp keeps
# no pictures for players who join late: a puller joining after OBS's first picture would
# lose everything up to the next keyframe (2 s with the recommended OBS settings).
PULLER_JOIN_TIMEOUT = 5.0
# How much of the stream the puller may read before deciding which streams it has; more than a
# keyframe interval (OBS: 2 s recommended, up to 10 s with "auto").
PULL_PROBE_SECONDS = 10
# How long a new puller waits for the previous one (the same broadcast reconnecting) to let
# go of the playlist.
PULL_LOCK_TIMEOUT = 15.0
# The FFmpeg input options of the puller (bench/live_ingest.py pulls with the same).
PULL_OPTIONS = {
    "rw_timeout": str(int(PULL_READ_TIMEOUT * 1_000_000)),
    # FFmpeg's own probing limits rather than the ingest's short ones: a puller that joined
    # late (or restarted mid-stream) hears sound at once but sees its first picture only at
    # OBS's next keyframe, and must not conclude there is no video.
    "analyzeduration": str(PULL_PROBE_SECONDS * 1_000_000),
    "probesize": "5000000",
}

# Pullers started by this process, by session id; the playlist's file lock (ingest.py) is
# what keeps two of them, in any processes, from writing one playlist.
_pullers: dict[int, threading.Thread] = {}
_pullers_lock = threading.Lock()


# --------------------------------------------------------------------------- who may call


def _trusted_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(item, strict=False)
        for item in settings.ESCHOOL_RTMP_CALLBACK_ADDRESSES
    ]


def caller_is_trusted(request: HttpRequest) -> bool:
    """Only nginx-rtmp, from a configured address, talking to the app directly.

    A request that came through a web proxy carries forwarding headers (nginx-rtmp's own calls
    never do): refused even when the proxy itself connects from 127.0.0.1.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_X_REAL_IP" in request.META:
        logger.warning("rtmp callback refused: it came through a proxy (from %s)", remote)
        return False
    try:
        address = ipaddress.ip_address(remote.split("%")[0])
    except ValueError:
        address = None
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    if address is None or not any(address in net for net in _trusted_networks()):
        logger.warning(
            "rtmp callback refused: %s is not in ESCHOOL_RTMP_CALLBACK_ADDRESSES", remote
        )
        return False
    return True


def _refused(reason: str, request: HttpRequest) -> HttpResponse:
    # nginx reads only the status; the log says why, without the secret key.
    logger.info(
        "rtmp %s refused: %s (publisher %s)",
        request.POST.get("call", "?"),
        reason,
        request.POST.get("addr", "?"),
    )
    return HttpResponse(reason, status=403, content_type="text/plain")


def _broadcast_for(request: HttpRequest) -> Broadcast | None:
    key = request.POST.get("name", "")
    if not key:
        return None
    return Broadcast.objects.select_related("session").filter(stream_key=key).first()


def _in_window(broadcast: Broadcast) -> bool:
    opens, closes = services.broadcast_window(broadcast.session)
    return opens <= timeutil.now() <= closes


# --------------------------------------------------------------------------- the puller


def _pull(broadcast_id: int, session_id: int, key: str, out_dir: Path) -> None:
    url = f"{settings.ESCHOOL_RTMP_PULL_URL.rstrip('/')}/{key}"
    listed = []  # this pull's first segment was noted (viewers may load the playlist)

    def on_segment(done: ingest.SegmentDone) -> None:
        _media_arrived(broadcast_id, first_segment=not listed)
        listed.append(done.count)

    try:
        ingest.ingest_stream(
            url,
            out_dir,
            on_segment=on_segment,
            options=PULL_OPTIONS,
            lock_timeout=PULL_LOCK_TIMEOUT,
        )
    except ingest.IngestBusy:
        logger.info("rtmp: session %s already has a puller", session_id)
    except MediaRefused as refusal:
        logger.warning("rtmp: session %s stream refused: %s", session_id, refusal.message)
    except Exception:  # a background thread has no caller to report to: log it whole
        logger.exception("rtmp: pulling session %s failed", session_id)
    finally:
        with _pullers_lock:
            if _pullers.get(session_id) is threading.current_thread():
                del _pullers[session_id]
        connections.close_all()


def _media_arrived(broadcast_id: int, *, first_segment: bool = False) -> None:
    close_old_connections()
    if first_segment:
        services.broadcast_segment_listed(broadcast_id=broadcast_id)
    services.broadcast_media_arrived(broadcast_id=broadcast_id)


def _joined_key(broadcast_id: int) -> str:
    # The cache is shared by all of the app's processes (Redis) in production: play may
    # reach a different process than the publish that waits for it.
    return f"live:rtmp:puller-joined:{broadcast_id}"


def start_puller(broadcast: Broadcast, *, wait_for_join: float = 0.0) -> threading.Thread:
    """Copy the published stream into the broadcast's playlist in a background thread.

    With wait_for_join, return once the puller has joined the stream (nginx called play for
    it) or that many seconds have passed. A second puller for the same playlist waits for the
    first to let go of it, or ends (the playlist's lock decides, across processes too).
    """
    cache.delete(_joined_key(broadcast.pk))
    with _pullers_lock:
        thread = threading.Thread(
            target=_pull,
            args=(
                broadcast.pk,
                broadcast.session_id,
                broadcast.stream_key,
                services.live_dir(broadcast),
            ),
            name=f"rtmp-pull-{broadcast.session_id}",
            daemon=True,
        )
        _pullers[broadcast.session_id] = thread
        thread.start()
    started = time.monotonic()
    deadline = started + wait_for_join
    while time.monotonic() < deadline and thread.is_alive():
        if cache.get(_joined_key(broadcast.pk)):
            logger.info(
                "rtmp: session %s puller joined in %.2f s",
                broadcast.session_id,
                time.monotonic() - started,
            )
            break
        time.sleep(0.02)  # polls a condition with a deadline
    else:
        if wait_for_join and thread.is_alive():
            logger.warning(
                "rtmp: session %s puller not in place after %.2f s; its first seconds may be lost",
                broadcast.session_id,
                time.monotonic() - started,
            )
    return thread


def puller_of(session_id: int) -> threading.Thread | None:
    """This process's puller for the session, if any (tests wait for it to end)."""
    with _pullers_lock:
        return _pullers.get(session_id)


# --------------------------------------------------------------------------- the callbacks


@csrf_exempt
@require_POST
def on_publish(request: HttpRequest) -> HttpResponse:
    """OBS starts publishing: 200 for a known key inside its session's window, else 403."""
    if not caller_is_trusted(request):
        return HttpResponse(status=403)
    broadcast = _broadcast_for(request)
    if broadcast is None:
        return _refused("unknown stream key", request)
    try:
        # The key is the credential: no user is behind nginx's call (actor None, source rtmp).
        # Refused while a browser is broadcasting the session (BroadcastRefused).
        broadcast = services.broadcast_begin(
            actor=None, session=broadcast.session, source=Broadcast.Source.RTMP
        )
    except PermissionDenied:
        return _refused("the key's session may not broadcast", request)
    except services.BroadcastRefused as refusal:
        return _refused(refusal.message, request)
    start_puller(broadcast, wait_for_join=PULLER_JOIN_TIMEOUT)
    return HttpResponse("ok", content_type="text/plain")


class _JoinedAnswer(HttpResponse):
    """on_play's "ok", which tells on_publish that the puller joined once it has been sent.

    nginx joins the puller to the stream when it reads this answer. Noted before it was sent,
    on_publish's answer could reach nginx first and OBS's first pictures, up to its next
    keyframe, go out before the puller is there (they were lost under load: the replay began
    2 s late). Django closes a response after sending its last byte.
    """

    def __init__(self, broadcast_id: int):
        super().__init__("ok", content_type="text/plain")
        self.broadcast_id = broadcast_id

    def close(self) -> None:
        super().close()
        cache.set(_joined_key(self.broadcast_id), True, timeout=60)


@csrf_exempt
@require_POST
def on_play(request: HttpRequest) -> HttpResponse:
    """The app's puller joins the stream (nginx lets only local clients play): a live key."""
    if not caller_is_trusted(request):
        return HttpResponse(status=403)
    broadcast = _broadcast_for(request)
    if broadcast is None:
        return _refused("unknown stream key", request)
    if broadcast.status != Broadcast.Status.LIVE or broadcast.source != Broadcast.Source.RTMP:
        return _refused("the broadcast is not live from OBS", request)
    # Heard by on_publish, which then lets OBS in: only once this answer is sent.
    return _JoinedAnswer(broadcast.pk)


@csrf_exempt
@require_POST
def on_update(request: HttpRequest) -> HttpResponse:
    """Every 30 s while publishing: a non-2xx answer makes nginx drop the publisher."""
    if not caller_is_trusted(request):
        return HttpResponse(status=403)
    if request.POST.get("call") != "update_publish":
        return HttpResponse("ok", content_type="text/plain")  # our own puller playing
    broadcast = _broadcast_for(request)
    if broadcast is None:
        return _refused("unknown stream key (renewed?)", request)
    if broadcast.status != Broadcast.Status.LIVE or broadcast.source != Broadcast.Source.RTMP:
        return _refused("the broadcast is not live from OBS", request)
    if not _in_window(broadcast):
        return _refused("the session's window is over", request)
    # The app restarted, or the puller gave up: pick the stream up again (a discontinuity).
    if not ingest.writer_running(services.live_dir(broadcast)):
        start_puller(broadcast)
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
@require_POST
def on_publish_done(request: HttpRequest) -> HttpResponse:
    """OBS stopped (or was dropped): close the playlist; it becomes the replay."""
    if not caller_is_trusted(request):
        return HttpResponse(status=403)
    broadcast = _broadcast_for(request)
    if broadcast is None:
        return _refused("unknown stream key", request)
    if broadcast.status != Broadcast.Status.LIVE or broadcast.source != Broadcast.Source.RTMP:
        return HttpResponse("not live", content_type="text/plain")
    # broadcast_end waits (on the playlist's lock) for the puller to list its last segment;
    # the puller hears the end of the stream at once (nginx's play_restart/publish_notify).
    try:
        services.broadcast_end(broadcast=broadcast)
    except ingest.IngestBusy:
        # The puller did not let go in time; recovery closes the broadcast once it falls silent.
        logger.warning(
            "rtmp: session %s still being written; left to recovery", broadcast.session_id
        )
        return HttpResponse("busy", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
