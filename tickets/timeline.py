"""A ticket's timeline: every answer, call, hold, note and status change, with who and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .db import utcnow
from .models import Ticket, TicketEvent


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
    event = TicketEvent(**event_values(kind, text, ticket_id=ticket_id, call_id=call_id,
                                       step=step, data=data, actor=actor, public=public, at=at))
    session.add(event)
    return event


def event_values(kind: str, text: str, *, ticket_id: int | None = None,
                 call_id: int | None = None, step: str | None = None,
                 data: dict[str, Any] | None = None, actor: str = "ivr", public: bool = False,
                 at: datetime | None = None) -> dict[str, Any]:
    """The columns of a timeline line, for ``record_event`` or one INSERT of several lines."""
    return {"ticket_id": ticket_id, "call_id": call_id, "kind": kind, "text": text,
            "step": step, "data": data or {}, "actor": actor, "public": public,
            "at": at or utcnow()}


# Built once. Inline: nobody reads the new lines' ids back (PostgreSQL would otherwise return
# them, a result to read for every line).
_ADD_EVENTS = insert(TicketEvent).inline()


def add_events(session: Session, events: list[dict[str, Any]]) -> None:
    """Timeline lines (``event_values``) in one Core INSERT, not through the ORM's flush, for
    callers that have no use for the rows after; lines added to the session before them are
    written first: the timeline's order."""
    if any(isinstance(obj, TicketEvent) for obj in session.new):
        session.flush()
    session.connection().execute(_ADD_EVENTS, events)


def latest_public_note(session: Session, ticket: Ticket) -> str | None:
    """What the customer may be told of the ticket's progress (status calls read it)."""
    return session.scalar(
        select(TicketEvent.text)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.public.is_(True))
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )
