"""Which connector messages an event makes (run by the fan-out, once per event): for each
configured ticket system, the ticket made there when it opens (the intake summary and the
call's transcript), a note for each timeline entry worth a technician's eyes, the status
when ours changes. A change that came from a system is not sent back to it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tickets.models import Ticket, TicketEvent
from tickets.outbox import OutboxEvent, Topic, add_message

from .settings import AnyConnector

ACTOR = "connector:"  # the actor of a change a ticket system made (inbound webhooks)
Build = Callable[[Session, OutboxEvent, Ticket, AnyConnector], dict[str, Any] | None]


def actor_of(name: str) -> str:
    return f"{ACTOR}{name}"


class ConnectorPlanner:
    """The connector messages of an event."""

    def __init__(self, connectors: tuple[AnyConnector, ...]):
        self.connectors = connectors
        self.builders: dict[str, Build] = {
            Topic.TICKET_OPENED: _create, Topic.TICKET_NOTED: _noted,
            Topic.TICKET_STATUS: _status, Topic.TICKET_RESOLVED: _status,
            Topic.TICKET_ESCALATED: _escalated, Topic.VOICEMAIL_LEFT: _voicemail,
            Topic.CALLBACK_MISSED: _missed, Topic.SURVEY_ANSWERED: _survey,
            Topic.CALLER_ABANDONED: _abandoned}

    def plan(self, session: Session, event: OutboxEvent, now: datetime) -> None:
        build = self.builders.get(event.topic)
        ticket = session.get(Ticket, event.ticket_id) if event.ticket_id else None
        if build is None or ticket is None:
            return
        for connector in self.connectors:
            if event.data.get("actor") == actor_of(connector.name):
                continue  # it came from there
            payload = build(session, event, ticket, connector)
            if payload is not None:
                add_message(session, event, "connector", connector.name, payload, now,
                            connector.max_attempts)


def _create(session: Session, event: OutboxEvent, ticket: Ticket,
            connector: AnyConnector) -> dict[str, Any]:
    mapping = connector.mapping
    first = (ticket.problem or "").strip().splitlines()[0:1]
    title = f"[{ticket.number}] " + (first[0][:80] if first else
                                      (ticket.category or "Help-desk call"))
    return {"op": "create", "ticket": ticket.number, "title": title,
            "body": summary(session, ticket), "category": mapping.category_of(ticket.category),
            "priority": mapping.priority_of(ticket.priority),
            "customer": {"name": ticket.caller_name or (ticket.customer.name if ticket.customer
                                                        else None),
                         "phone": ticket.callback_number}}


def summary(session: Session, ticket: Ticket) -> str:
    """The intake as a technician reads it, then the call's transcript (its timeline)."""
    rows = [("Ticket", f"{ticket.number} ({ticket.priority.replace('_', ' ')}, tier "
                       f"{ticket.tier}, {ticket.category or 'no category'})"),
            ("Caller", ticket.caller_name), ("Department", ticket.department),
            ("Location", ticket.location), ("Callback number", ticket.callback_number),
            ("Account", f"{ticket.account_number} ("
                        f"{'verified' if ticket.account_verified else 'unverified'})"
             if ticket.account_number else None),
            ("Equipment", ticket.equipment), ("Configuration", ticket.configuration),
            ("Problem", ticket.problem), ("Steps already taken", ticket.steps_before),
            ("Language", ticket.language)]
    lines = [f"{name}: {value}" for name, value in rows if value]
    said = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                           .order_by(TicketEvent.id)).all()
    if said:
        lines += ["", "Transcript:"] + [f"{e.at:%H:%M:%S} {e.text}" for e in said]
    return "\n".join(lines)


def _noted(session: Session, event: OutboxEvent, ticket: Ticket,
           connector: AnyConnector) -> dict[str, Any] | None:
    line = session.get(TicketEvent, event.data.get("timeline_id"))
    if line is None:
        return None
    who = event.data.get("actor") or "ivr"
    return {"op": "note", "text": f"Note by {who}: {line.text}",
            "public": bool(event.data.get("public"))}


def _status(session: Session, event: OutboxEvent, ticket: Ticket,
            connector: AnyConnector) -> dict[str, Any] | None:
    status = event.data["ticket"]["status"]
    value = connector.mapping.status_out.get(status)
    if value is None:
        return None  # nothing there matches it: their status stays
    return {"op": "status", "status": status, "value": value}


def _note(text: str) -> dict[str, Any]:
    return {"op": "note", "text": text, "public": False}


def _escalated(session: Session, event: OutboxEvent, ticket: Ticket,
               connector: AnyConnector) -> dict[str, Any]:
    d = event.data
    return _note(f"Escalated from tier {d.get('from_tier')} to tier {d.get('to_tier')} "
                 f"by {d.get('actor') or 'the line'}")


def _voicemail(session: Session, event: OutboxEvent, ticket: Ticket,
               connector: AnyConnector) -> dict[str, Any]:
    seconds = event.data.get("duration")
    return _note("The caller left a voicemail" + (f" ({seconds} s)" if seconds else "")
                 + (" while the line was down" if event.data.get("during_outage") else ""))


def _missed(session: Session, event: OutboxEvent, ticket: Ticket,
            connector: AnyConnector) -> dict[str, Any]:
    d = event.data
    after = f"; next try at {d['next_try']}" if d.get("next_try") else "; given up"
    return _note(f"The callback did not reach the caller (try {d.get('attempt')}){after}")


def _survey(session: Session, event: OutboxEvent, ticket: Ticket,
            connector: AnyConnector) -> dict[str, Any]:
    d = event.data
    solved = "not said" if d.get("solved") is None else \
        ("solved" if d["solved"] else "NOT solved")
    return _note(f"Closure call: the caller says the problem is {solved}; satisfaction "
                 f"{d.get('score') or '-'} of 5")


def _abandoned(session: Session, event: OutboxEvent, ticket: Ticket,
               connector: AnyConnector) -> dict[str, Any]:
    d = event.data
    return _note(f"The caller hung up after waiting {d.get('waited_seconds')} s in the "
                 f"tier {d.get('tier')} queue")
