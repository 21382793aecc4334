"""Rewrite one top-level section of a policy's YAML (hours, sla), keeping the rest of the text
and its comments as the admin wrote them."""

from __future__ import annotations

import re
from typing import Any

import yaml

TOP_LEVEL = re.compile(r"^[A-Za-z_][\w-]*\s*:")


def replace_section(text: str, key: str, value: Any) -> str:
    """TEXT with its top-level KEY block replaced by VALUE (appended when absent)."""
    dumped = yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True,
                            default_flow_style=None).rstrip("\n")
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(rf"^{re.escape(key)}\s*:",
                                                                  line)), None)
    if start is None:
        return text.rstrip("\n") + "\n\n" + dumped + "\n"
    end = start + 1
    while end < len(lines) and not TOP_LEVEL.match(lines[end]):
        end += 1
    # Comment lines just before the next key belong to that key, not to this block.
    while end - 1 > start and lines[end - 1].lstrip().startswith("#"):
        end -= 1
    while end - 1 > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[:start] + dumped.splitlines() + lines[end:]) + "\n"


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
