"""The watch-time arithmetic (folding.py), with hypothesis: sections, seeks, repeats, caps."""

import math

from hypothesis import given
from hypothesis import strategies as st

from eschool.watching.folding import (
    OFFLINE_ALLOWANCE_MS,
    SLACK_S,
    Beat,
    SectionState,
    allowed_seconds,
    fold_section,
)

T0 = 1_780_000_000_000  # some moment, ms


def honest_beats(*, start, rate, gaps_ms, received_lag_ms=0):
    """A section played from `start` at `rate`, a heartbeat after each gap (first: from == to)."""
    beats = [Beat(at=T0, start=start, to=start, received=T0 + received_lag_ms)]
    at, position = T0, start
    for gap in gaps_ms:
        at += gap
        position += gap / 1000 * rate
        beats.append(Beat(at=at, start=start, to=position, received=at + received_lag_ms))
    return beats


gaps = st.lists(st.integers(min_value=1_000, max_value=30_000), min_size=1, max_size=40)
positions = st.floats(min_value=0, max_value=3_600, allow_nan=False)


def fold_all(beats, mode):
    return fold_section(None, beats, mode=mode)


def test_a_section_played_for_a_minute_counts_a_minute():
    beats = honest_beats(start=30.0, rate=1.0, gaps_ms=[20_000, 20_000, 20_000])
    state = fold_all(beats, "live")
    assert state.start_s == 30.0
    assert state.end_s == 90.0
    assert state.seconds == 60.0


def test_a_seek_to_the_end_starts_a_section_that_has_not_grown():
    # Dragging the slider from 60 s to 2,400 s: the player closes the first section at 60 s
    # and opens a new one at 2,400 s; the first counts 60 s, the new one nothing.
    first = fold_all(honest_beats(start=0.0, rate=1.0, gaps_ms=[20_000] * 3), "replay")
    jumped = fold_all(
        [Beat(at=T0 + 61_000, start=2400.0, to=2400.0, received=T0 + 61_000)], "replay"
    )
    assert first.seconds == 60.0
    assert jumped.seconds == 0.0


def test_a_faked_jump_inside_a_section_counts_only_the_slack():
    beats = [
        Beat(at=T0, start=0.0, to=0.0, received=T0),
        Beat(at=T0 + 1_000, start=0.0, to=2_400.0, received=T0 + 1_000),
    ]
    state = fold_all(beats, "live")
    assert state.seconds == 1.0 * 1.1 + SLACK_S


def test_a_client_claiming_an_hour_in_one_request_gets_the_offline_allowance_at_most():
    hour = 3_600_000
    beats = [
        Beat(at=T0, start=0.0, to=0.0, received=T0 + hour),
        Beat(at=T0 + hour, start=0.0, to=3_600.0, received=T0 + hour),
    ]
    state = fold_all(beats, "live")
    assert state.seconds == OFFLINE_ALLOWANCE_MS / 1000 * 1.1 + SLACK_S


@given(start=positions, gaps_ms=gaps, lag=st.integers(min_value=0, max_value=5_000))
def test_honest_live_playing_counts_exactly_what_was_played(start, gaps_ms, lag):
    beats = honest_beats(start=start, rate=1.0, gaps_ms=gaps_ms, received_lag_ms=lag)
    state = fold_all(beats, "live")
    assert math.isclose(state.seconds, beats[-1].to - start, abs_tol=1e-6)


@given(
    start=positions,
    gaps_ms=gaps,
    rate=st.sampled_from([0.75, 1.0, 1.25, 1.5, 2.0]),
)
def test_a_replay_counts_content_seconds_at_every_speed(start, gaps_ms, rate):
    beats = honest_beats(start=start, rate=rate, gaps_ms=gaps_ms)
    state = fold_all(beats, "replay")
    assert math.isclose(state.seconds, beats[-1].to - start, abs_tol=1e-6)


@given(start=positions, gaps_ms=gaps)
def test_live_cannot_grow_faster_than_real_time(start, gaps_ms):
    # A live position running at 2× (impossible for an honest player) is capped at 1.1×.
    beats = honest_beats(start=start, rate=2.0, gaps_ms=gaps_ms)
    state = fold_all(beats, "live")
    span_s = sum(gaps_ms) / 1000
    assert state.seconds <= span_s * 1.1 + SLACK_S + 1e-9
    assert math.isclose(state.seconds, min(beats[-1].to - start, span_s * 1.1 + SLACK_S))


@given(
    start=positions,
    gaps_ms=gaps,
    data=st.data(),
    mode=st.sampled_from(["live", "replay"]),
)
def test_any_order_repeats_and_split_into_several_folds_give_the_same_section(
    start, gaps_ms, data, mode
):
    beats = honest_beats(start=start, rate=1.0, gaps_ms=gaps_ms)
    once = fold_all(beats, mode)
    # Every batch delivered once or more, in any order, folded over several runs.
    delivered = data.draw(st.lists(st.sampled_from(beats), min_size=0, max_size=80))
    shuffled = data.draw(st.permutations(beats + delivered))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(shuffled)), max_size=4)))
    state = None
    for begin, end in zip([0, *cuts], [*cuts, len(shuffled)], strict=True):
        state = fold_section(state, shuffled[begin:end], mode=mode)
    assert state == once


@given(
    beats=st.lists(
        st.builds(
            Beat,
            at=st.integers(T0, T0 + 7_200_000),
            start=positions,
            to=positions,
            received=st.integers(T0, T0 + 7_200_000),
        ),
        min_size=1,
        max_size=30,
    ),
    mode=st.sampled_from(["live", "replay"]),
)
def test_whatever_a_client_sends_a_section_never_counts_more_than_time_allows(beats, mode):
    state = fold_all(beats, mode)
    claimed = max(b.at for b in beats) - min(b.at for b in beats)
    rate = 1.0 if mode == "live" else 2.0
    assert 0.0 <= state.seconds <= claimed / 1000 * rate * 1.1 + SLACK_S + 1e-9
    assert state.seconds <= max(0.0, state.end_s - state.start_s)
    assert state.seconds == allowed_seconds(state, mode) or state.seconds == max(
        0.0, state.end_s - state.start_s
    )


def test_folding_nothing_into_nothing_is_nothing():
    assert fold_section(None, [], mode="live") is None


def test_folding_does_not_change_the_state_it_was_given():
    state = fold_all(honest_beats(start=0.0, rate=1.0, gaps_ms=[20_000]), "live")
    before = SectionState(**vars(state))
    fold_section(
        state, [Beat(at=T0 + 40_000, start=0.0, to=40.0, received=T0 + 40_000)], mode="live"
    )
    assert state == before
