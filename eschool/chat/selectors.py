"""Reads of the chat: who may read, write and moderate; messages as the clients get them."""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q

from eschool.chat.models import Message, Mute
from eschool.classroom.models import Session
from eschool.classroom.selectors import session_get_for_user
from eschool.core import timeutil

# The newest messages a client gets when it has seen none (first visit).
FIRST_VISIT = 100
# At most this many missed messages are sent on a reconnect; the oldest are left out beyond it.
RESUME_AT_MOST = 1000
# The whole kept chat of a replay, up to this many messages.
REPLAY_AT_MOST = 5000
# A district event's chat as its viewers poll it: the newest messages (and the pinned ones),
# rebuilt at most once per RECENT_MAX_AGE seconds, the same bytes for every viewer.
RECENT_AT_MOST = 50
RECENT_MAX_AGE = 2
RECENT_KEY = "chat:recent:{pk}"


def max_length() -> int:
    return settings.ESCHOOL_CHAT_MAX_LENGTH


def may_read(user, session: Session) -> bool:
    """Whoever may watch the session (live or replay) reads its chat: the live app's rule
    (eschool.live.player.watch_refusal: district events and replays for everyone where the
    district allows, a class with seats for those who booked, the teacher and admins)."""
    from eschool.live.player import watch_refusal

    return not watch_refusal(user, session)


def readable_by_everyone(session: Session) -> bool:
    """Whether people without an account read this chat too, so its JSON is the same for
    everyone and may be kept by a shared cache (no query)."""
    from eschool.classroom.selectors.publication import anonymous_may_watch

    return anonymous_may_watch(session)


def session_for_chat(session_id: int, *, user) -> Session | None:
    """The session if `user` may read its chat, else None (404)."""
    session = session_get_for_user(session_id, user=user)
    if session is None or not may_read(user, session):
        return None
    return session


def reads_by_polling(user, session: Session) -> bool:
    """A district event's viewers read its chat without a socket: they poll recent.json.

    100,000 sockets on one group would be a fan-out of 100,000 per message, and a
    ceremony's chat is for announcements: only its teacher and the administrators write
    (and moderate) there, over the socket; everyone else reads, from a shared cache.
    """
    return session.kind == Session.Kind.EVENT and not user_moderates(user, session)


def user_may_post(user, session: Session, *, readable: bool | None = None) -> bool:
    """Logged in, may watch, the session is not cancelled, and it is not a district event
    one only reads (reads_by_polling); mutes are checked when posting. `readable`:
    may_read() when the caller already knows it."""
    if not getattr(user, "is_authenticated", False):
        return False
    if session.status == Session.Status.CANCELLED or reads_by_polling(user, session):
        return False
    return may_read(user, session) if readable is None else readable


def user_moderates(user, session: Session) -> bool:
    """The session's teacher or a district administrator hides, mutes, pins and answers."""
    from eschool.live.services import user_manages_recordings

    return user_manages_recordings(user, session)


def active_mute(user, session: Session, *, at: dt.datetime | None = None) -> Mute | None:
    """The mute (this session's or a district-wide one) that lasts longest, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Mute.objects.filter(user=user, until__gt=at or timeutil.now())
        .filter(Q(session=session) | Q(session__isnull=True))
        .order_by("-until")
        .first()
    )


def broadcast_offset(session: Session, at: dt.datetime) -> float | None:
    """Where `at` falls in the session's broadcast replay (seconds), or None when it never
    went live. The replay skips the gaps between parts, so this is not the time since the
    first start (`live.services.broadcast_replay_offset`)."""
    from eschool.live.models import Broadcast
    from eschool.live.services import broadcast_replay_offset

    broadcast = (
        Broadcast.objects.filter(session=session)
        .only("status", "started_at", "part_started_at", "recorded_before_part", "last_media_at")
        .first()
    )
    return None if broadcast is None else broadcast_replay_offset(broadcast, at)


def message_as_json(message: Message, *, teacher_id: int | None) -> dict:
    """A message as every client gets it (WebSocket and messages.json alike)."""
    return {
        "id": message.pk,
        "kind": message.kind,
        "text": message.text,
        "author": {"id": message.author_id, "name": message.author.name},
        "teacher": teacher_id is not None and message.author_id == teacher_id,
        "created_at": timeutil.local(message.created_at).isoformat(),
        "offset_seconds": message.offset_seconds,
        "pinned": message.pinned,
        "answered": message.answered,
    }


def _visible(session: Session):
    return Message.objects.filter(session=session, hidden_at__isnull=True).select_related("author")


def messages_after(session: Session, after: int | None) -> tuple[list[dict], bool]:
    """The visible messages after id `after` (the newest FIRST_VISIT when None), oldest first;
    and whether older ones were left out."""
    messages = _visible(session)
    if after is None:
        limit = FIRST_VISIT
    else:
        messages = messages.filter(pk__gt=after)
        limit = RESUME_AT_MOST
    newest = list(messages.order_by("-pk")[: limit + 1])
    truncated = len(newest) > limit
    newest = newest[:limit]
    newest.reverse()
    return [message_as_json(m, teacher_id=session.teacher_id) for m in newest], truncated


def moderation_state(session: Session, *, up_to: int) -> dict:
    """What a client holding messages up to id `up_to` may have missed while away:
    which were hidden, which are pinned, which questions are answered."""
    if not up_to:
        return {"hidden": [], "pinned": [], "answered": []}
    rows = Message.objects.filter(session=session, pk__lte=up_to).filter(
        Q(hidden_at__isnull=False) | Q(pinned=True) | Q(answered=True)
    )
    hidden, pinned, answered = [], [], []
    for pk, hidden_at, is_pinned, is_answered in rows.values_list(
        "pk", "hidden_at", "pinned", "answered"
    ).order_by("-pk")[:RESUME_AT_MOST]:
        if hidden_at is not None:
            hidden.append(pk)
        else:
            if is_pinned:
                pinned.append(pk)
            if is_answered:
                answered.append(pk)
    return {"hidden": hidden, "pinned": pinned, "answered": answered}


def recent_messages_body(session_id: int) -> bytes:
    """recent.json's body for a district event: the newest RECENT_AT_MOST visible messages
    and the visible pinned ones, oldest first. Cached RECENT_MAX_AGE seconds: 0 queries
    then, 3 when rebuilt (the session, the newest, the pinned)."""
    key = RECENT_KEY.format(pk=session_id)
    body = cache.get(key)
    if body is None:
        session = Session.objects.filter(pk=session_id).first()
        messages = []
        if session is not None:
            newest = list(_visible(session).order_by("-pk")[:RECENT_AT_MOST])
            oldest_shown = newest[-1].pk if newest else 0
            pinned = list(_visible(session).filter(pinned=True, pk__lt=oldest_shown).order_by("pk"))
            messages = [
                message_as_json(m, teacher_id=session.teacher_id)
                for m in [*pinned, *reversed(newest)]
            ]
        body = json.dumps(
            {
                "session": session_id,
                "as_of": timeutil.local(timeutil.now()).isoformat(),
                "messages": messages,
            },
            ensure_ascii=False,
        ).encode()
        cache.set(key, body, RECENT_MAX_AGE)
    return body


def messages_for_replay(session: Session) -> list[dict]:
    """The kept chat of a session, oldest first, for showing beside its replay."""
    messages = list(_visible(session).order_by("pk")[:REPLAY_AT_MOST])
    return [message_as_json(m, teacher_id=session.teacher_id) for m in messages]


def message_get(session_id: int, message_id) -> Message | None:
    try:
        message_id = int(message_id)
    except (TypeError, ValueError):
        return None
    return (
        Message.objects.select_related("session")
        .filter(pk=message_id, session_id=session_id)
        .first()
    )
