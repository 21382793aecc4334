"""The admin's home page and the audit log."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from tickets.accounts import AuditLog

from ... import db
from ..auth import role_required
from . import bp

AUDIT_PAGE = 200


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
