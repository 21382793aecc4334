"""The read side: who is waiting in the queues, the callbacks still to be made per tier, the
analysts on duty, and ticket search. One definition of each, read by the agent console, the
JSON API and /metrics alike, so that no two of them can tell a team lead different numbers.

Functions take a session and plain values and change nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from . import recordings
from .models import (
    Agent,
    Customer,
    CustomerPhone,
    Incident,
    IncidentCaller,
    OutboundCall,
    QueueEntry,
    Ticket,
    TicketEvent,
)
from .phones import to_e164
from .statuses import IncidentStatus, OutboundKind, OutboundStatus, QueueStatus, TicketStatus

IN_LINE = (QueueStatus.WAITING, QueueStatus.BRIDGING)  # callers not yet answered
SEARCH_LIMIT = 50


# ---- who is waiting -------------------------------------------------------------------------

@dataclass(frozen=True)
class WaitingCaller:
    """A caller in line, as every screen shows them (the number is for masking, not showing)."""

    id: int
    tier: int
    rank: int
    priority: str | None
    ticket: str | None  # the number of the ticket the caller waits about
    caller_number: str | None
    language: str | None
    joined_at: datetime
    announced_wait: float | None
    connecting: bool  # an analyst's phone is ringing for this caller

    def waited(self, now: datetime) -> float:
        """Seconds in line so far (from first joining: a resumed place keeps its time)."""
        return max(0.0, (now - self.joined_at).total_seconds())


def waiting_callers(session: Session, tiers: Collection[int] | None = None,
                    ) -> list[WaitingCaller]:
    """Who is waiting in these tiers' queues (None: every tier), best first: by priority rank,
    then by time in line.

    The rule: a caller waits from the moment they agree to hold (or are put through at once
    because an analyst is free) until an analyst answers. A caller whose analyst is being rung
    is still waiting (``connecting``): they hear the hold music until the analyst picks up, and
    keep their place if nobody does. Not counted: a caller still hearing the offer to hold (they
    hold no place in line yet, and routing passes them by; choosing a callback, they never
    joined), callers who left or were answered, and callback requests (see
    ``pending_callbacks``).
    """
    query = (select(QueueEntry, Ticket.number)
             .outerjoin(Ticket, Ticket.id == QueueEntry.ticket_id)
             .where(QueueEntry.status.in_(IN_LINE), QueueEntry.consent.is_(True))
             .order_by(QueueEntry.rank, QueueEntry.joined_at, QueueEntry.id))
    if tiers is not None:
        query = query.where(QueueEntry.tier.in_(tiers))
    return [WaitingCaller(id=entry.id, tier=entry.tier, rank=entry.rank,
                          priority=entry.priority, ticket=number,
                          caller_number=entry.caller_number, language=entry.language,
                          joined_at=entry.joined_at, announced_wait=entry.announced_wait,
                          connecting=entry.status == QueueStatus.BRIDGING)
            for entry, number in session.execute(query)]


# ---- callbacks still to be made -------------------------------------------------------------

def callback_tier() -> ColumnElement[int]:
    """The tier a callback is for: the tier of the queue where it keeps the caller's place (the
    tier routing reserves an analyst from; an escalation moves it), else its ticket's tier, else
    tier 1. Use with OutboundCall outer-joined to its QueueEntry and its Ticket."""
    return func.coalesce(QueueEntry.tier, Ticket.tier, 1)


def pending_callbacks(session: Session, tiers: Collection[int] | None = None,
                      ) -> dict[int, int]:
    """Callbacks promised and not yet placed, per tier (``callback_tier``); tiers without any
    are left out.

    The rule: a callback is pending while its row is ``pending``: booked and waiting for its
    time or its place in line, or between two tries. One being dialled right now is on the line,
    not pending; one done, failed or called off is over.
    """
    tier = callback_tier()
    query = (select(tier, func.count(OutboundCall.id))
             .select_from(OutboundCall)
             .outerjoin(QueueEntry, QueueEntry.id == OutboundCall.queue_entry_id)
             .outerjoin(Ticket, Ticket.id == OutboundCall.ticket_id)
             .where(OutboundCall.kind == OutboundKind.CALLBACK,
                    OutboundCall.status == OutboundStatus.PENDING)
             .group_by(tier))
    if tiers is not None:
        query = query.where(tier.in_(tiers))
    return {t: n for t, n in session.execute(query)}


# ---- analysts -------------------------------------------------------------------------------

def short_path_callers(session: Session) -> int:
    """Callers who took an active major incident's short path (linked to it instead of
    queueing): the live queue counts them beside those in line."""
    return session.scalar(
        select(func.count(IncidentCaller.id))
        .join(Incident, Incident.id == IncidentCaller.incident_id)
        .where(Incident.status == IncidentStatus.ACTIVE)) or 0


def tickets_on_call(session: Session, agent_id: int) -> list[Ticket]:
    """The tickets of the caller an analyst is connected to (their bridged queue entry's call,
    the ticket the caller queued about first)."""
    entry = session.scalar(select(QueueEntry)
                           .where(QueueEntry.agent_id == agent_id,
                                  QueueEntry.status == QueueStatus.BRIDGING)
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


def agents_by_status(session: Session) -> dict[tuple[int, str], int]:
    """How many analysts of each tier are in each status: {(tier, status): count}."""
    query = select(Agent.tier, Agent.status, func.count()).group_by(Agent.tier, Agent.status)
    return {(tier, status): n for tier, status, n in session.execute(query)}


def agent_names(session: Session) -> dict[int, str]:
    """Every analyst's name by id."""
    return dict(session.execute(select(Agent.id, Agent.name)).all())


# ---- ticket search --------------------------------------------------------------------------

@dataclass(frozen=True)
class TicketSearch:
    """What to look for: each field given narrows the answer.

    ``text`` is what a person types in a search box: it matches a ticket's number exactly, the
    caller's or the customer's name, the equipment, the licence number or the problem in part
    (any case), or a phone number. A phone, however it is written, matches in E.164 the
    ticket's callback number or any number on file for its customer.
    """

    text: str = ""
    status: str | None = None
    priority: str | None = None
    tiers: Collection[int] | None = None
    number: str | None = None
    phone: str | None = None  # E.164: the ticket's callback number or one on its customer's file
    voicemail: bool = False  # only tickets on which a caller left a voicemail


def _on_phone(e164: str) -> ColumnElement[bool]:
    on_file = select(CustomerPhone.customer_id).where(CustomerPhone.number == e164)
    return or_(Ticket.callback_number == e164, Ticket.customer_id.in_(on_file))


def _free_text(text: str) -> ColumnElement[bool]:
    like = f"%{text.lower()}%"
    phone = to_e164(text)
    return or_(Ticket.number == text,
               func.lower(Ticket.caller_name).like(like),
               func.lower(Customer.name).like(like),
               func.lower(Ticket.equipment).like(like),
               func.lower(Ticket.licence_number).like(like),
               func.lower(Ticket.problem).like(like),
               _on_phone(phone) if phone else Ticket.callback_number == text)


def _matching(search: TicketSearch) -> Select[Any]:
    query = select(Ticket)
    text = search.text.strip()
    if text:
        query = query.outerjoin(Customer, Customer.id == Ticket.customer_id).where(
            _free_text(text))
    if search.status:
        query = query.where(Ticket.status == search.status)
    if search.priority:
        query = query.where(Ticket.priority == search.priority)
    if search.tiers is not None:
        query = query.where(Ticket.tier.in_(search.tiers))
    if search.number:
        query = query.where(Ticket.number == search.number.strip())
    if search.phone:
        query = query.where(_on_phone(search.phone))
    if search.voicemail:
        query = query.where(recordings.with_voicemail())
    return query


def search_tickets(session: Session, search: TicketSearch, *, limit: int = SEARCH_LIMIT,
                   offset: int = 0) -> list[Ticket]:
    """The tickets that match, newest first."""
    return list(session.scalars(_matching(search).order_by(Ticket.id.desc())
                                .offset(offset).limit(limit)))


def count_tickets(session: Session, search: TicketSearch) -> int:
    """How many tickets match (for paging)."""
    return session.scalar(select(func.count()).select_from(_matching(search).subquery())) or 0


def follow_ups(session: Session) -> list[Ticket]:
    """Follow-up tickets for the team lead: those nobody has taken up yet (status open) first,
    then newest first."""
    return list(session.scalars(select(Ticket).where(Ticket.category == "follow_up")
                                .order_by(Ticket.status != TicketStatus.OPEN, Ticket.id.desc())))


def latest_event(session: Session, ticket: Ticket, kind: str) -> TicketEvent | None:
    """The newest line of this kind on the ticket's timeline."""
    return session.scalar(select(TicketEvent)
                          .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind)
                          .order_by(TicketEvent.id.desc()).limit(1))
