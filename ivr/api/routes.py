"""API routes: thin, reading plain values from the request, the answers from tickets.queries
(the read side the console and /metrics share) and answering JSON (see errors.py).

Each call needs a scope of the token (``SCOPE_OF``); a token limited to some tiers sees only
their tickets and queues (another tier's ticket is answered as not found)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Response, current_app, g, jsonify, request

from tickets import TicketError, incidents, queries, versions
from tickets.intake import find_ticket
from tickets.models import Incident, OutboundCall, Ticket
from tickets.phones import to_e164
from tickets.statuses import STATUSES, OutboundKind
from tickets.workflow import MAX_TIER, add_note

from .. import clock, db
from ..queues import service
from . import bp
from .auth import authenticate
from .errors import ApiError, error_response
from .openapi import document
from .shapes import callback_json, event_json, incident_json, ticket_json, tier_json

MAX_PER_PAGE = 100
MAX_NOTE = 4000
TIERS = range(1, MAX_TIER + 1)

QUERY_PARAMETERS = {"api.list_tickets": {"status", "priority", "tier", "number", "phone", "page",
                                          "per_page"}}
# The scope each call needs (the OpenAPI document states it per operation).
SCOPE_OF = {"api.list_tickets": "tickets:read", "api.get_ticket": "tickets:read",
            "api.post_note": "notes:write", "api.queues": "queues:read",
            "api.list_incidents": "tickets:read", "api.declare_incident": "incidents:write",
            "api.edit_incident": "incidents:write", "api.resolve_incident": "incidents:write",
            "api.book_callback": "callbacks:write", "api.cancel_callback": "callbacks:write"}
MAX_SERVICE = 200
MAX_MESSAGE = 1000
MAX_REASON = 500


@bp.before_request
def _require_token() -> Response | None:
    """Every call but the OpenAPI document needs a token, and takes only the parameters the
    document names (a misspelt filter is an error, not a silently wider answer)."""
    if request.endpoint == "api.openapi":
        return None
    refused = authenticate(SCOPE_OF.get(request.endpoint or ""))
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


def _int(name: str, default: int, low: int, high: int) -> int:
    value = _optional_int(name, low, high)
    return default if value is None else value


def _optional_int(name: str, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a whole number", name) from None
    if not low <= value <= high:
        raise ApiError(400, f"{name} must be between {low} and {high}", name)
    return value


def _search() -> queries.TicketSearch:
    """The ticket filters of the query string, each checked in the order the document lists."""
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise ApiError(400, f"status must be one of {', '.join(STATUSES)}", "status")
    priority = _text("priority", 40)
    tier = _optional_int("tier", 1, MAX_TIER + 1)
    number = _text("number", 20)
    phone = _text("phone", 40)
    e164 = to_e164(phone) if phone else None
    if phone and e164 is None:
        raise ApiError(400, "phone is not a phone number", "phone")
    tiers = g.api_token.tiers  # the tiers the token may see, and the one asked for
    if tier is not None:
        tiers = [t for t in (tiers if tiers is not None else [tier]) if t == tier]
    return queries.TicketSearch(status=status, priority=priority, number=number, phone=e164,
                                tiers=tiers)


# ---- tickets --------------------------------------------------------------------------------

@bp.get("/tickets")
def list_tickets() -> Response:
    """Tickets, newest first, filtered by status, priority, tier, number or phone."""
    search = _search()
    page = _int("page", 1, 1, 100_000)
    per_page = _int("per_page", 20, 1, MAX_PER_PAGE)
    session = db.session()
    tickets = queries.search_tickets(session, search, limit=per_page,
                                     offset=(page - 1) * per_page)
    agents = queries.agent_names(session)
    return jsonify(items=[ticket_json(t, agents) for t in tickets], page=page,
                   per_page=per_page, total=queries.count_tickets(session, search))


def _ticket(number: str) -> Ticket:
    ticket = (find_ticket(db.session(), number)
              if number.isdigit() and len(number) <= 20 else None)
    if ticket is None or not g.api_token.sees_tier(ticket.tier):
        raise ApiError(404, f"no ticket {number[:20]}", "number")
    return ticket


@bp.get("/tickets/<number>")
def get_ticket(number: str) -> Response:
    """One ticket with its whole timeline (public and internal lines)."""
    ticket = _ticket(number)
    return jsonify({**ticket_json(ticket, queries.agent_names(db.session())),
                    "timeline": [event_json(e) for e in ticket.events]})


def _note_body() -> tuple[str, bool]:
    """The note's text and whether it is public, checked."""
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
    return text, public


@bp.post("/tickets/<number>/notes")
def post_note(number: str) -> tuple[Response, int]:
    """Add a note (public: read to the customer by status calls; else internal)."""
    ticket = _ticket(number)
    text, public = _note_body()
    session = db.session()
    try:
        add_note(session, ticket, text, actor=f"api:{g.api_token.name}"[:80],
                 now=clock.now(), public=public)
    except TicketError as exc:
        raise ApiError(400, str(exc), "text") from None
    session.flush()
    event = queries.latest_event(session, ticket, "note")
    assert event is not None
    session.commit()
    current_app.logger.info("api: note on ticket %s by token %s", ticket.number,
                            g.api_token.name)
    return jsonify(event_json(event)), 201


# ---- major incidents ------------------------------------------------------------------------

def _incident_json(incident: Incident) -> dict[str, Any]:
    session = db.session()
    parent = session.get(Ticket, incident.parent_ticket_id) if incident.parent_ticket_id \
        else None
    return incident_json(incident, parent.number if parent else None,
                         incidents.linked_count(session, incident))


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object", "body")
    return body


def _string(body: dict[str, Any], name: str, max_length: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_length or "\x00" in value:
        raise ApiError(400, f"{name} must be a string of at most {max_length} characters", name)
    return value


def _time(body: dict[str, Any], name: str) -> datetime | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ApiError(400, f"{name} must be a date and time with its offset, like "
                       "2026-11-23T11:00:00+00:00", name)
    return at


def _incident_values(body: dict[str, Any]) -> dict[str, Any]:
    """The incident's fields the body gives, checked (those it leaves out are not changed)."""
    values: dict[str, Any] = {}
    for name in ("category", "service"):
        if name in body:
            values[name] = _string(body, name, MAX_SERVICE)
    for name in ("started_at", "expected_at"):
        if name in body:
            values[name] = _time(body, name)
    if "messages" in body:
        messages = body["messages"]
        if messages is None:
            messages = {}
        if not isinstance(messages, dict) or not all(
                isinstance(v, str) and len(v) <= MAX_MESSAGE and "\x00" not in v
                for v in messages.values()):
            raise ApiError(400, "messages must map languages to texts of at most "
                           f"{MAX_MESSAGE} characters", "messages")
        values["messages"] = messages
    return values


def _actor() -> str:
    return f"api:{g.api_token.name}"[:80]


def _incident(incident_id: int) -> Incident:
    incident = db.session().get(Incident, incident_id) if incident_id < 2**31 else None
    if incident is None:
        raise ApiError(404, f"no incident {incident_id}", "id")
    return incident


def _apply(work: Callable[[], Incident], field: str) -> Incident:
    """Run one change of the incidents' rules; a refusal is a 400, nothing kept."""
    session = db.session()
    try:
        incident = work()
    except TicketError as exc:
        session.rollback()
        raise ApiError(400, str(exc), field) from None
    session.commit()
    return incident


@bp.get("/incidents")
def list_incidents() -> Response:
    """The active incidents, then the ones resolved lately."""
    session = db.session()
    return jsonify(active=[_incident_json(i) for i in incidents.active(session)],
                   recent=[_incident_json(i) for i in incidents.recent(session)])


@bp.post("/incidents")
def declare_incident() -> tuple[Response, int]:
    """Declare a major incident: callers hear it from now on."""
    values = _incident_values(_body())
    if not values.get("category"):
        raise ApiError(400, "category is needed", "category")
    values.setdefault("started_at", None)
    incident = _apply(lambda: incidents.declare(db.session(), actor=_actor(), now=clock.now(),
                                                **values), "body")
    current_app.logger.info("api: incident %s declared by token %s", incident.id,
                            g.api_token.name)
    return jsonify(_incident_json(incident)), 201


@bp.patch("/incidents/<int:incident_id>")
def edit_incident(incident_id: int) -> Response:
    """Change what callers hear of an active incident (only the fields given)."""
    incident = _incident(incident_id)
    values = _incident_values(_body())
    if values.get("started_at", incident.started_at) is None:
        raise ApiError(400, "started_at cannot be removed", "started_at")
    if "category" in values and not values["category"]:
        raise ApiError(400, "category cannot be removed", "category")

    def work() -> Incident:
        incidents.edit(db.session(), incident, actor=_actor(), now=clock.now(), **values)
        return incident

    _apply(work, "body")
    return jsonify(_incident_json(incident))


@bp.post("/incidents/<int:incident_id>/resolve")
def resolve_incident(incident_id: int) -> Response:
    """Resolve the incident: its callers' tickets resolved with the note, each caller told."""
    incident = _incident(incident_id)
    note = _string(_body(), "note", MAX_NOTE) or ""

    def work() -> Incident:
        incidents.resolve(db.session(), incident, note=note, actor=_actor(), now=clock.now(),
                          texting=current_app.extensions["integrations"].sms.enabled)
        return incident

    _apply(work, "note")
    return jsonify(_incident_json(incident))


# ---- callbacks ------------------------------------------------------------------------------

def _body_text(body: dict[str, Any], name: str, max_length: int,
               required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > max_length or \
            "\x00" in value:
        raise ApiError(400, f"{name} must be a non-empty string of at most {max_length} "
                       "characters", name)
    return value.strip()


@bp.post("/callbacks")
def book_callback() -> tuple[Response, int]:
    """Book a callback about a ticket: it takes its place in the same line as the callbacks
    callers ask for by phone (its place: now), under the same dialling and calling-hours
    rules."""
    body = _body()
    number = _body_text(body, "ticket", 20, required=True)
    assert number is not None
    ticket = _ticket(number)
    to = _body_text(body, "number", 40)
    language = _body_text(body, "language", 16)
    session = db.session()
    spoken = versions.script_of(versions.current(session, OutboundKind.CALLBACK)).languages
    if language is not None and language not in spoken:
        raise ApiError(400, f"language must be one of {', '.join(spoken)}", "language")
    try:
        outbound = service.callback_asked(session, ticket, to, clock.now(),
                                          actor=f"api:{g.api_token.name}"[:80],
                                          language=language)
    except service.NumberRefused as exc:
        raise ApiError(422, str(exc), "number") from None
    except TicketError as exc:
        raise ApiError(409, str(exc), "ticket") from None
    session.commit()
    current_app.logger.info("api: callback %s for ticket %s by token %s", outbound.id,
                            ticket.number, g.api_token.name)
    return jsonify(callback_json(outbound, ticket)), 201


@bp.post("/callbacks/<int:callback_id>/cancel")
def cancel_callback(callback_id: int) -> Response:
    """Call off a pending callback, with a reason (on the ticket's timeline)."""
    session = db.session()
    outbound = session.get(OutboundCall, callback_id) if callback_id < 2**31 else None
    ticket = session.get(Ticket, outbound.ticket_id) if outbound and outbound.ticket_id \
        else None
    if outbound is None or outbound.kind != OutboundKind.CALLBACK or ticket is None or \
            not g.api_token.sees_tier(ticket.tier):
        raise ApiError(404, f"no callback {callback_id}", "id")
    reason = _body_text(_body(), "reason", MAX_REASON, required=True)
    try:
        service.cancel_callback(session, outbound, reason or "", f"api:{g.api_token.name}"[:80],
                                clock.now())
    except TicketError as exc:
        raise ApiError(409, str(exc), "id") from None
    session.commit()
    return jsonify(callback_json(outbound, ticket))


# ---- queues ---------------------------------------------------------------------------------

@bp.get("/queues")
def queues() -> Response:
    """Each tier's queue right now: who waits (best first), analysts, callbacks pending."""
    session, now = db.session(), clock.now()
    waiting = queries.waiting_callers(session)
    staff = queries.agents_by_status(session)
    callbacks = queries.pending_callbacks(session)
    return jsonify(generated_at=now.isoformat(),
                   tiers=[tier_json(t, waiting, staff, callbacks, now) for t in TIERS
                          if g.api_token.sees_tier(t)])


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 document of this API (no token needed to read it)."""
    return jsonify(document())
