"""/metrics on what the line did: each webhook's latency and errors per route, and what the
dispatchers did with the calls they claimed (counted in the database, every scheduler's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry
from sqlalchemy import insert

from ivr import create_app, scheduler
from ivr.phone import Phone
from tickets.models import OutboundCall

from ..conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from ..deploy.test_health import unreachable
from ..ivr.test_outbound import dispatcher, travel, twilio_api  # noqa: F401  (fixtures)
from .test_metrics import samples

INCOMING = (("route", "/voice/incoming"),)
STEP = (("route", "/voice/step"),)


def scrape(client, token) -> dict:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return samples(response.get_data(as_text=True))


def test_each_webhook_route_has_its_latency_histogram_and_error_counts(
        client, call, demo, token):
    caller = call(from_="+15551230001")  # /voice/incoming
    caller.press("2").speak("Building C, room 5")  # two steps: moved, and where to
    refused = client.post("/voice/step?t=3", data={"CallSid": caller.call_sid})  # unsigned
    assert refused.status_code == 403
    status, _ = caller.post("/voice/fallback", {**caller.params, "ErrorCode": "11200",
                                                "ErrorUrl": f"{PUBLIC_BASE_URL}/voice/step?t=3"})
    assert status == 200

    figures = scrape(client, token)
    assert figures[("helpdesk_webhook_duration_seconds_count", INCOMING)] == 1
    assert figures[("helpdesk_webhook_duration_seconds_count", STEP)] == 3  # the 403 too
    assert figures[("helpdesk_webhook_duration_seconds_bucket", (("le", "15.0"),) + STEP)] == 3
    assert figures[("helpdesk_webhook_duration_seconds_bucket", (("le", "+Inf"),) + STEP)] == 3
    assert 0 < figures[("helpdesk_webhook_duration_seconds_sum", STEP)] < 15
    assert figures[("helpdesk_webhook_errors_total",
                    (("error", "refused"), ("route", "/voice/step")))] == 1
    assert figures[("helpdesk_webhook_errors_total",
                    (("error", "twilio_fallback"), ("route", "/voice/step")))] == 1
    assert ("helpdesk_webhook_errors_total",
            (("error", "failed"), ("route", "/voice/incoming"))) not in figures
    assert not any(name.startswith("helpdesk_webhook") and dict(labels).get("route") in
                   ("/metrics", "/login") for name, labels in figures)  # webhooks only


def test_a_webhook_that_fails_counts_as_failed_and_the_caller_hears_the_apology(
        database_url, db, token):
    down = create_app({"TESTING": True, "DATABASE_URL": unreachable(database_url),
                       "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": PUBLIC_BASE_URL})
    try:
        client = down.test_client()

        def transport(url, params, headers):
            response = client.post(url[len(PUBLIC_BASE_URL):], data=params, headers=headers)
            return response.status_code, response.get_data(as_text=True)

        caller = Phone(transport, PUBLIC_BASE_URL, AUTH_TOKEN, from_="+15551230001").dial()
        assert "technical difficulties" in caller.text
        registry = CollectorRegistry()  # the webhooks' figures only: /metrics needs the database
        down.extensions["webhook_metrics"].register(registry)
        failed = registry.get_sample_value("helpdesk_webhook_errors_total",
                                           {"route": "/voice/incoming", "error": "failed"})
    finally:
        down.extensions["engine"].dispose()
    assert failed == 1


def book(db, *numbers: str) -> None:
    now = datetime.now(UTC)
    db.execute(insert(OutboundCall), [
        {"kind": "callback", "to_number": number, "due_at": now - timedelta(seconds=9 - i),
         "status": "pending", "created_at": now} for i, number in enumerate(numbers)])
    db.commit()


def test_dispatcher_outcomes_are_counted_across_schedulers(
        app, client, db, token, travel, twilio_api, dispatcher):  # noqa: F811  (fixtures)
    twilio_api.fail_next = [
        (500, {"code": 20500, "message": "Internal Server Error", "status": 500}),
        (400, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400})]
    book(db, "+442071838750",  # Twilio answers 500: tried again later
         "+442071838751",  # Twilio refuses it: given up
         "+442071838752",  # placed
         "+33142685300",  # France: the policy does not allow it
         "+12025550123")  # 5 a.m. in Washington: waits for the callee's calling hours
    assert dispatcher.run_until_idle() == 3

    def outcome(figures: dict, name: str) -> float:
        return figures[("helpdesk_dispatcher_calls_total",
                        (("kind", "callback"), ("outcome", name)))]

    figures = scrape(client, token)
    assert {name: outcome(figures, name) for name in
            ("placed", "retried", "failed", "refused", "deferred", "adopted", "canceled")} == {
        "placed": 1, "retried": 1, "failed": 1, "refused": 1, "deferred": 1, "adopted": 0,
        "canceled": 0}
    assert outcome(figures, "placed") == len(twilio_api.placed)

    dispatcher.close()  # that scheduler stops (on PostgreSQL it held the dialling lock)
    travel.shift(timedelta(minutes=5))  # another scheduler places the retry
    other = scheduler.make_dispatcher(app, owner="other", concurrency=1)
    assert other.run_until_idle() == 1
    other.close()
    figures = scrape(client, token)
    assert outcome(figures, "placed") == 2 and outcome(figures, "retried") == 1
    assert twilio_api.placed[-1]["To"] == "+442071838750"
