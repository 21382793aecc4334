"""The shorter intake (issue 18), from the caller's side, in English, Italian and Malay: the
problem said first, the type of service guessed from it and confirmed in one prompt (or
refused, then the menu), a known caller's place kept unless they press a key to say they have
moved and equipment picked by key from the record, only what may be wrong read back, and who
is affected said with whether they can work."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tickets.models import Call, Customer, CustomerPhone, Ticket, TicketEvent

from .test_intake import ANOTHER_SERVICE, report_problem, tell_problem

KNOWN = {
    # a demo customer, the place on file (kept unless they press 2), the problem, the guess,
    # the equipment on file offered by key, what they were doing
    "en-US": ("+15551230001", "Not at Building A, room 210? Press 2.",
              "The VPN drops every ten minutes", "That sounds like a network problem.",
              "Your HP LaserJet M404, press 1.", "I was in a video call"),
    "it-IT": ("+393331234567", "Non più in Milano, piano 3? Prema 2.",
              "La VPN cade ogni dieci minuti", "Sembra un problema di rete.",
              "Il Suo Lenovo ThinkPad T14, prema 1.", "Ero in videochiamata"),
    "ms-MY": ("+60123456789", "Tidak lagi di Kuala Lumpur, tingkat 5? Tekan 2.",
              "VPN terputus setiap sepuluh minit", "Ini kedengaran seperti masalah rangkaian.",
              "Dell OptiPlex 7090 anda, tekan 1.", "Saya sedang bermesyuarat"),
}
MENU = {"en-US": "Type of service: hardware, press 1.",
        "it-IT": "Tipo di servizio: hardware, prema 1.",
        "ms-MY": "Jenis perkhidmatan: perkakasan, tekan 1."}
NEW = {"en-US": ("1", "I heard Jane Doe.", "Your department?"),
       "it-IT": ("2", "Ho capito Jane Doe.", "Il Suo reparto?"),
       "ms-MY": ("3", "Saya mendengar Jane Doe.", "Jabatan anda?")}
BOTH = {"en-US": "my team, with difficulty", "it-IT": "il mio team, con difficoltà",
        "ms-MY": "pasukan saya, dengan kesukaran"}


def known_caller_at_the_problem(call, language):
    number, place, *_ = KNOWN[language]
    caller = call(from_=number)
    caller.hears(place)  # kept by saying the problem: not asked for name, department, number,
    return caller        # account


def tickets_of(db, caller):
    call_id = db.scalar(select(Call.id).where(Call.sid == caller.call_sid))
    return db.scalars(select(Ticket).where(Ticket.call_id == call_id)).all()


@pytest.mark.parametrize("language", list(KNOWN))
def test_a_guess_confirmed_and_the_equipment_on_file_picked_by_key(call, db, demo, clock,
                                                                   language):
    number, _, problem, guess, pick, before = KNOWN[language]
    caller = known_caller_at_the_problem(call, language)
    tell_problem(caller, problem, before)
    caller.hears(guess)
    assert caller.prompt.num_digits == 1
    caller.press("1")  # right: on as if chosen from the menu (the VPN self-service offer)
    assert MENU[language] not in caller.text
    caller.press("2")  # to open a ticket
    caller.hears(pick)
    assert caller.prompt.num_digits == 1
    caller.press("1")  # the equipment on file
    if language == "ms-MY":
        caller.press("*")  # no configuration on file (Siti's): asked, skipped
    caller.press("3")  # just them; they cannot work

    customer = db.scalar(select(Customer).join(CustomerPhone)
                         .where(CustomerPhone.number == number))
    [ticket] = tickets_of(db, caller)
    device = next(e for e in customer.equipment if not e.licence_number)
    assert ticket.category == "network" and ticket.problem == f"{problem}, {before}"
    assert ticket.steps_before is None  # said with the problem
    assert ticket.equipment == f"{device.model} ({device.asset_tag})"
    assert ticket.configuration == device.configuration
    assert ticket.location == customer.location and ticket.caller_name == customer.name
    # Alice's caller ID is not a valid number: called back on the London number on file
    assert ticket.callback_number == ("+442079460101" if language == "en-US" else number)
    assert ticket.account_number == customer.account_number
    assert ticket.priority == "critical_situation"
    assert " ".join(ticket.number) in caller.text
    timeline = [e.text for e in ticket.events]
    assert any("(guessed, confirmed)" in t for t in timeline)
    assert any(device.model in t for t in timeline if t.startswith("caller.devices"))


# Another type of service named where the guess is offered as a question, without its keys
NOT_THAT = {"en-US": "No, it is my laptop", "it-IT": "No, è il portatile",
            "ms-MY": "Tidak, komputer riba saya"}


@pytest.mark.parametrize("language", list(KNOWN))
def test_a_guess_refused_gives_the_menu(call, db, demo, clock, language):
    _, _, problem, guess, pick, before = KNOWN[language]
    caller = known_caller_at_the_problem(call, language)
    tell_problem(caller, problem, before).hears(guess)
    caller.speak(NOT_THAT[language])  # not that: the menu, once
    caller.hears(MENU[language])
    caller.press("1").hears(pick)  # hardware: on to the equipment on file
    events = db.scalars(select(TicketEvent.text).where(TicketEvent.kind == "answer")).all()
    assert any("guess 3 refused" in t for t in events)


def test_a_guess_refused_by_its_key_when_asked_again_with_the_keys(call, db, demo, clock):
    _, _, problem, guess, pick, before = KNOWN["en-US"]
    caller = known_caller_at_the_problem(call, "en-US")
    tell_problem(caller, problem, before).speak("hmm")  # not understood: the keys
    caller.press(ANOTHER_SERVICE.search(caller.text).group(1))
    caller.hears(MENU["en-US"])


def test_a_guess_refused_by_saying_no(call, demo, clock):
    caller = call(from_="+393331112222")  # a new caller from Italy: Italian at once
    tell_problem(caller, "La rete è lentissima", "Stavo inviando una email")
    caller.speak("Giulia Bianchi").speak("Amministrazione").speak("Edificio B").press("*")
    caller.hears("Sembra un problema di rete. Se è corretto, prema 1; per scegliere, 2.")
    caller.speak("no").hears(MENU["it-IT"])


def test_a_guess_confirmed_as_twilio_transcribes_yes(call, db, demo, clock):
    caller = call(from_="+393331112222")
    tell_problem(caller, "La rete è lentissima", "Stavo inviando una email")
    caller.speak("Giulia Bianchi").speak("Amministrazione").speak("Edificio B").press("*")
    caller.speak("Sì.")  # capital and full stop, as Twilio's SpeechResult gives it
    assert MENU["it-IT"] not in caller.text
    events = db.scalars(select(TicketEvent.text).where(TicketEvent.kind == "answer")).all()
    assert any("(guessed, confirmed)" in t for t in events)


def test_words_that_guess_nothing_go_straight_to_the_menu(call, demo, clock):
    caller = known_caller_at_the_problem(call, "en-US")
    caller.speak("It makes a strange noise")
    assert "sounds like" not in caller.text
    caller.hears(MENU["en-US"])


@pytest.mark.parametrize("problem,guessed", [
    ("The VPN is down for the whole office", "That sounds like a network problem."),
    ("I cannot log in to my email", "That sounds like an account or access problem."),
])
def test_everyday_words_guess_the_service_a_stranger_means(call, demo, clock, problem,
                                                          guessed):
    """"The office" is a place, not Microsoft Office: it does not tie a VPN problem with
    software; a mail box one cannot log in to is an access problem."""
    caller = known_caller_at_the_problem(call, "en-US")
    caller.speak(problem).hears(guessed)


def test_other_equipment_than_the_record_is_described(call, db, demo, clock):
    caller = known_caller_at_the_problem(call, "en-US")
    caller.speak("The printer jams").hears("That sounds like a hardware problem.")
    caller.hears("Your HP LaserJet M404, press 1. Other equipment, 2.")  # offered at once
    caller.press("2").hears("Its model, or asset tag and hash?")


def test_a_known_caller_who_has_moved_says_where(call, db, demo, clock):
    caller = call(from_="+15551230001").hears("Not at Building A, room 210? Press 2.")
    caller.press("2").hears("Your building and room?")
    caller.speak("Building C, room 7")
    # the callback number is on file: the problem next
    caller.hears("In a few words, what is the problem, and what were you doing when it started?")
    assert "call you back" not in caller.text
    report_problem(caller, service="5", impact="1", urgency="1")
    [ticket] = tickets_of(db, caller)
    assert ticket.location == "Building C, room 7"
    assert ticket.callback_number == "+442079460101"  # the number on file the line may call


@pytest.mark.parametrize("language", list(NEW))
def test_a_low_confidence_answer_is_read_back(call, demo, clock, language):
    key, read_back, department = NEW[language]
    caller = tell_problem(call(from_="+12025550147").press(key))
    caller.speak("Jane Doe", confidence=0.45)
    caller.hears(read_back)
    assert department not in caller.text
    caller.press("1").hears(department)


@pytest.mark.parametrize("language", list(NEW))
def test_a_high_confidence_answer_is_not_read_back(call, db, demo, clock, language):
    key, read_back, department = NEW[language]
    caller = tell_problem(call(from_="+12025550147").press(key))
    caller.speak("Jane Doe", confidence=0.91)
    caller.hears(department)
    assert read_back not in caller.text and "Jane Doe" not in caller.text
    events = db.scalars(select(TicketEvent.text).where(TicketEvent.kind == "answer")).all()
    assert "name: Jane Doe (speech, confidence 0.91)" in events


def test_a_long_keyed_number_is_read_back_and_a_short_one_is_not(call, demo, clock):
    caller = tell_problem(call(from_=None).press("1"))  # no caller ID
    caller.speak("Jane Doe").speak("Finance").speak("Room 4")
    caller.press("2025550188").hears("I have 1 2 0 2 5 5 5 0 1 8 8.")  # ten keys: read back
    caller.press("1")
    caller.press("40001")  # five keys: taken as keyed
    assert "I have account" not in caller.text
    caller.hears("Found Alice Johnson")


def test_a_menu_choice_is_never_read_back(call, demo, clock):
    caller = call(from_="+12025550147").press("1")
    caller.hears("For a ticket's status, press 1.")
    caller.press("1")
    assert "I have" not in caller.text and "If right" not in caller.text
    caller.hears("Please key in the ticket number")


@pytest.mark.parametrize("language", list(KNOWN))
def test_who_is_affected_said_with_whether_they_can_work_is_one_answer(call, db, demo, clock,
                                                                       language):
    _, _, problem, guess, pick, before = KNOWN[language]
    caller = known_caller_at_the_problem(call, language)
    tell_problem(caller, problem, before).hears(guess)
    caller.press("1").press("2").press("1")  # network; open a ticket; the equipment on file
    if language == "ms-MY":
        caller.press("*")  # no configuration on file (Siti's): asked, skipped
    caller.speak(BOTH[language])  # team + impaired: no second question
    [ticket] = tickets_of(db, caller)
    assert ticket.answers["impact"] == "team" and ticket.answers["urgency"] == "impaired"
    assert ticket.priority == "critical_situation"  # the matrix: team x impaired
    assert " ".join(ticket.number) in caller.text


def test_a_scheduled_change_is_one_key(call, db, demo, clock):
    caller = known_caller_at_the_problem(call, "en-US")
    caller.speak("It makes a strange noise, we are moving offices").press("5")  # something else
    caller.hears("a scheduled change, 6.")
    caller.press("6")
    [ticket] = tickets_of(db, caller)
    assert ticket.priority == "planned_event"
