"""Twilio's REST API as the app uses it: one client per app (tests intercept it with
``responses``), and the router that puts callers through with it. No request needed: the
scheduler and the CLI route exactly as the webhooks do."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from flask import Flask

from .queues.bridge import Router
from .queues.conference import Conferences, ConferenceUrls

if TYPE_CHECKING:
    from twilio.rest import Client

# twilio.rest and requests (about 10 MB) are imported when the first REST call is made, not by
# every web worker at start: most workers only answer webhooks with TwiML.

REST_THREADS = 4  # REST requests of one routing pass made side by side
BRIDGE_ENDPOINT = "voice.queue_bridge"  # the webhook a dequeued caller is sent to


def redirected_http_client(origin: str, **options: Any) -> Any:
    """A Twilio HTTP client sending each REST request to another origin, path and query kept
    (TWILIO_API_URL: a stand-in for Twilio on a test bench)."""
    from twilio.http.http_client import TwilioHttpClient

    class RedirectedHttpClient(TwilioHttpClient):
        def __init__(self, origin: str, **options: Any):
            super().__init__(**options)
            self.origin = urlsplit(origin)

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            parts = urlsplit(url)
            url = urlunsplit((self.origin.scheme, self.origin.netloc, parts.path, parts.query,
                              ""))
            return super().request(method, url, *args, **kwargs)

    return RedirectedHttpClient(origin, **options)


def make_client(cfg: Mapping[str, Any], timeout: float | None = None) -> Client:
    """A Twilio REST client for the configured account (and TWILIO_API_URL, when set)."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    http = (redirected_http_client(cfg["TWILIO_API_URL"], timeout=timeout)
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


def pool(app: Flask) -> Executor:
    """The app's threads for REST requests made side by side (started on first use, in the
    process that uses them: a gunicorn worker, the scheduler)."""
    if "twilio_pool" not in app.extensions:
        app.extensions["twilio_pool"] = ThreadPoolExecutor(max_workers=REST_THREADS,
                                                           thread_name_prefix="twilio")
    return app.extensions["twilio_pool"]


def router(app: Flask) -> Router:
    """Routing through the app's Twilio account, callers sent to its bridge webhook."""
    return Router(client=lambda: client(app),
                  bridge_url=lambda entry_id, agent_id, attempt: public_url(
                      app, BRIDGE_ENDPOINT, e=entry_id, a=agent_id, b=attempt),
                  pool=lambda: pool(app))


def conferences(app: Flask) -> Conferences:
    """Callers' conferences through the app's Twilio account, its webhooks' URLs."""

    def url(endpoint: str, **values: Any) -> str:
        return public_url(app, endpoint, **values)

    return Conferences(
        client=lambda: client(app),
        line_number=app.config["TWILIO_PHONE_NUMBER"],
        urls=ConferenceUrls(
            events=lambda c: url("voice.conference_events", c=c),
            music=lambda c: url("voice.conference_music", c=c),
            analyst=lambda e, c, a: url("voice.queue_whisper", e=e, c=c, a=a),
            leg_status=lambda p: url("voice.conference_leg", p=p),
            requeue=lambda e, why: url("voice.queue_requeue", e=e, why=why),
            hold=lambda c, m: url("voice.conference_hold", c=c, m=m),
        ))
