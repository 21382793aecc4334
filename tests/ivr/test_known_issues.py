"""Known issues: after the type of service the intake offers a short self-service answer (the
VPN address, resetting a password); the caller may end the call satisfied (counted per
answer) or go on to open a ticket. In each language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ivr.console.reporting import loading
from tickets.models import Ticket, TicketEvent

from ..conftest import MONDAY_10
from .test_intake import ASKS_PROBLEM

CALLERS = {
    # a demo customer who speaks it (the problem said at once, at the place on file), the
    # offer, the answer, the end of the call
    "en-US": ("+15551230001", "To reset your password yourself, press 1;",
              "choose Forgot password", "Goodbye."),
    "it-IT": ("+393331234567", "Per reimpostare da solo la password, prema 1;",
              "scelga Password dimenticata", "Arrivederci."),
    "ms-MY": ("+60123456789", "Untuk menetapkan semula kata laluan sendiri, tekan 1;",
              "pilih Lupa kata laluan", "Selamat tinggal."),
}


PROBLEM = {"en-US": "Something is not right", "it-IT": "Qualcosa non va",
           "ms-MY": "Ada sesuatu yang tidak kena"}


def to_service_type(call, language):
    number, *_ = CALLERS[language]
    caller = call(from_=number)  # the problem said at once; still at the place on file
    caller.speak(PROBLEM[language])  # words that guess no type of service
    return caller  # at the type of service


def solved(db):
    return [e.data["answer"] for e in db.scalars(
        select(TicketEvent).where(TicketEvent.kind == "known_issue_solved"))]


@pytest.mark.parametrize("language", list(CALLERS))
def test_the_answer_ends_the_call_and_is_counted(call, db, demo, clock, language):
    _, offer, answer, goodbye = CALLERS[language]
    tickets_before = len(db.scalars(select(Ticket)).all())
    caller = to_service_type(call, language).press("4")  # accounts and access
    caller.hears(offer)
    assert caller.prompt.num_digits == 1
    caller.press("1").hears(answer)
    caller.press("1").hears(goodbye)
    assert caller.hung_up and caller.languages == {language}
    assert solved(db) == ["password_reset"]
    assert len(db.scalars(select(Ticket)).all()) == tickets_before  # no ticket needed
    day = MONDAY_10.replace(hour=0)
    report = loading.build(db, day, day + timedelta(days=1), now=MONDAY_10)
    assert report.table("known_issues").row_for("password_reset")["calls_ended"] == 1


def test_going_on_after_the_answer_opens_a_ticket_as_before(call, db, demo, clock):
    caller = call(from_="+15551230001").speak("The VPN keeps dropping")  # the VPN: offered
    # the answer offered with the guess (a question: the problem was said)
    caller.hears("That sounds like a network problem",
                 "Would you like to reconnect the VPN yourself?")
    caller.press("1").hears("The VPN address is vpn dot example dot com.")
    caller.press("2")  # not solved: on to the ticket
    caller.hears("Your HP LaserJet M404, press 1.")  # the equipment on file
    assert solved(db) == []


def test_declining_the_offer_goes_straight_to_the_ticket(call, db, demo, clock):
    caller = to_service_type(call, "en-US").press("4").press("2")
    caller.hears("Who is affected, and can you work?")  # the problem was told first
    assert not ASKS_PROBLEM.search(caller.text)
    assert solved(db) == []
