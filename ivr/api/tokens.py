"""API tokens: made once, shown once, kept only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tickets.accounts import ApiToken

PREFIX = "hd_"
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, name: str, now: datetime) -> tuple[ApiToken, str]:
    """A new token named NAME; returns the row and the token itself (not stored anywhere)."""
    name = (name or "").strip()
    if not name:
        raise ValueError("a token needs a name")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name[:80], token_hash=digest(token), created_at=now)
    session.add(row)
    session.flush()
    return row, token


def check_token(session: Session, token: str | None, now: datetime) -> ApiToken | None:
    """The live token row for a presented token, or None; notes when it was last used
    (the caller commits)."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token),
                                                ApiToken.revoked.is_(False)))
    if row is not None and (row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY):
        row.last_used_at = now
    return row


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header."""
    scheme, _, token = (header or "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def revoke(session: Session, name: str) -> int:
    """Revoke every live token of that name; returns how many."""
    rows = session.scalars(select(ApiToken).where(ApiToken.name == name,
                                                  ApiToken.revoked.is_(False))).all()
    for row in rows:
        row.revoked = True
    return len(rows)
