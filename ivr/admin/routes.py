"""Admin pages: scripts and policies (check, diff, publish, roll back, draw, try), agents,
the audit log. Every change is written to the audit log."""

from __future__ import annotations

import difflib
from typing import Any

import yaml
from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import func, select

from call_scripts import ScriptError
from tickets import versions as scripts
from tickets.accounts import AuditLog, User
from tickets.models import Agent as AgentRow
from tickets.models import ScriptVersion
from tickets.phones import to_e164

from .. import db
from ..auth import audit, role_required
from ..phone import PhoneError
from . import bp, flow, sections, trial

KINDS = ("script", "policy")
AUDIT_PAGE = 200
# ScriptVersion.name holds 80 characters, a trial call's draft its prefix too.
SCRIPT_NAME_MAX = 80 - len(trial.DRAFT_PREFIX)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        abort(404)
    return kind


def _versions(kind: str, name: str) -> list[ScriptVersion]:
    return list(db.session().scalars(
        select(ScriptVersion).where(ScriptVersion.kind == kind, ScriptVersion.name == name)
        .order_by(ScriptVersion.version.desc())))


def check(kind: str, name: str, text: str) -> tuple[Any, list[Any]]:
    """Parse a draft: (the parsed script or policy, []) or (None, the problems)."""
    try:
        return scripts.PARSERS[kind](text, f"{name}.yaml"), []
    except ScriptError as exc:
        return None, list(exc.problems)


def diff(live: str, draft: str, name: str) -> list[str]:
    return list(difflib.unified_diff(live.splitlines(), draft.splitlines(),
                                     f"{name} (live)", f"{name} (draft)", lineterm=""))


def picture(kind: str, parsed: Any) -> tuple[str | None, str | None]:
    """(SVG, None) for a script, (None, why not) when it cannot be drawn."""
    if kind != "script" or parsed is None:
        return None, None
    try:
        return flow.to_svg(parsed), None
    except flow.FlowError as exc:
        return None, str(exc)


@bp.get("/")
@role_required("admin")
def index() -> Any:
    recent = db.session().scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(10)).all()
    return render_template("admin/index.html", recent=recent)


@bp.get("/audit")
@role_required("admin")
def audit_log() -> Any:
    rows = db.session().scalars(select(AuditLog).order_by(AuditLog.id.desc())
                                .limit(AUDIT_PAGE)).all()
    return render_template("admin/audit.html", rows=rows)


@bp.get("/scripts", endpoint="scripts")
@role_required("admin")
def scripts_list() -> Any:
    dbs = db.session()
    for kind in KINDS:  # the shipped ones appear even before their first call
        for name in scripts.shipped(kind):
            scripts.current(dbs, name, kind)
    dbs.commit()
    rows = dbs.execute(
        select(ScriptVersion.kind, ScriptVersion.name, func.max(ScriptVersion.version))
        .where(~ScriptVersion.name.startswith(trial.DRAFT_PREFIX))
        .group_by(ScriptVersion.kind, ScriptVersion.name)
        .order_by(ScriptVersion.kind.desc(), ScriptVersion.name)).all()
    return render_template("admin/scripts.html", rows=rows)


@bp.route("/scripts/<kind>/<name>", methods=["GET", "POST"])
@role_required("admin")
def edit(kind: str, name: str) -> Any:
    """Edit the YAML; 'Check' shows problems (line, step) and the diff, 'Publish' stores it."""
    kind = _kind(kind)
    if name.startswith(trial.DRAFT_PREFIX) or len(name) > SCRIPT_NAME_MAX:
        abort(404)
    dbs = db.session()
    live = scripts.find(dbs, name, kind)
    dbs.commit()  # a shipped script or policy is published on first use
    versions = _versions(kind, name)
    live_text = live.text if live else ""
    text = request.form.get("text", live_text).replace("\r\n", "\n")
    parsed, problems = check(kind, name, text)
    if request.method == "POST" and request.form.get("action") == "publish":
        if problems:
            flash("Not published: fix the problems below first.", "error")
        else:
            _publish_form(dbs, kind, name, live, text, f"{kind}.publish")
            return redirect(url_for(".edit", kind=kind, name=name))
    svg, no_svg = picture(kind, parsed)
    return render_template(
        "admin/edit.html", kind=kind, name=name, text=text, live=live, versions=versions,
        problems=problems, diff=diff(live_text, text, name) if text != live_text else [],
        checked=request.method == "POST", svg=svg, no_svg=no_svg,
        languages=list(parsed.languages) if kind == "script" and parsed else [])


@bp.post("/scripts/<kind>/<name>/rollback/<int:number>")
@role_required("admin")
def rollback(kind: str, name: str, number: int) -> Any:
    """Publish an earlier version's text again, as the newest version."""
    kind = _kind(kind)
    dbs = db.session()
    old = dbs.scalar(select(ScriptVersion).where(ScriptVersion.kind == kind,
                                                 ScriptVersion.name == name,
                                                 ScriptVersion.version == number))
    if old is None:
        abort(404)
    try:
        version = scripts.publish(dbs, name, old.text, current_user.username, kind)
    except ScriptError as exc:
        flash(f"Version {number} no longer validates: {exc.problems[0]}", "error")
        return redirect(url_for(".edit", kind=kind, name=name))
    audit(dbs, f"{kind}.rollback", f"{kind} {name}", to_version=number,
          version=version.version)
    dbs.commit()
    flash(f"Rolled back: version {number}'s text is live again as version "
          f"{version.version}.", "ok")
    return redirect(url_for(".edit", kind=kind, name=name))


@bp.get("/scripts/<kind>/<name>/versions/<int:number>")
@role_required("admin")
def version_text(kind: str, name: str, number: int) -> Any:
    old = db.session().scalar(select(ScriptVersion).where(
        ScriptVersion.kind == _kind(kind), ScriptVersion.name == name,
        ScriptVersion.version == number))
    if old is None:
        abort(404)
    return old.text, 200, {"Content-Type": "text/plain; charset=utf-8"}


# ---- the browser phone --------------------------------------------------------------------

@bp.post("/phone/start")
@role_required("admin")
def phone_start() -> Any:
    """Dial the draft script (JSON {name, text}); answers what the caller hears."""
    data = request.get_json(silent=True) or {}
    name = str(data.get("name") or "")
    if len(name) > SCRIPT_NAME_MAX:
        return jsonify({"error": f"a script name has at most {SCRIPT_NAME_MAX} characters"}), 400
    text = str(data.get("text") or "").replace("\r\n", "\n")
    parsed, problems = check("script", name, text)
    if problems:
        return jsonify({"error": "the draft has problems", "problems":
                        [str(p) for p in problems]}), 400
    dbs = db.session()
    draft = scripts.publish(dbs, trial.DRAFT_PREFIX + name, text, current_user.username)
    dbs.commit()
    dbs.close()  # the phone's webhooks run in their own transactions
    return _drive(lambda: trial.dial_draft(draft.id))


@bp.post("/phone/<what>")
@role_required("admin")
def phone_input(what: str) -> Any:
    """Press keys, speak, stay silent or hang up on the trial call."""
    state = session.get("trial_phone")
    if state is None:
        return jsonify({"error": "no trial call: dial first"}), 400
    data = request.get_json(silent=True) or {}
    db.session().close()

    def act():
        phone = trial.restore(state)
        if what == "press":
            phone.press(str(data.get("digits", "")))
        elif what == "speak":
            phone.speak(str(data.get("text", "")))
        elif what == "wait":
            phone.wait()
        elif what == "hangup":
            phone.heard = []
            phone.hung_up = True
            phone.status("completed")
        else:
            abort(404)
        return phone

    return _drive(act)


def _drive(act) -> Any:
    try:
        phone = act()
    except PhoneError as exc:
        session.pop("trial_phone", None)
        return jsonify({"error": str(exc), "hung_up": True}), 409
    if phone.hung_up:
        session.pop("trial_phone", None)
    else:
        session["trial_phone"] = trial.save(phone)
    return jsonify(trial.report(phone))


# ---- agents and tiers -----------------------------------------------------------------------

NAME_MAX = 200  # Agent.name's column


def _agents_page(problem: str | None = None, editing: int | None = None) -> Any:
    """The agents page; with a problem, it is shown over the form as typed (nothing to retype)."""
    dbs = db.session()
    rows = dbs.scalars(select(AgentRow).order_by(AgentRow.tier, AgentRow.name)).all()
    logins = {u.agent_id: u for u in dbs.scalars(select(User).where(User.agent_id.is_not(None)))}
    html = render_template("admin/agents.html", agents=rows, logins=logins, problem=problem,
                           typed=request.form if problem else None, editing=editing)
    return (html, 400) if problem else html


@bp.get("/agents")
@role_required("admin")
def agents() -> Any:
    return _agents_page()


def _agent_form(agent: AgentRow) -> str | None:
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
        holder = db.session().scalar(select(AgentRow).where(AgentRow.phone == number,
                                                            AgentRow.id != (agent.id or 0)))
        if holder is not None:
            return f"{number} is already the phone of {holder.name}"
    agent.name, agent.phone, agent.tier = name, number, tier
    agent.skills = [s.strip() for s in request.form.get("skills", "").split(",") if s.strip()]
    return None


@bp.post("/agents")
@role_required("admin")
def agent_add() -> Any:
    dbs = db.session()
    agent = AgentRow(status="offline")
    problem = _agent_form(agent)
    if problem:
        return _agents_page(f"Not added: {problem}.")
    dbs.add(agent)
    dbs.flush()
    audit(dbs, "agent.add", f"agent {agent.id}", name=agent.name, tier=agent.tier,
          skills=agent.skills)
    dbs.commit()
    flash(f"Agent {agent.name} added to tier {agent.tier}.", "ok")
    return redirect(url_for(".agents"))


@bp.post("/agents/<int:agent_id>")
@role_required("admin")
def agent_edit(agent_id: int) -> Any:
    dbs = db.session()
    agent = dbs.get(AgentRow, agent_id)
    if agent is None:
        abort(404)
    before = {"name": agent.name, "tier": agent.tier, "skills": list(agent.skills or []),
              "phone": agent.phone}
    problem = _agent_form(agent)
    if problem:
        dbs.rollback()
        return _agents_page(f"Not saved: {problem}.", editing=agent_id)
    after = {"name": agent.name, "tier": agent.tier, "skills": agent.skills,
             "phone": agent.phone}
    audit(dbs, "agent.edit", f"agent {agent.id}", before=before, after=after)
    dbs.commit()
    flash(f"Agent {agent.name} saved.", "ok")
    return redirect(url_for(".agents"))


# ---- forms over the live text: business hours, holidays, SLA targets, priority matrix ------

def _publish_form(dbs: Any, kind: str, name: str, live: ScriptVersion | None, text: str,
                  action: str) -> list[Any]:
    """Publish TEXT as the newest version of a script or policy, audited with the lines it
    changes, when it validates and differs from the live one; the problems otherwise (an
    empty list and a flash when nothing changed)."""
    _parsed, problems = check(kind, name, text)
    if problems:
        return problems
    live_text = live.text if live else ""
    if live is not None and text == live_text:
        flash("Nothing changed: the draft is the live version.", "info")
        return []
    version = scripts.publish(dbs, name, text, current_user.username, kind)
    audit(dbs, action, f"{kind} {name}", version=version.version,
          previous=live.version if live else None,
          changes=[line for line in diff(live_text, text, name)
                   if line[:1] in "+-" and line[:3] not in ("+++", "---")])
    dbs.commit()
    flash(f"Published the {name} {kind} version {version.version}. Calls already in progress "
          "keep the version they started with.", "ok")
    return []


@bp.route("/hours", methods=["GET", "POST"])
@role_required("admin")
def hours() -> Any:
    """Opening hours, holidays and SLA targets: published as a new default policy version."""
    dbs = db.session()
    live = scripts.current(dbs, "default", "policy")
    dbs.commit()  # the shipped policy, published on first use
    text = live.text
    data = yaml.safe_load(text) or {}
    problems: list[Any] = []
    if request.method == "POST":
        labels = list((data.get("sla") or {}).keys())
        text = sections.replace_section(text, "hours",
                                        sections.hours_from_form(request.form))
        text = sections.replace_section(text, "sla",
                                        sections.sla_from_form(request.form, labels))
        problems = _publish_form(dbs, "policy", "default", live, text, "policy.hours_sla")
        if not problems:
            return redirect(url_for(".hours"))
        data = yaml.safe_load(text) or {}
    return render_template("admin/hours.html", hours=data.get("hours") or {},
                           days=sections.DAYS, sla=data.get("sla") or {},
                           sla_fields=sections.SLA_FIELDS, problems=problems, live=live)


# ---- the priority matrix (a form over the intake script) -----------------------------------

PRIORITY_SCRIPT = "intake"


@bp.route("/priority", methods=["GET", "POST"])
@role_required("admin")
def priority() -> Any:
    """Impact x urgency, the label each pair gives, and the tier each label is routed to:
    published as a new version of the intake script."""
    dbs = db.session()
    live = scripts.current(dbs, PRIORITY_SCRIPT, "script")
    dbs.commit()
    text = live.text
    data = (yaml.safe_load(text) or {}).get("priority") or {}
    problems: list[Any] = []
    if request.method == "POST":
        text = sections.priority_from_form(request.form, text, data)
        problems = _publish_form(dbs, "script", PRIORITY_SCRIPT, live, text,
                                 "script.priority")
        if not problems:
            return redirect(url_for(".priority"))
        data = (yaml.safe_load(text) or {}).get("priority") or {}
    matrix = data.get("matrix") or {}
    urgencies = list(dict.fromkeys(u for row in matrix.values() for u in row))
    return render_template("admin/priority.html", live=live, matrix=matrix,
                           urgencies=urgencies, labels=data.get("labels") or {},
                           default_label=data.get("default_label"), problems=problems)
