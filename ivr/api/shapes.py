"""What the API answers, as JSON-able dicts: a ticket, a timeline line, a tier's queue (the
shapes the OpenAPI document in openapi.py describes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tickets.models import Incident, OutboundCall, Ticket, TicketEvent
from tickets.phones import mask_phone
from tickets.queries import WaitingCaller
from tickets.statuses import AgentStatus


def iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def ticket_json(ticket: Ticket, agents: dict[int, str]) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "status": ticket.status,
        "priority": ticket.priority,
        "tier": ticket.tier,
        "category": ticket.category,
        "language": ticket.language,
        "caller_name": ticket.caller_name,
        "department": ticket.department,
        "location": ticket.location,
        "callback_number": ticket.callback_number,
        "account_verified": ticket.account_verified,
        "equipment": ticket.equipment,
        "problem": ticket.problem,
        "agent": agents.get(ticket.agent_id) if ticket.agent_id else None,
        "created_at": iso(ticket.created_at),
        "response_due": iso(ticket.response_due),
        "responded_at": iso(ticket.responded_at),
        "resolution_due": iso(ticket.resolution_due),
        "resolved_at": iso(ticket.resolved_at),
        "response_breached": ticket.response_breached_at is not None,
        "resolution_breached": ticket.resolution_breached_at is not None,
        "reopened_count": ticket.reopened_count,
    }


def incident_json(incident: Incident, parent: str | None, linked: int) -> dict[str, Any]:
    return {
        "id": incident.id,
        "status": incident.status,
        "category": incident.category,
        "service": incident.service,
        "messages": dict(incident.messages or {}),
        "started_at": iso(incident.started_at),
        "expected_at": iso(incident.expected_at),
        "declared_by": incident.declared_by,
        "parent_ticket": parent,
        "linked_callers": linked,
        "resolved_at": iso(incident.resolved_at),
        "resolution_note": incident.resolution_note,
    }


def callback_json(outbound: OutboundCall, ticket: Ticket) -> dict[str, Any]:
    """A callback booked about a ticket (the number masked, as in the logs)."""
    return {"id": outbound.id, "ticket": ticket.number, "status": outbound.status,
            "to": mask_phone(outbound.to_number), "due_at": iso(outbound.due_at),
            "place_joined_at": iso(outbound.place_joined_at),
            "result": outbound.result}


def event_json(event: TicketEvent) -> dict[str, Any]:
    return {"id": event.id, "at": iso(event.at), "kind": event.kind, "text": event.text,
            "actor": event.actor, "public": event.public, "data": event.data or {}}


def waiting_json(position: int, caller: WaitingCaller, now: datetime) -> dict[str, Any]:
    return {
        "position": position,
        "ticket": caller.ticket,
        "priority": caller.priority,
        "rank": caller.rank,
        "state": "connecting" if caller.connecting else "waiting",
        "waited_seconds": round(caller.waited(now)),
        "joined_at": iso(caller.joined_at),
        "announced_wait_seconds": (round(caller.announced_wait)
                                   if caller.announced_wait is not None else None),
        "language": caller.language,
        "caller": mask_phone(caller.caller_number),
    }


def tier_json(tier: int, waiting: list[WaitingCaller], staff: dict[tuple[int, str], int],
              callbacks: dict[int, int], now: datetime) -> dict[str, Any]:
    """One tier's queue: who waits there (best first), its analysts, its pending callbacks."""
    callers = [c for c in waiting if c.tier == tier]
    statuses = {status: n for (t, status), n in staff.items() if t == tier}
    return {
        "tier": tier,
        "waiting": [waiting_json(i, c, now) for i, c in enumerate(callers, start=1)],
        "agents_available": statuses.get(AgentStatus.AVAILABLE, 0),
        "agents_logged_in": sum(n for s, n in statuses.items() if s != AgentStatus.OFFLINE),
        "callbacks_pending": callbacks.get(tier, 0),
    }
