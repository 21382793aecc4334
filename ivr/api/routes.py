"""API routes: thin, reading plain values from the request, the answers from tickets.queries
(the read side the console and /metrics share) and answering JSON (see errors.py).

Each call needs a scope of the token (``SCOPE_OF``); a token limited to some tiers sees only
their tickets and queues (another tier's ticket is answered as not found)."""

from __future__ import annotations

from flask import Response, current_app, g, jsonify, request

from tickets import TicketError, queries, versions
from tickets.intake import find_ticket
from tickets.models import OutboundCall, Ticket
from tickets.phones import to_e164
from tickets.statuses import STATUSES, OutboundKind
from tickets.workflow import MAX_TIER, add_note

from .. import clock, db
from ..queues import callbacks
from . import bodies, bp
from .auth import authenticate
from .errors import ApiError, error_response
from .openapi import document
from .shapes import callback_json, event_json, ticket_json, tier_json

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
        add_note(session, ticket, text, actor=bodies.actor(),
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


# ---- callbacks ------------------------------------------------------------------------------

@bp.post("/callbacks")
def book_callback() -> tuple[Response, int]:
    """Book a callback about a ticket: it takes its place in the same line as the callbacks
    callers ask for by phone (its place: now), under the same dialling and calling-hours
    rules."""
    body = bodies.body()
    number = bodies.text(body, "ticket", 20, required=True)
    assert number is not None
    ticket = _ticket(number)
    to = bodies.text(body, "number", 40)
    language = bodies.text(body, "language", 16)
    session = db.session()
    spoken = versions.script_of(versions.current(session, OutboundKind.CALLBACK)).languages
    if language is not None and language not in spoken:
        raise ApiError(400, f"language must be one of {', '.join(spoken)}", "language")
    try:
        outbound = callbacks.callback_asked(session, ticket, to, clock.now(),
                                          actor=bodies.actor(),
                                          language=language)
    except callbacks.NumberRefused as exc:
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
    reason = bodies.text(bodies.body(), "reason", MAX_REASON, required=True)
    try:
        callbacks.cancel_callback(session, outbound, reason or "", bodies.actor(), clock.now())
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
    pending = queries.pending_callbacks(session)
    return jsonify(generated_at=now.isoformat(),
                   tiers=[tier_json(t, waiting, staff, pending, now) for t in TIERS
                          if g.api_token.sees_tier(t)])


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 document of this API (no token needed to read it)."""
    return jsonify(document())
