"""Admin pages: call scripts and hold policies (edit, check, diff, publish, roll back, try),
the forms over them (hours and SLA, the priority matrix), analysts and tiers, the delivery
log of webhooks and SMS, and the audit log. Every change is written to the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

# The pages attach themselves to bp.
from . import deliveries, forms, phone, routes, scripts, staff  # noqa: E402,F401
