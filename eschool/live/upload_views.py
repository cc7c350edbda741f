"""Uploading a recorded lesson: the page, the resumable chunks, the packaging progress."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from eschool.classroom.models import Session
from eschool.live import chunked, selectors, services
from eschool.live.models import Recording

CHUNK_BYTES = 8 * 1024 * 1024  # what the page sends at a time


def _json(data: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


def _refused(refusal: chunked.UploadRefused) -> JsonResponse:
    return _json({"error": refusal.message, "offset": refusal.offset}, status=refusal.status)


def _managed_session(request, pk: int) -> Session:
    session = Session.objects.filter(pk=pk).first()
    if session is None:
        raise Http404(_("No such session."))
    if not services.user_manages_recordings(request.user, session):
        raise PermissionDenied
    return session


def _progress_json(recording: Recording) -> dict:
    return {
        "id": recording.pk,
        "status": recording.status,
        "progress": round(recording.progress, 3),
        "error": recording.error_message,
        "replay_url": reverse("classroom:session", args=[recording.session_id])
        if recording.status == Recording.Status.READY
        else None,
    }


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def upload_page(request, pk: int):
    """The upload page; without JavaScript the form posts the whole file at once."""
    session = _managed_session(request, pk)
    if request.method == "POST":
        uploaded = request.FILES.get("file")
        refusal = (
            chunked.refusal_of_name_and_size(uploaded.name or "", uploaded.size)
            if uploaded
            else _("Choose a video file to upload.")
        )
        if refusal:
            messages.error(request, refusal)
        else:
            services.recording_upload(actor=request.user, session=session, uploaded_file=uploaded)
            messages.success(request, _("The recording is uploaded. The replay is being prepared."))
        return redirect("replays:upload", pk=session.pk)
    recordings = list(session.recordings.order_by("-created_at", "-pk")[:10])
    return render(
        request,
        "live/upload.html",
        {
            "session": session,
            "recordings": recordings,
            "replay": selectors.replay_of(session),
            "max_bytes": settings.ESCHOOL_MAX_VIDEO_BYTES,
            "chunk_bytes": CHUNK_BYTES,
            "suffixes": ",".join(chunked.VIDEO_SUFFIXES),
        },
    )


@require_POST
def upload_start(request, pk: int):
    """{"name", "size", "last_modified"} -> 201 {"id", "offset": 0, "size", "url"}."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    session = _managed_session(request, pk)
    try:
        data = json.loads(request.body or b"{}")
        name, size = str(data["name"]), int(data["size"])
        last_modified = data.get("last_modified")
        last_modified = int(last_modified) if last_modified is not None else None
    except (ValueError, KeyError, TypeError):
        return _json({"error": _("The upload request is not valid.")}, status=400)
    try:
        upload = chunked.upload_start(
            actor=request.user,
            session=session,
            name=name,
            size=size,
            last_modified=last_modified,
        )
    except chunked.UploadRefused as refusal:
        return _refused(refusal)
    url = reverse("replays:upload_chunks", args=[upload.id])
    return _json(upload.as_json() | {"url": url}, status=201)


@require_http_methods(["GET", "PUT", "DELETE"])
def upload_chunks(request, upload_id: str):
    """GET: how much the server has. PUT ?offset=N: the next piece. DELETE: give up."""
    upload = chunked.upload_get(upload_id, actor=request.user)
    if upload is None:
        return _json({"error": _("This upload has expired. Please start again.")}, status=404)
    if request.method == "DELETE":
        chunked.upload_discard(upload)
        return _json({"id": upload.id, "offset": 0})
    if request.method == "PUT":
        try:
            offset = int(request.GET.get("offset", ""))
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _json({"error": _("The upload request is not valid.")}, status=400)
        try:
            # Read from the request stream (request.body would refuse more than 5 MB).
            chunked.upload_append(
                upload, actor=request.user, offset=offset, stream=request, length=length
            )
        except chunked.UploadRefused as refusal:
            return _refused(refusal)
    answer = upload.as_json()
    if upload.recording_id is not None:
        answer["progress_url"] = reverse("replays:progress", args=[upload.recording_id])
    return _json(answer)


@login_required
def recording_progress(request, pk: int):
    """The packaging's progress, polled by the upload page until the replay is ready."""
    recording = Recording.objects.select_related("session").filter(pk=pk).first()
    if recording is None:
        raise Http404(_("No such recording."))
    if not services.user_manages_recordings(request.user, recording.session):
        raise PermissionDenied
    return _json(_progress_json(recording))


@login_required
@require_POST
def make_replay(request, pk: int):
    """The 本课的录像 table's "make this the replay": students see this recording next."""
    recording = Recording.objects.select_related("session").filter(pk=pk).first()
    if recording is None:
        raise Http404(_("No such recording."))
    try:
        services.recording_make_replay(actor=request.user, recording=recording)
    except ValidationError as refusal:
        messages.error(request, refusal.messages[0])
    else:
        messages.success(
            request,
            _("Students now see %(recording)s as this session's replay.")
            % {"recording": recording.source_name or recording.get_kind_display()},
        )
    return redirect("replays:upload", pk=recording.session_id)
