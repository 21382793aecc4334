"""Twilio's REST API client, made per app from configuration (tests intercept it with responses)."""

from __future__ import annotations

from flask import current_app
from twilio.rest import Client


def client() -> Client:
    cfg = current_app.config
    if "twilio_client" not in current_app.extensions:
        current_app.extensions["twilio_client"] = Client(cfg["TWILIO_ACCOUNT_SID"],
                                                         cfg["TWILIO_AUTH_TOKEN"])
    return current_app.extensions["twilio_client"]
