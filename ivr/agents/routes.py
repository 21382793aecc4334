"""Agent console routes: thin, the work is in tickets.workflow and ivr.queues."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from tickets import TicketError, bookings, workflow
from tickets.models import Agent, Ticket
from tickets.phones import mask_phone
from tickets.statuses import OUTBOUND_KINDS, STATUSES
from tickets.versions import live_policy

from ..auth import role_required
from ..clock import now
from ..db import session
from ..queues.agents import set_agent_status
from . import bp, queries

CONSOLE_ROLES = ("agent", "team_lead", "admin")
SETTABLE_STATUSES = ("available", "on_break", "offline")


def my_agent() -> Agent | None:
    """The analyst behind the logged-in user, if any."""
    return session().get(Agent, current_user.agent_id) if current_user.agent_id else None


def queue_tiers() -> list[int] | None:
    """The tiers whose queue the user watches (None: every tier)."""
    if current_user.role in ("team_lead", "admin"):
        return None
    agent = my_agent()
    return [agent.tier] if agent else []


def ticket_tiers() -> list[int] | None:
    """The tiers whose tickets the user may search (None: every tier)."""
    if live_policy(session()).agents_see_other_tiers:
        return None
    return queue_tiers()


def may_open(ticket: Ticket) -> bool:
    """Team leads and admins open every ticket; an analyst their tier's (unless the policy lets
    them see every tier), the tickets they hold and those of the caller they are talking to."""
    if current_user.role in ("team_lead", "admin"):
        return True
    agent = my_agent()
    if agent is None:
        return False
    if ticket.tier == agent.tier or ticket.agent_id == agent.id:
        return True
    if live_policy(session()).agents_see_other_tiers:
        return True
    return any(t.id == ticket.id for t in queries.current_tickets(session(), agent))


def ticket_or_404(number: str) -> Ticket:
    ticket = session().scalar(select(Ticket).where(Ticket.number == number))
    if ticket is None:
        abort(404)
    if not may_open(ticket):
        abort(403)
    return ticket


ACTOR_MAX = 80  # TicketEvent.actor's column; a login's full name may be longer


def actor() -> str:
    """Who did it, as the timeline names them."""
    return current_user.name[:ACTOR_MAX]


@bp.get("/")
@role_required(*CONSOLE_ROLES)
def dashboard() -> Any:
    agent = my_agent()
    return render_template("agents/dashboard.html", agent=agent, statuses=SETTABLE_STATUSES,
                           tiers=queue_tiers())


@bp.post("/status")
@role_required(*CONSOLE_ROLES)
def set_status() -> Any:
    agent = my_agent()
    status = request.form.get("status", "")
    if agent is None:
        abort(400, "this login is not linked to an analyst")
    if status not in SETTABLE_STATUSES:
        abort(400, f"status is one of {', '.join(SETTABLE_STATUSES)}")
    if agent.status == "on_call":
        flash("Finish the call first; you can change your status afterwards.", "error")
    else:
        set_agent_status(agent, status, now())
        session().commit()
        flash(f"You are {status.replace('_', ' ')}.", "ok")
    return redirect(url_for(".dashboard"))


@bp.get("/live.json")
@role_required(*CONSOLE_ROLES)
def live() -> Any:
    """The live parts of the dashboard: the queue of the agent's tiers and their current call."""
    db, t = session(), now()
    agent = my_agent()
    data = queries.live_queue(db, queue_tiers(), t)
    data["agent"] = ({"name": agent.name, "tier": agent.tier, "status": agent.status}
                     if agent else None)
    data["call"] = [{
        "number": ticket.number, "priority": ticket.priority,
        "caller": ticket.caller_name or "unknown caller",
        "summary": (ticket.problem or "")[:120],
        "url": url_for(".ticket", number=ticket.number),
    } for ticket in (queries.current_tickets(db, agent) if agent else [])]
    return jsonify(data)


@bp.get("/tickets")
@role_required(*CONSOLE_ROLES)
def search() -> Any:
    q = request.args.get("q", "")
    status = request.args.get("status") or None
    found = queries.search_tickets(session(), q, status, ticket_tiers())
    return render_template("agents/search.html", tickets=found, q=q, status=status,
                           statuses=STATUSES)


@bp.get("/follow-ups")
@role_required("team_lead", "admin")
def follow_ups() -> Any:
    found = session().scalars(select(Ticket).where(Ticket.category == "follow_up")
                              .order_by(Ticket.status != "open", Ticket.id.desc())).all()
    return render_template("agents/search.html", tickets=found, q="", status=None,
                           statuses=STATUSES, heading="Follow-up tickets")


@bp.get("/tickets/<number>")
@role_required(*CONSOLE_ROLES)
def ticket(number: str) -> Any:
    return _ticket_page(ticket_or_404(number))


def _ticket_page(t: Ticket, problem: str | None = None, form: str | None = None) -> Any:
    """The ticket page; after a refused action, the problem over the form as it was typed."""
    db = session()
    pol = live_policy(db)
    html = render_template(
        "agents/ticket.html", ticket=t, customer=t.customer, clocks=queries.sla_clock(t, now()),
        statuses=STATUSES, approvers=pol.escalation.approvers, mask_phone=mask_phone,
        outbound=bookings.pending_outbound(db, t, OUTBOUND_KINDS),
        problem=problem, form=form, typed=request.form if problem else {})
    return (html, 400) if problem else html


def _act(number: str, form: str, work, done: str) -> Any:
    """Run one workflow action on a ticket, commit, and say how it went. A refused action
    shows the ticket again with why and the FORM as typed."""
    db = session()
    t = ticket_or_404(number)
    try:
        said = work(db, t)
    except TicketError as exc:
        db.rollback()
        return _ticket_page(t, str(exc), form)
    db.commit()
    flash(said or done, "ok")
    if not may_open(t):  # escalated out of the analyst's tier: the ticket is no longer theirs
        return redirect(url_for(".dashboard"))
    return redirect(url_for(".ticket", number=number))


@bp.post("/tickets/<number>/note")
@role_required(*CONSOLE_ROLES)
def add_note(number: str) -> Any:
    public = request.form.get("visibility") == "public"
    return _act(number, "note", lambda db, t: workflow.add_note(
        db, t, request.form.get("text", ""), actor=actor(), now=now(), public=public),
        "Note added.")


@bp.post("/tickets/<number>/status")
@role_required(*CONSOLE_ROLES)
def change_status(number: str) -> Any:
    return _act(number, "status", lambda db, t: workflow.change_status(
        db, t, request.form.get("status", ""), actor=actor(), now=now(),
        reason=request.form.get("reason") or None), "Status changed.")


def _tier_asked() -> int | None:
    """The tier the escalation form names (none: the next one up)."""
    raw = request.form.get("to_tier", "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise TicketError(f"there is no tier {raw[:20]!r}") from None


@bp.post("/tickets/<number>/escalate")
@role_required(*CONSOLE_ROLES)
def escalate(number: str) -> Any:
    def work(db, t):
        pol = live_policy(db)
        tier = workflow.escalate_ticket(
            db, t, reason=request.form.get("reason", ""), actor=actor(), now=now(),
            to_tier=_tier_asked(), approver=request.form.get("approver") or None,
            approvers=pol.escalation.approvers, beyond_name=pol.escalation.beyond_tier_3)
        where = f"tier {tier}" if tier <= workflow.MAX_TIER else pol.escalation.beyond_tier_3
        return f"Ticket {t.number} escalated to {where}."

    return _act(number, "escalate", work, "Ticket escalated.")


@bp.post("/tickets/<number>/resolve")
@role_required(*CONSOLE_ROLES)
def resolve(number: str) -> Any:
    def work(db, t):
        booked = workflow.resolve_ticket(db, t, actor=actor(), now=now(),
                                         note=request.form.get("note") or None)
        if booked is None:
            return "Ticket resolved; no closure call: the ticket has no callback number."
        return None

    return _act(number, "resolve", work, "Ticket resolved; the closure call is booked.")


@bp.post("/tickets/<number>/status-call")
@role_required(*CONSOLE_ROLES)
def status_call(number: str) -> Any:
    def work(db, t):
        if workflow.schedule_status_call(db, t, now=now(), reason="agent",
                                         actor=actor()) is None:
            raise TicketError("No status call booked: one is already pending, the customer "
                              "stopped them, or the ticket is closed.")

    return _act(number, "status-call", work, "Status call booked.")
