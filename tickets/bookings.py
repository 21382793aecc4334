"""Outbound calls the line has booked (``OutboundCall`` rows): booking them, and every change of
a booking's status. This is the one module that changes ``OutboundCall.status``: the ticket
workflow, the dispatcher and the outbound webhooks all go through it.

    pending -> dialing (a dispatcher's lease) -> placed (Twilio's CallSid) -> answered
    -> done | pending again (another attempt later) | failed
    pending -> canceled (no longer needed) | refused (the calling rules forbid the number)

Functions take a session and plain values and leave committing to the caller.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import TicketError, outbox
from .db import utcnow
from .models import OutboundCall, Ticket
from .outbox import Topic
from .phones import mask_phone
from .statuses import OUTBOUND_KINDS, UNDER_WAY, CallStatus, OutboundKind, OutboundStatus
from .timeline import record_event

log = logging.getLogger(__name__)

LABELS: dict[str, str] = {OutboundKind.CALLBACK: "Callback",
                          OutboundKind.STATUS_UPDATE: "Status update call",
                          OutboundKind.CLOSURE: "Closure and survey call",
                          OutboundKind.INCIDENT_NOTICE: "Incident resolved notice call"}
# Twilio's AnsweredBy values for an answering machine.
MACHINE = ("machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other")


# ---- booking --------------------------------------------------------------------------------

def schedule_outbound(session: Session, ticket: Ticket, kind: str, *, due: datetime,
                      now: datetime, reason: str, actor: str = "ivr",
                      to_number: str | None = None, **fields: Any) -> OutboundCall | None:
    """Book an outbound call about a ticket (the durable row the scheduler dials).

    Without a number to call, the timeline says so and nothing is booked.
    """
    if kind not in OUTBOUND_KINDS:
        raise TicketError(f"unknown outbound call kind {kind!r}")
    number = to_number or ticket.callback_number
    label = kind.replace("_", " ")
    if not number:
        record_event(session, "outbound_refused", f"No {label} call: no callback number on "
                     "the ticket", ticket_id=ticket.id, actor=actor, at=now)
        return None
    call = OutboundCall(kind=kind, ticket_id=ticket.id, to_number=number,
                        language=ticket.language, due_at=due, reason=reason,
                        created_at=now, **fields)
    session.add(call)
    session.flush()
    record_event(session, "outbound_booked", f"{label.capitalize()} call booked ({reason})",
                 ticket_id=ticket.id, actor=actor, at=now,
                 data={"outbound_call_id": call.id, "due": due.isoformat(), "kind": kind})
    return call


def schedule_callback(session: Session, *, ticket_id: int | None, number: str | None,
                      language: str | None, due: datetime | None = None,
                      window_end: datetime | None = None,
                      place_joined_at: datetime | None = None) -> OutboundCall | None:
    """Promise a callback: the durable row the scheduler will dial (None without a number)."""
    if not number:
        if ticket_id is not None:
            record_event(session, "callback_requested", "Callback promised but the caller "
                         "withheld their number: an analyst must follow up", ticket_id=ticket_id)
        return None
    due = due or utcnow()
    outbound = OutboundCall(kind=OutboundKind.CALLBACK, ticket_id=ticket_id, to_number=number,
                            language=language, due_at=due, window_end=window_end,
                            place_joined_at=place_joined_at or due)
    session.add(outbound)
    session.flush()
    if ticket_id is not None:
        record_event(session, "callback_requested", f"Callback to {number} booked",
                     ticket_id=ticket_id, data={"outbound_call_id": outbound.id,
                                                "due": due.isoformat()})
    outbox.publish(session, Topic.CALLBACK_BOOKED,
                   ticket=session.get(Ticket, ticket_id) if ticket_id else None,
                   outbound_call_id=outbound.id, due=due.isoformat(),
                   window_end=window_end.isoformat() if window_end else None)
    return outbound


def pending_outbound(session: Session, ticket: Ticket, kinds: tuple[str, ...],
                     statuses: tuple[str, ...] = (OutboundStatus.PENDING,)) -> list[OutboundCall]:
    """The ticket's calls of these kinds not yet placed (or in any of ``statuses``)."""
    return list(session.scalars(
        select(OutboundCall).where(OutboundCall.ticket_id == ticket.id,
                                   OutboundCall.kind.in_(kinds),
                                   OutboundCall.status.in_(statuses))))


def cancel_outbound(session: Session, ticket: Ticket, kinds: tuple[str, ...], *,
                    now: datetime, why: str) -> int:
    """Call off pending (not yet placed) calls of these kinds; returns how many."""
    calls = pending_outbound(session, ticket, kinds)
    for call in calls:
        call.status = OutboundStatus.CANCELED
        call.result = why
        call.ended_at = now
        record_event(session, "outbound_canceled", f"{call.kind.replace('_', ' ')} call "
                     f"called off: {why}", ticket_id=ticket.id, at=now,
                     data={"outbound_call_id": call.id})
    return len(calls)


def cancel_booking(session: Session, call: OutboundCall, *, now: datetime, why: str,
                   actor: str) -> None:
    """Call off one booked call not yet placed (TicketError if it is under way or over)."""
    if call.status != OutboundStatus.PENDING:
        raise TicketError(f"the {LABELS[call.kind].lower()} is {call.status}: only a pending "
                          "one can be called off")
    call.status = OutboundStatus.CANCELED
    call.result = why
    call.ended_at = now
    if call.ticket_id:
        record_event(session, "outbound_canceled", f"{LABELS[call.kind]} called off by "
                     f"{actor}: {why}", ticket_id=call.ticket_id, actor=actor, at=now,
                     data={"outbound_call_id": call.id, "reason": why})


# ---- the dispatcher's side ------------------------------------------------------------------

def lease(row: OutboundCall, owner: str, now: datetime, until: datetime,
          max_attempts: int, retry_delay_seconds: int) -> None:
    """A dispatcher claims the row to dial it (or to recover the call a dead one placed)."""
    expired = row.status == OutboundStatus.DIALING  # its dispatcher died
    row.status = OutboundStatus.DIALING
    row.lease_owner = owner
    row.lease_expires = until
    if not expired:
        row.placed_at = now
    if row.attempts == 0:  # the live policy's retry rules, from the first dial on
        row.max_attempts = max_attempts
        row.retry_delay_seconds = retry_delay_seconds


def close(session: Session, row: OutboundCall, now: datetime, status: OutboundStatus,
          why: str) -> None:
    """The calling rules settle a booking without dialling: called off, or refused."""
    row.status = status
    row.result = why
    row.ended_at = now
    log.info("outbound call %s to %s %s: %s", row.id, mask_phone(row.to_number), status, why)
    if row.ticket_id:
        record_event(session, f"outbound_{status}", f"{LABELS[row.kind]} {status}: {why}",
                     ticket_id=row.ticket_id, at=now, data={"outbound_call_id": row.id})


def defer(session: Session, row: OutboundCall, until: datetime, why: str) -> None:
    """The booking may not be dialled now: it waits until ``until``."""
    row.due_at = until
    if row.ticket_id:
        record_event(session, "outbound_deferred",
                     f"{LABELS[row.kind]} waits until {until:%Y-%m-%d %H:%M} UTC: {why}",
                     ticket_id=row.ticket_id,
                     data={"outbound_call_id": row.id, "until": until.isoformat()})


def dial_failed(session: Session, row: OutboundCall, error: str | None, retry_at: datetime | None,
                now: datetime) -> None:
    """Twilio did not place the call: try again at ``retry_at``, or (None) give up."""
    row.lease_owner = row.lease_expires = None
    if retry_at is not None:
        row.rest_failures += 1
        row.status = OutboundStatus.PENDING
        row.due_at = retry_at
        log.warning("outbound call %s: %s; retrying at %s", row.id, error, retry_at.isoformat())
        return
    row.status = OutboundStatus.FAILED
    row.result = error
    row.ended_at = now
    if row.ticket_id:
        record_event(session, "outbound_failed", f"{LABELS[row.kind]} to {row.to_number} "
                     f"failed: {error}", ticket_id=row.ticket_id, at=now,
                     data={"outbound_call_id": row.id})


# ---- the call's own life --------------------------------------------------------------------

def placed(session: Session, outbound: OutboundCall, call_sid: str, attempt: int,
           now: datetime, how: str = "") -> None:
    """Twilio placed the booking's call: record its CallSid and count the attempt."""
    outbound.twilio_sid = call_sid
    outbound.status = OutboundStatus.PLACED
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
    if outbound.twilio_sid is None and outbound.status == OutboundStatus.DIALING and \
            attempt in (None, outbound.attempts + 1):
        placed(session, outbound, call_sid, outbound.attempts + 1, now)
    return outbound.twilio_sid == call_sid


def answered(session: Session, outbound: OutboundCall, call_sid: str,
             answered_by: str | None, now: datetime, attempt: int | None = None) -> bool:
    """Twilio fetched the call's script: the call was answered. False for a stale attempt."""
    if not is_current_attempt(session, outbound, call_sid, now, attempt):
        return False
    outbound.answered_by = answered_by or "unknown"
    if outbound.status == OutboundStatus.PLACED:
        outbound.status = OutboundStatus.ANSWERED
    return True


def is_machine(outbound: OutboundCall) -> bool:
    return (outbound.answered_by or "") in MACHINE


def call_ended(session: Session, outbound: OutboundCall, status: str, reached: bool,
               now: datetime) -> OutboundStatus | None:
    """The call's final status: done, another attempt later (pending) or given up (failed).
    Returns the booking's new status, None when it was already settled."""
    if outbound.status not in UNDER_WAY:
        return None  # already settled: a repeated or late status callback
    label = LABELS[outbound.kind]
    machine = is_machine(outbound)
    if status == CallStatus.COMPLETED and (reached or (machine and outbound.kind in (
            OutboundKind.STATUS_UPDATE, OutboundKind.INCIDENT_NOTICE))):
        outbound.status = OutboundStatus.DONE
        outbound.ended_at = now
        outbound.result = "message left on a machine" if machine and not reached else "reached"
        _event(session, outbound, "outbound_done", f"{label} completed: {outbound.result}", now)
        return OutboundStatus.DONE
    completed = status == CallStatus.COMPLETED
    why = "answered by a machine, message left" if machine and completed else \
        "answered but no choice made" if completed else status.replace("-", " ")
    sid = outbound.twilio_sid
    outbound.twilio_sid = None
    outbound.answered_by = None
    outbound.lease_owner = outbound.lease_expires = None
    if outbound.attempts < outbound.max_attempts:
        outbound.status = OutboundStatus.PENDING
        outbound.due_at = now + timedelta(seconds=outbound.retry_delay_seconds)
        _event(session, outbound, "outbound_retry",
               f"{label} attempt {outbound.attempts} of {outbound.max_attempts}: {why}; "
               f"next try at {outbound.due_at:%H:%M} UTC", now, call_sid=sid)
        _missed(session, outbound, now, outbound.due_at)
        return OutboundStatus.PENDING
    outbound.status = OutboundStatus.FAILED
    outbound.ended_at = now
    outbound.result = f"gave up after {outbound.attempts} attempts ({why})"
    _event(session, outbound, "outbound_failed", f"{label} attempt {outbound.attempts} of "
           f"{outbound.max_attempts}: {why}; given up", now, call_sid=sid)
    _missed(session, outbound, now, None)
    return OutboundStatus.FAILED


def _missed(session: Session, outbound: OutboundCall, now: datetime,
            next_try: datetime | None) -> None:
    """A callback's call did not reach the caller: the outside hears of it (an SMS says so)."""
    if outbound.kind != OutboundKind.CALLBACK:
        return
    outbox.publish(session, Topic.CALLBACK_MISSED,
                   ticket=session.get(Ticket, outbound.ticket_id) if outbound.ticket_id else None,
                   now=now, outbound_call_id=outbound.id, attempt=outbound.attempts,
                   tried_at=(outbound.placed_at or now).isoformat(),
                   next_try=next_try.isoformat() if next_try else None)


def _event(session: Session, outbound: OutboundCall, kind: str, text: str, now: datetime,
           **data: Any) -> None:
    masked = mask_phone(outbound.to_number)
    log.info("outbound call %s to %s: %s", outbound.id, masked,
             text.replace(outbound.to_number, masked))  # no phone number in the logs
    if outbound.ticket_id:
        record_event(session, kind, text, ticket_id=outbound.ticket_id, at=now,
                     data={"outbound_call_id": outbound.id, **data})
