"""Help-desk services: look callers up, open tickets, tell status, keep the timeline.

Every function takes a SQLAlchemy session and plain values, and leaves committing to the caller.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .db import utcnow
from .models import OPEN_STATUSES, Customer, CustomerPhone, OutboundCall, Ticket, TicketEvent

TICKET_NUMBER_BASE = 10000
# PINs are short by nature; the hash keeps them unreadable at rest, the phone menu limits tries.
_pins = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


class TicketError(Exception):
    """A help-desk rule was broken."""


def to_e164(raw: str | None, region: str = "US") -> str | None:
    """A phone number in E.164, or None when it is missing, anonymous or not a number."""
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_of(e164: str | None) -> str | None:
    """The ISO country of an E.164 number (for reading keyed-in numbers the caller's way)."""
    if not e164:
        return None
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return None


def mask_phone(number: str | None) -> str:
    """A phone number fit for logs: the last three digits only."""
    if not number:
        return "-"
    return "*" * max(len(number) - 3, 0) + number[-3:]


def find_customer_by_phone(session: Session, e164: str | None) -> Customer | None:
    if not e164:
        return None
    return session.scalar(
        select(Customer).join(CustomerPhone).where(CustomerPhone.number == e164)
    )


def open_ticket_count(session: Session, customer_id: int) -> int:
    return session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.customer_id == customer_id, Ticket.status.in_(OPEN_STATUSES)
        )
    ) or 0


def caller_profile(session: Session, e164: str | None) -> dict[str, Any]:
    """What the line knows about a caller from caller ID."""
    customer = find_customer_by_phone(session, e164)
    if customer is None:
        return {"found": False}
    return {
        "found": True,
        "customer_id": customer.id,
        "name": customer.name,
        "language": customer.language,
        "department": customer.department,
        "location": customer.location,
        "account_number": customer.account_number,
        "supported": customer.supported,
        "open_count": open_ticket_count(session, customer.id),
    }


def check_account(session: Session, account: str | None) -> dict[str, Any]:
    """Is this account in the customer directory, and is it supported?"""
    if not account:
        return {"verified": False, "known": False}
    customer = session.scalar(select(Customer).where(Customer.account_number == account))
    if customer is None:
        return {"verified": False, "known": False}
    return {"verified": customer.supported, "known": True, "name": customer.name,
            "customer_id": customer.id}


def find_ticket(session: Session, number: str | None) -> Ticket | None:
    if not number:
        return None
    return session.scalar(select(Ticket).where(Ticket.number == str(number).strip()))


def latest_public_note(session: Session, ticket: Ticket) -> str | None:
    return session.scalar(
        select(TicketEvent.text)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.public.is_(True))
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )


def _status(session: Session, ticket: Ticket, allowed: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"found": True, "allowed": allowed, "number": ticket.number}
    if allowed:
        out.update(status=ticket.status, priority=ticket.priority,
                   note=latest_public_note(session, ticket) or "")
    return out


def ticket_status(session: Session, number: str | None, caller_e164: str | None) -> dict:
    """A ticket's status, told only when the caller rings from the number on file."""
    ticket = find_ticket(session, number)
    if ticket is None:
        return {"found": False, "allowed": False}
    on_file = {ticket.callback_number}
    if ticket.customer is not None:
        on_file |= {p.number for p in ticket.customer.phones}
    return _status(session, ticket, bool(caller_e164) and caller_e164 in on_file)


def verify_pin(session: Session, number: str | None, pin: str | None) -> dict[str, Any]:
    """A ticket's status for a caller who knows its PIN."""
    ticket = find_ticket(session, number)
    if ticket is None:
        return {"found": False, "allowed": False}
    ok = False
    if ticket.pin_hash and pin:
        try:
            ok = _pins.verify(ticket.pin_hash, str(pin))
        except (VerificationError, InvalidHashError):
            ok = False
    return _status(session, ticket, ok)


def record_event(
    session: Session,
    kind: str,
    text: str,
    *,
    ticket_id: int | None = None,
    call_id: int | None = None,
    step: str | None = None,
    data: dict[str, Any] | None = None,
    actor: str = "ivr",
    public: bool = False,
    at: datetime | None = None,
) -> TicketEvent:
    """Add a line to a ticket's timeline (or to the call's, until its ticket opens)."""
    event = TicketEvent(ticket_id=ticket_id, call_id=call_id, kind=kind, text=text, step=step,
                        data=data or {}, actor=actor, public=public, at=at or utcnow())
    session.add(event)
    return event


def open_ticket(
    session: Session,
    *,
    fields: dict[str, Any],
    priority: str,
    sla: dict[str, Any] | None = None,
    call_id: int | None = None,
    customer_id: int | None = None,
    language: str | None = None,
    now: datetime | None = None,
) -> tuple[Ticket, str]:
    """Open one ticket for one problem; returns the ticket and its status PIN (shown once).

    The call's timeline lines not yet on a ticket (the answers about this problem) move onto it.
    """
    now = now or utcnow()
    sla = sla or {}
    customer = session.get(Customer, customer_id) if customer_id else None
    account = fields.get("account") or {}
    if customer is None and account.get("customer_id"):
        customer = session.get(Customer, account["customer_id"])
    pin = f"{secrets.randbelow(10000):04d}"
    ticket = Ticket(
        customer_id=customer.id if customer else None,
        call_id=call_id,
        priority=priority,
        tier=int(sla.get("tier") or fields.get("tier") or 1),
        category=fields.get("category"),
        language=language,
        caller_name=fields.get("name") or (customer.name if customer else None),
        department=fields.get("department") or (customer.department if customer else None),
        location=fields.get("location") or (customer.location if customer else None),
        callback_number=fields.get("callback_number") or fields.get("caller_id"),
        account_number=fields.get("account_number")
        or (customer.account_number if customer else None),
        account_verified=bool(customer and customer.supported),
        equipment=fields.get("equipment"),
        licence_number=fields.get("licence"),
        configuration=fields.get("configuration"),
        problem=fields.get("problem"),
        problem_confidence=fields.get("problem_confidence"),
        steps_before=fields.get("before"),
        steps_before_confidence=fields.get("before_confidence"),
        answers={k: v for k, v in fields.items()
                 if k in ("impact", "urgency", "planned", "service_key")},
        incomplete=bool(fields.get("incomplete")),
        pin_hash=_pins.hash(pin),
        created_at=now,
        response_due=now + timedelta(minutes=sla["response_minutes"])
        if sla.get("response_minutes") else None,
        resolution_due=now + timedelta(minutes=sla["resolution_minutes"])
        if sla.get("resolution_minutes") else None,
        update_minutes=sla.get("update_minutes"),
    )
    ticket.escalate_at = ticket.response_due
    session.add(ticket)
    session.flush()
    ticket.number = str(TICKET_NUMBER_BASE + ticket.id)
    if call_id is not None:
        session.execute(
            update(TicketEvent)
            .where(TicketEvent.call_id == call_id, TicketEvent.ticket_id.is_(None))
            .values(ticket_id=ticket.id)
        )
        earlier = session.scalars(
            select(Ticket.number).where(Ticket.call_id == call_id, Ticket.id != ticket.id)
        ).all()
        if earlier:
            record_event(session, "note", "Reported in the same call as ticket(s) "
                         + ", ".join(n for n in earlier if n) + "; caller details as given there.",
                         ticket_id=ticket.id, call_id=call_id)
    what = "Ticket opened" + (" from an incomplete intake" if ticket.incomplete else "")
    if not ticket.account_verified:
        what += "; customer account not verified"
    record_event(session, "opened", what, ticket_id=ticket.id, call_id=call_id,
                 data={"priority": priority, "tier": ticket.tier})
    return ticket, pin


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
    outbound = OutboundCall(kind="callback", ticket_id=ticket_id, to_number=number,
                            language=language, due_at=due, window_end=window_end,
                            place_joined_at=place_joined_at or due)
    session.add(outbound)
    session.flush()
    if ticket_id is not None:
        record_event(session, "callback_requested", f"Callback to {number} booked",
                     ticket_id=ticket_id, data={"outbound_call_id": outbound.id,
                                                "due": due.isoformat()})
    return outbound
