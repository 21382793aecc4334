"""Major incidents in the domain: declared, edited and resolved (each change audited), what
callers hear of them, and callers linked to the parent ticket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tickets import TicketError, incidents
from tickets.accounts import AuditLog
from tickets.models import OutboundCall, Ticket
from tickets.statuses import OutboundKind, OutboundStatus, TicketStatus

NOW = datetime(2026, 11, 23, 9, 10, tzinfo=UTC)


def email_down(session, **kwargs):
    values = {"category": "software", "service": "e-mail", "actor": "lead",
              "now": NOW, "expected_at": NOW + timedelta(minutes=110)}
    return incidents.declare(session, **{**values, **kwargs})


def audit_actions(session):
    return [(a.user, a.action) for a in session.scalars(select(AuditLog).order_by(AuditLog.id))]


def test_declaring_opens_a_parent_ticket_and_is_audited(session):
    incident = email_down(session)
    parent = session.get(Ticket, incident.parent_ticket_id)
    assert parent.category == "software" and parent.priority == "enterprise_failure"
    assert "e-mail" in parent.problem and parent.is_open
    assert audit_actions(session) == [("lead", "incident.declare")]
    assert incidents.current(session) is incident


def test_callers_hear_it_in_their_language_with_times_in_their_zone(session):
    incident = email_down(session)
    assert incidents.announcement(incident, "en-US", "UTC") == (
        "We are aware of a problem with e-mail since 09:10; we expect it fixed by 11:00.")
    rome = incidents.announcement(incident, "it-IT", "Europe/Rome")
    assert rome == ("Siamo a conoscenza di un problema con e-mail dalle 10:10; prevediamo di "
                    "risolverlo entro le 12:00.")
    kl = incidents.announcement(incident, "ms-MY", "Asia/Kuala_Lumpur")
    assert "sejak 17:10" in kl and "menjelang 19:00" in kl


def test_without_a_service_text_the_category_is_named_and_no_eta_is_promised(session):
    incident = email_down(session, service="", category="network", expected_at=None)
    assert incidents.announcement(incident, "en-US", "UTC") == (
        "We are aware of a problem with the network since 09:10; we are working on it.")
    assert "la rete" in incidents.announcement(incident, "it-IT", "UTC")


def test_a_team_leads_own_message_is_said_in_its_language_only(session):
    incident = email_down(session, messages={
        "it-IT": "La posta elettronica non funziona dalle {since}; pronta per le {until}."})
    assert incidents.announcement(incident, "it-IT", "UTC") == (
        "La posta elettronica non funziona dalle 09:10; pronta per le 11:00.")
    assert incidents.announcement(incident, "en-US", "UTC").startswith(
        "We are aware of a problem with e-mail")


@pytest.mark.parametrize("change, error", [
    ({"category": "plumbing"}, "no category 'plumbing'"),
    ({"messages": {"fr-FR": "Panne"}}, "no language 'fr-FR'"),
    ({"messages": {"en-US": "Down since {when}"}}, r"not \{when\}"),
    ({"messages": {"en-US": "Down since {since"}}, "broken placeholder"),
    ({"expected_at": NOW - timedelta(minutes=1)}, "after the start"),
])
def test_bad_input_gets_a_clear_answer(session, change, error):
    with pytest.raises(TicketError, match=error):
        email_down(session, **change)


def test_edits_are_audited_with_what_changed_and_ending_it_twice_is_refused(session):
    incident = email_down(session)
    later = NOW + timedelta(hours=3)
    assert incidents.edit(session, incident, actor="boss", now=NOW + timedelta(minutes=30),
                          expected_at=later)
    assert not incidents.edit(session, incident, actor="boss", now=NOW, expected_at=later)
    assert "by 12:10" in incidents.announcement(incident, "en-US", "UTC")
    edit = session.scalars(select(AuditLog).where(AuditLog.action == "incident.edit")).one()
    assert edit.user == "boss" and edit.target == f"incident {incident.id}"
    assert edit.detail["changes"]["expected_at"]["to"] == later.isoformat()
    incidents.resolve(session, incident, note="Mail server restarted", actor="lead",
                      now=NOW + timedelta(hours=1))
    assert incidents.current(session) is None
    with pytest.raises(TicketError, match="resolved already"):
        incidents.resolve(session, incident, note="again", actor="lead", now=NOW)
    with pytest.raises(TicketError, match="is resolved"):
        incidents.edit(session, incident, actor="lead", now=NOW, service="mail")
    assert audit_actions(session) == [("lead", "incident.declare"), ("boss", "incident.edit"),
                                      ("lead", "incident.resolve")]


def test_resolving_needs_a_note(session):
    incident = email_down(session)
    with pytest.raises(TicketError, match="resolution note"):
        incidents.resolve(session, incident, note=" ", actor="lead", now=NOW)
    assert incident.is_active


def test_callers_are_linked_once_and_each_told_once_when_it_is_resolved(session):
    incident = email_down(session)
    ann = incidents.join(session, incident, number="+12025550147", name="Ann", detail=None,
                         language="it-IT", customer_id=None, call_id=None, now=NOW)
    again = incidents.join(session, incident, number="+12025550147", name="Ann",
                           detail="Outlook says offline", language="it-IT", customer_id=None,
                           call_id=None, now=NOW + timedelta(minutes=5))
    bob = incidents.join(session, incident, number="+12025550148", name="Bob",
                         detail="no mail since nine", language="en-US", customer_id=None,
                         call_id=None, now=NOW)
    assert again.id == ann.id
    assert ann.parent_id == incident.parent_ticket_id
    assert incidents.incident_of(session, ann) is incident
    assert "no mail since nine" in bob.problem
    assert incidents.linked_count(session, incident) == 2

    notices = incidents.resolve(session, incident, note="Mail server restarted", actor="lead",
                                now=NOW + timedelta(hours=1))
    assert {(n.to_number, n.language) for n in notices.calls} == {
        ("+12025550147", "it-IT"), ("+12025550148", "en-US")}
    for child in (ann, bob):
        assert child.status == TicketStatus.RESOLVED
        resolved = [e for e in child.events if e.kind == "resolved"]
        assert resolved[0].text == "Mail server restarted" and resolved[0].public
        calls = {c.kind: c for c in session.scalars(
            select(OutboundCall).where(OutboundCall.ticket_id == child.id))}
        assert calls.keys() == {OutboundKind.INCIDENT_NOTICE}
        notice = calls[OutboundKind.INCIDENT_NOTICE]
        assert notice.status == OutboundStatus.PENDING
        # the closure survey follows once the notice call is over, as for any resolved ticket
        told = NOW + timedelta(hours=1, minutes=3)
        survey = incidents.notice_settled(session, notice, told)
        assert survey.kind == OutboundKind.CLOSURE
        assert survey.due_at == told + incidents.CLOSURE_AFTER_NOTICE
        assert incidents.notice_settled(session, notice, told) is None  # once
    parent = session.get(Ticket, incident.parent_ticket_id)
    assert parent.status == TicketStatus.RESOLVED
    assert not session.scalars(select(OutboundCall).where(
        OutboundCall.ticket_id == parent.id)).all()  # nobody called about the parent itself
    assert incidents._book_notice(session, ann, NOW) is None  # never a second notice
    with pytest.raises(TicketError, match="is resolved"):
        incidents.join(session, incident, number="+12025550149", name=None, detail=None,
                       language="en-US", customer_id=None, call_id=None, now=NOW)
