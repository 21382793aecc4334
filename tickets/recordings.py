"""Recordings on a ticket's timeline (voicemails, comments recorded on a call), as an analyst
hears them: each by its timeline line, with its length and who left it. Twilio keeps the media;
the timeline keeps the URL Twilio gave, and only its Recording SID ever leaves this module (the
console fetches the media by it with the account's credentials, never the browser)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from .models import Call, Ticket, TicketEvent

# The timeline lines that carry a recording, and what the console calls them.
KINDS = {"voicemail": "Voicemail", "recording": "Recorded comment"}
RECORDING_SID = re.compile(r"/Recordings/(RE[0-9a-fA-F]{32})(?:\.\w+)?/?$")


@dataclass(frozen=True)
class Recording:
    """A recording an analyst may play."""

    event_id: int
    kind: str  # voicemail, recording
    at: datetime
    seconds: int | None
    left_by: str
    sid: str  # Twilio's RE...

    @property
    def label(self) -> str:
        return KINDS.get(self.kind, "Recording")


def recording_sid(url: Any) -> str | None:
    """The Recording SID at the end of a recording URL Twilio gave (None: not one)."""
    match = RECORDING_SID.search(url) if isinstance(url, str) else None
    return match.group(1) if match else None


def _seconds(data: dict[str, Any]) -> int | None:
    value = data.get("seconds", data.get("duration"))
    try:
        return max(int(value), 0) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _left_by(session: Session, ticket: Ticket, event: TicketEvent) -> str:
    """Who left it: the caller's name as the ticket knows it, and the number they called from
    (or were called on)."""
    call = session.get(Call, event.call_id) if event.call_id else None
    number = (call.to_number if call.direction != "inbound" else call.from_number) \
        if call is not None else None
    number = number or ticket.callback_number
    name = ticket.caller_name or (ticket.customer.name if ticket.customer else None)
    if name and number:
        return f"{name} ({number})"
    return name or number or "an unknown caller"


def _recording(session: Session, ticket: Ticket, event: TicketEvent) -> Recording | None:
    data = event.data or {}
    sid = recording_sid(data.get("recording_url") or data.get("url"))
    if event.kind not in KINDS or sid is None:
        return None
    return Recording(event.id, event.kind, event.at, _seconds(data),
                     _left_by(session, ticket, event), sid)


def of_ticket(session: Session, ticket: Ticket) -> list[Recording]:
    """The ticket's recordings, oldest first."""
    events = session.scalars(select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind.in_(list(KINDS)))
        .order_by(TicketEvent.id))
    return [r for r in (_recording(session, ticket, e) for e in events) if r is not None]


def find(session: Session, ticket: Ticket, event_id: int) -> Recording | None:
    """One recording of the ticket, by its timeline line (None: no such recording there)."""
    event = session.get(TicketEvent, event_id)
    if event is None or event.ticket_id != ticket.id:
        return None
    return _recording(session, ticket, event)


def with_voicemail() -> ColumnElement[bool]:
    """A ticket on whose timeline a caller left a voicemail (the ticket list's filter)."""
    return Ticket.id.in_(select(TicketEvent.ticket_id).where(
        TicketEvent.kind == "voicemail", TicketEvent.ticket_id.is_not(None)))
