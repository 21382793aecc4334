"""The agent console: status, the live queue of the agent's tiers, tickets and their actions."""

from flask import Blueprint

bp = Blueprint("agents", __name__, url_prefix="/console")

from . import calls, recordings, routes, softphone, supervise, tickets  # noqa: E402,F401  (routes attach themselves to bp)
