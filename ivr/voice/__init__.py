"""Twilio's webhooks for the help-desk number (every one registered through ``webhook``)."""

from flask import Blueprint

bp = Blueprint("voice", __name__, url_prefix="/voice")

from . import agent, conference, hold, inbound, outbound, sms  # noqa: E402,F401  (webhooks attach themselves to bp)
