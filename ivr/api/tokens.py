"""API tokens: made once, shown once, kept only as a SHA-256 hash, each with its scopes and the
tiers it may see."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tickets.accounts import SCOPES, ApiToken
from tickets.workflow import MAX_TIER

PREFIX = "hd_"
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often
# A new token reads; writing notes is asked for. (Tokens older than scopes keep them all:
# migration 0008.)
DEFAULT_SCOPES = ("tickets:read", "queues:read")
TIERS = range(1, MAX_TIER + 2)  # 4: tickets taken beyond tier 3


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, name: str, now: datetime,
                 scopes: Iterable[str] = DEFAULT_SCOPES,
                 tiers: Iterable[int] | None = None) -> tuple[ApiToken, str]:
    """A new token named NAME that may do ``scopes`` for ``tiers`` (None: every tier);
    returns the row and the token itself (not stored anywhere)."""
    name = (name or "").strip()
    if not name:
        raise ValueError("a token needs a name")
    scopes = sorted(set(scopes))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValueError(f"scopes are some of {', '.join(SCOPES)}"
                         + (f" (not {', '.join(unknown)})" if unknown else ""))
    tier_list = sorted(set(tiers)) if tiers is not None else None
    if tier_list is not None and (not tier_list or any(t not in TIERS for t in tier_list)):
        raise ValueError(f"tiers are {TIERS.start} to {TIERS.stop - 1}")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name[:80], token_hash=digest(token), created_at=now, scopes=scopes,
                   tiers=tier_list)
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
