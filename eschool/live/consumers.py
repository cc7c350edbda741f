"""The browser's ingest WebSocket: /ws/live/<session_pk>/ingest/.

Only the session's teacher or a district administrator may use it. Every text frame is a JSON
object with a "type"; media goes in binary frames.

Browser → server
  {"type": "start", "mime": "<MediaRecorder mimeType>"}   go live (or continue after a drop)
  binary frames                                            MediaRecorder chunks, in order
  {"type": "stop"}                                         end the broadcast (it becomes the replay)

Server → browser
  {"type": "live", "hls_url": url}         accepted: media may flow; the live playlist
  {"type": "segment", "count": N}          the playlist has N segments (students can watch
                                           from the first: status.json says live then)
  {"type": "error", "message": "…"}        in the user's language; the socket is then closed
                                           unless the message is only a warning
  {"type": "ended", "replay_url": url|null}

A socket that drops without "stop" leaves the broadcast live: a new socket that sends
"start" continues it after a discontinuity (same playlist, same replay). If none comes within
services.ABANDONED_AFTER (35 s), a Huey job closes the broadcast: the replay is ready within a
minute of the teacher closing the tab. A second socket for
the same session takes over from the first (the teacher reloaded the page), across
processes: the old one hears "ingest.takeover" through the channel layer and lets go.

The ingest itself (PyAV, blocking) runs in a thread of its own reading a ChunkPipe; the
event loop only feeds chunks and relays segment counts. Everyone on f"session-{pk}" hears
{"type": "live.status", "session": pk, "status": "starting"|"live"|"ended"}: "starting" at a
start whose playlist has no segment yet, "live" once it has one (or at once on a playlist that
already has some), "ended" at the end.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext as _

from eschool.classroom.models import Session
from eschool.core import timeutil
from eschool.core.middleware import chosen_language
from eschool.live import ingest, services
from eschool.live.media import MediaRefused
from eschool.live.models import Broadcast

logger = logging.getLogger(__name__)

CLOSE_ENDED = 4000
CLOSE_FAILED = 4400
CLOSE_REFUSED = 4403
CLOSE_TAKEN_OVER = 4409
MEDIA_NOTE_SECONDS = 5.0  # last_media_at is written at most this often
INGEST_LOCK_WAIT = 15.0  # a previous socket's ingest gets this long to let go


def status_group(session_id: int) -> str:
    """The group told when a session goes live or ends (chat, viewers and pages may listen)."""
    return f"session-{session_id}"


def ingest_group(session_id: int) -> str:
    return f"live-ingest-{session_id}"


def _session_for(user, session_id: int) -> Session | None:
    session = Session.objects.filter(pk=session_id).first()
    if session is None or not services.user_manages_recordings(user, session):
        return None
    return session


def _replay_url(recording) -> str | None:
    return settings.MEDIA_URL + recording.hls_path if recording is not None else None


class IngestConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.session_id = int(self.scope["url_route"]["kwargs"]["session_pk"])
        self.language = chosen_language(self.scope.get("cookies") or {})
        self.session = None
        self.broadcast: Broadcast | None = None
        self.pipe: ingest.ChunkPipe | None = None
        self.worker: asyncio.Future | None = None
        self.noted_at = 0.0
        self.finished = False
        self.went_live = False  # this socket started (or continued) the broadcast
        self.listed = False  # a segment of this socket's is in the playlist
        # Segment reports are tasks of their own; the first waits for the database: in order.
        self.segment_order = asyncio.Lock()
        self.let_go = False  # it ended the broadcast, or another window took it over
        await self.accept()
        self.session = await database_sync_to_async(_session_for)(
            self.scope.get("user"), self.session_id
        )
        if self.session is None:
            with translation.override(self.language):
                message = _(
                    "Only the session's teacher or a district administrator can broadcast it."
                )
            await self._fail(message, code=CLOSE_REFUSED)
            return
        await self.channel_layer.group_add(ingest_group(self.session_id), self.channel_name)

    async def disconnect(self, code):
        if self.session is not None:
            await self.channel_layer.group_discard(ingest_group(self.session_id), self.channel_name)
        # The broadcast stays live (the teacher may come back); what arrived is kept.
        await self._stop_ingest()
        if self.went_live and not self.let_go:
            await database_sync_to_async(_close_later_if_abandoned)(self.broadcast.pk)

    # --- from the browser -----------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        if self.session is None or self.finished:
            return
        if bytes_data is not None:
            await self._media(bytes_data)
            return
        try:
            message = json.loads(text_data or "")
        except ValueError:
            return
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "start":
            await self._start(str(message.get("mime") or ""))
        elif kind == "stop":
            await self._end()

    async def _start(self, mime: str) -> None:
        if self.pipe is not None:
            return  # already live on this socket
        with translation.override(self.language):
            try:
                self.broadcast = await database_sync_to_async(services.broadcast_begin)(
                    actor=self.scope.get("user"),
                    session=self.session,
                    source=Broadcast.Source.BROWSER,
                )
            except services.BroadcastRefused as refused:
                await self._fail(refused.message, code=CLOSE_REFUSED)
                return
            except PermissionDenied:
                message = _(
                    "Only the session's teacher or a district administrator can broadcast it."
                )
                await self._fail(message, code=CLOSE_REFUSED)
                return
        # Another window or device of this broadcast lets go (it may be in another process).
        await self.channel_layer.group_send(
            ingest_group(self.session_id), {"type": "ingest.takeover", "by": self.channel_name}
        )
        logger.info("live ingest: session %s starts from the browser (%s)", self.session_id, mime)
        self.went_live = True
        self.pipe = ingest.ChunkPipe()
        self.worker = self._run_in_thread(self.pipe)
        self.noted_at = float("-inf")  # the first chunk is noted at once
        hls_url = settings.MEDIA_URL + self.broadcast.hls_path
        await self.send(text_data=json.dumps({"type": "live", "hls_url": hls_url}))
        starting = self.broadcast.awaiting_first_segment
        await self._announce("starting" if starting else "live")

    async def _segment(self, count: int) -> None:
        # The first segment makes the broadcast playable: noted before the teacher hears of
        # it, so that the count on their page never runs ahead of what viewers are told.
        async with self.segment_order:
            if not self.listed:
                self.listed = True
                first = await database_sync_to_async(services.broadcast_segment_listed)(
                    broadcast_id=self.broadcast.pk
                )
                if first:
                    await self._announce("live")
            await self._send_json({"type": "segment", "count": count})

    async def _announce(self, status: str) -> None:
        await self.channel_layer.group_send(
            status_group(self.session_id),
            {"type": "live.status", "session": self.session_id, "status": status},
        )

    async def _media(self, data: bytes) -> None:
        if self.pipe is None:
            return  # media before "start" cannot be placed in a stream
        self.pipe.feed(data)
        if time.monotonic() - self.noted_at >= MEDIA_NOTE_SECONDS:
            self.noted_at = time.monotonic()
            in_window = await database_sync_to_async(services.broadcast_media_arrived)(
                broadcast_id=self.broadcast.pk
            )
            if not in_window:
                with translation.override(self.language):
                    message = _("The session's time is over; the broadcast has ended.")
                await self._send_json({"type": "error", "message": message})
                await self._end()

    async def _end(self) -> None:
        """The teacher pressed stop: close the stream, then the playlist; the replay is ready."""
        await self._stop_ingest()
        if self.finished:
            return
        self.finished = True
        self.let_go = True
        broadcast = self.broadcast or await database_sync_to_async(services.broadcast_of)(
            self.session
        )
        recording = await database_sync_to_async(services.broadcast_end)(broadcast=broadcast)
        await self._send_json({"type": "ended", "replay_url": _replay_url(recording)})
        await self._announce("ended")
        await self.close(code=CLOSE_ENDED)

    # --- from the channel layer -----------------------------------------------------------

    async def ingest_takeover(self, event):
        if event.get("by") == self.channel_name or self.pipe is None:
            return
        with translation.override(self.language):
            message = _("The broadcast continues from another window or device.")
        self.finished = True
        self.let_go = True
        await self._stop_ingest()
        await self._send_json({"type": "error", "message": message})
        await self.close(code=CLOSE_TAKEN_OVER)

    # --- the ingest thread ----------------------------------------------------------------

    def _run_in_thread(self, pipe: ingest.ChunkPipe) -> asyncio.Future:
        """Run the blocking ingest in a thread of its own (never in the loop's small pool)."""
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        out_dir = services.live_dir(self.broadcast)
        language = self.language

        def on_segment(event: ingest.SegmentDone) -> None:
            asyncio.run_coroutine_threadsafe(self._segment(event.count), loop)

        def work() -> None:
            error: BaseException | None = None
            try:
                with translation.override(language):  # MediaRefused speaks the teacher's language
                    ingest.ingest_stream(
                        pipe, out_dir, on_segment=on_segment, lock_timeout=INGEST_LOCK_WAIT
                    )
            except BaseException as caught:  # reported to the loop, which tells the browser
                error = caught
            finally:
                pipe.abort()  # a failed ingest takes no more chunks
            loop.call_soon_threadsafe(_settle, done, error)

        threading.Thread(target=work, name=f"live-ingest-{self.session_id}", daemon=True).start()
        done.add_done_callback(lambda future: asyncio.ensure_future(self._ingest_finished(future)))
        return done

    async def _ingest_finished(self, future: asyncio.Future) -> None:
        error = future.exception()
        if error is None or self.finished:
            return
        with translation.override(self.language):
            if isinstance(error, MediaRefused):
                message = error.message
            elif isinstance(error, ingest.IngestBusy):
                message = _("This session is being broadcast from another window or device.")
            else:
                logger.error("live ingest failed", exc_info=error)
                message = _("The live video could not be processed. Please start again.")
        self.finished = True
        self.pipe = None
        await self._send_json({"type": "error", "message": message})
        await self.close(code=CLOSE_FAILED)

    async def _stop_ingest(self) -> None:
        """End the stream and wait until its last segment is listed."""
        pipe, worker = self.pipe, self.worker
        self.pipe = None
        if pipe is not None:
            pipe.close()
        if worker is not None:
            await asyncio.wait([worker])

    async def _fail(self, message: str, *, code: int) -> None:
        self.finished = True
        await self._send_json({"type": "error", "message": message})
        await self.close(code=code)

    async def _send_json(self, content: dict) -> None:
        try:
            await self.send(text_data=json.dumps(content, ensure_ascii=False))
        except Exception:  # the socket is gone; nothing to tell
            logger.debug("live ingest: could not send %s", content.get("type"))


def _close_later_if_abandoned(broadcast_id: int) -> None:
    from eschool.live.tasks import close_abandoned_broadcast

    close_abandoned_broadcast.schedule(
        args=(broadcast_id, timeutil.now()), delay=services.ABANDONED_AFTER.total_seconds()
    )


def _settle(future: asyncio.Future, error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
