"""The reports page for team leads and admins: every table of ``figures`` with a chart,
and a CSV download of each."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from . import routes  # noqa: E402,F401  (routes attach themselves to bp)
