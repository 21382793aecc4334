"""Telling a caller linked to a major incident that it is fixed: once, by SMS where their
number is a mobile and the line sends texts, else by a short notice call.

The SMS is an ``incident.notice`` event in the outbox (one per caller's ticket: its key); the
outbox's deliverer sends it within the caller's calling window and reports back: delivered
(``texted``: the closure survey follows, as after a notice call), or not sent for good
(``not_texted``: the notice call is booked instead, so the caller still hears). A notice call
is never booked twice, and no SMS goes once a call is booked. Functions take a session and plain
values and leave committing to the caller.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import bookings, outbox
from .models import OutboundCall, Ticket
from .outbox import OutboxEvent, Topic
from .phones import is_mobile
from .statuses import OutboundKind, OutboundStatus
from .timeline import record_event

# The closure survey of a caller's child ticket comes this long after they were told.
CLOSURE_AFTER_NOTICE = timedelta(hours=2)


def text_key(ticket: Ticket) -> str:
    """The outbox key of a caller's notice SMS: one per ticket, however often asked."""
    return f"incident-notice:{ticket.id}"


def by_text(session: Session, ticket: Ticket, texting: bool) -> bool:
    """Is this caller told by SMS: the line sends texts, their number is a mobile that has
    not texted STOP?"""
    number = ticket.callback_number
    return bool(texting and number and is_mobile(number)
                and not outbox.opted_out(session, number))


def notify(session: Session, ticket: Ticket, incident_id: int, now: datetime, *,
           texting: bool) -> OutboundCall | OutboxEvent | None:
    """Tell one linked caller the incident is fixed: the SMS written, else the notice call
    booked (None: they were told, or are being told, already)."""
    if _called(session, ticket):
        return None
    if by_text(session, ticket, texting):
        return outbox.publish(session, Topic.INCIDENT_NOTICE, ticket=ticket, now=now,
                              key=text_key(ticket), incident_id=incident_id)
    if _texted(session, ticket):
        return None
    return book_call(session, ticket, now)


def book_call(session: Session, ticket: Ticket, now: datetime) -> OutboundCall | None:
    """One notice call per linked caller: never a second, however often this is asked."""
    if _called(session, ticket):
        return None
    return bookings.schedule_outbound(session, ticket, OutboundKind.INCIDENT_NOTICE, due=now,
                                      now=now, reason="incident resolved")


def texted(session: Session, ticket: Ticket, now: datetime) -> OutboundCall | None:
    """The caller's notice SMS went: their closure survey follows, once."""
    record_event(session, "incident_notice", "Told by SMS that the major incident is fixed",
                 ticket_id=ticket.id, at=now)
    return survey_after(session, ticket, now)


def not_texted(session: Session, ticket: Ticket, now: datetime,
               why: str) -> OutboundCall | None:
    """The caller's notice SMS could not go (``why``): a notice call tells them instead."""
    record_event(session, "incident_notice", f"No SMS about the fixed incident ({why}): "
                 "a notice call instead", ticket_id=ticket.id, at=now)
    return book_call(session, ticket, now)


def survey_after(session: Session, ticket: Ticket, now: datetime) -> OutboundCall | None:
    """The caller was told (or given up on): the closure survey follows,
    ``CLOSURE_AFTER_NOTICE`` later, once."""
    if bookings.pending_outbound(session, ticket, (OutboundKind.CLOSURE,),
                                 tuple(OutboundStatus)):
        return None
    return bookings.schedule_outbound(session, ticket, OutboundKind.CLOSURE,
                                      due=now + CLOSURE_AFTER_NOTICE, now=now,
                                      reason="resolved")


def _called(session: Session, ticket: Ticket) -> bool:
    return bool(bookings.pending_outbound(session, ticket, (OutboundKind.INCIDENT_NOTICE,),
                                          tuple(OutboundStatus)))


def _texted(session: Session, ticket: Ticket) -> bool:
    return session.scalar(select(OutboxEvent.id).where(
        OutboxEvent.key == text_key(ticket))) is not None
