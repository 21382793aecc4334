"""Logs an operator can ship: JSON lines on request, each record of a call carrying its CallSid
(and ticket), and no phone number in clear."""

from __future__ import annotations

import io
import json
import logging

import pytest

from ivr import create_app, logs

from ..conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from ..ivr.test_intake import give_details, report_problem, tell_problem, ticket_number_heard
from ..ivr.test_queue import add_agent

CALLER = "+12025550147"


class Output(io.StringIO):
    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.getvalue().splitlines()]


@pytest.fixture
def output() -> Output:
    return Output()


@pytest.fixture
def json_app(database_url, clock, output):
    """The app with LOG_FORMAT=json; what its handler writes to stderr is kept in output."""
    root = logging.getLogger()
    level = root.level
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "LOG_FORMAT": "json",
                      "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": PUBLIC_BASE_URL})
    app.extensions["clock"] = clock
    [handler] = [h for h in root.handlers if h.get_name() == logs.HANDLER_NAME]
    handler.setStream(output)
    yield app
    root.removeHandler(handler)
    root.setLevel(level)
    app.extensions["engine"].dispose()


def test_every_record_of_a_call_carries_its_call_sid_and_no_number(json_app, demo, output):
    from ivr.phone import Phone

    client = json_app.test_client()

    def transport(url, params, headers):
        response = client.post(url[len(PUBLIC_BASE_URL):], data=params, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    caller = Phone(transport, PUBLIC_BASE_URL, AUTH_TOKEN, from_=CALLER).dial()
    tell_problem(caller.press("1"))
    give_details(caller)  # Jane Doe, Finance, Building B, room 12; caller ID kept; 40001
    number = ticket_number_heard(report_problem(caller))
    records = output.records()

    assert any(r["message"].startswith("incoming call") for r in records)
    assert any(f"opened ticket {number}" in r["message"] for r in records)
    assert all(r["call_sid"] == caller.call_sid for r in records)
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    assert CALLER[1:] not in output.getvalue()


def test_once_a_call_has_a_ticket_every_record_of_its_webhooks_carries_it(
        json_app, db, demo, output, twilio):
    """The ticket is named from the record of its opening on, in the webhooks that follow
    (each loads the call, its queue entry or its booking afresh), and never before."""
    from ivr.phone import Phone

    ann = add_agent(db, "Ann", tier=1)
    client = json_app.test_client()

    def transport(url, params, headers):
        response = client.post(url[len(PUBLIC_BASE_URL):], data=params, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    caller = Phone(transport, PUBLIC_BASE_URL, AUTH_TOKEN, from_="+15551230001").dial()
    # a known caller, English: the problem said at once
    number = ticket_number_heard(report_problem(caller, impact="1", urgency="2"))
    caller.press("2")  # no other problem: to the queue, where Ann is free
    caller.redirected(twilio.dequeued[0]["url"])  # Twilio moved the call to the bridge
    assert [leg["To"] for leg in twilio.analyst_legs()] == [ann.phone]

    records = [r for r in output.records() if r.get("call_sid") == caller.call_sid]
    opened = next(i for i, r in enumerate(records) if "opened ticket" in r["message"])
    assert all("ticket" not in r for r in records[:opened])
    after = records[opened:]
    assert [r["message"].split(" ")[2] for r in after[1:]] == ["reached", "put"]
    assert all(r["ticket"] == number for r in after)


def test_the_ticket_number_set_by_a_webhook_is_on_its_records(json_app, output):
    with json_app.test_request_context("/voice/step?t=3", method="POST",
                                       data={"CallSid": "CA" + "ab12" * 8, "From": CALLER}):
        logs.about_ticket("10007")
        logging.getLogger("ivr.voice").info("caller %s confirmed", CALLER)
    [record] = output.records()
    assert record["call_sid"] == "CA" + "ab12" * 8
    assert record["ticket"] == "10007"
    assert record["message"] == "caller *********147 confirmed"


def test_numbers_in_a_traceback_are_masked_too(json_app, output):
    try:
        raise ValueError("Twilio refused the To number +393331234567")
    except ValueError:
        logging.getLogger("ivr.outbound").exception("placing call 12 failed")
    [record] = output.records()
    assert record["message"] == "placing call 12 failed"
    assert "ValueError: Twilio refused the To number **********567" in record["exc_info"]
    assert "393331234567" not in json.dumps(record)


@pytest.mark.parametrize(("text", "masked"), [
    ("from +15551230001", "from *********001"),
    ("callback 0612345678 booked", "callback *******678 booked"),
    ("To=%2B393331234567&x=1", "To=************567&x=1"),
    ("ticket 10004 for CA0123456789abcdef0123456789abcdef", None),  # left as it is
    ("at 2026-11-23 10:00:00, 42 calls", None),
])
def test_what_is_masked(text, masked):
    assert logs.mask(text) == (masked or text)


def test_text_lines_carry_the_call_too(app):
    out = io.StringIO()
    logger = logging.getLogger("ivr.test.text")
    logger.addHandler(logs.handler("text", out))
    logger.propagate = False
    try:
        with app.test_request_context("/voice/incoming", method="POST",
                                      data={"CallSid": "CA" + "1" * 32}):
            logger.warning("caller %s hung up", CALLER)
        logger.warning("outside a call")
    finally:
        logger.handlers.clear()
        logger.propagate = True
    first, second = out.getvalue().splitlines()
    assert first.endswith(f"caller *********147 hung up [call_sid=CA{'1' * 32}]")
    assert second.endswith("WARNING ivr.test.text outside a call")
