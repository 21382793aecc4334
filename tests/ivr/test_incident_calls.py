"""A major incident as callers meet it, in each language: announced right after the language
choice; press 1 takes the short path (who they are, a detail, linked to the parent ticket, told
they will hear when it is fixed, no queue); press 2 goes on to the normal intake."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tickets import incidents
from tickets.models import Customer, IncidentCaller, QueueEntry, Ticket

from ..conftest import MONDAY_10

LONDON = "+442079460958"  # a caller not on file, in London: UTC in November
INTAKE = "For a ticket's status, press 1. What is wrong"  # its first question
LANGUAGES = {
    # key on the language menu, the announcement (times in the caller's zone), the promise
    # at the end of the short path, the normal intake's first question
    "en-US": ("1", "We are aware of a problem with e-mail since 09:10; we expect it fixed by "
                   "11:00. If you are calling about this, press 1; for anything else, press 2.",
              "We will call or text you when it is fixed",
              "For a ticket's status, press 1. What is wrong"),
    "it-IT": ("2", "Siamo a conoscenza di un problema con e-mail dalle 09:10; prevediamo di "
                   "risolverlo entro le 11:00. Se chiama per questo motivo, prema 1; per "
                   "qualsiasi altra esigenza, prema 2.",
              "La chiameremo o Le invieremo un messaggio quando sarà risolto",
              "Per lo stato di un ticket, prema 1. Cosa non va"),
    "ms-MY": ("3", "Kami sedia maklum tentang masalah dengan e-mail sejak 09:10; kami jangka ia "
                   "akan pulih menjelang 11:00. Jika anda menghubungi kami tentang perkara ini, "
                   "tekan 1; untuk perkara lain, tekan 2.",
              "Kami akan menghubungi anda atau menghantar mesej apabila masalah ini selesai",
              "Untuk status tiket, tekan 1. Apakah masalahnya"),
}


@pytest.fixture
def email_down(db, clock):
    incident = incidents.declare(db, category="software", service="e-mail", actor="lead",
                                 now=MONDAY_10, started_at=MONDAY_10 - timedelta(minutes=50),
                                 expected_at=MONDAY_10 + timedelta(hours=1))
    db.commit()
    return incident


def linked(db, incident):
    return db.scalars(select(Ticket).join(IncidentCaller, IncidentCaller.ticket_id == Ticket.id)
                      .where(IncidentCaller.incident_id == incident.id)
                      .execution_options(populate_existing=True)).all()


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_press_1_links_the_caller_to_the_incident_without_a_queue(call, db, email_down,
                                                                  language):
    key, announcement, promise, _ = LANGUAGES[language]
    caller = call(from_=LONDON).press(key)
    caller.hears(announcement)
    assert caller.languages == {language}
    assert caller.prompt.num_digits == 1  # a single key: no waiting out the timeout

    caller.press("1").speak("Jane Doe")  # their name, heard clearly: not read back
    caller.speak("Outlook says it is disconnected", confidence=0.8)
    caller.hears(promise)
    assert caller.hung_up and caller.languages == {language}

    [ticket] = linked(db, email_down)
    assert ticket.parent_id == email_down.parent_ticket_id
    assert ticket.caller_name == "Jane Doe" and ticket.language == language
    assert ticket.callback_number == LONDON
    assert "Outlook says it is disconnected" in ticket.problem
    assert ticket.number.replace("", " ").strip() in caller.text  # its number, digit by digit
    assert db.scalars(select(QueueEntry)).all() == []  # nobody queued


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_press_2_goes_on_to_the_normal_intake(call, db, email_down, language):
    key, announcement, _, intake_question = LANGUAGES[language]
    caller = call(from_=LONDON).press(key)
    caller.hears(announcement)
    caller.press("2").hears(intake_question)
    assert caller.languages == {language}
    assert linked(db, email_down) == []


def test_a_known_caller_hears_times_in_their_zone_and_is_not_asked_their_name(
        call, db, demo, email_down):
    marco = db.scalar(select(Customer).where(Customer.name == "Marco Rossi"))
    marco.timezone = "Europe/Rome"
    db.commit()
    caller = call(from_="+393331234567")  # Italian on file: no language menu
    caller.hears("dalle 10:10; prevediamo di risolverlo entro le 12:00")
    caller.press("1")
    caller.hears("Se desidera aggiungere un dettaglio").press("*")  # no detail
    caller.hears("La chiameremo o Le invieremo un messaggio")
    [ticket] = linked(db, email_down)
    assert ticket.customer_id == marco.id and ticket.caller_name == "Marco Rossi"


def test_calling_again_keeps_one_link_and_adds_the_new_detail(call, db, email_down):
    for detail in ("No e-mail since nine", "Now the calendar is down too"):
        caller = call(from_=LONDON).press("1").press("1")
        caller.speak("Jane Doe").speak(detail)
        assert caller.hung_up
    [ticket] = linked(db, email_down)
    assert "No e-mail since nine" in ticket.problem
    assert any("Now the calendar is down too" in e.text for e in ticket.events)


def test_a_withheld_number_is_asked_for_a_number_to_call(call, db, email_down):
    caller = call(from_=None).press("1").press("1").speak("Jane Doe")
    caller.hears("Please key in the number we should call you on when it is fixed")
    caller.press("2025550188").press("1")  # read back, confirmed
    caller.press("*")
    caller.hears("We will call or text you when it is fixed")
    [ticket] = linked(db, email_down)
    assert ticket.callback_number == "+12025550188"


def test_a_caller_id_the_line_will_not_call_is_not_promised_a_call(call, db, email_down):
    """555-01xx numbers are fictional (not valid): the line does not say it will call them."""
    caller = call(from_="+15550100123").press("1").press("1")
    caller.speak("Jane Doe").speak("No e-mail since nine")
    caller.hears("We have no number to call you on")
    assert "We will call or text you" not in caller.text and caller.hung_up
    [ticket] = linked(db, email_down)
    assert ticket.callback_number == "+15550100123"  # who called, kept for the analyst


def test_silence_at_the_announcement_goes_on_to_the_intake(call, db, email_down):
    caller = call(from_=LONDON).press("1")
    caller.wait().wait().wait()
    caller.hears(INTAKE)
    assert linked(db, email_down) == []


def test_without_an_incident_the_intake_is_as_before(call, db, clock):
    caller = call(from_=LONDON).press("1")
    caller.hears(INTAKE)
    assert "aware of a problem" not in caller.text


# Three incidents at once, each announced under its own key, the latest declared first.
SEVERAL = {
    "en-US": ("1", ["We are aware of a problem with the printers since 09:40; we are working on "
                    "it. If you are calling about this, press 1.",
                    "We are aware of a problem with VPN since 09:35; we are working on it. If "
                    "you are calling about this, press 2.",
                    "We are aware of a problem with e-mail since 09:10; we expect it fixed by "
                    "11:00. If you are calling about this, press 3.",
                    "For anything else, press 4."]),
    "it-IT": ("2", ["Siamo a conoscenza di un problema con the printers dalle 09:40; ci stiamo "
                    "lavorando. Se chiama per questo motivo, prema 1.",
                    "Siamo a conoscenza di un problema con VPN dalle 09:35; ci stiamo "
                    "lavorando. Se chiama per questo motivo, prema 2.",
                    "Siamo a conoscenza di un problema con e-mail dalle 09:10; prevediamo di "
                    "risolverlo entro le 11:00. Se chiama per questo motivo, prema 3.",
                    "Per qualsiasi altra esigenza, prema 4."]),
    "ms-MY": ("3", ["Kami sedia maklum tentang masalah dengan the printers sejak 09:40; kami "
                    "sedang menanganinya. Jika anda menghubungi kami tentang perkara ini, "
                    "tekan 1.",
                    "Kami sedia maklum tentang masalah dengan VPN sejak 09:35; kami sedang "
                    "menanganinya. Jika anda menghubungi kami tentang perkara ini, tekan 2.",
                    "Kami sedia maklum tentang masalah dengan e-mail sejak 09:10; kami jangka ia "
                    "akan pulih menjelang 11:00. Jika anda menghubungi kami tentang perkara "
                    "ini, tekan 3.",
                    "Untuk perkara lain, tekan 4."]),
}


@pytest.fixture
def three_more(db, email_down):
    """Besides the e-mail: the VPN, then the printers (the latest), and an older one about
    the phones, declared first of all: four active, the three latest announced."""
    phones = incidents.declare(db, category="hardware", service="the phones", actor="lead",
                               now=MONDAY_10 - timedelta(hours=1))
    made = {"phones": phones, "e-mail": email_down}
    for minutes, category, service in ((5, "network", "VPN"), (10, "hardware", "the printers")):
        made[service] = incidents.declare(db, category=category, service=service, actor="lead",
                                          now=MONDAY_10 + timedelta(minutes=minutes),
                                          started_at=MONDAY_10 - timedelta(minutes=30 - minutes))
    db.commit()
    return made


@pytest.mark.parametrize("language", list(SEVERAL))
def test_each_active_incident_is_announced_with_its_own_key(call, db, three_more, language):
    key, heard = SEVERAL[language]
    caller = call(from_=LONDON).press(key)
    caller.hears(" ".join(heard))
    assert "the phones" not in caller.text  # a fourth is not announced
    assert caller.languages == {language} and caller.prompt.num_digits == 1

    caller.press("2").speak("Jane Doe").press("1").press("*")  # about the VPN
    assert caller.hung_up
    [ticket] = linked(db, three_more["VPN"])
    assert ticket.caller_name == "Jane Doe" and ticket.language == language
    assert all(linked(db, three_more[other]) == [] for other in ("e-mail", "the printers"))


def test_two_incidents_have_two_keys_and_the_third_goes_on_to_the_intake(call, db, email_down):
    vpn = incidents.declare(db, category="network", service="VPN", actor="lead", now=MONDAY_10)
    db.commit()
    caller = call(from_=LONDON).press("1")
    caller.hears("We are aware of a problem with VPN since 10:00; we are working on it. If you "
                 "are calling about this, press 1. We are aware of a problem with e-mail since "
                 "09:10; we expect it fixed by 11:00. If you are calling about this, press 2. "
                 "For anything else, press 3.")
    caller.press("3").hears(INTAKE)
    assert linked(db, vpn) == [] and linked(db, email_down) == []
    caller = call(from_=LONDON).press("1").press("2")  # the e-mail, though declared first
    caller.speak("Jane Doe").press("1").press("*")
    assert [t.caller_name for t in linked(db, email_down)] == ["Jane Doe"]
    assert linked(db, vpn) == []
