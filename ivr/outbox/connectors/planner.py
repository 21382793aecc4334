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

from tickets.models import Call, Ticket, TicketEvent
from tickets.outbox import OutboxEvent, Topic, add_message

from .settings import AnyConnector, ZammadConnector

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
        if event.topic in CTI_EVENTS:
            self.plan_cti(session, event, now)
            return
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

    def plan_cti(self, session: Session, event: OutboxEvent, now: datetime) -> None:
        """A call event for each Zammad with a CTI endpoint (its caller log, screen pop)."""
        targets = [c for c in self.connectors if isinstance(c, ZammadConnector) and c.cti_url]
        call = session.get(Call, event.data.get("call_id"))
        if not targets or call is None:
            return
        if event.topic != Topic.CALL_STARTED and session.scalar(select(OutboxEvent.id).where(
                OutboxEvent.key == f"cti:{call.sid}:started")) is None:
            return  # not a call Zammad heard ring (an analyst's own menu)
        payload = cti_event(event, call)
        for connector in targets:
            add_message(session, event, "connector", connector.name, payload, now,
                        min(connector.max_attempts, CTI_ATTEMPTS))


CTI_EVENTS = {Topic.CALL_STARTED: "newCall", Topic.CALL_ANSWERED: "answer",
              Topic.CALL_ENDED: "hangup"}
CTI_ATTEMPTS = 3  # a caller log entry is worth little an hour late
# Twilio's final call statuses as Zammad's hangup causes.
CAUSES = {"completed": "normalClearing", "busy": "busy", "no-answer": "noAnswer",
          "canceled": "cancel", "failed": "congestion"}


def cti_event(event: OutboxEvent, call: Call) -> dict[str, Any]:
    """Zammad's generic CTI event: from, to, direction, callId, user, queue (and a hangup's
    cause). Numbers as Zammad's examples write them: digits, no plus."""
    payload: dict[str, Any] = {"op": "cti", "event": CTI_EVENTS[Topic(event.topic)],
                               "from": (call.from_number or "anonymous").lstrip("+"),
                               "to": (call.to_number or "").lstrip("+"), "direction": "in",
                               "callId": call.sid}
    if event.data.get("agent"):
        payload["user"] = [event.data["agent"]]
    if event.data.get("tier"):
        payload["queue"] = f"tier {event.data['tier']}"
    if event.topic == Topic.CALL_ENDED:
        payload["cause"] = CAUSES.get(event.data.get("status") or "", "normalClearing")
    return payload


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
