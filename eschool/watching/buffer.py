"""Where accepted heartbeat batches wait for the fold, and who was seen watching.

Two legs, chosen by settings.REDIS_URL like the rest of eSchool:
- Redis (a district at 8:00): a batch is one RPUSH onto a list and one ZADD into the
  session's viewer set, in one round trip; the request touches no database at all.
- Embedded (SQLite, no Redis): a batch is one row of HeartbeatBatch, because the web
  server and the Huey consumer are separate processes and only the database is shared;
  viewers are counted in the cache (see _CacheViewers).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import ResponseError

from eschool.core import timeutil
from eschool.watching.models import HeartbeatBatch

VIEWER_WINDOW_S = 60  # a viewer counts while their last heartbeat is this recent
PENDING_KEY = "eschool:watching:pending"
FOLDING_KEY = "eschool:watching:folding"
VIEWERS_KEY = "eschool:watching:viewers:{session}"


def now_ms() -> int:
    """The server's clock in ms (the project's clock, so tests can set it)."""
    return int(timeutil.now().timestamp() * 1000)


@lru_cache(maxsize=4)
def _redis_for(url: str):
    import redis

    return redis.Redis.from_url(url)


def redis_client():
    """A client for settings.REDIS_URL, or None on the embedded default."""
    url = getattr(settings, "REDIS_URL", "")
    return _redis_for(url) if url else None


def append(*, payload: str, session_id: int, viewer: str, received: int) -> None:
    """Keep a batch (a JSON text, or "" for a viewer whose time is not kept) and the viewer."""
    client = redis_client()
    if client is not None:
        key = VIEWERS_KEY.format(session=session_id)
        pipe = client.pipeline(transaction=False)
        if payload:
            pipe.rpush(PENDING_KEY, payload)
        pipe.zadd(key, {viewer: received / 1000})
        # Forgotten two windows after the last viewer left, so old sessions cost nothing.
        pipe.expire(key, VIEWER_WINDOW_S * 2)
        pipe.execute()
        return
    if payload:
        HeartbeatBatch.objects.create(payload=payload)
    _CacheViewers.seen(session_id, viewer, received)


def viewer_count(session_id: int) -> int:
    """Viewers heard from in the last VIEWER_WINDOW_S seconds."""
    client = redis_client()
    if client is None:
        return _CacheViewers.count(session_id, now_ms())
    key = VIEWERS_KEY.format(session=session_id)
    since = now_ms() / 1000 - VIEWER_WINDOW_S
    pipe = client.pipeline(transaction=False)
    pipe.zremrangebyscore(key, "-inf", f"({since}")
    pipe.zcard(key)
    return int(pipe.execute()[1])


class _CacheViewers:
    """Viewer counting with nothing but Django's cache (add and incr are atomic in all of them).

    Time is cut in slots of SLOT_S; a viewer is counted once per slot (cache.add of a
    per-viewer key decides who is first). Heartbeats come every 20 s, so every watching
    viewer lands in every slot; the count is the largest of the last three slots, i.e.
    viewers seen in the last 40 to 60 s. Approximate when viewers come and go, exact for
    the steady audience a teacher wants to see.
    """

    SLOT_S = 20
    SLOTS = VIEWER_WINDOW_S // SLOT_S

    @classmethod
    def _slot(cls, ms: int) -> int:
        return ms // (cls.SLOT_S * 1000)

    @classmethod
    def seen(cls, session_id: int, viewer: str, received: int) -> None:
        slot = cls._slot(received)
        ttl = cls.SLOT_S * (cls.SLOTS + 1)
        if cache.add(f"watching:seen:{session_id}:{slot}:{viewer}", 1, ttl):
            counter = f"watching:count:{session_id}:{slot}"
            cache.add(counter, 0, ttl)
            try:
                cache.incr(counter)
            except ValueError:  # evicted between add and incr: start again at one
                cache.set(counter, 1, ttl)

    @classmethod
    def count(cls, session_id: int, at: int) -> int:
        slot = cls._slot(at)
        keys = [f"watching:count:{session_id}:{slot - n}" for n in range(cls.SLOTS)]
        return max([0, *cache.get_many(keys).values()])


# The fold's side -------------------------------------------------------------------------


@contextmanager
def claim(limit: int) -> Iterator[list[str]]:
    """Up to `limit` waiting batches (oldest first), removed once the block exits cleanly.

    The caller folds them inside the block. If it fails, they stay and are folded again
    next time; folding is idempotent, so a batch folded twice counts once. Callers run
    one at a time (services.heartbeats_fold holds a lock).
    """
    client = redis_client()
    if client is None:
        rows = list(HeartbeatBatch.objects.order_by("pk").values_list("pk", "payload")[:limit])
        yield [payload for _pk, payload in rows]
        if rows:
            HeartbeatBatch.objects.filter(pk__lte=rows[-1][0]).delete()
        return
    # What was pending moves to a list of its own, so the endpoint's RPUSHes go on into
    # a fresh list while this one is folded; a list left by a failed fold is folded first.
    if not client.exists(FOLDING_KEY):
        try:
            client.rename(PENDING_KEY, FOLDING_KEY)
        except ResponseError as error:  # nothing pending
            if "no such key" not in str(error).lower():
                raise
    payloads = [raw.decode() for raw in client.lrange(FOLDING_KEY, 0, limit - 1)]
    yield payloads
    if payloads:
        client.ltrim(FOLDING_KEY, len(payloads), -1)


def pending_count() -> int:
    """Batches waiting to be folded."""
    client = redis_client()
    if client is None:
        return HeartbeatBatch.objects.count()
    return int(client.llen(PENDING_KEY)) + int(client.llen(FOLDING_KEY))
