"""Major incidents in the console: team leads and admins declare, edit and resolve them and
see the "possible incident" suggestions; every analyst sees the banner and the linked callers."""

from flask import Blueprint

bp = Blueprint("incidents", __name__, url_prefix="/console/incidents")

from . import routes  # noqa: E402,F401  (routes attach themselves to bp)
