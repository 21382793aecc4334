"""Admin pages: call scripts and hold policies (edit, check, diff, publish, roll back, try),
agents and tiers, and the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import routes  # noqa: E402,F401  (routes attach themselves to bp)
