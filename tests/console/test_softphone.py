"""The browser softphone: the access token (its Voice grant, identity and life), the SDK served
by the app itself, and the analyst's choice of phone or browser, which routing follows."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select
from twilio.jwt import JwtDecodeError
from twilio.jwt.access_token import AccessToken

from tickets.accounts import AuditLog
from tickets.models import Agent

from ..ivr.test_queue import to_queue

KEY_SID = "SK" + "a" * 32
KEY_SECRET = "softphone-key-secret-of-forty-characters!!"
APP_SID = "AP" + "b" * 32
ACCOUNT = "AC" + "c" * 32


@pytest.fixture
def softphone(app):
    app.config.update(TWILIO_API_KEY_SID=KEY_SID, TWILIO_API_KEY_SECRET=KEY_SECRET,
                      TWILIO_TWIML_APP_SID=APP_SID, TWILIO_ACCOUNT_SID=ACCOUNT,
                      SOFTPHONE_TOKEN_SECONDS=600)
    return app


def token_of(console):
    console.get("/console/")
    response = console.post_json("/console/softphone/token")
    return response


def test_the_token_grants_voice_to_the_analysts_identity_for_ten_minutes(softphone, as_ann,
                                                                         users, db):
    before = int(time.time())
    response = token_of(as_ann)
    assert response.status_code == 200
    body = response.get_json()
    ann = db.get(Agent, users["ann"].id, populate_existing=True)
    assert body["identity"] == ann.client_identity == f"agent-{ann.id}"  # no name in it
    assert body["expires_in"] == 600
    claims = AccessToken.from_jwt(body["token"], KEY_SECRET).payload  # signed with the key
    assert claims["iss"] == KEY_SID and claims["sub"] == ACCOUNT
    assert before + 600 <= claims["exp"] <= int(time.time()) + 600
    assert claims["grants"]["identity"] == f"agent-{ann.id}"
    assert claims["grants"]["voice"] == {"incoming": {"allow": True},
                                         "outgoing": {"application_sid": APP_SID}}
    with pytest.raises(JwtDecodeError):  # signed with that key, no other
        AccessToken.from_jwt(body["token"], "another-secret-also-of-forty-characters!")


def test_no_token_without_a_login_an_analyst_a_csrf_token_or_the_line_set_up(
        app, console, users, db):
    assert console.client.post("/console/softphone/token").status_code in (302, 400)
    console.login("ann")
    console.get("/console/")
    assert console.client.post("/console/softphone/token").status_code == 400  # no CSRF
    unset = console.post_json("/console/softphone/token")
    assert unset.status_code == 503 and "not set up" in unset.get_json()["error"]
    console.client.post("/logout", data={"csrf_token": console.token})
    console.login("lead")  # a team lead with no analyst behind the login
    app.config.update(TWILIO_API_KEY_SID=KEY_SID, TWILIO_API_KEY_SECRET=KEY_SECRET,
                      TWILIO_TWIML_APP_SID=APP_SID)
    assert token_of(console).status_code == 403


def test_the_sdk_is_served_by_the_app_and_loaded_from_it(softphone, as_ann, users, db):
    with as_ann.client.get("/static/vendor/twilio-voice-sdk/twilio.min.js") as sdk:
        assert sdk.status_code == 200 and b"Twilio" in sdk.data and len(sdk.data) > 100_000
    as_ann.post("/console/softphone/answer-in", {"where": "browser"})
    page = as_ann.get("/console/").get_data(as_text=True)
    assert '<script src="/static/vendor/twilio-voice-sdk/twilio.min.js"></script>' in page
    # nothing loaded from elsewhere (a word search for "cdn" would also find it in a random
    # CSRF token)
    assert not re.search(r'src="(?:https?:)?//', page) and "sdk.twilio.com" not in page
    assert 'data-action="answer"' in page and 'data-action="hangup"' in page


def test_calls_ring_where_the_analyst_chose(softphone, as_ann, users, call, db, demo, clock,
                                            twilio):
    as_ann.get("/console/")
    assert as_ann.post("/console/softphone/answer-in", {"where": "browser"}).status_code == 302
    assert as_ann.post("/console/status", {"status": "available"}).status_code == 302
    to_queue(call).redirected(twilio.dequeued[-1]["url"])
    ann = db.get(Agent, users["ann"].id, populate_existing=True)
    assert ann.answers_in_browser
    assert twilio.analyst_legs()[-1]["To"] == f"client:agent-{ann.id}"  # <Client>, not a number
    assert [a.action for a in db.scalars(select(AuditLog))].count("answer_in") == 1
    as_ann.get("/console/")
    assert as_ann.post("/console/softphone/answer-in", {"where": "phone"}).status_code == 302
    assert not db.get(Agent, ann.id, populate_existing=True).answers_in_browser
    assert as_ann.post("/console/softphone/answer-in", {"where": "fax"}).status_code == 400
