"""A per-user rate limiter on the Django cache (Redis at scale, local memory embedded)."""

from django.core.cache import cache

from eschool.core import timeutil


def allow(user_key, action: str, limit: int, per_seconds: int) -> bool:
    """Count one attempt of `action` by `user_key`; True while at most `limit` in the window.

    Fixed windows of `per_seconds` (aligned to the clock, so tests can step past one with
    timeutil.frozen_at): one atomic increment per call, nothing to clean up. Refused
    attempts count too, so a flood stays refused until its window ends. A burst at a window
    boundary may reach twice the limit, which is fine for chat.
    """
    window = int(timeutil.now().timestamp() // per_seconds)
    key = f"safety:rate:{action}:{per_seconds}:{user_key}:{window}"
    timeout = per_seconds + 1
    for _attempt in range(3):
        if cache.add(key, 1, timeout):
            count = 1
            break
        try:
            count = cache.incr(key)
            break
        except ValueError:  # expired between add() and incr(): start the window again
            continue
    else:  # pragma: no cover - the cache keeps losing the key; do not lock people out
        return True
    return count <= limit
