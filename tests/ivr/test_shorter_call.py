"""A shorter call to the ticket (issue 18), from a caller's side: a new caller's caller ID is
the number they are called back on, not asked before the ticket and changed after it by key;
a guess that leads to a self-service answer offers it in the same prompt; nothing is said of an
account the directory does not know."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tickets.models import Call, OutboundCall, Ticket, TicketEvent

from .test_intake import give_details, report_problem, tell_problem

CALLER_ID = "+12025550147"  # the tests' caller
OTHER_NUMBER = "2025550188"
OTHER_NUMBER_HEARD = "1 2 0 2 5 5 5 0 1 8 8"
ASKED_FOR_A_NUMBER = ("call you back on this number", "Your callback number")


def tickets_of(db, caller) -> list[Ticket]:
    call_id = db.scalar(select(Call.id).where(Call.sid == caller.call_sid))
    return list(db.scalars(select(Ticket).where(Ticket.call_id == call_id).order_by(Ticket.id)))


def to_the_ticket(call):
    """A new English caller from CALLER_ID, through the intake to the ticket number."""
    caller = call(from_=CALLER_ID).press("1")
    tell_problem(caller)
    give_details(caller)
    return report_problem(caller, impact="1", urgency="2")


def test_a_new_caller_is_not_asked_for_a_number_before_the_ticket(call, db, demo, clock):
    caller = to_the_ticket(call)
    heard = " ".join(h.text for h in caller.transcript)
    assert not any(asked in heard for asked in ASKED_FOR_A_NUMBER)
    [ticket] = tickets_of(db, caller)
    assert ticket.callback_number == CALLER_ID  # the number they call from
    caller.hears(f"Ticket {' '.join(ticket.number)} is open",
                 "To be called back on a number other than this one, press 3.")


def test_another_number_after_the_ticket_is_read_back_and_kept_on_the_ticket(call, db, demo,
                                                                             clock):
    caller = to_the_ticket(call).press("3")
    caller.hears("Your callback number, then hash?")
    caller.press(OTHER_NUMBER).hears(f"I have {OTHER_NUMBER_HEARD}. If right, press 1; if not, 2.")
    caller.press("1").hears("We will call you back on that number.",
                            "Another problem to report?")
    [ticket] = tickets_of(db, caller)
    assert ticket.callback_number == "+1" + OTHER_NUMBER
    events = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                  TicketEvent.kind == "callback_number")).all()
    assert len(events) == 1 and OTHER_NUMBER not in events[0].text  # no number on the timeline


def test_a_number_the_line_will_not_call_leaves_the_ticket_as_it_was(call, db, demo, clock):
    caller = to_the_ticket(call).press("3")
    for _ in range(3):
        caller.press("1900555")  # not a number the line may dial
    caller.hears("Another problem to report?")
    [ticket] = tickets_of(db, caller)
    assert ticket.callback_number == CALLER_ID


def test_every_ticket_of_the_call_takes_the_other_number(call, db, demo, clock):
    caller = to_the_ticket(call).press("1")  # another problem
    report_problem(caller, impact="1", urgency="1", problem="My monitor flickers",
                   before="Reading email")
    caller.press("3").press(OTHER_NUMBER).press("1")
    tickets = tickets_of(db, caller)
    assert len(tickets) == 2
    assert {t.callback_number for t in tickets} == {"+1" + OTHER_NUMBER}


def test_the_callback_offered_in_the_queue_asks_to_confirm_the_caller_id(call, db, demo, clock):
    """Nobody is logged in: the callback offered names the number it will call, which the
    caller has not confirmed yet."""
    caller = to_the_ticket(call).press("2")  # no other problem: to the analysts
    caller.hears("To have us call you back, press 1.")
    caller.press("1").hears("1 2 0 2 5 5 5 0 1 4 7")  # read back before a callback is booked
    assert not db.scalars(select(OutboundCall)).all()


@pytest.fixture
def locked_out(call):
    """A new caller whose problem sounds like an account problem, up to the guess."""
    caller = call(from_=CALLER_ID).press("1")
    tell_problem(caller, "I am locked out of my account", "Logging in after the holidays")
    return give_details(caller, account="*")


def test_a_guess_with_a_self_service_answer_offers_it_in_the_same_prompt(locked_out, db, demo,
                                                                         clock):
    locked_out.hears("That sounds like an account or access problem. To reset your password "
                     "yourself, press 1; to open a ticket, 2. Another type of service, 3.")
    locked_out.press("2").hears("Who is affected, and can you work?")
    locked_out.press("2")
    [ticket] = tickets_of(db, locked_out)
    assert ticket.category == "access"


def test_the_self_service_answer_is_one_key_away(locked_out, demo, clock):
    locked_out.press("1").hears("choose Forgot password", "If that solved it, press 1")


def test_the_guess_is_refused_by_its_last_key(locked_out, demo, clock):
    locked_out.press("3").hears("Type of service: hardware, press 1.")


def test_nothing_is_said_of_an_account_not_in_the_directory(call, db, demo, clock):
    caller = call(from_=CALLER_ID).press("1")
    tell_problem(caller)
    after_account = give_details(caller, account="999999").text
    assert "account" not in after_account.lower()
    report_problem(caller, impact="1", urgency="2")
    [ticket] = tickets_of(db, caller)
    assert ticket.account_number == "999999" and not ticket.account_verified


def test_a_caller_without_caller_id_keys_the_number_before_the_ticket_and_is_not_offered_3(
        call, db, demo, clock):
    caller = call(from_=None).press("1")
    tell_problem(caller)
    caller.speak("Jane Doe").speak("Finance").speak("Building B, room 12")
    caller.hears("Your callback number, then hash?")
    caller.press(OTHER_NUMBER).press("1").press("*")
    report_problem(caller, impact="1", urgency="2")
    caller.hears("Another problem to report? If yes, press 1. If not, press 2.")
    assert "press 3" not in caller.text
    [ticket] = tickets_of(db, caller)
    assert ticket.callback_number == "+1" + OTHER_NUMBER
