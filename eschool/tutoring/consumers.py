"""The WebSocket of a tutoring session's room: /ws/tutoring/<session_pk>/.

Only the session's student and teacher may open it; anyone else is refused before the
handshake completes. Every frame is a JSON object with a "type".

Client → server
  {"type": "hello", "after": N}            first frame; N = the last seq the client has (0 at
                                           first). Sent again on the same socket it starts
                                           over from N (the client does so when it sees a gap)
  {"type": "sync"}                         "anything new?": sent when idle (every 25 s); the
                                           server sends what it stored after the last seq it
                                           sent, then "synced" (or "ended")
  {"type": "post", "client_id": "…", "kind": K, "body": {…}}
        K = "text" {"text"} | "stroke" {"id", "color", "width", "erase", "points": [[x, y]…]}
          | "undo" {"stroke": id} | "clear" {}       (photos are posted over HTTP, see views)
  {"type": "draw", "stroke": {"id", "color", "width", "erase", "points"}}
        new points (at most DRAW_POINTS_LIMIT) of a stroke being drawn; relayed live, not
        stored (the finished stroke is)
  {"type": "typing"}                       relayed to the other side, not stored
  {"type": "signal", "data": D}            WebRTC voice signalling, relayed to the other side
        D = {"kind": "offer"|"answer", "sdp"} | {"kind": "ice", "candidate": {"candidate",
            "sdpMid", "sdpMLineIndex", "usernameFragment"}} | {"kind": "hangup"}
  {"type": "end"}                          ends the session (either side)

Server → client
  {"type": "welcome", "role": "student"|"teacher", "last_seq": N, "ended": bool}  on hello
  {"type": "synced", "last_seq": N}        on sync, after the messages it found
  {"type": "message", "seq", "client_id", "author": "student"|"teacher"|"system",
   "author_name", "kind", "body", "at"}     stored messages, each seq exactly once, in order
  {"type": "ack", "client_id", "seq"}      a post is stored (also when it was a resend)
  {"type": "error", "client_id"?, "frame"?, "code", "message"}   a frame refused, in the
        user's language: rate_limited, too_long, bad_stroke, bad_signal… "client_id" names
        a refused post; "frame" ("draw", "typing", "signal", "sync") a relayed frame or sync
        refused for its rate, told once per window (the rest are dropped silently).
  {"type": "typing", "from"} · {"type": "draw", "from", "stroke"} · {"type": "signal", "from", "data"}
  {"type": "ended"}                        the session is over (live, on sync, or on return);
                                           the server then closes the socket (code 4000)

Exactly once: the consumer joins the room's group before reading what came after N, drops
live messages it has sent already, and when a live message skips a number (two senders'
broadcasts may cross) it reads the gap from the database, where seq order is commit order.
A group message the channel layer dropped (Redis may, under load) is read at the next live
message or the client's next sync, whichever comes first.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from eschool.core import timeutil
from eschool.core.middleware import chosen_language
from eschool.tutoring import room
from eschool.tutoring.models import RoomMessage, TutoringSession

Kind = RoomMessage.Kind

CLOSE_ENDED = 4000
CLOSE_REFUSED = 4403
POSTABLE = {Kind.TEXT, Kind.STROKE, Kind.UNDO, Kind.CLEAR}
# Notices after which the room is closed: the session ended, or goes on in another room.
CLOSING_EVENTS = {"ended", "transferred"}

# Frames relayed without being stored, per socket: (at most this many, in this many seconds);
# counted in the consumer, so a relayed frame costs no round trip to the cache.
# The board sends a piece of the stroke under the pen every 60 ms (about 500 in 30 s of
# drawing without a pause); the room's script says "typing" at most every 2.5 s; a voice
# call takes an offer or answer and a few dozen ICE candidates.
DRAW_RATE = (600, 30)
TYPING_RATE = (3, 1)
SIGNAL_RATE = (60, 30)
# Syncs, per socket: a client sends one every 25 s when idle.
SYNC_RATE = (20, 60)
DRAW_POINTS_LIMIT = 200  # points in one live piece (the board sends a few each time)
SDP_LIMIT = 16_000  # characters of an offer or answer (an audio call's is 2–4 KB)
CANDIDATE_LIMIT = 1_000  # characters of one ICE candidate line (about 100 in practice)
SHORT_LIMIT = 64  # characters of sdpMid and usernameFragment


def _first_message(errors: ValidationError) -> tuple[str, str]:
    error = errors.error_list[0]
    message = error.message % error.params if error.params else error.message
    return error.code or "invalid", str(message)


def _short(value) -> bool:
    return value is None or (isinstance(value, str) and len(value) <= SHORT_LIMIT)


def clean_signal(data) -> dict:
    """A voice-call signal with only the fields a browser needs, or ValidationError."""
    refused = ValidationError(_("This voice call message could not be read."), code="bad_signal")
    if not isinstance(data, dict):
        raise refused
    kind = data.get("kind")
    if kind in ("offer", "answer"):
        sdp = data.get("sdp")
        if not isinstance(sdp, str) or not 0 < len(sdp) <= SDP_LIMIT:
            raise refused
        return {"kind": kind, "sdp": sdp}
    if kind == "ice":
        candidate = data.get("candidate")
        if not isinstance(candidate, dict):
            raise refused
        line = candidate.get("candidate")
        index = candidate.get("sdpMLineIndex")
        if not isinstance(line, str) or len(line) > CANDIDATE_LIMIT:
            raise refused
        if index is not None and (
            isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < 64
        ):
            raise refused
        if not (_short(candidate.get("sdpMid")) and _short(candidate.get("usernameFragment"))):
            raise refused
        return {
            "kind": "ice",
            "candidate": {
                "candidate": line,
                "sdpMid": candidate.get("sdpMid"),
                "sdpMLineIndex": index,
                "usernameFragment": candidate.get("usernameFragment"),
            },
        }
    if kind == "hangup":
        return {"kind": "hangup"}
    raise refused


class RoomConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.session_id = self.scope["url_route"]["kwargs"]["session_pk"]
        self.sent_upto = None  # the last seq sent to this client; None until its hello
        self.language = chosen_language(self.scope.get("cookies") or {})
        self.counts = {}  # action -> (rate window, frames in it), for the limits above
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
        elif kind == "sync":
            await self._resync()
        elif kind == "typing":
            await self._relay("typing", TYPING_RATE, lambda: {"type": "typing"})
        elif kind == "draw":
            await self._relay(
                "draw",
                DRAW_RATE,
                lambda: {
                    "type": "draw",
                    "stroke": room.clean_stroke(
                        content.get("stroke"), points_limit=DRAW_POINTS_LIMIT
                    ),
                },
            )
        elif kind == "signal":
            await self._relay(
                "signal",
                SIGNAL_RATE,
                lambda: {"type": "signal", "data": clean_signal(content.get("data"))},
            )
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

    async def _resync(self):
        if not await self._within("sync", SYNC_RATE):
            return
        if await self._catch_up():
            await self._ended()
            return
        await self.send_json({"type": "synced", "last_seq": self.sent_upto})

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

    def _append(self, content):
        with translation.override(self.language):
            try:
                if content.get("kind") not in POSTABLE:
                    raise ValidationError(
                        _("This kind of message cannot be sent here."), code="bad_kind"
                    )
                appended = room.append_message(
                    session=self.session,
                    author=self.user,
                    kind=content.get("kind"),
                    body=content.get("body"),
                    client_id=content.get("client_id"),
                )
            except room.RoomClosed:
                return None, None
            except ValidationError as errors:
                return None, _first_message(errors)
        return appended, None

    async def _post(self, content):
        appended, refusal = await database_sync_to_async(self._append)(content)
        if refusal is not None:
            code, message = refusal
            await self.send_json(
                {
                    "type": "error",
                    "client_id": content.get("client_id"),
                    "code": code,
                    "message": message,
                }
            )
        elif appended is None:
            await self._ended()
        else:
            await self.send_json(
                {
                    "type": "ack",
                    "client_id": appended.message.client_id,
                    "seq": appended.message.seq,
                }
            )

    async def _relay(self, action, rate, build):
        """Relay the frame `build` makes to the other side, within `rate` for this person;
        a refusal (too fast, or not readable) is an error frame."""
        if not await self._within(action, rate):
            return
        with translation.override(self.language):
            try:
                frame = build()
            except ValidationError as errors:
                code, message = _first_message(errors)
                await self.send_json({"type": "error", "code": code, "message": message})
                return
        await self.channel_layer.group_send(
            self.group, {"type": "room.relay", "from": self.role, "frame": frame}
        )

    async def _within(self, action, rate) -> bool:
        """Count one `action` frame; False (and, the first time in the window, an error
        frame) past `rate`. Fixed windows aligned to the clock, like safety.ratelimit."""
        limit, seconds = rate
        window = int(timeutil.now().timestamp() // seconds)
        started, count = self.counts.get(action, (window, 0))
        count = count + 1 if started == window else 1
        self.counts[action] = (window, count)
        if count <= limit:
            return True
        if count == limit + 1:  # told once: a flood of refused frames gets no flood back
            with translation.override(self.language):
                message = _("You are sending too fast. Wait a moment, then send again.")
            await self.send_json(
                {"type": "error", "code": "rate_limited", "frame": action, "message": message}
            )
        return False

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
