"""What a caller hears, in English, Italian and Malay: their own language from the first word,
the help desk's name and counts said the way the language says them, one word for each thing,
one thanks for calling and one close, and an apology in their language when the line is down."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

import call_scripts
from ivr import create_app
from tickets import intake
from tickets.models import ScriptVersion, Ticket

from ..conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from .test_intake import give_details, report_problem, tell_problem
from .test_queue import ALICE_CALLABLE, add_agent, to_queue
from .test_queue import twilio as twilio  # the fixture
from .test_webhooks import PARAMS, signed_post, twiml

ALICE, MARCO, SITI = "+15551230001", "+393331234567", "+60123456789"  # the demo's customers
KNOWN = {  # Alice from her London number, one the line may call back
    "en-US": (ALICE_CALLABLE, "Thank you for calling the IT Help Desk."),
    "it-IT": (MARCO, "Grazie per aver chiamato l'Help Desk IT."),
    "ms-MY": (SITI, "Terima kasih kerana menghubungi Meja Bantuan IT."),
}
# With an open ticket, a known caller is offered its status first (not a closed ticket's);
# the count of open tickets is no longer said (issue 18).
ONE_OPEN = {"en-US": "Hello Alice Johnson. For a ticket's status, press 1.",
            "it-IT": "Salve, Marco Rossi. Per lo stato di un ticket, prema 1.",
            "ms-MY": "Selamat sejahtera, Siti Aminah. Untuk status tiket, tekan 1."}
# A critical situation's 60 minutes, read out with the ticket (the desk open).
ONE_HOUR = {"en-US": "An analyst will respond within 1 hour.",
            "it-IT": "Un analista risponderà entro 1 ora.",
            "ms-MY": "Penganalisis akan memberikan maklum balas dalam tempoh 1 jam."}
THANKS = {"en-US": "Thank you for calling", "it-IT": "Grazie per aver chiamato",
          "ms-MY": "Terima kasih kerana menghubungi"}
# The close fits any hour: no "good day" wished to a caller at 21:00.
CLOSE = {"en-US": "Take care. Goodbye.", "it-IT": "Buon proseguimento, arrivederci.",
         "ms-MY": "Semoga urusan anda berjalan lancar. Selamat tinggal."}


def leave_one_open_ticket(db, number: str) -> None:
    """The customer of this number has exactly one open ticket."""
    profile = intake.caller_profile(db, number)
    tickets = db.scalars(select(Ticket).where(Ticket.customer_id == profile["customer_id"])
                         .order_by(Ticket.id)).all()
    for ticket in tickets:
        ticket.status = "resolved"
    if tickets:
        tickets[0].status = "open"
    else:
        intake.open_ticket(db, fields={"problem": "Monitor berkelip", "caller_id": number},
                           priority="regular_service", customer_id=profile["customer_id"])
    db.commit()


@pytest.mark.parametrize("language", list(KNOWN))
def test_a_known_caller_hears_their_language_and_the_desks_name_in_it_from_the_first_word(
        call, db, demo, clock, language):
    number, greeting = KNOWN[language]
    leave_one_open_ticket(db, number)
    caller = call(from_=number)
    assert caller.heard[0].text == greeting
    assert caller.languages == {language}  # no word of another language, no language menu
    caller.hears(ONE_OPEN[language])
    report_problem(caller, service="5", impact="2", urgency="2")  # a critical situation
    caller.hears(ONE_HOUR[language])  # a count said through the language's plural rules
    assert caller.languages == {language}


def test_a_new_caller_is_greeted_in_the_default_language_then_offered_the_others(call):
    caller = call(from_="+12025550147")
    assert caller.heard[0].text == "Thank you for calling the IT Help Desk."
    assert {"en-US", "it-IT", "ms-MY"} <= caller.languages


# A new caller from a country of a language hears it at once; the others are offered by key.
BY_COUNTRY = {
    "it-IT": ("+393331119999", "Grazie per aver chiamato l'Help Desk IT.",
              {"en-US": "For English, press 7.", "ms-MY": "Untuk Bahasa Melayu, tekan 9."},
              "Per lo stato di un ticket, prema 1. Cosa non va"),
    "ms-MY": ("+60129998888", "Terima kasih kerana menghubungi Meja Bantuan IT.",
              {"en-US": "For English, press 7.", "it-IT": "Per l'italiano, prema 8."},
              "Untuk status tiket, tekan 1. Apakah masalahnya"),
}


@pytest.mark.parametrize("language", list(BY_COUNTRY))
def test_a_new_caller_from_a_country_of_a_language_hears_it_at_once(call, db, clock, language):
    number, greeting, others, question = BY_COUNTRY[language]
    caller = call(from_=number)
    assert caller.heard[0].text == greeting  # no language menu
    for other, offer in others.items():  # each other language offered in its own voice
        [said] = [h for h in caller.heard if h.text == offer]
        assert said.language == other
    caller.hears(question)
    assert caller.prompt.language == language and caller.prompt.num_digits == 1
    give_details(tell_problem(caller), account="*")
    report_problem(caller, service="5", impact="1", urgency="2")
    assert db.scalar(select(Ticket.language)) == language


@pytest.mark.parametrize("language", list(BY_COUNTRY))
def test_a_caller_from_that_country_may_switch_to_another_language_by_key(call, db, clock,
                                                                          language):
    number, *_ = BY_COUNTRY[language]
    caller = call(from_=number).press("7")  # English
    assert caller.languages == {"en-US"}
    caller.hears("For a ticket's status, press 1. What is wrong")
    assert "For English, press 7." not in caller.text  # chosen: no longer offered
    give_details(tell_problem(caller), account="*")
    report_problem(caller, service="5", impact="1", urgency="2")
    assert db.scalar(select(Ticket.language)) == "en-US"


def test_the_name_of_another_language_said_alone_switches_to_it(call, clock):
    caller = call(from_="+393331119999").speak("English.")
    caller.hears("For a ticket's status, press 1. What is wrong")
    assert caller.languages == {"en-US"}


def test_a_caller_from_a_country_of_no_language_chooses_from_the_menu(call):
    caller = call(from_="+33612345678")  # France: no language of the line's
    assert {"en-US", "it-IT", "ms-MY"} <= caller.languages
    caller.hears("For English, press 1.", "Per l'italiano, prema 2.")
    assert "press 7" not in caller.text


@pytest.mark.parametrize("language", list(KNOWN))
def test_a_caller_who_holds_is_thanked_for_calling_once_and_for_holding_only_after(
        call, db, demo, clock, twilio, language):
    number, greeting = KNOWN[language]
    leave_one_open_ticket(db, number)  # the same first question for each: the problem said
    add_agent(db, "Busy", tier=1, status="on_call")
    caller = to_queue(call, number=number)
    caller.press("1")  # hold
    caller.press("2").press("1")  # then a callback (on the number given in intake), soon
    said = [h.text for h in caller.transcript]
    assert caller.hung_up and said[0] == greeting
    assert said[-1] == CLOSE[language]  # one close, at the very end
    assert " ".join(said).count(THANKS[language]) == 1
    assert not any("Thank you for holding" in s or "Grazie per l'attesa" in s
                   or "kerana menunggu" in s for s in said)  # nobody was put through


@pytest.mark.parametrize("language", list(KNOWN))
def test_after_hours_the_desk_does_not_thank_the_caller_for_calling_twice(
        call, db, demo, clock, twilio, language):
    clock.current = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)  # a Sunday evening: closed
    number, greeting = KNOWN[language]
    leave_one_open_ticket(db, number)
    caller = to_queue(call, number=number)
    caller.wait()  # no callback: the call ends
    said = " ".join(h.text for h in caller.transcript)
    assert said.count(THANKS[language]) == 1 and said.endswith(CLOSE[language])
    assert not re.search(r"good day|giornata|hari anda menyenangkan", said, re.IGNORECASE)


def test_the_glossary_names_the_line_and_the_word_that_breaks_it(app, tmp_path):
    shipped = Path(call_scripts.__file__).parent / "policies" / "default.yaml"
    text = shipped.read_text(encoding="utf-8")
    bad = tmp_path / "policies" / "default.yaml"
    bad.parent.mkdir()
    bad.write_text(text.replace("un analista Le risponderà", "un tecnico Le risponderà"),
                   encoding="utf-8")
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "tecnico" in t)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ivr", "scripts", "check", str(bad)])
    assert result.exit_code == 1
    assert f"default.yaml:{line}: it-IT: 'tecnico'" in result.output
    assert "say 'analista'" in result.output
    sms = Path(call_scripts.__file__).parent / "messages" / "sms.yaml"
    shipped_files = [str(p) for p in sorted(
        (Path(call_scripts.__file__).parent / "scripts").glob("*.yaml"))] + [str(shipped),
                                                                               str(sms)]
    good = runner.invoke(args=["ivr", "scripts", "check", *shipped_files])
    assert good.exit_code == 0, good.output  # intake, hold policy, outbound, SMS: one glossary


def test_the_sms_texts_say_the_words_the_call_said(app, tmp_path):
    """A text after the call names the analyst as the call did ("analista", "penganalisis"):
    the glossary holds the SMS texts too, and a wrong word is named by its line."""
    shipped = Path(call_scripts.__file__).parent / "messages" / "sms.yaml"
    bad = tmp_path / "messages" / "sms.yaml"
    bad.parent.mkdir()
    bad.write_text(shipped.read_text(encoding="utf-8").replace(
        "sebaik sahaja penganalisis tersedia", "sebaik sahaja juruanalisis tersedia"),
        encoding="utf-8")
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "juruanalisis" in t)
    result = app.test_cli_runner().invoke(args=["ivr", "scripts", "check", str(bad)])
    assert result.exit_code == 1
    assert f"sms.yaml:{line}: ms-MY: 'juruanalisis'" in result.output
    assert "say 'penganalisis'" in result.output


@pytest.mark.parametrize(("number", "language", "words"), [
    ("+393331234567", "it-IT", "Ci scusiamo"),
    ("+60123456789", "ms-MY", "Kami memohon maaf"),
    ("+12025550147", "en-US", "We are sorry"),
    ("anonymous", "en-US", "We are sorry"),
])
def test_the_apology_when_the_line_is_down_is_in_the_language_of_the_callers_country(
        tmp_path, number, language, words):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/missing/nowhere.db",
                      "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
                      "SECRET_KEY": "test", "TESTING": True})
    client = app.test_client()
    for path in ("/voice/fallback", "/voice/incoming"):  # Twilio's fallback; a failed webhook
        root = twiml(signed_post(client, path, {**PARAMS, "From": number}))
        says = list(root.iter("Say"))
        assert says[0].text.startswith(words)
        assert {s.get("language") for s in says} == {language}


def test_a_policy_published_before_the_glossary_still_serves_calls(call, db, demo, clock):
    # Published by an earlier release, in the words the glossary now rules out: live calls
    # must still read it (the glossary holds new texts, at check and publish).
    shipped = Path(call_scripts.__file__).parent / "policies" / "default.yaml"
    old = shipped.read_text(encoding="utf-8").replace(
        "al momento nessun analista è disponibile", "al momento nessun tecnico è disponibile")
    db.add(ScriptVersion(kind="policy", name="default", version=99, text=old, author="1.0"))
    db.commit()
    caller = to_queue(call, number=MARCO)  # nobody logged in
    caller.hears("nessun tecnico è disponibile")
