"""Pages of the live room: the room itself, its photos, rating, transfer, report, transcript.

The conversation goes over the WebSocket (consumers.py); these views only parse input, check
access through room.py's helpers and call its services.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eschool.accounts.models import Teacher
from eschool.tutoring import room
from eschool.tutoring.models import RoomMessage


def _errors(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


def _question_photos(session):
    from eschool.tutoring.selectors import session_question

    question = session_question(session)
    if question is None:
        return None, []
    photos = [
        {
            "url": reverse("tutoring:question_photo", args=[photo.pk]),
            "width": photo.width,
            "height": photo.height,
        }
        for photo in question.photos.all()
    ]
    return question, photos


def _strings():
    # What the room's script shows, in the reader's language.
    return {
        "connecting": _("Connecting…"),
        "connected": _("Connected"),
        "reconnecting": _("Connection lost. Reconnecting…"),
        "sending": _("Sending…"),
        "not_sent": _("Not sent"),
        # The prefix of a refusal, with the language's own colon (Chinese: full width).
        "not_sent_because": _("Not sent: %(reason)s"),
        "typing_student": _("The student is typing…"),
        "typing_teacher": _("The teacher is typing…"),
        "ended": _("The session has ended."),
        "ended_by_student": _("The student ended the session."),
        "ended_by_teacher": _("The teacher ended the session."),
        "ended_at_closing": _("Tonight's tutoring has ended, and this session with it."),
        "transferred": _("The session moves to %(name)s."),
        "continued": _("Transferred from %(name)s. The conversation so far is above."),
        "started": _("The session has started."),
        "you": _("You"),
        "confirm_end": _("End the session now?"),
        "voice_incoming": _("Voice call: answer?"),
        "voice_on": _("Voice on"),
        "voice_off": _("Voice off"),
        "voice_unavailable": _("Voice is not available in this browser."),
        "photo": _("Photo"),
        "uploading": _("Sending photo…"),
    }


@login_required
def room_page(request, pk):
    session, role = room.session_get_for_room(user=request.user, session_id=pk)
    question, photos = _question_photos(session)
    earlier = [
        {"session": s, "transcript": room.transcript(s)} for s in room.sessions_before(session)
    ]
    transfer_to = room.teachers_to_transfer_to(session) if role == room.TEACHER else []
    background = photos[0]["url"] if photos else ""
    config = {
        "ws": f"/ws/tutoring/{session.pk}/",
        "role": role,
        "ended": session.ended_at is not None,
        "photoUrl": reverse("tutoring:room_photo", args=[session.pk]),
        "transcriptUrl": reverse("tutoring:transcript", args=[session.pk]),
        "csrf": get_token(request),
        "background": background,
        # STUN/TURN servers for voice (settings.ESCHOOL_ICE_SERVERS); none: only direct
        # connections, which work on one network but rarely across NATs.
        "iceServers": settings.ESCHOOL_ICE_SERVERS,
        "strings": _strings(),
    }
    return render(
        request,
        "tutoring/room.html",
        {
            "session": session,
            "role": role,
            "question": question,
            "photos": photos,
            "background": background,
            "room_config": config,
            "earlier": earlier,
            "transfer_to": transfer_to,
            "ended": session.ended_at is not None,
            "text_limit": room.TEXT_LIMIT,
        },
    )


@login_required
@require_POST
def room_photo(request, pk):
    """A photo sent in the room (multipart "photo" and "client_id"); JSON {seq} or {error}."""
    session, _role = room.session_get_for_room(user=request.user, session_id=pk)
    upload = request.FILES.get("photo")
    if upload is None:
        return JsonResponse({"error": _("Choose a photo.")}, status=400)
    try:
        appended = room.room_photo_post(
            session=session,
            author=request.user,
            upload=upload,
            client_id=request.POST.get("client_id") or None,
        )
    except ValidationError as error:
        return JsonResponse({"error": _errors(error)}, status=400)
    return JsonResponse({"seq": appended.message.seq, "client_id": appended.message.client_id})


@login_required
def room_photo_file(request, pk, seq):
    session = room.session_get_for_transcript(user=request.user, session_id=pk)
    message = get_object_or_404(RoomMessage, session=session, seq=seq, kind=RoomMessage.Kind.PHOTO)
    if not message.photo:
        raise Http404
    response = FileResponse(message.photo.open("rb"))
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def room_rate(request, pk):
    session, role = room.session_get_for_room(user=request.user, session_id=pk)
    if role != room.STUDENT:
        raise Http404
    if request.method == "POST":
        try:
            room.room_rate(
                actor=request.user,
                session=session,
                rating=request.POST.get("rating"),
                comment=request.POST.get("comment", ""),
            )
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            messages.success(request, _("Thank you for rating the session."))
            return redirect("tutoring:transcript", pk=session.pk)
    return render(request, "tutoring/room_rate.html", {"session": session})


@login_required
@require_POST
def room_end(request, pk):
    """Ending without JavaScript (the room's button uses the socket)."""
    session, _role = room.session_get_for_room(user=request.user, session_id=pk)
    room.room_end(actor=request.user, session=session)
    return redirect("tutoring:room", pk=session.pk)


@login_required
@require_POST
def room_transfer(request, pk):
    session, role = room.session_get_for_room(user=request.user, session_id=pk)
    if role != room.TEACHER:
        raise Http404
    to_teacher = room.teachers_to_transfer_to(session).filter(pk=request.POST.get("teacher"))
    try:
        target = to_teacher.get()
    except (Teacher.DoesNotExist, ValueError):
        messages.error(request, _("Choose a teacher on duty."))
        return redirect("tutoring:room", pk=session.pk)
    try:
        room.room_transfer(actor=request.user, session=session, to_teacher=target)
    except (ValidationError, PermissionDenied) as error:
        text = _errors(error) if isinstance(error, ValidationError) else _("Not allowed.")
        messages.error(request, text)
        return redirect("tutoring:room", pk=session.pk)
    messages.success(
        request, _("The session was transferred to %(name)s.") % {"name": target.user.name}
    )
    return redirect("tutoring:transcript", pk=session.pk)


@login_required
@require_POST
def room_report(request, pk):
    session, _role = room.session_get_for_room(user=request.user, session_id=pk)
    try:
        room.room_report(actor=request.user, session=session, reason=request.POST.get("reason"))
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("Thank you. The district's administrators have been told."))
    return redirect("tutoring:room", pk=session.pk)


@login_required
def transcript(request, pk):
    session = room.session_get_for_transcript(user=request.user, session_id=pk)
    question, photos = _question_photos(session)
    chain = [*room.sessions_before(session), session]
    parts = [
        {"session": s, "transcript": room.transcript(s), "board_id": f"board-{s.pk}"} for s in chain
    ]
    return render(
        request,
        "tutoring/room_transcript.html",
        {
            "session": session,
            "question": question,
            "photos": photos,
            "background": photos[0]["url"] if photos else "",
            "parts": parts,
            "role": room.room_role(session=session, user=request.user),
        },
    )
