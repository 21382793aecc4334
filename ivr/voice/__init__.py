"""Twilio's webhooks for the help-desk number."""

from flask import Blueprint

bp = Blueprint("voice", __name__, url_prefix="/voice")

from . import agent, outbound, queue, routes  # noqa: E402,F401  (routes attach themselves to bp)
