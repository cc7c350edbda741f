"""The chat WebSocket, /ws/sessions/<pk>/chat/ (protocol in README.md)."""

from __future__ import annotations

import datetime as dt
import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext as _

from eschool.chat import selectors, services
from eschool.core import timeutil
from eschool.core.middleware import chosen_language
from eschool.safety.ratelimit import allow

# Closed before accepting: the session does not exist or the visitor may not read its chat.
CLOSE_NOT_ALLOWED = 4403
# Closed after a hello past the per-user limit: the page reconnects later, with backoff.
CLOSE_TOO_MANY_HELLOS = 4429
# (hellos, seconds). Each hello reads the database: a page says it once per connection.
# Per socket, a looping page is ignored; per user, across all their tabs and devices, so
# opening more sockets does not multiply what one person may ask for.
HELLO_PER_SOCKET = (5, 10)
HELLO_PER_USER = (10, 10)


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.session_id = int(self.scope["url_route"]["kwargs"]["pk"])
        user = self.scope.get("user") or AnonymousUser()
        # The auth middleware's lazy user, resolved before connect(): the ORM gets the real one.
        self.user = getattr(user, "_wrapped", user)
        self.language = chosen_language(self.scope.get("cookies") or {})
        self.session = await database_sync_to_async(selectors.session_for_chat)(
            self.session_id, user=self.user
        )
        # A district event's viewers poll recent.json instead (selectors.reads_by_polling).
        if self.session is None or selectors.reads_by_polling(self.user, self.session):
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        self.can_post = selectors.user_may_post(self.user, self.session, readable=True)
        self.moderator = await database_sync_to_async(selectors.user_moderates)(
            self.user, self.session
        )
        # Live events are passed on only after the client said hello and got what it missed.
        self.ready = False
        self.replayed: set[int] = set()
        self.group = services.group_name(self.session_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # Binary frames and text that is not JSON are ignored rather than closing the socket.
        if text_data is None:
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict):
            return
        # Refusals made here (not in a service) are in the visitor's language too.
        with translation.override(self.language):
            await self._receive(content)

    async def _receive(self, content):
        kind = content.get("type")
        if kind == "hello":
            answered = await database_sync_to_async(self._hello_allowed)()
            if answered is None:
                await self.close(code=CLOSE_TOO_MANY_HELLOS)
            elif answered:
                await self._hello(content.get("after"))
        elif kind == "post":
            await self._post(content)
        elif kind in {"hide", "pin", "answered", "mute", "unmute"}:
            await self._moderate(kind, content)

    # Client -> server ---------------------------------------------------------------------

    def _hello_allowed(self) -> bool | None:
        """True to answer, False to ignore (this socket loops), None to close (the user's
        sockets together passed their limit)."""
        if not allow(self.channel_name, "chat-hello", *HELLO_PER_SOCKET):
            return False
        if self.user.is_authenticated and not allow(
            f"u{self.user.pk}", "chat-hello-user", *HELLO_PER_USER
        ):
            return None
        return True

    async def _hello(self, after):
        try:
            after = int(after) if after is not None else None
        except (TypeError, ValueError):
            after = None
        history = await database_sync_to_async(self._history)(after)
        # Group events queued while the history was read are handled after this method
        # returns (a consumer handles one message at a time): those already in the history
        # are skipped once, so each message reaches the client exactly once.
        self.replayed = {message["id"] for message in history["messages"]}
        self.ready = True
        await self.send_json(history)

    def _history(self, after):
        messages, truncated = selectors.messages_after(self.session, after)
        mute = selectors.active_mute(self.user, self.session)
        with translation.override(self.language):
            muted = self._muted_text(mute.until) if mute else ""
        return {
            "type": "history",
            "messages": messages,
            "truncated": truncated,
            "state": selectors.moderation_state(self.session, up_to=after or 0),
            "me": self.user.pk,
            "can_post": self.can_post,
            "moderator": self.moderator,
            "muted_until": timeutil.local(mute.until).isoformat() if mute else None,
            "muted_message": muted,
        }

    def _muted_text(self, until: dt.datetime) -> str:
        return services._muted_message(until, timeutil.now())

    async def _post(self, content):
        client_id = str(content.get("client_id") or "")[:64]
        if not self.can_post:
            await self._error(_("Log in to chat and ask questions."), client_id=client_id)
            return
        message, refusal = await self._call(
            services.message_post,
            author=self.user,
            session=self.session,
            text=str(content.get("text") or ""),
            kind=str(content.get("kind") or "chat"),
            client_id=client_id,
        )
        if refusal:
            await self.send_json({"type": "error", "message": refusal, "client_id": client_id})
        else:
            await self.send_json({"type": "ack", "client_id": client_id, "id": message.pk})

    async def _moderate(self, kind, content):
        if not self.moderator:
            await self._error(_("Only the teacher and administrators can do that."))
            return
        if kind in {"mute", "unmute"}:
            _result, refusal = await self._call(self._mute_sync, kind=kind, content=content)
        else:
            _result, refusal = await self._call(self._moderate_sync, kind=kind, content=content)
        if refusal:
            await self._error(refusal)

    def _moderate_sync(self, *, kind, content):
        message = selectors.message_get(self.session_id, content.get("id"))
        if message is None:
            raise services.ChatRefused(_("That message is no longer here."))
        flag = bool(content.get("value", True))
        if kind == "hide":
            services.message_hide(actor=self.user, message=message)
        elif kind == "pin":
            services.message_pin(actor=self.user, message=message, pinned=flag)
        else:
            services.question_answered(actor=self.user, message=message, answered=flag)

    def _mute_sync(self, *, kind, content):
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=_int(content.get("user"))).first()
        if user is None:
            raise services.ChatRefused(_("That person is no longer here."))
        if kind == "unmute":
            services.user_unmute(actor=self.user, session=self.session, user=user)
        else:
            services.user_mute(
                actor=self.user,
                session=self.session,
                user=user,
                minutes=content.get("minutes", 10),
                everywhere=bool(content.get("everywhere", False)),
            )

    @database_sync_to_async
    def _call(self, function, **kwargs):
        """Run a service in the user's language: (result, None) or (None, refusal)."""
        with translation.override(self.language):
            try:
                return function(**kwargs), None
            except services.ChatRefused as refused:
                return None, str(refused.message)
            except PermissionDenied:
                return None, _("You may not do that in this chat.")

    async def _error(self, message: str, **extra):
        await self.send_json({"type": "error", "message": message, **extra})

    # Server -> client: events of the session's group --------------------------------------

    async def chat_event(self, event):
        if not self.ready:
            return  # the history sent at hello already holds it
        payload = event["event"]
        if payload["type"] == "message":
            message_id = payload["message"]["id"]
            if message_id in self.replayed:
                self.replayed.discard(message_id)
                return
        elif payload["type"] == "muted" and payload["user"] == self.user.pk:
            until = dt.datetime.fromisoformat(payload["until"])
            with translation.override(self.language):
                payload = {**payload, "message": self._muted_text(until)}
        await self.send_json(payload)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
