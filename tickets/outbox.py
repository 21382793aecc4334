"""The outbox: everything that leaves the building (a signed webhook, an SMS, a ticket system's
call) starts as a row written in the same transaction as the change that causes it. Nothing here
talks to the outside: the scheduler delivers the rows (``ivr.outbox``), so no webhook of a live
call ever waits on another system, and a change that is rolled back sends nothing.

Two rows, two steps:

- ``OutboxEvent``: what happened (``ticket.opened``, ``callback.booked``...), written by the
  domain (``publish``). The topic and a payload free of personal data (numbers, names, problem
  text stay in the database; the payload names the ticket and the row it is about).
- ``OutboxMessage``: one delivery of an event to one target (a configured webhook URL, the
  caller's mobile for an SMS). The scheduler fans each event out into its messages, then
  delivers each message under a lease with retries and backoff, exactly once per row; a target
  that keeps failing only delays its own rows.

This is the one module that changes an ``OutboxMessage``'s status:

    pending -> sending (a deliverer's lease) -> delivered
                                              -> pending again (a retry, later) | failed
    skipped: never sent (no mobile number, the caller opted out of SMS, ...)

Functions take a session and plain values and leave committing to the caller.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, bindparam, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base, utcnow
from .models import Ticket
from .timeline import record_event


class Topic(StrEnum):
    """The events a webhook may subscribe to (the Standard Webhooks ``type``)."""

    TICKET_OPENED = "ticket.opened"
    TICKET_ESCALATED = "ticket.escalated"
    TICKET_RESOLVED = "ticket.resolved"
    CALLBACK_BOOKED = "callback.booked"
    CALLBACK_MISSED = "callback.missed"
    VOICEMAIL_LEFT = "voicemail.left"
    SURVEY_ANSWERED = "survey.answered"
    CALLER_ABANDONED = "caller.abandoned"
    # Not offered to webhooks: the caller's intake is over (the SMS with their ticket numbers);
    # a major incident a caller was linked to is fixed (the SMS that tells them); what the
    # ticket systems' connectors follow (a note, a status change).
    INTAKE_COMPLETED = "intake.completed"
    INCIDENT_NOTICE = "incident.notice"
    TICKET_NOTED = "ticket.noted"
    TICKET_STATUS = "ticket.status_changed"
    # A call to the line rang, was answered by an analyst, ended (Zammad's CTI caller log).
    CALL_STARTED = "call.started"
    CALL_ANSWERED = "call.answered"
    CALL_ENDED = "call.ended"


INTERNAL_TOPICS = (Topic.INTAKE_COMPLETED, Topic.INCIDENT_NOTICE, Topic.TICKET_NOTED,
                   Topic.TICKET_STATUS, Topic.CALL_STARTED, Topic.CALL_ANSWERED,
                   Topic.CALL_ENDED)
WEBHOOK_TOPICS = tuple(t for t in Topic if t not in INTERNAL_TOPICS)


class MessageStatus(StrEnum):
    PENDING = "pending"  # waiting for its turn (or its next try)
    SENDING = "sending"  # leased by a deliverer
    DELIVERED = "delivered"  # the target took it (2xx; Twilio queued the SMS)
    FAILED = "failed"  # refused for good, or the tries ran out
    SKIPPED = "skipped"  # never sent: the rules say no (not a mobile, opted out...)


class OutboxEvent(Base):
    """Something happened that the outside may hear of (fanned out by the scheduler)."""

    __tablename__ = "outbox_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # One event per key (an intake's SMS once per call, however its end is noticed).
    key: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fanned_out_at: Mapped[datetime | None] = mapped_column(index=True)


class OutboxMessage(Base):
    """One delivery of an event to one target."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_event.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    topic: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))  # webhook, sms, connector
    target: Mapped[str] = mapped_column(String(80))  # the webhook's name; the SMS's number
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)  # what is sent, every try
    status: Mapped[str] = mapped_column(String(20), default=MessageStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_expires: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]  # when the current try left (recovery looks from there)
    last_error: Mapped[str | None] = mapped_column(Text)
    response_code: Mapped[int | None]
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)  # Twilio's SM...
    provider_status: Mapped[str | None] = mapped_column(String(20))  # Twilio's status callback
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SmsOptOut(Base):
    """A number that texted STOP: no SMS goes to it until it texts START."""

    __tablename__ = "sms_opt_out"

    number: Mapped[str] = mapped_column(String(20), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    keyword: Mapped[str] = mapped_column(String(20))


# ---- the domain's side: publishing ----------------------------------------------------------

def ticket_data(ticket: Ticket | Row[Any]) -> dict[str, Any]:
    """What an event says of a ticket: no caller's name, number or problem text (a row read
    in Core with these columns will do)."""
    return {"id": ticket.id, "number": ticket.number, "priority": ticket.priority,
            "tier": ticket.tier, "category": ticket.category, "status": ticket.status,
            "language": ticket.language}


_KEY_TAKEN = select(OutboxEvent.id).where(OutboxEvent.key == bindparam("key"))  # built once


def publish(session: Session, topic: Topic, *, now: datetime | None = None,
            ticket: Ticket | None = None, key: str | None = None,
            **data: Any) -> OutboxEvent | None:
    """Write an event in the caller's transaction (None: one with this key exists already)."""
    if key is not None and session.scalar(_KEY_TAKEN, {"key": key}):
        return None
    if ticket is not None:
        data = {"ticket": ticket_data(ticket), **data}
    event = OutboxEvent(topic=topic, ticket_id=ticket.id if ticket else None, data=data,
                        key=key, created_at=now or utcnow())
    session.add(event)
    return event


# Built once: an event's row in one INSERT; one with a key is skipped if the key is taken
# (ON CONFLICT DO NOTHING: no SELECT before it, and a simultaneous copy waits, then skips),
# built on first use by each database (the line loads no dialect it does not use).
_ADD_EVENT = insert(OutboxEvent)
_ADD_EVENT_ONCE: dict[str, Any] = {}


def _add_event_once(dialect: str) -> Any:
    """The INSERT of an event with a key for this database (None: it has no ON CONFLICT)."""
    once = _ADD_EVENT_ONCE.get(dialect)
    if once is None and dialect in ("postgresql", "sqlite"):
        if dialect == "postgresql":
            from sqlalchemy.dialects import postgresql
            once = postgresql.insert(OutboxEvent).on_conflict_do_nothing(index_elements=["key"])
        else:
            from sqlalchemy.dialects import sqlite
            once = sqlite.insert(OutboxEvent).on_conflict_do_nothing(index_elements=["key"])
        # the id RETURNED says an event was added (rowcount does not, on both)
        once = _ADD_EVENT_ONCE[dialect] = once.returning(OutboxEvent.id)
    return once


def add_event(session: Session, topic: Topic, *, now: datetime, key: str | None = None,
              ticket: dict[str, Any] | None = None, **data: Any) -> bool:
    """``publish`` in one Core INSERT, for a caller that has no use for the row after
    (``ticket``: the ticket's ``ticket_data``). False: an event with this key exists already.
    Events the session holds unwritten are written first: the transaction's order stays."""
    if any(isinstance(obj, OutboxEvent) for obj in session.new):
        session.flush()
    values = {"topic": topic, "ticket_id": ticket["id"] if ticket else None,
              "data": {"ticket": ticket, **data} if ticket else data, "key": key,
              "created_at": now}
    conn = session.connection()
    if key is None:
        conn.execute(_ADD_EVENT, values)
        return True
    once = _add_event_once(conn.dialect.name)
    if once is not None:
        return conn.execute(once, values).first() is not None
    if session.scalar(_KEY_TAKEN, {"key": key}):  # another database: look first
        return False
    conn.execute(_ADD_EVENT, values)
    return True


# ---- the deliverer's side -------------------------------------------------------------------

def add_message(session: Session, event: OutboxEvent, channel: str, target: str,
                payload: dict[str, Any], now: datetime, max_attempts: int,
                skipped: str | None = None) -> OutboxMessage:
    """One delivery of ``event`` to ``target`` (``skipped``: why it will never be sent)."""
    message = OutboxMessage(event_id=event.id, ticket_id=event.ticket_id, topic=event.topic,
                            channel=channel, target=target, payload=payload, due_at=now,
                            max_attempts=max_attempts, created_at=now)
    if skipped:
        message.status = MessageStatus.SKIPPED
        message.last_error = skipped
    session.add(message)
    return message


def lease(message: OutboxMessage, owner: str, now: datetime, until: datetime) -> None:
    """A deliverer claims the row to send it (or to find out whether a dead one did)."""
    expired = message.status == MessageStatus.SENDING
    message.status = MessageStatus.SENDING
    message.lease_owner = owner
    message.lease_expires = until
    if not expired:
        message.attempts += 1
        message.sent_at = now


def delivered(session: Session, message: OutboxMessage, now: datetime,
              response_code: int | None = None, external_id: str | None = None) -> None:
    """The target took the message."""
    message.status = MessageStatus.DELIVERED
    message.delivered_at = now
    message.response_code = response_code
    message.last_error = None
    if external_id:
        message.external_id = external_id
    message.lease_owner = message.lease_expires = None


def failed(session: Session, message: OutboxMessage, now: datetime, error: str,
           retry_at: datetime | None, response_code: int | None = None) -> None:
    """A try failed: another at ``retry_at``, or (None) given up. On the ticket's timeline."""
    message.lease_owner = message.lease_expires = None
    message.last_error = error
    message.response_code = response_code
    what = f"{describe(message)} (try {message.attempts} of {message.max_attempts})"
    if retry_at is not None:
        message.status = MessageStatus.PENDING
        message.due_at = retry_at
        text = f"{what} failed: {error}; next try at {retry_at:%H:%M:%S} UTC"
    else:
        message.status = MessageStatus.FAILED
        text = f"{what} failed: {error}; given up"
    if message.ticket_id:
        record_event(session, "outbox_failed", text, ticket_id=message.ticket_id, at=now,
                     data={"outbox_message_id": message.id, "given_up": retry_at is None})


def retry(message: OutboxMessage, now: datetime) -> bool:
    """An admin sends a failed message again (its tries start over); False if it is not
    failed."""
    if message.status != MessageStatus.FAILED:
        return False
    message.status = MessageStatus.PENDING
    message.attempts = 0
    message.due_at = now
    return True


def describe(message: OutboxMessage) -> str:
    """The message as the timeline and the console name it."""
    if message.channel == "sms":
        return f"SMS ({message.topic})"
    if message.channel == "connector":
        return f"Ticket system {message.target!r} ({message.topic})"
    return f"Webhook {message.target!r} ({message.topic})"


# Twilio's message statuses in the order they come (callbacks may arrive out of order).
PROVIDER_ORDER = {"accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3,
                  "delivered": 4, "read": 5, "undelivered": 4, "failed": 4, "canceled": 4}


def provider_status(session: Session, message: OutboxMessage, status: str,
                    error_code: str | None, now: datetime, sid: str | None = None) -> None:
    """Twilio's status callback of an SMS: the latest status kept (a late, earlier one is
    ignored); a failure on the timeline. A text a failed try did get out is delivered."""
    if sid and message.external_id is None:
        message.external_id = sid  # the try's answer was lost; Twilio has it
        if message.status != MessageStatus.SENDING:
            delivered(session, message, now)
    current = PROVIDER_ORDER.get(message.provider_status or "", -1)
    if message.provider_status == status or PROVIDER_ORDER.get(status, 0) < current:
        return
    message.provider_status = status
    if status in ("failed", "undelivered") and message.ticket_id:
        why = f" (error {error_code})" if error_code else ""
        record_event(session, "outbox_failed", f"{describe(message)} was {status}{why}",
                     ticket_id=message.ticket_id, at=now,
                     data={"outbox_message_id": message.id, "provider_status": status})


# ---- SMS opt-out ----------------------------------------------------------------------------

def opt_out(session: Session, number: str, keyword: str, now: datetime) -> None:
    """The number texted STOP (or the like): no SMS goes to it from now on, those waiting
    included."""
    row = session.get(SmsOptOut, number)
    if row is None:
        session.add(SmsOptOut(number=number, keyword=keyword[:20], at=now))
    waiting = session.scalars(select(OutboxMessage).where(
        OutboxMessage.channel == "sms", OutboxMessage.target == number,
        OutboxMessage.status == MessageStatus.PENDING)).all()
    for message in waiting:
        message.status = MessageStatus.SKIPPED
        message.last_error = "the number opted out of texts (STOP)"


def opt_in(session: Session, number: str) -> None:
    """The number texted START: SMS may go to it again."""
    row = session.get(SmsOptOut, number)
    if row is not None:
        session.delete(row)


def opted_out(session: Session, number: str) -> bool:
    return session.get(SmsOptOut, number) is not None
