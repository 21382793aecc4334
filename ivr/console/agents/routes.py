"""Agent console pages: the analyst's status, the live queue of their tiers, the call they are
on, ticket search. Thin: reads come from tickets.queries, changes from ivr.queues."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from tickets import queries
from tickets.models import Agent
from tickets.phones import mask_phone
from tickets.statuses import STATUSES, AgentStatus, QueueStatus

from ... import db
from ...clock import now
from ...queues.agents import set_agent_status
from ..auth import role_required
from . import bp, softphone
from .access import CONSOLE_ROLES, my_agent, queue_tiers, ticket_tiers

SETTABLE_STATUSES = (AgentStatus.AVAILABLE, AgentStatus.ON_BREAK, AgentStatus.OFFLINE)


@bp.get("/")
@role_required(*CONSOLE_ROLES)
def dashboard() -> ResponseReturnValue:
    return render_template("agents/dashboard.html", agent=my_agent(),
                           statuses=SETTABLE_STATUSES, tiers=queue_tiers(),
                           softphone=softphone.configured(), sdk=softphone.SDK)


@bp.post("/status")
@role_required(*CONSOLE_ROLES)
def set_status() -> ResponseReturnValue:
    agent = my_agent()
    status = request.form.get("status", "")
    if agent is None:
        abort(400, "this login is not linked to an analyst")
    if status not in SETTABLE_STATUSES:
        abort(400, f"status is one of {', '.join(SETTABLE_STATUSES)}")
    if agent.status == AgentStatus.ON_CALL:
        flash("Finish the call first; you can change your status afterwards.", "error")
    else:
        set_agent_status(agent, status, now())
        db.session().commit()
        flash(f"You are {status.replace('_', ' ')}.", "ok")
    return redirect(url_for(".dashboard"))


def waiting_json(caller: queries.WaitingCaller, at: datetime) -> dict[str, Any]:
    return {"id": caller.id, "caller": mask_phone(caller.caller_number)
            if caller.caller_number else "unknown",
            "priority": caller.priority or "", "tier": caller.tier, "ticket": caller.ticket,
            "waited": caller.waited(at), "holding": not caller.connecting,
            "status": QueueStatus.BRIDGING if caller.connecting else QueueStatus.WAITING}


def call_json(agent: Agent | None) -> list[dict[str, Any]]:
    """The tickets of the caller the analyst is talking to, with a link to each."""
    tickets = queries.tickets_on_call(db.session(), agent.id) if agent else []
    return [{"number": t.number, "priority": t.priority,
             "caller": t.caller_name or "unknown caller", "summary": (t.problem or "")[:120],
             "url": url_for(".ticket", number=t.number)} for t in tickets]


@bp.get("/live.json")
@role_required(*CONSOLE_ROLES)
def live() -> ResponseReturnValue:
    """The live parts of the dashboard: who waits in the user's tiers (best first), the
    callbacks pending there, and the call the analyst is on."""
    session, tiers, at, agent = db.session(), queue_tiers(), now(), my_agent()
    callbacks = queries.pending_callbacks(session, tiers)
    return jsonify(
        waiting=[waiting_json(c, at) for c in queries.waiting_callers(session, tiers)],
        callbacks_pending=sum(callbacks.values()),
        callbacks_by_tier={str(t): n for t, n in sorted(callbacks.items())},
        short_path=queries.short_path_callers(session),
        agent={"name": agent.name, "tier": agent.tier, "status": agent.status}
        if agent else None,
        call=call_json(agent))


@bp.get("/tickets")
@role_required(*CONSOLE_ROLES)
def search() -> ResponseReturnValue:
    q = request.args.get("q", "")
    status = request.args.get("status") or None
    voicemail = request.args.get("voicemail") == "1"
    found = queries.search_tickets(db.session(), queries.TicketSearch(
        text=q, status=status if status in STATUSES else None, tiers=ticket_tiers(),
        voicemail=voicemail))
    return render_template("agents/search.html", tickets=found, q=q, status=status,
                           statuses=STATUSES, voicemail=voicemail)


@bp.get("/follow-ups")
@role_required("team_lead", "admin")
def follow_ups() -> ResponseReturnValue:
    return render_template("agents/search.html", tickets=queries.follow_ups(db.session()),
                           q="", status=None, statuses=STATUSES, heading="Follow-up tickets")

