"""Forms over the live YAML: business hours, holidays and SLA targets (the default policy) and
the priority matrix (the intake script). Each publishes a new version through the same audited
path as the script editor, changing only the values the admin changed (comments, quoting and
spacing of everything else stay as they were), so its audit lists just those lines."""

from __future__ import annotations

from typing import Any

import yaml
from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from call_scripts import Problem

from ... import db
from ..auth import role_required
from . import bp, sections
from .scripts import adopt, live, publish
from .yaml_errors import YamlEditError

PRIORITY_SCRIPT = "intake"


def _sections(text: str) -> dict[str, Any]:
    return yaml.safe_load(text) or {}


def _unwritable(source: str, exc: YamlEditError) -> Problem:
    return Problem(source, None, None, f"the form cannot write this change ({exc}); change "
                   "it in the YAML editor instead")


@bp.route("/hours", methods=["GET", "POST"])
@role_required("admin")
def hours() -> ResponseReturnValue:
    """Opening hours, holidays and SLA targets: published as a new default policy version."""
    session = db.session()
    current, text = (adopt if request.method == "POST" else live)(session, "policy", "default")
    problems: list[Any] = []
    if request.method == "POST":
        labels = list((_sections(text).get("sla") or {}).keys())
        try:
            text = sections.write_hours(text, sections.hours_from_form(request.form))
            text = sections.set_value(text, ("sla",),
                                      sections.sla_from_form(request.form, labels))
        except YamlEditError as exc:
            problems = [_unwritable("default.yaml", exc)]
        else:
            problems = publish(session, "policy", "default", current, text, "policy.hours_sla")
        if not problems:
            return redirect(url_for(".hours"))
    data = _sections(text)
    return render_template("admin/hours.html", hours=data.get("hours") or {},
                           days=sections.DAYS, sla=data.get("sla") or {},
                           sla_fields=sections.SLA_FIELDS, problems=problems, live=current)


@bp.route("/priority", methods=["GET", "POST"])
@role_required("admin")
def priority() -> ResponseReturnValue:
    """Impact x urgency, the label each pair gives, and the tier each label is routed to:
    published as a new version of the intake script."""
    session = db.session()
    current, text = (adopt if request.method == "POST" else live)(session, "script",
                                                                  PRIORITY_SCRIPT)
    problems: list[Any] = []
    if request.method == "POST":
        try:
            text = sections.priority_from_form(request.form, text,
                                               _sections(text).get("priority") or {})
        except YamlEditError as exc:
            problems = [_unwritable(f"{PRIORITY_SCRIPT}.yaml", exc)]
        else:
            problems = publish(session, "script", PRIORITY_SCRIPT, current, text,
                               "script.priority")
        if not problems:
            return redirect(url_for(".priority"))
    data = _sections(text).get("priority") or {}
    matrix = data.get("matrix") or {}
    urgencies = list(dict.fromkeys(u for row in matrix.values() for u in row))
    return render_template("admin/priority.html", live=current, matrix=matrix,
                           urgencies=urgencies, labels=data.get("labels") or {},
                           default_label=data.get("default_label"), problems=problems)
