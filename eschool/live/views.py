"""The live page's JSON: a session's broadcast state, polled by every viewer's page."""

from django.http import JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from eschool.core import timeutil
from eschool.live import player


@require_safe
def status_json(request, pk: int):
    """GET /live/sessions/<pk>/status.json: waiting, live or ended, and the playlist to play.

    The same answer for everyone (it reads no user, so a CDN may serve it): one cached value
    per session plus the server's clock, which the page's countdown uses instead of the
    phone's.
    """
    document = player.status_document(pk)
    if document is None:
        response = JsonResponse({"error": "not found"}, status=404)
    else:
        response = JsonResponse(
            {**document, "server_time": timeutil.local(timeutil.now()).isoformat()},
            json_dumps_params={"ensure_ascii": False},
        )
    patch_cache_control(response, public=True, max_age=player.STATUS_MAX_AGE)
    return response
