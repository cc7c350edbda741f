from django import template
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template import TemplateDoesNotExist
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from eschool.classroom.models import Session
from eschool.core import timeutil
from eschool.live import player, selectors, services
from eschool.live.services import user_manages_recordings

register = template.Library()


@register.simple_tag
def replay_of(session):
    """{% replay_of session as replay %}: the session's replay or None."""
    return selectors.replay_of(session)


def _player_messages() -> dict:
    # The words player.js writes into the page, in the reader's language.
    return {
        "days": _("%(days)s days"),
        "soon": _("Starting soon: the teacher is about to go live."),
        "tapToPlay": _("Tap play to watch."),
        "reconnecting": _("Reconnecting to the broadcast…"),
    }


def _go_live_messages() -> dict:
    return {
        "noMedia": _(
            "This page cannot use a camera here: open it over HTTPS in a recent Chrome, "
            "Edge or Safari."
        ),
        "denied": _(
            "The camera or microphone was not allowed. Allow it in the browser and try again."
        ),
        "noScreen": _("This browser cannot share the screen."),
        "previewing": _("Preview is on. Press Start broadcast when ready."),
        "connecting": _("Connecting…"),
        "live": _("You are live."),
        "segments": _("You are live. %(count)s segments sent to students."),
        "reconnecting": _("The connection dropped. Reconnecting in %(seconds)s s…"),
        "stopping": _("Ending the broadcast…"),
        "ended": _("The broadcast has ended. The replay is ready."),
        "slow": _("Your connection is slow: students may see the broadcast late."),
        "pickSource": _("Choose what to broadcast and press Preview first."),
        "cameraDefault": _("Default camera"),
        "micDefault": _("Default microphone"),
        "replay": _("Open the replay"),
        "failed": _("Could not reach the broadcast server. Check the connection and try again."),
        "screenGone": _(
            "Screen sharing stopped, so the broadcast has ended. To go on, press Preview "
            "and Start broadcast again."
        ),
        "screenGonePreview": _("Screen sharing stopped. Press Preview to share it again."),
        "screenGoneCamera": _("Screen sharing stopped: students now see your camera."),
    }


@register.simple_tag(takes_context=True)
def live_player(context, session: Session):
    """{% live_player session as lp %}: what the session page's player shows to this visitor.

    Two or three queries: the broadcast, the replay, and the visitor's booking when the
    session has seats; it writes nothing (a page GET). The go-live panel (and the OBS stream
    key, once a broadcast exists: the panel's "show the stream key" POST makes one) only for
    those who manage the session.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None:
        return None
    at = timeutil.now()
    state = player.live_state(session, at=at)
    manages = user_manages_recordings(user, session)
    cancelled = session.status == Session.Status.CANCELLED
    view = state.status
    if view == player.ENDED:
        view = "replay" if state.replay_path else "over"
    # A cancelled session has no countdown, no chat and no live to come, for anyone; only a
    # replay it already has stays (for those who may watch it).
    if cancelled and view != "replay":
        return None
    refusal = player.watch_refusal(user, session, at=at)
    may_watch = not refusal
    result = {
        "view": view,
        "status": state.status,
        "may_watch": may_watch,
        "refusal": refusal,
        "manages": manages,
        "live_url": player.media_url(state.live_path) if may_watch else "",
        "replay_url": player.media_url(state.replay_path) if may_watch else "",
        "replay": state.replay,
        "cancelled": cancelled,
        # What "over" says: whether a replay is on its way (an upload being packaged), and
        # whether this visitor could still upload one.
        "replay_pending": view == "over" and player.replay_pending(session),
        "status_url": reverse("live:status", args=[session.pk]),
        "server_time": timeutil.local(at).isoformat(),
        "login_url": reverse("accounts:login") + "?next=" + request.get_full_path(),
        "messages": _player_messages(),
        "live_sync_segments": player.LIVE_SYNC_SEGMENTS,
        "go_live": None,
    }
    opens, closes = services.broadcast_window(session)
    if manages and not cancelled and at < closes:
        today = timeutil.local(at).date()
        result["go_live"] = {
            "ingest_path": f"/ws/live/{session.pk}/ingest/",
            "opens": _moment(opens, today),
            # The end's date only where it differs from the start's (shown, or today).
            "closes": _moment(closes, timeutil.local(opens).date() if opens > at else today),
            "stream_key": state.broadcast.stream_key if state.broadcast else "",
            "stream_key_url": reverse("live:stream_key", args=[session.pk]),
            "show_obs": request.GET.get("obs") == "1",
            "rtmp_url": getattr(settings, "ESCHOOL_RTMP_URL", "")
            or f"rtmp://{request.get_host().rsplit(':', 1)[0]}/live",
            "messages": _go_live_messages(),
        }
    return result


def _moment(moment, today) -> str:
    """A time for the go-live hint: with its date unless that is `today`."""
    local = timeutil.local(moment)
    return local.strftime("%H:%M" if local.date() == today else "%Y-%m-%d %H:%M")


@register.simple_tag(takes_context=True)
def include_if_present(context, name: str, **extra):
    """{% include_if_present "chat/_panel.html" key=value %}: include a part another app
    provides, or nothing while that app does not provide it (the parts of the live page are
    built apart)."""
    try:
        part = context.template.engine.get_template(name)
    except TemplateDoesNotExist as missing:
        if missing.args and missing.args[0] != name:
            raise  # the part is there but something it uses is not: show that error
        return ""
    with context.push(**extra):
        return part.render(context)


@register.simple_tag
def script_if_present(path: str):
    """A deferred <script> for a static file, or nothing while it does not exist."""
    if not finders.find(path):
        return ""
    return format_html('<script src="{}" defer></script>', static(path))
