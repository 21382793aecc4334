"""Status PINs: kept as a keyed HMAC, argon2 PINs of before still verify (then rekeyed), and the
limits on wrong PINs hold whatever the hash."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher

from tickets import intake, pins
from tickets.models import Call, Ticket

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def new_ticket(session) -> tuple[Ticket, str]:
    ticket, pin = intake.open_ticket(session, fields={"problem": "No Wi-Fi"},
                                     priority="regular_service", now=NOW)
    session.commit()
    return ticket, pin


def other(pin: str) -> str:
    return "0000" if pin != "0000" else "1111"


def test_a_new_tickets_pin_verifies_and_a_wrong_one_does_not(session):
    ticket, pin = new_ticket(session)
    assert ticket.pin_hash.startswith("hmac-sha256$")
    assert pin not in ticket.pin_hash.split("$")  # (its digits may occur inside the hex digest)
    assert intake.verify_pin(session, ticket.number, pin, now=NOW)["allowed"] is True
    assert intake.verify_pin(session, ticket.number, other(pin), now=NOW)["allowed"] is False


def test_two_tickets_with_the_same_pin_keep_different_hashes():
    assert pins.hash_pin("1234") != pins.hash_pin("1234")
    assert pins.pin_matches(pins.hash_pin("1234"), "1234")
    with pytest.raises(ValueError):
        pins.hash_pin("12a4")


def test_an_argon2_pin_of_before_verifies_and_is_then_rekeyed(session):
    ticket, _ = new_ticket(session)
    ticket.pin_hash = PasswordHasher(time_cost=2, memory_cost=19456).hash("4321")
    session.commit()
    assert intake.verify_pin(session, ticket.number, "1234", now=NOW)["allowed"] is False
    assert ticket.pin_hash.startswith("$argon2")  # a wrong PIN changes nothing
    assert intake.verify_pin(session, ticket.number, "4321", now=NOW)["allowed"] is True
    session.commit()
    session.expire_all()
    stored = session.get(Ticket, ticket.id).pin_hash
    assert stored.startswith("hmac-sha256$") and "4321" not in stored.split("$")
    assert intake.verify_pin(session, ticket.number, "4321", now=NOW)["allowed"] is True


def test_the_key_comes_from_the_secret(session):
    saved = pins._key
    try:
        pins.use_secret("the secret key of this line")
        ticket, pin = new_ticket(session)
        pins.use_secret("another secret key of a reinstalled line")
        assert intake.verify_pin(session, ticket.number, pin, now=NOW)["allowed"] is False
        pins.use_secret("the secret key of this line")
        assert intake.verify_pin(session, ticket.number, pin, now=NOW)["allowed"] is True
    finally:
        pins._key = saved


def test_after_three_wrong_pins_in_a_call_even_the_right_one_is_refused(session):
    ticket, pin = new_ticket(session)
    call = Call(sid="CA" + "b" * 32)
    session.add(call)
    session.flush()
    for _ in range(intake.PIN_TRIES_PER_CALL):
        assert intake.verify_pin(session, ticket.number, other(pin), call.id, NOW)[
            "allowed"] is False
    told = intake.verify_pin(session, ticket.number, pin, call.id, NOW)
    assert told == {"allowed": False, "pin_locked": True}
