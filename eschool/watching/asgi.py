"""A fast path for heartbeats in front of Django, for districts running on Redis.

`heartbeats_fast_path(app)` wraps the HTTP ASGI app. A POST to /watch/heartbeats that
carries a valid watch token and a valid batch is accepted right here: the same checks as
the Django view (services.watch_token_read, services.beats_parse), then one pipelined
RPUSH + ZADD with the asyncio Redis client, and 202. No middleware, no thread hop, no
database: that is most of what a heartbeat costs in Django (see bench/heartbeats.py).
Everything else, including every refusal, goes on to Django unchanged (the body is
handed over again), so the answers and messages are the view's own.

A district event's shared token names no one (services.shared_token_issue): the batch is
then kept under the login cookie's session key, which the fold resolves to the user in
bulk (services.users_of_logins), or counted as the visitor the body names.

On the embedded default (no REDIS_URL) it returns `app` itself.
Wired in config/asgi.py: `heartbeats_fast_path(django_asgi_app)`.
"""

from __future__ import annotations

import asyncio
import json
import weakref

from django.conf import settings

PATH = "/watch/heartbeats"
MAX_BODY_BYTES = 32 * 1024

_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _client():
    # An asyncio client belongs to one event loop; uvicorn runs one per worker.
    import redis.asyncio as aioredis

    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = aioredis.Redis.from_url(settings.REDIS_URL)
        _clients[loop] = client
    return client


def heartbeats_fast_path(app):
    if not settings.REDIS_URL:
        return app

    async def wrapped(scope, receive, send):
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            return await app(scope, receive, send)
        body, complete = await _read_body(receive)
        accepted = await _accept(body, scope) if complete else None
        if accepted is not None:
            return await _answer(send, accepted)
        return await app(scope, _replay(body, complete, receive), send)

    return wrapped


async def _read_body(receive) -> tuple[bytes, bool]:
    """The body if it is at most MAX_BODY_BYTES (complete=True), else what was read so far."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return b"".join(chunks), False
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, complete: bool, receive):
    sent = False

    async def replayed():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": not complete}
        return await receive()

    return replayed


def _login_of(scope) -> str:
    """The login session's key from the request's cookie, if it comes from our own pages."""
    from django.http.cookie import parse_cookie

    from eschool.watching import services

    headers = {}
    for name, value in scope.get("headers", ()):
        name = name.decode("latin-1").lower()
        if name == "cookie" and "cookie" in headers:  # HTTP/2 may split cookies in several
            headers[name] += "; " + value.decode("latin-1")
        else:
            headers[name] = value.decode("latin-1")
    if not services.from_our_pages(headers.get("origin"), headers.get("host", "")):
        return ""
    key = parse_cookie(headers.get("cookie", "")).get(settings.SESSION_COOKIE_NAME, "")
    # Django's session keys are 32 lowercase letters and digits; anything else is not one.
    return key if 8 <= len(key) <= 64 and key.isalnum() else ""


async def _accept(body: bytes, scope) -> int | None:
    """The heartbeats accepted and appended, or None to leave the batch to the Django view."""
    from eschool.watching import buffer, services

    try:
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("token"), str):
            return None
        viewer = services.watch_token_read(data["token"])
        beats = services.beats_parse(data.get("beats"), session_id=viewer.session_id)
    except (ValueError, UnicodeDecodeError, services.HeartbeatRefused):
        return None
    if viewer.key == services.SHARED:
        viewer = services.viewer_of_shared(
            viewer, login=_login_of(scope), visitor=data.get("visitor", "")
        )
    received = buffer.now_ms()
    payload = services.batch_payload(viewer=viewer, beats=beats, received=received)
    key = buffer.VIEWERS_KEY.format(session=viewer.session_id)
    pipe = _client().pipeline(transaction=False)
    if payload:
        pipe.rpush(buffer.PENDING_KEY, payload)
    pipe.zadd(key, {viewer.key: received / 1000})
    pipe.expire(key, buffer.VIEWER_WINDOW_S * 2)
    await pipe.execute()
    return len(beats)


async def _answer(send, accepted: int) -> None:
    body = b'{"accepted": %d}' % accepted
    await send(
        {
            "type": "http.response.start",
            "status": 202,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
