"""Jira Service Management: a customer request in the service desk with the request type the
category maps to, comments (internal unless public), transitions for status
(fixtures/jira.json)."""

from __future__ import annotations

import base64

import pytest

from tickets import links, workflow
from tickets.models import Ticket

from .conftest import TIMEOUT, System, configure, connector_messages, shapes, timeline

JIRA = "https://helpdesk.atlassian.example.test"
CONFIG = f"""
connectors:
  - name: jira
    kind: jira
    url: {JIRA}
    email: line@example.test
    api_token_env: JIRA_API_TOKEN
    service_desk_id: "10"
    max_attempts: 4
    mapping:
      category: {{hardware: 25, "*": 21}}
      priority: {{critical_situation: Highest, "*": Medium}}
      status_out: {{in_progress: "11", resolved: "761"}}
      status_in: {{Resolved: resolved, "In Progress": in_progress}}
"""
REQUEST = rf"{JIRA}/rest/servicedeskapi/request"


@pytest.fixture
def jira(app, rsps, monkeypatch):
    configure(app, monkeypatch, CONFIG, JIRA_API_TOKEN="jt-1")
    system = System(rsps, shapes("jira"))
    system.route("POST", rf"{REQUEST}$", "request_create")
    system.route("POST", rf"{REQUEST}/[A-Z]+-\d+/comment$", "comment_create")
    system.route("POST", rf"{REQUEST}/[A-Z]+-\d+/transition$", "transition")
    return system


def test_a_customer_request_is_made_in_the_service_desk(db, ticket, jira, deliver):
    deliver()
    made = jira.made("request_create")[0]
    auth = base64.b64encode(b"line@example.test:jt-1").decode()
    assert made.headers["Authorization"] == f"Basic {auth}"
    assert made.json["serviceDeskId"] == "10" and made.json["requestTypeId"] == "25"
    fields = made.json["requestFieldValues"]
    assert fields["summary"] == f"[{ticket.number}] printer on fire"
    assert fields["priority"] == {"name": "Medium"}
    assert "Problem: printer on fire" in fields["description"]
    link = links.link_of(db, ticket.id, "jira")
    assert link.key == "HELPDESK-1"
    assert link.url == "https://your-domain.atlassian.net/servicedesk/customer/portal/10/HELPDESK-1"


def test_comments_and_transitions_follow(db, ticket, jira, deliver, clock):
    deliver()
    t = db.get(Ticket, ticket.id)
    workflow.change_status(db, t, "in_progress", actor="Ann", now=clock())
    workflow.add_note(db, t, "Ordered a new drum", actor="Ann", now=clock())
    workflow.resolve_ticket(db, t, actor="Ann", now=clock())
    db.commit()
    deliver()
    assert [a.json for a in jira.made("comment_create")] == [
        {"body": "Note by Ann: Ordered a new drum", "public": False}]
    assert all("/HELPDESK-1/" in a.url for a in jira.asked[1:])
    assert [a.json for a in jira.made("transition")] == [{"id": "11"}, {"id": "761"}]


def test_an_unmapped_status_moves_nothing_there(db, ticket, jira, deliver, clock):
    deliver()
    workflow.change_status(db, db.get(Ticket, ticket.id), "on_hold", actor="Ann", now=clock())
    db.commit()
    deliver()
    assert jira.made("transition") == []


def test_unauthenticated_and_invalid_requests_are_final(db, ticket, jira, deliver, clock):
    jira.fail("request_create", "error_401")
    deliver()
    assert timeline(db, ticket.id, "outbox_failed") == [
        "Ticket system 'jira' (ticket.opened) (try 1 of 4) failed: Jira Service Management "
        "answered HTTP 401: Client must be authenticated to access this resource.; given up"]
    jira.fail("request_create", "error_400")
    message = connector_messages(db)[0]
    from tickets import outbox

    outbox.retry(message, clock())  # an admin sends it again from the delivery log
    db.commit()
    deliver()
    assert "HTTP 400: The request type you are trying to use does not exist" in \
        connector_messages(db)[0].last_error


def test_rate_limits_and_timeouts_are_tried_again(db, ticket, jira, deliver, clock):
    jira.fail("request_create", {"status": 429, "body": {"errorMessages": ["Rate limit"]}},
              TIMEOUT)
    deliver()
    clock.advance(30)
    deliver()
    clock.advance(60)
    deliver()
    assert len(jira.made("request_create")) == 3
    assert connector_messages(db)[0].status == "delivered"
    failures = timeline(db, ticket.id, "outbox_failed")
    assert "HTTP 429: Rate limit; next try" in failures[0]
    assert "did not answer in 10 s; next try" in failures[1]
