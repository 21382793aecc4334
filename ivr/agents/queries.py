"""What the agent console reads: the live queue of a set of tiers, the call an agent is on,
ticket search, and who may open which ticket. Plain functions of a session."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tickets.models import (
    Agent,
    Customer,
    CustomerPhone,
    OutboundCall,
    QueueEntry,
    Ticket,
)
from tickets.phones import mask_phone, to_e164
from tickets.statuses import STATUSES

SEARCH_LIMIT = 50


def live_queue(session: Session, tiers: list[int] | None, now: datetime) -> dict[str, Any]:
    """Who waits in these tiers (best first), and the callbacks still to be placed."""
    query = (select(QueueEntry, Ticket.number)
             .outerjoin(Ticket, Ticket.id == QueueEntry.ticket_id)
             .where(QueueEntry.status.in_(("waiting", "bridging")))
             .order_by(QueueEntry.rank, QueueEntry.joined_at, QueueEntry.id))
    if tiers is not None:
        query = query.where(QueueEntry.tier.in_(tiers))
    waiting = [{
        "id": entry.id,
        "caller": mask_phone(entry.caller_number) if entry.caller_number else "unknown",
        "priority": entry.priority or "",
        "tier": entry.tier,
        "ticket": number,
        "waited": (now - entry.joined_at).total_seconds(),
        "holding": entry.consent,
        "status": entry.status,
    } for entry, number in session.execute(query)]
    callbacks = select(func.count(OutboundCall.id)).where(OutboundCall.kind == "callback",
                                                          OutboundCall.status == "pending")
    if tiers is not None:
        callbacks = callbacks.outerjoin(Ticket, Ticket.id == OutboundCall.ticket_id).where(
            or_(Ticket.tier.in_(tiers), Ticket.id.is_(None)))
    return {"waiting": waiting, "callbacks_pending": session.scalar(callbacks) or 0}


def current_tickets(session: Session, agent: Agent) -> list[Ticket]:
    """The tickets of the caller the agent is connected to (the bridged queue entry's call)."""
    entry = session.scalar(select(QueueEntry)
                           .where(QueueEntry.agent_id == agent.id,
                                  QueueEntry.status == "bridging")
                           .order_by(QueueEntry.bridging_at.desc()).limit(1))
    if entry is None:
        return []
    tickets: list[Ticket] = []
    if entry.call_id is not None:
        tickets = list(session.scalars(select(Ticket).where(Ticket.call_id == entry.call_id)
                                       .order_by(Ticket.id)))
    if entry.ticket_id is not None and all(t.id != entry.ticket_id for t in tickets):
        ticket = session.get(Ticket, entry.ticket_id)
        if ticket is not None:
            tickets.insert(0, ticket)
    return tickets


def search_tickets(session: Session, q: str, status: str | None = None,
                   tiers: list[int] | None = None) -> list[Ticket]:
    """Tickets by number, caller name, phone, equipment (model, asset tag) or status."""
    query = select(Ticket).order_by(Ticket.id.desc()).limit(SEARCH_LIMIT)
    q = (q or "").strip()
    if q:
        like = f"%{q.lower()}%"
        phone = to_e164(q)
        by_phone = select(CustomerPhone.customer_id).where(CustomerPhone.number == phone)
        query = query.outerjoin(Customer, Customer.id == Ticket.customer_id).where(or_(
            Ticket.number == q,
            func.lower(Ticket.caller_name).like(like),
            func.lower(Customer.name).like(like),
            func.lower(Ticket.equipment).like(like),
            func.lower(Ticket.licence_number).like(like),
            func.lower(Ticket.problem).like(like),
            Ticket.callback_number == (phone or q),
            Ticket.customer_id.in_(by_phone),
        ))
    if status in STATUSES:
        query = query.where(Ticket.status == status)
    if tiers is not None:
        query = query.where(Ticket.tier.in_(tiers))
    return list(session.scalars(query))


def sla_clock(ticket: Ticket, now: datetime) -> list[dict[str, Any]]:
    """The response and resolution targets, each with the time left (negative: overdue)."""
    clocks = []
    for label, due, met in (("response", ticket.response_due, ticket.responded_at),
                            ("resolution", ticket.resolution_due, ticket.resolved_at)):
        if due is None:
            continue
        clocks.append({"label": label, "due": due, "met": met,
                       "left": (due - now).total_seconds() if met is None else None})
    return clocks
