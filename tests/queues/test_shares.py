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


@pytest.mark.parametrize("seed", [13, 14])
def test_the_lines_count_is_the_pure_cores(db, demo, seed):
    """``lineup.places`` (one pass over the line's index) gives ``routing.place_in_line``'s
    place and ``routing.shared_place`` for callers of every priority, tier and category (one
    that no analyst lists too), ties included, now and when a higher tier has opened (alone,
    or beside an earlier moment in the same pass)."""
    rng = random.Random(seed)
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
