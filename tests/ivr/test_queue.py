"""Queues, routing and managed hold through the HTTP surface, with Twilio's REST API mocked."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import responses
from sqlalchemy import select

from ivr.queues.agents import set_phone_pin
from tickets import versions
from tickets.models import Agent, OutboundCall, QueueEntry, Ticket, TicketEvent
from tickets.versions import live_policy

from .. import conftest
from ..conftest import MONDAY_10, PUBLIC_BASE_URL
from ..twilio_fake import Room, leg_status
from .test_intake import give_details, report_problem, tell_problem

twilio = conftest.twilio  # the fixture (tests/conftest.py), for modules that import it here
MEMBERS = re.compile(r"https://api\.twilio\.com/2010-04-01/Accounts/\w+/Queues/(QU\w+)/Members/"
                     r"(CA\w+)\.json")


def add_agent(db, name, tier=1, status="available", phone=None, skills=(), idle_since=None):
    count = len(db.scalars(select(Agent)).all())
    agent = Agent(name=name, tier=tier, status=status, skills=list(skills),
                  phone=phone or f"+1202555{2000 + count:04d}",
                  status_since=MONDAY_10, idle_since=idle_since or MONDAY_10)
    db.add(agent)
    db.commit()
    return agent


# Alice's second number: the first (+15551230001) is not a valid number, so the line never
# promises to call it back; it calls her back on this one, on file.
ALICE_CALLABLE = "+442079460101"


def stop_calling(db, country: str) -> None:
    """An admin publishes a hold policy under which the line no longer calls numbers of this
    country (ISO code), while calls are in progress."""
    text = versions.current(db, "default", "policy").text
    kept = [c for c in ("US", "CA", "GB", "IT", "MY") if c != country]
    changed = text.replace("allowed_countries: [US, CA, GB, IT, MY]",
                           f"allowed_countries: [{', '.join(kept)}]")
    assert changed != text
    versions.publish(db, "default", changed, "admin", "policy")
    db.commit()


def to_queue(call, number="+15551230001", impact="1", urgency="2", planned="2"):
    """A known caller reports a problem and reaches the queue."""
    caller = call(from_=number)  # the problem said at once, at the place on file
    report_problem(caller, impact=impact, urgency=urgency, planned=planned)
    caller.press("2")  # no other problem: on to the queue
    return caller


def entry_of(db, caller) -> QueueEntry:
    """The caller's latest queue entry, read fresh from the database."""
    return db.scalar(select(QueueEntry)
                     .where(QueueEntry.caller_number == caller.params["From"])
                     .order_by(QueueEntry.id.desc())
                     .execution_options(populate_existing=True))


def timeline(db, kind=None):
    query = select(TicketEvent).order_by(TicketEvent.id)
    if kind:
        query = query.where(TicketEvent.kind == kind)
    return [e.text for e in db.scalars(query)]


def put_through(caller, twilio, analyst, agent):
    """Twilio moves the dequeued caller to the bridge; the analyst's phone rings, they hear
    the whisper and join the caller's conference. Returns (conference, analyst's leg)."""
    caller.redirected(twilio.dequeued[-1]["url"])
    placed = twilio.analyst_legs()[-1]
    assert placed["To"] == agent.phone
    leg = analyst(placed)
    assert leg.conferences == caller.conferences[-1:]
    room = Room(caller)
    room.caller_joins()
    room.analyst_joins(leg, f"analyst-{agent.id}")
    return room, leg


def test_caller_is_connected_at_once_when_an_agent_is_free(app, call, db, demo, clock, twilio,
                                                           analyst):
    agent = add_agent(db, "Ann", tier=1)
    caller = to_queue(call)
    caller.hears("An analyst is free to take your call")
    assert "expected wait" not in caller.text.lower()
    assert "number 1 in line" not in caller.text  # put through, not told a place in line
    assert len(twilio.dequeued) == 1
    dequeue = twilio.dequeued[0]
    assert dequeue["call"] == caller.call_sid and dequeue["url"].startswith(PUBLIC_BASE_URL)

    caller.redirected(dequeue["url"])
    assert "Thank you for holding" not in caller.text  # they did not hold
    assert [leg["To"] for leg in twilio.analyst_legs()] == [agent.phone]
    assert caller.dialled == [] and len(caller.conferences) == 1  # the caller's own conference

    # The agent's leg first plays the whisper: ticket, priority, caller and summary.
    ticket = db.scalar(select(Ticket).where(Ticket.call_id.is_not(None)))
    entry = entry_of(db, caller)
    _status, body = caller.post(f"/voice/queue/whisper?e={entry.id}",
                                {**caller.params, "CallSid": "CA" + "b" * 32})
    assert f"Ticket {' '.join(ticket.number)}" in body and "regular scheduled service" in body
    assert "Alice Johnson" in body and "printer jams" in body.lower()
    # ... then joins the caller's conference, which starts when they do.
    leg = analyst(twilio.analyst_legs()[0])
    assert "printer jams" in leg.text.lower() and leg.conferences == caller.conferences
    room = Room(caller)
    room.caller_joins()
    room.analyst_joins(leg, f"analyst-{agent.id}")

    caller.dial_ends("completed", 240)
    assert caller.hung_up
    db.refresh(agent)
    assert agent.status == "wrap_up"
    assert any("Connected to Ann" in t for t in timeline(db, "bridged"))
    assert entry_of(db, caller).handled_seconds == 240
    db.refresh(ticket)
    assert ticket.agent_id == agent.id  # the analyst who took the call holds the ticket
    policy = live_policy(db)
    clock.advance(policy.wrap_up_seconds - 1)
    app.test_cli_runner().invoke(args=["ivr", "route"])
    db.refresh(agent)
    assert agent.status == "wrap_up"
    clock.advance(2)
    result = app.test_cli_runner().invoke(args=["ivr", "route"])  # the safety-net sweep
    assert result.exit_code == 0, result.output
    db.refresh(agent)
    assert agent.status == "available"


def test_caller_is_asked_before_holding_and_told_the_wait(call, db, demo, clock, twilio):
    add_agent(db, "Ann", tier=1, status="on_call")
    caller = to_queue(call)
    caller.hears("expected wait", "minutes", "May we put you on hold", "To hold, press 1")
    assert not caller.in_queue and twilio.dequeued == []
    caller.press("1")
    assert caller.in_queue
    entry = entry_of(db, caller)
    assert entry.consent and entry.announced_wait > 0
    assert "Caller agreed to hold" in timeline(db, "hold_consent")
    assert any("Estimated wait announced" in t for t in timeline(db, "estimate"))


def test_check_back_and_late_apology_come_at_the_right_moments(call, db, demo, clock, twilio,
                                                              app):
    add_agent(db, "Ann", tier=1, status="on_call")
    caller = to_queue(call)
    caller.press("1")  # hold
    entry = entry_of(db, caller)
    policy = live_policy(db)
    caller.wait()
    assert "forgotten" not in caller.text.lower()  # too early for a check-back
    clock.advance(policy.check_back_seconds - 10)
    caller.wait()
    assert "forgotten" not in caller.text.lower()
    clock.advance(15)
    caller.wait()
    caller.hears("haven't forgotten you")
    announced = entry_of(db, caller).announced_wait
    clock.advance(announced + 120)
    caller.wait()
    caller.hears("sorry", "press 2")
    assert any("new estimate" in t for t in timeline(db, "late_apology"))
    assert entry.id == entry_of(db, caller).id


def test_callback_chosen_mid_hold_creates_exactly_one_request(call, db, demo, clock, twilio):
    add_agent(db, "Ann", tier=1, status="on_call")
    caller = to_queue(call, number=ALICE_CALLABLE)
    caller.press("1")
    joined = entry_of(db, caller).joined_at
    caller.press("2")  # during hold: a callback instead
    assert not caller.in_queue
    # The number confirmed in intake is read back, not asked again.
    caller.hears("call you back at 4 4 2 0 7 9 4 6 0 1 0 1.")
    assert "If that is right" not in caller.text
    caller.press("1")  # as soon as an analyst is free
    caller.hears("will call you back")
    assert caller.hung_up
    callbacks = db.scalars(select(OutboundCall)).all()
    assert len(callbacks) == 1
    assert callbacks[0].to_number == ALICE_CALLABLE and callbacks[0].kind == "callback"
    assert callbacks[0].place_joined_at == joined
    # Twilio repeating the last request books nothing more.
    url, params = caller.requests[-1]
    caller.post(url, params)
    assert len(db.scalars(select(OutboundCall)).all()) == 1
    assert any(f"Callback to {ALICE_CALLABLE} booked" in t for t in timeline(db))


def test_a_caller_id_the_line_will_not_call_is_called_back_on_the_number_on_file(
        call, db, demo, clock, twilio):
    """Alice's first number is not a valid number: her ticket and the callback offered take
    the number on file the line may call, and the line says so after the ticket."""
    add_agent(db, "Ann", tier=1, status="on_call")
    caller = call(from_="+15551230001")
    report_problem(caller, impact="1", urgency="2")
    caller.hears("Calls about your ticket go to 4 4 2 0 7 9 4 6 0 1 0 1; for another number, "
                 "press 3.")
    heard = " ".join(h.text for h in caller.transcript)
    assert "other than this one" not in heard and "callback number" not in heard  # not asked
    caller.press("2").press("2")  # no other problem; no, I will not hold: a callback
    caller.hears("We will call you back at 4 4 2 0 7 9 4 6 0 1 0 1")
    assert "1 5 5 5 1 2 3 0 0 0 1" not in caller.text
    assert db.scalar(select(Ticket.callback_number).where(Ticket.call_id.is_not(None))) \
        == ALICE_CALLABLE


def test_a_number_the_line_no_longer_calls_is_never_offered_a_callback(call, db, demo, clock,
                                                                      twilio):
    """The admin stops calls to Great Britain while Alice waits: the line does not read her
    London number back as the one it will call, it asks for one, and books the callback only
    to a number it may call."""
    add_agent(db, "Ann", tier=1, status="on_call")
    caller = to_queue(call)  # from +15551230001; her ticket's number is the London one
    stop_calling(db, "GB")
    caller.press("2")  # no, I will not hold: a callback
    assert "call you back at" not in caller.text
    caller.hears("Please key in the number we should call")
    caller.press("5551230002#").hears("That number cannot be called back. Please key another.")
    assert db.scalar(select(OutboundCall)) is None  # nothing promised yet
    caller.press("2025550188#").press("1")  # a number it may call; as soon as possible
    caller.hears("We will call you back at 1 2 0 2 5 5 5 0 1 8 8")
    assert db.scalar(select(OutboundCall.to_number)) == "+12025550188"


def analyst_misses(caller, twilio, status):
    """The analyst's leg ends unanswered: Twilio moves the waiting caller where the line
    asks (their place in line)."""
    placed = twilio.analyst_legs()[-1]
    leg_status(caller, placed, "initiated", 0)
    leg_status(caller, placed, "ringing", 1)
    leg_status(caller, placed, status, 2)
    [moved] = [r for r in twilio.redirected if r["call"] == caller.call_sid][-1:]
    caller.redirected(moved["Url"])


def test_agent_no_answer_puts_the_caller_back_at_their_place(call, db, demo, clock, twilio):
    agent = add_agent(db, "Ann", tier=1)
    caller = to_queue(call)
    entry = entry_of(db, caller)
    joined = entry.joined_at
    caller.redirected(twilio.dequeued[0]["url"])
    analyst_misses(caller, twilio, "no-answer")
    caller.hears("keep your place")
    assert caller.in_queue
    entry = entry_of(db, caller)
    assert entry.status == "waiting" and entry.joined_at == joined
    db.refresh(agent)
    assert agent.no_answer_count == 1
    assert any("did not answer" in t for t in timeline(db, "agent_no_answer"))


def test_agent_who_misses_too_many_calls_goes_on_break(call, db, demo, clock, twilio):
    agent = add_agent(db, "Ann", tier=1)
    policy = live_policy(db)
    caller = to_queue(call)
    for _ in range(policy.max_no_answer):
        caller.redirected(twilio.dequeued[-1]["url"])
        analyst_misses(caller, twilio, "busy")
        assert len(twilio.dequeued) == _ + 1  # not offered again straight away
        clock.advance(policy.wrap_up_seconds + 1)
        caller.wait()
    db.refresh(agent)
    assert agent.status == "on_break"
    assert len(twilio.dequeued) == policy.max_no_answer


def test_priority_caller_overtakes_when_an_agent_frees_up(call, db, demo, clock, twilio):
    agent = add_agent(db, "Ann", tier=1, status="on_break")
    busy = add_agent(db, "Bob", tier=1, status="on_call")  # noqa: F841 keeps tier 1 staffed
    regular = to_queue(call, number="+15551230001", impact="1", urgency="1")
    regular.press("1")
    clock.advance(30)
    urgent = to_queue(call, number="+393331234567", impact="2", urgency="3")  # critical
    urgent.press("1")
    assert twilio.dequeued == []
    set_phone_pin(agent, "2468")
    db.commit()
    agent_phone = call(from_=agent.phone).press("2468")  # caller ID and PIN
    agent_phone.hears("Hello Ann")
    agent_phone.press("1")  # available
    assert len(twilio.dequeued) == 1
    assert twilio.dequeued[0]["call"] == urgent.call_sid


def test_tier_overflow_after_the_wait(call, db, demo, clock, twilio):
    add_agent(db, "Ann", tier=1, status="on_call")
    add_agent(db, "Tess", tier=2)
    caller = to_queue(call)
    caller.press("1")
    caller.wait()
    assert twilio.dequeued == []  # tier 2 may not take a tier 1 caller yet
    clock.advance(125)
    caller.wait()
    assert len(twilio.dequeued) == 1 and twilio.dequeued[0]["call"] == caller.call_sid


def test_after_hours_caller_can_book_a_callback_for_the_opening(call, db, demo, clock, twilio):
    """The desk opens at 8:00 but calls nobody before 9:00 their time (the policy's quiet
    hours): a caller in London is offered, and booked for, 9:00, not "when we open"."""
    clock.current = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)  # a Sunday evening
    add_agent(db, "Ann", tier=1)
    caller = to_queue(call, number=ALICE_CALLABLE)
    caller.hears("closed")
    caller.press("1").hears("To be called back tomorrow at 9:00 AM, press 1.")
    assert "when we open" not in caller.text
    caller.press("1")
    callback = db.scalar(select(OutboundCall))
    assert callback.due_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert twilio.dequeued == []


def test_after_hours_the_callback_is_the_first_moment_the_caller_may_be_called(
        call, db, demo, clock, twilio):
    """In Washington the desk opens at 3:00 AM (8:00 UTC): the callback offered is 9:00 AM
    there, and that is when it is booked."""
    clock.current = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)  # Sunday, 4:00 PM in Washington
    add_agent(db, "Ann", tier=1)
    caller = call(from_="+12025550147").press("1")  # a new caller
    tell_problem(caller)
    give_details(caller)
    report_problem(caller, impact="1", urgency="2")
    caller.press("2")  # no other problem: to the queue, closed
    caller.hears("opens again tomorrow at 3:00 AM")
    caller.press("1")
    caller.hears("We will call you back at 1 2 0 2 5 5 5 0 1 4 7.")
    caller.press("1")  # the number they call from is right
    caller.hears("To be called back tomorrow at 9:00 AM, press 1.")
    caller.press("1").hears("We will call you back at 1 2 0 2 5 5 5 0 1 4 7")
    callback = db.scalar(select(OutboundCall))
    assert callback.due_at == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def test_after_hours_a_caller_whose_day_has_begun_is_called_back_when_we_open(
        call, db, demo, clock, twilio):
    """The opening (8:00 UTC) is 4:00 PM in Kuala Lumpur: the callback is at the opening."""
    clock.current = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)  # a Sunday evening (UTC)
    add_agent(db, "Ann", tier=1)
    caller = to_queue(call, number="+60123456789")  # Siti, in Malay
    caller.press("1")
    caller.hears("Untuk dihubungi semula apabila kami dibuka, tekan 1.")
    caller.press("1")
    callback = db.scalar(select(OutboundCall))
    assert callback.due_at == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_after_hours_the_callback_is_offered_once_for_the_opening_not_twice(
        call, db, demo, clock, twilio):
    """Closed, "as soon as an analyst is free" and "tomorrow at 9" would name one morning: the
    caller hears the one choice, and a key not offered books nothing."""
    clock.current = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)  # a Sunday evening
    add_agent(db, "Ann", tier=1)
    caller = to_queue(call, number=ALICE_CALLABLE)
    caller.press("1")  # a callback, please
    caller.hears("To be called back tomorrow at 9:00 AM, press 1")
    assert "press 2" not in caller.text and "as soon as" not in caller.text
    caller.press("2")  # not offered: asked again, nothing booked
    caller.hears("To be called back tomorrow at 9:00 AM, press 1")
    assert db.scalar(select(OutboundCall)) is None
    caller.press("1").hears("We will call you back")
    callback = db.scalar(select(OutboundCall))
    assert callback.due_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_with_the_desk_open_the_callback_offer_keeps_both_times(call, db, demo, clock, twilio):
    add_agent(db, "Ann", tier=1, status="on_call")
    caller = to_queue(call, number=ALICE_CALLABLE)
    caller.press("2")  # no, I will not hold: a callback
    caller.hears("as soon as an analyst is free, press 1", "press 2")


def test_with_the_desk_open_a_caller_who_may_not_be_called_yet_hears_when_they_will_be(
        call, db, demo, clock, twilio):
    """10:00 UTC is 5:00 AM in Washington, and nobody there is called before 9:00 AM (the
    policy's calling hours): "as soon as an analyst is free" would be a promise the dispatcher
    does not keep. The one moment is offered, and booked for then, keeping the place."""
    add_agent(db, "Ann", tier=1, status="on_call")
    caller = call(from_="+12025550147").press("1")  # a new caller
    tell_problem(caller)
    give_details(caller)
    report_problem(caller, impact="1", urgency="2")
    caller.press("2")  # no other problem: to the queue
    caller.press("2")  # no, I will not hold: a callback
    caller.hears("We will call you back at 1 2 0 2 5 5 5 0 1 4 7.")
    caller.press("1")  # the number they call from is right
    caller.hears("To be called back today at 9:00 AM, press 1.")
    assert "as soon as" not in caller.text and "press 2" not in caller.text
    caller.press("2")  # not offered: asked again, nothing booked
    caller.hears("To be called back today at 9:00 AM, press 1.")
    assert db.scalar(select(OutboundCall)) is None
    caller.press("1").hears("We will call you back at 1 2 0 2 5 5 5 0 1 4 7",
                            "you keep your place in line")
    callback = db.scalar(select(OutboundCall))
    assert callback.due_at == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 9:00 AM there
    assert callback.place_joined_at < callback.due_at  # its place: when it joined the line


def test_a_caller_who_arranges_no_callback_is_back_in_line_holding_in_their_place(
        call, db, demo, clock, twilio):
    """Silence at "when should we call?" is asked again, saying so; the third time the asking
    ends: not a loop without end, but back in line, holding, the place kept, nothing booked."""
    add_agent(db, "Ann", tier=1, status="on_call")
    caller = to_queue(call, number=ALICE_CALLABLE)
    caller.press("1")  # hold
    joined = entry_of(db, caller).joined_at
    caller.press("2")  # while holding: a callback, please
    caller.hears("as soon as an analyst is free, press 1")
    caller.wait()
    caller.hears("Sorry, I did not catch that.", "as soon as an analyst is free, press 1")
    caller.press("7")  # not offered
    caller.hears("Sorry, I did not catch that.", "as soon as an analyst is free, press 1")
    caller.wait()
    caller.hears("We could not arrange a callback, so you keep your place in line.",
                 "The expected wait is about")
    assert caller.in_queue and not caller.hung_up
    assert db.scalar(select(OutboundCall)) is None
    entry = entry_of(db, caller)
    assert entry.status == "waiting" and entry.joined_at == joined and entry.intent is None
    assert entry.announced_wait is not None  # the wait said is kept, as every one announced
    assert any("No callback arranged" in t for t in timeline(db, "callback_not_arranged"))


def test_after_hours_a_caller_who_keys_no_number_the_line_calls_hears_their_ticket(
        call, db, demo, clock, twilio):
    """Closed: nothing keyed is "not heard" (not "cannot be called back"); numbers the line
    will not call are refused; the third answer without a number ends the asking with the
    ticket's number, and the call, instead of asking for ever."""
    clock.current = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)  # a Sunday evening
    add_agent(db, "Ann", tier=1)
    caller = to_queue(call, number=ALICE_CALLABLE)
    caller.press("1")  # a callback, please
    caller.press("3")  # on another number
    caller.hears("Please key in the number we should call")
    caller.wait()  # nothing keyed
    caller.hears("Sorry, I did not catch that.")
    assert "cannot be called back" not in caller.text
    caller.press("12#").hears("That number cannot be called back. Please key another.")
    caller.press("34#")
    [ticket] = db.scalars(select(Ticket).where(Ticket.call_id.is_not(None))).all()
    caller.hears("We could not arrange a callback.",
                 f"Your ticket number is {' '.join(ticket.number)}")
    assert caller.hung_up and db.scalar(select(OutboundCall)) is None


def test_enterprise_failure_after_hours_reaches_the_emergency_line(app, call, db, demo, clock):
    app.config["EMERGENCY_NUMBER"] = "+15550109999"
    clock.current = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)
    caller = to_queue(call, impact="3", urgency="3")
    assert "+15550109999" in caller.dialled
    assert "After hours: put through to the engineer on call" in timeline(db, "emergency")


def test_the_emergency_line_is_announced_in_the_callers_language(app, call, db, demo, clock):
    app.config["EMERGENCY_NUMBER"] = "+15550109999"
    clock.current = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)
    caller = to_queue(call, number="+393331234567", impact="3", urgency="3")
    assert "+15550109999" in caller.dialled
    caller.hears("La mettiamo in contatto con l'ingegnere reperibile")
    caller.dial_ends("completed", 300)
    caller.hears("Arrivederci")
    assert "Goodbye" not in caller.text


def test_abandoned_caller_resumes_their_place(call, db, demo, clock, twilio):
    add_agent(db, "Ann", tier=1, status="on_call")
    caller = to_queue(call)
    caller.press("1")
    first = entry_of(db, caller)
    clock.advance(90)
    caller.queue_position = 3
    caller.hang_up()
    first = db.get(QueueEntry, first.id)
    db.refresh(first)
    assert first.status == "abandoned" and first.position_at_end == 3
    assert first.actual_wait == pytest.approx(90)
    assert any("hung up while waiting (position 3, 90 s)" in t for t in timeline(db))
    clock.advance(60)
    again = to_queue(call)
    again.press("1")
    second = entry_of(db, again)
    assert second.id != first.id and second.joined_at == first.joined_at
    assert any("resumed their place" in t for t in timeline(db))


def test_nobody_staffed_offers_a_callback_not_silence(call, db, demo, clock):
    caller = to_queue(call, number=ALICE_CALLABLE)
    caller.hears("no analyst")
    caller.press("1").press("1")  # a callback; as soon as an analyst is free
    assert db.scalar(select(OutboundCall)) is not None


def test_two_workers_routing_at_once_bridge_each_caller_once(app, call, db, demo, clock,
                                                           twilio):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from ivr.db import session
    from ivr.twilio_rest import router

    add_agent(db, "Ann", tier=1, status="on_call")
    callers = [to_queue(call, number=n) for n in ("+15551230001", "+393331234567")]
    for caller in callers:
        caller.press("1")
    for name in ("Bea", "Cal", "Dee"):
        add_agent(db, name, tier=1)

    start = threading.Barrier(4)

    def worker(_):
        with app.test_request_context():
            db_session = session()
            if db_session.bind.dialect.name != "sqlite":  # SQLite would take its write lock
                db_session.connection()  # connected before the race starts
            start.wait(timeout=30)
            return router(app).route_now(db_session, clock())

    with ThreadPoolExecutor(max_workers=4) as pool:
        bridged = sum(pool.map(worker, range(4)))
    assert bridged == 2
    assert sorted(d["call"] for d in twilio.dequeued) == sorted(c.call_sid for c in callers)


def test_a_tier_policy_published_by_an_admin_governs_that_queue_only(app, call, db, demo,
                                                                     clock, tmp_path):
    from call_scripts.loader import SCRIPTS_DIR

    shipped = (SCRIPTS_DIR.parent / "policies" / "default.yaml").read_text(encoding="utf-8")
    tier2 = tmp_path / "tier2.yaml"
    tier2.write_text(shipped.replace("All our analysts are helping other callers right now.",
                                     "Our senior engineers are all on calls."), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ivr", "scripts", "publish", str(tier2), "--kind", "policy"])
    assert result.exit_code == 0 and "published tier2 version 1" in result.output

    add_agent(db, "Ann", tier=1, status="on_call")
    add_agent(db, "Tess", tier=2, status="on_call")
    regular = to_queue(call, number="+15551230001", impact="1", urgency="1")  # tier 1
    regular.hears("All our analysts are helping other callers right now")
    urgent = to_queue(call, number="+15551230001", impact="3", urgency="3")  # enterprise: tier 2
    urgent.hears("Our senior engineers are all on calls")

    broken = tmp_path / "broken.yaml"
    broken.write_text(shipped.replace("timezone: UTC", "timezone: Mars/Olympus"),
                      encoding="utf-8")
    result = runner.invoke(args=["ivr", "scripts", "check", str(broken), "--kind", "policy"])
    line = next(i for i, t in enumerate(broken.read_text().splitlines(), 1) if "Mars" in t)
    assert result.exit_code == 1 and f"broken.yaml:{line}:" in result.output


def test_twilio_unreachable_keeps_the_caller_holding(call, db, demo, clock):
    from requests.exceptions import ConnectionError as NetworkDown

    agent = add_agent(db, "Ann", tier=1)
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, MEMBERS, body=NetworkDown("api.twilio.com unreachable"))
        caller = to_queue(call)
        assert caller.in_queue and not caller.hung_up
        caller.wait()
        assert caller.in_queue
    db.refresh(agent)
    entry = entry_of(db, caller)
    assert agent.status == "available" and entry.status == "waiting"


def test_silent_caller_is_offered_hold_three_times_then_kept_on_hold(call, db, demo, clock):
    add_agent(db, "Ann", tier=1, status="on_call")
    caller = to_queue(call)
    caller.press("7")
    caller.hears("did not catch that", "To hold, press 1")
    caller.wait()
    caller.hears("To hold, press 1")
    assert not caller.in_queue
    caller.wait()
    assert caller.in_queue
    assert any("without answering" in t for t in timeline(db, "hold_consent"))


def test_the_place_told_is_the_place_among_callers_the_same_analysts_serve(db, demo):
    """The place in line counted by the database over the line's index is the pure core's
    place_in_line, for callers of every priority, tier and category, ties included."""
    import random
    from datetime import timedelta

    from ivr.queues import lineup, routing

    rng = random.Random(13)
    categories = ("hardware", "software", "network", None)
    for i in range(30):
        add_agent(db, f"Analyst {i}", tier=rng.choice((1, 1, 2, 3)),
                  status=rng.choice(("available", "on_call", "wrap_up", "on_break", "offline")),
                  skills=rng.sample(categories[:3], rng.randint(0, 2)))
    for _ in range(120):
        db.add(QueueEntry(status="waiting", consent=rng.random() < 0.9,
                          tier=rng.choice((1, 1, 2, 3)), rank=rng.choice((1, 2, 3, 3, 4)),
                          category=rng.choice(categories),
                          joined_at=MONDAY_10 - timedelta(seconds=rng.choice((0, 60, 200, 500,
                                                                               900, 2000)))))
    db.commit()
    pol = live_policy(db)
    entries = db.scalars(select(QueueEntry)).all()
    staff = [lineup.as_agent(a) for a in db.scalars(select(Agent))
             if a.status != "offline"]
    holding = [lineup.as_waiting(e) for e in entries if e.status == "waiting" and e.consent]
    now = MONDAY_10.timestamp()
    for entry in entries:
        expected, _ = routing.place_in_line(lineup.as_waiting(entry), holding, staff, now,
                                            lineup.tier_rules(pol))
        place, _wait = lineup.position_and_estimate(db, entry, MONDAY_10, pol)
        assert place == expected, entry.id
    assert len({lineup.position_and_estimate(db, e, MONDAY_10, pol)[0] for e in entries}) > 10


def test_a_dequeue_twilio_refuses_puts_the_caller_back_in_line(app, call, db, demo, clock,
                                                               twilio):
    add_agent(db, "Ann", tier=1, status="on_call")
    first = to_queue(call, number="+15551230001")
    first.press("1")
    clock.advance(30)
    second = to_queue(call, number="+393331234567")
    second.press("1")
    bea, cal = add_agent(db, "Bea", tier=1), add_agent(db, "Cal", tier=1)
    twilio.refuse_members.add(first.call_sid)  # the first caller's dequeue fails at Twilio

    result = app.test_cli_runner().invoke(args=["ivr", "route"])  # both routed in one pass
    assert result.exit_code == 0, result.output
    assert [d["call"] for d in twilio.dequeued] == [second.call_sid]
    assert entry_of(db, first).status == "waiting" and entry_of(db, first).agent_id is None
    assert entry_of(db, second).status == "bridging"
    statuses = {a.name: a.status for a in db.scalars(select(Agent).execution_options(
        populate_existing=True)) if a.name in ("Bea", "Cal")}
    assert sorted(statuses.values()) == ["available", "on_call"]  # the refused one's is free

    twilio.refuse_members.clear()
    first.wait()  # the next hold fetch puts them through to the analyst still free
    assert [d["call"] for d in twilio.dequeued] == [second.call_sid, first.call_sid]
    assert {bea.id, cal.id} == {entry_of(db, first).agent_id, entry_of(db, second).agent_id}
