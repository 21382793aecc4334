"""The scheduler's periodic sweeps: SLA escalation, status-call cadence, housekeeping.

Each takes a session and the time, changes rows and leaves committing to the caller. Rows are
locked with SKIP LOCKED on PostgreSQL, so schedulers running side by side never act twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from call_scripts.hours import add_open_minutes, open_minutes_between
from tickets import timeline, workflow
from tickets.models import Call, OutboundCall, Ticket
from tickets.statuses import FINAL_STATUSES, OPEN_STATUSES, CallStatus, OutboundStatus

from . import conversation

log = logging.getLogger(__name__)

BATCH = 500
STALE_PLACED = timedelta(hours=2)  # a placed call with no final status by now is looked up


def _locked(session: Session, query: Select) -> Select:
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def sla_sweep(session: Session, now: datetime, pol: Any) -> int:
    """Escalate open tickets whose response or resolution target passed; call the customer.
    Only while the desk is open (the targets count business hours), and never a ticket whose
    clock is paused (waiting on the customer)."""
    if not pol.is_within_hours(now):
        return 0
    tickets = session.scalars(_locked(session, select(Ticket).where(
        Ticket.status.in_(OPEN_STATUSES), Ticket.escalate_at <= now,
        Ticket.sla_paused_at.is_(None),
        Ticket.escalation_pending.is_(None)).order_by(Ticket.escalate_at).limit(BATCH))).all()
    for ticket in tickets:
        which = "response" if ticket.responded_at is None else "resolution"
        due = ticket.response_due if which == "response" else ticket.resolution_due
        if which == "response" and ticket.response_breached_at is None:
            ticket.response_breached_at = now
        if which == "resolution" and ticket.resolution_breached_at is None:
            ticket.resolution_breached_at = now
        reason = (f"SLA {which} target missed (due {due:%Y-%m-%d %H:%M} UTC)" if due
                  else f"SLA {which} timer ran out")
        if ticket.tier < workflow.MAX_TIER:
            workflow.escalate_ticket(session, ticket, reason=reason, actor="sla", now=now)
            ticket.escalate_at = add_open_minutes(pol.hours, now, _response_minutes(ticket, pol))
        else:
            names = ", ".join(pol.escalation.approvers) or "nobody named"
            ticket.escalation_pending = (f"{reason}; beyond tier {workflow.MAX_TIER} needs "
                                         f"approval ({names})")[:200]
            ticket.escalate_at = None
            timeline.record_event(session, "escalation_pending",
                                  f"{reason}. Escalation to {pol.escalation.beyond_tier_3} "
                                  f"needs approval from: {names}", ticket_id=ticket.id,
                                  actor="sla", at=now)
        workflow.schedule_status_call(session, ticket, now=now, reason="sla_breach",
                                      actor="sla")
    return len(tickets)


def _response_minutes(ticket: Ticket, pol: Any) -> float:
    """The response target the next tier gets: the policy's for the priority, else the open
    time the ticket's own target gave (one hour if it has none)."""
    target = pol.sla.get(ticket.priority)
    if target is not None:
        return float(target.response_minutes)
    if ticket.response_due is not None and ticket.created_at is not None:
        return max(open_minutes_between(pol.hours, ticket.created_at, ticket.response_due), 1.0)
    return workflow.response_span(ticket).total_seconds() / 60


def status_cadence(session: Session, now: datetime, pol: Any) -> int:
    """Book a status call for each open ticket whose update interval has passed."""
    tickets = session.scalars(_locked(session, select(Ticket).where(
        Ticket.status.in_(OPEN_STATUSES), Ticket.status_calls_stopped.is_(False),
        Ticket.callback_number.is_not(None)).order_by(Ticket.id))).all()
    booked = 0
    for ticket in tickets:
        target = pol.sla.get(ticket.priority)
        minutes = target.update_minutes if target and target.update_minutes \
            else ticket.update_minutes
        if not minutes:
            continue
        last = ticket.last_status_call_at or ticket.created_at
        if last + timedelta(minutes=minutes) <= now and workflow.schedule_status_call(
                session, ticket, now=now, reason="cadence", actor="scheduler"):
            booked += 1
    return booked


def reconcile(session: Session, now: datetime,
              fetch_status: Callable[[str], str | None]) -> int:
    """Settle placed calls whose final status callback never came, by asking Twilio."""
    rows = session.scalars(_locked(session, select(OutboundCall).where(
        OutboundCall.status.in_((OutboundStatus.PLACED, OutboundStatus.ANSWERED)),
        OutboundCall.placed_at < now - STALE_PLACED).limit(BATCH))).all()
    settled = 0
    for row in rows:
        status = fetch_status(row.twilio_sid) if row.twilio_sid else CallStatus.FAILED
        if status in FINAL_STATUSES:
            call = session.scalar(select(Call).where(Call.sid == row.twilio_sid))
            conversation.call_ended(session, row, call, status, now)
            settled += 1
    return settled
