"""The admin forms over YAML: read a section from a form (hours, SLA targets, the priority
matrix) and rewrite just that section, keeping the rest of the text and its comments as the
admin wrote them."""

from __future__ import annotations

import re
from typing import Any

import yaml

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SLA_FIELDS = ("response_minutes", "resolution_minutes", "update_minutes")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _content(line: str) -> bool:
    """A line that holds YAML, not a blank or a comment."""
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _block_end(lines: list[str], start: int) -> int:
    """The line after the block opened by the key on line START (comments and blank lines
    just before the next key belong to that key)."""
    indent = _indent(lines[start])
    end = start + 1
    while end < len(lines) and not (_content(lines[end]) and _indent(lines[end]) <= indent):
        end += 1
    while end - 1 > start and not _content(lines[end - 1]):
        end -= 1
    return end


def _find(lines: list[str], key: str, start: int, end: int, indent: int) -> int | None:
    pattern = re.compile(rf"^ {{{indent}}}{re.escape(key)}\s*:")
    return next((i for i in range(start, end) if pattern.match(lines[i])), None)


def _dump(key: str, value: Any, indent: int) -> list[str]:
    # Block style for the key itself; innermost mappings and lists of scalars on one line.
    flow = None if isinstance(value, (dict, list)) else False
    dumped = yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True,
                            default_flow_style=flow, width=100)
    return [" " * indent + line for line in dumped.rstrip("\n").splitlines()]


def replace_section(text: str, path: str, value: Any) -> str:
    """TEXT with the block at PATH (keys joined by dots, e.g. "priority.matrix") replaced by
    VALUE; a missing key is added at the end of its parent."""
    lines = text.splitlines()
    keys = path.split(".")
    start, end, indent = 0, len(lines), 0
    for depth, key in enumerate(keys):
        found = _find(lines, key, start, end, indent)
        if found is None:
            rest: Any = value
            for inner in reversed(keys[depth + 1:]):
                rest = {inner: rest}
            at = end
            while at > start and not _content(lines[at - 1]):
                at -= 1
            gap = [""] if depth == 0 and at else []
            lines[at:at] = gap + _dump(key, rest, indent)
            return "\n".join(lines) + "\n"
        if depth == len(keys) - 1:
            lines[found:_block_end(lines, found)] = _dump(key, value, indent)
            return "\n".join(lines) + "\n"
        start, end = found + 1, _block_end(lines, found)
        child = next((i for i in range(start, end) if _content(lines[i])), None)
        indent = _indent(lines[child]) if child is not None else indent + 2
    return text


def hours_from_form(form: Any) -> dict[str, Any]:
    """The `hours` section from the hours form (ranges like 08:00-12:00, 13:00-18:00)."""
    weekly = {}
    for day in DAYS:
        ranges = [r.strip() for r in form.get(f"day_{day}", "").split(",") if r.strip()]
        if ranges:
            weekly[day] = ranges
    holidays = [h.strip() for h in re.split(r"[\s,]+", form.get("holidays", "")) if h.strip()]
    emergency = [e.strip() for e in form.get("emergency_labels", "").split(",") if e.strip()]
    return {"timezone": form.get("timezone", "UTC").strip() or "UTC", "weekly": weekly,
            "holidays": holidays, "emergency_labels": emergency}


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
    text = replace_section(text, "priority.matrix", matrix)
    default = form.get("default_label", "").strip()
    if default:
        text = replace_section(text, "priority.default_label", default)
    for label, spec in (priority.get("labels") or {}).items():
        tier = form.get(f"tier_{label}", "").strip()
        if tier and str(spec.get("tier")) != tier:
            text = replace_section(text, f"priority.labels.{label}.tier",
                                   int(tier) if tier.isdigit() else tier)
    return text
