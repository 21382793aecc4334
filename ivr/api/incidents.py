"""API routes for major incidents: list, declare, edit and resolve (scope ``incidents:write``;
reading them needs ``tickets:read``). Every change is audited by ``tickets.incidents``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g, jsonify

from tickets import TicketError, incidents
from tickets.models import Incident, Ticket

from .. import clock, db
from . import bodies, bp
from .errors import ApiError
from .shapes import incident_json

MAX_SERVICE = 200
MAX_MESSAGE = 1000
MAX_NOTE = 4000


def _incident_json(incident: Incident) -> dict[str, Any]:
    session = db.session()
    parent = session.get(Ticket, incident.parent_ticket_id) if incident.parent_ticket_id \
        else None
    return incident_json(incident, parent.number if parent else None,
                         incidents.linked_count(session, incident))


def _incident_values(body: dict[str, Any]) -> dict[str, Any]:
    """The incident's fields the body gives, checked (those it leaves out are not changed)."""
    values: dict[str, Any] = {}
    for name in ("category", "service"):
        if name in body:
            values[name] = bodies.string(body, name, MAX_SERVICE)
    for name in ("started_at", "expected_at"):
        if name in body:
            values[name] = bodies.time(body, name)
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
    values = _incident_values(bodies.body())
    if not values.get("category"):
        raise ApiError(400, "category is needed", "category")
    values.setdefault("started_at", None)
    incident = _apply(lambda: incidents.declare(db.session(), actor=bodies.actor(), now=clock.now(),
                                                **values), "body")
    current_app.logger.info("api: incident %s declared by token %s", incident.id,
                            g.api_token.name)
    return jsonify(_incident_json(incident)), 201


@bp.patch("/incidents/<int:incident_id>")
def edit_incident(incident_id: int) -> Response:
    """Change what callers hear of an active incident (only the fields given)."""
    incident = _incident(incident_id)
    values = _incident_values(bodies.body())
    if values.get("started_at", incident.started_at) is None:
        raise ApiError(400, "started_at cannot be removed", "started_at")
    if "category" in values and not values["category"]:
        raise ApiError(400, "category cannot be removed", "category")

    def work() -> Incident:
        incidents.edit(db.session(), incident, actor=bodies.actor(), now=clock.now(), **values)
        return incident

    _apply(work, "body")
    return jsonify(_incident_json(incident))


@bp.post("/incidents/<int:incident_id>/resolve")
def resolve_incident(incident_id: int) -> Response:
    """Resolve the incident: its callers' tickets resolved with the note, each caller told."""
    incident = _incident(incident_id)
    note = bodies.string(bodies.body(), "note", MAX_NOTE) or ""

    def work() -> Incident:
        incidents.resolve(db.session(), incident, note=note, actor=bodies.actor(), now=clock.now())
        return incident

    _apply(work, "note")
    return jsonify(_incident_json(incident))
