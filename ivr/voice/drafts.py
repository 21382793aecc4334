"""Draft trials: a signed token in the incoming webhook's URL makes the call run a draft script
version instead of the live one (the admin console's browser phone dials with it). It lives
here, beside the webhook that reads it, so the webhooks never import the console."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

DRAFT_SALT = "draft-script-call"
DRAFT_MAX_AGE = 3600  # seconds a token stays good


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DRAFT_SALT)


def draft_token(version_id: int) -> str:
    """A query parameter that makes /voice/incoming run this script version."""
    return _serializer().dumps(version_id)


def draft_version_id(token: str | None) -> int | None:
    """The script version a signed draft token names (None if absent, forged or stale)."""
    if not token:
        return None
    try:
        value = _serializer().loads(token, max_age=DRAFT_MAX_AGE)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None
