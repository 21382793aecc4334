"""The statuses each kind of row moves through, and the kinds of queue entries and outbound
calls. StrEnums: the columns keep plain strings (no migration), and a member equals its string.

Which module may change a status: a ticket's, ``tickets.workflow``; an outbound call's,
``tickets.outbound``; a queue entry's, ``ivr.queues.service``; an agent's, ``ivr.queues.agents``;
a call's (Twilio's status callbacks), ``ivr.voice.calls``; an incident's, ``tickets.incidents``.
"""

from __future__ import annotations

from enum import StrEnum


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.ON_HOLD)
STATUSES = tuple(TicketStatus)


class AgentStatus(StrEnum):
    AVAILABLE = "available"
    ON_BREAK = "on_break"
    OFFLINE = "offline"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"


AGENT_STATUSES = tuple(AgentStatus)


class QueueStatus(StrEnum):
    """Where a caller's queue entry stands."""

    WAITING = "waiting"  # in Twilio's queue (holding once ``consent`` is given)
    BRIDGING = "bridging"  # claimed for an analyst, being put through
    DONE = "done"  # the analyst took the call
    CALLBACK = "callback"  # left for a callback that keeps the place in line
    VOICEMAIL = "voicemail"  # left a message instead of holding
    ABANDONED = "abandoned"  # hung up while waiting
    RESUMED = "resumed"  # abandoned, then the caller rang back and took the place again
    AFTER_HOURS = "after_hours"  # arrived outside opening hours
    NOBODY = "nobody"  # arrived when no analyst was logged in


class QueueKind(StrEnum):
    CALLER = "caller"
    CALLBACK = "callback"


class OutboundStatus(StrEnum):
    PENDING = "pending"  # booked, not yet dialled
    DIALING = "dialing"  # claimed by a dispatcher under a lease
    PLACED = "placed"  # Twilio placed it (CallSid known)
    ANSWERED = "answered"
    DONE = "done"
    FAILED = "failed"
    CANCELED = "canceled"  # called off before it was dialled
    REFUSED = "refused"  # the calling rules forbid the destination


IN_FLIGHT = (OutboundStatus.PENDING, OutboundStatus.DIALING, OutboundStatus.PLACED,
             OutboundStatus.ANSWERED)  # booked, or its call under way
UNDER_WAY = (OutboundStatus.DIALING, OutboundStatus.PLACED, OutboundStatus.ANSWERED)


class OutboundKind(StrEnum):
    CALLBACK = "callback"
    STATUS_UPDATE = "status_update"
    CLOSURE = "closure"  # closure verification and satisfaction survey
    INCIDENT_NOTICE = "incident_notice"  # a major incident the callee was affected by is fixed


OUTBOUND_KINDS = tuple(OutboundKind)


class IncidentStatus(StrEnum):
    """A major incident: announced to callers while active; resolving it tells its callers."""

    ACTIVE = "active"
    RESOLVED = "resolved"


class CallStatus(StrEnum):
    """Twilio's CallStatus values."""

    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    FAILED = "failed"
    NO_ANSWER = "no-answer"
    CANCELED = "canceled"


FINAL_STATUSES = (CallStatus.COMPLETED, CallStatus.BUSY, CallStatus.FAILED,
                  CallStatus.NO_ANSWER, CallStatus.CANCELED)  # a call's outcome, never undone


class ConferenceStatus(StrEnum):
    """A call's conference (the bridge between a caller and analysts)."""

    WAITING = "waiting"  # the caller is in it, no analyst yet (the conference has not started)
    LIVE = "live"  # started: an analyst joined
    ENDED = "ended"


class ParticipantRole(StrEnum):
    CALLER = "caller"
    ANALYST = "analyst"
    SUPERVISOR = "supervisor"


class ParticipantStatus(StrEnum):
    """One leg of a conference, as Twilio's callbacks report it."""

    DIALING = "dialing"  # its call is placed, not yet in the conference
    JOINED = "joined"
    LEFT = "left"  # was in the conference and left it
    MISSED = "missed"  # never joined (no answer, busy, failed, canceled)


class SupervisorMode(StrEnum):
    """How a team lead is on a call: Twilio's Muted, Coaching, or a full participant."""

    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"
