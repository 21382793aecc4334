"""The line's rows: analysts, places in the queues, conferences and their legs, and the calls
the line places. (Re-exported by ``tickets.models``, where the rest of the domain's rows live.)"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, utcnow
from .statuses import (
    AgentStatus,
    ConferenceStatus,
    OutboundStatus,
    ParticipantStatus,
    QueueKind,
    QueueStatus,
)


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
    answers_in_browser: Mapped[bool] = mapped_column(default=False, server_default="0")
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
    # Indexed: every hold webhook finds its caller's entry by call, a ticket's visits by ticket.
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
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


class Conference(Base):
    """A caller's Twilio conference with analysts (one per call at a time; a caller sent back
    to a queue and put through again gets a new one). The name is what Twilio knows it by
    until its callbacks give the SID."""

    __tablename__ = "conference"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id"), index=True)
    queue_entry_id: Mapped[int | None] = mapped_column(ForeignKey("queue_entry.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))
    status: Mapped[str] = mapped_column(String(20), default=ConferenceStatus.WAITING)
    last_sequence: Mapped[int] = mapped_column(default=-1)  # of conference-start/-end
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


class Participant(Base):
    """One leg of a conference: the caller, an analyst (whisper first) or a team lead.
    Twilio's callbacks about it apply in order of their SequenceNumber, each once."""

    __tablename__ = "conference_participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id"), index=True)
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # a ParticipantRole
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    mode: Mapped[str | None] = mapped_column(String(20))  # a SupervisorMode
    status: Mapped[str] = mapped_column(String(20), default=ParticipantStatus.DIALING)
    on_hold: Mapped[bool] = mapped_column(default=False)
    muted: Mapped[bool] = mapped_column(default=False)
    leaving: Mapped[bool] = mapped_column(default=False)  # asked to leave (warm hand-over)
    held_at: Mapped[datetime | None]  # put on hold by their analyst (the caller's leg)
    last_sequence: Mapped[int] = mapped_column(default=-1)  # of conference callbacks
    leg_sequence: Mapped[int] = mapped_column(default=-1)  # of its call's status callbacks
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    joined_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]


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
