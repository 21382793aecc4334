"""Signed webhooks, the Standard Webhooks way (https://www.standardwebhooks.com): a JSON body
``{"type", "timestamp", "data"}`` with the headers ``webhook-id`` (the outbox message's, the same
on every try, so a receiver drops repeats), ``webhook-timestamp`` and ``webhook-signature``,
signed by the ``standardwebhooks`` library with the target's secret. A receiver verifies with
the same library: ``Webhook(secret).verify(body, headers)``."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests
from standardwebhooks.webhooks import Webhook

from tickets.phones import mask_numbers

from .deliverer import Parcel, Sent
from .settings import Integrations

TIMEOUT = 10  # seconds: well inside the lease
TRANSIENT = {408, 409, 425, 429}  # and every 5xx: the receiver may take it later
USER_AGENT = "helpdesk-ivr-webhooks/1"


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form (whsec_ and 32 random bytes)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def body_of(topic: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    """The JSON a webhook carries."""
    return {"type": topic, "timestamp": at.isoformat().replace("+00:00", "Z"), "data": data}


def message_id(parcel: Parcel) -> str:
    return f"msg_{parcel.id}"


class WebhookChannel:
    """Posts outbox messages to the configured webhook URLs."""

    def __init__(self, integrations: Integrations,
                 http: Callable[[], requests.Session] = requests.Session,
                 wall_clock: Callable[[], float] = time.time):
        self.integrations = integrations
        self.http = http
        self.wall_clock = wall_clock  # the signature's time is when it leaves, for real

    def send(self, parcel: Parcel) -> Sent:
        target = self.integrations.webhook(parcel.target)
        if target is None:
            return Sent(parcel, False, f"no webhook named {parcel.target!r} is configured now")
        body = json.dumps(parcel.payload, separators=(",", ":"), ensure_ascii=False)
        msg_id = message_id(parcel)
        sent_at = datetime.fromtimestamp(int(self.wall_clock()), UTC)
        signature = Webhook(target.signing_secret).sign(msg_id, sent_at, body)
        headers = {"webhook-id": msg_id, "webhook-timestamp": str(int(sent_at.timestamp())),
                   "webhook-signature": signature, "content-type": "application/json",
                   "user-agent": USER_AGENT}
        try:
            with self.http() as http:
                response = http.post(target.url, data=body.encode(), headers=headers,
                                     timeout=TIMEOUT, allow_redirects=False)
        except requests.RequestException as exc:
            return Sent(parcel, False, f"could not reach the receiver: "
                        f"{exc.__class__.__name__}", transient=True)
        code = response.status_code
        if 200 <= code < 300:
            return Sent(parcel, True, code=code)
        reason = mask_numbers((response.reason or "")[:80])
        return Sent(parcel, False, f"the receiver answered HTTP {code} {reason}".strip(),
                    transient=code in TRANSIENT or code >= 500, code=code)
