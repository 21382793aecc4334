"""The problem-first intake (issue 18) from a caller's side: who is affected and whether a
caller alone can work in one key, the VPN's self-service answer only for the VPN, a guess
offered with the equipment on file refused by its last key, and nothing said about an account
the caller does not know."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tickets.models import Call, Ticket

from .test_intake import ANOTHER_SERVICE, give_details, tell_problem

ALICE = "+15551230001"


def ticket_of(db, caller) -> Ticket:
    call_id = db.scalar(select(Call.id).where(Call.sid == caller.call_sid))
    [ticket] = db.scalars(select(Ticket).where(Ticket.call_id == call_id)).all()
    return ticket


def at_who_is_affected(call):
    """Alice's printer, on file, reported by keypad up to the impact question."""
    caller = call(from_=ALICE).speak("The printer prints blank pages, printing invoices")
    caller.press("1")  # her printer on file: the hardware guess confirmed
    caller.hears("Who is affected, and can you work? Just you, normally, press 1;")
    return caller


@pytest.mark.parametrize("key,urgency,priority", [
    ("1", "works", "regular_service"),
    ("2", "impaired", "regular_service"),
    ("3", "blocked", "critical_situation"),
])
def test_a_caller_affected_alone_says_whether_they_can_work_in_the_same_key(
        call, db, demo, clock, key, urgency, priority):
    caller = at_who_is_affected(call).press(key)
    assert "Can you work? Normally" not in caller.text  # no second question
    ticket = ticket_of(db, caller)
    assert (ticket.answers["impact"], ticket.answers["urgency"]) == ("me", urgency)
    assert ticket.priority == priority
    caller.hears(f"Ticket {' '.join(ticket.number)} is open")


@pytest.mark.parametrize("key,impact,priority", [
    ("4", "team", "critical_situation"),
    ("5", "organisation", "enterprise_failure"),
])
def test_a_team_or_everyone_is_asked_next_whether_they_can_work(call, db, demo, clock, key,
                                                               impact, priority):
    caller = at_who_is_affected(call).press(key)
    caller.hears("Can you work? Normally, press 1; with difficulty, 2; not at all, 3.")
    caller.press("2")
    ticket = ticket_of(db, caller)
    assert (ticket.answers["impact"], ticket.answers["urgency"]) == (impact, "impaired")
    assert ticket.priority == priority


@pytest.mark.parametrize("problem,offered", [
    ("The VPN drops every ten minutes", True),
    ("The wifi drops every ten minutes", False),
])
def test_the_vpn_answer_is_offered_only_when_the_caller_spoke_of_the_vpn(call, demo, clock,
                                                                       problem, offered):
    caller = call(from_=ALICE).speak(problem)
    caller.hears("That sounds like a network problem.")  # with what the guess leads to
    assert ("reconnect the VPN yourself" in caller.text) is offered
    if not offered:
        caller.hears("Your HP LaserJet M404, press 1.")  # the equipment on file at once


def test_a_guess_offered_with_the_equipment_on_file_is_refused_by_its_last_key(call, db, demo,
                                                                              clock):
    caller = call(from_=ALICE).speak("My laptop says my licence has expired")
    caller.hears("That sounds like a hardware problem.", "Another type of service, 3.")
    caller.press(ANOTHER_SERVICE.search(caller.text).group(1))
    caller.hears("Type of service: hardware, press 1. Software, press 2.")
    caller.press("2")  # software: her licences on file
    caller.hears("Other software, ")
    caller.press("1")  # the first licence on file
    if "configuration" in caller.text:
        caller.press("*")
    caller.press("1")  # just her, working normally
    ticket = ticket_of(db, caller)
    assert ticket.category == "software" and ticket.licence_number
    assert any("guess 1 refused" in e.text for e in ticket.events)


def test_nothing_is_said_about_an_account_the_caller_does_not_know(call, db, demo, clock):
    caller = tell_problem(call(from_="+12025550147").press("1"))
    give_details(caller, account="*")
    assert "account" not in caller.text.lower()  # straight on to the guess
    caller.hears("That sounds like a hardware problem.")
    caller.press("1").press("1001#").press("*").press("1")
    ticket = ticket_of(db, caller)
    assert ticket.account_number is None and not ticket.account_verified


def test_just_me_said_alone_is_asked_next_whether_they_can_work(call, db, demo, clock):
    caller = at_who_is_affected(call).speak("just me")
    caller.hears("Can you work?")
    caller.press("3")
    ticket = ticket_of(db, caller)
    assert (ticket.answers["impact"], ticket.answers["urgency"]) == ("me", "blocked")
    assert ticket.priority == "critical_situation"
