"""The help-desk domain's rows: customers, tickets and their timeline, calls, agents, queue
entries, outbound calls, surveys, script versions. (Console logins live in ``accounts``.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, utcnow
from .statuses import (
    OPEN_STATUSES,
    AgentStatus,
    CallStatus,
    OutboundStatus,
    QueueKind,
    QueueStatus,
    TicketStatus,
)

TICKET_NUMBER_BASE = 10000


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(200))
    account_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    language: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(60))  # IANA name, for outbound calls
    supported: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )
    equipment: Mapped[list[Equipment]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )


class CustomerPhone(Base):
    """A phone number on file for a customer, in E.164."""

    __tablename__ = "customer_phone"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer: Mapped[Customer] = relationship(back_populates="phones")


class Equipment(Base):
    __tablename__ = "equipment"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    model: Mapped[str] = mapped_column(String(200))
    asset_tag: Mapped[str | None] = mapped_column(String(60), index=True)
    licence_number: Mapped[str | None] = mapped_column(String(60))
    configuration: Mapped[str | None] = mapped_column(Text)
    customer: Mapped[Customer] = relationship(back_populates="equipment")


class Ticket(Base):
    """One discrete problem. Caller details are copied so the ticket stands on its own."""

    __tablename__ = "ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id"))
    status: Mapped[str] = mapped_column(String(20), default=TicketStatus.OPEN)
    priority: Mapped[str] = mapped_column(String(40))
    tier: Mapped[int] = mapped_column(default=1)
    category: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(16))

    caller_name: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(200))
    callback_number: Mapped[str | None] = mapped_column(String(20))
    account_number: Mapped[str | None] = mapped_column(String(40))
    account_verified: Mapped[bool] = mapped_column(default=False)

    equipment: Mapped[str | None] = mapped_column(String(200))
    licence_number: Mapped[str | None] = mapped_column(String(60))
    configuration: Mapped[str | None] = mapped_column(Text)
    problem: Mapped[str | None] = mapped_column(Text)
    problem_confidence: Mapped[float | None]
    steps_before: Mapped[str | None] = mapped_column(Text)
    steps_before_confidence: Mapped[float | None]
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    incomplete: Mapped[bool] = mapped_column(default=False)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    response_due: Mapped[datetime | None]
    resolution_due: Mapped[datetime | None]
    update_minutes: Mapped[int | None]
    resolved_at: Mapped[datetime | None]
    # SLA bookkeeping: first answer by an analyst, first breach of each target (kept for
    # reports), and when the SLA sweep next looks at the ticket.
    responded_at: Mapped[datetime | None]
    response_breached_at: Mapped[datetime | None]
    resolution_breached_at: Mapped[datetime | None]
    escalate_at: Mapped[datetime | None] = mapped_column(index=True)
    escalation_pending: Mapped[str | None] = mapped_column(String(200))
    # Since when the SLA clock is paused: the ticket waits on the customer (on hold).
    sla_paused_at: Mapped[datetime | None]
    # Status calls: when the last one was booked; the caller can stop them (press 9).
    last_status_call_at: Mapped[datetime | None]
    status_calls_stopped: Mapped[bool] = mapped_column(default=False)
    reopened_count: Mapped[int] = mapped_column(default=0)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))

    customer: Mapped[Customer | None] = relationship()
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id"
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def assign_number(self) -> None:
        """Give the ticket its public number, made from its id (flush it first)."""
        self.number = str(TICKET_NUMBER_BASE + self.id)


class TicketEvent(Base):
    """A line on the timeline: an answer, a re-prompt, a call, a note, a status change.

    Events of a call are written as they happen; those said before the problem's ticket exists
    have no ticket yet and are claimed by the ticket when it opens.
    """

    __tablename__ = "ticket_event"
    __table_args__ = (Index("ix_ticket_event_call_pending", "call_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    step: Mapped[str | None] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor: Mapped[str] = mapped_column(String(80), default="ivr")
    public: Mapped[bool] = mapped_column(default=False)

    ticket: Mapped[Ticket | None] = relationship(back_populates="events")


class Call(Base):
    """A phone call and the interpreter state that carries it from one webhook to the next."""

    __tablename__ = "call"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[str] = mapped_column(String(20), default="inbound")
    # E.164, or as Twilio gave it: a SIP address (sip:ann@pbx.example.com), a client's name
    from_number: Mapped[str | None] = mapped_column(String(255))
    to_number: Mapped[str | None] = mapped_column(String(255))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    language: Mapped[str | None] = mapped_column(String(16))
    script_version_id: Mapped[int | None] = mapped_column(ForeignKey("script_version.id"))
    script_digest: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[dict[str, Any] | None]
    turn: Mapped[int] = mapped_column(default=0)
    last_response: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=CallStatus.IN_PROGRESS)
    status_seq: Mapped[int] = mapped_column(default=-1)
    duration: Mapped[int | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    tickets: Mapped[list[Ticket]] = relationship(
        primaryjoin="Ticket.call_id == Call.id", order_by="Ticket.id", viewonly=True
    )


class ScriptVersion(Base):
    """A published version of a call script or hold policy. Never edited, only added."""

    __tablename__ = "script_version"
    __table_args__ = (
        Index("uq_script_version_kind_name_version", "kind", "name", "version", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="script", server_default="script")
    name: Mapped[str] = mapped_column(String(80))
    version: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(120), default="system")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)



class Agent(Base):
    """An analyst who takes routed calls, by phone number or Twilio Client identity."""

    __tablename__ = "agent"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    client_identity: Mapped[str | None] = mapped_column(String(120), unique=True)
    tier: Mapped[int] = mapped_column(default=1)
    skills: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default=AgentStatus.OFFLINE)
    status_since: Mapped[datetime] = mapped_column(default=utcnow)
    idle_since: Mapped[datetime] = mapped_column(default=utcnow)
    no_answer_count: Mapped[int] = mapped_column(default=0)
    call_sid: Mapped[str | None] = mapped_column(String(64))
    # Logging in by phone takes the analyst's PIN (an argon2 hash; set by an admin or the CLI),
    # not caller ID alone. Wrong PINs in a row lock phone login until the PIN is set again;
    # the last wrong attempt's (CallSid, attempt) makes a repeated webhook count once.
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    pin_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    pin_failed_attempt: Mapped[str | None] = mapped_column(String(100))


class QueueEntry(Base):
    """A caller's (or a callback request's) place in a tier's queue, mirroring Twilio's queue."""

    __tablename__ = "queue_entry"
    __table_args__ = (
        Index("ix_queue_entry_status_tier", "status", "tier"),
        # The line in order (ivr.queues.lineup): place in line and routing without a scan
        # (tier and category too: the place is counted from the index alone).
        Index("ix_queue_entry_line", "status", "consent", "rank", "joined_at", "id", "tier",
              "category"),
        # The latest handle times (the wait estimate).
        Index("ix_queue_entry_ended_at", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))
    caller_number: Mapped[str | None] = mapped_column(String(20), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=QueueKind.CALLER)
    status: Mapped[str] = mapped_column(String(20), default=QueueStatus.WAITING)
    tier: Mapped[int] = mapped_column(default=1)
    rank: Mapped[int] = mapped_column(default=3)
    priority: Mapped[str | None] = mapped_column(String(40))
    category: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(16))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    consent: Mapped[bool] = mapped_column(default=False)
    announced_wait: Mapped[float | None]
    announced_at: Mapped[datetime | None]
    last_message_at: Mapped[datetime | None]
    last_check_back_at: Mapped[datetime | None]
    last_position_told: Mapped[int | None]
    late_apologies: Mapped[int] = mapped_column(default=0)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"))
    bridging_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(40))
    position_at_end: Mapped[int | None]
    actual_wait: Mapped[float | None]
    handled_seconds: Mapped[int | None]
    queue_sid: Mapped[str | None] = mapped_column(String(64))
    intent: Mapped[str | None] = mapped_column(String(20))  # why the caller left the queue
    callback_number: Mapped[str | None] = mapped_column(String(20))


class OutboundCall(Base):
    """A call the line has promised to place. Written before the caller is told about it."""

    __tablename__ = "outbound_call"
    __table_args__ = (Index("ix_outbound_call_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # an OutboundKind
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))
    queue_entry_id: Mapped[int | None] = mapped_column(ForeignKey("queue_entry.id"))
    to_number: Mapped[str] = mapped_column(String(20))
    language: Mapped[str | None] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    window_end: Mapped[datetime | None]
    place_joined_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default=OutboundStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)  # calls dialled
    rest_failures: Mapped[int] = mapped_column(default=0)  # Twilio API errors in a row
    max_attempts: Mapped[int] = mapped_column(default=3)
    retry_delay_seconds: Mapped[int] = mapped_column(default=600)
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_expires: Mapped[datetime | None]
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    result: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str | None] = mapped_column(String(40))  # cadence, sla_breach, agent, ...
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"))  # reserved analyst
    answered_by: Mapped[str | None] = mapped_column(String(40))
    placed_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


class SurveyResponse(Base):
    """The callee's answers to a closure verification and satisfaction survey."""

    __tablename__ = "survey_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    outbound_call_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_call.id"),
                                                         unique=True)
    solved: Mapped[bool | None]
    score: Mapped[int | None]
    comment_url: Mapped[str | None] = mapped_column(String(400))
    comment_seconds: Mapped[int | None]
    at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookReply(Base):
    """The TwiML a Twilio webhook answered, kept so a repeat of the same request (Twilio's
    retries, a double post, a late duplicate) gets the same answer and applies nothing again.

    ``request`` names the request without the caller's data: a digest of (CallSid, the URL
    Twilio fetched: path and query, which name the step or attempt) and, for webhooks a call
    fetches more than once at one URL, of Twilio's parameters too."""

    __tablename__ = "webhook_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    request: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
