"""Rewrite one section of a script's or policy's YAML (hours, sla, priority.matrix, ...),
keeping the rest of the text and its comments as the admin wrote them."""

from __future__ import annotations

import re
from typing import Any

import yaml


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


def hours_from_form(form: Any, days: tuple[str, ...]) -> dict[str, Any]:
    """The `hours` section from the hours form (ranges like 08:00-12:00, 13:00-18:00)."""
    weekly = {}
    for day in days:
        ranges = [r.strip() for r in form.get(f"day_{day}", "").split(",") if r.strip()]
        if ranges:
            weekly[day] = ranges
    holidays = [h.strip() for h in re.split(r"[\s,]+", form.get("holidays", "")) if h.strip()]
    emergency = [e.strip() for e in form.get("emergency_labels", "").split(",") if e.strip()]
    return {"timezone": form.get("timezone", "UTC").strip() or "UTC", "weekly": weekly,
            "holidays": holidays, "emergency_labels": emergency}
