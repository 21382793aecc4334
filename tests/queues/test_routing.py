"""Routing: who waits first, which caller a free agent takes, which agent a caller gets."""

import random

import pytest

from ivr.queues.routing import (
    Agent,
    TierRules,
    Waiting,
    assign,
    best_agent_for,
    best_caller_for,
    eligible_tiers,
    fits,
    in_order,
    order_key,
    place_in_line,
    shared_place,
)

NOW = 10_000.0
RULES = TierRules(tier_wait_seconds=120, multiply_by_level=True, skip_empty_tiers=True)
ALL = {1, 2, 3}


def caller(id, rank=3, waited=0.0, tier=1, category=None, kind="caller"):
    return Waiting(id=id, rank=rank, joined_at=NOW - waited, tier=tier, category=category,
                   kind=kind)


def agent(id, tier=1, skills=(), status="available", idle=0.0):
    return Agent(id=id, tier=tier, skills=frozenset(skills), status=status,
                 idle_since=NOW - idle)


def test_order_is_priority_then_time_waited_then_id():
    line = [caller(1, rank=3, waited=500), caller(2, rank=1, waited=10),
            caller(3, rank=3, waited=900), caller(4, rank=3, waited=500)]
    assert [w.id for w in sorted(line, key=order_key)] == [2, 3, 1, 4]


def test_original_join_time_is_kept_across_a_requeue():
    first = caller(1, waited=600)
    # Back in line after a missed bridge, or resumed after hanging up: same joined_at.
    back = Waiting(id=7, rank=3, joined_at=first.joined_at, tier=1, category=None)
    newer = caller(2, waited=30)
    assert best_caller_for(agent(9), [newer, back], NOW, RULES, ALL) == back
    # ... and their tiers have kept opening as they waited.
    assert eligible_tiers(back, NOW, RULES, ALL) == {1, 2, 3}


def test_best_caller_for_an_agent_respects_tier_and_skills():
    line = [
        caller(1, rank=1, waited=100, tier=2),  # tier 2 only: a tier-1 agent may not take it
        caller(2, rank=2, waited=50, category="network"),  # agent lacks the skill
        caller(3, rank=3, waited=10, category="software"),
        caller(4, rank=3, waited=5, category=None),
    ]
    a = agent(1, tier=1, skills={"software", "hardware"})
    assert best_caller_for(a, line, NOW, RULES, ALL).id == 3
    generalist = agent(2, tier=1)
    assert best_caller_for(generalist, line, NOW, RULES, ALL).id == 2
    tier2 = agent(3, tier=2)
    assert best_caller_for(tier2, line, NOW, RULES, ALL).id == 1


def test_no_caller_for_an_agent_who_is_not_available():
    line = [caller(1)]
    for status in ("on_break", "offline", "on_call", "wrap_up"):
        assert best_caller_for(agent(1, status=status), line, NOW, RULES, ALL) is None
    assert best_caller_for(agent(1), [], NOW, RULES, ALL) is None


def test_longest_idle_fitting_agent_wins():
    w = caller(1, category="network")
    agents = [agent(1, idle=300), agent(2, idle=900, skills={"software"}),
              agent(3, idle=600, skills={"network"}), agent(4, idle=2000, status="on_break"),
              agent(5, idle=600)]
    assert best_agent_for(w, agents, NOW, RULES, ALL).id == 3  # 3 and 5 tie: lower id
    assert best_agent_for(caller(2, tier=3), agents, NOW, RULES, ALL) is None


def test_tier_overflow_after_the_wait_multiplied_by_level():
    w0 = caller(1, waited=0)
    assert eligible_tiers(w0, NOW, RULES, ALL) == {1}
    assert eligible_tiers(caller(1, waited=119), NOW, RULES, ALL) == {1}
    assert eligible_tiers(caller(1, waited=120), NOW, RULES, ALL) == {1, 2}
    assert eligible_tiers(caller(1, waited=239), NOW, RULES, ALL) == {1, 2}
    assert eligible_tiers(caller(1, waited=240), NOW, RULES, ALL) == {1, 2, 3}
    tier2 = agent(2, tier=2)
    assert not fits(tier2, caller(1, waited=100), NOW, RULES, ALL)
    assert fits(tier2, caller(1, waited=130), NOW, RULES, ALL)
    assert not fits(agent(3, tier=3), caller(1, waited=200), NOW, RULES, ALL)
    assert fits(agent(3, tier=3), caller(1, waited=240), NOW, RULES, ALL)


def test_without_multiply_every_higher_tier_opens_together():
    rules = TierRules(tier_wait_seconds=120, multiply_by_level=False)
    assert eligible_tiers(caller(1, waited=119), NOW, rules, ALL) == {1}
    assert eligible_tiers(caller(1, waited=120), NOW, rules, ALL) == {1, 2, 3}


def test_routing_never_goes_down_a_tier():
    w = caller(1, tier=2, waited=10_000)
    assert eligible_tiers(w, NOW, RULES, ALL) == {2, 3}
    assert not fits(agent(1, tier=1), w, NOW, RULES, ALL)


def test_empty_tier_is_skipped_without_waiting():
    staffed = {1, 3}
    assert eligible_tiers(caller(1, waited=120), NOW, RULES, staffed) == {1, 3}
    assert fits(agent(3, tier=3), caller(1, waited=120), NOW, RULES, staffed)
    # A start tier nobody staffs hands the caller straight on.
    assert eligible_tiers(caller(2, tier=2, waited=0), NOW, RULES, staffed) == {3}
    # Not skipping: the empty tier 2 costs its wait like any other.
    keep = TierRules(skip_empty_tiers=False)
    assert eligible_tiers(caller(1, waited=120), NOW, keep, staffed) == {1, 2}
    assert not fits(agent(3, tier=3), caller(1, waited=120), NOW, keep, staffed)


def test_assign_derives_staffed_tiers_from_agents_not_offline():
    w = caller(1, waited=125)
    busy1 = agent(1, tier=1, status="on_call")
    tier3 = agent(3, tier=3)
    # Tier 2 agent offline: tier 2 is empty and skipped, tier 3 opens after one wait.
    offline2 = agent(2, tier=2, status="offline")
    assert assign([w], [busy1, offline2, tier3], NOW, RULES) == [(w, tier3)]
    # Tier 2 agent on a call: tier 2 is staffed, tier 3 needs two waits.
    busy2 = agent(2, tier=2, status="on_call")
    assert assign([w], [busy1, busy2, tier3], NOW, RULES) == []
    assert assign([caller(1, waited=240)], [busy1, busy2, tier3], NOW, RULES) != []


def test_assign_takes_the_staffed_tiers_it_is_given():
    # Only the free tier 3 agent is passed; tier 2 staffed by someone busy elsewhere holds
    # the tier 1 caller back one more wait, as if that agent had been passed.
    w = caller(1, waited=125)
    tier3 = agent(3, tier=3)
    assert assign([w], [tier3], NOW, RULES, staffed={1, 3}) == [(w, tier3)]
    assert assign([w], [tier3], NOW, RULES, staffed={1, 2, 3}) == []
    assert assign([caller(1, waited=240)], [tier3], NOW, RULES, staffed={1, 2, 3}) != []


def test_priority_caller_overtakes():
    waiting = [caller(1, rank=3, waited=900), caller(2, rank=3, waited=600)]
    urgent = caller(3, rank=1, waited=1)
    pairs = assign([*waiting, urgent], [agent(1)], NOW, RULES)
    assert [(w.id, a.id) for w, a in pairs] == [(3, 1)]
    assert best_caller_for(agent(1), [*waiting, urgent], NOW, RULES, ALL) == urgent


def test_assign_round_pairs_in_order_with_longest_idle_agents():
    line = [caller(1, rank=3, waited=50), caller(2, rank=2, waited=10),
            caller(3, rank=3, waited=60, category="network"), caller(4, rank=4, waited=999)]
    agents = [agent(10, idle=100), agent(11, idle=500, skills={"software"}),
              agent(12, idle=50, skills={"network"}), agent(13, status="on_call", idle=999)]
    pairs = [(w.id, a.id) for w, a in assign(line, agents, NOW, RULES)]
    # 2 first (priority) takes the longest idle, 11 (no category: any skills fit); 3 takes 10
    # over 12 (both fit, 10 idle longer); 1 (no category) fits network-only 12; 4 gets nobody.
    assert pairs == [(2, 11), (3, 10), (1, 12)]


def test_assign_uses_each_agent_once_and_skips_callers_nobody_fits():
    line = [caller(i, waited=100 - i, category="hardware") for i in range(1, 6)]
    line.append(caller(99, waited=1, category="software"))
    agents = [agent(1, skills={"software"}), agent(2, skills={"hardware"})]
    pairs = [(w.id, a.id) for w, a in assign(line, agents, NOW, RULES)]
    assert pairs == [(1, 2), (99, 1)]


def test_callback_requests_hold_a_place_in_line():
    cb = caller(1, waited=300, kind="callback")
    live = caller(2, waited=100)
    assert best_caller_for(agent(1), [live, cb], NOW, RULES, ALL) == cb


def test_place_in_line_counts_only_callers_the_same_agents_could_take():
    agents = [agent(1, skills={"network"}, status="on_call"), agent(2, status="available"),
              agent(3, tier=2), agent(4, status="offline"), agent(5, status="on_break"),
              agent(6, skills={"network"}, status="wrap_up")]
    me = caller(50, rank=3, waited=10, category="software")
    line = [
        caller(1, rank=1, waited=30, tier=2),  # ahead, but only tier 2 may take it
        caller(2, rank=3, waited=100, category="hardware"),  # ahead, agent 2 may take it
        caller(3, rank=4, waited=1000),  # behind: lower priority
        caller(4, rank=3, waited=5),  # behind: joined later
        me,
    ]
    position, serving = place_in_line(me, line, agents, NOW, RULES)
    assert position == 2
    assert [a.id for a in serving] == [2]  # agent 1 and 6 lack the skill, 3 is tier 2
    network = caller(51, rank=3, waited=10, category="network")
    position, serving = place_in_line(network, line, agents, NOW, RULES)
    assert [a.id for a in serving] == [1, 2, 6]
    assert position == 3  # caller 2, and caller 50 who joined at the same time with a lower id


def test_a_caller_ahead_counts_by_the_share_of_their_analysts_who_are_also_mine():
    # Tier 1: analysts 1 and 2 take every category, 3 and 4 only hardware. Tier 2: analyst 5.
    agents = [agent(1, status="on_call"), agent(2, status="on_call"),
              agent(3, skills={"hardware"}, status="on_call"),
              agent(4, skills={"hardware"}, status="wrap_up"),
              agent(5, tier=2, status="on_call")]
    me = caller(50, waited=10, category="software")  # served by 1 and 2 (tier 2 not open yet)
    line = [
        caller(1, waited=100, category="hardware"),  # served by 1, 2, 3, 4: half mine
        caller(2, waited=90, category="software"),  # served by 1 and 2 only: all mine
        caller(3, waited=80, tier=2),  # only tier 2 may take it: none mine
        caller(4, waited=300, category="network"),  # tier 2 open to it: 1, 2, 5: two thirds
        me,
    ]
    place, serving = place_in_line(me, line, agents, NOW, RULES)
    assert place == 4  # callers 1, 2 and 4 ahead, each counted whole
    assert [a.id for a in serving] == [1, 2]
    assert shared_place(me, line, agents, NOW, RULES) == pytest.approx(1 + 0.5 + 1 + 2 / 3)
    # Without the hardware analysts, caller 1 is mine alone and counts whole again.
    mine_only = [a for a in agents if a.id not in (3, 4)]
    assert shared_place(me, line, mine_only, NOW, RULES) == pytest.approx(1 + 1 + 1 + 2 / 3)


@pytest.mark.parametrize("seed", range(25))
def test_fast_paths_agree_with_the_plain_rules(seed):
    """best_caller_for and assign give what the plain per-pair rules (fits, order_key) give."""
    rnd = random.Random(seed)
    cats = [None, "hardware", "software", "network", "access"]
    line = [caller(i, rank=rnd.randint(1, 4), waited=rnd.choice([0, 60, 130, 250, 400]),
                   tier=rnd.choice([1, 1, 1, 2, 3]), category=rnd.choice(cats))
            for i in range(40)]
    statuses = ["available", "available", "on_call", "offline", "on_break", "wrap_up"]
    agents = [agent(100 + i, tier=rnd.choice([1, 2, 3]),
                    skills=set(rnd.sample(cats[1:], rnd.randint(0, 2))),
                    status=rnd.choice(statuses), idle=rnd.choice([0, 10, 20, 30]))
              for i in range(rnd.randint(1, 12))]
    rules = TierRules(multiply_by_level=rnd.random() < 0.5, skip_empty_tiers=rnd.random() < 0.5)
    staffed = {a.tier for a in agents if a.status != "offline"}
    ordered = sorted(line, key=order_key)
    for a in agents:
        expected = next((w for w in ordered if fits(a, w, NOW, rules, staffed)), None)
        assert best_caller_for(a, line, NOW, rules, staffed) == expected
        assert best_caller_for(a, ordered, NOW, rules, staffed, presorted=True) == expected
    free = list(agents)
    expected_pairs = []
    for w in ordered:
        a = best_agent_for(w, free, NOW, rules, staffed)
        if a is not None:
            expected_pairs.append((w, a))
            free.remove(a)
    assert assign(line, agents, NOW, rules) == expected_pairs
    assert assign(ordered, agents, NOW, rules, presorted=True) == expected_pairs
    # As the line runs it: only the free agents, and the staffed tiers read apart.
    available = [a for a in agents if a.status == "available"]
    assert assign(ordered, available, NOW, rules, presorted=True,
                  staffed=staffed) == expected_pairs


def test_in_order_is_order_key_order_with_ties():
    rnd = random.Random(3)
    line = [caller(i, rank=rnd.randint(1, 4), waited=rnd.choice([0, 0.5, 10, 99.9]))
            for i in rnd.sample(range(500), 300)]
    assert in_order(line) == sorted(line, key=order_key)
    assert in_order([]) == []
