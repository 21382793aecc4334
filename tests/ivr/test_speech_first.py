"""Speech first (issue 18), from a caller's side: a caller who has just answered by voice is
asked who is affected without the list of keys, may say "open a ticket" at a self-service
offer, and names other equipment at the pick of their own; the keys come back whenever an
answer is not understood, and every SOP field still reaches the ticket."""

from __future__ import annotations

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


def test_an_italian_caller_says_open_a_ticket_and_names_the_other_equipment(call, db, demo,
                                                                            clock):
    caller = call(from_=MARCO).speak("La VPN cade ogni dieci minuti, ero in videochiamata")
    caller.hears("Sembra un problema di rete.",
                 "Per riconnettere da solo la VPN, prema 1; per aprire un ticket, 2.")
    assert "speech" in caller.prompt.input
    caller.speak("aprire un ticket")
    caller.hears("Il Suo Lenovo ThinkPad T14, prema 1.", "Un'altra apparecchiatura? La nomini.")
    caller.speak("il router di casa")
    caller.hears("Il sistema operativo o la configurazione?")  # the model is not asked
    assert "Il modello" not in caller.text
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


def test_equipment_on_file_named_by_voice_is_picked(call, db, demo, clock):
    caller = call(from_=MARCO).speak("La VPN cade ogni dieci minuti, ero in videochiamata")
    caller.speak("aprire un ticket").speak("il ThinkPad")
    # its configuration is on file: who is affected next
    assert caller.text == "Chi è interessato, e riesce a lavorare?"
    caller.speak("solo io, per niente")
    ticket = ticket_of(db, caller)
    assert ticket.configuration == "Windows 11 Pro"
    assert "A-2001" in ticket.equipment  # the asset on file


def test_a_malay_caller_says_open_a_ticket_at_the_password_offer(call, db, demo, clock):
    caller = call(from_=SITI).speak("Saya tidak boleh log masuk ke emel")
    caller.hears("Untuk menetapkan semula kata laluan sendiri, tekan 1; untuk membuka tiket, 2.")
    caller.speak("buka tiket")
    assert caller.text == "Siapakah yang terjejas, dan bolehkah anda bekerja?"
    caller.speak("saya sahaja, dengan kesukaran")
    ticket = ticket_of(db, caller)
    assert ticket.category == "access"
    assert (ticket.answers["impact"], ticket.answers["urgency"]) == ("me", "impaired")
