"""The WebSocket of a tutoring session's room: /ws/tutoring/<session_pk>/.

Only the session's student and teacher may open it; anyone else is refused before the
handshake completes. Every frame is a JSON object with a "type".

Client → server
  {"type": "hello", "after": N}            first frame; N = the last seq the client has (0 at first)
  {"type": "post", "client_id": "…", "kind": K, "body": {…}}
        K = "text" {"text"} | "stroke" {"id", "color", "width", "erase", "points": [[x, y]…]}
          | "undo" {"stroke": id} | "clear" {}       (photos are posted over HTTP, see views)
  {"type": "draw", "stroke": {"id", "color", "width", "erase", "points"}}
        new points of a stroke being drawn; relayed live, not stored (the finished stroke is)
  {"type": "typing"}                       relayed to the other side, not stored
  {"type": "signal", "data": {"kind": "offer"|"answer"|"ice"|"hangup", …}}
        WebRTC voice signalling, relayed to the other side only
  {"type": "end"}                          ends the session (either side)

Server → client
  {"type": "welcome", "role": "student"|"teacher", "last_seq": N, "ended": bool}  on hello
  {"type": "message", "seq", "client_id", "author": "student"|"teacher"|"system",
   "author_name", "kind", "body", "at"}     stored messages, each seq exactly once, in order
  {"type": "ack", "client_id", "seq"}      a post is stored (also when it was a resend)
  {"type": "error", "client_id"?, "code", "message"}   a post refused (rate_limited, too_long…)
  {"type": "typing", "from"} · {"type": "draw", "from", "stroke"} · {"type": "signal", "from", "data"}
  {"type": "ended"}                        the session is over (live, or on return); the
                                           server then closes the socket (code 4000)

Exactly once: the consumer joins the room's group before reading what came after N, drops
live messages it has sent already, and when a live message skips a number (two senders'
broadcasts may cross) it reads the gap from the database, where seq order is commit order.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import ValidationError
from django.http import Http404

from eschool.tutoring import room
from eschool.tutoring.models import RoomMessage, TutoringSession

Kind = RoomMessage.Kind

RELAY_LIMIT = 32 * 1024  # bytes of JSON in one relayed frame (an SDP offer is a few KB)
CLOSE_ENDED = 4000
CLOSE_REFUSED = 4403
POSTABLE = {Kind.TEXT, Kind.STROKE, Kind.UNDO, Kind.CLEAR}
# Notices after which the room is closed: the session ended, or goes on in another room.
CLOSING_EVENTS = {"ended", "transferred"}


def _first_message(errors: ValidationError) -> tuple[str, str]:
    error = errors.error_list[0]
    message = error.message % error.params if error.params else error.message
    return error.code or "invalid", str(message)


class RoomConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.session_id = self.scope["url_route"]["kwargs"]["session_pk"]
        self.sent_upto = None  # the last seq sent to this client; None until its hello
        try:
            self.session, self.role = await database_sync_to_async(room.session_get_for_room)(
                user=self.scope["user"], session_id=self.session_id
            )
        except Http404:
            await self.close(code=CLOSE_REFUSED)
            return
        self.user = self.scope["user"]
        self.group = room.group_name(self.session.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    # --- from the client ---------------------------------------------------------------------

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "hello":
            await self._hello(content.get("after"))
        elif self.sent_upto is None:
            await self.send_json({"type": "error", "code": "hello_first", "message": ""})
        elif kind == "post":
            await self._post(content)
        elif kind == "typing":
            await self._relay({"type": "typing"})
        elif kind == "draw" and isinstance(content.get("stroke"), dict):
            await self._relay({"type": "draw", "stroke": content["stroke"]})
        elif kind == "signal" and isinstance(content.get("data"), dict):
            await self._relay({"type": "signal", "data": content["data"]})
        elif kind == "end":
            await database_sync_to_async(room.room_end)(actor=self.user, session=self.session)

    async def _hello(self, after):
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            after = 0
        self.sent_upto = after
        ended = await self._catch_up()
        await self.send_json(
            {"type": "welcome", "role": self.role, "last_seq": self.sent_upto, "ended": ended}
        )
        if ended:
            await self._ended()

    async def _catch_up(self) -> bool:
        """Send everything stored after sent_upto; True when the session has ended."""
        while True:
            batch, ended = await database_sync_to_async(self._read_after)(self.sent_upto)
            for payload in batch:
                await self._send_message(payload, announce_end=False)
            if len(batch) < room.REPLAY_BATCH:
                return ended

    def _read_after(self, seq):
        session = TutoringSession.objects.get(pk=self.session.pk)
        messages = room.messages_after(session, seq, limit=room.REPLAY_BATCH)
        return [room.message_payload(m, session) for m in messages], session.ended_at is not None

    async def _post(self, content):
        client_id = content.get("client_id")
        kind = content.get("kind")
        try:
            if kind not in POSTABLE:
                raise ValidationError("", code="bad_kind")
            appended = await database_sync_to_async(room.append_message)(
                session=self.session,
                author=self.user,
                kind=kind,
                body=content.get("body"),
                client_id=client_id,
            )
        except room.RoomClosed:
            await self._ended()
            return
        except ValidationError as errors:
            code, message = _first_message(errors)
            await self.send_json(
                {"type": "error", "client_id": client_id, "code": code, "message": message}
            )
            return
        await self.send_json(
            {"type": "ack", "client_id": appended.message.client_id, "seq": appended.message.seq}
        )

    async def _relay(self, frame):
        if len(str(frame)) > RELAY_LIMIT:
            return
        await self.channel_layer.group_send(
            self.group, {"type": "room.relay", "from": self.role, "frame": frame}
        )

    # --- from the group ------------------------------------------------------------------------

    async def room_message(self, event):
        payload = event["message"]
        if self.sent_upto is None or payload["seq"] <= self.sent_upto:
            return  # before the hello (its catch-up reads it) or sent already
        if payload["seq"] > self.sent_upto + 1:
            await self._catch_up()  # the gap is committed: it was numbered before this one
            if payload["seq"] <= self.sent_upto:
                return
        await self._send_message(payload, announce_end=True)

    async def room_relay(self, event):
        if event["from"] == self.role or self.sent_upto is None:
            return  # the other side's only
        await self.send_json({**event["frame"], "from": event["from"]})

    async def _send_message(self, payload, *, announce_end):
        await self.send_json(payload)
        self.sent_upto = payload["seq"]
        event = payload["body"].get("event") if payload["kind"] == Kind.SYSTEM else None
        if announce_end and event in CLOSING_EVENTS:
            await self._ended()

    async def _ended(self):
        await self.send_json({"type": "ended"})
        await self.close(code=CLOSE_ENDED)
