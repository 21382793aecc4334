"""A ticket's life after intake, as the console, the API and the scheduler all drive it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tickets import TicketError, intake, timeline, workflow
from tickets.models import OutboundCall, QueueEntry, TicketEvent

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SLA = {"tier": 1, "response_minutes": 60, "resolution_minutes": 480, "update_minutes": 240}


def new_ticket(session, number="+12025550147"):
    ticket, _pin = intake.open_ticket(
        session, fields={"callback_number": number, "problem": "VPN drops"},
        priority="critical_situation", sla=SLA, now=NOW)
    return ticket


def texts(session, ticket):
    return [e.text for e in session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id))]


def test_the_response_timer_runs_until_an_analyst_acts(session):
    ticket = new_ticket(session)
    assert ticket.escalate_at == NOW + timedelta(minutes=60)
    with pytest.raises(TicketError, match="needs some text"):
        workflow.add_note(session, ticket, "  ", actor="ann", now=NOW)
    workflow.add_note(session, ticket, "Looking at the VPN logs", actor="ann",
                      now=NOW + timedelta(minutes=5), public=True)
    assert ticket.responded_at == NOW + timedelta(minutes=5)
    assert ticket.escalate_at == ticket.resolution_due
    assert timeline.latest_public_note(session, ticket) == "Looking at the VPN logs"


def test_status_changes_are_checked_and_kept_on_the_timeline(session):
    ticket = new_ticket(session)
    with pytest.raises(TicketError, match="unknown status"):
        workflow.change_status(session, ticket, "done", actor="ann", now=NOW)
    workflow.change_status(session, ticket, "in_progress", actor="ann", now=NOW)
    assert ticket.responded_at == NOW
    assert "Status open -> in_progress" in texts(session, ticket)


def test_escalation_needs_a_reason_and_moves_a_waiting_caller(session):
    ticket = new_ticket(session)
    entry = QueueEntry(ticket_id=ticket.id, tier=1, status="waiting", joined_at=NOW)
    callback = QueueEntry(ticket_id=ticket.id, tier=1, status="callback", joined_at=NOW)
    session.add_all([entry, callback])
    session.flush()
    with pytest.raises(TicketError, match="needs a reason"):
        workflow.escalate_ticket(session, ticket, reason=" ", actor="ann", now=NOW)
    assert workflow.escalate_ticket(session, ticket, reason="needs network team",
                                    actor="ann", now=NOW) == 2
    session.refresh(entry)
    session.refresh(callback)
    assert entry.tier == 2
    assert callback.tier == 2  # a promised callback waits for the new tier's analysts
    assert "Escalated from tier 1 to tier 2: needs network team" in texts(session, ticket)


def test_no_second_status_call_is_booked_while_one_is_ringing(session):
    ticket = new_ticket(session)
    ringing = workflow.schedule_status_call(session, ticket, now=NOW, reason="cadence")
    ringing.status = "placed"
    session.flush()
    assert workflow.schedule_status_call(session, ticket, now=NOW, reason="SLA breach") is None
    ringing.status = "done"
    session.flush()
    assert workflow.schedule_status_call(session, ticket, now=NOW, reason="SLA breach")


def test_resolving_books_one_closure_call_and_calls_off_status_calls(session):
    ticket = new_ticket(session)
    workflow.schedule_status_call(session, ticket, now=NOW, reason="cadence")
    assert workflow.schedule_status_call(session, ticket, now=NOW, reason="cadence") is None
    workflow.resolve_ticket(session, ticket, actor="ann", now=NOW, note="Router rebooted")
    calls = {c.kind: c.status for c in session.scalars(select(OutboundCall))}
    assert calls == {"status_update": "canceled", "closure": "pending"}
    with pytest.raises(TicketError, match="already resolved"):
        workflow.resolve_ticket(session, ticket, actor="ann", now=NOW)
    assert "Router rebooted" in texts(session, ticket)


def test_no_number_means_no_call_and_says_so(session):
    ticket = new_ticket(session, number=None)
    ticket.callback_number = None
    assert workflow.resolve_ticket(session, ticket, actor="ann", now=NOW) is None
    assert "No closure call: no callback number on the ticket" in texts(session, ticket)
