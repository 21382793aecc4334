"""Promises a caller hears, kept: the callback number given in intake, times in the caller's
own zone and language with their day, and hours (issue 11). Each test is a caller on the
line, on the shared test clock set to a weekday, a weekend night or a holiday."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tickets.models import Customer, CustomerPhone, OutboundCall, Ticket, TicketEvent

from .test_intake import report_problem, tell_problem
from .test_queue import ALICE_CALLABLE, add_agent, entry_of, stop_calling, to_queue

NEW_YORK = "+12025550147"  # not a customer: a new caller, in New York by their number
MARCO = "+393331234567"  # the demo's Italian customer (Europe/Rome)
SITI = "+60123456789"  # the demo's Malay customer (Asia/Kuala_Lumpur)
SUNDAY_NIGHT = datetime(2026, 11, 29, 3, 57, tzinfo=UTC)  # closed until Monday 08:00 UTC
CHRISTMAS = datetime(2026, 12, 25, 10, 0, tzinfo=UTC)  # a Friday, a holiday of the policy


PARIS = "+33612345678"  # a French mobile: the shipped policy calls no French number


def new_caller_to_queue(call, from_=NEW_YORK, language_key="1", keyed=None, impact="1",
                        urgency="2"):
    """A new caller reports a problem and reaches the queue; ``keyed``: the callback number
    they key in intake instead of their caller ID (without caller ID, before the ticket;
    with it, after the ticket number, by key 3)."""
    caller = tell_problem(call(from_=from_).press(language_key))  # language; the problem
    caller.speak("Jane Doe").speak("Finance").speak("Room 4")
    if from_ is None or from_ == PARIS:  # no number the line may call: asked for one now
        caller.hears("Your callback number, then hash?")
        caller.press(keyed).press("1")  # keyed, read back, confirmed
    caller.press("*")  # no account number
    report_problem(caller, impact=impact, urgency=urgency)
    if keyed and from_ not in (None, PARIS):
        caller.press("3").press(keyed).press("1")  # another number, read back, confirmed
    caller.press("2")  # no other problem: on to the queue
    return caller


def known_to_queue(call, number, impact="1", urgency="2"):
    """A known caller (greeted in their language) reports a problem and reaches the queue
    (with open tickets or none, the problem is said at once)."""
    return to_queue(call, number=number, impact=impact, urgency=urgency)


def opened(db) -> list[Ticket]:
    """The tickets calls opened (not the demo's)."""
    return list(db.scalars(select(Ticket).where(Ticket.call_id.is_not(None))))


def said_in_urls(caller, digits: str) -> bool:
    return any(digits in url for url, _params in caller.requests)


# ---- the callback number given in intake ---------------------------------------------------

def test_the_queue_calls_back_on_the_number_keyed_in_intake_without_asking_again(
        call, db, demo, clock):
    caller = new_caller_to_queue(call, keyed="2025550188")
    caller.hears("no analyst")  # nobody is staffed: a callback is offered
    caller.press("1")
    caller.hears("We will call you back at 1 2 0 2 5 5 5 0 1 8 8.")
    assert "1 2 0 2 5 5 5 0 1 4 7" not in caller.text  # not the caller ID
    assert "If that is right" not in caller.text  # confirmed in intake: not asked again
    caller.press("1")  # the one moment offered: 5:00 AM there, so 9:00 AM
    caller.hears("We will call you back at 1 2 0 2 5 5 5 0 1 8 8")

    [booked] = db.scalars(select(OutboundCall)).all()
    assert booked.to_number == "+12025550188" and booked.kind == "callback"
    # No number in any webhook URL (the choice is kept on the caller's queue entry).
    assert not said_in_urls(caller, "2025550188") and not said_in_urls(caller, "2025550147")


def test_another_number_may_still_be_keyed_in_the_queue(call, db, demo, clock):
    caller = new_caller_to_queue(call)
    caller.press("1")  # a callback: the caller ID, not confirmed in intake, is asked about
    caller.hears("We will call you back at 1 2 0 2 5 5 5 0 1 4 7. If that is right, press 1.",
                 "To key in another number, press 2.")
    caller.press("2").press("2025550166")  # another number
    assert not said_in_urls(caller, "2025550166")
    # 5:00 AM where that number is: the one moment it may be called is offered
    caller.hears("To be called back today at 9:00 AM, press 1.")
    caller.press("1")
    [booked] = db.scalars(select(OutboundCall)).all()
    assert booked.to_number == "+12025550166"
    assert booked.due_at == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize("from_,keyed", [
    (None, "2025550188"),
    (PARIS, "0012025550188"),  # keyed as dialled from France
])
def test_a_caller_without_a_number_to_call_keys_one_before_the_ticket_once(call, db, demo, clock,
                                                                          from_, keyed):
    """Without caller ID, or from a number the line will not call: the number is keyed before
    the ticket, kept on it, and not asked again (nor "a number other than this one")."""
    caller = new_caller_to_queue(call, from_=from_, keyed=keyed)
    heard = " ".join(h.text for h in caller.transcript)
    assert heard.count("Your callback number, then hash?") == 1
    assert "other than this one" not in heard and "Calls about your ticket go to" not in heard
    assert db.scalar(select(Ticket.callback_number).where(Ticket.call_id.is_not(None))) \
        == "+12025550188"
    caller.press("1")  # a callback
    caller.hears("We will call you back at 1 2 0 2 5 5 5 0 1 8 8.")
    assert "If that is right" not in caller.text and "key in" not in caller.text.lower()
    caller.press("1")
    assert db.scalar(select(OutboundCall.to_number)) == "+12025550188"


@pytest.mark.parametrize("from_", [None, PARIS])
def test_a_caller_with_no_number_the_line_may_call_goes_on_without_one_and_may_hold(
        call, db, demo, clock, from_):
    """Without caller ID, or abroad (the line calls no French number), star at "your callback
    number" opens the ticket without one: the caller still reaches the queue and may hold,
    instead of being sent away for want of a number."""
    add_agent(db, "Ann", tier=1, status="on_call")
    caller = tell_problem(call(from_=from_).press("1"))
    caller.speak("Jane Doe").speak("Finance").speak("Room 4")
    caller.hears("Your callback number, then hash? If you have none we can call, press star.")
    caller.press("*")  # none
    caller.press("*")  # no account number
    report_problem(caller, impact="1", urgency="2")
    [ticket] = opened(db)
    assert ticket.callback_number is None
    caller.press("2")  # no other problem: on to the queue
    caller.hears("May we put you on hold?")
    caller.press("1").hears("Thank you")
    assert caller.in_queue and not caller.hung_up


def test_a_caller_who_asks_a_callback_at_the_offer_and_confirms_no_number_holds_instead(
        call, db, demo, clock, twilio):
    """At the offer to hold the caller asks for a callback, then answers nothing when their
    number is read back: asked again, saying so; the third time they hold (never said yes to
    holding: the timeline says why they hold), nothing booked."""
    add_agent(db, "Ann", tier=1, status="on_call")
    caller = new_caller_to_queue(call)  # their caller ID, not confirmed in intake
    caller.press("2")  # a callback, please
    caller.hears("If that is right, press 1.")
    caller.wait()
    caller.hears("Sorry, I did not catch that.", "If that is right, press 1.")
    caller.wait()
    caller.hears("Sorry, I did not catch that.", "If that is right, press 1.")
    caller.wait()
    caller.hears("We could not arrange a callback, so you keep your place in line.")
    assert caller.in_queue and db.scalar(select(OutboundCall)) is None
    assert entry_of(db, caller).consent
    consent = db.scalars(select(TicketEvent.text).where(TicketEvent.kind == "hold_consent"))
    assert list(consent) == ["No callback arranged after three answers: back in line, holding"]


# ---- times in the caller's zone and language, with their day -------------------------------

@pytest.mark.parametrize(("number", "words", "due"), [
    # the next whole hour at least an hour away (12:00 UTC), moved into the caller's calling
    # hours (09:00 to 20:00 their time) while the desk is open; at 5:00 AM in New York, not
    # to be called before 9:00, that moment is the one offered (no "as soon as possible")
    (NEW_YORK, "To be called back today at 9:00 AM, press 1", datetime(2026, 11, 23, 14, 0,
                                                                        tzinfo=UTC)),
    (MARCO, "Per essere richiamato oggi alle ore 13:00, prema 2",
     datetime(2026, 11, 23, 12, 0, tzinfo=UTC)),
    (SITI, "Untuk dihubungi esok pada 4:00 PTG, tekan 2",  # 20:00 in Kuala Lumpur is too late
     datetime(2026, 11, 24, 8, 0, tzinfo=UTC)),
])
def test_the_later_slot_is_said_with_its_day_in_the_callers_zone_and_language(
        call, db, demo, clock, number, words, due):
    caller = (new_caller_to_queue(call, from_=number) if number == NEW_YORK
              else known_to_queue(call, number))
    caller.press("1")  # a callback
    if number == NEW_YORK:
        caller.press("1")  # the caller ID, not confirmed in intake: confirmed now
    caller.hears(words)
    caller.press(words[-1])  # the key that names it
    booked = db.scalar(select(OutboundCall))
    assert booked.due_at == due  # the moment the caller was told


def test_a_caller_past_their_calling_hours_is_offered_the_first_moment_they_may_be_called(
        call, db, demo, clock):
    """The desk open at 13:00 UTC, 21:00 in Kuala Lumpur, after the hours the line calls in
    there: not "as soon as an analyst is free" (dialled the next afternoon), but that moment,
    with its day, in Malay, and booked as said."""
    clock.current = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    caller = known_to_queue(call, SITI)
    caller.press("1")  # a callback
    caller.hears("Untuk dihubungi semula esok pada 4:00 PTG, tekan 1")
    assert "sebaik sahaja" not in caller.text and caller.languages == {"ms-MY"}
    caller.press("1")
    booked = db.scalar(select(OutboundCall))
    assert booked.due_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # 16:00 there, opened


@pytest.mark.parametrize(("number", "words"), [
    (NEW_YORK, "opens again Monday, November 30 at 3:00 AM"),
    (MARCO, "riapre domani alle ore 09:00"),  # already Sunday morning in Rome
    (SITI, "dibuka semula esok pada 4:00 PTG"),
])
def test_a_weekend_night_caller_hears_the_opening_in_their_zone_and_language(
        call, db, demo, clock, number, words):
    clock.current = SUNDAY_NIGHT
    caller = (new_caller_to_queue(call, from_=number) if number == NEW_YORK
              else known_to_queue(call, number))
    caller.hears(words)
    assert "Monday 08:00" not in caller.text and "UTC" not in caller.text


def test_a_holiday_caller_hears_the_next_working_day(call, db, demo, clock):
    clock.current = CHRISTMAS  # Friday 25th; the 26th is a holiday too, then the weekend
    caller = to_queue(call, number=MARCO)
    caller.hears("riapre lunedì 28 dicembre alle ore 09:00")


# ---- after hours, an enterprise failure ---------------------------------------------------

def emergency_lines(db):
    return [e.text for e in db.scalars(select(TicketEvent).where(TicketEvent.kind == "emergency")
                                       .order_by(TicketEvent.id))]


EMERGENCY_CALLBACK = {
    # caller, words heard, the earliest moment in hours and in the caller's calling window
    "en-US": (NEW_YORK, "we have booked a callback to 1 2 0 2 5 5 5 0 1 4 7 at the earliest "
              "moment we can: Monday, November 30 at 9:00 AM",
              datetime(2026, 11, 30, 14, 0, tzinfo=UTC)),  # 09:00 in New York
    "it-IT": (MARCO, "abbiamo fissato una richiamata al numero 3 9 3 3 3 1 2 3 4 5 6 7 il prima "
              "possibile: domani alle ore 09:00", datetime(2026, 11, 30, 8, 0, tzinfo=UTC)),
    "ms-MY": (SITI, "kami telah menempah panggilan semula ke nombor 6 0 1 2 3 4 5 6 7 8 9 "
              "seawal mungkin, iaitu esok pada 4:00 PTG",
              datetime(2026, 11, 30, 8, 0, tzinfo=UTC)),  # the opening: 16:00 in Kuala Lumpur
}


@pytest.mark.parametrize("language", list(EMERGENCY_CALLBACK))
def test_no_engineer_on_call_books_a_callback_at_the_earliest_moment(
        app, call, db, demo, clock, language):
    number, words, due = EMERGENCY_CALLBACK[language]
    app.config["EMERGENCY_NUMBER"] = ""
    clock.current = SUNDAY_NIGHT
    caller = (new_caller_to_queue(call, from_=number, impact="3", urgency="3")
              if number == NEW_YORK else known_to_queue(call, number, impact="3", urgency="3"))
    assert caller.dialled == [] and caller.hung_up
    assert "putting you through" not in caller.text and "in contatto" not in caller.text
    caller.hears(words)
    assert caller.languages == {language}

    [booked] = db.scalars(select(OutboundCall)).all()
    assert (booked.kind, booked.to_number, booked.due_at) == ("callback", number, due)
    ticket = db.get(Ticket, booked.ticket_id)
    assert ticket.priority == "enterprise_failure"
    assert f"{' '.join(ticket.number)}." in caller.text  # the ticket's number is said
    [line] = emergency_lines(db)
    assert "no engineer on call (EMERGENCY_NUMBER is not set)" in line
    assert "callback booked for the earliest moment" in line


def test_no_engineer_on_call_and_a_number_the_line_will_not_call_promise_no_callback(
        app, call, db, demo, clock):
    app.config["EMERGENCY_NUMBER"] = ""
    clock.current = SUNDAY_NIGHT
    caller = call(from_="+15551230001")  # not a valid number; her London one is on file
    report_problem(caller, impact="3", urgency="3")
    stop_calling(db, "GB")  # the admin stops calls to Great Britain before she reaches the queue
    caller.press("2")
    caller.hears("We have no number we can call you back on. Please call us again when we open")
    assert "booked a callback" not in caller.text and caller.hung_up
    assert db.scalar(select(OutboundCall)) is None
    [line] = emergency_lines(db)
    assert "no callback booked: no number the line may call" in line


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed"])
def test_an_engineer_on_call_who_does_not_answer_leaves_a_callback_booked(
        app, call, db, demo, clock, status):
    app.config["EMERGENCY_NUMBER"] = "+15550109999"
    clock.current = SUNDAY_NIGHT
    caller = new_caller_to_queue(call, impact="3", urgency="3")
    caller.hears("putting you through to the engineer on call")
    assert caller.dialled == ["+15550109999"] and db.scalar(select(OutboundCall)) is None

    caller.dial_ends(status, 0)
    caller.hears("the engineer on call did not answer",
                 "callback to 1 2 0 2 5 5 5 0 1 4 7", "Monday, November 30 at 9:00 AM")
    assert caller.hung_up
    [booked] = db.scalars(select(OutboundCall)).all()
    assert booked.due_at == datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    assert emergency_lines(db) == [
        "After hours: put through to the engineer on call",
        f"After hours: the engineer on call did not answer ({status}); callback booked for "
        "the earliest moment (2026-11-30 14:00 UTC)"]
    # Twilio repeating the Dial's action books nothing more.
    url, params = caller.requests[-1]
    caller.post(url, params)
    assert len(db.scalars(select(OutboundCall)).all()) == 1


def test_an_engineer_on_call_who_answers_books_no_callback(app, call, db, demo, clock):
    app.config["EMERGENCY_NUMBER"] = "+15550109999"
    clock.current = SUNDAY_NIGHT
    caller = new_caller_to_queue(call, impact="3", urgency="3")
    caller.dial_ends("completed", 420)
    caller.hears("Goodbye")
    assert db.scalar(select(OutboundCall)) is None


# ---- silent and garbled calls, withheld numbers, the last menu -----------------------------

def silent_until_hung_up(caller, most=9):
    for _ in range(most):
        if caller.hung_up:
            return caller
        caller.wait()
    raise AssertionError(f"still on the line: {caller.text!r}")


NO_TICKET = {"en-US": ("1", "no ticket has been opened"),
             "it-IT": ("2", "non è stato aperto alcun ticket"),
             "ms-MY": ("3", "tiada tiket dibuka")}


@pytest.mark.parametrize("language", list(NO_TICKET))
def test_a_silent_call_opens_no_ticket_and_books_no_callback(call, db, demo, clock, language):
    key, words = NO_TICKET[language]
    caller = call(from_=NEW_YORK).press(key)
    silent_until_hung_up(caller)  # at the first question, and its re-prompts
    caller.hears(words)
    assert caller.languages == {language}
    assert opened(db) == [] and db.scalar(select(OutboundCall)) is None
    record = db.scalar(select(TicketEvent).where(TicketEvent.kind == "call_record"))
    assert record.call_id is not None and record.ticket_id is None


def test_garbage_at_every_prompt_opens_no_ticket(call, db, demo, clock):
    caller = call(from_=NEW_YORK).press("1")
    for _ in range(3):
        caller.press("7")  # no such option
    caller.hears("no ticket has been opened")
    assert "call you back" not in caller.text
    assert opened(db) == [] and db.scalar(select(OutboundCall)) is None


WAY_OUT_CALLBACK = {
    # clock, caller, language key, words heard, the callback's due time (UTC)
    "weekday, before the caller's calling hours": (
        datetime(2026, 11, 23, 10, 0, tzinfo=UTC), NEW_YORK, "1",
        "who will call you back today at 9:00 AM",  # 05:00 in New York now
        datetime(2026, 11, 23, 14, 0, tzinfo=UTC)),
    "weekday, open": (
        datetime(2026, 11, 23, 10, 0, tzinfo=UTC), "+390612345678", "2",
        "che La richiamerà il prima possibile", datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),
    "weekend night": (
        SUNDAY_NIGHT, NEW_YORK, "1", "who will call you back Monday, November 30 at 9:00 AM",
        datetime(2026, 11, 30, 14, 0, tzinfo=UTC)),
    "holiday": (
        CHRISTMAS, "+390612345678", "2", "che La richiamerà lunedì 28 dicembre alle ore 09:00",
        datetime(2026, 12, 28, 8, 0, tzinfo=UTC)),
    "holiday, Malay": (
        CHRISTMAS, "+60321234567", "3",
        "yang akan menghubungi anda semula Isnin, 28 Disember pada 4:00 PTG",
        datetime(2026, 12, 28, 8, 0, tzinfo=UTC)),
}


@pytest.mark.parametrize("case", list(WAY_OUT_CALLBACK))
def test_a_way_out_callback_is_booked_within_hours_and_said_with_its_day(
        call, db, demo, clock, case):
    now, number, key, words, due = WAY_OUT_CALLBACK[case]
    clock.current = now
    caller = tell_problem(call(from_=number).press(key))  # real answers: the problem,
    caller.speak("Jane Doe")  # and the name
    silent_until_hung_up(caller)  # then nothing more
    caller.hears(words)

    [ticket] = opened(db)
    assert ticket.incomplete and ticket.caller_name == "Jane Doe"
    [booked] = db.scalars(select(OutboundCall)).all()
    assert (booked.to_number, booked.due_at, booked.ticket_id) == (number, due, ticket.id)


@pytest.mark.parametrize(("key", "words"), [
    ("1", "We have no number to call you back on"),
    ("2", "Non abbiamo un numero al quale richiamarLa"),
    ("3", "Kami tiada nombor untuk menghubungi anda semula"),
])
def test_a_withheld_number_is_never_promised_a_callback(call, db, demo, clock, key, words):
    caller = tell_problem(call(from_=None).press(key))
    caller.speak("Jane Doe").speak("Finance").speak("Room 4")
    silent_until_hung_up(caller)  # keys no number to be called back on
    caller.hears(words)
    assert "call you back as soon" not in caller.text and "call you back today" not in caller.text
    [ticket] = opened(db)
    assert ticket.incomplete and ticket.callback_number is None
    assert f"{' '.join(ticket.number)}" in caller.text
    assert db.scalar(select(OutboundCall)) is None


def test_a_caller_id_the_line_will_not_call_is_called_back_on_the_number_on_file(
        call, db, demo, clock):
    """Alice's first number is not a valid number: an intake she leaves half-way books the
    callback to the London number on file."""
    caller = tell_problem(call(from_="+15551230001"))
    silent_until_hung_up(caller)
    caller.hears("call you back as soon as possible")
    assert db.scalar(select(OutboundCall.to_number)) == ALICE_CALLABLE


def test_a_number_the_line_will_not_call_is_never_promised_a_callback(call, db, demo, clock):
    """Neither of Alice's numbers may be called once the admin stops calls to Great Britain:
    an intake she leaves half-way keeps her ticket, and the line says it has no number to call
    her back on instead of a callback."""
    caller = tell_problem(call(from_="+15551230001"))
    stop_calling(db, "GB")
    silent_until_hung_up(caller)
    caller.hears("We have no number to call you back on")
    assert "call you back as soon" not in caller.text and "call you back today" not in caller.text
    [ticket] = opened(db)
    assert ticket.incomplete
    assert db.scalar(select(OutboundCall)) is None
    refused = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                   TicketEvent.kind == "outbound_refused")).all()
    assert len(refused) == 1
    assert "GB is not among the countries the line calls" in refused[0].text
    assert "442079460101" not in refused[0].text  # no number in the timeline


def test_failing_the_last_menu_still_reaches_the_queue(call, db, demo, clock):
    caller = to_queue_without_answering_the_last_menu(call)
    caller.hears("no analyst is available", "have us call you back, press 1")
    assert "Goodbye" not in caller.text and not caller.hung_up
    caller.press("1").press("1")  # a callback, as soon as an analyst is free
    assert db.scalar(select(OutboundCall.to_number)) == "+442079460101"


SECOND_PROBLEM_UNSAID = {
    # a known caller of each language, the second problem's question, the queue's offer
    "en-US": ("+442079460101", "In a few words, what is the problem",
              "no analyst is available"),
    "it-IT": (MARCO, "In poche parole, qual è il problema", "nessun analista è disponibile"),
    "ms-MY": (SITI, "Secara ringkas, apakah masalahnya", "tiada penganalisis yang tersedia"),
}


@pytest.mark.parametrize("language", list(SECOND_PROBLEM_UNSAID))
def test_a_second_problem_left_unsaid_still_reaches_the_queue_for_the_first(
        call, db, demo, clock, language):
    """A caller whose ticket is open and who cannot say a second problem is not told that no
    ticket has been opened and hung up on: the first ticket still reaches an analyst."""
    number, question, offer = SECOND_PROBLEM_UNSAID[language]
    caller = call(from_=number)
    report_problem(caller, impact="1", urgency="2")
    caller.press("1")  # another problem
    caller.hears(question)
    for _ in range(3):
        caller.wait()  # nothing said, nor at the re-prompts
    [ticket] = opened(db)
    caller.hears(offer)
    assert not caller.hung_up and caller.languages == {language}
    for gone in NO_TICKET.values():
        assert gone[1] not in caller.text
    caller.press("1").press("1")  # a callback on the first ticket, as soon as possible
    [booked] = db.scalars(select(OutboundCall)).all()
    assert (booked.ticket_id, booked.to_number) == (ticket.id, number)


def to_queue_without_answering_the_last_menu(call):
    caller = call(from_="+442079460101")  # Alice (a number the line may call): a new problem
    report_problem(caller, impact="1", urgency="2")
    caller.hears("another problem")
    for _ in range(3):
        caller.wait()
        if "another problem" not in caller.text.lower():
            break
    return caller


# ---- SLA clocks in business hours ------------------------------------------------------------

OPENED_CLOSED = {
    # caller, language key, what is heard
    "en-US": (NEW_YORK, "1", "The help desk is closed now: we open Monday, November 30 at "
              "3:00 AM, and an analyst will respond within 1 hour of opening"),
    "it-IT": ("+390612345678", "2", "L'help desk ora è chiuso: apriamo domani alle ore 09:00 e "
              "un analista risponderà entro 1 ora dall'apertura"),
    "ms-MY": ("+60321234567", "3", "Meja bantuan kini ditutup: kami dibuka esok pada 4:00 PTG, "
              "dan penganalisis akan memberikan maklum balas dalam tempoh 1 jam selepas dibuka"),
}


@pytest.mark.parametrize("language", list(OPENED_CLOSED))
def test_a_ticket_opened_while_closed_promises_what_its_due_time_says(
        call, db, demo, clock, language):
    number, key, words = OPENED_CLOSED[language]
    clock.current = SUNDAY_NIGHT
    caller = call(from_=number).press(key)
    tell_problem(caller)
    caller.speak("Jane Doe").speak("Finance").speak("Room 4").press("1")
    caller.press("*")
    report_problem(caller, impact="2", urgency="2")  # a critical situation: 60 minutes
    caller.hears(words)
    assert "will respond within 1 hour." not in caller.text
    [ticket] = opened(db)
    assert ticket.priority == "critical_situation"
    assert ticket.response_due == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # opening + 1 h
    assert ticket.resolution_due == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # + 8 h open


def test_a_ticket_opened_before_a_holiday_counts_only_open_time(call, db, demo, clock):
    clock.current = datetime(2026, 12, 24, 17, 30, tzinfo=UTC)  # Thursday, before Christmas
    caller = tell_problem(call(from_=NEW_YORK).press("1"))
    caller.speak("Jane Doe").speak("Finance").speak("Room 4").press("1")
    caller.press("*")
    report_problem(caller, impact="2", urgency="2")
    caller.hears("An analyst will respond within 1 hour")  # open now: no opening said
    [ticket] = opened(db)
    # 30 minutes on Thursday, then Monday 28th (25th, 26th holidays, then the weekend).
    assert ticket.response_due == datetime(2026, 12, 28, 8, 30, tzinfo=UTC)


def test_a_weekday_ticket_is_due_in_clock_time_within_hours(call, db, demo, clock):
    caller = tell_problem(call(from_=NEW_YORK).press("1"))
    caller.speak("Jane Doe").speak("Finance").speak("Room 4").press("1")
    caller.press("*")
    report_problem(caller, impact="2", urgency="2")
    caller.hears("An analyst will respond within 1 hour")
    assert "closed" not in caller.text
    [ticket] = opened(db)
    assert ticket.response_due == datetime(2026, 11, 23, 11, 0, tzinfo=UTC)


def run_sla_sweep(app):
    from ivr import scheduler

    scheduler.job(app, "test", scheduler.sla_sweep)()


def phoned_ticket(call, db):
    """A new caller's critical ticket (respond within 60 minutes), opened by phone now."""
    caller = tell_problem(call(from_=NEW_YORK).press("1"))
    caller.speak("Jane Doe").speak("Finance").speak("Room 4").press("1")
    caller.press("*")
    report_problem(caller, impact="2", urgency="2")
    [ticket] = opened(db)
    return ticket


def fresh_ticket(db, ticket_id):
    return db.get(Ticket, ticket_id, populate_existing=True)


def test_the_sla_clock_stops_while_the_ticket_waits_on_the_customer(app, call, db, demo, clock):
    from tickets import workflow

    ticket = phoned_ticket(call, db)  # Monday 10:00: respond by 11:00
    assert ticket.response_due == datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    clock.advance(30 * 60)  # 10:30: the analyst asks the customer for information
    workflow.change_status(db, fresh_ticket(db, ticket.id), "on_hold", actor="ann",
                           now=clock.current, reason="waiting for the customer's serial number")
    db.commit()

    clock.current = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # long past 11:00
    run_sla_sweep(app)
    assert fresh_ticket(db, ticket.id).tier == 1  # paused: not escalated

    clock.current = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday: the customer answered
    workflow.change_status(db, fresh_ticket(db, ticket.id), "open", actor="ann",
                           now=clock.current, reason="serial number received")
    db.commit()
    row = fresh_ticket(db, ticket.id)
    # 30 minutes were left; the clock runs again from 09:00.
    assert row.response_due == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    lines = [e.text for e in row.events if e.kind == "sla"]
    assert lines[0] == "SLA clock paused: waiting on the customer"
    assert lines[1].startswith("SLA clock resumed after 510 min of business hours")

    clock.current = datetime(2026, 11, 24, 9, 29, tzinfo=UTC)
    run_sla_sweep(app)
    assert fresh_ticket(db, ticket.id).tier == 1
    clock.current = datetime(2026, 11, 24, 9, 31, tzinfo=UTC)
    run_sla_sweep(app)
    assert fresh_ticket(db, ticket.id).tier == 2


def test_the_sla_sweep_does_not_escalate_while_the_desk_is_closed(app, db, demo, clock):
    from tickets import intake

    friday = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)
    ticket, _pin = intake.open_ticket(  # a ticket whose clock ran out over the weekend
        db, fields={"problem": "Printer on fire", "callback_number": NEW_YORK},
        priority="critical_situation", sla={"response_minutes": 60}, now=friday)
    db.commit()
    assert ticket.escalate_at == datetime(2026, 11, 27, 18, 30, tzinfo=UTC)
    for now in (datetime(2026, 11, 28, 12, 0, tzinfo=UTC), SUNDAY_NIGHT,
                datetime(2026, 11, 30, 7, 59, tzinfo=UTC)):
        clock.current = now
        run_sla_sweep(app)
        assert fresh_ticket(db, ticket.id).tier == 1, now
    clock.current = datetime(2026, 11, 30, 8, 1, tzinfo=UTC)  # Monday, open
    run_sla_sweep(app)
    row = fresh_ticket(db, ticket.id)
    assert row.tier == 2
    assert row.escalate_at == datetime(2026, 11, 30, 9, 1, tzinfo=UTC)  # an hour of open time


# ---- a known caller the line cannot call on the number they call from ----------------------

def test_a_known_caller_with_no_number_the_line_may_call_keys_one_before_the_ticket(
        call, db, demo, clock):
    stop_calling(db, "GB")  # Alice's London number; the other is not a valid number
    caller = tell_problem(call(from_="+15551230001"))
    caller.hears("Your callback number, then hash?")
    caller.press("2025550188").press("1")  # read back, confirmed
    report_problem(caller, impact="1", urgency="2")
    caller.hears("Another problem to report? If yes, press 1. If not, press 2.")
    assert "press 3" not in caller.text  # the number was just keyed: not offered again
    [ticket] = opened(db)
    assert ticket.callback_number == "+12025550188"


def test_the_number_on_file_said_after_the_ticket_can_be_changed(call, db, demo, clock):
    caller = call(from_="+15551230001")  # not a valid number: the London one on file
    report_problem(caller, impact="1", urgency="2")
    caller.hears("Calls about your ticket go to 4 4 2 0 7 9 4 6 0 1 0 1")
    caller.press("3").press("2025550166").press("1")  # another number, read back, confirmed
    caller.hears("We will call you back on that number.",
                 "Calls about your ticket go to 1 2 0 2 5 5 5 0 1 6 6")
    [ticket] = opened(db)
    assert ticket.callback_number == "+12025550166"


@pytest.mark.parametrize("number,words", [
    ("+393331234567", "Le chiamate sul ticket andranno al numero 3 9 3 3 3 1 2 3 4 5 6 7; per un "
                      "altro numero, prema 3."),
    ("+60123456789", "Panggilan tentang tiket anda akan dibuat ke nombor 6 0 1 2 3 4 5 6 7 8 9; "
                     "untuk nombor lain, tekan 3."),
])
def test_a_known_caller_abroad_hears_the_number_on_file_in_their_language(
        call, db, demo, clock, number, words):
    """Marco and Siti call from a French mobile they added to their record (the line calls no
    French number): their tickets go to the number on file it may call, said in their
    language."""
    customer = db.scalar(select(Customer).join(CustomerPhone)
                         .where(CustomerPhone.number == number))
    db.add(CustomerPhone(customer_id=customer.id, number=PARIS))
    db.commit()
    caller = call(from_=PARIS)
    report_problem(caller, impact="1", urgency="2")
    caller.hears(words)
    assert caller.languages == {customer.language}
    [ticket] = opened(db)
    assert ticket.callback_number == number


def test_an_intake_left_before_a_number_is_keyed_keeps_no_number_the_line_will_not_call(
        call, db, demo, clock):
    """A new caller from a French mobile leaves at the callback question: their ticket is kept
    without a callback number (not the French one), and no callback is promised."""
    caller = tell_problem(call(from_=PARIS).press("1"))
    caller.speak("Jeanne Dupont").speak("Finance").speak("Room 4")
    caller.hears("Your callback number, then hash?")
    silent_until_hung_up(caller)
    caller.hears("We have no number to call you back on")
    [ticket] = opened(db)
    assert ticket.incomplete and ticket.callback_number is None
    assert db.scalar(select(OutboundCall)) is None
