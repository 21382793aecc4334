"""The lookups every call makes are answered from an index, never by reading a whole table:
a year of calls (hundreds of thousands of tickets and queue visits) must not make each call
slower. Checked on SQLite's query plans (PostgreSQL's planner scans small tables anyway)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from tickets.line_models import QueueEntry
from tickets.models import Ticket, TicketEvent
from tickets.statuses import OPEN_STATUSES

LOOKUPS = {
    "a call's queue entry (every hold webhook)":
        select(QueueEntry.id).where(QueueEntry.call_id == 1),
    "a ticket's queue visits (console, workflow)":
        select(QueueEntry.id).where(QueueEntry.ticket_id == 1),
    "a call's tickets (the intake's end, a ticket's opening)":
        select(Ticket.id).where(Ticket.call_id == 1),
    "a known caller's open tickets (the caller lookup)":
        select(func.count(Ticket.id)).where(Ticket.customer_id == 1,
                                            Ticket.status.in_(OPEN_STATUSES)),
    "a call's lines not yet on a ticket (a ticket's opening)":
        update(TicketEvent).where(TicketEvent.call_id == 1,
                                  TicketEvent.ticket_id.is_(None)).values(ticket_id=1),
}


@pytest.mark.parametrize("what", LOOKUPS)
def test_a_lookup_every_call_makes_reads_an_index(session, what):
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        pytest.skip("SQLite's query plans; PostgreSQL's planner scans small tables anyway")
    statement = LOOKUPS[what]
    sql = str(statement.compile(connection, compile_kwargs={"literal_binds": True}))
    plan = " / ".join(row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert "USING" in plan and "INDEX" in plan, plan
    assert not [step for step in plan.split(" / ") if step.startswith("SCAN")], plan
