"""Analysts and their tiers: add and edit (their phone-login PIN too), each change audited
(a PIN only as 'set', never its digits)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from tickets.accounts import User
from tickets.models import Agent
from tickets.phones import to_e164
from tickets.statuses import AgentStatus

from ... import db
from ...queues.agents import phone_login_refused, set_phone_pin
from ..auth import audit, role_required
from . import bp

NAME_MAX = 200  # Agent.name's column


def _agents_page(problem: str | None = None, editing: int | None = None) -> ResponseReturnValue:
    """The agents page; with a problem, it is shown over the form as typed (nothing to retype)."""
    session = db.session()
    rows = session.scalars(select(Agent).order_by(Agent.tier, Agent.name)).all()
    logins = {u.agent_id: u
              for u in session.scalars(select(User).where(User.agent_id.is_not(None)))}
    html = render_template("admin/agents.html", agents=rows, logins=logins, problem=problem,
                           typed=request.form if problem else None, editing=editing,
                           pin_state={a.id: phone_login_refused(a) or "set" for a in rows})
    return (html, 400) if problem else html


@bp.get("/agents")
@role_required("admin")
def agents() -> ResponseReturnValue:
    return _agents_page()


def _agent_form(agent: Agent) -> str | None:
    """Fill an agent from the form; returns a problem to show, if any."""
    name = request.form.get("name", "").strip()
    phone = request.form.get("phone", "").strip()
    tier = request.form.get("tier", type=int)
    if not name:
        return "an agent needs a name"
    if len(name) > NAME_MAX:
        return f"a name has at most {NAME_MAX} characters"
    if tier not in (1, 2, 3):
        return "the tier is 1, 2 or 3"
    number = to_e164(phone) if phone else None
    if phone and number is None:
        return f"not a phone number: {phone}"
    if number is not None:
        holder = db.session().scalar(select(Agent).where(Agent.phone == number,
                                                         Agent.id != (agent.id or 0)))
        if holder is not None:
            return f"{number} is already the phone of {holder.name}"
    pin = request.form.get("pin", "").strip()
    if pin:  # empty: the PIN stays as it is
        try:
            set_phone_pin(agent, pin)
        except ValueError as exc:
            return f"the phone PIN: {exc}"
    agent.name, agent.phone, agent.tier = name, number, tier
    agent.skills = [s.strip() for s in request.form.get("skills", "").split(",") if s.strip()]
    return None


@bp.post("/agents")
@role_required("admin")
def agent_add() -> ResponseReturnValue:
    session = db.session()
    agent = Agent(status=AgentStatus.OFFLINE)
    problem = _agent_form(agent)
    if problem:
        return _agents_page(f"Not added: {problem}.")
    session.add(agent)
    session.flush()
    audit(session, "agent.add", f"agent {agent.id}", name=agent.name, tier=agent.tier,
          skills=agent.skills, **({"phone_pin": "set"} if agent.pin_hash else {}))
    session.commit()
    flash(f"Agent {agent.name} added to tier {agent.tier}.", "ok")
    return redirect(url_for(".agents"))


@bp.post("/agents/<int:agent_id>")
@role_required("admin")
def agent_edit(agent_id: int) -> ResponseReturnValue:
    session = db.session()
    agent = session.get(Agent, agent_id)
    if agent is None:
        abort(404)
    before = {"name": agent.name, "tier": agent.tier, "skills": list(agent.skills or []),
              "phone": agent.phone}
    pin_before = agent.pin_hash
    problem = _agent_form(agent)
    if problem:
        session.rollback()
        return _agents_page(f"Not saved: {problem}.", editing=agent_id)
    after = {"name": agent.name, "tier": agent.tier, "skills": agent.skills,
             "phone": agent.phone}
    if agent.pin_hash != pin_before:
        after["phone_pin"] = "set"  # that it changed, never the PIN
    audit(session, "agent.edit", f"agent {agent.id}", before=before, after=after)
    session.commit()
    flash(f"Agent {agent.name} saved.", "ok")
    return redirect(url_for(".agents"))
