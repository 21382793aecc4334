"""Suggest, never impose: when N calls in M minutes land in one category (the policy sets N and
M), the team lead is shown a possible incident with those tickets, to declare or dismiss."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .accounts import AuditLog
from .incidents import CATEGORIES, active, check_category
from .models import Incident, IncidentCaller, IncidentDismissal, Ticket


@dataclass(frozen=True)
class Suggestion:
    """A possible incident: recent tickets in one category, for the team lead to judge."""

    category: str
    tickets: list[Ticket]

    @property
    def last_ticket_id(self) -> int:
        return max(t.id for t in self.tickets)


def suggestions(session: Session, now: datetime, *, calls: int,
                minutes: int) -> list[Suggestion]:
    """Categories with at least ``calls`` new tickets in the last ``minutes``: not those an
    active incident covers, and not counting tickets already linked to an incident, parents
    of one, follow-ups, or tickets of a suggestion the team lead dismissed."""
    covered = {i.category for i in active(session)}
    dismissed: dict[str, int] = {category: last for category, last in session.execute(
        select(IncidentDismissal.category, func.max(IncidentDismissal.last_ticket_id))
        .group_by(IncidentDismissal.category))}
    recent = session.scalars(
        select(Ticket).where(Ticket.created_at > now - timedelta(minutes=minutes),
                             Ticket.created_at <= now, Ticket.category.in_(list(CATEGORIES)),
                             Ticket.id.not_in(select(IncidentCaller.ticket_id)),
                             Ticket.id.not_in(select(Incident.parent_ticket_id).where(
                                 Incident.parent_ticket_id.is_not(None))))
        .order_by(Ticket.id))
    by_category: dict[str, list[Ticket]] = {}
    for ticket in recent:
        category = ticket.category or ""
        if category not in covered and ticket.id > dismissed.get(category, 0):
            by_category.setdefault(category, []).append(ticket)
    return [Suggestion(category, found) for category, found in sorted(by_category.items())
            if len(found) >= calls]


def dismiss(session: Session, category: str, last_ticket_id: int, *, actor: str,
            now: datetime) -> None:
    """The team lead judged a suggestion no incident: its tickets are not suggested again."""
    dismissal = IncidentDismissal(category=check_category(category), at=now, by=actor,
                                  last_ticket_id=last_ticket_id)
    session.add(dismissal)
    session.add(AuditLog(at=now, user=actor, action="incident.dismiss_suggestion",
                         target=f"category {category}",
                         detail={"last_ticket_id": last_ticket_id}))
