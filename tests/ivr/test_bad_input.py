"""Bad input at the edge: what Twilio could really send gets a re-prompt or a plain answer,
never the apology; what it could not (an over-long CallSid, NUL bytes, nan, ids beyond the
database's integers) never reaches the database. SIP caller IDs are real and are kept."""

from __future__ import annotations

import string
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from tickets.db import Base
from tickets.models import Call, QueueEntry, TicketEvent

from ..conftest import AUTH_TOKEN, PUBLIC_BASE_URL, Caller
from .test_intake import tell_problem
from .test_queue import add_agent, to_queue

SIP = "sip:ann.long-name-of-a-person@pbx.branch-office.example.com"  # 58 characters
APOLOGY = "technical difficulties"


def signed(client, path, params):
    caller = Caller(lambda url, p, headers: _post(client, url, p, headers), PUBLIC_BASE_URL,
                    AUTH_TOKEN)
    return caller.post(path, params)


def _post(client, url, params, headers):
    response = client.post(url[len(PUBLIC_BASE_URL):], data=params, headers=headers)
    assert response.status_code == 200 and response.mimetype == "text/xml", response.status
    return response.status_code, response.get_data(as_text=True)


def no_nul_anywhere(db) -> None:
    """No text value of any row holds a NUL byte."""
    with db.bind.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                assert not any(isinstance(v, str) and "\x00" in v for v in row), table.name


def test_a_sip_caller_is_answered_and_their_address_kept(call, db, demo, clock):
    caller = call(from_=SIP)
    caller.hears("Thank you for calling")
    assert APOLOGY not in caller.text
    assert db.scalar(select(Call.from_number)) == SIP
    tell_problem(caller.press("1"))  # English; the problem: the line asks who is calling
    caller.hears("Your full name?")
    assert APOLOGY not in caller.text and not caller.hung_up


def test_a_sip_caller_reaching_the_queue_has_no_number_to_call_back(call, db, demo, clock):
    add_agent(db, "Ann", tier=1, status="on_call")
    caller = call(from_=SIP)
    _status, body = caller.post("/voice/queue/arrive", caller.params)  # handed to the queues
    assert APOLOGY not in body and "hold" in body
    entry = db.scalar(select(QueueEntry))
    assert entry is not None and entry.caller_number is None


def test_requests_twilio_could_not_send_touch_nothing_and_are_answered(client, db, call,
                                                                       demo, clock):
    caller = call(from_="+15551230001")
    before = db.scalar(select(Call.turn))
    first = db.scalar(select(Call.id))
    events = len(db.scalars(select(TicketEvent).where(TicketEvent.call_id == first)).all())
    base = dict(caller.params)
    huge = "9" * 30
    for path, params in [
        ("/voice/incoming", {**base, "CallSid": "CA" + "f" * 200}),
        ("/voice/incoming", {**base, "CallSid": "CA" + "e" * 32, "To": "+1" + "5" * 300}),
        ("/voice/status", {**base, "CallSid": "CA\x00" + "1" * 31, "CallStatus": "busy"}),
        (f"/voice/step?t={huge}", base),
        (f"/voice/queue/consent?e={huge}&s=0&w=60", base),
        (f"/voice/outbound/status?oc={huge}&a=1", base),
        ("/voice/status", {**base, "CallStatus": "x" * 100, "SequenceNumber": huge,
                           "CallDuration": "inf"}),
    ]:
        signed(client, path, params)
    assert db.scalar(select(Call.turn).where(Call.sid == caller.call_sid)) == before
    # Only the second is a call Twilio could make (its To, too long to be one, left out).
    assert set(db.scalars(select(Call.sid))) == {caller.call_sid, "CA" + "e" * 32}
    assert db.scalar(select(Call.to_number).where(Call.sid == "CA" + "e" * 32)) is None
    row = db.scalar(select(Call).where(Call.sid == caller.call_sid))
    assert row.status != "x" * 100 and row.status_seq < 2**31
    assert len(db.scalars(select(TicketEvent).where(TicketEvent.call_id == row.id)).all()) \
        == events


@pytest.mark.parametrize("params", [
    {"Digits": "1\x00"}, {"Digits": "\x00"}, {"SpeechResult": "English\x00\x00"},
    {"SpeechResult": "nan", "Confidence": "nan"}, {"Digits": "1", "Confidence": "inf"},
    {"SpeechResult": "x" * 5000}, {"Digits": "9" * 400},
])
def test_odd_answers_get_a_re_prompt_or_move_on_never_the_apology(call, db, demo, clock,
                                                                   params):
    caller = call(from_="+15551230001")  # English: "a ticket's status, or the problem?"
    url = caller.prompt.action
    status, body = caller.post(url, {**caller.params, **params})
    assert status == 200 and APOLOGY not in body
    no_nul_anywhere(db)


def test_an_infinite_wait_in_the_offer_to_hold_is_not_recorded(call, db, demo, clock):
    add_agent(db, "Ann", tier=1, status="on_call")
    caller = to_queue(call)
    entry = db.scalar(select(QueueEntry))
    for w in ("inf", "nan", "-5", "1e400"):
        _status, body = caller.post(f"/voice/queue/consent?e={entry.id}&s=0&w={w}",
                                    {**caller.params, "Digits": "1"})
        assert APOLOGY not in body
    with db.bind.connect() as conn:
        waits = conn.execute(text("SELECT announced_wait FROM queue_entry")).scalars().all()
    assert all(w is None or 0 <= w < 1e7 for w in waits)


# ---- fuzzing the signed webhooks ------------------------------------------------------------

PRINTABLE = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
DIGITS = st.text(alphabet="0123456789*#w", max_size=30)
ODD = st.one_of(PRINTABLE, DIGITS, st.sampled_from(
    ["nan", "inf", "-inf", "-1", "1e400", "9" * 40, "\x00", "", " ", "0x10", "１２"]))


def field(name: str):
    known = {"Digits": st.one_of(st.sampled_from(["1", "2", "3", "#"]), DIGITS, ODD),
             "SpeechResult": st.one_of(PRINTABLE, ODD),
             "Confidence": st.one_of(st.floats(allow_nan=True).map(str), ODD),
             "From": st.one_of(st.sampled_from(["+15551230001", SIP, "anonymous", "client:ann"]),
                               ODD),
             "CallStatus": st.one_of(st.sampled_from(["ringing", "in-progress", "completed",
                                                      "busy"]), ODD)}
    return known.get(name, ODD)


FORM = st.fixed_dictionaries({}, optional={
    name: field(name) for name in (
        "Digits", "SpeechResult", "Confidence", "From", "To", "CallStatus", "Direction",
        "RecordingUrl", "RecordingDuration", "SequenceNumber", "CallDuration", "QueuePosition",
        "QueueResult", "DialCallStatus", "DialCallDuration", "AnsweredBy", "QueueSid")})


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(route=st.sampled_from(["step", "status", "incoming", "consent", "keyed", "left",
                              "voicemail", "fallback"]),
       form=FORM, wait=ODD)
def test_fuzzed_webhooks_never_get_the_apology_or_an_error(app, client, db, demo, clock,
                                                           caplog, route, form, wait):
    """Twilio's parameters fuzzed on the line's real URLs (a call in its intake, a caller in
    the queue): every answer is TwiML, never the apology, and nothing fails."""
    calls = db.scalars(select(Call).where(Call.from_number == "+15551230001")
                       .execution_options(populate_existing=True)).all()
    live = next((c for c in calls if c.last_response and "<Gather" in c.last_response
                 and c.state is not None), None)
    phone = Caller(lambda url, p, headers: _post(client, url, p, headers), PUBLIC_BASE_URL,
                   AUTH_TOKEN, from_="+15551230001")
    if live is None:
        phone.dial().press("2")
        live = db.scalar(select(Call).where(Call.sid == phone.call_sid)
                         .execution_options(populate_existing=True))
    entry = db.scalar(select(QueueEntry).order_by(QueueEntry.id.desc()))
    if entry is None:
        add_agent(db, "Ann", tier=1, status="on_call")
        to_queue(lambda **kw: Caller(lambda url, p, h: _post(client, url, p, h),
                                     PUBLIC_BASE_URL, AUTH_TOKEN, **kw).dial())
        entry = db.scalar(select(QueueEntry).order_by(QueueEntry.id.desc()))
    params = {**phone.params, "CallSid": live.sid, **form}
    path = {"step": f"/voice/step?t={live.turn + 1}", "status": "/voice/status",
            "incoming": "/voice/incoming",
            "consent": f"/voice/queue/consent?e={entry.id}&s=0&w={quote(wait)}",
            "keyed": f"/voice/queue/callback/keyed?e={entry.id}",
            "left": f"/voice/queue/left?e={entry.id}",
            "voicemail": f"/voice/queue/voicemail?e={entry.id}",
            "fallback": "/voice/fallback/voicemail"}[route]
    if route == "incoming":
        params["CallSid"] = "CA" + "".join(
            string.hexdigits[(len(str(form)) + i) % 16].lower() for i in range(32))
    _status, body = signed(client, path, params)
    assert APOLOGY not in body, (path, form)
    failed = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert not failed, (path, form, failed)


def test_a_long_transcript_for_a_name_is_asked_again_then_answered_plainly(call, db, demo,
                                                                          clock):
    """Speech recognition can return a long transcript for any question: a re-prompt, then a
    plain answer from the script (what happens to the call's details is the script's rule);
    never the apology, and nothing fails."""
    long = "Zebulon " * 60  # 480 characters where a name is asked
    caller = tell_problem(call(from_="+12025550147").press("1"))  # English; the problem
    caller.speak(long)
    caller.hears("did not understand", "your full name")
    caller.speak(long).speak(long)
    caller.hears("Goodbye")
    assert caller.hung_up
    assert APOLOGY not in " ".join(h.text for h in caller.transcript)
