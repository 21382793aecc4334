"""A caller's whole intake through the HTTP surface, signed like Twilio."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tickets import pins
from tickets.models import Call, OutboundCall, Ticket, TicketEvent

LANGUAGES = {
    # key on the language menu, language, voice, the closing words, words of the ticket read-out
    "en-US": ("1", "Polly.Joanna", "Take care. Goodbye.", "enterprise failure"),
    "it-IT": ("2", "Polly.Bianca", "Buon proseguimento, arrivederci.", "fallimento aziendale"),
    "ms-MY": ("3", "Google.ms-MY-Standard-A",
              "Semoga urusan anda berjalan lancar. Selamat tinggal.", "kegagalan perusahaan"),
}


def ticket_number_heard(caller) -> str:
    """The ticket number as the caller heard it, digit by digit ("1 0 0 0 1")."""
    match = re.search(r"(\d(?: \d){4,})", caller.text)
    assert match, f"no ticket number read out in {caller.text!r}"
    return match.group(1).replace(" ", "")


PROBLEM = "The printer jams on every page"
BEFORE = "I was printing the monthly invoices"
# The first question, or the problem asked again (a caller who moved, a second problem).
ASKS_PROBLEM = re.compile(r"what is wrong|what is the problem|cosa non va|qual è il problema|"
                          r"apakah masalahnya", re.IGNORECASE)
GUESSED = re.compile(r"sounds like|Sembra|kedengaran seperti")
# A guess offered with the caller's equipment on file is refused by this key.
ANOTHER_SERVICE = re.compile(r"(?:Another type of service|Altro servizio|"
                             r"Jenis perkhidmatan lain), (\d)")
OTHER_ITEM = re.compile(r"(?:Other (?:equipment|software)|Un'altra apparecchiatura|"
                        r"Un altro software|(?:Peralatan|Perisian) lain), (\d)\.")
# Who is affected, as the tests name it (1 just the caller, 2 their team, 3 everyone), to the
# key of the line's one question; just the caller answers whether they can work on it too.
IMPACT_KEYS = {"2": "4", "3": "5"}
PLANNED_KEY = "6"


def tell_problem(caller, problem=PROBLEM, before=BEFORE, confidence=0.87):
    """At the first question (or when asked again): the problem and what the caller was
    doing when it started, in one spoken answer."""
    return caller.speak(f"{problem}, {before}" if before else problem, confidence=confidence)


def give_details(caller, name="Jane Doe", department="Finance", location="Building B, room 12",
                 account="40001"):
    """A new caller after the problem: name, department and place said (the number they call
    from is kept for the callback, not asked), the account keyed ("*": not known)."""
    return caller.speak(name).speak(department).speak(location).press(account)


def rate(caller, impact="3", urgency="3", planned="2"):
    """Who is affected and whether they can work, or (planned="1") a scheduled change."""
    if planned == "1":
        return caller.press(PLANNED_KEY)
    if impact == "1":
        return caller.press(urgency)  # just the caller: keys 1-3 say whether they can work
    return caller.press(IMPACT_KEYS[impact]).press(urgency)


def report_problem(caller, *, service="1", equipment="1001", impact="3", urgency="3",
                   planned="2", problem=PROBLEM, before=BEFORE):
    """Answer the problem part of the intake: the problem in the caller's words with what
    they were doing (unless said already, at the first question), its type of service by key
    (a guess refused), the equipment or licence keyed (not the one on file), then who is
    affected and whether they can work, or (planned="1") a scheduled change."""
    if ASKS_PROBLEM.search(caller.text):
        tell_problem(caller, problem, before)
    if GUESSED.search(caller.text):
        refuse = ANOTHER_SERVICE.search(caller.text)
        caller.press(refuse.group(1) if refuse else "2")  # the guess refused: the menu
    caller.press(service)
    if "To open a ticket, press 2" in caller.text:
        caller.press("2")  # the self-service answer passed
    if service in ("1", "3"):
        other_than_on_file(caller)
        caller.press(equipment)  # asset tag: short, so not read back
        caller.speak("Windows 11, driver 5.1")  # configuration
    elif service == "2":
        other_than_on_file(caller)
        caller.press("77821")  # licence: short, so not read back
        caller.speak("Office 2021")
    return rate(caller, impact, urgency, planned)


def other_than_on_file(caller):
    """At a known caller's equipment (or licences) on file, choose none of them."""
    match = OTHER_ITEM.search(caller.text)
    if match:
        caller.press(match.group(1))
    return caller


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_new_caller_full_intake_in_each_language(call, db, demo, clock, language):
    key, voice, close, label = LANGUAGES[language]
    caller = call(from_="+12025550147")
    caller.hears("Thank you for calling the IT Help Desk")
    assert {"en-US", "it-IT", "ms-MY"} <= caller.languages  # the language menu, each in its own

    caller.press(key)
    assert caller.languages == {language}
    assert all(h.voice == voice for h in caller.heard)
    assert caller.prompt.language == language
    assert "speech" in caller.prompt.input and caller.prompt.num_digits == 1  # key 1: status
    tell_problem(caller)  # the problem first, with what they were doing when it started
    caller.speak("Jane Doe")  # name, heard clearly: not read back
    assert "Jane Doe" not in caller.text
    assert caller.prompt.input == "speech" and caller.prompt.language == language
    caller.speak("Finance").speak("Building B, room 12")
    assert "call you back" not in caller.text  # the number they call from: not asked
    caller.press("40001")  # account number: five keys, not read back
    assert "Alice Johnson" in caller.text  # found in the customer directory

    report_problem(caller)
    assert caller.languages == {language}
    caller.hears(label)
    number = ticket_number_heard(caller)
    caller.press("2")  # no other problem: on to the queue, where nobody is logged in
    assert caller.languages == {language}  # the queue speaks the caller's language too
    caller.wait()  # no callback wanted
    assert caller.hung_up
    said = " ".join(h.text for h in caller.transcript)
    assert said.endswith(close)  # one courteous close, at the end
    assert said.count("Thank you for calling") == 1  # the greeting; no second thanks

    ticket = db.scalar(select(Ticket).where(Ticket.number == number))
    assert ticket.caller_name == "Jane Doe"
    assert ticket.department == "Finance"
    assert ticket.location == "Building B, room 12"
    assert ticket.callback_number == "+12025550147"
    assert ticket.account_number == "40001" and ticket.account_verified
    assert ticket.category == "hardware"
    assert ticket.equipment == "1001"
    assert ticket.configuration == "Windows 11, driver 5.1"
    assert ticket.problem == "The printer jams on every page, I was printing the monthly invoices"
    assert ticket.problem_confidence == pytest.approx(0.87)
    assert ticket.priority == "enterprise_failure" and ticket.tier == 2
    assert ticket.language == language
    assert (ticket.response_due - ticket.created_at).total_seconds() == 15 * 60

    timeline = [e.text for e in ticket.events]
    assert any("name: Jane Doe" in t for t in timeline)
    assert any("problem: The printer jams on every page, I was printing the monthly invoices "
               "(speech, confidence 0.87)" in t for t in timeline)
    assert any("Priority assessed" in t for t in timeline)
    assert any(t.startswith("Ticket opened") for t in timeline)


def test_pin_read_out_lets_a_stranger_hear_the_status(call, db, demo):
    caller = tell_problem(call(from_="+12025550147").press("1"))
    caller.speak("Jane Doe").speak("Finance").speak("Room 4").press("1")
    caller.press("*")  # no account number: nothing to check, nothing said about it
    assert "account" not in caller.text and "sounds like" in caller.text
    report_problem(caller, service="5", impact="1", urgency="1", planned="2")
    caller.hears("regular scheduled service", "8 hours")
    pin = re.search(r"PIN is (\d(?: \d){3})", caller.text).group(1).replace(" ", "")
    number = ticket_number_heard(caller)
    caller.press("2")

    ticket = db.scalar(select(Ticket).where(Ticket.number == number))
    assert not ticket.account_verified and ticket.priority == "regular_service"

    stranger = call(from_="+12025550199").press("1").press("1")  # English, hear a status
    stranger.press(number)
    stranger.hears("not the one on file")
    stranger.press(pin)
    stranger.hears(f"Ticket {' '.join(number)} is open")


@pytest.mark.parametrize(("language_key", "withheld", "words"), [
    ("1", "Your number is withheld", "not the one on file"),
    ("2", "Il Suo numero è nascosto", "non corrisponde a quello registrato"),
    ("3", "Nombor anda disembunyikan", "bukan nombor yang didaftarkan"),
])
def test_a_withheld_number_is_asked_the_pin_as_withheld_not_as_another_number(
        call, db, demo, language_key, withheld, words):
    """Without caller ID there is no "this number" to be the wrong one: the PIN is asked
    because the number is withheld, in the caller's language, and it still opens the status."""
    ticket = db.scalar(select(Ticket).where(Ticket.status == "in_progress"))
    pin = "4821"
    ticket.pin_hash = pins.hash_pin(pin)
    db.commit()
    caller = call(from_=None).press(language_key).press("1")  # the language, a status
    caller.press(ticket.number)
    caller.hears(withheld)
    assert words not in caller.text
    caller.press(pin)
    assert " ".join(ticket.number) in caller.text


def test_known_caller_is_greeted_by_name_and_hears_a_ticket_status(call, db, demo):
    alice_ticket = db.scalar(select(Ticket).where(Ticket.status == "in_progress"))
    caller = call(from_="+15551230001")  # Alice's number on file; her language is English
    caller.hears("Thank you for calling", "Hello Alice Johnson", "For a ticket's status")
    assert "For English, press 1" not in caller.text  # language menu skipped
    caller.press("1").press(alice_ticket.number)
    caller.hears(f"Ticket {' '.join(alice_ticket.number)} is in progress",
                 "Replacement roller ordered")
    caller.press("9")
    assert caller.hung_up
    events = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == alice_ticket.id,
                                                  TicketEvent.kind == "status_enquiry")).all()
    assert [e.text for e in events] == ["Status enquiry by phone (caller ID): told to the caller"]


def test_known_italian_caller_is_served_in_italian_without_the_menu(call, demo):
    caller = call(from_="+393331234567")
    assert caller.languages == {"it-IT"}  # Italian from the first word: no English greeting
    assert caller.heard[0].text == "Grazie per aver chiamato l'Help Desk IT."
    assert "Marco Rossi" in caller.text
    assert all(h.language == "it-IT" for h in caller.heard if "Marco" in h.text)


def test_wrong_pin_is_refused(call, db, demo):
    ticket = db.scalar(select(Ticket).where(Ticket.status == "in_progress"))
    caller = call(from_="+12025550199").press("1").press("1").press(ticket.number)
    caller.press("0000")
    assert "in progress" not in caller.text
    caller.hears("does not match")


def test_two_problems_in_one_call_give_two_tickets(call, db, demo):
    caller = call(from_="+15551230001")  # Alice says a new problem at once, at her place
    report_problem(caller, service="1", impact="1", urgency="2", planned="2")
    first = ticket_number_heard(caller)
    caller.hears("regular scheduled service", "Another problem to report?")
    caller.press("1")
    report_problem(caller, service="2", impact="2", urgency="3", planned="2",
                   problem="Outlook will not start", before="I installed an update")
    second = ticket_number_heard(caller)
    caller.hears("critical situation")
    caller.press("2").wait()
    assert caller.hung_up and first != second

    one = db.scalar(select(Ticket).where(Ticket.number == first))
    two = db.scalar(select(Ticket).where(Ticket.number == second))
    assert (one.category, one.priority) == ("hardware", "regular_service")
    assert (two.category, two.priority) == ("software", "critical_situation")
    assert two.licence_number == "77821" and two.equipment is None
    assert one.caller_name == two.caller_name == "Alice Johnson"
    assert one.customer_id == two.customer_id and one.call_id == two.call_id
    assert any("Outlook will not start" in e.text for e in two.events)
    assert not any("Outlook will not start" in e.text for e in one.events)
    assert any(first in e.text for e in two.events if e.kind == "note")


def test_a_calls_timeline_reads_in_the_order_things_happened(call, db, demo):
    """The lines of a turn with effects are written in one INSERT, a note an effect adds
    through the session (a second problem's 'Reported in the same call') before the turn's
    later lines: read by id, the timeline is in the order the lines were made."""
    caller = call(from_="+15551230001")
    report_problem(caller, service="1", impact="1", urgency="2", planned="2")
    caller.press("1")
    report_problem(caller, service="2", impact="2", urgency="3", planned="2",
                   problem="Outlook will not start", before="I installed an update")
    caller.press("2").wait()
    call_id = db.scalar(select(Call.id).where(Call.sid == caller.call_sid))
    lines = db.scalars(select(TicketEvent).where(TicketEvent.call_id == call_id)
                       .order_by(TicketEvent.id)).all()
    assert lines[0].kind == "call" and lines[0].text == "Inbound call answered"
    assert [e.at for e in lines] == sorted(e.at for e in lines)
    note = next(i for i, e in enumerate(lines) if e.text.startswith("Reported in the same call"))
    assert lines[note + 1:], "the second ticket's turn logged lines after the note"


def test_silence_and_garbage_reprompt_then_take_the_way_out(call, db, demo):
    caller = call(from_="+12025550147").press("1")
    caller.wait()
    caller.hears("did not hear anything", "what is wrong")
    caller.speak("mmm", confidence=0.05)
    caller.hears("did not understand", "what is wrong")
    caller.wait()
    # Nothing was answered: no ticket, no callback, and none promised.
    caller.hears("could not take down your problem by phone", "no ticket has been opened")
    assert "call you back" not in caller.text
    assert caller.hung_up
    call_id = db.scalar(select(Call.id).where(Call.sid == caller.call_sid))
    assert db.scalar(select(Ticket).where(Ticket.call_id == call_id)) is None
    assert db.scalar(select(OutboundCall)) is None

    # The call is kept as a call record, with its re-prompts and way out.
    events = db.scalars(select(TicketEvent).where(TicketEvent.call_id == call_id)
                        .order_by(TicketEvent.id)).all()
    kinds = [e.kind for e in events]
    assert kinds.count("reprompt") == 2 and "way_out" in kinds and "call_record" in kinds
    assert all(e.call_id is not None and e.ticket_id is None for e in events)


def test_garbage_on_a_menu_reprompts(call):
    caller = call().press("1")
    caller.press("7")
    caller.hears("did not understand", "For a ticket's status, press 1")


def test_repeated_step_request_applies_nothing_twice(call, db, demo):
    caller = call(from_="+15551230001")
    report_problem(caller, impact="1", urgency="1", planned="1")
    caller.hears("planned event")
    url, params = caller.requests[-1]  # the request that opened the ticket
    status, body = caller.post(url, params)  # Twilio sends it again
    assert status == 200
    assert db.scalar(select(Ticket).where(Ticket.priority == "planned_event")) is not None
    tickets = db.scalars(select(Ticket).where(Ticket.call_id.is_not(None))).all()
    assert len(tickets) == 1
    events_before = db.scalars(select(TicketEvent)).all()
    caller.post(url, params)
    assert len(db.scalars(select(TicketEvent)).all()) == len(events_before)
    assert ticket_number_heard(caller) in body.replace(" ", "")


def test_repeated_incoming_request_answers_the_same(call, db):
    caller = call()
    url, params = caller.requests[0]
    _status, body = caller.post(url, params)
    assert body == db.scalar(select(Call.last_response))
    assert len(db.scalars(select(Call)).all()) == 1


def test_simultaneous_duplicates_of_a_step_open_one_ticket(app, call, db, demo):
    from concurrent.futures import ThreadPoolExecutor

    from ..conftest import PUBLIC_BASE_URL

    caller = call(from_="+15551230001")
    caller.speak("Laptop fan is loud, nothing special")
    caller.press(ANOTHER_SERVICE.search(caller.text).group(1))  # the guess (hardware) refused
    caller.press("5")  # something else
    caller.press("4")  # their team: one more answer (can they work?) opens the ticket
    url = PUBLIC_BASE_URL + caller.prompt.action
    params = {**caller.params, "Digits": "2"}
    headers = caller.sign(url, params)

    def post(_):
        response = app.test_client().post(caller.prompt.action, data=params, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(post, range(4)))
    assert {status for status, _ in answers} == {200}
    assert len({body for _, body in answers}) == 1  # every duplicate heard the same
    tickets = db.scalars(select(Ticket).where(Ticket.call_id.is_not(None))).all()
    assert len(tickets) == 1
    assert tickets[0].number in answers[0][1].replace(" ", "")


def test_a_plain_answer_is_on_the_timeline_when_the_next_prompt_is_heard_and_only_once(
        call, db):
    caller = tell_problem(call().press("1"))  # English, the problem: asked for their name
    caller.speak("Jane Doe", confidence=0.5).hears("I heard Jane Doe")  # unclear: read back
    caller.press("1").hears("Your department?")  # confirmed: the answer is kept
    heard = caller.text
    url, params = caller.requests[-1]
    lines = db.scalars(select(TicketEvent.text).where(TicketEvent.text.contains("Jane Doe"))
                       ).all()
    assert len(lines) == 1  # committed before the next prompt was returned
    turn = db.scalar(select(Call.turn).execution_options(populate_existing=True))
    status, body = caller.post(url, params)  # Twilio sends the answer again
    assert status == 200 and body == db.scalar(select(Call.last_response))
    assert body.split("<Say")[1:] and all(part.split(">", 1)[1].split("<")[0] in heard
                                          for part in body.split("<Say")[1:])
    assert db.scalar(select(Call.turn).execution_options(populate_existing=True)) == turn
    assert len(db.scalars(select(TicketEvent.text).where(
        TicketEvent.text.contains("Jane Doe"))).all()) == 1


@pytest.mark.parametrize("setting, pragma", [(None, 1), ("FULL", 2)])
def test_sqlite_syncs_every_commit_only_when_the_admin_chooses_full(tmp_path, setting,
                                                                     pragma):
    from ivr import create_app

    overrides = {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'line.db'}"}
    if setting:
        overrides["SQLITE_SYNCHRONOUS"] = setting
    app = create_app(overrides)
    with app.extensions["engine"].connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == pragma  # 1 NORMAL 2 FULL
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    app.extensions["engine"].dispose()
