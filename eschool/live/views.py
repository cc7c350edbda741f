"""The live page's JSON (a session's broadcast state, polled by every viewer's page) and the
go-live panel's one form (the OBS stream key)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_POST, require_safe

from eschool.classroom.models import Session
from eschool.classroom.selectors import session_get_for_user
from eschool.core import timeutil
from eschool.live import player, services


@require_safe
def status_json(request, pk: int):
    """GET /live/sessions/<pk>/status.json: waiting, live or ended, and the playlist to play.

    For a session the public may see, the same answer for everyone (it reads no user, so a
    CDN may serve it): one cached value per session plus the server's clock, which the
    page's countdown uses instead of the phone's. Whoever else may see the session's page
    (its teacher, administrators, before the day is published) gets the same document built
    for them, kept by no shared cache.
    """
    document = player.status_document(pk)
    public = document is not None
    if not public and (session := session_get_for_user(pk, user=request.user)) is not None:
        document = player.status_of(session)
    if document is None:
        response = JsonResponse({"error": "not found"}, status=404)
    else:
        response = JsonResponse(
            {**document, "server_time": timeutil.local(timeutil.now()).isoformat()},
            json_dumps_params={"ensure_ascii": False},
        )
    if public:
        patch_cache_control(response, public=True, max_age=player.STATUS_MAX_AGE)
    else:
        # The answer depends on who asks (a 404 to the public, a document to the teacher): a
        # shared cache must not hand one to the other.
        patch_cache_control(response, private=True, max_age=player.STATUS_MAX_AGE)
    return response


@login_required
@require_POST
def stream_key(request, pk: int):
    """POST /live/sessions/<pk>/stream-key/: make the session's broadcast (and its OBS stream
    key) if there is none yet, then back to the session page with the key shown. The page
    itself only reads (a GET writes nothing). The session's teacher or a district admin."""
    session = Session.objects.filter(pk=pk).first()
    if session is None:
        raise Http404
    if not services.user_manages_recordings(request.user, session):
        raise PermissionDenied
    services.broadcast_of(session)
    return redirect(reverse("classroom:session", args=[pk]) + "?obs=1#go-live-obs")
