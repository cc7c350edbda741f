"""Heartbeats, the viewer count, attendance pages and the spreadsheet."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from eschool.core import timeutil
from eschool.org.importing.export import content_disposition, write_xlsx
from eschool.watching import selectors, services

MAX_BODY_BYTES = 32 * 1024  # 100 heartbeats of ~120 bytes and a token fit many times over
HEARTBEAT_INTERVAL_S = 20
# A shared token is valid for TOKEN_MAX_AGE_S; a copy this old from a cache is as good.
SHARED_TOKEN_MAX_AGE = 60
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _refused(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse(
        {"error": message}, status=status, json_dumps_params={"ensure_ascii": False}
    )


# CSRF: exempt from the middleware's check, because navigator.sendBeacon (used when the page
# is hidden or closed) cannot set the X-CSRFToken header. Instead a batch proves it comes
# from our page in one of two ways:
# - {"token": ..., "beats": [...]}: the signed watch token the player fetched from
#   watch_token. Another site cannot read it (same-origin policy), so it does what a CSRF
#   token does; and it names the viewer, so no cookie is needed: watch-time.js sends
#   without credentials and the request costs no session or user query.
# - a plain list with the session cookie: then the usual CSRF check is made here, by hand.
@csrf_exempt
@require_POST
@never_cache
def heartbeats(request):
    """POST /watch/heartbeats: a batch of heartbeats; 202 {"accepted": n}, 400/403 {"error"}."""
    if len(request.body) > MAX_BODY_BYTES:
        return _refused(_("The batch is too large."))
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return _refused(_("The batch is not valid JSON."))
    try:
        if isinstance(data, dict) and "token" in data:
            if not isinstance(data["token"], str):
                raise services.HeartbeatRefused(_("The watch token must be a string."))
            try:
                viewer = services.watch_token_read(data["token"])
            except services.HeartbeatRefused as refusal:
                return _refused(refusal.message, status=403)
            if viewer.key == services.SHARED:  # a district event's token: who is in the cookie
                ours = services.from_our_pages(request.headers.get("Origin"), request.get_host())
                viewer = services.viewer_of_shared(
                    viewer, user=request.user if ours else None, visitor=data.get("visitor", "")
                )
            beats = data.get("beats")
        else:
            if not request.user.is_authenticated:
                return _refused(_("Log in, or reload the page to get a watch token."), 403)
            refusal = CsrfViewMiddleware(lambda _request: None).process_view(request, None, (), {})
            if refusal is not None:
                return refusal
            beats = data
            first = beats[0] if isinstance(beats, list) and beats else None
            session_id = first.get("session") if isinstance(first, dict) else None
            if not isinstance(session_id, int) or isinstance(session_id, bool):
                raise services.HeartbeatRefused(_("Each heartbeat needs its session's number."))
            session = selectors.session_get_for_watching(user=request.user, session_id=session_id)
            viewer = services.viewer_of_user(user=request.user, session=session)
        accepted = services.heartbeats_accept(viewer=viewer, data=beats)
    except services.HeartbeatRefused as refusal:
        return _refused(refusal.message)
    return JsonResponse({"accepted": accepted}, status=202)


@require_GET
def watch_token(request, pk: int):
    """GET /watch/sessions/<pk>/token.json?visitor=<id>: the player's token, for those who may watch.

    A district event everyone may watch has one token for all (`"shared": true`): the
    answer reads no user and may be kept by a CDN like the page. Otherwise the token
    names the viewer and is never cached.
    """
    if selectors.open_event(pk) is not None:
        response = JsonResponse(
            {
                "token": services.shared_token_issue(session_id=pk),
                "shared": True,
                "visitor": "",
                "interval": HEARTBEAT_INTERVAL_S,
            }
        )
        patch_cache_control(response, public=True, max_age=SHARED_TOKEN_MAX_AGE)
        return response
    response = _viewer_token(request, pk)
    add_never_cache_headers(response)
    return response


def _viewer_token(request, pk: int):
    session_id = selectors.session_id_for_watching(user=request.user, session_id=pk)
    token, visitor = services.watch_token_issue(
        user=request.user, session_id=session_id, visitor=request.GET.get("visitor", "")
    )
    return JsonResponse(
        {
            "token": token,
            "shared": False,
            "visitor": visitor if not request.user.is_authenticated else "",
            "interval": HEARTBEAT_INTERVAL_S,
        }
    )


@require_GET
@never_cache
def resume_json(request, pk: int):
    """GET /watch/sessions/<pk>/resume.json -> {"signed_in", "position", "seen_at"}.

    Where the logged-in viewer stopped in the replay (any device), for "Continue from";
    nulls for visitors, whose place is kept by their browser alone. Only one's own
    position, so nothing to refuse: an unknown session is simply nowhere.
    """
    point = selectors.resume_point(user=request.user, session_id=pk)
    return JsonResponse(
        {
            "signed_in": request.user.is_authenticated,
            "position": round(point.position, 1) if point else None,
            "seen_at": point.seen_ms if point else None,
        }
    )


@require_GET
@never_cache
def viewers_json(request, pk: int):
    """GET /watch/sessions/<pk>/viewers.json -> {"viewers": N}; 404 unless one manages the session."""
    session = selectors.session_get_for_viewer_count(user=request.user, session_id=pk)
    return JsonResponse({"viewers": services.viewer_count(session=session)})


@require_GET
@never_cache
def viewers_fragment(request, pk: int):
    """The viewer count as the htmx fragment that replaces itself every 10 s."""
    session = selectors.session_get_for_viewer_count(user=request.user, session_id=pk)
    return render(
        request,
        "watching/_viewer_count.html",
        {"session": session, "viewers": services.viewer_count(session=session)},
    )


@require_GET
@login_required
def attendance(request, pk: int):
    session = selectors.session_get_for_attendance(user=request.user, session_id=pk)
    return render(
        request,
        "watching/attendance.html",
        {"session": session, "attendance": selectors.attendance_of(session=session)},
    )


@require_GET
@login_required
def attendance_xlsx(request, pk: int):
    session = selectors.session_get_for_attendance(user=request.user, session_id=pk)
    report = selectors.attendance_of(session=session)
    headers = [
        _("Learner"),
        _("Login number"),
        _("School"),
        _("Homeroom"),
        _("Booked"),
        _("Live minutes"),
        _("Replay minutes"),
    ]
    rows = [
        [
            line.name,
            line.username,
            line.school,
            line.homeroom,
            _("yes") if line.booked else _("no"),
            line.live_minutes,
            line.replay_minutes,
        ]
        for line in report.everyone
    ]
    day = timeutil.local(session.starts_at).date().isoformat()
    response = HttpResponse(write_xlsx(headers, rows, title=_("Attendance")), content_type=XLSX)
    response["Content-Disposition"] = content_disposition(
        f"attendance-{session.pk}-{day}.xlsx", f"{_('Attendance')}-{session.title}-{day}.xlsx"
    )
    return response


@require_GET
@login_required
def attendance_list(request):
    """The sessions of the last two weeks whose attendance the user may see."""
    return render(
        request,
        "watching/attendance_list.html",
        {"sessions": selectors.sessions_for_attendance(user=request.user)},
    )


@require_GET
@login_required
def my_history(request):
    learner = selectors.learner_get_for_history(user=request.user)
    return render(
        request,
        "watching/history.html",
        {"learner": learner, "lines": selectors.history_of(learner=learner), "child": None},
    )


@require_GET
@login_required
def child_history(request, student_id: int):
    learner = selectors.learner_get_for_history(user=request.user, student_id=student_id)
    return render(
        request,
        "watching/history.html",
        {"learner": learner, "lines": selectors.history_of(learner=learner), "child": learner},
    )
