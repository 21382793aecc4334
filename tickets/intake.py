"""What a call's intake asks of the help desk: who is calling, is the account supported, how
does a ticket stand, and opening the ticket for each problem the caller reports.

Every function takes a SQLAlchemy session and plain values, and leaves committing to the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Column,
    Table,
    bindparam,
    func,
    insert,
    inspect,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from call_scripts.hours import Hours, add_open_minutes

from . import outbox, pins, versions
from .db import as_loaded, utcnow
from .models import Customer, CustomerPhone, Equipment, Ticket, TicketEvent
from .outbox import Topic
from .statuses import OPEN_STATUSES, TicketStatus
from .timeline import add_events, event_values, latest_public_note, record_event

# Wrong status PINs are limited per call, and per ticket over a day (across calls). Past either
# limit no PIN is checked: only a call from the number on file (or an analyst) tells the status.
PIN_TRIES_PER_CALL = 3
PIN_TRIES_PER_TICKET_PER_DAY = 10
PIN_REFUSED = "pin_refused"  # the timeline kind of a wrong PIN (never the PIN itself)


# The intake's statements, built once (their SQL and cache keys too): a turn binds values.
# A caller's profile: the customer whose number it is, with their open tickets' count; then
# what they have on file, in one statement: their numbers (kind _PHONE: ``name`` is the number)
# and equipment (kind _EQUIPMENT: ``name`` is the model).
_PROFILE = (select(Customer.id, Customer.name, Customer.language, Customer.department,
                   Customer.location, Customer.account_number, Customer.supported,
                   select(func.count(Ticket.id))
                   .where(Ticket.customer_id == Customer.id, Ticket.status.in_(OPEN_STATUSES))
                   .scalar_subquery().label("open_count"))
            .join(CustomerPhone).where(CustomerPhone.number == bindparam("number")))
_PHONE, _EQUIPMENT = 0, 1
_ON_FILE_OF: Executable = union_all(
    select(literal_column(str(_PHONE)).label("kind"), CustomerPhone.id,
           CustomerPhone.number.label("name"), null().label("asset_tag"),
           null().label("licence_number"), null().label("configuration"))
    .where(CustomerPhone.customer_id == bindparam("customer")),
    select(literal_column(str(_EQUIPMENT)), Equipment.id, Equipment.model,
           Equipment.asset_tag, Equipment.licence_number, Equipment.configuration)
    .where(Equipment.customer_id == bindparam("customer")),
).order_by("kind", "id")
_BY_ACCOUNT = select(Customer).where(Customer.account_number == bindparam("account"))
_CLAIM_EVENTS = (update(TicketEvent)
                 .where(TicketEvent.call_id == bindparam("call"), TicketEvent.ticket_id.is_(None))
                 .values(ticket_id=bindparam("ticket")))
_EARLIER_NUMBERS = select(Ticket.number).where(Ticket.call_id == bindparam("call"),
                                               Ticket.id != bindparam("ticket"))
# What a new ticket takes from the customer record.
_CUSTOMER_OF_TICKET = (select(Customer.id, Customer.name, Customer.department,
                              Customer.location, Customer.account_number, Customer.supported)
                       .where(Customer.id == bindparam("customer")))
_TICKET_COLUMNS = [column for column in cast(Table, Ticket.__table__).columns
                   if column.key != "id"]
_ADD_TICKET = insert(Ticket).returning(Ticket.id)
_SET_NUMBER = (update(Ticket).where(Ticket.id == bindparam("ticket"))
               .values(number=bindparam("new_number")))


def caller_profile(session: Session, e164: str | None,
                   refusal: Callable[[str], str | None] | None = None) -> dict[str, Any]:
    """What the line knows about a caller from caller ID. ``callback`` is the number to call
    them back on: the caller ID, unless ``refusal`` (why the line will not call a number, or
    None) refuses it; then the first number on file it may call (``callback_elsewhere``);
    absent when there is none (the caller is asked for one).

    Read in Core, in two statements at most: the customer with their open tickets' count,
    then their numbers and equipment on file."""
    session.flush()  # what this session changed is read as it stands
    conn = session.connection()
    customer = conn.execute(_PROFILE, {"number": e164}).first() if e164 else None
    on_file = list(conn.execute(_ON_FILE_OF, {"customer": customer.id})) if customer else []
    numbers = [row.name for row in on_file if row.kind == _PHONE]
    equipment = [row for row in on_file if row.kind == _EQUIPMENT]
    callable_ = [n for n in [e164] + [n for n in numbers if n != e164]
                 if n and (refusal is None or refusal(n) is None)]
    callback = {"callback": callable_[0], "callback_elsewhere": callable_[0] != e164} \
        if callable_ else {}
    if customer is None:
        return {"found": False, **callback}
    return {
        **callback,
        "found": True,
        "customer_id": customer.id,
        "name": customer.name,
        "language": customer.language,
        "department": customer.department,
        "location": customer.location,
        "account_number": customer.account_number,
        "supported": customer.supported,
        "open_count": customer.open_count or 0,
        # what the caller may pick by key instead of describing it (the intake's pick steps)
        "devices": [_device(e.name, e.asset_tag, e.configuration)
                    for e in equipment if not e.licence_number],
        "licences": [{"label": e.name, "set": {"licence": e.licence_number}}
                     for e in equipment if e.licence_number],
    }


def default_callback(fields: dict[str, Any]) -> str | None:
    """The callback number of a ticket whose caller gave none: the one the caller lookup found
    the line may call (``caller_profile``'s ``callback``, possibly none), else, with no lookup,
    the caller ID."""
    caller = fields.get("caller")
    if isinstance(caller, dict) and "found" in caller:
        return caller.get("callback")
    return fields.get("caller_id")


def _device(model: str, asset_tag: str | None, configuration: str | None) -> dict[str, Any]:
    """A piece of equipment on file, as the intake offers it and as the ticket keeps it."""
    tag = f" ({asset_tag})" if asset_tag else ""
    chosen = {"equipment": f"{model}{tag}"}
    if configuration:
        chosen["configuration"] = configuration
    return {"label": model, "set": chosen}


def check_account(session: Session, account: str | None) -> dict[str, Any]:
    """Is this account in the customer directory, and is it supported?"""
    if not account:
        return {"verified": False, "known": False}
    customer = session.scalar(_BY_ACCOUNT, {"account": account})
    if customer is None:
        return {"verified": False, "known": False}
    return {"verified": customer.supported, "known": True, "name": customer.name,
            "customer_id": customer.id}


def find_ticket(session: Session, number: str | None) -> Ticket | None:
    if not number:
        return None
    return session.scalar(select(Ticket).where(Ticket.number == str(number).strip()))


def _status(session: Session, ticket: Ticket | None, allowed: bool,
            locked: str | None = None) -> dict[str, Any]:
    """What a status enquiry tells the script. An unknown ticket and a refused one look alike
    to the caller: the script is not told which it was."""
    out: dict[str, Any] = {"allowed": allowed, "pin_locked": locked is not None}
    if allowed and ticket is not None:
        out.update(number=ticket.number, status=ticket.status, priority=ticket.priority,
                   note=latest_public_note(session, ticket) or "")
    return out


def _enquiry(session: Session, ticket: Ticket | None, call_id: int | None, now: datetime,
             kind: str, text: str, **data: Any) -> None:
    """A status enquiry on the ticket's timeline (an unknown ticket's: on the call's)."""
    record_event(session, kind, text, ticket_id=ticket.id if ticket else None, call_id=call_id,
                 data=data, at=now)


def pin_lock(session: Session, ticket: Ticket | None, call_id: int | None,
             now: datetime) -> str | None:
    """Why no more PINs are checked for this ticket in this call (None: they may be)."""
    if call_id is not None:
        in_call = session.scalar(select(func.count(TicketEvent.id)).where(
            TicketEvent.call_id == call_id, TicketEvent.kind == PIN_REFUSED)) or 0
        if in_call >= PIN_TRIES_PER_CALL:
            return f"{in_call} wrong PINs in this call"
    if ticket is not None:
        today = session.scalar(select(func.count(TicketEvent.id)).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind == PIN_REFUSED,
            TicketEvent.at >= now - timedelta(days=1))) or 0
        if today >= PIN_TRIES_PER_TICKET_PER_DAY:
            return f"{today} wrong PINs for this ticket in the last day"
    return None


def ticket_status(session: Session, number: str | None, caller_e164: str | None,
                  call_id: int | None = None, now: datetime | None = None) -> dict:
    """A ticket's status, told only when the caller rings from the number on file (otherwise
    the script asks for its PIN, unless too many wrong PINs were keyed)."""
    now = now or utcnow()
    ticket = find_ticket(session, number)
    on_file: set[str | None] = set()
    if ticket is not None:
        on_file = {ticket.callback_number}
        if ticket.customer is not None:
            on_file |= {p.number for p in ticket.customer.phones}
    if ticket is not None and caller_e164 and caller_e164 in on_file:
        _enquiry(session, ticket, call_id, now, "status_enquiry",
                 "Status enquiry by phone (caller ID): told to the caller", allowed=True)
        return _status(session, ticket, True)
    locked = pin_lock(session, ticket, call_id, now)
    if ticket is not None:
        why = f"refused, no PIN checked ({locked})" if locked else "refused"
        _enquiry(session, ticket, call_id, now, "status_enquiry",
                 f"Status enquiry by phone (caller ID): {why}", allowed=False)
    return _status(session, ticket, False, locked)


def verify_pin(session: Session, number: str | None, pin: str | None,
               call_id: int | None = None, now: datetime | None = None) -> dict[str, Any]:
    """A ticket's status for a caller who knows its PIN. Each wrong PIN goes on the
    timeline (never the PIN); past the limits no PIN is checked at all."""
    now = now or utcnow()
    ticket = find_ticket(session, number)
    locked = pin_lock(session, ticket, call_id, now)
    if locked:
        return _status(session, ticket, False, locked)
    # An unknown ticket costs the same hashing: the time taken does not tell.
    if pins.pin_matches(ticket.pin_hash if ticket is not None else None, pin):
        assert ticket is not None and pin is not None
        if pins.needs_rehash(ticket.pin_hash):  # an argon2 PIN of before: keyed from now on
            ticket.pin_hash = pins.hash_pin(pin)
        _enquiry(session, ticket, call_id, now, "status_enquiry",
                 "Status enquiry by phone (PIN): told to the caller", allowed=True)
        return _status(session, ticket, True)
    _enquiry(session, ticket, call_id, now, PIN_REFUSED,
             "Status enquiry by phone: wrong PIN" + ("" if ticket else f" for unknown ticket "
                                                      f"{str(number or '')[:20]}"),
             allowed=False)
    session.flush()
    return _status(session, ticket, False, pin_lock(session, ticket, call_id, now))



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
    status: TicketStatus = TicketStatus.OPEN,
    hours: Hours | None = None,
) -> tuple[Ticket, str]:
    """Open one ticket for one problem; returns the ticket and its status PIN (shown once).

    Its SLA due times count only the open time of ``hours`` (the hold policy's; None: clock
    time). The call's timeline lines not yet on a ticket (the answers about this problem) move
    onto it.
    """
    now = now or utcnow()
    customer = _customer_of_ticket(session, customer_id)
    account = fields.get("account") or {}
    if customer is None and account.get("customer_id"):
        customer = _customer_of_ticket(session, account["customer_id"])
    pin = pins.new_pin()
    ticket = _new_ticket(fields, customer, priority, sla or {}, now, hours)
    ticket.call_id, ticket.language, ticket.status = call_id, language, status
    ticket.pin_hash = pins.hash_pin(pin)
    _insert(session, ticket)
    lines = _claim_call_events(session, ticket, call_id) if call_id is not None else []
    what = "Ticket opened" + (" from an incomplete intake" if ticket.incomplete else "")
    if not ticket.account_verified:
        what += "; customer account not verified"
    lines.append(event_values("opened", what, ticket_id=ticket.id, call_id=call_id,
                              data={"priority": priority, "tier": ticket.tier}))
    add_events(session, lines)
    outbox.add_event(session, Topic.TICKET_OPENED, now=now, ticket=outbox.ticket_data(ticket),
                     incomplete=ticket.incomplete, account_verified=ticket.account_verified)
    return ticket, pin


def _insert(session: Session, ticket: Ticket) -> None:
    """Write a new ticket's row in Core (one INSERT, then its number in one UPDATE: it is made
    from the id), not through a flush; the ticket is then the session's, as if loaded (its
    later changes are flushed as usual). What the session holds unwritten goes first."""
    session.flush()
    conn = session.connection()
    state = inspect(ticket).dict
    row = {column.key: state[column.key] if column.key in state else _default(column)
           for column in _TICKET_COLUMNS}
    ticket_id = conn.execute(_ADD_TICKET, row).scalar_one()
    number = Ticket.number_for(ticket_id)
    conn.execute(_SET_NUMBER, {"ticket": ticket_id, "new_number": number})
    as_loaded(session, ticket, {**row, "id": ticket_id, "number": number})


def _default(column: Column[Any]) -> Any:
    """A column's value in a new row when none is given: its constant default, else NULL (the
    columns with a default made by a function, ``_new_ticket`` always gives)."""
    if column.default is None:
        return None
    if not isinstance(column.default, ScalarElementColumnDefault):
        raise ValueError(f"ticket.{column.key} must be given")
    return column.default.arg


def change_callback_number(session: Session, call_id: int, number: str,
                           now: datetime | None = None) -> list[Ticket]:
    """The caller gave another number to be called back on, after their tickets were opened:
    every ticket this call opened and still open takes it, each with a line on its timeline."""
    now = now or utcnow()
    changed = list(session.scalars(select(Ticket).where(
        Ticket.call_id == call_id, Ticket.status.in_(OPEN_STATUSES)).order_by(Ticket.id)))
    for ticket in changed:
        if ticket.callback_number == number:
            continue
        ticket.callback_number = number
        record_event(session, "callback_number", "The caller gave another number to be "
                     "called back on", ticket_id=ticket.id, call_id=call_id, at=now)
    return changed


def _customer_of_ticket(session: Session, customer_id: int | None) -> Any:
    """What a new ticket takes from the customer record: ``_CUSTOMER_OF_TICKET``'s row, or None."""
    if not customer_id:
        return None
    return session.connection().execute(_CUSTOMER_OF_TICKET, {"customer": customer_id}).first()


def _new_ticket(fields: dict[str, Any], customer: Any, priority: str,
                sla: dict[str, Any], now: datetime, hours: Hours | None) -> Ticket:
    """The ticket's row from the caller's answers, the customer record filling the gaps."""
    def known(field: str, on_file: str) -> Any:
        return fields.get(field) or (getattr(customer, on_file) if customer else None)

    def due(minutes: str) -> datetime | None:
        return add_open_minutes(hours, now, sla[minutes]) if sla.get(minutes) else None

    ticket = Ticket(
        customer_id=customer.id if customer else None,
        priority=priority,
        tier=int(sla.get("tier") or fields.get("tier") or 1),
        category=fields.get("category"),
        caller_name=known("name", "name"),
        department=known("department", "department"),
        location=known("location", "location"),
        callback_number=fields.get("callback_number") or default_callback(fields),
        account_number=known("account_number", "account_number"),
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
        created_at=now,
        response_due=due("response_minutes"),
        resolution_due=due("resolution_minutes"),
        update_minutes=sla.get("update_minutes"),
    )
    ticket.escalate_at = ticket.response_due
    return ticket


def _claim_call_events(session: Session, ticket: Ticket, call_id: int) -> list[dict[str, Any]]:
    """The call's timeline lines not yet on a ticket move onto this one; a second problem of
    the same call says which tickets came before (the line returned, to be added)."""
    session.flush()  # the call's lines added so far are rows: one UPDATE moves them all
    conn = session.connection()
    conn.execute(_CLAIM_EVENTS, {"call": call_id, "ticket": ticket.id})
    for line in session.identity_map.values():  # the lines this session holds say so too
        if isinstance(line, TicketEvent) and line.call_id == call_id and line.ticket_id is None:
            set_committed_value(line, "ticket_id", ticket.id)
    earlier = conn.execute(_EARLIER_NUMBERS, {"call": call_id, "ticket": ticket.id}).scalars()
    numbers = list(earlier)
    if not numbers:
        return []
    return [event_values("note", "Reported in the same call as ticket(s) "
                         + ", ".join(n for n in numbers if n) + "; caller details as given there.",
                         ticket_id=ticket.id, call_id=call_id)]


def open_voicemail_ticket(session: Session, *, script_name: str, caller_id: str | None,
                          recording_url: str, duration: str | None) -> Ticket:
    """A message left while the line could not serve the call (Twilio's fallback URL): kept on
    an incomplete ticket at the intake script's default priority."""
    script = versions.live_script(session, script_name).parsed
    priority = script.priority.default_label if script.priority else "unassessed"
    ticket, _pin = open_ticket(session, fields={
        "caller_id": caller_id,
        "problem": "Voicemail left while the line was unavailable",
        "incomplete": True}, priority=priority)
    record_event(session, "voicemail", "Voicemail left during an outage", ticket_id=ticket.id,
                 data={"recording_url": recording_url, "duration": duration})
    outbox.publish(session, Topic.VOICEMAIL_LEFT, ticket=ticket, during_outage=True,
                   duration=_seconds(duration))
    return ticket


def _seconds(duration: str | None) -> int | None:
    try:
        return max(int(duration or ""), 0)
    except ValueError:
        return None
