"""Speech first (issue 18), from a caller's side: a caller who has just answered by voice is
asked without the list of keys (who is affected, a self-service offer as a yes-or-no question,
the equipment on file, its configuration), may say "no" or "open a ticket" at the offer, names
other equipment at the pick of their own, and skips a question by saying they do not know; the
keys come back whenever an answer is not understood, and every SOP field still reaches the
ticket."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tickets.models import Call, Ticket

from .test_intake import ticket_number_heard

ALICE, MARCO, SITI = "+15551230001", "+393331234567", "+60123456789"


def ticket_of(db, caller) -> Ticket:
    call_id = db.scalar(select(Call.id).where(Call.sid == caller.call_sid))
    [ticket] = db.scalars(select(Ticket).where(Ticket.call_id == call_id)).all()
    return ticket


def test_after_a_spoken_answer_who_is_affected_is_asked_without_keys(call, db, demo, clock):
    caller = call(from_=ALICE).speak("Excel freezes when I open a large file, opening the budget")
    caller.hears("That sounds like a software problem.", "Your Microsoft Office 365, press 1.")
    caller.press("1").hears("Its operating system or configuration?")
    caller.speak("Office 365, version 2410")
    assert caller.text == "Who is affected, and can you work?"  # no keys read out
    assert "speech" in caller.prompt.input
    caller.speak("just me, with difficulty")
    ticket = ticket_of(db, caller)
    caller.hears(f"Ticket {' '.join(ticket.number)}")
    assert (ticket.answers["impact"], ticket.answers["urgency"]) == ("me", "impaired")
    assert ticket.configuration == "Office 365, version 2410"


def test_a_spoken_answer_not_understood_brings_the_keys_back(call, db, demo, clock):
    caller = call(from_=ALICE).speak("Excel freezes when I open a large file, opening the budget")
    caller.press("1").speak("Office 365, version 2410")
    caller.speak("hmm, well")  # neither who nor whether they can work
    caller.hears("Who is affected, and can you work? Just you, normally, press 1; with "
                 "difficulty, 2; not at all, 3. Your team, 4;")
    caller.press("2")
    assert ticket_of(db, caller).answers["urgency"] == "impaired"


def test_an_italian_caller_refuses_the_vpn_offer_and_names_the_other_equipment(call, db, demo,
                                                                               clock):
    caller = call(from_=MARCO).speak("La VPN cade ogni dieci minuti, ero in videochiamata")
    # the problem was said: the offer is a question, without keys or the other services
    assert caller.text == "Sembra un problema di rete. Vuole riconnettere da solo la VPN?"
    assert "speech" in caller.prompt.input
    caller.speak("no")
    assert caller.text == "Il Suo Lenovo ThinkPad T14, o un'altra apparecchiatura?"
    caller.speak("il router di casa")
    # the model is not asked, and the configuration is asked without its key
    assert caller.text == "Il sistema operativo o la configurazione?"
    caller.speak("Windows 11 Pro")
    assert caller.text == "Chi è interessato, e riesce a lavorare?"
    caller.speak("il mio team, con difficoltà")
    ticket = ticket_of(db, caller)
    assert ticket_number_heard(caller) == ticket.number
    assert ticket.category == "network"
    assert ticket.equipment == "il router di casa"
    assert ticket.configuration == "Windows 11 Pro"
    assert (ticket.answers["impact"], ticket.answers["urgency"]) == ("team", "impaired")
    assert "known_issue" not in ticket.answers  # the self-service answer was passed


def test_the_offer_not_understood_is_asked_again_with_the_keys_and_the_other_services(
        call, db, demo, clock):
    caller = call(from_=MARCO).speak("La VPN cade ogni dieci minuti, ero in videochiamata")
    caller.speak("boh")  # neither yes nor no
    caller.hears("Per riconnettere da solo la VPN, prema 1; per aprire un ticket, 2.",
                 "Altro servizio, 3.")
    caller.press("3").hears("Tipo di servizio:")  # the guess refused: the menu


def test_equipment_on_file_named_by_voice_is_picked(call, db, demo, clock):
    caller = call(from_=MARCO).speak("La VPN cade ogni dieci minuti, ero in videochiamata")
    caller.speak("aprire un ticket").speak("il ThinkPad")
    # its configuration is on file: who is affected next
    assert caller.text == "Chi è interessato, e riesce a lavorare?"
    caller.speak("solo io, per niente")
    ticket = ticket_of(db, caller)
    assert ticket.configuration == "Windows 11 Pro"
    assert "A-2001" in ticket.equipment  # the asset on file


def test_yes_to_the_equipment_on_file_picks_it(call, db, demo, clock):
    caller = call(from_=MARCO).speak("La VPN cade ogni dieci minuti, ero in videochiamata")
    caller.speak("no, grazie").speak("sì")
    assert caller.text == "Chi è interessato, e riesce a lavorare?"
    caller.speak("solo io, per niente")
    assert "A-2001" in ticket_of(db, caller).equipment  # not equipment "sì"


def test_other_equipment_and_its_configuration_skipped_by_saying_so(call, db, demo, clock):
    caller = call(from_=MARCO).speak("La VPN cade ogni dieci minuti, ero in videochiamata")
    caller.speak("no").speak("no")  # not the ThinkPad, and none named
    assert caller.text == "Il modello o il codice di inventario?"
    caller.speak("non lo so")
    assert caller.text == "Il sistema operativo o la configurazione?"
    caller.speak("non lo so")
    caller.speak("solo io, con difficoltà")
    ticket = ticket_of(db, caller)
    assert ticket_number_heard(caller) == ticket.number
    assert ticket.equipment is None and ticket.configuration is None  # unknown, not "no"


def test_a_malay_caller_refuses_the_password_offer(call, db, demo, clock):
    caller = call(from_=SITI).speak("Saya tidak boleh log masuk ke emel")
    assert caller.text == ("Ini kedengaran seperti masalah akaun atau akses. "
                           "Mahu menetapkan semula kata laluan sendiri?")
    caller.speak("tidak, buka tiket")
    assert caller.text == "Siapakah yang terjejas, dan bolehkah anda bekerja?"
    caller.speak("saya sahaja, dengan kesukaran")
    ticket = ticket_of(db, caller)
    assert ticket.category == "access"
    assert (ticket.answers["impact"], ticket.answers["urgency"]) == ("me", "impaired")


def test_an_english_caller_says_yes_to_the_password_offer(call, db, demo, clock):
    caller = call(from_=ALICE).speak("I am locked out of my account")
    caller.hears("That sounds like an account or access problem.",
                 "Would you like to reset your password yourself?")
    caller.speak("yes please").hears("Go to password dot example dot com")


def _at_who_is_affected(call, language: str):
    """A known caller of each language, by voice, up to "who is affected"."""
    if language == "en-US":
        caller = call(from_=ALICE).speak("Excel freezes when I open a large file")
        caller.press("1").speak("Office 365, version 2410")
    elif language == "it-IT":
        caller = call(from_=MARCO).speak("La VPN cade ogni dieci minuti, ero in videochiamata")
        caller.speak("no").speak("il router di casa").speak("Windows 11 Pro")
    else:
        caller = call(from_=SITI).speak("Saya tidak boleh log masuk ke emel")
        caller.speak("tidak, buka tiket")
    assert caller.prompt.language == language and "speech" in caller.prompt.input
    return caller


# "We cannot work", as a team says it: understood in every language, at once or when asked.
WE_CANNOT = {"en-US": ("my team, we can't work", "my team", "no, we can't"),
             "it-IT": ("il mio team, non possiamo lavorare", "il mio team",
                       "no, non riusciamo"),
             "ms-MY": ("pasukan saya, kami tidak dapat bekerja", "pasukan saya",
                       "tidak, kami tak dapat")}


@pytest.mark.parametrize("language", list(WE_CANNOT))
def test_a_team_that_cannot_work_is_understood_in_one_answer(call, db, demo, clock, language):
    caller = _at_who_is_affected(call, language)
    caller.speak(WE_CANNOT[language][0])
    ticket = ticket_of(db, caller)
    assert (ticket.answers["impact"], ticket.answers["urgency"]) == ("team", "blocked")


@pytest.mark.parametrize("language", list(WE_CANNOT))
def test_a_team_that_cannot_work_is_understood_when_asked_whether_it_can(
        call, db, demo, clock, language):
    caller = _at_who_is_affected(call, language)
    caller.speak(WE_CANNOT[language][1])  # the team, without whether it can work: asked next
    assert "1" not in caller.text and caller.text.endswith("?")
    caller.speak(WE_CANNOT[language][2])
    ticket = ticket_of(db, caller)
    assert (ticket.answers["impact"], ticket.answers["urgency"]) == ("team", "blocked")
