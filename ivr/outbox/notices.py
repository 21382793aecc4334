"""The SMS that tells a caller a major incident is fixed (``tickets.incident_notices``): sent
only within their calling window (the policy's quiet hours in their zone, as for the notice
call), its retries too; once it went, their closure survey follows; if it cannot go (texts off,
the number refused or opted out, the tries ran out, Twilio could not deliver it) a notice call
tells them instead."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tickets import incident_notices, versions
from tickets.models import Customer, Ticket
from tickets.outbox import MessageStatus, OutboxEvent, OutboxMessage, Topic

from ..outbound import rules


def send_at(session: Session, ticket: Ticket, number: str, at: datetime) -> datetime:
    """The first moment at or after ``at`` within the caller's calling window."""
    policy = versions.live_policy(session)
    window = policy.outbound.quiet_hours
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    zones = rules.calling_zones(at, rules.callee_zones(
        number, customer.timezone if customer else None,
        policy.hours.timezone if policy.hours else "UTC"), window)
    return rules.next_allowed_time(at, zones, window) or at


def unsent(session: Session, event: OutboxEvent, now: datetime, why: str) -> None:
    """No SMS is made for the event (texts are off): the caller is called instead."""
    ticket = session.get(Ticket, event.ticket_id) if event.ticket_id else None
    if event.topic == Topic.INCIDENT_NOTICE and ticket is not None:
        incident_notices.not_texted(session, ticket, now, why)


def settled(session: Session, message: OutboxMessage, now: datetime) -> None:
    """What a notice SMS's new status means for its caller (the deliverer and the fan-out
    call this after each change): pending, it waits for their window; delivered, the survey
    follows; failed or skipped, a notice call instead."""
    if message.channel != "sms" or message.topic != Topic.INCIDENT_NOTICE:
        return
    ticket = session.get(Ticket, message.ticket_id) if message.ticket_id else None
    if ticket is None:
        return
    if message.status == MessageStatus.PENDING:
        message.due_at = send_at(session, ticket, message.target, message.due_at)
    elif message.status == MessageStatus.DELIVERED:
        incident_notices.texted(session, ticket, now)
    elif message.status in (MessageStatus.FAILED, MessageStatus.SKIPPED):
        incident_notices.not_texted(session, ticket, now, message.last_error or "not sent")


def undelivered(session: Session, message: OutboxMessage, status: str, now: datetime) -> None:
    """Twilio's status callback: a notice SMS Twilio took was not delivered after all (the
    handset unreachable, the carrier refused it): a notice call tells the caller instead."""
    if message.topic != Topic.INCIDENT_NOTICE or status not in ("failed", "undelivered"):
        return
    ticket = session.get(Ticket, message.ticket_id) if message.ticket_id else None
    if ticket is not None:
        incident_notices.not_texted(session, ticket, now, f"Twilio reported it {status}")
