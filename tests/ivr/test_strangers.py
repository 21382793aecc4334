"""What a stranger on the line can learn or do: ticket statuses behind a PIN with limited
guesses, PINs never kept, and only numbers the line may call accepted for a callback."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tickets import intake
from tickets.models import Call, OutboundCall, Ticket, TicketEvent

from .test_intake import report_problem, tell_problem, ticket_number_heard
from .test_queue import to_queue

STRANGER = "+12025550199"  # not a customer, not on file for any ticket
ALICE = "+15551230001"  # the demo's Alice: on file for her tickets


@pytest.fixture
def ticket(db, demo):
    """Alice's new ticket, and its PIN (told once, when it was opened)."""
    alice = intake.caller_profile(db, ALICE)
    opened, pin = intake.open_ticket(db, fields={"problem": "Laptop will not boot",
                                                 "caller_id": ALICE},
                                     priority="regular_service",
                                     customer_id=alice["customer_id"])
    db.commit()
    return opened, pin


def wrong(pin: str) -> str:
    return "1111" if pin != "1111" else "2222"


def ask_status(caller, number: str):
    """From the status menu: key the ticket number (the line then asks a PIN, or refuses)."""
    return caller.press(number)


def stranger_asks(call, number: str):
    """A stranger rings in English and asks for a ticket's status."""
    return ask_status(call(from_=STRANGER).press("1").press("1"), number)


def pin_events(db, ticket_id=None):
    query = select(TicketEvent).where(TicketEvent.kind == "pin_refused").order_by(
        TicketEvent.id)
    if ticket_id is not None:
        query = query.where(TicketEvent.ticket_id == ticket_id)
    return db.scalars(query).all()


def test_an_unknown_ticket_and_a_wrong_pin_are_answered_alike(call, db, ticket):
    opened, pin = ticket
    unknown = str(int(opened.number) + 1)  # numbers are sequential: the next one is unknown

    known_caller = stranger_asks(call, opened.number)
    asked_known = known_caller.text
    known_caller.press(wrong(pin))
    unknown_caller = stranger_asks(call, unknown)
    asked_unknown = unknown_caller.text
    unknown_caller.press(wrong(pin))

    assert asked_known == asked_unknown and "PIN" in asked_known
    assert known_caller.text == unknown_caller.text
    assert "does not match" in known_caller.text and "could not find" not in asked_unknown


def test_three_wrong_pins_in_a_call_and_no_pin_is_checked_even_the_right_one(call, db, ticket):
    opened, pin = ticket
    caller = stranger_asks(call, opened.number)
    for _ in range(3):
        caller.hears("PIN")
        caller.press(wrong(pin)).hears("does not match")
        ask_status(caller.press("1"), opened.number)  # "to hear another ticket, press 1"

    caller.hears("cannot check any more PINs", "number on file", "analyst")
    assert caller.prompt.action and "Ticket" not in caller.text  # no status, no PIN asked
    caller.press("1")
    ask_status(caller, opened.number).hears("cannot check any more PINs")

    refused = pin_events(db, opened.id)
    assert len(refused) == 3 and all(e.call_id == refused[0].call_id for e in refused)
    assert [e.text for e in refused] == ["Status enquiry by phone: wrong PIN"] * 3
    lines = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == opened.id)).all()
    assert any("no PIN checked (3 wrong PINs in this call)" in e.text for e in lines)
    assert not any(wrong(pin) in json.dumps([e.text, e.data]) for e in lines)


def test_guesses_across_calls_lock_the_ticket_for_a_day_but_not_its_number_on_file(
        call, db, clock, ticket):
    opened, pin = ticket
    for guesses in (3, 3, 3, 1):  # ten wrong PINs in four calls
        caller = stranger_asks(call, opened.number)
        for n in range(guesses):
            caller.press(wrong(pin)).hears("does not match")
            if n + 1 < guesses:
                ask_status(caller.press("1"), opened.number)
        caller.press("9")
    assert len(pin_events(db, opened.id)) == 10

    fresh = stranger_asks(call, opened.number)  # a new call: the right PIN is not even asked
    fresh.hears("cannot check any more PINs")
    alice = ask_status(call(from_=ALICE).press("1"), opened.number)
    alice.hears(f"Ticket {' '.join(opened.number)} is open")

    clock.advance(24 * 3600 + 60)  # a day later, the PIN is checked again
    stranger_asks(call, opened.number).press(pin).hears(
        f"Ticket {' '.join(opened.number)} is open")


def test_wrong_pins_for_unknown_tickets_count_against_the_call(call, db, ticket):
    opened, pin = ticket
    caller = stranger_asks(call, "99001")
    for n in range(3):
        caller.press("4321").hears("does not match")
        ask_status(caller.press("1"), str(99002 + n))
    caller.hears("cannot check any more PINs")
    caller.press("1")
    ask_status(caller, opened.number).hears("cannot check any more PINs")
    assert len(pin_events(db)) == 3 and pin_events(db, opened.id) == []


def test_a_pin_keyed_for_a_status_is_never_kept_on_the_next_ticket(call, db, ticket, client):
    opened, pin = ticket
    caller = stranger_asks(call, opened.number)
    caller.press(pin).hears(f"Ticket {' '.join(opened.number)} is open")
    caller.press("2")  # then a new problem
    caller.speak("Jane Doe").speak("Finance").speak("Room 4").press("1")
    caller.press("*")  # no account number
    report_problem(caller, service="5", impact="1", urgency="1", planned="2")
    new = db.scalar(select(Ticket).where(Ticket.number == ticket_number_heard(caller)))
    caller.press("2")

    events = db.scalars(select(TicketEvent)).all()
    assert not any(pin in json.dumps([e.text, e.data]) for e in events)
    assert any(e.text == "pin: keyed (secret, not recorded)" for e in new.events)
    state = db.scalar(select(Call.state).where(Call.sid == caller.call_sid))
    assert "pin" not in state["fields"] and pin not in json.dumps(state)


# ---- callbacks only to numbers the line may call ------------------------------------------

REFUSED = {
    "en-US": "We cannot call that number. Key another.",
    "it-IT": "Non possiamo chiamare quel numero. Ne digiti un altro.",
    "ms-MY": "Kami tidak boleh menghubungi nombor itu. Masukkan nombor lain.",
}

QUEUE_REFUSED = {  # the hold policy's words
    "en-US": "That number cannot be called back. Please key another.",
    "it-IT": "Non è possibile richiamare quel numero. Ne digiti un altro, per favore.",
}


def key_a_callback_number(call, language_key: str):
    """A caller without caller ID reports a problem, up to keying the callback number."""
    caller = tell_problem(call(from_=None).press(language_key))  # the problem first
    return caller.speak("Jane Doe").speak("Finance").speak("Room 4")


@pytest.mark.parametrize("keyed", [
    "011447012345678",  # a UK personal (070) number, dialled from the US
    "0114407640123456",  # a UK pager (076)
    "011391781234567",  # an Italian personal number (178)
    "01139199123456",  # an Italian 199 number
    "6175550",  # plausible, but not a valid number
    "19005551234",  # premium rate
    "011336123456789",  # a French mobile: not a country the line calls
])
def test_a_keyed_number_the_line_will_not_call_is_refused_before_any_promise(
        call, db, demo, keyed):
    caller = key_a_callback_number(call, "1")
    caller.hears("Your callback number, then hash?")

    caller.press(keyed)

    assert caller.text.startswith(REFUSED["en-US"]), caller.text
    assert "I have" not in caller.text  # never read back as if accepted
    caller.press("2025550147").hears("2 0 2 5 5 5 0 1 4 7").press("1")
    state = db.scalar(select(Call.state).where(Call.sid == caller.call_sid))
    assert state["fields"]["callback_number"] == "+12025550147"


@pytest.mark.parametrize(("language", "key"), [("en-US", "1"), ("it-IT", "2"), ("ms-MY", "3")])
def test_the_refusal_is_said_in_the_callers_language(call, demo, language, key):
    caller = key_a_callback_number(call, key)
    caller.press("011447012345678")
    caller.hears(REFUSED[language])
    assert caller.languages == {language}


@pytest.mark.parametrize(("caller_number", "language"), [(ALICE, "en-US"),
                                                         ("+393331234567", "it-IT")])
def test_the_queue_refuses_a_keyed_callback_number_before_promising_it(
        call, db, demo, clock, caller_number, language):
    caller = to_queue(call, number=caller_number)  # nobody is staffed: a callback is offered
    caller.press("1")  # a callback (the number given in intake is read back)
    caller.press("3")  # to another number
    caller.press("011447012345678")
    caller.hears(QUEUE_REFUSED[language])
    assert caller.languages == {language}
    assert db.scalar(select(OutboundCall)) is None
    caller.press("2025550147" if language == "en-US" else "0612345678")
    caller.press("1")
    booked = db.scalars(select(OutboundCall)).all()
    assert [b.to_number for b in booked] == [
        "+12025550147" if language == "en-US" else "+390612345678"]
