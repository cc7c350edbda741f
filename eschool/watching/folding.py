"""The watch-time arithmetic, in plain functions (no database): tested with hypothesis.

A section is one stretch of continuous playing; the player makes a new section id at
every start and every seek. Each heartbeat of a section says where the section began
(`start`, the "from" of the request) and where the position is now (`to`), at the
player's clock `at` (ms). Watched seconds are what the position grew by, so dragging to
the end starts a new section that has grown by nothing.

Rules, and why:
- Heartbeats are folded in the order of the player's clock. One whose `at` is not
  later than the latest already folded is skipped: a batch delivered twice (a retried
  fetch, a beacon racing a fetch) adds nothing, and since every heartbeat repeats the
  section's start, skipping an older one loses nothing.
- Growth is capped by the time that passed: the section may not have more seconds than
  (its clock span) × RATE[mode] × TOLERANCE + SLACK_S. A faked jump of the position
  without the time passing counts for SLACK_S at most.
- Replays count seconds of content, not of the wall clock: a 2× replay of a 40-minute
  lesson counts 40 minutes, because the teacher asks "how much of the lesson did they
  see"; the cap lets a replay grow at the player's top speed (2×), a live at 1×.
- The player's clock is believed only as far as the server saw time pass: a section's
  clock may not run ahead of the server's by more than OFFLINE_ALLOWANCE_MS (a phone that
  lost the network for a minute and sends its backlog later still gets its minute).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

RATE = {"live": 1.0, "replay": 2.0}  # the fastest a position can honestly move
TOLERANCE = 1.1  # timers and positions are not exact
SLACK_S = 2.0  # once per section: the first heartbeat may come a little after playing began
OFFLINE_ALLOWANCE_MS = 120_000  # two missed 20 s beats... and then some


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
    clock_at: int  # the player's clock as far as it is believed
    first_seen: int
    last_seen: int


def allowed_seconds(state: SectionState, mode: str) -> float:
    """The most seconds the section may hold after the time its clock has run."""
    span_s = max(0, state.clock_at - state.first_at) / 1000
    return span_s * RATE[mode] * TOLERANCE + SLACK_S


def fold_section(state: SectionState | None, beats: Iterable[Beat], *, mode: str):
    """The section after folding `beats` into `state` (None: a section not seen before).

    Returns a new SectionState (never changes `state`), or None when there was nothing.
    """
    if state is not None:
        state = SectionState(**vars(state))
    for beat in sorted(beats, key=lambda b: (b.at, b.to, b.start, b.received)):
        if state is None:
            state = SectionState(
                start_s=beat.start,
                end_s=beat.start,
                seconds=0.0,
                first_at=beat.at,
                last_at=beat.at,
                clock_at=beat.at,
                first_seen=beat.received,
                last_seen=beat.received,
            )
        elif beat.at <= state.last_at:
            continue
        believable = state.first_at + (beat.received - state.first_seen) + OFFLINE_ALLOWANCE_MS
        state.clock_at = max(state.clock_at, min(beat.at, believable))
        state.last_at = beat.at
        state.first_seen = min(state.first_seen, beat.received)
        state.last_seen = max(state.last_seen, beat.received)
        state.start_s = min(state.start_s, beat.start)
        growth = beat.to - state.end_s
        if growth > 0:
            state.end_s = beat.to
            state.seconds = min(state.seconds + growth, allowed_seconds(state, mode))
    return state
