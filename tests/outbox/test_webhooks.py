"""Signed webhooks: each event of a ticket's life reaches the URLs configured for it, signed the
Standard Webhooks way (verified here with the library's own verifier); the admin sees every
delivery, and sends a failed one again."""

from __future__ import annotations

import json

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ivr import create_app
from ivr.config import ConfigError
from ivr.queues import service
from tickets import bookings, workflow
from tickets.models import QueueEntry, Ticket

from .conftest import SECRET


def test_a_delivered_webhook_verifies_with_the_library(db, ticket, clock, crm, deliver):
    workflow.resolve_ticket(db, db.get(Ticket, ticket.id), actor="ana", now=clock(),
                            note="Replaced the fuser")
    db.commit()
    deliver()
    [(body, headers)] = crm.got
    event = Webhook(SECRET).verify(body, headers)  # raises unless the signature holds
    assert event["type"] == "ticket.resolved"
    assert event["timestamp"] == "2026-11-23T10:00:00Z"
    assert event["data"]["ticket"] == {
        "id": ticket.id, "number": ticket.number, "priority": "regular_service", "tier": 1,
        "category": "hardware", "status": "resolved", "language": "en-US"}
    assert event["data"]["survey_call"] is True
    assert headers["webhook-id"].startswith("msg_")
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(body.replace(b"resolved", b"reopened"), headers)
    with pytest.raises(WebhookVerificationError):  # another receiver's secret
        Webhook("whsec_" + "QUJD" * 8).verify(body, headers)


def test_every_event_of_a_tickets_life_reaches_the_webhook(db, ticket, clock, ops, deliver):
    t = db.get(Ticket, ticket.id)
    now = clock()
    workflow.escalate_ticket(db, t, reason="needs the network team", actor="ana", now=now)
    callback = bookings.schedule_callback(db, ticket_id=t.id, number="+12025550147",
                                          language="en-US", due=now)
    bookings.placed(db, callback, "CA" + "1" * 32, 1, now)
    bookings.call_ended(db, callback, "no-answer", reached=False, now=now)
    for result in ("voicemail", "hangup"):
        entry = QueueEntry(ticket_id=t.id, tier=2, joined_at=now)
        db.add(entry)
        db.flush()
        if result == "voicemail":
            service.leave_voicemail(db, entry, "https://api.twilio.com/rec/RE1", "42", now)
        else:
            service.leave(db, entry, "hangup", 3, clock.advance(95))
    closure = workflow.resolve_ticket(db, t, actor="ana", now=clock())
    workflow.record_survey(db, t, closure, now=clock(), solved=True)
    workflow.record_survey(db, t, closure, now=clock(), score=4)
    db.commit()
    deliver()
    events = {e["type"]: e["data"] for e in ops.events()}
    assert list(events) == ["ticket.opened", "ticket.escalated", "callback.booked",
                            "callback.missed", "voicemail.left", "caller.abandoned",
                            "ticket.resolved", "survey.answered"]
    assert events["ticket.escalated"]["from_tier"] == 1
    assert events["ticket.escalated"]["to_tier"] == 2
    assert events["callback.missed"]["next_try"] is not None  # the callback tries again
    assert events["voicemail.left"]["duration"] == 42
    assert events["caller.abandoned"]["waited_seconds"] == 95
    assert events["caller.abandoned"]["position"] == 3
    assert events["survey.answered"] == {**events["survey.answered"], "solved": True,
                                         "score": 4}
    for body, headers in ops.got:
        Webhook(SECRET).verify(body, headers)
        assert b"+1202" not in body and b"printer" not in body  # no personal data goes out


def test_the_admin_sees_failed_deliveries_and_sends_one_again(db, ticket, clock, crm, ops,
                                                              deliver, as_admin):
    crm.status = 400
    workflow.resolve_ticket(db, db.get(Ticket, ticket.id), actor="ana", now=clock())
    db.commit()
    deliver()
    page = as_admin.get("/admin/deliveries?show=failed").get_data(as_text=True)
    assert "Webhook &#39;crm&#39; (ticket.resolved)" in page
    assert "the receiver answered HTTP 400 Bad Request" in page
    assert "ticket.opened" not in page  # delivered ones are not in the failed list
    assert ticket.number in page
    [message_id] = [int(line.split("/deliveries/")[1].split("/")[0])
                    for line in page.splitlines() if "/retry" in line]
    crm.status = 204
    response = as_admin.post(f"/admin/deliveries/{message_id}/retry")
    assert response.status_code == 302
    deliver()
    assert len(crm.got) == 2
    page = as_admin.get("/admin/deliveries").get_data(as_text=True)
    assert "failed" not in page.split("<tbody>")[1]
    timeline = as_admin.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)
    assert "failed: the receiver answered HTTP 400 Bad Request; given up" in timeline


def test_a_wrong_integrations_file_stops_the_start(tmp_path, database_url):
    file = tmp_path / "integrations.yaml"
    file.write_text(json.dumps({"webhooks": [
        {"name": "ops", "url": "https://ops.example.test/", "secret": "not-a-secret"},
        {"name": "crm", "url": "ftp://crm.example.test/", "secret": SECRET,
         "events": ["ticket.closed"]}]}))
    with pytest.raises(ConfigError) as refused:
        create_app({"DATABASE_URL": database_url, "INTEGRATIONS_FILE": str(file)})
    message = str(refused.value)
    assert "webhooks.0: the secret is not a Standard Webhooks secret" in message
    assert "webhooks.1.url: must be an http(s) URL" in message
    assert "webhooks.1.events: unknown event(s) ticket.closed" in message


def test_the_cli_makes_a_secret_the_library_takes(app):
    result = app.test_cli_runner().invoke(args=["ivr", "integrations", "new-secret"])
    secret = result.output.strip()
    assert secret.startswith("whsec_")
    Webhook(secret).sign("msg_1", __import__("datetime").datetime.now(), "{}")
