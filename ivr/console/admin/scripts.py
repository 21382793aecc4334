"""Call scripts and hold policies in the browser: list, edit, check (problems by line and step,
the diff, the flow), publish, roll back.

Reading a page changes nothing: a shipped script or policy that no call has used yet is shown
from its file. It is published as it ships (version 1, "shipped", as the first call would) when
an admin sends a change to it, so that the change's history starts from the file.
"""

from __future__ import annotations

import difflib
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from call_scripts import ScriptError
from tickets import versions
from tickets.models import ScriptVersion

from ... import db
from ..auth import audit, role_required
from . import bp, flow, trial

KINDS = ("script", "policy")
# ScriptVersion.name holds 80 characters, a trial call's draft its prefix too.
SCRIPT_NAME_MAX = 80 - len(trial.DRAFT_PREFIX)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        abort(404)
    return kind


# ---- reading (never publishes) --------------------------------------------------------------

def history(session: Session, kind: str, name: str) -> list[ScriptVersion]:
    """Every published version, newest first."""
    return list(session.scalars(
        select(ScriptVersion).where(ScriptVersion.kind == kind, ScriptVersion.name == name)
        .order_by(ScriptVersion.version.desc())))


def live(session: Session, kind: str, name: str) -> tuple[ScriptVersion | None, str]:
    """(the live version, its text); (None, the shipped file's text) for a shipped one not yet
    published; (None, "") for a name that is neither."""
    newest = session.scalar(
        select(ScriptVersion).where(ScriptVersion.kind == kind, ScriptVersion.name == name)
        .order_by(ScriptVersion.version.desc()).limit(1))
    if newest is not None:
        return newest, newest.text
    shipped = versions.shipped(kind).get(name)
    return None, shipped.read_text(encoding="utf-8") if shipped else ""


def listing(session: Session) -> list[tuple[str, str, int | None]]:
    """(kind, name, live version) of every script and policy, the shipped ones not yet
    published too (version None); trial drafts left out."""
    published = session.execute(
        select(ScriptVersion.kind, ScriptVersion.name, func.max(ScriptVersion.version))
        .where(~ScriptVersion.name.startswith(trial.DRAFT_PREFIX))
        .group_by(ScriptVersion.kind, ScriptVersion.name))
    rows: dict[tuple[str, str], int | None] = {(k, n): v for k, n, v in published}
    for kind in KINDS:
        for name in versions.shipped(kind):
            rows.setdefault((kind, name), None)
    return sorted(((k, n, v) for (k, n), v in rows.items()), key=lambda r: (r[0] != "script",
                                                                           r[1]))


def check(kind: str, name: str, text: str) -> tuple[Any, list[Any]]:
    """Parse a draft: (the parsed script or policy, []) or (None, the problems)."""
    try:
        return versions.PARSERS[kind](text, f"{name}.yaml"), []
    except ScriptError as exc:
        return None, list(exc.problems)


def diff(live_text: str, draft: str, name: str) -> list[str]:
    return list(difflib.unified_diff(live_text.splitlines(), draft.splitlines(),
                                     f"{name} (live)", f"{name} (draft)", lineterm=""))


def picture(kind: str, parsed: Any) -> tuple[str | None, str | None]:
    """(SVG, None) for a script, (None, why not) when it cannot be drawn."""
    if kind != "script" or parsed is None:
        return None, None
    try:
        return flow.to_svg(parsed), None
    except flow.FlowError as exc:
        return None, str(exc)


# ---- publishing -----------------------------------------------------------------------------

def adopt(session: Session, kind: str, name: str) -> tuple[ScriptVersion | None, str]:
    """The live version to change and its text: a shipped one not yet published is published
    first, as it ships; (None, "") for a new name."""
    current = versions.find(session, name, kind)
    session.commit()
    return current, current.text if current else ""


def publish(session: Session, kind: str, name: str, current: ScriptVersion | None, text: str,
            action: str) -> list[Any]:
    """Publish TEXT as the newest version after CURRENT (see ``adopt``), audited with the lines
    it changes, when it validates and differs from CURRENT; the problems otherwise (an empty
    list and a flash when nothing changed)."""
    _parsed, problems = check(kind, name, text)
    if problems:
        return problems
    live_text = current.text if current else ""
    if current is not None and text == live_text:
        flash("Nothing changed: the draft is the live version.", "info")
        return []
    version = versions.publish(session, name, text, current_user.username, kind)
    audit(session, action, f"{kind} {name}", version=version.version,
          previous=current.version if current else None,
          changes=[line for line in diff(live_text, text, name)
                   if line[:1] in "+-" and line[:3] not in ("+++", "---")])
    session.commit()
    flash(f"Published the {name} {kind} version {version.version}. Calls already in progress "
          "keep the version they started with.", "ok")
    return []


# ---- pages ----------------------------------------------------------------------------------

@bp.get("/scripts", endpoint="scripts")
@role_required("admin")
def scripts_list() -> str:
    return render_template("admin/scripts.html", rows=listing(db.session()))


@bp.route("/scripts/<kind>/<name>", methods=["GET", "POST"])
@role_required("admin")
def edit(kind: str, name: str) -> ResponseReturnValue:
    """Edit the YAML; 'Check' shows problems (line, step) and the diff, 'Publish' stores it."""
    kind = _kind(kind)
    if name.startswith(trial.DRAFT_PREFIX) or len(name) > SCRIPT_NAME_MAX:
        abort(404)
    session = db.session()
    text = request.form.get("text", live(session, kind, name)[1]).replace("\r\n", "\n")
    if request.method == "POST" and request.form.get("action") == "publish":
        current, _ = adopt(session, kind, name)
        if not publish(session, kind, name, current, text, f"{kind}.publish"):
            return redirect(url_for(".edit", kind=kind, name=name))
        flash("Not published: fix the problems below first.", "error")
    current, live_text = live(session, kind, name)
    parsed, problems = check(kind, name, text)
    svg, no_svg = picture(kind, parsed)
    return render_template(
        "admin/edit.html", kind=kind, name=name, text=text, live=current,
        shipped=current is None and bool(live_text), versions=history(session, kind, name),
        problems=problems, diff=diff(live_text, text, name) if text != live_text else [],
        checked=request.method == "POST", svg=svg, no_svg=no_svg,
        languages=list(parsed.languages) if kind == "script" and parsed else [])


@bp.post("/scripts/<kind>/<name>/rollback/<int:number>")
@role_required("admin")
def rollback(kind: str, name: str, number: int) -> ResponseReturnValue:
    """Publish an earlier version's text again, as the newest version."""
    kind = _kind(kind)
    session = db.session()
    old = session.scalar(select(ScriptVersion).where(ScriptVersion.kind == kind,
                                                     ScriptVersion.name == name,
                                                     ScriptVersion.version == number))
    if old is None:
        abort(404)
    try:
        version = versions.publish(session, name, old.text, current_user.username, kind)
    except ScriptError as exc:
        flash(f"Version {number} no longer validates: {exc.problems[0]}", "error")
        return redirect(url_for(".edit", kind=kind, name=name))
    audit(session, f"{kind}.rollback", f"{kind} {name}", to_version=number,
          version=version.version)
    session.commit()
    flash(f"Rolled back: version {number}'s text is live again as version "
          f"{version.version}.", "ok")
    return redirect(url_for(".edit", kind=kind, name=name))


@bp.get("/scripts/<kind>/<name>/versions/<int:number>")
@role_required("admin")
def version_text(kind: str, name: str, number: int) -> ResponseReturnValue:
    old = db.session().scalar(select(ScriptVersion).where(
        ScriptVersion.kind == _kind(kind), ScriptVersion.name == name,
        ScriptVersion.version == number))
    if old is None:
        abort(404)
    return old.text, 200, {"Content-Type": "text/plain; charset=utf-8"}
