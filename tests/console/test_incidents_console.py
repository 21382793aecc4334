"""Major incidents in the console: a team lead declares, edits and resolves one (each change on
the audit log); analysts see it but may not change it; bad input is answered, nothing lost."""

from __future__ import annotations

from sqlalchemy import select

from tickets.accounts import AuditLog
from tickets.models import Incident

DECLARE = {"category": "software", "service": "e-mail", "started_at": "2026-11-23T09:10",
           "expected_at": "2026-11-23T11:00", "message_en-US": "", "message_it-IT": "",
           "message_ms-MY": ""}


def as_lead(console):
    assert console.login("lead").status_code == 302
    return console


def test_a_team_lead_declares_edits_and_resolves_an_incident(console, users, db, clock):
    lead = as_lead(console)
    lead.get("/console/incidents/")
    response = lead.post("/console/incidents/", DECLARE)
    assert response.status_code == 302
    incident = db.scalars(select(Incident)).one()
    assert incident.declared_by == "lead" and incident.service == "e-mail"
    page = lead.get(response.headers["Location"]).get_data(as_text=True)
    # times are typed and read in the line's zone (the shipped policy's: UTC)
    assert "We are aware of a problem with e-mail since 09:10; we expect it fixed by 11:00." \
        in page
    assert (incident.started_at.hour, incident.expected_at.hour) == (9, 11)

    url = f"/console/incidents/{incident.id}"
    edited = {**DECLARE, "expected_at": "2026-11-23T12:30",
              "message_it-IT": "Posta elettronica ferma dalle {since}."}
    assert lead.post(f"{url}/edit", edited).status_code == 302
    page = lead.get(url).get_data(as_text=True)
    assert "we expect it fixed by 12:30" in page
    assert "Posta elettronica ferma dalle 09:10." in page

    assert lead.post(f"{url}/resolve", {"note": "Mail server restarted"}).status_code == 302
    db.refresh(incident)
    assert not incident.is_active and incident.resolution_note == "Mail server restarted"
    assert "No incident is active" in lead.get("/console/incidents/").get_data(as_text=True)
    assert [(a.user, a.action, a.target) for a in db.scalars(
        select(AuditLog).order_by(AuditLog.id))] == [
        ("lead", "incident.declare", f"incident {incident.id}"),
        ("lead", "incident.edit", f"incident {incident.id}"),
        ("lead", "incident.resolve", f"incident {incident.id}")]


def test_a_refused_declaration_says_why_and_keeps_what_was_typed(console, users, db, clock):
    lead = as_lead(console)
    lead.get("/console/incidents/")
    response = lead.post("/console/incidents/", {
        **DECLARE, "expected_at": "tomorrow-ish",
        "message_en-US": "Mail is down since {since}, all of it"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "expected at is not a date and time" in page
    assert "Mail is down since {since}, all of it" in page
    response = lead.post("/console/incidents/", {**DECLARE, "message_en-US": "Down {when}"})
    assert "not {when}" in response.get_data(as_text=True)
    assert db.scalars(select(Incident)).all() == []


def test_analysts_see_incidents_but_may_not_change_them(as_ann, db, clock):
    assert as_ann.get("/console/incidents/").status_code == 200
    assert as_ann.post("/console/incidents/", DECLARE).status_code == 403
    assert db.scalars(select(Incident)).all() == []


def test_analysts_see_the_banner_the_linked_callers_and_the_short_path_count(
        as_ann, call, db, clock):
    from datetime import timedelta

    from tickets import incidents

    assert as_ann.get("/console/live.json").json["short_path"] == 0
    assert "Major incident" not in as_ann.get("/console/").get_data(as_text=True)
    incident = incidents.declare(db, category="software", service="e-mail", actor="lead",
                                 now=clock(), expected_at=clock() + timedelta(hours=1))
    db.commit()
    for number in ("+12025550147", "+12025550148"):
        caller = call(from_=number).press("1").press("1").speak("Jane Doe")
        caller.speak("Outlook is offline")
        assert caller.hung_up
    page = as_ann.get("/console/").get_data(as_text=True)
    assert "Major incident:</strong>\n      e-mail since 10:00 UTC" in page
    assert 'id="short-path"' in page
    assert as_ann.get("/console/live.json").json["short_path"] == 2
    assert "Major incident" in as_ann.get("/console/tickets").get_data(as_text=True)
    page = as_ann.get(f"/console/incidents/{incident.id}").get_data(as_text=True)
    assert page.count("Jane Doe") == 2 and "Outlook is offline" in page
    assert "+12025550147" not in page and "*********147" in page  # numbers masked
    assert 'id="resolve-form"' not in page  # analysts read, team leads resolve
