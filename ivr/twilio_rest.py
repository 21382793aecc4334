"""Twilio's REST API as the app uses it: one client per app (tests intercept it with
``responses``), and the router that puts callers through with it. No request needed: the
scheduler and the CLI route exactly as the webhooks do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Flask
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .queues.bridge import Router

BRIDGE_ENDPOINT = "voice.queue_bridge"  # the webhook a dequeued caller is sent to


class RedirectedHttpClient(TwilioHttpClient):
    """Sends each REST request to another origin, path and query kept (TWILIO_API_URL: a
    stand-in for Twilio on a test bench)."""

    def __init__(self, origin: str, **options: Any):
        super().__init__(**options)
        self.origin = urlsplit(origin)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        url = urlunsplit((self.origin.scheme, self.origin.netloc, parts.path, parts.query, ""))
        return super().request(method, url, *args, **kwargs)


def make_client(cfg: Mapping[str, Any], timeout: float | None = None) -> Client:
    """A Twilio REST client for the configured account (and TWILIO_API_URL, when set)."""
    http = (RedirectedHttpClient(cfg["TWILIO_API_URL"], timeout=timeout)
            if cfg.get("TWILIO_API_URL") else TwilioHttpClient(timeout=timeout))
    return Client(cfg["TWILIO_ACCOUNT_SID"], cfg["TWILIO_AUTH_TOKEN"], http_client=http)


def client(app: Flask) -> Client:
    """The app's Twilio client, made once from its configuration."""
    if "twilio_client" not in app.extensions:
        app.extensions["twilio_client"] = make_client(app.config)
    return app.extensions["twilio_client"]


def public_url(app: Flask, endpoint: str, **values: Any) -> str:
    """The absolute URL Twilio fetches for one of the app's endpoints, built from the URL map
    and PUBLIC_BASE_URL (so it needs no request)."""
    path = app.url_map.bind("localhost").build(endpoint, values)
    return app.config["PUBLIC_BASE_URL"] + path


def router(app: Flask) -> Router:
    """Routing through the app's Twilio account, callers sent to its bridge webhook."""
    return Router(client=lambda: client(app),
                  bridge_url=lambda entry_id, agent_id, attempt: public_url(
                      app, BRIDGE_ENDPOINT, e=entry_id, a=agent_id, b=attempt))
