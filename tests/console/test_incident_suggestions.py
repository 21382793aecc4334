"""Suggest, never impose: N calls in M minutes in one category (the policy's numbers) show a
"possible incident" with those tickets on the team lead's console, to declare or dismiss. The
test clock moves; nothing is declared by itself."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tickets import intake
from tickets.accounts import AuditLog
from tickets.models import Incident

from .test_incidents_console import DECLARE, as_lead


def open_ticket(db, clock, category, problem):
    ticket, _pin = intake.open_ticket(db, fields={"category": category, "problem": problem},
                                      priority="regular_service", now=clock())
    db.commit()
    return ticket


def five_calls(db, clock, category="network", minutes_apart=3, count=5):
    """The policy's default: 5 calls in 15 minutes."""
    tickets = []
    for n in range(count):
        if n:
            clock.advance(minutes_apart * 60)
        tickets.append(open_ticket(db, clock, category, f"VPN drops, caller {n}"))
    return tickets


def test_five_calls_in_fifteen_minutes_suggest_an_incident_to_the_team_lead(
        console, users, db, clock):
    lead = as_lead(console)
    tickets = five_calls(db, clock, count=4)
    assert "Possible incident" not in lead.get("/console/").get_data(as_text=True)  # 4 of 5
    open_ticket(db, clock, "hardware", "printer jam")  # another category does not count
    assert "Possible incident" not in lead.get("/console/").get_data(as_text=True)
    tickets.append(open_ticket(db, clock, "network", "no VPN"))
    page = lead.get("/console/").get_data(as_text=True)
    assert "Possible incident: 5 calls about network in the last 15 minutes" in page
    assert all(t.number in page for t in tickets)
    assert "/console/incidents/?category=network" in page
    # a suggestion only: nothing is declared, and analysts are not shown it
    assert db.scalars(select(Incident)).all() == []


def test_calls_spread_beyond_the_window_suggest_nothing(console, users, db, clock):
    lead = as_lead(console)
    five_calls(db, clock, minutes_apart=4)  # 16 minutes from the first to the last
    open_ticket(db, clock, "hardware", "printer jam")
    assert "Possible incident" not in lead.get("/console/").get_data(as_text=True)


def test_the_policy_sets_n_and_m(console, users, db, clock):
    from tickets import versions

    text = versions.current(db, "default", "policy").text
    text = text.replace("suggest_after_calls: 5", "suggest_after_calls: 3")
    versions.publish(db, "default", text, "admin", "policy")
    db.commit()
    lead = as_lead(console)
    for n in range(3):
        open_ticket(db, clock, "access", f"locked out {n}")
    assert "Possible incident: 3 calls about accounts and access" in \
        lead.get("/console/").get_data(as_text=True)


def test_declaring_from_the_suggestion_ends_it(console, users, db, clock):
    lead = as_lead(console)
    five_calls(db, clock)
    page = lead.get("/console/incidents/?category=network").get_data(as_text=True)
    assert '<option value="network" selected>' in page  # the declare form, filled in
    lead.post("/console/incidents/", {**DECLARE, "category": "network", "service": "VPN"})
    assert "Possible incident" not in lead.get("/console/").get_data(as_text=True)


def test_dismissing_hides_those_tickets_until_new_calls_make_another(console, users, db, clock):
    lead = as_lead(console)
    five_calls(db, clock)
    page = lead.get("/console/").get_data(as_text=True)
    assert "Possible incident" in page
    response = lead.post("/console/incidents/suggestions/dismiss",
                         {"category": "network", "last_ticket_id": _last_id(page),
                          "back": "dashboard"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/")
    assert "Possible incident" not in lead.get("/console/").get_data(as_text=True)
    dismissal = db.scalars(select(AuditLog)).one()
    assert (dismissal.user, dismissal.action) == ("lead", "incident.dismiss_suggestion")
    five_calls(db, clock, minutes_apart=2)  # five new calls: a new suggestion
    assert "Possible incident: 5 calls about network" in \
        lead.get("/console/").get_data(as_text=True)


def test_analysts_see_no_suggestion_and_may_not_dismiss(as_ann, db, clock):
    five_calls(db, clock)
    assert "Possible incident" not in as_ann.get("/console/").get_data(as_text=True)
    assert as_ann.post("/console/incidents/suggestions/dismiss",
                       {"category": "network", "last_ticket_id": "1"}).status_code == 403


def _last_id(page: str) -> str:
    marker = 'name="last_ticket_id" value="'
    start = page.index(marker) + len(marker)
    return page[start:page.index('"', start)]


def test_the_window_is_measured_on_the_clock(console, users, db, clock):
    lead = as_lead(console)
    five_calls(db, clock, minutes_apart=2)
    assert "Possible incident" in lead.get("/console/").get_data(as_text=True)
    clock.advance(timedelta(minutes=15).total_seconds())
    assert "Possible incident" not in lead.get("/console/").get_data(as_text=True)
