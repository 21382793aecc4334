"""The admin's home page and the audit log."""

from __future__ import annotations

import json
from typing import Any

from flask import render_template
from sqlalchemy import select

from tickets.accounts import AuditLog

from ... import db
from ..auth import role_required
from . import bp

AUDIT_PAGE = 200


@bp.app_template_filter("audit_facts")
def audit_facts(detail: dict[str, Any] | None) -> str:
    """An audit row's details as `key: value` pairs (the lines a change made are shown apart,
    as a diff)."""
    facts = {k: v for k, v in (detail or {}).items() if k != "changes"}
    return ", ".join(f"{key}: {value if isinstance(value, str) else _plain(value)}"
                     for key, value in facts.items())


def _plain(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


@bp.get("/")
@role_required("admin")
def index() -> str:
    recent = db.session().scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(10)).all()
    return render_template("admin/index.html", recent=recent)


@bp.get("/audit")
@role_required("admin")
def audit_log() -> str:
    rows = db.session().scalars(select(AuditLog).order_by(AuditLog.id.desc())
                                .limit(AUDIT_PAGE)).all()
    return render_template("admin/audit.html", rows=rows)
