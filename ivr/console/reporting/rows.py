"""The plain rows the reports are figured from (no database): a finished queue visit, a
callback, a ticket, a survey answer, a major incident."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class QueueVisit:
    """A caller's finished visit to a tier's queue."""

    joined_at: datetime
    tier: int
    outcome: str  # answered, abandoned, callback, voicemail
    wait: float | None  # seconds from joining to bridged (answered) or hanging up (abandoned)
    agent: str | None = None
    announced_wait: float | None = None  # the last estimate told, seconds
    announced_at: datetime | None = None

    @property
    def at(self) -> datetime:
        return self.joined_at


@dataclass(frozen=True)
class CallbackRow:
    due_at: datetime
    tier: int | None
    status: str
    placed_at: datetime | None
    window_end: datetime | None = None
    agent: str | None = None

    @property
    def at(self) -> datetime:
        return self.due_at


@dataclass(frozen=True)
class TicketRow:
    created_at: datetime
    priority: str
    tier: int
    status: str
    agent: str | None = None
    response_due: datetime | None = None
    responded_at: datetime | None = None
    response_breached_at: datetime | None = None
    resolution_due: datetime | None = None
    resolved_at: datetime | None = None
    resolution_breached_at: datetime | None = None
    opened_by_call: bool = True
    escalated: bool = False
    reopened: bool = False
    other_contacts: int = 0  # contacts about the ticket before it was resolved, besides the first

    @property
    def at(self) -> datetime:
        return self.created_at


@dataclass(frozen=True)
class SurveyRow:
    at: datetime
    score: int
    tier: int
    agent: str | None = None
    solved: bool | None = None



@dataclass(frozen=True)
class IncidentRow:
    """A major incident declared in the range, and what its short path did."""

    declared_at: datetime
    incident: int
    service: str
    short_path_calls: int  # calls that took its short path (a caller calling again counts)
    linked_callers: int
    resolved_at: datetime | None = None
    notified_after: tuple[float, ...] = ()  # per caller told: seconds from resolved to told

    @property
    def at(self) -> datetime:
        return self.declared_at


@dataclass(frozen=True)
class KnownIssueRow:
    """A call a known issue's self-service answer ended."""

    at: datetime
    answer: str
