"""Reading a JSON request body: each value checked, a wrong one answered as a 400 naming it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g, request

from .errors import ApiError


def body() -> dict[str, Any]:
    """The body, a JSON object."""
    found = request.get_json(silent=True)
    if not isinstance(found, dict):
        raise ApiError(400, "the body must be a JSON object", "body")
    return found


def string(body: dict[str, Any], name: str, max_length: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_length or "\x00" in value:
        raise ApiError(400, f"{name} must be a string of at most {max_length} characters", name)
    return value


def time(body: dict[str, Any], name: str) -> datetime | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ApiError(400, f"{name} must be a date and time with its offset, like "
                       "2026-11-23T11:00:00+00:00", name)
    return at


def text(body: dict[str, Any], name: str, max_length: int,
               required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > max_length or \
            "\x00" in value:
        raise ApiError(400, f"{name} must be a non-empty string of at most {max_length} "
                       "characters", name)
    return value.strip()


def actor() -> str:
    """Who made the change, as the timeline and the audit log name an API token."""
    return f"api:{g.api_token.name}"[:80]
