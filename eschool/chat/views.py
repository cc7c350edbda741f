"""The kept chat of a session as JSON, for showing beside the replay."""

from django.http import Http404, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from eschool.chat import selectors


@require_GET
def messages_json(request, pk: int):
    session = selectors.session_for_chat(pk, user=request.user)
    if session is None:
        raise Http404(_("No such session."))
    response = JsonResponse(
        {"session": session.pk, "messages": selectors.messages_for_replay(session)},
        json_dumps_params={"ensure_ascii": False},
    )
    if request.user.is_authenticated:
        patch_cache_control(response, private=True, max_age=10)
    else:
        # The same for every visitor: a CDN may keep it briefly while thousands open a replay.
        patch_cache_control(response, public=True, max_age=30)
    return response
