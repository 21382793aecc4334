"""The Twilio surface: signatures, fallback, garbage input, status callbacks."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from ivr import create_app
from tickets.models import Call, TicketEvent

from ..conftest import AUTH_TOKEN, PUBLIC_BASE_URL

ROUTES = ["/voice/incoming", "/voice/step?t=1", "/voice/status", "/voice/fallback",
          "/voice/fallback/voicemail"]
PARAMS = {"CallSid": "CA" + "1" * 32, "From": "+12025550147", "To": "+15550100000",
          "AccountSid": "AC" + "0" * 32, "CallStatus": "ringing"}


def signed_post(client, path, params, token=AUTH_TOKEN):
    signature = RequestValidator(token).compute_signature(PUBLIC_BASE_URL + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def twiml(response) -> ET.Element:
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.get_data(as_text=True))
    assert root.tag == "Response"
    return root


@pytest.mark.parametrize("path", ROUTES)
def test_unsigned_request_is_refused(client, db, path):
    assert client.post(path, data=PARAMS).status_code == 403
    assert db.scalars(select(Call)).all() == []


@pytest.mark.parametrize("path", ROUTES)
def test_wrongly_signed_request_is_refused(client, db, path):
    assert signed_post(client, path, PARAMS, token="not-the-token").status_code == 403
    tampered = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + path, PARAMS)
    response = client.post(path, data={**PARAMS, "From": "+19995550000"},
                           headers={"X-Twilio-Signature": tampered})
    assert response.status_code == 403
    assert db.scalars(select(Call)).all() == []


def test_signature_for_another_host_is_refused(client):
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        "https://evil.example/voice/incoming", PARAMS)
    response = client.post("/voice/incoming", data=PARAMS,
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("params", [
    {},
    {"CallSid": ""},
    {"CallSid": "CAgarbage", "Digits": "\x00\xff<xml>", "Confidence": "lots",
     "SpeechResult": "'; drop table call; --"},
    {"CallSid": "CA" + "2" * 32, "From": "not a number", "SequenceNumber": "x",
     "CallDuration": "-"},
])
def test_garbage_parameters_still_get_valid_twiml(client, path, params):
    twiml(signed_post(client, path, params))


def test_step_with_bad_turn_number_gets_twiml(client):
    for path in ("/voice/step", "/voice/step?t=abc", "/voice/step?t=-4"):
        twiml(signed_post(client, path, PARAMS))


def test_fallback_answers_with_the_database_gone(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/gone.db",
                      "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
                      "EMERGENCY_NUMBER": "+15550109999", "TESTING": True,
                      "SPOOL_DIR": str(tmp_path / "spool")})
    client = app.test_client()
    root = twiml(signed_post(client, "/voice/fallback",
                             {**PARAMS, "ErrorCode": "11200", "ErrorUrl": "/voice/incoming"}))
    said = " ".join(el.text for el in root.iter("Say"))
    assert "sorry" in said.lower()
    assert [el.text for el in root.iter("Dial")] == ["+15550109999"]
    assert root.find("Record").get("action") == "/voice/fallback/voicemail"
    # The main webhook, with the database gone, still answers the caller with the apology.
    root = twiml(signed_post(client, "/voice/incoming", PARAMS))
    assert "sorry" in " ".join(el.text for el in root.iter("Say")).lower()
    # A voicemail left during the outage is acknowledged: it is kept in the spool.
    root = twiml(signed_post(client, "/voice/fallback/voicemail",
                             {**PARAMS, "RecordingUrl": "https://api.twilio.com/rec/RE1"}))
    assert "message has been received" in " ".join(el.text for el in root.iter("Say"))
    assert len(list((tmp_path / "spool").glob("*.json"))) == 1


def test_voicemail_left_from_fallback_becomes_a_ticket(client, db):
    from tickets.models import Ticket

    signed_post(client, "/voice/fallback/voicemail",
                {**PARAMS, "RecordingUrl": "https://api.twilio.com/rec/RE1",
                 "RecordingDuration": "31"})
    ticket = db.scalar(select(Ticket))
    assert ticket.callback_number == "+12025550147" and ticket.incomplete
    assert ticket.priority == "regular_service"  # the intake script's default label
    assert ticket.events[-1].data["recording_url"] == "https://api.twilio.com/rec/RE1"


def test_status_callbacks_record_the_outcome_once_whatever_the_order(call, db):
    caller = call()
    caller.status("ringing", sequence=1)
    caller.status("completed", sequence=3, duration=42)
    caller.status("in-progress", sequence=2)  # late and out of order
    caller.status("completed", sequence=3, duration=42)  # repeated
    row = db.scalar(select(Call))
    assert (row.status, row.duration) == ("completed", 42)
    ended = db.scalars(select(TicketEvent).where(TicketEvent.kind == "call",
                                                 TicketEvent.text.like("Call ended%"))).all()
    assert [e.text for e in ended] == ["Call ended: completed, 42 s"]


def test_status_callback_for_an_unknown_call_is_recorded(client, db):
    twiml(signed_post(client, "/voice/status", {**PARAMS, "CallStatus": "busy"}))
    assert db.scalar(select(Call.status)) == "busy"


def test_db_upgrade_command_builds_the_schema(tmp_path):
    from sqlalchemy import inspect

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db", "TESTING": True})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    tables = set(inspect(app.extensions["engine"]).get_table_names())
    assert {"call", "ticket", "ticket_event", "customer", "script_version"} <= tables
    app.extensions["engine"].dispose()


def test_a_signature_over_the_url_with_its_port_is_accepted(client, db):
    """Twilio signs the URL as configured; one with the scheme's port written out verifies too."""
    parts = urlsplit(PUBLIC_BASE_URL)
    port = 443 if parts.scheme == "https" else 80
    with_port = parts._replace(netloc=f"{parts.hostname}:{port}").geturl()
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        with_port + "/voice/status", PARAMS)
    response = client.post("/voice/status", data=PARAMS,
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
