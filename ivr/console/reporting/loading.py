"""The query layer of the reports: read the plain rows of a date range from the database
and build every table from them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tickets import queries
from tickets.models import (
    Agent,
    Call,
    Incident,
    IncidentCaller,
    OutboundCall,
    QueueEntry,
    SurveyResponse,
    Ticket,
    TicketEvent,
)
from tickets.outbox import MessageStatus, OutboxMessage, Topic
from tickets.statuses import OutboundKind, OutboundStatus, QueueStatus

from .figures import DEFAULT_SERVICE_LEVEL, build_from_rows
from .rows import (
    CallbackRow,
    IncidentRow,
    KnownIssueRow,
    QueueVisit,
    SurveyRow,
    TicketRow,
)
from .tables import Table

# A finished queue entry's status -> the visit's outcome in the reports.
VISIT_OUTCOMES: dict[str, str] = {
    QueueStatus.DONE: "answered", QueueStatus.ABANDONED: "abandoned",
    QueueStatus.RESUMED: "abandoned", QueueStatus.CALLBACK: "callback",
    QueueStatus.VOICEMAIL: "voicemail"}


def _answered_by(session: Session, tickets: Sequence[Ticket]) -> dict[int, int]:
    """Ticket id -> the analyst of the ticket: the one it was given to, else the one who
    answered its latest answered queue visit (of the ticket, or of the call that opened it)."""
    if not tickets:
        return {}
    ids = [t.id for t in tickets]
    calls = sorted({t.call_id for t in tickets if t.call_id is not None})
    by_ticket: dict[int, int] = {}
    by_call: dict[int, int] = {}
    for ticket_id, call_id, agent_id in session.execute(
            select(QueueEntry.ticket_id, QueueEntry.call_id, QueueEntry.agent_id)
            .where(QueueEntry.status == QueueStatus.DONE, QueueEntry.agent_id.is_not(None),
                   QueueEntry.ticket_id.in_(ids) | QueueEntry.call_id.in_(calls))
            .order_by(QueueEntry.joined_at, QueueEntry.id)):
        if agent_id is None:
            continue
        if ticket_id is not None:
            by_ticket[ticket_id] = agent_id
        if call_id is not None:
            by_call[call_id] = agent_id
    analysts = {}
    for t in tickets:
        agent_id = t.agent_id or by_ticket.get(t.id) or by_call.get(t.call_id or 0)
        if agent_id is not None:
            analysts[t.id] = agent_id
    return analysts


def load_call_starts(session: Session, start: datetime, end: datetime) -> list[datetime]:
    """Start times of inbound calls in [start, end), not counting analysts calling the line."""
    agent_phones = select(Agent.phone).where(Agent.phone.is_not(None))
    return list(session.scalars(
        select(Call.started_at)
        .where(Call.direction == "inbound", Call.started_at >= start, Call.started_at < end,
               Call.from_number.is_(None) | Call.from_number.not_in(agent_phones))))


def load_queue_visits(session: Session, start: datetime, end: datetime) -> list[QueueVisit]:
    """Finished queue visits that joined in [start, end)."""
    names = queries.agent_names(session)
    visits = []
    for e in session.scalars(select(QueueEntry).where(
            QueueEntry.joined_at >= start, QueueEntry.joined_at < end,
            QueueEntry.status.in_(VISIT_OUTCOMES))):
        outcome = VISIT_OUTCOMES[e.status]
        wait = e.actual_wait
        if wait is None and e.ended_at is not None and outcome != "answered":
            wait = (e.ended_at - e.joined_at).total_seconds()
        visits.append(QueueVisit(joined_at=e.joined_at, tier=e.tier, outcome=outcome, wait=wait,
                                 agent=names.get(e.agent_id) if e.agent_id else None,
                                 announced_wait=e.announced_wait,
                                 announced_at=e.announced_at))
    return visits


def load_callbacks(session: Session, start: datetime, end: datetime) -> list[CallbackRow]:
    """Callbacks due in [start, end), each with its tier (``tickets.queries.callback_tier``:
    the console, the API and /metrics count pending callbacks per tier the same way)."""
    rows = session.execute(
        select(OutboundCall, queries.callback_tier())
        .outerjoin(QueueEntry, QueueEntry.id == OutboundCall.queue_entry_id)
        .outerjoin(Ticket, Ticket.id == OutboundCall.ticket_id)
        .where(OutboundCall.kind == OutboundKind.CALLBACK, OutboundCall.due_at >= start,
               OutboundCall.due_at < end)).all()
    names = queries.agent_names(session)
    return [CallbackRow(due_at=o.due_at, tier=tier, status=o.status, placed_at=o.placed_at,
                        window_end=o.window_end,
                        agent=names.get(o.agent_id) if o.agent_id else None)
            for o, tier in rows]


def load_tickets(session: Session, start: datetime, end: datetime) -> list[TicketRow]:
    """Tickets opened in [start, end) (follow-ups for the team lead left out), with what the
    first-contact rule needs to know about them."""
    tickets = list(session.scalars(select(Ticket).where(
        Ticket.created_at >= start, Ticket.created_at < end, Ticket.parent_id.is_(None))))
    if not tickets:
        return []
    ids = [t.id for t in tickets]
    escalated = set(session.scalars(select(TicketEvent.ticket_id).where(
        TicketEvent.ticket_id.in_(ids), TicketEvent.kind == "escalated")))
    visits: dict[int, list[tuple[int | None, datetime]]] = defaultdict(list)
    for ticket_id, call_id, joined in session.execute(
            select(QueueEntry.ticket_id, QueueEntry.call_id, QueueEntry.joined_at)
            .where(QueueEntry.ticket_id.in_(ids))):
        if ticket_id is not None:
            visits[ticket_id].append((call_id, joined))
    placed: dict[int, list[datetime]] = defaultdict(list)
    for ticket_id, at in session.execute(
            select(OutboundCall.ticket_id, OutboundCall.placed_at)
            .where(OutboundCall.ticket_id.in_(ids), OutboundCall.placed_at.is_not(None),
                   OutboundCall.kind.in_((OutboundKind.CALLBACK, OutboundKind.STATUS_UPDATE)))):
        if ticket_id is not None and at is not None:
            placed[ticket_id].append(at)
    names = queries.agent_names(session)
    analysts = _answered_by(session, tickets)
    rows = []
    for t in tickets:
        until = t.resolved_at
        others = sum(1 for call_id, joined in visits[t.id]
                     if call_id != t.call_id and (until is None or joined < until))
        others += sum(1 for at in placed[t.id] if until is None or at < until)
        rows.append(TicketRow(
            created_at=t.created_at, priority=t.priority, tier=t.tier, status=t.status,
            agent=names.get(analysts[t.id]) if t.id in analysts else None,
            response_due=t.response_due, responded_at=t.responded_at,
            response_breached_at=t.response_breached_at, resolution_due=t.resolution_due,
            resolved_at=t.resolved_at, resolution_breached_at=t.resolution_breached_at,
            opened_by_call=t.call_id is not None, escalated=t.id in escalated,
            reopened=t.reopened_count > 0, other_contacts=others))
    return rows


def load_surveys(session: Session, start: datetime, end: datetime) -> list[SurveyRow]:
    """Survey answers with a score given in [start, end)."""
    names = queries.agent_names(session)
    answers = session.execute(
        select(SurveyResponse, Ticket)
        .join(Ticket, Ticket.id == SurveyResponse.ticket_id)
        .where(SurveyResponse.at >= start, SurveyResponse.at < end,
               SurveyResponse.score.is_not(None))).all()
    analysts = _answered_by(session, list({t.id: t for _, t in answers}.values()))
    return [SurveyRow(at=s.at, score=s.score, tier=t.tier,
                      agent=names.get(analysts[t.id]) if t.id in analysts else None,
                      solved=s.solved)
            for s, t in answers if s.score is not None]


def load_incidents(session: Session, start: datetime, end: datetime) -> list[IncidentRow]:
    """The incidents declared in [start, end): their short-path calls and notices."""
    rows = []
    for incident in session.scalars(select(Incident).where(Incident.declared_at >= start,
                                                          Incident.declared_at < end)):
        links = session.scalars(select(IncidentCaller)
                                .where(IncidentCaller.incident_id == incident.id)).all()
        children = [link.ticket_id for link in links]
        again = session.scalar(select(func.count(TicketEvent.id)).where(
            TicketEvent.ticket_id.in_(children), TicketEvent.kind == "incident_again")) or 0
        told: list[float] = []
        if incident.resolved_at is not None and children:
            told = [(ended - incident.resolved_at).total_seconds() for ended in session.scalars(
                select(OutboundCall.ended_at).where(
                    OutboundCall.ticket_id.in_(children),
                    OutboundCall.kind == OutboundKind.INCIDENT_NOTICE,
                    OutboundCall.status == OutboundStatus.DONE)) if ended is not None]
            told += [(sent - incident.resolved_at).total_seconds() for sent in session.scalars(
                select(OutboxMessage.delivered_at).where(
                    OutboxMessage.ticket_id.in_(children),
                    OutboxMessage.topic == Topic.INCIDENT_NOTICE,
                    OutboxMessage.status == MessageStatus.DELIVERED)) if sent is not None]
        rows.append(IncidentRow(incident.declared_at, incident.id,
                                incident.service or incident.category, len(links) + again,
                                len(links), incident.resolved_at, tuple(told)))
    return rows


def load_known_issues(session: Session, start: datetime, end: datetime) -> list[KnownIssueRow]:
    """The calls a known issue's answer ended in [start, end)."""
    return [KnownIssueRow(e.at, str((e.data or {}).get("answer") or "unknown"))
            for e in session.scalars(select(TicketEvent).where(
                TicketEvent.kind == "known_issue_solved", TicketEvent.at >= start,
                TicketEvent.at < end))]


def load_intake_seconds(session: Session, start: datetime, end: datetime) -> list[float]:
    """How long each intake of the range took: from the call's answer to its first ticket
    (tickets of an incident's short path left out: they are what is being compared)."""
    first = (select(Ticket.call_id, func.min(Ticket.created_at).label("opened"))
             .where(Ticket.call_id.is_not(None), Ticket.created_at >= start,
                    Ticket.created_at < end,
                    Ticket.id.not_in(select(IncidentCaller.ticket_id)))
             .group_by(Ticket.call_id).subquery())
    return [max((opened - started).total_seconds(), 0.0) for started, opened in session.execute(
        select(Call.started_at, first.c.opened).join(first, first.c.call_id == Call.id))]


@dataclass
class Report:
    """Every table of the reports page for one date range."""

    start: datetime
    end: datetime
    tables: list[Table] = field(default_factory=list)

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)


def build(session: Session, start: datetime, end: datetime, *, now: datetime,
          tz: tzinfo = UTC, threshold: float = DEFAULT_SERVICE_LEVEL) -> Report:
    """All report tables for [start, end)."""
    tables = build_from_rows(load_call_starts(session, start, end),
                             load_queue_visits(session, start, end),
                             load_callbacks(session, start, end),
                             load_tickets(session, start, end),
                             load_surveys(session, start, end),
                             now=now, tz=tz, threshold=threshold,
                             incidents=load_incidents(session, start, end),
                             intake_seconds=load_intake_seconds(session, start, end),
                             known_issues=load_known_issues(session, start, end))
    return Report(start, end, tables)
