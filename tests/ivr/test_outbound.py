"""The scheduler's outbound calls, as Twilio and the callee live them.

Twilio's REST API is mocked with `responses`; every webhook Twilio would make (the answered
call, its status callbacks) is signed with RequestValidator by the phone simulator. The clock
is moved with time-machine.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
import time_machine
from requests.exceptions import ReadTimeout
from sqlalchemy import select

from ivr import scheduler
from tickets import TicketError, bookings, intake, versions, workflow
from tickets.models import (
    Agent,
    Customer,
    CustomerPhone,
    OutboundCall,
    SurveyResponse,
    Ticket,
    TicketEvent,
)
from tickets.timeline import record_event

from ..conftest import AUTH_TOKEN, MONDAY_10, PUBLIC_BASE_URL, Caller
from ..twilio_fake import FakeTwilio, Room
from .test_queue import MEMBERS, add_agent
from .test_queue import to_queue as queue_to_queue

CALLS = re.compile(r"https://api\.twilio\.com/2010-04-01/Accounts/\w+/Calls\.json")
LINE = "+15550100000"  # TWILIO_PHONE_NUMBER's default
ALICE = "+442079460101"  # the demo's Alice, from her number the line may call (London)


def to_queue(call, **kwargs):
    """Alice reports a problem and reaches the queue, from a number the line may call."""
    return queue_to_queue(call, **{"number": ALICE, **kwargs})


@pytest.fixture
def travel():
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


def calls_page(calls: list[dict], request):
    """Twilio's answer to a Calls list: the calls that match its filters (To, From, Status,
    StartTime>). A call's StartTime stays empty while it is queued, so a StartTime filter
    leaves queued calls out."""
    query = parse_qs(urlsplit(request.url).query)

    def wanted(call: dict) -> bool:
        for name, key in (("To", "to"), ("From", "from"), ("Status", "status")):
            if name in query and call[key] != query[name][0]:
                return False
        if "StartTime>" in query:
            after = datetime.fromisoformat(query["StartTime>"][0][:10]).date()
            return bool(call["start_time"]) and \
                parsedate_to_datetime(call["start_time"]).date() >= after
        return True

    found = [call for call in calls if wanted(call)]
    return 200, {}, json.dumps({"calls": found, "page": 0, "page_size": 50, "start": 0,
                                "end": len(found), "uri": "/Calls.json",
                                "first_page_uri": "/Calls.json", "next_page_uri": None,
                                "previous_page_uri": None})


class TwilioApi:
    """What the line asked Twilio's REST API for."""

    def __init__(self, rsps):
        self.rsps = rsps
        self.placed: list[dict] = []
        self.dequeued: list[dict] = []
        self.fail_next: list[tuple[int, dict]] = []
        self.on_create = None  # Twilio's webhooks that come before its REST answer does
        self.time_out_next = 0
        self.listed = 0

    def create_call(self, request):
        if self.fail_next:
            status, body = self.fail_next.pop(0)
            return status, {}, json.dumps(body)
        form = parse_qs(request.body)
        sid = f"CA{len(self.placed) + 1:032x}"
        self.placed.append({"sid": sid, "date_created": format_datetime(datetime.now(UTC),
                                                                        usegmt=True),
                            **{k: v if k == "StatusCallbackEvent" else v[0]
                               for k, v in form.items()}})
        if self.on_create:
            self.on_create(self.placed[-1])
        if self.time_out_next:  # Twilio placed the call, its answer never came back
            self.time_out_next -= 1
            return ReadTimeout("Read timed out. (read timeout=15)")
        return 201, {}, json.dumps({
            "sid": sid, "status": "queued", "to": form["To"][0], "from": form["From"][0],
            "direction": "outbound-api",
            "date_created": format_datetime(datetime.now(UTC), usegmt=True)})

    def list_calls(self, request):
        self.listed += 1
        return calls_page([{"sid": c["sid"], "to": c["To"], "from": c["From"],
                            "status": "queued", "start_time": None,
                            "date_created": c["date_created"]} for c in self.placed], request)

    def dequeue(self, request):
        queue_sid, call_sid = MEMBERS.match(request.url).groups()
        self.dequeued.append({"call": call_sid, "url": parse_qs(request.body)["Url"][0]})
        return 200, {}, json.dumps({"call_sid": call_sid, "queue_sid": queue_sid})


@pytest.fixture
def twilio_api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        api = TwilioApi(rsps)
        rsps.add_callback(responses.POST, CALLS, callback=api.create_call,
                          content_type="application/json")
        rsps.add_callback(responses.GET, CALLS, callback=api.list_calls,
                          content_type="application/json")
        rsps.add_callback(responses.POST, MEMBERS, callback=api.dequeue,
                          content_type="application/json")
        api.conferences = FakeTwilio(rsps, calls=False, members=False)  # moves, participants
        yield api


@pytest.fixture
def dispatcher(app):
    dispatcher = scheduler.make_dispatcher(app, owner="test", concurrency=1)
    yield dispatcher
    dispatcher.close()  # on PostgreSQL it holds the dialling lock: the next test's may dial


@pytest.fixture
def answer(client):
    """Twilio connects a placed call: the callee (or their machine) picks up."""

    def transport(url, params, headers):
        response = client.post(url[len(PUBLIC_BASE_URL):], data=params, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    def pick_up(placed: dict, answered_by: str = "human") -> Caller:
        callee = Caller(transport, PUBLIC_BASE_URL, AUTH_TOKEN, from_=placed["From"],
                        to=placed["To"], call_sid=placed["sid"])
        callee.params.update(Direction="outbound-api", AnsweredBy=answered_by)
        return callee.dial(placed["Url"])

    return pick_up


def run_job(app, work):
    scheduler.job(app, "test", work)()


def timeline(db, ticket_id=None, kind=None):
    query = select(TicketEvent).order_by(TicketEvent.id)
    if ticket_id:
        query = query.where(TicketEvent.ticket_id == ticket_id)
    if kind:
        query = query.where(TicketEvent.kind == kind)
    return [e.text for e in db.scalars(query)]


def fresh(db, model, id_):
    return db.get(model, id_, populate_existing=True)


def book_callback(db):
    """A ticket and a callback for it, due now (as a caller's way out of the queue)."""
    ticket = open_ticket(db)
    outbound = bookings.schedule_outbound(db, ticket, "callback", due=datetime.now(UTC),
                                          now=datetime.now(UTC), reason="way_out")
    db.commit()
    return ticket, outbound


def open_ticket(db, priority="critical_situation", number=ALICE, language="en-US",
                customer_phone=None):
    customer = None
    if customer_phone:
        customer = db.scalar(select(Customer).join(Customer.phones)
                             .where(CustomerPhone.number == customer_phone))
    sla = {"critical_situation": {"response_minutes": 60, "resolution_minutes": 480,
                                  "update_minutes": 240},
           "enterprise_failure": {"response_minutes": 15, "resolution_minutes": 240,
                                  "update_minutes": 60}}[priority]
    ticket, _pin = intake.open_ticket(
        db, fields={"name": "Alice Johnson", "callback_number": number,
                    "problem": "The printer jams"}, priority=priority, sla=sla,
        customer_id=customer.id if customer else None, language=language,
        now=datetime.now(UTC))
    db.commit()
    return ticket


# ---- callbacks ------------------------------------------------------------------------------

def test_callback_is_placed_at_its_turn_and_connects_to_the_reserved_analyst(
        app, call, db, demo, travel, twilio_api, dispatcher, answer):
    ann = add_agent(db, "Ann", tier=1, status="on_call")
    caller = to_queue(call)
    caller.press("1")  # holds
    caller.press("2").press("1")  # then a callback (to the number given in intake), when free
    caller.hears("will call you back")
    booked = db.scalar(select(OutboundCall))
    assert booked.kind == "callback" and booked.status == "pending"

    assert dispatcher.run_until_idle() == 0  # nobody free: its place has not come up
    assert twilio_api.placed == []

    fresh(db, Agent, ann.id).status = "available"
    db.commit()
    run_job(app, scheduler.route_sweep)  # the routing sweep reserves Ann for the callback
    assert fresh(db, Agent, ann.id).status == "on_call"
    assert dispatcher.run_until_idle() == 1
    [placed] = twilio_api.placed
    assert placed["To"] == ALICE and placed["From"] == LINE
    assert placed["Url"] == f"{PUBLIC_BASE_URL}/voice/outbound/answer?oc={booked.id}&a=1"
    assert placed["StatusCallback"] == \
        f"{PUBLIC_BASE_URL}/voice/outbound/status?oc={booked.id}&a=1"
    assert placed["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert placed["MachineDetection"] == "DetectMessageEnd"

    callee = answer(placed)
    ticket = db.get(Ticket, booked.ticket_id)
    callee.hears(f"returning your call about ticket {' '.join(ticket.number)}",
                 "To be connected to an analyst now, press 1")
    callee.press("1")
    callee.hears("Connecting you now", "Thank you for holding")
    leg = twilio_api.placed[-1]  # Ann's phone rings: the whisper, then the callee's conference
    assert leg["To"] == ann.phone and leg["From"] == LINE
    analyst = answer(leg)
    assert analyst.conferences == callee.conferences
    room = Room(callee)
    room.caller_joins()
    room.analyst_joins(analyst, f"analyst-{ann.id}")
    callee.dial_ends("completed", 300)
    callee.status("completed", sequence=3, duration=320, path=placed["StatusCallback"])

    done = fresh(db, OutboundCall, booked.id)
    assert done.status == "done" and done.attempts == 1 and done.result == "reached"
    assert fresh(db, Agent, ann.id).status == "wrap_up"
    events = timeline(db, ticket.id)
    assert any("Ann (tier 1) is reserved" in t for t in events)
    assert any(f"Callback to {ALICE} placed, attempt 1 of 3" in t for t in events)
    assert any("Connected to Ann" in t for t in events)


def test_unanswered_callback_is_retried_then_given_up_with_every_try_on_the_timeline(
        app, db, demo, travel, twilio_api, dispatcher):
    ticket, outbound = book_callback(db)  # the policy: 3 attempts, 600 s apart
    outcomes = ["no-answer", "busy", "no-answer"]
    for attempt, status in enumerate(outcomes, start=1):
        assert dispatcher.run_until_idle() == 1
        placed = twilio_api.placed[-1]
        row = fresh(db, OutboundCall, outbound.id)
        assert row.attempts == attempt and row.status == "placed"
        status_from_twilio(app, placed, status)
        assert dispatcher.run_until_idle() == 0  # the next try waits retry_delay
        travel.shift(timedelta(seconds=601))
    row = fresh(db, OutboundCall, outbound.id)
    assert row.status == "failed" and row.attempts == 3
    assert row.result == "gave up after 3 attempts (no answer)"
    assert len(twilio_api.placed) == 3
    events = timeline(db, ticket.id)
    assert sum("placed, attempt" in t for t in events) == 3
    assert any("attempt 1 of 3: no answer; next try at 10:10" in t for t in events)
    assert any("attempt 2 of 3: busy; next try at" in t for t in events)
    assert any("attempt 3 of 3: no answer; given up" in t for t in events)


def test_the_policys_attempts_and_retry_delay_are_the_ones_kept(
        app, db, demo, travel, twilio_api, dispatcher):
    text = versions.current(db, "default", "policy").text
    text = text.replace("max_attempts: 3", "max_attempts: 2")
    text = text.replace("retry_delay_seconds: 600", "retry_delay_seconds: 1800")
    versions.publish(db, "default", text, "admin", "policy")
    ticket, outbound = book_callback(db)
    dispatcher.run_until_idle()
    status_from_twilio(app, twilio_api.placed[-1], "no-answer")
    travel.shift(timedelta(seconds=1799))
    assert dispatcher.run_until_idle() == 0  # half an hour apart, as the policy says
    travel.shift(timedelta(seconds=2))
    assert dispatcher.run_until_idle() == 1
    status_from_twilio(app, twilio_api.placed[-1], "busy")
    row = fresh(db, OutboundCall, outbound.id)
    assert row.status == "failed" and row.result == "gave up after 2 attempts (busy)"
    events = timeline(db, ticket.id)
    assert any("placed, attempt 1 of 2" in t for t in events)
    assert any("attempt 1 of 2: no answer; next try at 10:30" in t for t in events)


def status_from_twilio(app, placed, status, answered_by=None, sequence=3):
    """Twilio's final status callback for a placed call, signed."""
    client = app.test_client()

    def transport(url, params, headers):
        response = client.post(url[len(PUBLIC_BASE_URL):], data=params, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    phone = Caller(transport, PUBLIC_BASE_URL, AUTH_TOKEN, from_=placed["From"],
                   to=placed["To"], call_sid=placed["sid"])
    phone.params["Direction"] = "outbound-api"
    if answered_by:
        phone.params["AnsweredBy"] = answered_by
    code, _ = phone.status(status, sequence=sequence, path=placed["StatusCallback"])
    assert code == 200


@pytest.mark.parametrize("first_news", ["busy", "answered"])
def test_twilios_webhooks_before_the_dispatcher_records_the_call_still_count_the_attempt(
        app, db, demo, travel, twilio_api, dispatcher, answer, first_news):
    """The dispatcher records a batch's CallSids after dialling all of it; Twilio may call
    back first (a busy line, a callee who picks up at once)."""
    ticket, outbound = book_callback(db)

    def early(placed):
        if first_news == "answered":
            answer(placed).hears("To be connected to an analyst now, press 1").hang_up()
            status_from_twilio(app, placed, "completed")
        else:
            status_from_twilio(app, placed, "busy")

    twilio_api.on_create = early
    for attempt in (1, 2, 3):
        assert dispatcher.run_until_idle() == 1
        row = fresh(db, OutboundCall, outbound.id)
        assert row.attempts == attempt and row.lease_owner is None
        travel.shift(timedelta(seconds=601))
    assert dispatcher.run_until_idle() == 0
    assert len(twilio_api.placed) == 3  # given up after max_attempts, not dialled for ever
    row = fresh(db, OutboundCall, outbound.id)
    assert row.status == "failed" and row.result.startswith("gave up after 3 attempts")
    events = timeline(db, ticket.id)
    assert [t for t in events if "placed, attempt" in t] == [
        f"Callback to {ALICE} placed, attempt {n} of 3" for n in (1, 2, 3)]
    assert any("attempt 1 of 3: " in t and "next try" in t for t in events)
    assert any("attempt 3 of 3: " in t and "given up" in t for t in events)


def test_a_late_repeat_of_the_last_attempts_callback_is_not_taken_for_the_next_attempt(
        app, db, demo, travel, twilio_api, dispatcher, answer):
    ticket, outbound = book_callback(db)
    dispatcher.run_until_idle()
    first = twilio_api.placed[-1]
    status_from_twilio(app, first, "no-answer")
    travel.shift(timedelta(seconds=601))
    # Twilio retries the first attempt's callback while the second is being dialled.
    twilio_api.on_create = lambda _: status_from_twilio(app, first, "no-answer")
    assert dispatcher.run_until_idle() == 1
    second = twilio_api.placed[-1]
    row = fresh(db, OutboundCall, outbound.id)
    assert (row.status, row.attempts, row.twilio_sid) == ("placed", 2, second["sid"])
    answer(second).hears("To be connected to an analyst now, press 1")
    assert len(twilio_api.placed) == 2
    assert sum("attempt 1 of 3: no answer" in t for t in timeline(db, ticket.id)) == 1


def test_a_machine_gets_a_short_message_with_the_ticket_number_and_is_tried_again(
        app, db, demo, travel, twilio_api, dispatcher, answer):
    ticket, outbound = book_callback(db)
    dispatcher.run_until_idle()
    placed = twilio_api.placed[-1]
    machine = answer(placed, answered_by="machine_end_beep")
    machine.hears(f"returning your call about ticket {' '.join(ticket.number)}",
                  f"quote ticket {' '.join(ticket.number)}")
    assert machine.hung_up and machine.prompt is None  # a message, no menu
    status_from_twilio(app, placed, "completed")
    row = fresh(db, OutboundCall, outbound.id)
    assert row.status == "pending" and row.attempts == 1  # a person is still to be reached
    assert any("answered by a machine, message left" in t for t in timeline(db, ticket.id))


@pytest.mark.parametrize("answered_by", ["machine_end_beep", "human"])
def test_the_last_attempt_of_a_callback_promises_no_further_try(
        app, db, demo, travel, twilio_api, dispatcher, answer, answered_by):
    ticket, _outbound = book_callback(db)
    for _ in range(2):
        dispatcher.run_until_idle()
        status_from_twilio(app, twilio_api.placed[-1], "no-answer")
        travel.shift(timedelta(seconds=601))
    dispatcher.run_until_idle()
    callee = answer(twilio_api.placed[-1], answered_by=answered_by)  # the 3rd and last try
    if answered_by == "human":
        callee.wait().wait().wait()  # never presses 1
    assert callee.hung_up
    said = " ".join(h.text for h in callee.transcript)
    assert "try you again" not in said
    assert f"quote ticket {' '.join(ticket.number)}" in said


# ---- status updates -------------------------------------------------------------------------

def test_status_calls_come_at_the_priority_cadence_and_on_sla_breach(
        app, db, demo, travel, twilio_api, dispatcher, answer):
    ticket = open_ticket(db, "critical_situation")  # policy: update every 240 min, respond in 60
    record_event(db, "note", "Replacement fuser ordered, arriving tomorrow",
                 ticket_id=ticket.id, actor="ann", public=True)
    db.commit()
    travel.shift(timedelta(minutes=59))
    run_job(app, scheduler.cadence_sweep)
    run_job(app, scheduler.sla_sweep)
    assert db.scalars(select(OutboundCall)).all() == []

    travel.shift(timedelta(minutes=2))  # 61 min: no analyst responded within 60
    run_job(app, scheduler.sla_sweep)
    breach = fresh(db, Ticket, ticket.id)
    assert breach.tier == 2 and breach.response_breached_at is not None
    [sla_call] = db.scalars(select(OutboundCall)).all()
    assert sla_call.kind == "status_update" and sla_call.reason == "sla_breach"
    assert any("Escalated from tier 1 to tier 2: SLA response target missed" in t
               for t in timeline(db, ticket.id))

    dispatcher.run_until_idle()
    callee = answer(twilio_api.placed[-1])
    callee.hears(f"update on ticket {' '.join(ticket.number)}", "It is open",
                 "Replacement fuser ordered", "press 9")
    callee.press("2")  # add information
    callee.record(seconds=12)
    callee.hears("Your information is on the ticket")
    status_from_twilio(app, twilio_api.placed[-1], "completed")
    assert fresh(db, OutboundCall, sla_call.id).status == "done"
    assert any("added information by phone" in t for t in timeline(db, ticket.id))

    # The cadence: the next status call 240 minutes after the last one, not before.
    travel.shift(timedelta(minutes=239))
    run_job(app, scheduler.cadence_sweep)
    assert len(db.scalars(select(OutboundCall)).all()) == 1
    travel.shift(timedelta(minutes=2))
    run_job(app, scheduler.cadence_sweep)
    calls = db.scalars(select(OutboundCall).order_by(OutboundCall.id)).all()
    assert len(calls) == 2 and calls[1].reason == "cadence"

    # Press 9: no more status calls for this ticket.
    dispatcher.run_until_idle()
    callee = answer(twilio_api.placed[-1])
    callee.press("9")
    callee.hears("no more status calls")
    assert fresh(db, Ticket, ticket.id).status_calls_stopped
    travel.shift(timedelta(hours=5))
    run_job(app, scheduler.cadence_sweep)
    assert len(db.scalars(select(OutboundCall)).all()) == 2


@pytest.mark.parametrize(("language", "nothing", "menu"), [
    ("en-US", "nothing was recorded", "To add information to the ticket, press 2"),
    ("it-IT", "non è stato registrato nulla", "Per aggiungere informazioni al ticket"),
])
def test_adding_information_without_saying_anything_is_not_called_kept(
        app, db, demo, travel, twilio_api, dispatcher, answer, language, nothing, menu):
    ticket = open_ticket(db, language=language)
    workflow.schedule_status_call(db, ticket, now=datetime.now(UTC), reason="cadence")
    db.commit()
    dispatcher.run_until_idle()
    callee = answer(twilio_api.placed[-1])
    callee.press("2").wait()  # the <Record> hears nothing: Twilio moves on to the next verb
    callee.hears(nothing, menu)
    assert "Your information is on the ticket" not in callee.text
    assert not any("added information by phone" in t for t in timeline(db, ticket.id))
    callee.press("2").record(seconds=7)
    assert any("added information by phone" in t for t in timeline(db, ticket.id))


def test_a_status_call_puts_the_customer_through_to_an_analyst_of_the_tickets_tier(
        app, db, demo, travel, twilio_api, dispatcher, answer):
    ann = add_agent(db, "Ann", tier=1)
    ticket = open_ticket(db)
    workflow.schedule_status_call(db, ticket, now=datetime.now(UTC), reason="cadence")
    db.commit()
    dispatcher.run_until_idle()
    callee = answer(twilio_api.placed[-1])
    callee.press("1")
    callee.hears("Please hold while we connect you to an analyst")
    assert callee.text.count("connect") == 1  # the script said it; the queue says it no more
    assert [d["call"] for d in twilio_api.dequeued] == [callee.call_sid]
    callee.redirected(twilio_api.dequeued[0]["url"])
    assert twilio_api.placed[-1]["To"] == ann.phone  # Ann's leg into the callee's conference
    assert len(callee.conferences) == 1
    assert any("Queued for tier 1" in t for t in timeline(db, ticket.id))


def test_a_missed_resolution_target_escalates_again(app, db, demo, travel):
    ticket = open_ticket(db, "critical_situation")  # respond in 60, resolve in 480 minutes
    workflow.add_note(db, fresh(db, Ticket, ticket.id), "On it", actor="ann",
                      now=datetime.now(UTC))
    db.commit()
    travel.shift(timedelta(minutes=479))
    run_job(app, scheduler.sla_sweep)
    assert fresh(db, Ticket, ticket.id).tier == 1
    travel.shift(timedelta(minutes=2))  # 18:01: missed, but the desk has closed
    run_job(app, scheduler.sla_sweep)
    assert fresh(db, Ticket, ticket.id).tier == 1  # nobody escalates while closed
    travel.move_to(MONDAY_10 + timedelta(days=1, hours=-2, minutes=1))  # Tuesday 08:01
    run_job(app, scheduler.sla_sweep)
    row = fresh(db, Ticket, ticket.id)
    assert row.tier == 2 and row.resolution_breached_at is not None
    assert row.response_breached_at is None  # the response came in time
    assert any("SLA resolution target missed" in t for t in timeline(db, ticket.id))


def test_beyond_tier_three_needs_a_named_approver(app, db, demo, travel):
    ticket = open_ticket(db, "enterprise_failure")
    fresh(db, Ticket, ticket.id).tier = 3
    db.commit()
    travel.shift(timedelta(minutes=16))
    run_job(app, scheduler.sla_sweep)
    row = fresh(db, Ticket, ticket.id)
    assert row.tier == 3 and "needs approval" in row.escalation_pending
    assert any("needs approval from: Dana Lead, Sam Manager" in t
               for t in timeline(db, ticket.id))
    with pytest.raises(TicketError, match="needs an approver"):
        workflow.escalate_ticket(db, row, reason="vendor fault", actor="ann",
                                 now=datetime.now(UTC), to_tier=4, approver="Ann",
                                 approvers=["Dana Lead", "Sam Manager"])
    workflow.escalate_ticket(db, row, reason="vendor fault", actor="ann", now=datetime.now(UTC),
                             to_tier=4, approver="Dana Lead",
                             approvers=["Dana Lead", "Sam Manager"])
    db.commit()
    assert fresh(db, Ticket, ticket.id).tier == 4
    assert any("approved by Dana Lead" in t for t in timeline(db, ticket.id))


# ---- quiet hours and destinations -----------------------------------------------------------

@pytest.mark.parametrize(("number", "utc_hour", "allowed", "next_utc"), [
    ("+393331234567", 7, False, datetime(2026, 11, 23, 8, 0, tzinfo=UTC)),  # 08:00 in Rome
    ("+393331234567", 10, True, None),                                      # 11:00 in Rome
    ("+60123456789", 13, False, datetime(2026, 11, 24, 1, 0, tzinfo=UTC)),  # 21:00 in Malaysia
    ("+12025550147", 13, False, datetime(2026, 11, 23, 14, 0, tzinfo=UTC)),  # 08:00 in New York
    ("+12025550147", 20, True, None),                                       # 15:00 in New York
])
def test_quiet_hours_are_kept_in_the_callees_time_zone(
        app, db, demo, twilio_api, dispatcher, number, utc_hour, allowed, next_utc):
    with time_machine.travel(MONDAY_10.replace(hour=utc_hour), tick=False):
        ticket = open_ticket(db, number=number)
        outbound = workflow.schedule_status_call(db, ticket, now=datetime.now(UTC),
                                                 reason="cadence")
        db.commit()
        dispatcher.run_until_idle()
        row = fresh(db, OutboundCall, outbound.id)
        if allowed:
            assert row.status == "placed" and len(twilio_api.placed) == 1
        else:
            assert row.status == "pending" and twilio_api.placed == []
            assert row.due_at == next_utc
            assert any("waits until" in t and "calling hours" in t
                       for t in timeline(db, ticket.id))


def test_customer_time_zone_overrides_the_numbers(app, db, demo, twilio_api, dispatcher):
    customer = db.scalar(select(Customer).where(Customer.name.like("Alice%")))
    customer.timezone = "Asia/Tokyo"  # travelling: 19:00 UTC is 04:00 in Tokyo
    db.commit()
    with time_machine.travel(MONDAY_10.replace(hour=19), tick=False):
        ticket = open_ticket(db, number="+12025550147", customer_phone="+15551230001")
        outbound = workflow.schedule_status_call(db, ticket, now=datetime.now(UTC),
                                                 reason="cadence")
        db.commit()
        dispatcher.run_until_idle()
    row = fresh(db, OutboundCall, outbound.id)
    assert row.status == "pending" and row.due_at == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    assert twilio_api.placed == []


@pytest.mark.parametrize(("number", "why"), [
    ("+19005551234", "premium-rate numbers are never called"),
    ("+33612345678", "FR is not among the countries the line calls"),
    ("+447012345678", "personal numbers are never called"),  # UK 070, booked before a rule
    ("+447640123456", "pager numbers are never called"),  # UK 076
    ("+391781234567", "personal numbers are never called"),  # Italian 178
    ("+15551230001", "not a valid phone number"),  # plausible (the demo's), but not valid
])
def test_a_disallowed_destination_is_refused_and_recorded(
        app, db, demo, travel, twilio_api, dispatcher, number, why):
    ticket = open_ticket(db, number=number)
    outbound = workflow.schedule_status_call(db, ticket, now=datetime.now(UTC), reason="cadence")
    db.commit()
    dispatcher.run_until_idle()
    row = fresh(db, OutboundCall, outbound.id)
    assert row.status == "refused" and why in row.result
    assert twilio_api.placed == []
    assert any(why in t for t in timeline(db, ticket.id, "outbound_refused"))


def test_calls_per_number_per_day_are_capped(app, db, demo, travel, twilio_api, dispatcher,
                                             answer):
    tickets = [open_ticket(db) for _ in range(4)]  # policy cap: 3 a day
    for ticket in tickets:
        workflow.schedule_status_call(db, ticket, now=datetime.now(UTC), reason="cadence")
    db.commit()
    for _ in range(4):  # one at a time; each reaches voicemail and leaves the update
        dispatcher.run_until_idle()
        answer(twilio_api.placed[-1], "machine_end_beep")
        status_from_twilio(app, twilio_api.placed[-1], "completed", "machine_end_beep")
    assert len(twilio_api.placed) == 3
    waiting = db.scalar(select(OutboundCall).where(OutboundCall.status == "pending"))
    assert waiting.due_at == datetime.now(UTC) + timedelta(days=1)
    assert any("daily limit of 3 calls" in t for t in timeline(db, waiting.ticket_id))


def test_a_number_is_rung_by_one_call_at_a_time(app, db, demo, travel, twilio_api, dispatcher,
                                                 answer):
    first, second = open_ticket(db), open_ticket(db)
    workflow.schedule_status_call(db, first, now=datetime.now(UTC), reason="cadence")
    workflow.resolve_ticket(db, fresh(db, Ticket, second.id), actor="ann",
                            now=datetime.now(UTC), note="Fuser replaced")
    db.commit()
    dispatcher.run_until_idle()
    [ringing] = twilio_api.placed  # not two calls at once to one phone
    callee = answer(ringing).hears(f"update on ticket {' '.join(first.number)}")
    assert dispatcher.run_until_idle() == 0  # still on the line
    callee.press("9")
    status_from_twilio(app, ringing, "completed")
    dispatcher.run_until_idle()
    assert len(twilio_api.placed) == 2
    answer(twilio_api.placed[-1]).hears("marked as resolved")


# ---- Twilio errors --------------------------------------------------------------------------

def test_twilio_errors_retry_with_backoff_and_an_invalid_number_fails_with_the_reason(
        app, db, demo, travel, twilio_api, dispatcher):
    ticket = open_ticket(db)
    outbound = workflow.schedule_status_call(db, ticket, now=datetime.now(UTC), reason="cadence")
    db.commit()
    twilio_api.fail_next = [(429, {"code": 20429, "message": "Too Many Requests",
                                   "status": 429}),
                            (503, {"code": 20503, "message": "Service Unavailable",
                                   "status": 503})]
    dispatcher.run_until_idle()
    row = fresh(db, OutboundCall, outbound.id)
    assert row.status == "pending" and row.rest_failures == 1
    assert row.due_at == datetime.now(UTC) + timedelta(seconds=5)
    travel.shift(timedelta(seconds=5))
    dispatcher.run_until_idle()
    row = fresh(db, OutboundCall, outbound.id)
    assert row.rest_failures == 2 and row.due_at == datetime.now(UTC) + timedelta(seconds=10)
    travel.shift(timedelta(seconds=10))
    dispatcher.run_until_idle()
    row = fresh(db, OutboundCall, outbound.id)
    assert row.status == "placed" and len(twilio_api.placed) == 1

    second = open_ticket(db, number="+442079460102")
    bad = workflow.schedule_status_call(db, second, now=datetime.now(UTC), reason="cadence")
    db.commit()
    twilio_api.fail_next = [(400, {"code": 21211, "message": "The 'To' number is not a valid "
                                   "phone number.", "status": 400})]
    dispatcher.run_until_idle()
    row = fresh(db, OutboundCall, bad.id)
    assert row.status == "failed" and "not a valid phone number" in row.result
    assert any("code 21211" in t for t in timeline(db, second.id, "outbound_failed"))


def test_a_timed_out_request_twilio_acted_on_is_not_dialled_again(
        app, db, demo, travel, twilio_api, dispatcher, answer):
    ticket = open_ticket(db)
    outbound = workflow.schedule_status_call(db, ticket, now=datetime.now(UTC), reason="cadence")
    db.commit()
    twilio_api.time_out_next = 1
    dispatcher.run_until_idle()
    row = fresh(db, OutboundCall, outbound.id)
    assert row.status == "pending" and row.rest_failures == 1  # retried with backoff
    travel.shift(timedelta(seconds=5))
    dispatcher.run_until_idle()
    [placed] = twilio_api.placed  # the callee's phone rang once
    row = fresh(db, OutboundCall, outbound.id)
    assert (row.status, row.twilio_sid, row.attempts) == ("placed", placed["sid"], 1)
    answer(placed).hears(f"update on ticket {' '.join(ticket.number)}")
    assert any("placed, attempt 1 of 3" in t for t in timeline(db, ticket.id))


# ---- closure and survey ---------------------------------------------------------------------

def test_resolving_calls_the_customer_and_stores_the_survey(
        app, db, demo, travel, twilio_api, dispatcher, answer):
    ticket = open_ticket(db)
    workflow.resolve_ticket(db, fresh(db, Ticket, ticket.id), actor="ann",
                            now=datetime.now(UTC), note="Fuser replaced")
    db.commit()
    dispatcher.run_until_idle()
    callee = answer(twilio_api.placed[-1])
    callee.hears("marked as resolved", "If the problem is solved, press 1")
    callee.press("1").hears("How satisfied")
    callee.press("5").hears("To leave a comment, press 1")
    callee.press("1").record(seconds=9)
    callee.hears("Thank you for your time")
    survey = db.scalar(select(SurveyResponse))
    assert survey.solved is True and survey.score == 5 and survey.comment_seconds == 9
    assert fresh(db, Ticket, ticket.id).status == "resolved"


def test_an_italian_callee_called_in_the_evening_is_not_wished_good_morning(
        app, db, demo, twilio_api, dispatcher, answer):
    """Calls go out until 20:00 where the callee is: at 18:30 in Rome the closure call greets
    with "Salve", as the line does, not "Buongiorno" (the English "Hello" fits any hour)."""
    with time_machine.travel(datetime(2026, 11, 23, 17, 30, tzinfo=UTC), tick=False):
        ticket = open_ticket(db, number="+393331234567", language="it-IT")
        workflow.resolve_ticket(db, fresh(db, Ticket, ticket.id), actor="ann",
                                now=datetime.now(UTC), note="Fusore sostituito")
        db.commit()
        dispatcher.run_until_idle()
        callee = answer(twilio_api.placed[-1])
    callee.hears("Salve, la chiama")
    assert "Buongiorno" not in callee.text and callee.languages == {"it-IT"}


def test_not_solved_reopens_the_ticket_and_a_low_score_opens_a_follow_up(
        app, db, demo, travel, twilio_api, dispatcher, answer):
    ticket = open_ticket(db)
    row = fresh(db, Ticket, ticket.id)
    row.tier = 2
    workflow.resolve_ticket(db, row, actor="bob", now=datetime.now(UTC))
    db.commit()
    dispatcher.run_until_idle()
    callee = answer(twilio_api.placed[-1], answered_by="human")
    callee.press("2").hears("We have reopened ticket")
    callee.press("1").press("2")  # score 1, no comment
    reopened = fresh(db, Ticket, ticket.id)
    assert reopened.status == "open" and reopened.tier == 2 and reopened.reopened_count == 1
    survey = db.scalar(select(SurveyResponse))
    assert survey.solved is False and survey.score == 1
    follow = db.scalar(select(Ticket).where(Ticket.parent_id == ticket.id))
    assert follow.category == "follow_up" and "score 1 of 5" in follow.problem
    assert any("Reopened: the customer says the problem is not solved; back to tier 2" in t
               for t in timeline(db, ticket.id))


# ---- the process ------------------------------------------------------------------------------

def test_a_second_scheduler_on_one_sqlite_database_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'line.db'}"
    first = scheduler.sqlite_lock(url)
    try:
        with pytest.raises(scheduler.SchedulerRefused, match="already running.*pid"):
            scheduler.sqlite_lock(url)
    finally:
        first.close()
    scheduler.sqlite_lock(url).close()  # free again once the first has stopped


def test_scheduler_has_every_job(app):
    jobs = {job.id for job in scheduler.build(app).get_jobs()}
    assert jobs == {"dispatch", "outbox", "heartbeat", "route", "sla", "cadence",
                    "housekeeping", "spool"}


@pytest.mark.parametrize(("number", "now", "due", "why"), [
    # Sunday night: outside the callee's calling hours, then the desk opens Monday
    ("+393331234567", datetime(2026, 11, 29, 3, 57, tzinfo=UTC),
     datetime(2026, 11, 30, 8, 0, tzinfo=UTC), "calling hours"),  # 09:00 in Rome
    # Sunday morning in New York: they may be called, but the desk is closed
    ("+12025550147", datetime(2026, 11, 29, 15, 0, tzinfo=UTC),
     datetime(2026, 11, 30, 14, 0, tzinfo=UTC), "the help desk is closed"),  # 09:00 there
    # Christmas, a holiday: the next working day, Monday 28th
    ("+393331234567", datetime(2026, 12, 25, 10, 0, tzinfo=UTC),
     datetime(2026, 12, 28, 8, 0, tzinfo=UTC), "the help desk is closed"),
])
def test_a_callback_is_placed_only_while_open_and_within_the_callees_calling_hours(
        app, db, demo, twilio_api, dispatcher, number, now, due, why):
    with time_machine.travel(now, tick=False):
        ticket = open_ticket(db, number=number)
        outbound = bookings.schedule_callback(db, ticket_id=ticket.id, number=number,
                                              language="en-US", due=now)
        db.commit()
        dispatcher.run_until_idle()
        row = fresh(db, OutboundCall, outbound.id)
        assert row.status == "pending" and twilio_api.placed == []
        assert row.due_at == due
        assert any("waits until" in t and why in t for t in timeline(db, ticket.id))
    with time_machine.travel(due, tick=False):
        dispatcher.run_until_idle()
        assert fresh(db, OutboundCall, outbound.id).status == "placed"
