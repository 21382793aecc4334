"""Who uses the console and the API: logins, their audit trail, API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, utcnow
from .models import Agent

ROLES = ("agent", "team_lead", "admin")


class User(Base):
    """A console login: an analyst (linked to their Agent row), a team lead or an admin."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="agent", server_default="agent")
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agent: Mapped[Agent | None] = relationship()


class AuditLog(Base):
    """Who changed what on the line (scripts, policies, agents, hours), and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(80))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


# What an API token may do (ivr.api checks them; the OpenAPI document names them per call).
SCOPES = {
    "tickets:read": "read tickets and their timelines",
    "notes:write": "add notes to tickets",
    "queues:read": "read the live queues (and /metrics)",
    "incidents:write": "declare, edit and resolve major incidents",
    "callbacks:write": "book callbacks (in line with the phone's) and call them off",
}


class ApiToken(Base):
    """A bearer token for the JSON API and /metrics. Only its SHA-256 is kept. It may do what
    its scopes say, for the tiers it names (None: every tier)."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(default=False, server_default=false())
    scopes: Mapped[list[str]] = mapped_column(default=list)
    tiers: Mapped[list[int] | None] = mapped_column(JSON)

    def may(self, scope: str) -> bool:
        return scope in (self.scopes or ())

    def sees_tier(self, tier: int | None) -> bool:
        return self.tiers is None or tier in self.tiers
