"""Health: /healthz (the process answers) and /readyz (it can serve: database, schema, scheduler).

The scheduler records a heartbeat with ``beat(db, now)`` every minute; /readyz calls it stale after
SCHEDULER_STALE_SECONDS. Both answer without logging in, in a few milliseconds: /readyz runs
three small queries on one pooled connection and never loads the migration scripts twice.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any, cast

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import String, delete, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from tickets.db import Base, UTCDateTime

from . import clock, migrate

bp = Blueprint("health", __name__)


class SchedulerHeartbeat(Base):
    """The last time each scheduler process said it was alive (one row per process)."""

    __tablename__ = "scheduler_heartbeat"

    owner: Mapped[str] = mapped_column(String(120), primary_key=True)  # host:pid
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)


def beat(db: Session, at: datetime, owner: str | None = None) -> None:
    """Record that this scheduler is alive at ``at`` (the scheduler does, every minute; the
    caller commits). Rows of processes gone for a day are dropped."""
    owner = owner or f"{socket.gethostname()}:{os.getpid()}"
    result = db.execute(update(SchedulerHeartbeat).where(SchedulerHeartbeat.owner == owner)
                        .values(beat_at=at))
    found = cast(CursorResult, result).rowcount
    if not found:
        db.add(SchedulerHeartbeat(owner=owner, beat_at=at))
    db.execute(delete(SchedulerHeartbeat).where(
        SchedulerHeartbeat.beat_at < at - timedelta(days=1)))


@bp.get("/healthz")
def healthz() -> tuple[str, int]:
    """The process is up and answering (no database touched)."""
    return "ok", 200


@bp.get("/readyz")
def readyz() -> Any:
    """Ready when the database answers, its schema is this code's and a scheduler is alive."""
    checks = readiness(current_app.extensions["engine"], clock.now(),
                       current_app.config["SCHEDULER_STALE_SECONDS"])
    ready = all(check["ok"] for check in checks.values())
    return jsonify(status="ready" if ready else "unready", checks=checks), 200 if ready else 503


def readiness(engine, now: datetime, stale_after: int) -> dict[str, dict[str, Any]]:
    """Each check with ok and, when not ok (or worth saying), why."""
    checks: dict[str, dict[str, Any]] = {}
    try:
        with engine.connect() as conn:
            checks["database"] = {"ok": True}
            checks["migrations"] = _migrations(migrate.current_heads(conn))
            checks["scheduler"] = _scheduler(conn, now, stale_after)
    except SQLAlchemyError as exc:
        error = type(getattr(exc, "orig", None) or exc).__name__  # no URL or host in the answer
        if "database" not in checks:
            checks["database"] = {"ok": False, "detail": f"unreachable ({error})"}
        else:
            checks.setdefault("migrations", {"ok": False, "detail": f"unknown ({error})"})
            checks.setdefault("scheduler", {"ok": False, "detail": f"unknown ({error})"})
    return checks


def _migrations(current: set[str]) -> dict[str, Any]:
    expected = migrate.script_heads()
    if current == expected:
        return {"ok": True, "revision": ", ".join(sorted(current))}
    known = migrate.known_revisions()
    if current and not current & known:
        # A newer release migrated the database first (the upgrade order): this host
        # serves on until it is restarted on the new release.
        return {"ok": True, "detail": f"database at {', '.join(sorted(current))}, newer than "
                                      f"this release ({', '.join(sorted(expected))})"}
    return {"ok": False, "detail": f"database at {', '.join(sorted(current)) or 'no revision'},"
                                   f" this release needs {', '.join(sorted(expected))}: "
                                   "run `helpdesk-ivr db upgrade`"}


def _scheduler(conn, now: datetime, stale_after: int) -> dict[str, Any]:
    last = conn.scalar(select(func.max(SchedulerHeartbeat.beat_at)))
    if last is None:
        return {"ok": False, "detail": "no scheduler heartbeat yet"}
    age = int((now - last).total_seconds())
    if age > stale_after:
        return {"ok": False, "detail": f"last scheduler heartbeat {age} s ago "
                                       f"(stale after {stale_after} s)"}
    return {"ok": True, "age_seconds": max(age, 0)}


def register_health(app: Flask) -> None:
    app.register_blueprint(bp)
