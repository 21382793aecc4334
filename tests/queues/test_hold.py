"""Managed hold: what a waiting caller hears on each pass of the waitUrl loop."""

from pathlib import Path

import pytest

from call_scripts.policy import HoldPolicy, parse_policy
from ivr.queues.hold import (
    HoldState,
    initial_offer,
    next_hold_step,
    should_tell_position,
)

DEFAULT = Path(__file__).resolve().parents[2] / "call_scripts" / "policies" / "default.yaml"
T0 = 1_800_000_000.0


@pytest.fixture(scope="module")
def shipped() -> HoldPolicy:
    return parse_policy(DEFAULT.read_text(encoding="utf-8"), "default.yaml")


@pytest.fixture
def policy(shipped) -> HoldPolicy:
    return shipped.model_copy(update=dict(
        check_back_seconds=120, late_after_seconds=60, max_wait_seconds=1200,
        min_gap_seconds=20, announce_position="yes"))


def holding(announced=300.0, at=T0, **kw) -> HoldState:
    """A caller who joined at T0 and was told the wait (a message) at ``at``."""
    fields = dict(joined_at=T0, announced_wait=announced, announced_at=at, last_message_at=at,
                  last_position_told=None, last_check_back_at=None)
    fields.update(kw)
    return HoldState(**fields)


def run(policy, state, start, end, every=5.0, position=lambda t: 3, estimate=lambda t: 300.0):
    """Fetch the waitUrl every ``every`` seconds from start to end; the steps with a message."""
    said = []
    t = start
    while t <= end:
        step, state = next_hold_step(policy, state, t, position(t), estimate(t))
        if step.say:
            said.append((t, step))
        t += every
    return said, state


def test_connect_at_once_when_a_fitting_agent_is_free(policy):
    assert initial_offer(policy, True, 0.0, 1) == "connect"
    assert initial_offer(policy, False, 240.0, 4) == "ask_consent"
    # Free agent, but callers ahead will take them first.
    assert initial_offer(policy, True, 180.0, 3) == "ask_consent"


def test_position_is_told_as_the_policy_says(policy):
    assert should_tell_position(policy.model_copy(update={"announce_position": "yes"}), 40)
    assert not should_tell_position(policy.model_copy(update={"announce_position": "no"}), 1)
    first3 = policy.model_copy(update={"announce_position": "first_n", "position_first_n": 3})
    assert should_tell_position(first3, 3)
    assert not should_tell_position(first3, 4)


def test_music_right_after_a_message(policy):
    state = holding(last_position_told=3)
    step, after = next_hold_step(policy, state, T0 + 5, 2, 300.0)
    assert step.kind == "music" and step.say is None
    assert after == state


def test_check_back_at_the_right_moment(policy):
    state = holding(announced=900.0, last_position_told=3)
    said, _ = run(policy, state, T0, T0 + 400)
    assert [(t - T0, s.kind) for t, s in said] == [(120, "check_back"), (240, "check_back"),
                                                   (360, "check_back")]
    assert all(s.say == "check_back" and s.offer_callback for _, s in said)


def test_late_apology_with_a_new_estimate_and_the_callback_offer(policy):
    state = holding(announced=180.0, last_position_told=3)
    # Told 3 minutes; at 3 + 1 minutes late the caller hears an apology and a new estimate.
    said, after = run(policy, state, T0, T0 + 250, estimate=lambda t: 130.0)
    kinds = [(t - T0, s.kind) for t, s in said]
    assert kinds == [(120, "check_back"), (240, "late")]
    late = said[-1][1]
    assert late.say == "late" and late.offer_callback
    assert late.new_estimate == 180.0  # 130 s, told in whole minutes (rounded up)
    assert after.announced_wait == 180.0 and after.announced_at == T0 + 240
    assert after.late_apologies == 1
    # The new estimate is the announced one: no second apology until it is overrun too.
    said, after = run(policy, after, T0 + 255, T0 + 480, estimate=lambda t: 100.0)
    assert [(t - T0, s.kind) for t, s in said] == [(360, "check_back"), (480, "late")]
    assert after.late_apologies == 2


def test_position_only_when_it_improved(policy):
    positions = {0: 5, 30: 5, 60: 4, 70: 6, 90: 5, 100: 3}

    def position(t):
        return positions[max(k for k in positions if k <= t - T0)]

    # Last message a minute ago; the check-back is not due before T0 + 120.
    state = holding(announced=900.0, at=T0, last_message_at=T0 - 60)
    said, after = run(policy, state, T0, T0 + 110, position=position)
    told = [(t - T0, s.position) for t, s in said]
    # 5 first (never told), 4 when it improves; 6 and back to 5 are not news; then 3.
    assert told == [(0, 5), (60, 4), (100, 3)]
    assert after.last_position_told == 3


def test_position_not_told_beyond_the_first_n(policy):
    first2 = policy.model_copy(update={"announce_position": "first_n", "position_first_n": 2})
    state = holding(announced=900.0, at=T0, last_message_at=T0 - 60)
    step, _ = next_hold_step(first2, state, T0, 3, 300.0)
    assert step.kind == "music"
    step, _ = next_hold_step(first2, state, T0, 2, 300.0)
    assert step.kind == "position" and step.position == 2


def test_never_back_to_back_messages(policy):
    # Everything falls due at once, at every pass: still one message per min_gap, at most.
    busy = policy.model_copy(update=dict(check_back_seconds=10, late_after_seconds=0,
                                         min_gap_seconds=20))
    state = holding(announced=60.0, last_position_told=10)
    said, _ = run(busy, state, T0, T0 + 1500, every=1.0, position=lambda t: 10 - int(t - T0) // 60)
    times = [t for t, _ in said]
    assert len(times) > 10
    assert all(b - a >= 20 for a, b in zip(times, times[1:], strict=False))


def test_priority_max_wait_then_late_then_check_back_then_position(policy):
    state = holding(announced=60.0, at=T0, last_message_at=T0, last_position_told=9,
                    last_check_back_at=T0)
    now = T0 + 1200  # max wait, late and check-back are all due, and position improved
    step, state = next_hold_step(policy, state, now, 2, 300.0)
    assert step.kind == "max_wait"
    step, state = next_hold_step(policy, state, now + 20, 2, 300.0)
    assert step.kind == "late"
    # Before the max wait: a check-back and an improved position both due.
    state = holding(announced=900.0, at=T0, last_message_at=T0, last_position_told=9)
    step, state = next_hold_step(policy, state, T0 + 130, 2, 300.0)
    assert step.kind == "check_back"
    step, state = next_hold_step(policy, state, T0 + 140, 2, 300.0)
    assert step.kind == "music"
    step, state = next_hold_step(policy, state, T0 + 150, 2, 300.0)
    assert step.kind == "position" and step.position == 2


def test_max_wait_offers_a_callback_and_never_drops_the_caller(policy):
    state = holding(announced=3000.0, last_position_told=1)
    said, after = run(policy, state, T0, T0 + 1500, position=lambda t: 1)
    max_waits = [(t - T0, s) for t, s in said if s.kind == "max_wait"]
    assert max_waits[0][0] == 1200
    assert max_waits[0][1].say == "max_wait" and max_waits[0][1].offer_callback
    # Still holding: the offer comes back every check-back, in place of the check-back.
    assert [t for t, _ in max_waits] == [1200, 1320, 1440]
    assert not [s for t, s in said if t - T0 > 1200 and s.kind == "check_back"]


def test_max_wait_counts_from_the_original_join(policy):
    # Resumed after hanging up: joined long ago, estimate just announced.
    state = holding(announced=300.0, at=T0 + 1190, last_message_at=T0 + 1190)
    step, _ = next_hold_step(policy, state, T0 + 1210, 4, 300.0)
    assert step.kind == "max_wait"


def test_every_step_names_a_message_the_policy_has(policy):
    state = holding(announced=60.0, last_position_told=10)
    said, _ = run(policy, state, T0, T0 + 2000, every=3.0,
                  position=lambda t: max(1, 10 - int(t - T0) // 100))
    assert {s.kind for _, s in said} == {"check_back", "late", "position", "max_wait"}
    for _, step in said:
        assert step.say in policy.messages


def test_the_place_and_the_estimate_are_asked_only_by_a_step_that_says_them(policy):
    """Given as functions, each is asked only when the step needs it, and the steps are the
    ones the same values give."""
    asked: list[str] = []

    def position() -> int:
        asked.append("position")
        return 2

    def estimate() -> float:
        asked.append("estimate")
        return 200.0

    cases = [
        (holding(at=T0), T0 + 5, []),  # music: within the gap since the last message
        (holding(at=T0), T0 + 30, ["position"]),  # a place to tell, if moved up
        (holding(announced=60.0, at=T0), T0 + 125, ["estimate"]),  # late: the new estimate
        (holding(announced=600.0, at=T0), T0 + 125, []),  # check-back: neither
    ]
    for state, t, wanted in cases:
        asked.clear()
        lazily = next_hold_step(policy, state, t, position, estimate)
        assert asked == wanted, (t, asked)
        assert lazily == next_hold_step(policy, state, t, 2, 200.0)
