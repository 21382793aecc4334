"""Our tickets in the help desk's own ticket systems (Zammad, GLPI, Jira Service Management):
each connector's key for the ticket and a link to it there, kept when the connector's create
call is answered (``ivr.outbox.connectors``) and shown on the console's ticket page. A
signed webhook from the system names its key; ``find`` leads back to our ticket.

Functions take a session and plain values and leave committing to the caller.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base, utcnow
from .models import Ticket


class TicketLink(Base):
    """A ticket's twin in one connector's system."""

    __tablename__ = "ticket_link"
    __table_args__ = (UniqueConstraint("connector", "key"),
                      UniqueConstraint("ticket_id", "connector"))

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    connector: Mapped[str] = mapped_column(String(60))  # the connector's name in the file
    key: Mapped[str] = mapped_column(String(80))  # Zammad's and GLPI's id, Jira's issue key
    url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def link_of(session: Session, ticket_id: int, connector: str) -> TicketLink | None:
    return session.scalar(select(TicketLink).where(TicketLink.ticket_id == ticket_id,
                                                   TicketLink.connector == connector))


def links_of(session: Session, ticket_id: int) -> list[TicketLink]:
    """Every system the ticket is in, for its page."""
    return list(session.scalars(select(TicketLink).where(TicketLink.ticket_id == ticket_id)
                                .order_by(TicketLink.connector)))


def keep(session: Session, ticket_id: int, connector: str, key: str, url: str | None,
         now: datetime) -> TicketLink:
    """The connector made the ticket there: its key and link kept (once)."""
    link = link_of(session, ticket_id, connector)
    if link is None:
        link = TicketLink(ticket_id=ticket_id, connector=connector, key=key, url=url,
                          created_at=now)
        session.add(link)
    return link


def find(session: Session, connector: str, key: str) -> Ticket | None:
    """Our ticket behind the connector's key (None: not one of ours)."""
    return session.scalar(select(Ticket).join(TicketLink, TicketLink.ticket_id == Ticket.id)
                          .where(TicketLink.connector == connector, TicketLink.key == key))
