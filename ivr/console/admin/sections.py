"""The admin forms over YAML: read what a form says (hours, SLA targets, the priority matrix)
and write it into the text with ``yaml_edit``, which changes only the values that differ."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SLA_FIELDS = ("response_minutes", "resolution_minutes", "update_minutes")


def set_value(text: str, path: Sequence[str], value: Any) -> str:
    """``yaml_edit.set_value``, loaded (with ruamel.yaml) by the first form sent, not by every
    web worker."""
    from .yaml_edit import set_value as edit

    return edit(text, path, value)


def hours_from_form(form: Any) -> dict[str, Any]:
    """The `hours` section from the hours form (ranges like 08:00-12:00, 13:00-18:00)."""
    weekly = {}
    for day in DAYS:
        ranges = [r.strip() for r in form.get(f"day_{day}", "").split(",") if r.strip()]
        if ranges:
            weekly[day] = ranges
    holidays = [_day(h) for h in re.split(r"[\s,]+", form.get("holidays", "")) if h.strip()]
    emergency = [e.strip() for e in form.get("emergency_labels", "").split(",") if e.strip()]
    return {"timezone": form.get("timezone", "UTC").strip() or "UTC", "weekly": weekly,
            "holidays": holidays, "emergency_labels": emergency}


def _day(text: str) -> date | str:
    """A holiday as a date (as YAML reads 2026-12-25); any other text is kept for the
    policy's check to name."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return text.strip()


def write_hours(text: str, hours: dict[str, Any]) -> str:
    """TEXT with each of the form's `hours` keys set (keys the form does not show are kept)."""
    for key, value in hours.items():
        text = set_value(text, ("hours", key), value)
    return text


def sla_from_form(form: Any, labels: list[str]) -> dict[str, Any]:
    """The `sla` section from the form: each label's targets in minutes (a value that is not
    a number is kept, for the policy's check to name)."""
    sla: dict[str, Any] = {}
    for label in labels:
        target: dict[str, Any] = {}
        for field in SLA_FIELDS:
            raw = form.get(f"sla_{label}_{field}", "").strip()
            if raw:
                target[field] = int(raw) if raw.isdigit() else raw
        if target:
            sla[label] = target
    return sla


def priority_from_form(form: Any, text: str, priority: dict[str, Any]) -> str:
    """TEXT with the matrix cells, the default label and each label's tier from the form;
    a field the form lacks keeps its value."""
    matrix = {impact: {urgency: form.get(f"cell_{impact}_{urgency}", label).strip()
                       for urgency, label in row.items()}
              for impact, row in (priority.get("matrix") or {}).items()}
    text = set_value(text, ("priority", "matrix"), matrix)
    default = form.get("default_label", "").strip()
    if default:
        text = set_value(text, ("priority", "default_label"), default)
    for label, spec in (priority.get("labels") or {}).items():
        tier = form.get(f"tier_{label}", "").strip()
        if tier and str(spec.get("tier")) != tier:
            text = set_value(text, ("priority", "labels", label, "tier"),
                             int(tier) if tier.isdigit() else tier)
    return text
