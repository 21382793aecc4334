"""Team leads on live calls: the calls going on now, and listening (muted), whispering
(coaching the analyst) or barging in from the lead's phone. Each is on the ticket's timeline
and in the audit log. Thin: the rules are in ``ivr.queues.conference``."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from tickets import TicketError, phones
from tickets.models import Conference, Ticket

from ... import db, twilio_rest
from ...clock import now
from ...queues import legs
from ...queues.conference import TeamLead
from ..auth import audit, role_required
from . import bp
from .access import actor, my_agent
from .calls import people

LEAD_ROLES = ("team_lead",)


def _calls() -> list[dict[str, Any]]:
    session = db.session()
    out = []
    for room in legs.live(session):
        ticket = session.get(Ticket, room.ticket_id) if room.ticket_id else None
        out.append({"room": room, "ticket": ticket, "people": people(session, room)})
    return out


@bp.get("/live-calls")
@role_required(*LEAD_ROLES)
def live_calls(problem: str | None = None) -> ResponseReturnValue:
    agent = my_agent()
    html = render_template("agents/live_calls.html", calls=_calls(), problem=problem,
                           own_phone=agent.phone if agent else None)
    return (html, 400) if problem else html


@bp.post("/live-calls/<int:room_id>/<mode>")
@role_required(*LEAD_ROLES)
def supervise(room_id: int, mode: str) -> ResponseReturnValue:
    """Ring the team lead's phone into the call (or change how they are on it)."""
    session = db.session()
    room = session.get(Conference, room_id)
    if room is None:
        abort(404)
    agent = my_agent()
    typed = request.form.get("phone", "").strip()
    phone = phones.to_e164(typed) if typed else (agent.phone if agent else None)
    if typed and phone is None:
        return live_calls(problem="That phone number cannot be dialled.")
    lead = TeamLead(user_id=int(current_user.id), name=actor(), phone=phone)
    try:
        said = twilio_rest.conferences(current_app).supervise(session, room, lead, mode, now())
    except TicketError as exc:
        session.rollback()
        return live_calls(problem=str(exc))
    audit(session, f"supervise_{mode}", f"conference {room.id}", ticket_id=room.ticket_id)
    session.commit()
    flash(said, "ok")
    return redirect(url_for(".live_calls"))

