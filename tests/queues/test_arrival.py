"""A caller reaching the queues, from the caller's side: put through when the routing round
gives them a free analyst, even while callers ahead wait for other skills."""

from __future__ import annotations

from datetime import timedelta

from tickets.models import QueueEntry

from ..conftest import MONDAY_10
from ..ivr.test_queue import add_agent, entry_of, to_queue


def someone_waiting_for(db, category: str) -> QueueEntry:
    """A caller holding since before, first in line, for a category only a busy analyst
    takes."""
    entry = QueueEntry(status="waiting", consent=True, tier=1, rank=1, category=category,
                       queue_sid="QU" + "1" * 32, joined_at=MONDAY_10 - timedelta(minutes=3))
    db.add(entry)
    db.commit()
    return entry


def test_a_free_analyst_with_the_callers_skills_takes_them_while_others_wait(call, db, demo,
                                                                             clock, twilio):
    add_agent(db, "Bob", tier=1, status="on_call")  # takes anything, busy
    ann = add_agent(db, "Ann", tier=1, skills=["hardware"])  # free, hardware only
    ahead = someone_waiting_for(db, "network")
    caller = to_queue(call)
    assert entry_of(db, caller).category == "hardware"
    caller.hears("An analyst is free to take your call")
    assert "expected wait" not in caller.text.lower()
    assert "May we put you on hold" not in caller.text
    assert [d["call"] for d in twilio.dequeued] == [caller.call_sid]
    assert entry_of(db, caller).agent_id == ann.id
    db.refresh(ahead)
    assert ahead.status == "waiting"  # still waits for Bob


def test_a_free_analyst_a_caller_ahead_takes_first_is_not_offered(call, db, demo, clock,
                                                                  twilio):
    add_agent(db, "Ann", tier=1)  # free, takes anything: the caller ahead's
    ahead = someone_waiting_for(db, "network")
    caller = to_queue(call)
    caller.hears("expected wait", "May we put you on hold")
    assert not caller.in_queue
    db.refresh(ahead)
    assert ahead.status == "waiting"  # the routing pass comes with the hold loop, not here
