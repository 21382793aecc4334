"""The wait estimate: from live agents and recent handle times, not a constant."""

import pytest

from ivr.queues.estimator import (
    Snapshot,
    Stage,
    estimate_wait,
    expected_remaining,
    give_up_rate,
    naive_estimate,
    typical_handle_time,
)

RECENT = [240.0, 300.0, 360.0, 280.0, 320.0, 300.0, 260.0, 340.0, 300.0, 300.0]


def snap(position, free=0, busy=(100.0, 100.0, 100.0), handles=RECENT, **kw):
    return Snapshot(position=position, free_agents=free, busy_elapsed=list(busy),
                    handle_times=list(handles), **kw)


def test_no_wait_when_a_free_agent_is_there_for_this_place():
    assert estimate_wait(snap(1, free=1)) == 0
    assert estimate_wait(snap(2, free=2)) == 0
    assert estimate_wait(snap(3, free=2)) > 0


def test_monotone_in_position():
    waits = [estimate_wait(snap(p, free=1)) for p in range(1, 40)]
    assert waits == sorted(waits)
    assert waits[-1] > waits[1]


def test_more_agents_shorten_the_wait():
    three = estimate_wait(snap(10, busy=[60.0] * 3))
    six = estimate_wait(snap(10, busy=[60.0] * 6))
    assert six < three


def test_uses_how_far_busy_agents_are_into_their_calls():
    nearly_done = estimate_wait(snap(1, busy=[290.0]))
    just_started = estimate_wait(snap(1, busy=[5.0]))
    assert nearly_done < just_started
    # Just started: about a typical call; nearly done: well under a minute left.
    assert just_started == pytest.approx(295, abs=10)
    assert nearly_done < 60


def test_queue_drains_n_at_a_time():
    # Two agents who have just started; after their calls, each further call takes ~300 s.
    two = snap(5, busy=[0.0, 0.0], handles=[300.0] * 20)
    # Place 5 is the 5th freeing: 2 at ~300 s, 2 at ~600 s, then the 5th at ~900 s.
    assert estimate_wait(two) == pytest.approx(900, rel=0.05)


def test_wrap_up_is_part_of_each_cycle():
    plain = estimate_wait(snap(4, busy=[0.0], handles=[300.0] * 20))
    with_wrap = estimate_wait(snap(4, busy=[0.0], handles=[300.0] * 20, wrap_up_seconds=60))
    assert with_wrap - plain == pytest.approx(4 * 60, rel=0.05)
    wrapping = estimate_wait(snap(1, busy=[], wrapping_remaining=[15.0]))
    assert wrapping == pytest.approx(15.0, abs=0.5)


def test_recent_handle_times_drive_the_estimate_not_a_constant():
    short = estimate_wait(snap(6, handles=[120.0] * 20))
    long = estimate_wait(snap(6, handles=[600.0] * 20))
    assert long > 3 * short
    # Without history the default handle time is used.
    default = estimate_wait(snap(6, handles=[], default_handle_time=200.0))
    assert default == estimate_wait(snap(6, handles=[], default_handle_time=200.0))
    assert default < estimate_wait(snap(6, handles=[], default_handle_time=400.0))


def test_one_very_long_call_does_not_swing_the_typical_handle_time():
    assert typical_handle_time([300.0] * 19 + [10_800.0]) == pytest.approx(300)
    assert typical_handle_time([200.0, 400.0]) == 300.0
    assert typical_handle_time([], 250.0) == 250.0


def test_a_call_past_all_recent_ones_is_not_taken_as_over():
    left = expected_remaining(10_000.0, RECENT, 300.0)
    assert 100 < left <= 150


def test_nobody_staffed_assumes_one_agent_from_now():
    assert estimate_wait(snap(3, busy=[], handles=[300.0] * 10)) == pytest.approx(900)


def test_naive_is_position_times_average_handle_time():
    assert naive_estimate(4, 250.0) == 1000.0
    assert naive_estimate(0, 250.0) == 0.0


def test_the_first_of_many_busy_agents_frees_up_sooner_than_any_one_is_expected_to():
    spread = [float(h) for h in range(150, 451, 10)]  # 150 s to 450 s, mean 300 s
    ten_busy = snap(1, busy=[60.0] * 10, handles=spread)
    one_busy = snap(1, busy=[60.0], handles=spread)
    assert expected_remaining(60.0, spread, 300.0) == pytest.approx(240, abs=10)
    assert estimate_wait(one_busy) == pytest.approx(240, abs=15)
    assert estimate_wait(ten_busy) < 150


def test_a_higher_tier_opening_to_the_caller_shortens_a_long_wait():
    # Tier 1: one analyst just started a call, the caller is 4th: about 4 calls away. After
    # 120 s tier 2 opens to them, with two analysts free and nobody of theirs ahead.
    alone = snap(4, busy=[0.0], handles=[300.0] * 20)
    tier2 = Stage(opens_in=120.0, position=4, free_agents=2, busy_elapsed=[0.0],
                  handle_times=[300.0] * 20)
    assert estimate_wait(alone) == pytest.approx(1200, rel=0.05)
    with_tier2 = estimate_wait(Snapshot(**{**alone.__dict__, "later": [tier2]}))
    assert 120 <= with_tier2 < 400  # answered once tier 2 opens, not after 4 calls


def test_a_higher_tier_that_opens_after_the_wait_changes_nothing():
    short = snap(1, busy=[250.0], handles=[300.0] * 20)
    later = Stage(opens_in=600.0, position=1, free_agents=3, busy_elapsed=[],
                  handle_times=[300.0] * 20)
    assert estimate_wait(Snapshot(**{**short.__dict__, "later": [later]})) \
        == estimate_wait(short)


def test_callers_ahead_whom_other_analysts_serve_too_count_less():
    # One analyst just started a call of 300 s; every call takes 300 s. Four callers ahead,
    # counted whole: the caller is answered at the fifth freeing, 1,500 s from now. If the
    # analysts serving each of them are half this caller's and half others' (other skills,
    # another tier), the others take about half of them: place 1 + 4 x 0.5 = 3, the third
    # freeing, 900 s.
    whole = snap(5, busy=[0.0], handles=[300.0] * 20)
    halves = snap(1 + 4 * 0.5, busy=[0.0], handles=[300.0] * 20)
    assert estimate_wait(whole) == pytest.approx(1500, rel=0.05)
    assert estimate_wait(halves) == pytest.approx(900, rel=0.05)


def test_the_give_up_rate_is_those_who_gave_up_over_the_seconds_held():
    # Three of the last callers held 100 s and hung up; seven held 300 s and were answered.
    waits = [(100.0, True)] * 3 + [(300.0, False)] * 7
    assert give_up_rate(waits) == pytest.approx(3 / 2400)
    assert give_up_rate([(300.0, False)] * 10) == 0.0  # nobody gave up
    assert give_up_rate([]) == 0.0


def test_callers_ahead_who_will_give_up_shorten_the_wait():
    # One analyst just started; the caller is 6th: about 6 calls (1,800 s) away. With callers
    # giving up after 20 minutes on average, about two of the five ahead hang up first.
    line = snap(6, busy=[0.0], handles=[300.0] * 20)
    patient = estimate_wait(line)
    impatient = estimate_wait(Snapshot(**{**line.__dict__, "give_up_rate": 1 / 1200}))
    assert patient == pytest.approx(1800, rel=0.05)
    assert 900 < impatient < patient - 300
    # Nobody ahead: nobody to give up.
    first = snap(1, busy=[100.0], handles=[300.0] * 20)
    assert estimate_wait(Snapshot(**{**first.__dict__, "give_up_rate": 1 / 1200})) \
        == estimate_wait(first)


def test_callers_giving_up_never_make_the_wait_longer_or_go_below_the_next_freeing():
    line = snap(4, busy=[60.0, 200.0], handles=RECENT)
    waits = [estimate_wait(Snapshot(**{**line.__dict__, "give_up_rate": r}))
             for r in (0.0, 1 / 3600, 1 / 600, 1 / 60, 1.0)]
    assert waits == sorted(waits, reverse=True)
    first = estimate_wait(snap(1, busy=[60.0, 200.0], handles=RECENT))
    assert waits[-1] == pytest.approx(first, abs=1)  # everyone ahead gone: the next freeing
