"""Every Twilio webhook is idempotent by (CallSid, step or attempt): Twilio's retries, double
posts and late duplicates get the answer the first request got and change nothing.

One test plays calls that reach every webhook of the app's url_map under /voice, sending each
request twice with the same signed parameters, and compares every row of the database (the
timeline included), the requests made to Twilio and the TwiML after each copy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from ivr import scheduler
from ivr.queues.agents import set_phone_pin
from tickets.db import Base
from tickets.models import (
    Agent,
    Call,
    Conference,
    OutboundCall,
    QueueEntry,
    Ticket,
    TicketEvent,
)
from tickets.outbox import SmsOptOut

from ..conftest import AUTH_TOKEN, MONDAY_10, PUBLIC_BASE_URL, Caller
from ..twilio_fake import Room, leg_phone, leg_status
from .test_intake import report_problem
from .test_outbound import ALICE, fresh, run_job, travel, twilio_api  # noqa: F401  fixtures

KEPT_REPLIES = {"webhook_reply"}  # the answers kept for repeats: the one table a first copy adds


def snapshot(db) -> dict[str, list[tuple]]:
    """Every row of every table (but the kept answers), read fresh."""
    db.expire_all()
    rows = {}
    with db.bind.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in KEPT_REPLIES:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [tuple(r) for r in conn.execute(table.select().order_by(*order))]
    return rows


class Twice:
    """Sends every webhook request twice, as a retrying Twilio would, and checks the second
    copy changed nothing and was answered alike."""

    def __init__(self, app, client, db, api):
        self.app, self.client, self.db, self.api = app, client, db, api
        self.endpoints: set[str] = set()
        self.adapter = app.url_map.bind("helpdesk.example.test")

    def rest_requests(self) -> int:
        return len(self.api.rsps.calls)

    def transport(self, url, params, headers):
        assert url.startswith(PUBLIC_BASE_URL)
        path = url[len(PUBLIC_BASE_URL):]
        endpoint, _ = self.adapter.match(path.split("?")[0], method="POST")
        self.endpoints.add(endpoint)
        first = self.client.post(path, data=params, headers=headers)
        before, asked = snapshot(self.db), self.rest_requests()
        second = self.client.post(path, data=params, headers=headers)
        assert second.status_code == first.status_code == 200
        assert second.get_data(as_text=True) == first.get_data(as_text=True), path
        after = snapshot(self.db)
        changed = {t for t in after if after[t] != before[t]}
        assert not changed, f"a repeat of {path} changed {changed}"
        assert self.rest_requests() == asked, f"a repeat of {path} asked Twilio again"
        return first.status_code, first.get_data(as_text=True)

    def phone(self, from_: str, **kwargs) -> Caller:
        return Caller(self.transport, PUBLIC_BASE_URL, AUTH_TOKEN, from_=from_, **kwargs)


@pytest.fixture
def twice(app, client, db, twilio_api):  # noqa: F811  (a fixture)
    return Twice(app, client, db, twilio_api)


def set_status(db, agent: Agent, status: str) -> None:
    fresh(db, Agent, agent.id).status = status
    db.commit()


def staff(db) -> tuple[Agent, ...]:
    """The demo's analysts: Ann on a break (PIN 2468), Ben on a call, the others offline."""
    agents = {a.name.split()[0]: a for a in db.scalars(select(Agent))}
    for agent in agents.values():
        agent.status, agent.status_since, agent.idle_since = "offline", MONDAY_10, MONDAY_10
    set_phone_pin(agents["Ann"], "2468")
    agents["Ann"].status, agents["Ben"].status = "on_break", "on_call"
    db.commit()
    return agents["Ann"], agents["Ben"]


def to_queue(twice, number, impact="1", urgency="2"):
    caller = twice.phone(number).dial()  # the problem said at once, at the place on file
    report_problem(caller, impact=impact, urgency=urgency, planned="2")
    return caller.press("2")  # no other problem: on to the queue


def count(db, model, *where) -> int:
    return len(db.scalars(select(model).where(*where)).all())


def test_every_webhook_sent_twice_applies_once(app, db, demo, travel, twilio_api,  # noqa: F811
                                              twice):
    ann, ben = staff(db)

    # An analyst by phone: the PIN, then the menu (available: free for the next caller).
    analyst = twice.phone(ann.phone).dial().press("2468").press("2")
    analyst.hears("You are now on a break")
    assert fresh(db, Agent, ann.id).pin_failures == 0

    # A caller holds, is put through to Ann, who misses the call: counted once.
    caller = to_queue(twice, "+15551230001")
    caller.hears("May we put you on hold").press("1")
    assert caller.in_queue
    caller.wait()
    set_status(db, ann, "available")
    caller.wait()  # the hold pass finds Ann free: the caller is dequeued to the bridge
    assert len(twilio_api.dequeued) == 1
    caller.redirected(twilio_api.dequeued[-1]["url"])
    caller.hears("Thank you for holding")
    entry = db.scalar(select(QueueEntry).where(QueueEntry.caller_number == "+15551230001"))
    whisper = caller.post(f"/voice/queue/whisper?e={entry.id}",
                          {**caller.params, "CallSid": "CA" + "b" * 32})[1]
    assert "Alice Johnson" in whisper
    _status, music = caller.post(caller.room["waitUrl"], caller.params)  # in the conference
    assert "<Play" in music  # the policy's hold music
    missed = twilio_api.placed[-1]  # Ann's leg rings out
    leg_status(caller, missed, "ringing", 1)
    leg_status(caller, missed, "no-answer", 2)
    [moved] = twilio_api.conferences.redirected
    caller.redirected(moved["Url"])  # Twilio moves the caller back to the queue
    caller.hears("keep your place")
    assert fresh(db, Agent, ann.id).no_answer_count == 1  # not 2: one missed call
    assert count(db, TicketEvent, TicketEvent.kind == "agent_no_answer") == 1
    travel.shift(60)
    set_status(db, ann, "available")
    caller.wait()
    assert len(twilio_api.dequeued) == 2  # put through to Ann again: a new attempt, not a repeat
    caller.redirected(twilio_api.dequeued[-1]["url"])
    ann_leg = leg_phone(twice.transport, PUBLIC_BASE_URL, AUTH_TOKEN, twilio_api.placed[-1])
    room = Room(caller)
    room.caller_joins()
    room.analyst_joins(ann_leg, f"analyst-{ann.id}")
    entry_room = db.scalar(select(Conference.id).where(Conference.name == room.name))
    _status, held = caller.post(f"/voice/conference/hold?c={entry_room}&m=2", caller.params)
    assert "about 2 minutes" in held  # what Twilio plays the caller on hold
    room.event("participant-hold", caller.call_sid, "caller")
    room.event("participant-leave", ann_leg.call_sid, f"analyst-{ann.id}")
    caller.dial_ends("completed", 200)
    leg_status(ann_leg, twilio_api.placed[-1], "completed", 3, duration=210)
    assert count(db, TicketEvent, TicketEvent.kind == "bridged") == 2
    caller.status("completed", sequence=3, duration=260)
    assert count(db, TicketEvent, TicketEvent.text.like("Call ended%")) == 1

    # Callers who leave the queue: for a callback (keyed number), voicemail, by hanging up.
    set_status(db, ann, "on_call")
    booker = to_queue(twice, "+15551230001").press("1")
    booker.press("2")  # while holding: a callback instead (hold-key, then left)
    # the number confirmed in intake is read back; 3 for another, keyed; then the soonest
    booker.press("3").press(ALICE.replace("+", "011")).press("1")
    booker.hears("will call you back")
    assert count(db, OutboundCall, OutboundCall.to_number == ALICE) == 1
    leaver = to_queue(twice, "+15551230001").press("3")
    leaver.record(20)
    leaver.hears("message")
    assert count(db, TicketEvent, TicketEvent.kind == "voicemail") == 1
    quitter = to_queue(twice, "+15551230001").press("1")
    quitter.hang_up()
    assert count(db, TicketEvent, TicketEvent.kind == "abandoned") == 1

    # Nobody staffed: the offer of a callback (offline), to the caller's own number.
    for agent in (ann, ben):
        set_status(db, agent, "offline")
    late = to_queue(twice, "+393331234567")  # Marco: a number the line may call
    late.hears("nessun analista").press("1").press("1")  # a callback, to it, the soonest
    assert count(db, OutboundCall, OutboundCall.to_number == "+393331234567") == 1
    # A number not confirmed in the call is read back to be confirmed: 2 keys another.
    entry = db.scalar(select(QueueEntry).order_by(QueueEntry.id.desc()))
    _status, body = late.post(f"/voice/queue/callback/number?e={entry.id}",
                              {**late.params, "Digits": "2"})
    assert "Digiti il numero da richiamare" in body  # key in the number (in Italian)

    # The keyed callback is placed: answered (by the callee), connected, its status callbacks.
    set_status(db, ann, "available")
    run_job(app, scheduler.route_sweep)
    dispatcher = scheduler.make_dispatcher(app, owner="test", concurrency=1)
    try:
        assert dispatcher.run_until_idle() >= 1
    finally:
        dispatcher.close()
    placed = next(p for p in twilio_api.placed if p["To"] == ALICE)
    callee = twice.phone(placed["From"], to=placed["To"], call_sid=placed["sid"])
    callee.params.update(Direction="outbound-api", AnsweredBy="human")
    callee.status("ringing", sequence=1, path=placed["StatusCallback"])
    callee.dial(placed["Url"]).hears("To be connected to an analyst now, press 1")
    callee.press("1").hears("Connecting you now")
    callee.post("/voice/outbound/connect", callee.params)  # Twilio repeats the redirect
    ann_leg = leg_phone(twice.transport, PUBLIC_BASE_URL, AUTH_TOKEN, twilio_api.placed[-1])
    room = Room(callee)
    room.caller_joins()
    room.analyst_joins(ann_leg, f"analyst-{ann.id}")
    callee.dial_ends("completed", 100)
    callee.status("completed", sequence=3, duration=120, path=placed["StatusCallback"])
    booking = db.scalar(select(OutboundCall).where(OutboundCall.to_number == ALICE))
    assert booking.status == "done" and booking.attempts == 1

    # The line down: Twilio's fallback, and a message left there opens one ticket, not two.
    lost = twice.phone("+12025550147")
    lost.post("/voice/fallback", {**lost.params, "ErrorCode": "11200",
                                  "ErrorUrl": "/voice/incoming"})
    tickets = count(db, Ticket)
    lost.post("/voice/fallback/voicemail", {**lost.params, "RecordingDuration": "31",
                                            "RecordingUrl": "https://api.twilio.com/rec/RE1"})
    assert count(db, Ticket) == tickets + 1

    # After hours, an enterprise failure: the engineer on call does not answer; one callback.
    app.config["EMERGENCY_NUMBER"] = "+15550109999"
    travel.move_to(datetime(2026, 11, 29, 3, 57, tzinfo=UTC))  # Sunday night
    night = to_queue(twice, ALICE, impact="3", urgency="3")  # London: the line may call it
    night.hears("engineer on call").dial_ends("no-answer", 0)
    night.hears("did not answer", "callback")
    assert count(db, OutboundCall, OutboundCall.reason == "after-hours emergency") == 1

    # Texts to the line (STOP, HELP) and a sent text's status callbacks.
    texter = twice.phone("+12025550147")
    sms = {"MessageSid": "SM" + "5" * 32, "AccountSid": "AC" + "0" * 32, "From": "+12025550147",
           "To": "+15550100000"}
    texter.post("/voice/sms/incoming", {**sms, "Body": "STOP", "OptOutType": "STOP"})
    assert count(db, SmsOptOut) == 1
    assert "<Message>" in texter.post("/voice/sms/incoming", {**sms, "Body": "HELP",
                                                              "MessageSid": "SM" + "6" * 32})[1]
    texter.post("/voice/sms/status?m=1", {**sms, "MessageStatus": "delivered"})

    voice = {rule.endpoint for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/voice/")}
    assert voice - twice.endpoints == set()


def test_a_late_duplicate_of_turn_three_is_answered_as_turn_three(call, db, demo, clock):
    caller = call(from_="+15551230001").press("2").speak("Building C, room 5")  # she moved
    caller.speak("The printer jams")  # turn 3: the problem, asked after the place
    third = caller.requests[-1]
    assert third[0].endswith("?t=3")
    caller.hears("That sounds like a hardware problem", "Another type of service, 3")
    turn_three = db.scalar(select(Call.last_response))
    caller.press("3").press("1")  # turns 4 and 5: the guess refused, hardware from the menu
    caller.hears("Your HP LaserJet M404, press 1")
    turn, events = db.scalar(select(Call.turn)), count(db, TicketEvent)
    assert turn == 5
    # Twilio's retry of turn 3 arrives after turns 4 and 5 were taken.
    status, body = caller.post(*third)
    assert status == 200 and body == turn_three
    assert body != db.scalar(select(Call.last_response))  # not the newest answer
    assert db.scalar(select(Call.turn)) == turn and count(db, TicketEvent) == events
