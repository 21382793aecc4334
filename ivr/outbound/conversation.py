"""What happens on and after an outbound call: what its script is told, what the callee's
answers do to the ticket, and whether the call is done, tried again or given up."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tickets import services, workflow
from tickets.models import Call, OutboundCall, QueueEntry, Ticket

from .. import clock, queueing

log = logging.getLogger(__name__)

EFFECTS = frozenset({"stop_status_calls", "add_recording", "closure_answer", "survey_score"})
FINAL = ("completed", "busy", "no-answer", "failed", "canceled")
MACHINE = ("machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other")
LABELS = {"callback": "Callback", "status_update": "Status update call",
          "closure": "Closure and survey call"}


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
        note = services.latest_public_note(session, ticket)
        if note:
            fields["note"] = note
    return fields


def placed(session: Session, outbound: OutboundCall, call_sid: str, attempt: int,
           now: datetime, how: str = "") -> None:
    """Twilio placed the booking's call: record its CallSid and count the attempt."""
    outbound.twilio_sid = call_sid
    outbound.status = "placed"
    outbound.attempts = attempt
    outbound.rest_failures = 0
    outbound.lease_owner = outbound.lease_expires = None
    _event(session, outbound, "outbound_placed",
           f"{LABELS[outbound.kind]} to {outbound.to_number} placed, attempt {attempt} of "
           f"{outbound.max_attempts}{how}", now, call_sid=call_sid, attempt=attempt)


def is_current_attempt(session: Session, outbound: OutboundCall, call_sid: str,
                       now: datetime, attempt: int | None = None) -> bool:
    """Is this Twilio call the booking's current attempt? A booking still ``dialing`` takes
    the CallSid Twilio reports for the attempt being dialled (``attempt``, from the webhook's
    URL): its dispatcher has not recorded it yet (Twilio called back first) or died before
    it could. A late callback of an earlier attempt is not taken for it."""
    if outbound.twilio_sid is None and outbound.status == "dialing" and \
            attempt in (None, outbound.attempts + 1):
        placed(session, outbound, call_sid, outbound.attempts + 1, now)
    return outbound.twilio_sid == call_sid


def answered(session: Session, outbound: OutboundCall, call_sid: str,
             answered_by: str | None, now: datetime, attempt: int | None = None) -> bool:
    """Twilio fetched the call's script: the call was answered. False for a stale attempt."""
    if not is_current_attempt(session, outbound, call_sid, now, attempt):
        return False
    outbound.answered_by = answered_by or "unknown"
    if outbound.status == "placed":
        outbound.status = "answered"
    return True


def status_reported(session: Session, outbound: OutboundCall, call: Call | None,
                    call_sid: str, status: str, now: datetime,
                    attempt: int | None = None) -> None:
    """A status callback of one of the booking's calls; only a final one of the current
    attempt settles the booking."""
    if is_current_attempt(session, outbound, call_sid, now, attempt) and status in FINAL:
        call_ended(session, outbound, call, status, now)


def reserved_bridge(session: Session, call: Call) -> tuple[int, int] | None:
    """The (queue entry, analyst) a callback's callee is put through to, when an analyst was
    reserved for it; None means the callee joins the queue like any caller."""
    outbound = outbound_of(session, call)
    if outbound is None or not (outbound.agent_id and outbound.queue_entry_id):
        return None
    entry = session.get(QueueEntry, outbound.queue_entry_id)
    entry.status = "bridging"
    services.record_event(session, "callback_connect", "Callee pressed 1: connecting to the "
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
        workflow.cancel_outbound(session, ticket, ("status_update",), now=now,
                                 why="the customer asked for no more status calls")
    elif name == "add_recording":
        recording = args.get("recording") or {}
        if not recording.get("url"):
            return {"done": False}
        if outbound.kind == "closure":
            workflow.record_survey(session, ticket, outbound, now=now,
                                   comment_url=recording["url"],
                                   comment_seconds=recording.get("seconds"))
            text = "Survey comment recorded"
        else:
            text = "The customer added information by phone (recording)"
        services.record_event(session, "recording", f"{text} ({recording.get('seconds', 0)} s)",
                              ticket_id=ticket.id, call_id=call.id, at=now,
                              data={"recording_url": recording["url"],
                                    "seconds": recording.get("seconds")})
    elif name == "closure_answer":
        solved = args.get("solved") == "yes"
        workflow.record_survey(session, ticket, outbound, now=now, solved=solved)
        if solved:
            services.record_event(session, "closure_confirmed", "The customer confirmed the "
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
        services.record_event(session, "survey", f"Satisfaction score {score} of 5",
                              ticket_id=ticket.id, call_id=call.id, at=now,
                              data={"score": score})
        if score <= workflow.LOW_SCORE:
            workflow.open_follow_up(session, ticket, now=now,
                                    why=f"satisfaction score {score} of 5")
    return {"done": True}


def call_ended(session: Session, outbound: OutboundCall, call: Call | None, status: str,
               now: datetime) -> None:
    """The outbound call's final status: done, another attempt later, or given up."""
    if outbound.status not in ("placed", "answered", "dialing"):
        return  # already settled: a repeated or late status callback
    label = LABELS[outbound.kind]
    fields = (call.state or {}).get("fields", {}) if call is not None else {}
    machine = (outbound.answered_by or "") in MACHINE
    reached = fields.get("outcome") == "reached"
    if status == "completed" and (reached or (machine and outbound.kind == "status_update")):
        outbound.status = "done"
        outbound.ended_at = now
        outbound.result = "message left on a machine" if machine and not reached else "reached"
        _event(session, outbound, "outbound_done", f"{label} completed: {outbound.result}", now)
        return
    why = "answered by a machine, message left" if machine and status == "completed" else \
        "answered but no choice made" if status == "completed" else status.replace("-", " ")
    if outbound.kind == "callback":
        queueing.release_callback_agent(session, outbound, now)
    sid = outbound.twilio_sid
    outbound.twilio_sid = None
    outbound.answered_by = None
    outbound.lease_owner = outbound.lease_expires = None
    if outbound.attempts < outbound.max_attempts:
        outbound.status = "pending"
        outbound.due_at = now + timedelta(seconds=outbound.retry_delay_seconds)
        _event(session, outbound, "outbound_retry",
               f"{label} attempt {outbound.attempts} of {outbound.max_attempts}: {why}; "
               f"next try at {outbound.due_at:%H:%M} UTC", now, call_sid=sid)
        return
    outbound.status = "failed"
    outbound.ended_at = now
    outbound.result = f"gave up after {outbound.attempts} attempts ({why})"
    _event(session, outbound, "outbound_failed", f"{label} attempt {outbound.attempts} of "
           f"{outbound.max_attempts}: {why}; given up", now, call_sid=sid)


def _event(session: Session, outbound: OutboundCall, kind: str, text: str, now: datetime,
           **data: Any) -> None:
    log.info("outbound call %s to %s: %s", outbound.id, services.mask_phone(outbound.to_number),
             text)
    if outbound.ticket_id:
        services.record_event(session, kind, text, ticket_id=outbound.ticket_id, at=now,
                              data={"outbound_call_id": outbound.id, **data})
