"""Try a draft script before publishing: a server-side phone drives the app's own webhooks.

The browser never sees the Twilio auth token: it talks to the logged-in admin endpoints, which
sign each webhook request here with RequestValidator (ivr.phone.Phone) and send it through the
Flask test client. The draft is a ScriptVersion named "draft:<name>" (never live: calls look
scripts up by their own name); the incoming webhook is told to run it by a signed query
parameter. The phone's state travels in the user's session between key presses, so any web
worker can serve the next one.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from flask import current_app

from ...phone import Phone, Prompt, Transport, local_url
from ...voice.drafts import draft_token

DRAFT_PREFIX = "draft:"
TRIAL_CALLER = "+15555550100"
QUEUE_PATHS = "/voice/queue"
# Where a draft hands the caller to the live queues, the trial ends: it must never take a
# place in line or an analyst.
END_AT_QUEUE = ("<Response><Say>[The draft hands the caller to the queues here: the trial call "
                "ends.]</Say><Hangup/></Response>")


def _transport() -> Transport:
    client = current_app.test_client()

    def send(url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        path = local_url(url, "")
        if path.startswith(QUEUE_PATHS):
            return 200, END_AT_QUEUE
        response = client.post(path, data=params, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    return send


def new_phone(call_sid: str | None = None) -> Phone:
    cfg = current_app.config
    return Phone(_transport(), cfg["PUBLIC_BASE_URL"], cfg["TWILIO_AUTH_TOKEN"],
                 from_=TRIAL_CALLER, to=cfg["TWILIO_PHONE_NUMBER"], call_sid=call_sid)


def dial_draft(version_id: int) -> Phone:
    phone = new_phone()
    phone.dial(f"/voice/incoming?draft={draft_token(version_id)}")
    return phone


def save(phone: Phone) -> dict[str, Any]:
    """The phone's state as JSON-able data (kept in the session between requests)."""
    prompt = phone.prompt
    return {
        "call_sid": phone.call_sid,
        "hung_up": phone.hung_up,
        "prompt": None if prompt is None else {
            "action": prompt.action, "input": prompt.input, "language": prompt.language,
            "num_digits": prompt.num_digits,
            "rest": [ET.tostring(e, encoding="unicode") for e in prompt.rest]},
        "queue": phone.queue, "queue_position": phone.queue_position,
        "dialing": phone.dialing, "leave": phone.left_queue,
    }


def restore(state: dict[str, Any]) -> Phone:
    phone = new_phone(state["call_sid"])
    phone.hung_up = state["hung_up"]
    p = state.get("prompt")
    if p is not None:
        phone.prompt = Prompt(action=p["action"], input=p["input"], language=p["language"],
                              num_digits=p["num_digits"],
                              rest=[ET.fromstring(x) for x in p["rest"]])
    phone.queue = state.get("queue")
    phone.queue_position = state.get("queue_position", 1)
    phone.dialing = state.get("dialing")
    phone.left_queue = state.get("leave")
    return phone


def report(phone: Phone) -> dict[str, Any]:
    """What the browser shows and speaks: what was heard, and what the line waits for."""
    prompt = phone.prompt
    return {
        "heard": [{"text": h.text, "language": h.language} for h in phone.heard],
        "waiting_for": None if prompt is None else prompt.input,
        "num_digits": None if prompt is None else prompt.num_digits,
        "hung_up": phone.hung_up,
        "in_queue": phone.in_queue,
    }
