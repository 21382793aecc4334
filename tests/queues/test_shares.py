"""Callers ahead counted by the share of their analysts who are also the caller's: the line's
count over its index, and the wait a caller is told."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from ivr.queues import lineup, routing
from tickets.models import Agent, QueueEntry
from tickets.versions import live_policy

from ..conftest import MONDAY_10
from ..ivr.test_queue import add_agent


def holding(db, minutes_ago: float, category: str | None, tier: int = 1,
            rank: int = 3) -> QueueEntry:
    entry = QueueEntry(status="waiting", consent=True, tier=tier, rank=rank, category=category,
                       queue_sid="QU" + "1" * 32,
                       joined_at=MONDAY_10 - timedelta(minutes=minutes_ago))
    db.add(entry)
    db.commit()
    return entry


def test_a_caller_ahead_whom_other_analysts_serve_too_shortens_the_wait_told(db, demo):
    # Ann takes every category, Bob only hardware; both just started a call. The caller (a
    # software problem) is served by Ann alone. Ahead of them a hardware caller, whom Ann or
    # Bob may take: with Bob on a call too, Bob takes them about half the time.
    add_agent(db, "Ann", tier=1, status="on_call")
    bob = add_agent(db, "Bob", tier=1, status="on_call", skills=["hardware"])
    holding(db, minutes_ago=5, category="hardware")
    me = holding(db, minutes_ago=1, category="software")
    pol = live_policy(db)
    place, shared, _ = lineup.places(db, me, routing.Shares(
        lineup.as_waiting(me), [lineup.as_agent(a) for a in db.scalars(select(Agent))],
        MONDAY_10.timestamp(), lineup.tier_rules(pol)))
    assert (place, shared) == (2, 1.5)
    told_place, told = lineup.position_and_estimate(db, me, MONDAY_10, pol)

    bob.status = "on_break"  # now only Ann can take the hardware caller: a whole place
    db.commit()
    again, alone = lineup.position_and_estimate(db, me, MONDAY_10, pol)
    assert told_place == again == 2  # the place said to the caller stays whole
    # No handle times yet: a call is taken as 300 s, then 60 s of wrap-up. Half a caller ahead:
    # Ann's first freeing (360 s); a whole caller ahead: her second (720 s).
    assert told == pytest.approx(360, abs=1)
    assert alone == pytest.approx(720, abs=1)


def random_line(db, rng: random.Random) -> None:
    """25 analysts of every tier, status and a few skills; 80 callers of every priority, tier
    and category (one that no analyst lists too), most holding, joined at a few moments."""
    listed = ("hardware", "software", "network")
    for i in range(25):
        add_agent(db, f"Analyst {i}", tier=rng.choice((1, 1, 2, 3)),
                  status=rng.choice(("available", "on_call", "wrap_up", "on_break", "offline")),
                  skills=rng.sample(listed, rng.randint(0, 2)))
    for _ in range(80):
        db.add(QueueEntry(status="waiting", consent=rng.random() < 0.9,
                          tier=rng.choice((1, 1, 2, 3)), rank=rng.choice((1, 2, 3, 3, 4)),
                          category=rng.choice((*listed, "access", None)),  # access: nobody's
                          joined_at=MONDAY_10 - timedelta(seconds=rng.choice((0, 60, 200, 500,
                                                                               900)))))
    db.commit()


@pytest.mark.parametrize("seed", [13, 14])
def test_the_lines_count_is_the_pure_cores(db, demo, seed):
    """``lineup.places`` (one pass over the line's index) gives ``routing.place_in_line``'s
    place and ``routing.shared_place`` for callers of every priority, tier and category (one
    that no analyst lists too), ties included, now and when a higher tier has opened (alone,
    or beside an earlier moment in the same pass)."""
    rng = random.Random(seed)
    random_line(db, rng)
    rules = lineup.tier_rules(live_policy(db))
    entries = db.scalars(select(QueueEntry)).all()
    staff = [lineup.as_agent(a) for a in db.scalars(select(Agent)) if a.status != "offline"]
    line = [lineup.as_waiting(e) for e in entries if e.status == "waiting" and e.consent]
    shared_values = set()
    for at in (MONDAY_10.timestamp(), MONDAY_10.timestamp() + 240):
        for entry in entries:
            me = lineup.as_waiting(entry)
            then = at + 300  # a higher tier may have opened: counted in the same pass
            place, shared, [shared_then] = lineup.places(
                db, entry, routing.Shares(me, staff, at, rules),
                [routing.Shares(me, staff, then, rules)])
            assert place == routing.place_in_line(me, line, staff, at, rules)[0], entry.id
            assert shared == pytest.approx(routing.shared_place(me, line, staff, at, rules)), \
                entry.id
            assert shared_then == pytest.approx(
                routing.shared_place(me, line, staff, then, rules)), entry.id
            shared_values.add(round(shared, 6))
    assert any(v != int(v) for v in shared_values)  # some callers ahead counted in part


def test_callers_of_every_tier_category_and_time_joined_share_a_statement(db, demo):
    """The line's callers, whatever the tiers open to them and the categories of those ahead,
    are counted by one statement per number of CASEs (each compiled on its first use): not
    one per arrangement of their levels and categories. On SQLite the sum is the callers'
    shares added one by one in line order, to the last bit (the shares bound, not rounded)."""
    rng = random.Random(15)
    random_line(db, rng)
    rules = lineup.tier_rules(live_policy(db))
    entries = db.scalars(select(QueueEntry)).all()
    staff = [lineup.as_agent(a) for a in db.scalars(select(Agent)) if a.status != "offline"]
    line = routing.in_order(lineup.as_waiting(e) for e in entries
                            if e.status == "waiting" and e.consent)
    lineup._PLACES.clear()
    sqlite = db.get_bind().dialect.name == "sqlite"
    for at in (MONDAY_10.timestamp(), MONDAY_10.timestamp() + 100, MONDAY_10.timestamp() + 240):
        for entry in entries:
            me = lineup.as_waiting(entry)
            shares = routing.Shares(me, staff, at, rules)
            _, shared, _ = lineup.places(db, entry, shares, [
                routing.Shares(me, staff, at + 300, rules)])
            if sqlite:
                one_by_one = 0.0
                for w in line:
                    if routing.order_key(w) < routing.order_key(me) and shares.of(w):
                        one_by_one += shares.of(w)
                assert shared == 1.0 + one_by_one, entry.id
    # The caller's own CASE and the later one's, each there or not (no analyst serving).
    assert len(lineup._PLACES) <= 3


def told_place(db, me: QueueEntry, at=MONDAY_10) -> tuple[int, float]:
    """The place said to ``me`` at ``at``, and the place their wait estimate counts to."""
    pol = live_policy(db)
    staff = [lineup.as_agent(a) for a in db.scalars(select(Agent))]
    shares = routing.Shares(lineup.as_waiting(me), staff, at.timestamp(), lineup.tier_rules(pol))
    place, shared, _ = lineup.places(db, me, shares)
    assert lineup.position_and_estimate(db, me, at, pol)[0] == place
    return place, shared


def test_callers_of_other_categories_counted_by_their_own_shares_in_turn(db, demo):
    # Ann takes every category, Bob only hardware, Nina only network; all on a call. Hardware
    # and network callers' counts have the same form (a CASE of two categories besides the
    # rest) over different categories: each caller's own shares, whoever asked before.
    add_agent(db, "Ann", status="on_call")
    add_agent(db, "Bob", status="on_call", skills=["hardware"])
    add_agent(db, "Nina", status="on_call", skills=["network"])
    holding(db, minutes_ago=10, category="hardware")
    holding(db, minutes_ago=9.5, category="hardware")
    holding(db, minutes_ago=9, category="network")
    printer = holding(db, minutes_ago=2, category="hardware")
    vpn = holding(db, minutes_ago=1, category="network")
    for _ in range(2):
        # The printer caller's analysts are Ann and Bob: the hardware callers ahead are theirs
        # alone, the network caller ahead half theirs (Ann or Nina).
        assert told_place(db, printer) == (4, 3.5)
        # The VPN caller's are Ann and Nina: the network caller ahead is theirs alone, each
        # hardware caller ahead (the printer caller too) half theirs.
        assert told_place(db, vpn) == (5, 3.5)


def test_a_higher_tiers_callers_counted_by_the_tier_they_started_in(db, demo):
    # Ann (tier 1) and Tess (tier 2), both on a call; a caller starting in tier 1 may go to
    # tier 2 after 2 minutes. A tier-1 and a tier-2 caller who just joined have counts of the
    # same form (two levels), of different tiers.
    add_agent(db, "Ann", tier=1, status="on_call")
    add_agent(db, "Tess", tier=2, status="on_call")
    holding(db, minutes_ago=5, category=None, tier=2)
    holding(db, minutes_ago=1, category=None, tier=1)
    mine = holding(db, minutes_ago=0.5, category=None, tier=1)
    theirs = holding(db, minutes_ago=0.3, category=None, tier=2)
    # Only Ann may take the tier-1 callers yet: the tier-1 caller ahead is one place; the
    # tier-2 caller ahead is Tess's alone, none of Ann's.
    assert told_place(db, mine) == (2, 2.0)
    # For the tier-2 caller who just joined it is the other way round.
    assert told_place(db, theirs) == (2, 2.0)
    # Two minutes on, Tess may take the tier-1 callers too, Ann as likely as she: each counts
    # as half a place for the tier-2 caller; and the tier-1 caller has both analysts now,
    # whom every caller ahead is a whole place.
    later = MONDAY_10 + timedelta(minutes=2)
    assert told_place(db, theirs, later) == (4, 3.0)
    assert told_place(db, mine, later) == (3, 3.0)


def test_callers_of_categories_nobody_of_mine_lists_count_for_nothing(db, demo):
    # Ann takes every category, Bob only hardware; both on a call. Ahead: a caller about
    # access (a category no analyst lists) and a hardware caller.
    ann = add_agent(db, "Ann", status="on_call")
    add_agent(db, "Bob", status="on_call", skills=["hardware"])
    holding(db, minutes_ago=10, category="access")
    holding(db, minutes_ago=9, category="hardware")
    software = holding(db, minutes_ago=2, category="software")
    printer = holding(db, minutes_ago=1, category="hardware")
    # The software caller is Ann's alone: the access caller ahead too (a whole place), the
    # hardware caller Ann's or Bob's (half).
    assert told_place(db, software) == (3, 2.5)
    # Ann goes on a break: the printer caller is Bob's alone, who takes only hardware callers;
    # the access and software callers ahead count for nothing.
    ann.status = "on_break"
    db.commit()
    assert told_place(db, printer) == (2, 2.0)
