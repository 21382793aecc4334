"""Callbacks from the queues: a caller leaving the line for a callback that keeps their place,
a callback asked for outside a call (the API, the console) or called off, and the after-hours
emergency's callback. With ``service`` the only code that changes a ``QueueEntry``'s status
(here: waiting -> callback).

Functions take a session and plain values and leave committing to the caller.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from call_scripts.policy import HoldPolicy
from tickets import TicketError, bookings, phones, timeline, versions
from tickets.models import Call, OutboundCall, QueueEntry, Ticket
from tickets.statuses import IN_FLIGHT, OutboundKind, QueueKind, QueueStatus
from tickets.versions import live_policy

from . import agents
from .service import UNRANKED, main_ticket, priority_ranks, record

EMERGENCY_REASON = "after-hours emergency"  # the reason of the callback booked for one


# ---- after hours, a problem that cannot wait ------------------------------------------------

def emergency_put_through(session: Session, call: Call, now: datetime) -> None:
    """After hours, an emergency: the caller is put through to the engineer on call."""
    ticket = main_ticket(session, call)
    timeline.record_event(session, "emergency", "After hours: put through to the engineer on "
                          "call", ticket_id=ticket.id if ticket else None, call_id=call.id,
                          at=now)


def emergency_callback(session: Session, call: Call, number: str | None,
                       due: datetime | None, why: str, now: datetime) -> OutboundCall | None:
    """After hours, the engineer on call not reached (``why``): a callback booked for ``due``,
    the earliest moment (once per call), or none without a number to call. The ticket's
    timeline says which."""
    ticket = main_ticket(session, call)
    if ticket is None:
        return None
    booked = session.scalar(select(OutboundCall).where(
        OutboundCall.ticket_id == ticket.id, OutboundCall.kind == OutboundKind.CALLBACK,
        OutboundCall.reason == EMERGENCY_REASON))
    if booked is not None:
        return booked  # Twilio asked twice
    if not number or due is None:
        timeline.record_event(session, "emergency", f"After hours: {why}; no callback booked: "
                              "no number the line may call (withheld, or refused by the "
                              "dialling rule)", ticket_id=ticket.id, call_id=call.id, at=now)
        return None
    timeline.record_event(session, "emergency", f"After hours: {why}; callback booked for the "
                          f"earliest moment ({due:%Y-%m-%d %H:%M} UTC)", ticket_id=ticket.id,
                          call_id=call.id, at=now, data={"due": due.isoformat()})
    return bookings.schedule_outbound(session, ticket, OutboundKind.CALLBACK, due=due, now=now,
                                      reason=EMERGENCY_REASON, to_number=number,
                                      place_joined_at=due)


def offered_number(session: Session, entry: QueueEntry) -> tuple[str | None, bool]:
    """The number a callback is offered on: the ticket's callback number (given in intake),
    else caller ID; and whether the caller already confirmed it in this call. A number the
    line will not call (the policy's dialling rule: not a valid number, premium rate, another
    country...) is not offered: the caller keys one, so no callback is promised to it."""
    ticket = session.get(Ticket, entry.ticket_id) if entry.ticket_id else None
    number = (ticket.callback_number if ticket else None) or entry.caller_number
    if number and phones.destination_refusal(number, live_policy(session).outbound.dial_rule()):
        return None, False  # the dispatcher would refuse it: never promised
    state = _call_state(session, entry.call_id) if entry.call_id else None
    confirmed = ((state or {}).get("fields") or {}).get("callback_number")
    return number, bool(number) and confirmed == number


_CALL_STATE = select(Call.state).where(Call.id == bindparam("id"))  # built once


def _call_state(session: Session, call_id: int) -> dict[str, Any] | None:
    """The interpreter state of a call: the ``Call``'s the session holds (with any change not
    yet flushed), else its column read alone (no ORM ``Call`` loaded for one column)."""
    held = session.identity_map.get(identity_key(Call, call_id))
    if held is not None:
        return held.state
    return session.connection().scalar(_CALL_STATE, {"id": call_id})


def choose_callback_number(entry: QueueEntry, number: str) -> None:
    """The caller's choice of number for the callback, kept on their entry until it is
    booked (never in a webhook's URL)."""
    entry.callback_number = number


# The callback booked for a queue entry, if any (usually none: its id alone, no ORM row
# handling), built once.
_BOOKED = (select(OutboundCall.id).where(OutboundCall.queue_entry_id == bindparam("entry"),
                                         OutboundCall.kind == OutboundKind.CALLBACK)
           .limit(1))


def request_callback(session: Session, entry: QueueEntry, number: str, due: datetime,
                     window_end: datetime | None, now: datetime) -> OutboundCall:
    """Book the callback (exactly once per queue entry); it keeps the caller's place in line."""
    session.flush()  # as the query's autoflush would: a booking not yet written counts
    existing = session.connection().scalar(_BOOKED, {"entry": entry.id})
    if existing is not None:
        return session.get_one(OutboundCall, existing)
    pol = live_policy(session, entry.tier)
    if not pol.is_within_hours(due):
        due = pol.next_opening(due)  # never call back outside opening hours
    outbound = bookings.schedule_callback(session, ticket_id=entry.ticket_id, number=number,
                                          language=entry.language, due=due,
                                          window_end=window_end,
                                          place_joined_at=entry.joined_at)
    assert outbound is not None
    outbound.queue_entry_id = entry.id
    entry.status = QueueStatus.CALLBACK
    entry.kind = QueueKind.CALLBACK
    entry.callback_number = number
    entry.ended_at = now
    return outbound


def book_callback(session: Session, entry: QueueEntry, number: str, key: str,
                  now: datetime, slot: datetime | None = None) -> OutboundCall | None:
    """The caller chose when to be called back: 1 as soon as possible, 2 the later slot
    (``slot``, as offered; an hour's window). None for any other key (offered again)."""
    if key == "1":
        due, window_end = now, None
    elif key == "2":
        due = slot or later_slot(live_policy(session, entry.tier), now)
        window_end = due + timedelta(hours=1)
    else:
        return None
    return request_callback(session, entry, number, due, window_end, now)


class NumberRefused(TicketError):
    """The line will not call that number (the dialling rule), or there is none."""


def callback_asked(session: Session, ticket: Ticket, number: str | None, now: datetime,
                   actor: str, language: str | None = None) -> OutboundCall:
    """A callback asked for outside a call (the API, the console): it joins the same line as
    the callbacks callers ask for on the phone, its place the time it was asked, and the same
    rules hold (the dialling rule now; opening hours, the callee's calling hours and the daily
    cap when the dispatcher dials). TicketError says why it cannot be booked."""
    pol = live_policy(session)
    e164, refused = phones.callable_number(number or ticket.callback_number,
                                           phones.region_of(ticket.callback_number) or "US",
                                           pol.outbound.dial_rule())
    if e164 is None:
        raise NumberRefused(f"no callback to that number: {refused}" if number or
                            ticket.callback_number else "no number to call back: give one")
    if not ticket.is_open:
        raise TicketError(f"ticket {ticket.number} is {ticket.status}: no callback")
    booked = bookings.pending_outbound(session, ticket, (OutboundKind.CALLBACK,), IN_FLIGHT)
    if booked:
        raise TicketError(f"a callback is already booked for ticket {ticket.number} "
                          f"(callback {booked[0].id})")
    tier = max(pol.start_tier(ticket.priority, ticket.category), ticket.tier)
    entry = QueueEntry(ticket_id=ticket.id, caller_number=e164, kind=QueueKind.CALLBACK,
                       status=QueueStatus.WAITING, tier=tier, rank=_ticket_rank(session, ticket),
                       priority=ticket.priority, category=ticket.category,
                       language=language or ticket.language, joined_at=now)
    session.add(entry)
    session.flush()
    record(session, entry, "callback_asked", f"Callback asked for by {actor} (outside a call): "
           f"in line for tier {tier} from {now:%H:%M:%S} UTC", tier=tier, actor=actor)
    return request_callback(session, entry, e164, now, None, now)


def _ticket_rank(session: Session, ticket: Ticket) -> int:
    """The rank of the ticket's priority in the script its call ran (or the live intake)."""
    call = session.get(Call, ticket.call_id) if ticket.call_id else None
    if call is not None:
        return priority_ranks(session, call).get(ticket.priority, UNRANKED)
    script = versions.script_of(versions.current(session, "intake"))
    labels = script.priority.labels if script.priority else {}
    label = labels.get(ticket.priority)
    return label.rank if label else UNRANKED


def cancel_callback(session: Session, outbound: OutboundCall, why: str, actor: str,
                    now: datetime) -> None:
    """An analyst calls off a pending callback, with a reason: out of the line, its analyst
    (if one was reserved) free again."""
    if not (why or "").strip():
        raise TicketError("calling off a callback needs a reason")
    bookings.cancel_booking(session, outbound, now=now, why=why.strip(), actor=actor)
    agents.release_callback_agent(session, outbound, now)


def later_slot(pol: HoldPolicy, now: datetime) -> datetime:
    """The callback slot offered besides "as soon as possible": the next whole hour at
    least an hour away, within opening hours."""
    slot = (now + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    return slot if pol.is_within_hours(slot) else pol.next_opening(slot)
