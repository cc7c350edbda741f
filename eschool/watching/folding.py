"""The watch-time arithmetic, in plain functions (no database): tested with hypothesis.

A section is one stretch of continuous playing; the player makes a new section id at
every start and every seek. Each heartbeat of a section says where the section began
(`start`, the "from" of the request) and where the position is now (`to`), at the
player's clock `at` (ms). Watched seconds are what the position grew by, so dragging to
the end starts a new section that has grown by nothing.

Rules, and why:
- A section's state is made of minimums and maximums only (where it began, how far it
  got, the player's first and latest clock, when the server first and last heard of it).
  So folding is idempotent and order-free: a batch delivered twice (a retried fetch, a
  beacon racing a fetch), batches in any order, folded in one run or in several, always
  give the same row. A beat received again changes nothing.
- Watched seconds = how far the position got from where the section began, capped by
  the time that passed: (clock span) × RATE[mode] × TOLERANCE + SLACK_S. Dragging to the
  end is a seek, which starts a new section; a faked jump within a section counts only
  once as much time has passed (and been reported) as playing it would have taken.
- Replays count seconds of content, not of the wall clock: a 2× replay of a 40-minute
  lesson counts 40 minutes, because the teacher asks "how much of the lesson did they
  see"; the cap lets a replay grow at the player's top speed (2×), a live at 1×.
- The player's clock is believed only as far as the server saw time pass: the clock
  span may exceed the span between the server's first and last receipt by at most
  OFFLINE_ALLOWANCE_MS (a phone that lost the network and sends its backlog later still
  gets that much; a client claiming an hour in one request does not).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

RATE = {"live": 1.0, "replay": 2.0}  # the fastest a position can honestly move
TOLERANCE = 1.1  # timers and positions are not exact
SLACK_S = 2.0  # once per section: the first heartbeat may come a little after playing began
OFFLINE_ALLOWANCE_MS = 120_000


@dataclass(frozen=True)
class Beat:
    at: int  # the player's clock, ms
    start: float  # where the section began, seconds of video
    to: float  # where the position is now
    received: int  # the server's clock when the batch arrived, ms


@dataclass
class SectionState:
    start_s: float
    end_s: float
    seconds: float
    first_at: int
    last_at: int
    first_seen: int
    last_seen: int


def allowed_seconds(state: SectionState, mode: str) -> float:
    """The most seconds the section may hold after the time that has passed."""
    claimed_ms = state.last_at - state.first_at
    seen_ms = state.last_seen - state.first_seen + OFFLINE_ALLOWANCE_MS
    span_s = max(0, min(claimed_ms, seen_ms)) / 1000
    return span_s * RATE[mode] * TOLERANCE + SLACK_S


def fold_section(state: SectionState | None, beats: Iterable[Beat], *, mode: str):
    """The section after folding `beats` into `state` (None: a section not seen before).

    Returns a new SectionState (never changes `state`), or None when there was nothing.
    """
    state = SectionState(**vars(state)) if state is not None else None
    for beat in beats:
        if state is None:
            state = SectionState(
                start_s=beat.start,
                end_s=beat.to,
                seconds=0.0,
                first_at=beat.at,
                last_at=beat.at,
                first_seen=beat.received,
                last_seen=beat.received,
            )
            continue
        state.start_s = min(state.start_s, beat.start)
        state.end_s = max(state.end_s, beat.to)
        state.first_at = min(state.first_at, beat.at)
        state.last_at = max(state.last_at, beat.at)
        state.first_seen = min(state.first_seen, beat.received)
        state.last_seen = max(state.last_seen, beat.received)
    if state is not None:
        state.seconds = min(max(0.0, state.end_s - state.start_s), allowed_seconds(state, mode))
    return state
