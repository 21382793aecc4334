"""API routes: thin, reading plain values from the request and answering JSON.

Every error is JSON, ``{"error": {"status": ..., "message": ..., "field": ...}}``: 400 names
the field that is wrong, 401 a missing or revoked token, 404 what was not found.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, current_app, g, jsonify, request
from sqlalchemy import func, or_, select
from werkzeug.exceptions import HTTPException

from tickets import TicketError
from tickets.intake import find_ticket
from tickets.models import (
    Agent,
    CustomerPhone,
    OutboundCall,
    QueueEntry,
    Ticket,
    TicketEvent,
)
from tickets.phones import mask_phone, to_e164
from tickets.statuses import STATUSES
from tickets.workflow import MAX_TIER, add_note

from .. import clock
from ..db import session
from . import bp
from .auth import authenticate
from .openapi import document

MAX_PER_PAGE = 100
MAX_NOTE = 4000
TIERS = range(1, MAX_TIER + 1)


class ApiError(Exception):
    """An answer other than 2xx, with the field to blame when there is one."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def error_response(status: int, message: str, field: str | None = None) -> Response:
    body: dict[str, Any] = {"status": status, "message": message}
    if field:
        body["field"] = field
    response = jsonify(error=body)
    response.status_code = status
    return response


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.message, exc.field)


@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def _http_error(exc: HTTPException) -> Response | HTTPException:
    """Unknown paths and methods under /api/v1 answer JSON too; elsewhere Flask's pages."""
    if not request.path.startswith(bp.url_prefix or "/api/v1"):
        return exc
    response = error_response(exc.code or 500, exc.description or exc.name)
    if exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


QUERY_PARAMETERS = {"api.list_tickets": {"status", "priority", "tier", "number", "phone", "page",
                                          "per_page"}}


@bp.before_request
def _require_token() -> Response | None:
    """Every call but the OpenAPI document needs a token, and takes only the parameters the
    document names (a misspelt filter is an error, not a silently wider answer)."""
    if request.endpoint == "api.openapi":
        return None
    refused = authenticate()
    if refused is not None:
        return refused
    unknown = sorted(set(request.args) - QUERY_PARAMETERS.get(request.endpoint or "", set()))
    if unknown:
        name = unknown[0][:40]
        return error_response(400, f"unknown query parameter {name!r}", name)
    return None


# ---- reading the request --------------------------------------------------------------------

def _text(name: str, max_length: int) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if len(value) > max_length or "\x00" in value:
        raise ApiError(400, f"{name} must be at most {max_length} characters", name)
    return value


def _int(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a whole number", name) from None
    if not low <= value <= high:
        raise ApiError(400, f"{name} must be between {low} and {high}", name)
    return value


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


# ---- tickets --------------------------------------------------------------------------------

def _agent_names() -> dict[int, str]:
    return {agent_id: name for agent_id, name in session().execute(select(Agent.id, Agent.name))}


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
        "created_at": _iso(ticket.created_at),
        "response_due": _iso(ticket.response_due),
        "responded_at": _iso(ticket.responded_at),
        "resolution_due": _iso(ticket.resolution_due),
        "resolved_at": _iso(ticket.resolved_at),
        "response_breached": ticket.response_breached_at is not None,
        "resolution_breached": ticket.resolution_breached_at is not None,
        "reopened_count": ticket.reopened_count,
    }


def event_json(event: TicketEvent) -> dict[str, Any]:
    return {"id": event.id, "at": _iso(event.at), "kind": event.kind, "text": event.text,
            "actor": event.actor, "public": event.public, "data": event.data or {}}


@bp.get("/tickets")
def list_tickets() -> Response:
    """Tickets, newest first, filtered by status, priority, tier, number or phone."""
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise ApiError(400, f"status must be one of {', '.join(STATUSES)}", "status")
    priority = _text("priority", 40)
    tier = _int("tier", None, 1, MAX_TIER + 1)
    number = _text("number", 20)
    phone = _text("phone", 40)
    page = _int("page", 1, 1, 100_000)
    per_page = _int("per_page", 20, 1, MAX_PER_PAGE)
    assert page is not None and per_page is not None

    query = select(Ticket)
    if status:
        query = query.where(Ticket.status == status)
    if priority:
        query = query.where(Ticket.priority == priority)
    if tier is not None:
        query = query.where(Ticket.tier == tier)
    if number:
        query = query.where(Ticket.number == number.strip())
    if phone:
        e164 = to_e164(phone)
        if e164 is None:
            raise ApiError(400, "phone is not a phone number", "phone")
        on_file = select(CustomerPhone.customer_id).where(CustomerPhone.number == e164)
        query = query.where(or_(Ticket.callback_number == e164,
                                Ticket.customer_id.in_(on_file)))
    db = session()
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    tickets = db.scalars(query.order_by(Ticket.id.desc())
                         .offset((page - 1) * per_page).limit(per_page)).all()
    agents = _agent_names()
    return jsonify(items=[ticket_json(t, agents) for t in tickets], page=page,
                   per_page=per_page, total=total)


def _ticket(number: str) -> Ticket:
    ticket = (find_ticket(session(), number)
              if number.isdigit() and len(number) <= 20 else None)
    if ticket is None:
        raise ApiError(404, f"no ticket {number[:20]}", "number")
    return ticket


@bp.get("/tickets/<number>")
def get_ticket(number: str) -> Response:
    """One ticket with its whole timeline (public and internal lines)."""
    ticket = _ticket(number)
    events = session().scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                               .order_by(TicketEvent.id)).all()
    return jsonify({**ticket_json(ticket, _agent_names()),
                    "timeline": [event_json(e) for e in events]})


@bp.post("/tickets/<number>/notes")
def post_note(number: str) -> tuple[Response, int]:
    """Add a note (public: read to the customer by status calls; else internal)."""
    ticket = _ticket(number)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object like {\"text\": \"...\"}", "body")
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "text must be a non-empty string", "text")
    if len(text) > MAX_NOTE or "\x00" in text:
        raise ApiError(400, f"text must be at most {MAX_NOTE} characters", "text")
    public = body.get("public", False)
    if not isinstance(public, bool):
        raise ApiError(400, "public must be true or false", "public")
    db = session()
    try:
        add_note(db, ticket, text, actor=f"api:{g.api_token.name}"[:80], now=clock.now(),
                 public=public)
    except TicketError as exc:
        raise ApiError(400, str(exc), "text") from None
    db.flush()
    event = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                 TicketEvent.kind == "note")
                       .order_by(TicketEvent.id.desc()).limit(1)).one()
    db.commit()
    current_app.logger.info("api: note on ticket %s by token %s", ticket.number,
                            g.api_token.name)
    return jsonify(event_json(event)), 201


# ---- queues ---------------------------------------------------------------------------------

@bp.get("/queues")
def queues() -> Response:
    """Each tier's queue right now: who waits (best first), analysts, callbacks pending."""
    db = session()
    now = clock.now()
    waiting = db.execute(
        select(QueueEntry, Ticket.number)
        .outerjoin(Ticket, Ticket.id == QueueEntry.ticket_id)
        .where(QueueEntry.status.in_(("waiting", "bridging")), QueueEntry.consent.is_(True))
        .order_by(QueueEntry.rank, QueueEntry.joined_at, QueueEntry.id)).all()
    agents = db.execute(select(Agent.tier, Agent.status, func.count())
                        .group_by(Agent.tier, Agent.status)).all()
    pending: dict[int, int] = {}
    for queue_tier, ticket_tier in db.execute(
            select(QueueEntry.tier, Ticket.tier)
            .select_from(OutboundCall)
            .outerjoin(QueueEntry, QueueEntry.id == OutboundCall.queue_entry_id)
            .outerjoin(Ticket, Ticket.id == OutboundCall.ticket_id)
            .where(OutboundCall.kind == "callback", OutboundCall.status == "pending")):
        tier = queue_tier or ticket_tier or 1
        pending[tier] = pending.get(tier, 0) + 1
    tiers = []
    for tier in TIERS:
        callers = [(e, n) for e, n in waiting if e.tier == tier]
        staff = {status: count for t, status, count in agents if t == tier}
        tiers.append({
            "tier": tier,
            "waiting": [{
                "position": i,
                "ticket": number,
                "priority": e.priority,
                "rank": e.rank,
                "state": "connecting" if e.status == "bridging" else "waiting",
                "waited_seconds": round(max(0.0, (now - e.joined_at).total_seconds())),
                "joined_at": _iso(e.joined_at),
                "announced_wait_seconds": (round(e.announced_wait)
                                           if e.announced_wait is not None else None),
                "language": e.language,
                "caller": mask_phone(e.caller_number),
            } for i, (e, number) in enumerate(callers, start=1)],
            "agents_available": staff.get("available", 0),
            "agents_logged_in": sum(c for s, c in staff.items() if s != "offline"),
            "callbacks_pending": pending.get(tier, 0),
        })
    return jsonify(generated_at=_iso(now), tiers=tiers)


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 document of this API (no token needed to read it)."""
    return jsonify(document())
