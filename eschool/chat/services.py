"""Chat writes: posting, hiding, pinning, marking answered, muting. The only write path.

Every change is announced to the session's channel-layer group after commit, so no client
sees a message that was rolled back. Within one session messages commit in id order (see
_one_writer_per_session), which is what lets a client resume from the last id it saw.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from eschool.chat import selectors
from eschool.chat.models import Message, Mute
from eschool.classroom.models import Session
from eschool.classroom.selectors import user_manages_timetable
from eschool.core import timeutil
from eschool.safety.ratelimit import allow
from eschool.safety.services import filter_text, mask_contacts

# Lock namespace for pg_advisory_xact_lock ("CHAT").
_LOCK_NAMESPACE = 0x43484154
MUTE_MINUTES_AT_MOST = 7 * 24 * 60


class ChatRefused(Exception):
    """The chat cannot do this; `message` says why in the user's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def group_name(session_id: int) -> str:
    return f"chat.session.{session_id}"


def _send(session_id: int, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "chat.event", "event": event}
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(layer.group_send)(group_name(session_id), message)
    else:  # called from a thread that runs an event loop (never from a consumer's thread)
        loop.create_task(layer.group_send(group_name(session_id), message))


def _announce(session_id: int, event: dict) -> None:
    transaction.on_commit(lambda: _send(session_id, event))


def _one_writer_per_session(session_id: int) -> None:
    # Ids come from one sequence, so two messages of a session written at once could
    # commit out of id order and a client resuming "after" the later one would miss the
    # other. PostgreSQL: a per-session lock held to commit. SQLite: transactions already
    # take the write lock at BEGIN (settings: transaction_mode IMMEDIATE).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, session_id])


def message_post(
    *, author, session: Session, text: str, kind: str = Message.Kind.CHAT, client_id: str = ""
) -> Message:
    """Store a chat message or question as shown (sensitive words and contacts masked).

    A message re-sent with the same `client_id` by the same author is stored once: the
    stored one is returned. Refused (ChatRefused) when empty, too long, unknown kind, the
    author is muted, or writes faster than settings.ESCHOOL_CHAT_RATE_LIMITS allow.
    """
    if not selectors.user_may_post(author, session):
        raise PermissionDenied
    client_id = (client_id or "")[:64]
    if client_id:
        earlier = Message.objects.filter(author=author, client_id=client_id).first()
        if earlier is not None:
            return earlier
    if kind not in Message.Kind.values:
        raise ChatRefused(_("Choose chat or question."))
    text = (text or "").strip()
    if not text:
        raise ChatRefused(_("Write something first."))
    if len(text) > selectors.max_length():
        raise ChatRefused(
            _("A message is at most %(max)s characters; yours has %(length)s.")
            % {"max": selectors.max_length(), "length": len(text)}
        )
    now = timeutil.now()
    mute = selectors.active_mute(author, session, at=now)
    if mute is not None:
        raise ChatRefused(_muted_message(mute.until, now))
    for limit, seconds in settings.ESCHOOL_CHAT_RATE_LIMITS:
        if not allow(author.pk, "chat", limit, seconds):
            raise ChatRefused(_("You are writing too fast. Wait a few seconds, then send again."))
    shown, _hits = filter_text(text)
    shown = mask_contacts(shown)
    try:
        with transaction.atomic():
            _one_writer_per_session(session.pk)
            message = Message.objects.create(
                session=session,
                author=author,
                kind=kind,
                text=shown,
                client_id=client_id,
                created_at=now,
                offset_seconds=selectors.broadcast_offset(session, now),
            )
            event = {
                "type": "message",
                "message": selectors.message_as_json(message, teacher_id=session.teacher_id),
            }
            _announce(session.pk, event)
    except IntegrityError:
        # The same client id sent twice at once: the other request stored it.
        earlier = Message.objects.filter(author=author, client_id=client_id).first()
        if not client_id or earlier is None:
            raise
        return earlier
    return message


def _muted_message(until: dt.datetime, now: dt.datetime) -> str:
    local = timeutil.local(until)
    if local.date() == timeutil.local(now).date():
        return _("You are muted in this chat until %(time)s.") % {"time": f"{local:%H:%M}"}
    return _("You are muted in this chat until %(time)s.") % {"time": f"{local:%Y-%m-%d %H:%M}"}


def _check_moderator(actor, session: Session) -> None:
    if not selectors.user_moderates(actor, session):
        raise PermissionDenied


def message_hide(*, actor, message: Message) -> None:
    """Hide a message from everyone (kept, with who hid it); hiding twice changes nothing."""
    _check_moderator(actor, message.session)
    with transaction.atomic():
        hidden = Message.objects.filter(pk=message.pk, hidden_at__isnull=True).update(
            hidden_at=timeutil.now(), hidden_by=actor
        )
        if hidden:
            _announce(message.session_id, {"type": "hidden", "id": message.pk})


def message_pin(*, actor, message: Message, pinned: bool = True) -> None:
    """Pin a message (or question) above the chat, or unpin it."""
    _check_moderator(actor, message.session)
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(pinned=pinned)
        _announce(message.session_id, {"type": "pinned", "id": message.pk, "pinned": pinned})


def question_answered(*, actor, message: Message, answered: bool = True) -> None:
    """Mark a question answered (or not)."""
    _check_moderator(actor, message.session)
    if message.kind != Message.Kind.QUESTION:
        raise ChatRefused(_("Only questions are marked answered."))
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(answered=answered)
        _announce(message.session_id, {"type": "answered", "id": message.pk, "answered": answered})


def user_mute(*, actor, session: Session, user, minutes: int, everywhere: bool = False) -> Mute:
    """Stop `user` writing in this session's chat (or, for district administrators, in every
    chat) for `minutes`. The session's teacher and administrators cannot be muted."""
    _check_moderator(actor, session)
    if everywhere and not user_manages_timetable(actor):
        raise PermissionDenied
    if selectors.user_moderates(user, session):
        raise ChatRefused(_("The teacher and administrators cannot be muted."))
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        minutes = 0
    if not 1 <= minutes <= MUTE_MINUTES_AT_MOST:
        raise ChatRefused(
            _("Mute for 1 to %(max)s minutes.") % {"max": f"{MUTE_MINUTES_AT_MOST:,}"}
        )
    now = timeutil.now()
    with transaction.atomic():
        mute = Mute.objects.create(
            session=None if everywhere else session,
            user=user,
            by=actor,
            created_at=now,
            until=now + dt.timedelta(minutes=minutes),
        )
        _announce(
            session.pk,
            {
                "type": "muted",
                "user": user.pk,
                "until": timeutil.local(mute.until).isoformat(),
            },
        )
    return mute


def user_unmute(*, actor, session: Session, user) -> int:
    """End `user`'s mutes in this session (and district-wide ones, for administrators)."""
    _check_moderator(actor, session)
    now = timeutil.now()
    scope = Q(session=session)
    if user_manages_timetable(actor):
        scope |= Q(session__isnull=True)
    mutes = Mute.objects.filter(scope, user=user, until__gt=now)
    with transaction.atomic():
        ended = mutes.update(until=now)
        if ended:
            _announce(session.pk, {"type": "unmuted", "user": user.pk})
    return ended
