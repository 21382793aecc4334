"""The requests the line sends Twilio's REST API are the ones Twilio's OpenAPI document
describes: the suite checks every one its mocks receive (tests/conftest.py); here, that the
check catches what Twilio would silently ignore or refuse."""

from __future__ import annotations

import re

import pytest
import responses
from twilio.rest import Client

from ivr.outbound.dispatcher import STATUS_EVENTS

ACCOUNT = "AC" + "0" * 32
CALLS_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
CALL = ('{"sid": "CA' + "1" * 32 + '", "status": "queued", "to": "+15551230001", '
        '"from": "+15550100000"}')


@pytest.fixture
def twilio():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.POST, CALLS_URL, body=CALL, status=201,
                 content_type="application/json")
        rsps.add(responses.GET, re.compile(re.escape(CALLS_URL) + r"\?.*"),
                 body='{"calls": [], "next_page_uri": null}', content_type="application/json")
        yield Client(ACCOUNT, "token")


def test_the_line_places_calls_as_twilio_describes_them(twilio,
                                                         twilio_requests_follow_twilios_api):
    twilio.calls.create(to="+15551230001", from_="+15550100000", url="https://x.test/answer",
                        method="POST", status_callback="https://x.test/status",
                        status_callback_event=STATUS_EVENTS, status_callback_method="POST",
                        machine_detection="DetectMessageEnd", timeout=30)
    list(twilio.calls.list(to="+15551230001", from_="+15550100000", status="queued",
                           limit=20))
    assert twilio_requests_follow_twilios_api == []


@pytest.mark.parametrize(("method", "url", "data", "wrong"), [
    ("POST", CALLS_URL, {"To": "+15551230001", "From": "+15550100000", "Url": "https://x.test",
                         "StatusCallbackEvents": ["initiated", "completed"]},
     "StatusCallbackEvents"),
    ("POST", CALLS_URL, {"From": "+15550100000", "Url": "https://x.test"}, "'To' is required"),
    ("POST", CALLS_URL, {"To": "+15551230001", "From": "+15550100000", "Url": "https://x.test",
                         "Timeout": "soon"}, "integer type: soon"),
    ("GET", CALLS_URL + "?To=%2B15551230001&StartedAfter=2026-11-22", None, "StartedAfter"),
])
def test_a_wrong_parameter_fails_the_test_that_sends_it(twilio, method, url, data, wrong,
                                                        twilio_requests_follow_twilios_api):
    twilio.request(method, url, data=data)
    broken = list(twilio_requests_follow_twilios_api)
    twilio_requests_follow_twilios_api.clear()  # seen: this test is about seeing it
    assert broken and any(wrong.replace("'To' is required", "'To' is a required property")
                          in problem for problem in broken), broken
