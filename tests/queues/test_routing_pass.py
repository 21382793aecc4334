"""The routing pass as the line runs it (`flask ivr route`, the scheduler's sweep, the hold
loop): which waiting caller Twilio is asked to put through to which free analyst, once."""

from __future__ import annotations

from sqlalchemy import select

from tickets.models import Agent

from ..ivr.test_queue import add_agent, entry_of, to_queue


def route(app) -> str:
    result = app.test_cli_runner().invoke(args=["ivr", "route"])
    assert result.exit_code == 0, result.output
    return result.output


def statuses(db, *agents) -> list[str]:
    rows = db.scalars(select(Agent).where(Agent.id.in_([a.id for a in agents]))
                      .order_by(Agent.id).execution_options(populate_existing=True))
    return [a.status for a in rows]


def test_a_busy_tier_holds_its_caller_back_from_the_next_tier_a_logged_out_one_does_not(
        app, call, db, demo, clock, twilio):
    # Tess (tier 2) is free; the caller starts in tier 1. While Ann (tier 1) is on a call,
    # tier 1 is staffed: tier 2 may take the caller only after the tier wait.
    ann = add_agent(db, "Ann", tier=1, status="on_call")
    tess = add_agent(db, "Tess", tier=2)
    caller = to_queue(call)
    caller.press("1")  # hold
    assert "0 caller(s) bridged" in route(app)
    assert twilio.dequeued == []
    # Ann logs out: nobody staffs tier 1, it costs no waiting, and Tess takes the caller.
    ann.status = "offline"
    db.commit()
    assert "1 caller(s) bridged" in route(app)
    entry = entry_of(db, caller)
    assert [(d["queue"], d["call"]) for d in twilio.dequeued] == [
        (entry.queue_sid, caller.call_sid)]
    assert (entry.status, entry.agent_id) == ("bridging", tess.id)
    assert statuses(db, tess) == ["on_call"]


def test_each_free_analyst_is_offered_one_caller_and_each_caller_is_asked_for_once(
        app, call, db, demo, clock, twilio):
    add_agent(db, "Bob", tier=1, status="on_call")  # keeps tier 1 staffed while they hold
    regular = to_queue(call, number="+15551230001", impact="1", urgency="1")
    regular.press("1")  # hold
    clock.advance(30)
    critical = to_queue(call, number="+393331234567", impact="2", urgency="3")
    critical.press("1")
    ann = add_agent(db, "Ann", tier=1)
    assert "1 caller(s) bridged" in route(app)  # one analyst free: one caller, the first
    assert "0 caller(s) bridged" in route(app)  # nobody free any more: nothing twice
    first = entry_of(db, critical)
    assert [(d["queue"], d["call"]) for d in twilio.dequeued] == [
        (first.queue_sid, critical.call_sid)]
    assert (first.status, first.agent_id) == ("bridging", ann.id)
    assert (entry_of(db, regular).status, entry_of(db, regular).agent_id) == ("waiting", None)
    cal = add_agent(db, "Cal", tier=1)
    assert "1 caller(s) bridged" in route(app)
    assert [d["call"] for d in twilio.dequeued] == [critical.call_sid, regular.call_sid]
    assert twilio.dequeued[1]["queue"] == entry_of(db, regular).queue_sid
    assert entry_of(db, regular).agent_id == cal.id
    assert statuses(db, ann, cal) == ["on_call", "on_call"]
