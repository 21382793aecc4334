"""What happens on and after an outbound call: what its script is told, what the callee's
answers do to the ticket, and whether the call is done, tried again or given up."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tickets import bookings, timeline, workflow
from tickets.bookings import MACHINE
from tickets.models import Call, OutboundCall, QueueEntry, Ticket
from tickets.statuses import FINAL_STATUSES, OutboundKind, OutboundStatus, QueueStatus

from .. import clock, queueing

log = logging.getLogger(__name__)

EFFECTS = frozenset({"stop_status_calls", "add_recording", "closure_answer", "survey_score"})


def outbound_of(session: Session, call: Call) -> OutboundCall | None:
    return session.scalar(select(OutboundCall).where(OutboundCall.twilio_sid == call.sid))


def script_fields(session: Session, outbound: OutboundCall, answered_by: str | None) -> dict:
    """What an outbound script starts knowing: the ticket, its latest public note, who
    answered, and whether this is the last try (so the script promises no other)."""
    ticket = session.get(Ticket, outbound.ticket_id) if outbound.ticket_id else None
    fields: dict[str, Any] = {"machine": (answered_by or "") in MACHINE or answered_by == "fax",
                              "last_attempt": outbound.attempts >= outbound.max_attempts}
    if ticket is not None:
        fields["ticket"] = {"id": ticket.id, "number": ticket.number, "status": ticket.status,
                            "priority": ticket.priority}
        note = timeline.latest_public_note(session, ticket)
        if note:
            fields["note"] = note
    return fields


def status_reported(session: Session, outbound: OutboundCall, call: Call | None,
                    call_sid: str, status: str, now: datetime,
                    attempt: int | None = None) -> None:
    """A status callback of one of the booking's calls; only a final one of the current
    attempt settles the booking."""
    if bookings.is_current_attempt(session, outbound, call_sid, now, attempt) and \
            status in FINAL_STATUSES:
        call_ended(session, outbound, call, status, now)


def reserved_bridge(session: Session, call: Call) -> tuple[int, int] | None:
    """The (queue entry, analyst) a callback's callee is put through to, when an analyst was
    reserved for it; None means the callee joins the queue like any caller."""
    outbound = outbound_of(session, call)
    if outbound is None or not (outbound.agent_id and outbound.queue_entry_id):
        return None
    entry = session.get(QueueEntry, outbound.queue_entry_id)
    entry.status = QueueStatus.BRIDGING
    timeline.record_event(session, "callback_connect", "Callee pressed 1: connecting to the "
                          "reserved analyst", ticket_id=outbound.ticket_id, call_id=call.id)
    return entry.id, outbound.agent_id


def perform(session: Session, call: Call, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Carry out what the callee asked for during an outbound call."""
    outbound = outbound_of(session, call)
    ticket = session.get(Ticket, outbound.ticket_id) if outbound and outbound.ticket_id else None
    if ticket is None:
        return {"done": False}
    now = clock.now()
    if name == "stop_status_calls":
        workflow.stop_status_calls(session, ticket, now=now)
        bookings.cancel_outbound(session, ticket, ("status_update",), now=now,
                                 why="the customer asked for no more status calls")
    elif name == "add_recording":
        recording = args.get("recording") or {}
        if not recording.get("url"):
            return {"done": False}
        if outbound.kind == OutboundKind.CLOSURE:
            workflow.record_survey(session, ticket, outbound, now=now,
                                   comment_url=recording["url"],
                                   comment_seconds=recording.get("seconds"))
            text = "Survey comment recorded"
        else:
            text = "The customer added information by phone (recording)"
        timeline.record_event(session, "recording", f"{text} ({recording.get('seconds', 0)} s)",
                              ticket_id=ticket.id, call_id=call.id, at=now,
                              data={"recording_url": recording["url"],
                                    "seconds": recording.get("seconds")})
    elif name == "closure_answer":
        solved = args.get("solved") == "yes"
        workflow.record_survey(session, ticket, outbound, now=now, solved=solved)
        if solved:
            timeline.record_event(session, "closure_confirmed", "The customer confirmed the "
                                  "problem is solved", ticket_id=ticket.id, call_id=call.id,
                                  at=now, public=True)
        else:
            workflow.reopen_ticket(session, ticket, actor="customer", now=now,
                                   reason="the customer says the problem is not solved; "
                                   f"back to tier {ticket.tier}")
    elif name == "survey_score":
        try:
            score = int(args.get("score"))
        except (TypeError, ValueError):
            return {"done": False}
        workflow.record_survey(session, ticket, outbound, now=now, score=score)
        timeline.record_event(session, "survey", f"Satisfaction score {score} of 5",
                              ticket_id=ticket.id, call_id=call.id, at=now,
                              data={"score": score})
        if score <= workflow.LOW_SCORE:
            workflow.open_follow_up(session, ticket, now=now,
                                    why=f"satisfaction score {score} of 5")
    return {"done": True}


def call_ended(session: Session, outbound: OutboundCall, call: Call | None, status: str,
               now: datetime) -> None:
    """The outbound call's final status: done, another attempt later, or given up. An
    analyst held for a callback that did not reach the caller is free again."""
    fields = (call.state or {}).get("fields", {}) if call is not None else {}
    settled = bookings.call_ended(session, outbound, status, fields.get("outcome") == "reached",
                                  now)
    if settled in (OutboundStatus.PENDING, OutboundStatus.FAILED) and \
            outbound.kind == OutboundKind.CALLBACK:
        queueing.release_callback_agent(session, outbound, now)
