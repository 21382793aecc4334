"""What happens on and after an outbound call: what its script is told, what the callee's
answers do to the ticket (the effects of outbound scripts), and whether the call is done,
tried again or given up. No Flask: the time is passed in."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tickets import bookings, incidents, timeline, workflow
from tickets.bookings import MACHINE
from tickets.models import Call, OutboundCall, QueueEntry, Ticket
from tickets.statuses import FINAL_STATUSES, OutboundKind, OutboundStatus

from ..queues import agents, service

log = logging.getLogger(__name__)

Done = dict[str, Any]  # what an effect tells the script: {"done": True} or {"done": False}


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
        incident = incidents.incident_of(session, ticket)
        if incident is not None:  # a notice that the incident the callee called about is fixed
            fields["incident"] = {"id": incident.id, "service": incidents.service_name(
                incident, outbound.language or "en-US")}
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
    if entry is None:
        return None
    service.connect_reserved(session, entry, call, outbound.ticket_id)
    return entry.id, outbound.agent_id


TicketEffect = Callable[[Session, Call, OutboundCall, Ticket, dict[str, Any], datetime], bool]


def about_ticket(effect: TicketEffect) -> Callable[[Session, Call, dict[str, Any], datetime], Done]:
    """An outbound script's effect on the ticket its call was placed for: the script is told
    {"done": False} when there is no such ticket, or when the effect refuses what it got."""

    @wraps(effect)
    def run(session: Session, call: Call, args: dict[str, Any], now: datetime) -> Done:
        outbound = outbound_of(session, call)
        ticket = session.get(Ticket, outbound.ticket_id) if outbound and outbound.ticket_id \
            else None
        if outbound is None or ticket is None:
            return {"done": False}
        return {"done": effect(session, call, outbound, ticket, args, now)}

    return run


# ---- the effects of outbound scripts (the table is ivr.voice.effects) ------------------------

@about_ticket
def stop_status_calls(session: Session, call: Call, outbound: OutboundCall, ticket: Ticket,
                      args: dict[str, Any], now: datetime) -> bool:
    """The callee asked for no more status calls on the ticket (press 9)."""
    workflow.stop_status_calls(session, ticket, now=now)
    bookings.cancel_outbound(session, ticket, (OutboundKind.STATUS_UPDATE,), now=now,
                             why="the customer asked for no more status calls")
    return True


@about_ticket
def add_recording(session: Session, call: Call, outbound: OutboundCall, ticket: Ticket,
                  args: dict[str, Any], now: datetime) -> bool:
    """The callee recorded something: a survey comment, or more about the problem."""
    recording = args.get("recording") or {}
    if not recording.get("url"):
        return False
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
    return True


@about_ticket
def closure_answer(session: Session, call: Call, outbound: OutboundCall, ticket: Ticket,
                   args: dict[str, Any], now: datetime) -> bool:
    """Is the problem solved? Yes confirms the closure; no reopens the ticket."""
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
    return True


@about_ticket
def survey_score(session: Session, call: Call, outbound: OutboundCall, ticket: Ticket,
                 args: dict[str, Any], now: datetime) -> bool:
    """A satisfaction score of 1 to 5; a low one opens a follow-up for the team lead."""
    try:
        score = int(args["score"])
    except (KeyError, TypeError, ValueError):
        return False
    workflow.record_survey(session, ticket, outbound, now=now, score=score)
    timeline.record_event(session, "survey", f"Satisfaction score {score} of 5",
                          ticket_id=ticket.id, call_id=call.id, at=now, data={"score": score})
    if score <= workflow.LOW_SCORE:
        workflow.open_follow_up(session, ticket, now=now, why=f"satisfaction score {score} of 5")
    return True


def call_ended(session: Session, outbound: OutboundCall, call: Call | None, status: str,
               now: datetime) -> None:
    """The outbound call's final status: done, another attempt later, or given up. An
    analyst held for a callback that did not reach the caller is free again."""
    fields = (call.state or {}).get("fields", {}) if call is not None else {}
    settled = bookings.call_ended(session, outbound, status, fields.get("outcome") == "reached",
                                  now)
    if settled in (OutboundStatus.PENDING, OutboundStatus.FAILED) and \
            outbound.kind == OutboundKind.CALLBACK:
        agents.release_callback_agent(session, outbound, now)
    if settled in (OutboundStatus.DONE, OutboundStatus.FAILED) and \
            outbound.kind == OutboundKind.INCIDENT_NOTICE:
        incidents.notice_settled(session, outbound, now)  # the closure survey follows
