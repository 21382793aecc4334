"""Help-desk services against a real database, without Flask."""

from __future__ import annotations

import traceback
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from tickets import intake, phones, timeline, versions
from tickets.db import Base
from tickets.demo import load_demo
from tickets.models import (
    TICKET_NUMBER_BASE,
    Call,
    Customer,
    CustomerPhone,
    Ticket,
    TicketEvent,
)

SLA = {"tier": 2, "response_minutes": 15, "resolution_minutes": 240, "update_minutes": 60}


def test_phone_numbers_are_stored_and_logged_safely():
    assert phones.to_e164("(202) 555-0147") == "+12025550147"
    assert phones.to_e164("+39 333 123 4567") == "+393331234567"
    assert phones.to_e164("anonymous") is None and phones.to_e164("") is None
    assert phones.region_of("+60123456789") == "MY"
    assert phones.mask_phone("+12025550147") == "*********147"


def test_caller_profile_counts_only_open_tickets(session):
    load_demo(session)
    session.flush()
    alice = intake.caller_profile(session, "+15551230001")
    assert alice["found"] and alice["name"] == "Alice Johnson" and alice["open_count"] == 2
    ticket = session.scalar(select(Ticket).where(Ticket.customer_id == alice["customer_id"]))
    ticket.status = "resolved"
    assert intake.caller_profile(session, "+15551230001")["open_count"] == 1
    assert intake.caller_profile(session, "+12025550147") == {
        "found": False, "callback": "+12025550147", "callback_elsewhere": False}


def test_the_callback_is_the_caller_id_else_a_number_on_file_the_line_may_call(session):
    load_demo(session)
    session.flush()
    refused = {"+15551230001": "not a valid phone number", "+15551230099": "not valid"}.get
    alice = intake.caller_profile(session, "+15551230001", refusal=refused)
    assert (alice["callback"], alice["callback_elsewhere"]) == ("+442079460101", True)
    london = intake.caller_profile(session, "+442079460101", refusal=refused)
    assert (london["callback"], london["callback_elsewhere"]) == ("+442079460101", False)
    lapsed = intake.caller_profile(session, "+15551230099", refusal=refused)  # none callable
    assert lapsed["found"] and "callback" not in lapsed
    stranger = intake.caller_profile(session, "+15551230001x", refusal=lambda n: "no")
    assert stranger == {"found": False}


def test_account_check_knows_supported_unsupported_and_unknown(session):
    load_demo(session)
    assert intake.check_account(session, "40001")["verified"] is True
    lapsed = intake.check_account(session, "49999")
    assert lapsed["known"] is True and lapsed["verified"] is False
    assert intake.check_account(session, "12345") == {"verified": False, "known": False}


def test_open_ticket_sets_sla_number_and_a_pin_that_verifies(session):
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    ticket, pin = intake.open_ticket(
        session, fields={"name": "Jane Doe", "category": "network", "problem": "No Wi-Fi",
                         "problem_confidence": 0.8, "caller_id": "+12025550147"},
        priority="enterprise_failure", sla=SLA, now=now)
    session.commit()
    assert ticket.number == str(TICKET_NUMBER_BASE + ticket.id)
    assert ticket.response_due == now + timedelta(minutes=15)
    assert ticket.resolution_due == now + timedelta(hours=4)
    assert ticket.tier == 2 and ticket.callback_number == "+12025550147"
    assert len(pin) == 4 and pin not in (ticket.pin_hash or "")
    assert intake.verify_pin(session, ticket.number, pin)["allowed"] is True
    assert intake.verify_pin(session, ticket.number, "9999" if pin != "9999" else "0000")[
        "allowed"] is False
    unknown = intake.verify_pin(session, "1", pin)
    wrong = intake.verify_pin(session, ticket.number, "9999" if pin != "9999" else "0000")
    assert unknown == wrong == {"allowed": False, "pin_locked": False}  # alike


def test_a_ticket_opened_is_the_sessions_as_its_row_holds_it_and_its_changes_are_saved(session):
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    ticket, _pin = intake.open_ticket(
        session, fields={"name": "Jane Doe", "problem": "No Wi-Fi", "impact": "me"},
        priority="regular_service", sla=SLA, now=now, language="en-US")
    state = inspect(ticket)
    assert state.persistent and not state.expired_attributes and not session.is_modified(ticket)
    held = {column.key: getattr(ticket, column.key) for column in Ticket.__table__.columns}
    row = session.connection().execute(select(Ticket.__table__).where(
        Ticket.id == ticket.id)).one()._asdict()
    assert held == row and row["number"] == str(TICKET_NUMBER_BASE + ticket.id)
    assert (row["status"], row["reopened_count"], row["status_calls_stopped"]) == (
        "open", 0, False)
    ticket.status_calls_stopped = True  # a later change, as linking a caller to an incident
    session.commit()
    session.expire_all()
    assert session.get(Ticket, ticket.id).status_calls_stopped is True


def test_status_is_told_only_to_the_number_on_file(session):
    load_demo(session)
    ticket = session.scalar(select(Ticket).where(Ticket.status == "in_progress"))
    told = intake.ticket_status(session, ticket.number, "+15551230001")
    assert told["allowed"] and told["status"] == "in_progress"
    assert told["note"] == "Replacement roller ordered; arriving Thursday."
    refused = intake.ticket_status(session, ticket.number, "+12025550147")
    assert refused == intake.ticket_status(session, "99999", "+12025550147") == {
        "allowed": False, "pin_locked": False}  # an unknown ticket looks the same


def test_a_calls_answers_move_onto_the_ticket_of_their_problem(session):
    call = Call(sid="CA" + "a" * 32)
    session.add(call)
    session.flush()
    timeline.record_event(session, "answer", "name: Jane", call_id=call.id)
    first, _ = intake.open_ticket(session, fields={"problem": "one"}, priority="p",
                                    call_id=call.id)
    timeline.record_event(session, "answer", "problem: two", call_id=call.id)
    second, _ = intake.open_ticket(session, fields={"problem": "two"}, priority="p",
                                     call_id=call.id)
    session.commit()
    texts = {t.number: [e.text for e in session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.id))]
        for t in (first, second)}
    assert texts[first.number][0] == "name: Jane"
    assert "problem: two" not in texts[first.number]
    assert texts[second.number][0] == "problem: two"
    assert any(first.number in t for t in texts[second.number])


def test_demo_data_loads_once(session):
    assert load_demo(session) == 4
    assert load_demo(session) == 0
    assert len(session.scalars(select(Customer)).all()) == 4


def test_script_versions_are_added_never_changed(session):
    first = versions.current(session, "intake")
    assert first.version == 1 and first.author == "shipped"
    assert versions.sync_shipped(session) == []
    second = versions.publish(session, "intake", first.text + "\n# edited\n", author="admin")
    assert second.version == 2 and versions.current(session, "intake").id == second.id
    assert versions.script_of(first).name == "intake"


def test_migrations_match_the_models(session):
    diff = compare_metadata(MigrationContext.configure(session.connection()), Base.metadata)
    assert diff == []


def test_a_database_error_quotes_no_values_from_the_row(session):
    """What a failed write says (and so what is logged) names the table and constraint, never
    the number, name or PIN hash being written (SQLite and PostgreSQL alike)."""
    load_demo(session)
    session.commit()
    alice = session.scalar(select(Customer).where(Customer.account_number == "40001"))
    session.add(CustomerPhone(customer_id=alice.id, number="+15551230001"))  # taken already
    with pytest.raises(IntegrityError) as failed:
        session.flush()
    session.rollback()
    told = "".join(traceback.format_exception(failed.value))
    assert "customer_phone" in told and "5551230001" not in told
    assert failed.value.orig is not None  # the driver's error is still there for code to read
