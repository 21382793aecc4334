"""The fields a call collects: dotted lookups, branch conditions, the priority matrix."""

from __future__ import annotations

import copy
import re
from typing import Any

from .model import Condition, Script
from .problems import ScriptRuntimeError


def lookup(fields: dict[str, Any], path: str) -> Any:
    """Resolve a dotted path ('caller.language') in the collected fields."""
    value: Any = fields
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return None
    return value


_ATOMS = (str, int, float, bool, type(None))


def copied(value: Any) -> Any:
    """A deep copy of JSON-shaped data (a call's state and fields), several times cheaper than
    ``copy.deepcopy`` on it; anything else in it is deep-copied as usual."""
    kind = type(value)
    if kind is dict:
        return {key: copied(item) for key, item in value.items()}
    if kind is list:
        return [copied(item) for item in value]
    if kind in _ATOMS:
        return value
    return copy.deepcopy(value)


def value_of(fields: dict[str, Any], value: Any) -> Any:
    """A set value: '{path}' copies a collected field, anything else is taken as written."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return copy.deepcopy(lookup(fields, value[1:-1]))
    return copy.deepcopy(value)


def matches(cond: Condition, fields: dict[str, Any]) -> bool:
    """Whether the collected fields meet a branch's condition."""
    value = lookup(fields, cond.field)
    if cond.present is not None and (value not in (None, "", [], {})) != cond.present:
        return False
    if cond.equals is not None and value != cond.equals:
        return False
    if cond.not_equals is not None and value == cond.not_equals:
        return False
    if cond.in_ is not None and value not in cond.in_:
        return False
    if cond.words is not None and not any(said(w, str(value or "")) for w in cond.words):
        return False
    if cond.gt is not None:
        try:
            if not float(value) > cond.gt:
                return False
        except (TypeError, ValueError):
            return False
    return True


def said(phrase: str, spoken: str) -> bool:
    """Whether this word or phrase is in what was said (whole words: 'ya' is not in 'saya')."""
    return re.search(rf"(?<!\w){re.escape(phrase.lower())}(?!\w)", spoken.lower()) is not None


def assess_priority(script: Script, fields: dict[str, Any]) -> str:
    """The priority label for the caller's answers (impact x urgency, or planned event)."""
    pr = script.priority
    if pr is None:
        raise ScriptRuntimeError("script has no priority section")
    if str(lookup(fields, pr.planned_field)) == pr.planned_value:
        return pr.planned_label
    impact = str(lookup(fields, pr.impact_field))
    urgency = str(lookup(fields, pr.urgency_field))
    return pr.matrix.get(impact, {}).get(urgency, pr.default_label)
