"""The live 1-on-1 room of a tutoring session: its messages, their order, and who may see them.

Every message (text, photo, whiteboard stroke, undo, clear, the room's own notices) is a
RoomMessage numbered 1, 2, 3… per session. `append_message` is the only way one is written;
it takes the next number under a lock on the session row (PostgreSQL) or inside SQLite's
IMMEDIATE write transaction, so two senders at once never get the same number and none is
skipped, and it announces the message to the room's channel-layer group after commit.
A message carries the sender's `client_id`: sent again (after a dropped connection) it is
stored once and the caller gets the first copy back.

The wire format of the room is described in consumers.py.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from eschool.accounts.models import Guardianship, Role
from eschool.core import timeutil
from eschool.core.uploads import bounded_image
from eschool.safety.ratelimit import allow
from eschool.tutoring.models import RoomMessage, TutoringSession
from eschool.tutoring.services import matching
from eschool.tutoring.services.window import window_at, window_of_day
from eschool.tutoring.texts import clean_text

Kind = RoomMessage.Kind

TEXT_LIMIT = 1000  # characters in one chat message
CLIENT_ID_LIMIT = 64
STROKE_POINTS_LIMIT = 2000
REPLAY_BATCH = 500
PHOTO_MAX_SIDE = 1600
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")

STUDENT = "student"
TEACHER = "teacher"
SYSTEM = "system"


def group_name(session_id: int) -> str:
    return f"tutoring-room-{session_id}"


class RoomClosed(ValidationError):
    """The session has ended: nothing more may be said in its room."""


# --- access ---------------------------------------------------------------------------


def room_role(*, session: TutoringSession, user) -> str | None:
    """ "student" or "teacher" when `user` is in this session's room, else None."""
    if not user.is_authenticated:
        return None
    if user.pk == session.student_id:
        return STUDENT
    if user.pk == session.teacher_id:  # Teacher's primary key is its user's
        return TEACHER
    return None


def session_get_for_room(*, user, session_id) -> tuple[TutoringSession, str]:
    """The session and `user`'s side in it (student or teacher), else Http404."""
    try:
        session = TutoringSession.objects.select_related("teacher__user", "student").get(
            pk=session_id
        )
    except (TutoringSession.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    role = room_role(session=session, user=user)
    if role is None:
        raise Http404
    return session, role


def _sessions_after_transfers(session: TutoringSession) -> list[int]:
    """The ids of the sessions this one was transferred to, and theirs, in order."""
    ids, current = [], session.pk
    while True:
        following = list(
            TutoringSession.objects.filter(transferred_from_id=current).values_list("pk", flat=True)
        )
        if not following or following[0] in ids:
            return ids
        current = following[0]
        ids.append(current)


def may_read_transcript(*, user, session: TutoringSession) -> bool:
    """The student, the student's guardians, the teacher (and the teachers it was transferred
    to, who carry on from its history) and district administrators."""
    if not user.is_authenticated:
        return False
    if user.role == Role.DISTRICT_ADMIN or user.pk in (session.student_id, session.teacher_id):
        return True
    if Guardianship.objects.filter(guardian=user, student_id=session.student_id).exists():
        return True
    later = _sessions_after_transfers(session)
    return TutoringSession.objects.filter(pk__in=later, teacher_id=user.pk).exists()


def session_get_for_transcript(*, user, session_id) -> TutoringSession:
    try:
        session = TutoringSession.objects.select_related(
            "teacher__user", "student", "question__subject", "question__grade"
        ).get(pk=session_id)
    except (TutoringSession.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not may_read_transcript(user=user, session=session):
        raise Http404
    return session


def sessions_before(session: TutoringSession) -> list[TutoringSession]:
    """The sessions this one continues (after transfers), oldest first."""
    chain, current = [], session
    while current.transferred_from_id and len(chain) < 20:
        current = TutoringSession.objects.select_related("teacher__user").get(
            pk=current.transferred_from_id
        )
        chain.append(current)
    return list(reversed(chain))


# --- how much may be said -------------------------------------------------------------------

# A person may send this many chat messages and photos in this many seconds, and this many
# strokes (a fast drawer makes one or two a second).
TEXT_RATE = (20, 30)
STROKE_RATE = (120, 30)


# --- validation of what a client sends -----------------------------------------------------


def _fraction(value, *, low=0.0, high=1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError
    if not low <= value <= high:
        raise ValueError
    return round(float(value), 4)


def clean_stroke(body, *, points_limit: int = STROKE_POINTS_LIMIT) -> dict:
    """A whiteboard stroke (or a live piece of one) with only the fields and ranges the
    boards draw, or ValidationError."""
    try:
        if not isinstance(body, dict):
            raise TypeError
        stroke_id = body["id"]
        if not isinstance(stroke_id, str) or not 0 < len(stroke_id) <= CLIENT_ID_LIMIT:
            raise ValueError
        color = body.get("color", "#000000")
        if not isinstance(color, str) or not COLOR.match(color):
            raise ValueError
        points = body["points"]
        if not isinstance(points, list) or not 0 < len(points) <= points_limit:
            raise ValueError
        points = [[_fraction(p[0]), _fraction(p[1])] for p in points if len(p) == 2]
        if not points:
            raise ValueError
        return {
            "id": stroke_id,
            "color": color.lower(),
            "width": _fraction(body.get("width", 0.006), low=0.0005, high=0.2),
            "erase": bool(body.get("erase", False)),
            "points": points,
        }
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        raise ValidationError(_("This drawing could not be read."), code="bad_stroke") from None


def _clean_body(kind: str, body) -> dict:
    if not isinstance(body, dict):
        body = {}
    if kind == Kind.TEXT:
        text = body.get("text")
        text = text.strip() if isinstance(text, str) else ""
        if not text:
            raise ValidationError(_("The message is empty."), code="empty")
        if len(text) > TEXT_LIMIT:
            raise ValidationError(
                _("The message is too long: at most %(limit)s characters.") % {"limit": TEXT_LIMIT},
                code="too_long",
            )
        return {"text": clean_text(text)}
    if kind == Kind.STROKE:
        return clean_stroke(body)
    if kind == Kind.UNDO:
        stroke = body.get("stroke")
        if not isinstance(stroke, str) or not 0 < len(stroke) <= CLIENT_ID_LIMIT:
            raise ValidationError(_("This drawing could not be read."), code="bad_stroke")
        return {"stroke": stroke}
    if kind == Kind.CLEAR:
        return {}
    raise ValidationError(_("This kind of message cannot be sent here."), code="bad_kind")


def _clean_client_id(client_id) -> str:
    if client_id is None:
        return ""
    if not isinstance(client_id, str) or len(client_id) > CLIENT_ID_LIMIT:
        raise ValidationError(_("This message could not be read."), code="bad_client_id")
    return client_id


# --- writing -------------------------------------------------------------------------------


def author_role(message: RoomMessage, session: TutoringSession) -> str:
    if message.author_id is None:
        return SYSTEM
    return STUDENT if message.author_id == session.student_id else TEACHER


def message_payload(message: RoomMessage, session: TutoringSession) -> dict:
    """What the room's clients receive for `message` (see consumers.py)."""
    body = dict(message.body)
    if message.kind == Kind.PHOTO:
        body["url"] = reverse("tutoring:room_photo_file", args=[session.pk, message.seq])
    if message.kind == Kind.SYSTEM and body.get("event") == "transferred" and body.get("session"):
        body["url"] = reverse("tutoring:room", args=[body["session"]])
    author = message.author
    return {
        "type": "message",
        "seq": message.seq,
        "client_id": message.client_id,
        "author": author_role(message, session),
        "author_name": author.name if author is not None else "",
        "kind": message.kind,
        "body": body,
        "at": timeutil.local(message.created_at).isoformat(timespec="seconds"),
    }


def _announce(session: TutoringSession, message: RoomMessage) -> None:
    payload = message_payload(message, session)
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(
        group_name(session.pk), {"type": "room.message", "message": payload}
    )


def _existing(session, author, client_id) -> RoomMessage | None:
    if not client_id:
        return None
    return (
        RoomMessage.objects.select_related("author")
        .filter(session=session, author=author, client_id=client_id)
        .first()
    )


@dataclass(frozen=True)
class Appended:
    message: RoomMessage
    created: bool  # False when this client id was stored before


def append_message(
    *, session: TutoringSession, author, kind: str, body=None, client_id=None, photo=None
) -> Appended:
    """Store a message in the room with the session's next number and announce it after commit.

    `author` None is the room itself (notices). Raises ValidationError for what may not be
    stored (RoomClosed once the session has ended, except for notices). A `client_id` this
    author used before in this session returns the message stored then, unchanged.
    """
    client_id = _clean_client_id(client_id)
    if kind == Kind.SYSTEM:
        if author is not None:
            raise ValidationError(_("This kind of message cannot be sent here."), code="bad_kind")
        body = dict(body or {})
    elif kind == Kind.PHOTO:
        if photo is None:
            raise ValidationError(_("Choose a photo."), code="empty")
        body = dict(body or {})
    else:
        body = _clean_body(kind, body)

    earlier = _existing(session, author, client_id)
    if earlier is not None:
        return Appended(earlier, False)
    if author is not None:
        drawing = kind in (Kind.STROKE, Kind.UNDO, Kind.CLEAR)
        limit, per_seconds = STROKE_RATE if drawing else TEXT_RATE
        action = "tutoring-room-draw" if drawing else "tutoring-room-say"
        if not allow(author.pk, action, limit, per_seconds):
            raise ValidationError(
                _("You are sending too fast. Wait a moment, then send again."),
                code="rate_limited",
            )
    try:
        with transaction.atomic():
            # The lock makes appends to one session queue on PostgreSQL; SQLite's IMMEDIATE
            # transaction already holds the database's write lock from BEGIN.
            locked = TutoringSession.objects.select_for_update().get(pk=session.pk)
            if locked.ended_at is not None and kind != Kind.SYSTEM:
                raise RoomClosed(_("This session has ended."), code="ended")
            earlier = _existing(session, author, client_id)
            if earlier is not None:
                return Appended(earlier, False)
            last = RoomMessage.objects.filter(session=session).aggregate(last=Max("seq"))["last"]
            message = RoomMessage(
                session=locked,
                seq=(last or 0) + 1,
                author=author,
                client_id=client_id,
                kind=kind,
                body=body,
                created_at=timeutil.now(),
            )
            if photo is not None:
                message.photo.save(photo.name, photo, save=False)
            message.save()
            transaction.on_commit(lambda: _announce(locked, message))
    except IntegrityError:
        # Only a twin of this very client id can get here (the lock orders everything else).
        earlier = _existing(session, author, client_id)
        if earlier is None:
            raise
        return Appended(earlier, False)
    return Appended(message, True)


def messages_after(session: TutoringSession, seq: int, *, limit: int | None = None):
    """The session's messages numbered above `seq`, in order (at most `limit`)."""
    messages = (
        RoomMessage.objects.filter(session=session, seq__gt=seq)
        .select_related("author")
        .order_by("seq")
    )
    return list(messages[:limit] if limit else messages)


def room_photo_post(*, session: TutoringSession, author, upload, client_id=None) -> Appended:
    """A photo sent in the room: type checked from its content, re-encoded without EXIF
    (camera location included) and at most PHOTO_MAX_SIDE pixels on its longest side."""
    if room_role(session=session, user=author) is None:
        raise Http404
    earlier = _existing(session, author, _clean_client_id(client_id))
    if earlier is not None:
        return Appended(earlier, False)
    image = bounded_image(upload, max_side=PHOTO_MAX_SIDE, name="photo")
    from PIL import Image

    with Image.open(image) as probe:
        size = {"width": probe.width, "height": probe.height}
    image.seek(0)
    return append_message(
        session=session,
        author=author,
        kind=Kind.PHOTO,
        body=size,
        client_id=client_id,
        photo=image,
    )


# --- the session's course: end, transfer, report ------------------------------------------------


def session_started(session: TutoringSession) -> None:
    """Called by matching after a session is created and committed: the room's first notice."""
    append_message(session=session, author=None, kind=Kind.SYSTEM, body={"event": "started"})


def room_end(*, actor, session: TutoringSession) -> TutoringSession:
    """Either side ends the session; both sides (now or on their return) learn it in the room.

    The end and its notice are one transaction; what waits is offered after it commits, so
    a failure while offering cannot undo the end. Ending an ended session changes nothing.
    """
    role = room_role(session=session, user=actor)
    if role is None:
        raise Http404
    with transaction.atomic():
        locked = TutoringSession.objects.select_for_update().get(pk=session.pk)
        if locked.ended_at is not None:
            return locked
        matching.session_end_writes(actor=actor, session=locked, at=timeutil.now())
        append_message(
            session=locked, author=None, kind=Kind.SYSTEM, body={"event": "ended", "by": role}
        )
        matching.dispatch_on_commit()
    locked.refresh_from_db()
    return locked


def room_rate(*, actor, session: TutoringSession, rating, comment: str = "") -> TutoringSession:
    """The student rates the ended session (1–5 and a comment)."""
    if room_role(session=session, user=actor) != STUDENT:
        raise Http404
    matching.session_rate(actor=actor, session=session, rating=rating, comment=comment)
    session.refresh_from_db()
    return session


def room_transfer(*, actor, session: TutoringSession, to_teacher) -> TutoringSession:
    """The teacher hands the session to another teacher on duty, who sees its history.

    The room tells the student where the session goes on (the new room's address). The
    transfer and both notices are one transaction; what waits is offered after it commits.
    """
    if room_role(session=session, user=actor) != TEACHER:
        raise Http404
    with transaction.atomic():
        new = matching.session_transfer_writes(
            actor=actor, session=session, to_teacher=to_teacher, at=timeutil.now()
        )
        append_message(
            session=session,
            author=None,
            kind=Kind.SYSTEM,
            body={"event": "transferred", "session": new.pk, "to": to_teacher.user.name},
        )
        append_message(
            session=new,
            author=None,
            kind=Kind.SYSTEM,
            body={"event": "continued", "from": actor.name, "session": session.pk},
        )
        matching.dispatch_on_commit()
    session.refresh_from_db()
    return new


# The notice of a session closed by the end of the evening says "by": this.
CLOSED_AT_WINDOW_END = "closing"


def _counted_until(session: TutoringSession, at: dt.datetime) -> dt.datetime:
    """When a session nobody ended counts as over: at its last message or stroke (its start
    when nothing was said), and never after the end of the window it started in."""
    window = window_of_day(timeutil.today(session.started_at))
    end = at
    if window is not None and window.closes_at > session.started_at:
        end = min(at, window.closes_at)
    last = RoomMessage.objects.filter(session=session, author__isnull=False).aggregate(
        last=Max("created_at")
    )["last"]
    return max(session.started_at, min(last or session.started_at, end))


def sessions_close_after_window(at: dt.datetime | None = None) -> int:
    """Periodic: close the sessions nobody ended once the evening's window has closed (and,
    while a window is open, any left from before it opened). The room says so, the question
    is closed and the student asked to rate it, as when a side ends it; the minutes count
    to the last activity in the room (see _counted_until). Returns how many were closed."""
    at = at or timeutil.now()
    window = window_at(at)
    left = TutoringSession.objects.filter(ended_at__isnull=True, started_at__lte=at)
    if window is not None:
        left = left.filter(started_at__lt=window.opens_at)
    closed = 0
    for session_id in left.values_list("pk", flat=True):
        with transaction.atomic():
            locked = TutoringSession.objects.select_for_update().get(pk=session_id)
            ended = matching.session_end_writes(
                actor=None, session=locked, at=at, ended_at=_counted_until(locked, at)
            )
            if ended:
                append_message(
                    session=locked,
                    author=None,
                    kind=Kind.SYSTEM,
                    body={"event": "ended", "by": CLOSED_AT_WINDOW_END},
                )
                matching.dispatch_on_commit()
                closed += 1
    return closed


REPORT_LIMIT = 500


def room_report(*, actor, session: TutoringSession, reason: str) -> int:
    """A side reports a problem: every district administrator is notified with a link to the
    transcript. Returns how many were notified (0 when this side reported it already)."""
    from eschool.accounts.models import User
    from eschool.homeschool.services import notification_send

    role = room_role(session=session, user=actor)
    if role is None:
        raise Http404
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say what the problem is."), code="empty")
    if len(reason) > REPORT_LIMIT:
        raise ValidationError(
            _("The message is too long: at most %(limit)s characters.") % {"limit": REPORT_LIMIT},
            code="too_long",
        )
    admins = User.objects.filter(role=Role.DISTRICT_ADMIN, is_active=True)
    sent = 0
    with transaction.atomic():
        for admin in admins:
            sent += notification_send(
                user=admin,
                key=f"tutoring:report:{session.pk}:{actor.pk}",
                title=gettext_noop("Problem reported in a tutoring session: %(name)s"),
                body=gettext_noop("%(reason)s"),
                url=reverse("tutoring:transcript", args=[session.pk]),
                params={"name": actor.name, "reason": reason},
            )
    return sent


def transcript(session: TutoringSession) -> dict:
    """The session's conversation for review: texts and photos in order, the final board."""
    messages = messages_after(session, 0)
    chat, strokes = [], []
    for message in messages:
        if message.kind in (Kind.TEXT, Kind.PHOTO, Kind.SYSTEM):
            chat.append(message_payload(message, session))
        elif message.kind == Kind.STROKE:
            strokes.append((author_role(message, session), message.body))
        elif message.kind == Kind.UNDO:
            key = (author_role(message, session), message.body.get("stroke"))
            strokes = [s for s in strokes if (s[0], s[1].get("id")) != key]
        elif message.kind == Kind.CLEAR:
            strokes = []
    return {
        "messages": chat,
        "board": [{"key": f"{role}:{body['id']}", "stroke": body} for role, body in strokes],
    }


def teachers_to_transfer_to(session: TutoringSession):
    """Teachers on duty now, other than this session's, for the transfer form."""
    from eschool.accounts.models import Teacher

    today = timeutil.today()
    return (
        Teacher.objects.filter(
            tutoring_shifts__day=today,
            tutoring_shifts__clocked_in_at__isnull=False,
            tutoring_shifts__clocked_out_at__isnull=True,
        )
        .exclude(pk=session.teacher_id)
        .select_related("user")
        .order_by("user__name")
        .distinct()
    )
