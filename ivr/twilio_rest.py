"""Twilio's REST API as the app uses it: one client per app (tests intercept it with
``responses``), and the router that puts callers through with it. No request needed: the
scheduler and the CLI route exactly as the webhooks do."""

from __future__ import annotations

from typing import Any

from flask import Flask
from twilio.rest import Client

from .queues.bridge import Router

BRIDGE_ENDPOINT = "voice.queue_bridge"  # the webhook a dequeued caller is sent to


def client(app: Flask) -> Client:
    """The app's Twilio client, made once from its configuration."""
    if "twilio_client" not in app.extensions:
        cfg = app.config
        app.extensions["twilio_client"] = Client(cfg["TWILIO_ACCOUNT_SID"],
                                                 cfg["TWILIO_AUTH_TOKEN"])
    return app.extensions["twilio_client"]


def public_url(app: Flask, endpoint: str, **values: Any) -> str:
    """The absolute URL Twilio fetches for one of the app's endpoints, built from the URL map
    and PUBLIC_BASE_URL (so it needs no request)."""
    path = app.url_map.bind("localhost").build(endpoint, values)
    return app.config["PUBLIC_BASE_URL"] + path


def router(app: Flask) -> Router:
    """Routing through the app's Twilio account, callers sent to its bridge webhook."""
    return Router(client=lambda: client(app),
                  bridge_url=lambda entry_id, agent_id: public_url(
                      app, BRIDGE_ENDPOINT, e=entry_id, a=agent_id))
