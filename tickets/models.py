"""The help-desk domain's rows: customers, tickets and their timeline, calls, incidents, surveys,
script versions, stored webhook replies. The line's rows (analysts, queue entries, conferences,
outbound calls) live in ``line_models`` and are re-exported here; console logins live in
``accounts``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, utcnow
from .statuses import (
    OPEN_STATUSES,
    CallStatus,
    IncidentStatus,
    TicketStatus,
)

TICKET_NUMBER_BASE = 10000
MAX_TIER = 3  # analysts' tiers 1..3; escalating beyond the last needs an approver


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
    # Indexed: a known caller's open tickets are counted, a call's tickets read, on every call.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id"), index=True)
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
        self.number = self.number_for(self.id)

    @staticmethod
    def number_for(ticket_id: int) -> str:
        """The public number of the ticket with this id."""
        return str(TICKET_NUMBER_BASE + ticket_id)


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


class Incident(Base):
    """A major incident: one announcement to callers instead of a hundred intakes.

    Callers who say they call about it are linked to its parent ticket (a child ticket each,
    ``IncidentCaller``) and told when it is fixed. ``tickets.incidents`` changes it.
    """

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default=IncidentStatus.ACTIVE)
    category: Mapped[str] = mapped_column(String(40))  # a category of the intake's services
    service: Mapped[str | None] = mapped_column(String(200))  # e.g. "e-mail"
    # language -> what callers hear (placeholders {service}, {since}, {until}); a language
    # missing here is said from the template.
    messages: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[datetime]
    expected_at: Mapped[datetime | None]  # when it is expected to be fixed
    declared_by: Mapped[str] = mapped_column(String(80))
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)
    parent_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(80))
    resolution_note: Mapped[str | None] = mapped_column(Text)

    parent_ticket: Mapped[Ticket | None] = relationship(foreign_keys=[parent_ticket_id])

    @property
    def is_active(self) -> bool:
        return self.status == IncidentStatus.ACTIVE


class IncidentCaller(Base):
    """A caller linked to a major incident (the short path): their own child ticket of the
    incident's parent, resolved with it, and one notice call when it is fixed."""

    __tablename__ = "incident_caller"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), unique=True)
    number: Mapped[str | None] = mapped_column(String(20))  # E.164, the number to tell
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id"))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship()


class IncidentDismissal(Base):
    """A team lead dismissed a "possible incident" suggestion: its tickets are not suggested
    again (newer calls in the category may be)."""

    __tablename__ = "incident_dismissal"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[str] = mapped_column(String(80))
    last_ticket_id: Mapped[int]  # the newest ticket of the suggestion dismissed


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


from .line_models import (  # noqa: E402  (re-exported: one import for every row)
    Agent,
    Conference,
    OutboundCall,
    Participant,
    QueueEntry,
)

__all__ = ["TICKET_NUMBER_BASE", "Agent", "Call", "Conference", "Customer", "CustomerPhone",
           "Equipment", "Incident", "IncidentCaller", "IncidentDismissal", "OutboundCall",
           "Participant", "QueueEntry", "ScriptVersion", "SurveyResponse", "Ticket",
           "TicketEvent", "WebhookReply"]
