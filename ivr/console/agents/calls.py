"""The call an analyst is on, from the console: who is on it, and the live actions (escalate
warm or cold, leave after a warm hand-over, hold and resume). Thin: the rules are in
``ivr.queues.conference``; Twilio is asked through the app's ``Conferences``."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from tickets import TicketError
from tickets.models import Agent, Conference, Participant, Ticket
from tickets.statuses import ParticipantStatus
from tickets.versions import live_policy

from ... import db, twilio_rest
from ...clock import now
from ...queues import legs
from ...queues.conference import Conferences, LiveEscalation
from ..auth import audit, role_required
from . import bp
from .access import CONSOLE_ROLES, actor, my_agent
from .tickets import tier_asked

# A live action: does its work on the analyst's call and says how it went.
CallAction = Callable[[Session, Conferences, Conference, Participant], str]


def on_call() -> tuple[Conference, Participant] | None:
    """The conference the logged-in analyst is in now, and their leg."""
    agent = my_agent()
    return legs.live_leg(db.session(), agent.id) if agent else None


def people(session: Session, room: Conference) -> list[dict[str, object]]:
    """Who is on the call (or being dialled in), as the console shows them."""
    out: list[dict[str, object]] = []
    for leg in legs.participants(session, room, on=True):
        agent = session.get(Agent, leg.agent_id) if leg.agent_id else None
        out.append({"role": leg.role, "name": agent.name if agent else
                    ("the caller" if leg.role == "caller" else "a team lead"),
                    "tier": agent.tier if agent else None, "status": leg.status,
                    "joined": leg.status == ParticipantStatus.JOINED,
                    "on_hold": leg.on_hold, "muted": leg.muted, "mode": leg.mode})
    return out


@bp.get("/call")
@role_required(*CONSOLE_ROLES)
def my_call() -> ResponseReturnValue:
    return _call_page()


def _call_page(problem: str | None = None) -> ResponseReturnValue:
    session = db.session()
    found = on_call()
    room, leg = found if found else (None, None)
    ticket = session.get(Ticket, room.ticket_id) if room and room.ticket_id else None
    caller = legs.caller_leg(session, room) if room else None
    pol = live_policy(session)
    html = render_template("agents/call.html", room=room, leg=leg, ticket=ticket,
                           people=people(session, room) if room else [],
                           caller=caller, approvers=pol.escalation.approvers,
                           problem=problem, typed=request.form if problem else {})
    return (html, 400) if problem else html


def _act(work: CallAction, what: str) -> ResponseReturnValue:
    """Run one live action on the analyst's call; a refused one shows the page with why."""
    session = db.session()
    found = on_call()
    if found is None:
        return _call_page("You are not on a call.")
    room, leg = found
    try:
        said = work(session, twilio_rest.conferences(current_app), room, leg)
    except TicketError as exc:
        session.rollback()
        return _call_page(str(exc))
    audit(session, what, f"conference {room.id}", ticket_id=room.ticket_id)
    session.commit()
    flash(said, "ok")
    return redirect(url_for(".my_call"))


@bp.post("/call/escalate")
@role_required(*CONSOLE_ROLES)
def escalate_call() -> ResponseReturnValue:
    """Escalate while the caller is on the line: warm (the next tier joins) or cold (the
    caller waits first in the next tier's line)."""

    def work(session: Session, rooms: Conferences, room: Conference, leg: Participant) -> str:
        pol = live_policy(session)
        return rooms.escalate(session, room, leg, LiveEscalation(
            mode=request.form.get("mode", ""), reason=request.form.get("reason", ""),
            actor=actor(), to_tier=tier_asked(),
            approver=request.form.get("approver") or None,
            approvers=tuple(pol.escalation.approvers),
            beyond_name=pol.escalation.beyond_tier_3), now())

    return _act(work, f"call_escalated_{request.form.get('mode', '')[:10]}")


@bp.post("/call/leave")
@role_required(*CONSOLE_ROLES)
def leave_call() -> ResponseReturnValue:
    """After introducing the caller to the analyst who joined: leave them to it."""

    def work(session: Session, rooms: Conferences, room: Conference, leg: Participant) -> str:
        return rooms.hand_over(session, room, leg, actor(), now())

    return _act(work, "call_handed_over")


@bp.post("/call/hold")
@role_required(*CONSOLE_ROLES)
def hold_call() -> ResponseReturnValue:
    """Put the caller on hold, having told them for how long and asked (the SOP)."""

    def work(session: Session, rooms: Conferences, room: Conference, leg: Participant) -> str:
        try:
            minutes = int(request.form.get("minutes", ""))
        except ValueError:
            raise TicketError("Say for how many minutes (a whole number).") from None
        return rooms.hold(session, room, minutes, request.form.get("agreed") == "yes",
                          actor(), now())

    return _act(work, "call_hold")


@bp.post("/call/resume")
@role_required(*CONSOLE_ROLES)
def resume_call() -> ResponseReturnValue:
    def work(session: Session, rooms: Conferences, room: Conference, leg: Participant) -> str:
        return rooms.resume(session, room, actor(), now())

    return _act(work, "call_resume")
