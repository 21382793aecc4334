"""Zammad's generic CTI: a call to the line rings in Zammad's caller log (newCall), shows
who answered it from which queue (answer) and how it ended (hangup), in that order, each
sent by the scheduler, never by the call's webhooks."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tickets.outbox import OutboxEvent

from ...ivr.test_queue import add_agent, put_through, to_queue
from ...twilio_fake import FakeTwilio
from .conftest import System, configure, connector_messages, shapes

ZAMMAD = "https://zammad.example.test"
CTI = f"{ZAMMAD}/api/v1/cti/Fq0sKcdb8vY1"
CONFIG = f"""
connectors:
  - name: zammad
    kind: zammad
    url: {ZAMMAD}
    token_env: ZAMMAD_TOKEN
    cti_url_env: ZAMMAD_CTI_URL
"""


@pytest.fixture
def twilio(rsps):
    return FakeTwilio(rsps)  # Twilio and Zammad mocked by one `responses`


@pytest.fixture
def zammad(app, rsps, monkeypatch):
    configure(app, monkeypatch, CONFIG, ZAMMAD_TOKEN="zt-1", ZAMMAD_CTI_URL=CTI)
    system = System(rsps, shapes("zammad"))
    system.route("POST", CTI, "cti_new_call")
    system.route("POST", rf"{ZAMMAD}/api/v1/users/search$", "users_search")
    system.route("POST", rf"{ZAMMAD}/api/v1/tickets$", "ticket_create")
    return system


def test_a_call_rings_is_answered_and_ends_in_zammads_caller_log(
        app, call, db, demo, clock, twilio, analyst, zammad, deliver):
    ann = add_agent(db, "Ann", tier=1)
    caller = to_queue(call)
    assert zammad.asked == []  # nothing leaves during the call's webhooks
    put_through(caller, twilio, analyst, ann)
    caller.dial_ends("completed", 240)
    caller.status("completed", duration=300)
    for _ in range(4):
        deliver()
        clock.advance(30)
    events = [a.json for a in zammad.made("cti_new_call")]
    line = caller.params["To"].lstrip("+")
    common = {"from": "15551230001", "to": line, "direction": "in", "callId": caller.call_sid}
    assert events == [
        {"event": "newCall", **common},
        {"event": "answer", **common, "user": ["Ann"], "queue": "tier 1"},
        {"event": "hangup", **common, "cause": "normalClearing"}]
    assert len(zammad.made("ticket_create")) == 1  # and the ticket the call opened


def test_without_a_cti_endpoint_no_call_events_go(app, call, db, demo, clock, rsps,
                                                  monkeypatch, deliver):
    configure(app, monkeypatch, CONFIG.replace("    cti_url_env: ZAMMAD_CTI_URL\n", ""),
              ZAMMAD_TOKEN="zt-1")
    system = System(rsps, shapes("zammad"))
    system.route("POST", CTI, "cti_new_call")
    caller = call(from_="+15551230001")
    caller.status("completed", duration=20)
    deliver()
    assert db.scalar(select(OutboxEvent.id).where(OutboxEvent.topic == "call.ended"))
    assert [m for m in connector_messages(db) if m.topic.startswith("call.")] == []
    assert system.asked == []
