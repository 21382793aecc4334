"""The routing pass's work in statements, and its guarantees where its statements were merged:
a bounded number of statements however many callers wait and analysts are free; a caller
claimed by a guarded UPDATE (WHERE status = 'waiting'), an analyst by another (WHERE status =
'available'), in the pass's transaction; a caller whose analyst another worker took first
waits on at their place, an analyst whose caller another worker took stays free. On SQLite and
PostgreSQL alike (the suite runs on both)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, select, update

from ivr.db import session as request_session
from ivr.queues import lineup
from tickets.models import Agent, OutboundCall, QueueEntry
from tickets.versions import live_policy

from ..conftest import MONDAY_10
from ..ivr.test_queue import ALICE_CALLABLE, add_agent, entry_of, timeline, to_queue
from .test_routing_pass import route, statuses


@contextmanager
def statements(app) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs meanwhile (BEGIN and COMMIT by the driver, on
    PostgreSQL, are not statements: they are not counted)."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(statement)

    engine = app.extensions["engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def waiting_callers(db, count: int, category: str = "network", rank: int = 3,
                    minutes_ago: int = 30) -> list[QueueEntry]:
    """Callers holding with consent in Twilio's queue, in this order (rows only: no call
    behind them)."""
    entries = [QueueEntry(status="waiting", consent=True, tier=1, rank=rank, category=category,
                          queue_sid="QU" + "1" * 32,
                          joined_at=MONDAY_10 - timedelta(minutes=minutes_ago)
                          + timedelta(seconds=i))
               for i in range(count)]
    db.add_all(entries)
    db.commit()
    return entries


def holding_callers(call, count: int) -> list:
    """Callers who rang the line and agreed to hold."""
    numbers = ["+15551230001", "+393331234567", "+60123456789", ALICE_CALLABLE]
    callers = [to_queue(call, number=n) for n in numbers[:count]]
    for caller in callers:
        caller.press("1")  # hold
    return callers


def test_a_routing_pass_takes_a_bounded_number_of_statements(app, call, db, demo, clock,
                                                             twilio):
    add_agent(db, "Bob", tier=1, status="on_call")  # keeps tier 1 staffed while they hold
    callers = holding_callers(call, 4)
    route(app)  # nobody free; a first pass publishes the shipped policy if it must
    postgres = db.bind.dialect.name == "postgresql"
    with statements(app) as idle:
        assert "0 caller(s) bridged" in route(app)
    # The live policy; the wrap-ups over, the free analysts and the staffed tiers, and the
    # line only when someone is free (SQLite: BEGIN IMMEDIATE; the wrap-ups' UPDATE apart
    # only when one is over, none here).
    assert len(idle) == (2 if postgres else 3), idle
    analysts = [add_agent(db, name) for name in ("Ann", "Cal", "Dee")]
    with statements(app) as busy:
        assert "3 caller(s) bridged" in route(app)
    # ... the same with the line's first page and the callbacks due, then the claims of the
    # callers and their analysts (SQLite: the analysts' UPDATE apart). None per caller or per
    # analyst.
    assert len(busy) == (3 if postgres else 5), busy
    assert statuses(db, *analysts) == ["on_call"] * 3
    assert sorted(entry_of(db, c).status for c in callers) == ["bridging"] * 3 + ["waiting"]


def test_the_line_is_read_a_page_at_a_time_until_an_analyst_fits(app, db, demo, clock):
    add_agent(db, "Bob", tier=1, status="on_call")
    waiting_callers(db, 2 * lineup.PAGE + 5, category="network", rank=1)  # ahead, not Ann's
    fits = waiting_callers(db, 1, category="hardware", rank=2)[0]
    add_agent(db, "Ann", tier=1, skills=["hardware"])
    with app.app_context():
        session = request_session()
        pol = live_policy(session)
        with statements(app) as seen:
            pairs, callbacks = lineup.routing_round(session, clock(), pol)
        session.rollback()
    assert [w.id for w, _ in pairs] == [fits.id] and callbacks == {}
    # The free analysts with the first page and the callbacks due, then two pages more (one
    # analyst free: PAGE callers a page); never the rest of the line.
    assert len(seen) == 3, seen


def test_a_page_of_the_line_begins_after_the_last_caller_read(app, db, demo, clock):
    # Two analysts free: pages of 2 * PAGE. Ann's and Cal's callers are the last of the first
    # page and one on the second; the second page must not begin with the first's last again.
    add_agent(db, "Bob", tier=1, status="on_call")
    size = 2 * lineup.PAGE
    line = waiting_callers(db, size + 8, category="network", rank=1)
    first, second = line[size - 1], line[size + 5]
    for entry in (first, second):
        entry.category = "hardware"
    db.commit()
    ann = add_agent(db, "Ann", tier=1, skills=["hardware"], idle_since=clock() - timedelta(1))
    cal = add_agent(db, "Cal", tier=1, skills=["hardware"])
    with app.app_context():
        session = request_session()
        pairs, _ = lineup.routing_round(session, clock(), live_policy(session))
        session.rollback()
    assert [(w.id, a.id) for w, a in pairs] == [(first.id, ann.id), (second.id, cal.id)]


@contextmanager
def before_the_claims(app, change) -> Iterator[None]:
    """``change(connection)`` runs in the pass's own transaction just before its claims, as
    another worker's committed claim would look to them."""
    engine = app.extensions["engine"]
    done: list[bool] = []

    def meddle(conn, _cursor, statement, _params, _context, _many) -> None:
        if statement.lstrip().upper().startswith(("UPDATE QUEUE_ENTRY", "WITH CLAIMED")) \
                and not done:
            done.append(True)
            change(conn)

    event.listen(engine, "before_cursor_execute", meddle)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", meddle)


def test_a_caller_whose_analyst_was_taken_first_waits_on_at_their_place(app, call, db, demo,
                                                                          clock, twilio):
    add_agent(db, "Bob", tier=1, status="on_call")
    caller, = holding_callers(call, 1)
    ann = add_agent(db, "Ann", tier=1)
    with before_the_claims(app, lambda conn: conn.execute(
            update(Agent).where(Agent.id == ann.id).values(status="on_call"))):
        assert "0 caller(s) bridged" in route(app)
    entry = entry_of(db, caller)
    assert (entry.status, entry.agent_id, entry.bridging_at) == ("waiting", None, None)
    assert twilio.dequeued == []


def test_an_analyst_whose_caller_was_taken_first_stays_free(app, call, db, demo, clock,
                                                           twilio):
    add_agent(db, "Bob", tier=1, status="on_call")
    caller, = holding_callers(call, 1)
    ann = add_agent(db, "Ann", tier=1)
    entry_id = entry_of(db, caller).id
    with before_the_claims(app, lambda conn: conn.execute(
            update(QueueEntry).where(QueueEntry.id == entry_id).values(status="bridging"))):
        assert "0 caller(s) bridged" in route(app)
    assert statuses(db, ann) == ["available"]
    assert twilio.dequeued == []


def test_an_analyst_whose_wrap_up_is_over_takes_the_next_caller(app, call, db, demo, clock,
                                                                twilio):
    add_agent(db, "Bob", tier=1, status="on_call")
    caller, = holding_callers(call, 1)
    wrap_up = live_policy(db).wrap_up_seconds
    # Cal wrapped up long ago and has waited longest since his call: he takes the caller;
    # Ann's wrap-up is not over.
    ann = add_agent(db, "Ann", tier=1, status="wrap_up")
    cal = add_agent(db, "Cal", tier=1, status="wrap_up",
                    idle_since=clock() - timedelta(seconds=wrap_up + 60))
    for agent, since in ((ann, clock()), (cal, clock() - timedelta(seconds=wrap_up + 1))):
        db.execute(update(Agent).where(Agent.id == agent.id).values(status_since=since))
    db.commit()
    assert "1 caller(s) bridged" in route(app)
    assert entry_of(db, caller).agent_id == cal.id
    assert statuses(db, ann, cal) == ["wrap_up", "on_call"]
    idle_since = db.scalar(select(Agent.idle_since).where(Agent.id == cal.id)
                           .execution_options(populate_existing=True))
    assert idle_since == clock() - timedelta(seconds=wrap_up + 60)  # kept: from his last call


def test_a_callback_whose_place_came_up_holds_the_free_analyst(app, call, db, demo, clock,
                                                              twilio):
    add_agent(db, "Bob", tier=1, status="on_call")
    caller = to_queue(call, number=ALICE_CALLABLE)
    caller.press("1")  # hold
    caller.press("2")  # a callback instead, keeping the place
    caller.press("1")  # as soon as an analyst is free
    assert caller.hung_up
    later, = holding_callers(call, 1)  # joined after: behind the callback
    ann = add_agent(db, "Ann", tier=1)
    assert "0 caller(s) bridged" in route(app)  # reserved for the callback, not dequeued
    outbound = db.scalar(select(OutboundCall).execution_options(populate_existing=True))
    assert (outbound.agent_id, outbound.status) == (ann.id, "pending")
    assert statuses(db, ann) == ["on_call"]
    assert any("Callback's turn in line: Ann (tier 1) is reserved for it" in t
               for t in timeline(db, "callback_ready"))
    assert entry_of(db, later).status == "waiting" and twilio.dequeued == []


def test_a_hold_fetch_that_puts_nobody_through_commits_once(app, call, db, demo, clock, twilio):
    """Nobody free: the pass claims nobody, so nothing must be committed before Twilio is
    asked; what the fetch told the caller is committed with its answer, in one transaction."""
    add_agent(db, "Bob", tier=1, status="on_call")  # tier 1 staffed, nobody free
    caller, = holding_callers(call, 1)
    clock.advance(121)  # past check_back_seconds: a message this pass
    commits: list[object] = []

    def committed(connection) -> None:
        commits.append(connection)

    engine = app.extensions["engine"]
    event.listen(engine, "commit", committed)
    try:
        with statements(app) as seen:
            caller.wait()
    finally:
        event.remove(engine, "commit", committed)
    assert caller.in_queue
    caller.hears("forgotten")
    assert len(commits) == 1
    assert sum(s.startswith("BEGIN") for s in seen) == (0 if db.bind.dialect.name ==
                                                        "postgresql" else 1), seen
    entry = entry_of(db, caller)
    assert entry.last_check_back_at == clock() and entry.queue_sid is not None
    assert any("Checked back" in t for t in timeline(db, "check_back"))
