"""No personal data in the logs: a whole call, an outage in the middle of a call, the database
down (a voicemail and a status callback spooled, then replayed) and a dispatch (with its
recovery after a lost answer from Twilio) log no phone number, account number, name, problem
text or PIN hash in clear.

Every record is captured when it is made (a log record factory), before any handler or filter
could mask it: ``ivr.logs`` masks numbers in its own output, and this must not pass because of
that. The loggers are as the app sets them, at DEBUG (LOG_LEVEL's most verbose), twilio's,
urllib3's and SQLAlchemy's included.
"""

from __future__ import annotations

import logging
import re
import traceback
from datetime import UTC, datetime, timedelta

import pytest
import responses
from requests.exceptions import ConnectionError as RequestsConnectionError
from sqlalchemy import select, text

from ivr import scheduler
from tickets import bookings
from tickets.models import OutboundCall, Ticket

from ..conftest import TEST_DATABASE_URL
from ..deploy.test_scale_out import twilio_standin  # noqa: F401  (a fixture)
from .test_intake import tell_problem, ticket_number_heard
from .test_outages import line_on, phone
from .test_outbound import CALLS, TwilioApi

CALLER = "+12025550147"
CALLBACK = "+16175550123"  # keyed as 617 555 0123
NAME = "Zebulon Quigley"
DEPARTMENT = "Cryptozoology"
LOCATION = "Annex Nine"
ACCOUNT = "73915842"
PROBLEM = "The flux capacitor hums loudly"
BEFORE = "Calibrating the warp coils"
WORDS = [NAME, "Zebulon", "Quigley", DEPARTMENT, LOCATION, ACCOUNT, PROBLEM, "flux capacitor",
         BEFORE, "warp coils", "$argon2", "hmac-sha256$"]
DIGITS = [CALLER[2:], CALLBACK[2:]]  # in any format: +1..., %2B1..., spaced, dashed


@pytest.fixture
def records(app):
    """Every log record made while the test runs: (logger, level, message and traceback)."""
    made: list[tuple[str, str, str]] = []
    factory = logging.getLogRecordFactory()

    def capture(*args, **kwargs):
        record = factory(*args, **kwargs)
        try:
            line = record.getMessage()
        except Exception:  # noqa: BLE001  a malformed call is the logging module's to report
            line = f"{record.msg} {record.args}"
        if record.exc_info and record.exc_info[1] is not None:
            line += "\n" + "".join(traceback.format_exception(*record.exc_info))
        if record.stack_info:
            line += "\n" + record.stack_info
        made.append((record.name, record.levelname, line))
        return record

    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", "twilio", "sqlalchemy")}
    logging.setLogRecordFactory(capture)
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield made
    logging.setLogRecordFactory(factory)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    assert root is logging.getLogger()


def leaks(made) -> list[tuple[str, str]]:
    found = []
    for name, _level, line in made:
        digits = re.sub(r"\D", "", line)
        if any(w.lower() in line.lower() for w in WORDS) or any(d in digits for d in DIGITS):
            found.append((name, line))
    return found


def up_to_the_problem(call):
    """A new caller gives every detail, up to the question that opens the ticket."""
    caller = call(from_=CALLER).press("1")  # English
    tell_problem(caller, PROBLEM, BEFORE)  # the problem, with what they were doing
    caller.speak(NAME).speak(DEPARTMENT).speak(LOCATION)  # heard clearly: not read back
    caller.press(ACCOUNT).press("1")  # an account number, confirmed (not on file)
    caller.press("5")  # no guess: the menu; something else
    return caller  # "who is affected, and can you work?" (just me: 1-3) opens the ticket


def break_ticket_inserts(db) -> None:
    """The database fails every new ticket, as a full disk or a broken constraint would."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("ALTER TABLE ticket ADD CONSTRAINT outage CHECK (false) NOT VALID"))
    else:
        db.execute(text("CREATE TRIGGER outage BEFORE INSERT ON ticket "
                        "BEGIN SELECT RAISE(ABORT, 'outage'); END"))


def mend_ticket_inserts(db) -> None:
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("ALTER TABLE ticket DROP CONSTRAINT outage"))
    else:
        db.execute(text("DROP TRIGGER outage"))


def test_a_call_an_outage_and_a_dispatch_log_no_personal_data(app, call, db, demo, clock,
                                                              records, tmp_path):
    clock.current = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 10:00 in Boston: callable

    # A whole call: every detail given, a ticket opened, on to the queue, hung up.
    caller = up_to_the_problem(call).press("2")
    number = ticket_number_heard(caller)
    caller.press("3").press(CALLBACK[2:]).press("1")  # another callback number, confirmed
    caller.press("2")  # no other problem: the queue (nobody staffed)
    caller.hang_up()
    caller.status("completed", sequence=5, duration=180)
    ticket = db.scalar(select(Ticket).where(Ticket.number == number))
    assert (ticket.caller_name, ticket.callback_number) == (NAME, CALLBACK)

    # An outage mid-call: the same caller again, and the database fails the ticket's row.
    again = up_to_the_problem(call)
    break_ticket_inserts(db)
    try:
        again.press("2")
    finally:
        mend_ticket_inserts(db)
    again.hears("technical difficulties")

    # The database down: the caller's voicemail and status callback go to the spool, and are
    # applied when it is back.
    down = line_on(f"sqlite:///{tmp_path}/gone/helpdesk.db" if not TEST_DATABASE_URL else
                   "postgresql+psycopg://postgres@127.0.0.1:1/helpdesk", tmp_path)
    lost = phone(down.test_client(), from_=CALLER)
    lost.post("/voice/fallback/voicemail", {**lost.params, "RecordingDuration": "20",
                                            "RecordingUrl": "https://api.twilio.com/rec/RE9"})
    lost.post("/voice/status", {**lost.params, "CallStatus": "completed", "CallDuration": "30"})
    down.extensions["engine"].dispose()
    assert scheduler.webhook.replay_spool(app) == 2

    # A dispatch: Twilio's answer is lost, the dispatcher looks the call up, then dials.
    bookings.schedule_outbound(db, ticket, "callback", due=clock(), now=clock(),
                               reason="way_out")
    db.commit()
    dispatcher = scheduler.make_dispatcher(app, owner="test", concurrency=1)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        api = TwilioApi(rsps)
        api.time_out_next = 1
        lookups = []

        def list_calls(request):
            lookups.append(request.url)
            if len(lookups) == 1:  # as urllib3 words a refused connection
                return RequestsConnectionError(
                    "HTTPSConnectionPool(host='api.twilio.com', port=443): Max retries "
                    f"exceeded with url: {request.path_url} (Caused by NewConnectionError("
                    "'Failed to establish a new connection: [Errno 111] Connection refused'))")
            return api.list_calls(request)

        rsps.add_callback(responses.POST, CALLS, callback=api.create_call,
                          content_type="application/json")
        rsps.add_callback(responses.GET, CALLS, callback=list_calls,
                          content_type="application/json")
        for _ in range(4):
            dispatcher.run_until_idle()
            clock.advance(30)
        dispatcher.close()
    assert len(api.placed) == 1 and api.placed[0]["To"] == CALLBACK  # one call, in the end
    assert lookups and CALLBACK[2:] in lookups[0]  # the lookup that failed named the number

    # What was logged: enough to follow all three, and nothing personal.
    said = "\n".join(t for _n, _l, t in records)
    assert "incoming call" in said and f"opened ticket {number}" in said
    assert "webhook /voice/step failed" in said and "Traceback" in said
    assert "webhook /voice/fallback/voicemail kept in the spool" in said
    assert "Twilio could not be reached: ConnectionError" in said
    assert leaks(records) == []


def test_twilios_requests_over_http_log_no_number(app, db, clock, records,
                                                  twilio_standin):  # noqa: F811  (a fixture)
    """The dispatcher's recovery and call through a real HTTP client (a stand-in for Twilio on
    this machine): no request line with the callee's number in its query or body is logged,
    at any level."""
    app.config["TWILIO_API_URL"] = twilio_standin.url
    clock.current = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 10:00 in Boston: callable
    # A dispatcher died holding this call's lease: the next one looks it up, then dials.
    db.add(OutboundCall(kind="status_update", to_number=CALLBACK, status="dialing",
                        lease_owner="dead", lease_expires=clock() - timedelta(minutes=1),
                        placed_at=clock() - timedelta(minutes=3), due_at=clock()))
    db.commit()
    dispatcher = scheduler.make_dispatcher(app, owner="test", concurrency=1)
    try:
        assert dispatcher.run_until_idle() == 1
    finally:
        dispatcher.close()
    assert [to for _at, to in twilio_standin.placed] == [CALLBACK]
    assert leaks(records) == []
