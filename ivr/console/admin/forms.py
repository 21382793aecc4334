"""Forms over the live YAML: business hours, holidays and SLA targets (the default policy) and
the priority matrix (the intake script). Each publishes a new version through the same audited
path as the script editor, keeping the rest of the text and its comments."""

from __future__ import annotations

from typing import Any

import yaml
from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ... import db
from ..auth import role_required
from . import bp, sections
from .scripts import adopt, live, publish

PRIORITY_SCRIPT = "intake"


def _sections(text: str) -> dict[str, Any]:
    return yaml.safe_load(text) or {}


@bp.route("/hours", methods=["GET", "POST"])
@role_required("admin")
def hours() -> ResponseReturnValue:
    """Opening hours, holidays and SLA targets: published as a new default policy version."""
    session = db.session()
    current, text = (adopt if request.method == "POST" else live)(session, "policy", "default")
    problems: list[Any] = []
    if request.method == "POST":
        labels = list((_sections(text).get("sla") or {}).keys())
        text = sections.replace_section(text, "hours", sections.hours_from_form(request.form))
        text = sections.replace_section(text, "sla",
                                        sections.sla_from_form(request.form, labels))
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
        text = sections.priority_from_form(request.form, text,
                                           _sections(text).get("priority") or {})
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
