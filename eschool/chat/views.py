"""The chat as JSON: the kept chat beside the replay, and a district event's recent chat."""

from django.http import Http404, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from eschool.chat import selectors, services
from eschool.classroom.models import Session
from eschool.watching.selectors import open_event

# The kept chat of a replay changes only when a moderator hides a message.
REPLAY_MAX_AGE = 30


@require_GET
def messages_json(request, pk: int):
    session = selectors.session_for_chat(pk, user=request.user)
    if session is None:
        raise Http404(_("No such session."))
    response = JsonResponse(
        {"session": session.pk, "messages": selectors.messages_for_replay(session)},
        json_dumps_params={"ensure_ascii": False},
    )
    if selectors.readable_by_everyone(session):
        # The same for every visitor: a CDN may keep it briefly while thousands open a replay.
        patch_cache_control(response, public=True, max_age=REPLAY_MAX_AGE)
    else:
        patch_cache_control(response, private=True, max_age=10)
    return response


@require_GET
def recent_json(request, pk: int):
    """GET /chat/sessions/<pk>/recent.json: a district event's chat as its viewers poll it.

    {"session", "as_of", "messages": [...]}, the newest messages oldest first. For an
    event everyone may watch, the answer reads no user and is public for RECENT_MAX_AGE
    seconds, so nginx or a CDN answers nearly every poll; otherwise it is checked for the
    visitor and private. 404 for what is not a district event the visitor may read.
    """
    if open_event(pk) is not None:
        response = HttpResponse(selectors.recent_messages_body(pk), content_type="application/json")
        patch_cache_control(response, public=True, max_age=selectors.RECENT_MAX_AGE)
        return response
    session = selectors.session_for_chat(pk, user=request.user)
    if session is None or session.kind != Session.Kind.EVENT:
        raise Http404(_("No such session."))
    response = HttpResponse(selectors.recent_messages_body(pk), content_type="application/json")
    patch_cache_control(response, private=True, max_age=selectors.RECENT_MAX_AGE)
    return response


@require_POST
def message_hide(request, pk: int, message_id: int):
    """POST /chat/sessions/<pk>/messages/<id>/hide: the teacher or a district administrator
    hides a kept message from beside the replay (while live, the socket does it). 404 for
    anyone else, as for a message that does not exist."""
    session = selectors.session_for_chat(pk, user=request.user)
    message = selectors.message_get(pk, message_id) if session is not None else None
    if message is None or not selectors.user_moderates(request.user, session):
        raise Http404(_("No such session."))
    services.message_hide(actor=request.user, message=message)
    return JsonResponse({"hidden": message.pk})
