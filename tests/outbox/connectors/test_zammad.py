"""Zammad: a ticket opened on the line is made there (group, priority, customer by phone, the
intake and transcript as its first article), followed by internal notes and its state, with
Zammad's documented answers and errors (fixtures/zammad.json)."""

from __future__ import annotations

import pytest

from tickets import links, workflow
from tickets.models import Ticket

from .conftest import TIMEOUT, System, configure, connector_messages, shapes, timeline

ZAMMAD = "https://zammad.example.test"
CONFIG = f"""
connectors:
  - name: zammad
    kind: zammad
    url: {ZAMMAD}
    token_env: ZAMMAD_TOKEN
    customer_email: helpdesk-line@example.test
    max_attempts: 3
    mapping:
      category: {{hardware: Hardware, "*": Users}}
      priority: {{critical_situation: "3 high", "*": "2 normal"}}
      status_out: {{in_progress: open, on_hold: pending reminder, resolved: closed}}
      status_in: {{closed: resolved, open: in_progress}}
"""


@pytest.fixture
def zammad(app, rsps, monkeypatch):
    configure(app, monkeypatch, CONFIG, ZAMMAD_TOKEN="zt-123")
    system = System(rsps, shapes("zammad"))
    system.route("POST", rf"{ZAMMAD}/api/v1/users/search$", "users_search")
    system.route("POST", rf"{ZAMMAD}/api/v1/users$", "user_create")
    system.route("POST", rf"{ZAMMAD}/api/v1/tickets$", "ticket_create")
    system.route("POST", rf"{ZAMMAD}/api/v1/ticket_articles$", "article_create")
    system.route("PUT", rf"{ZAMMAD}/api/v1/tickets/\d+$", "ticket_update")
    return system


def test_a_ticket_opened_is_made_in_zammad_with_the_intake_and_its_link_kept(
        db, ticket, zammad, deliver):
    deliver()
    assert zammad.names() == ["users_search", "ticket_create"]
    search = zammad.made("users_search")[0]
    assert search.json == {"query": 'phone:"+12025550147"', "limit": 1}  # by callback number
    assert "2025550147" not in search.url  # never in a URL
    made = zammad.made("ticket_create")[0]
    assert made.headers["Authorization"] == "Token token=zt-123"
    assert made.json["title"] == f"[{ticket.number}] printer on fire"
    assert made.json["group"] == "Hardware" and made.json["priority"] == "2 normal"
    assert made.json["customer_id"] == 7
    article = made.json["article"]
    assert article["type"] == "phone" and article["internal"] is False
    assert "Problem: printer on fire" in article["body"]
    assert "Callback number: +12025550147" in article["body"]
    assert "Transcript:" in article["body"]
    link = links.link_of(db, ticket.id, "zammad")
    assert (link.key, link.url) == ("42", f"{ZAMMAD}/#ticket/zoom/42")
    assert timeline(db, ticket.id, "connector") == ["Filed in Zammad (zammad) as 42"]


def test_a_caller_zammad_does_not_know_is_made_its_customer(db, ticket, zammad, deliver):
    zammad.fail("users_search", {"status": 200, "body": []})
    deliver()
    assert zammad.names() == ["users_search", "user_create", "ticket_create"]
    assert zammad.made("user_create")[0].json["phone"] == "+12025550147"
    assert zammad.made("ticket_create")[0].json["customer_id"] == 8


def test_a_note_and_status_changes_follow_the_ticket_there(db, ticket, zammad, deliver,
                                                           clock):
    deliver()
    t = db.get(Ticket, ticket.id)
    workflow.add_note(db, t, "Toner ordered", actor="Ann Analyst", now=clock())
    workflow.change_status(db, t, "on_hold", actor="Ann Analyst", now=clock())
    workflow.resolve_ticket(db, t, actor="Ann Analyst", now=clock())
    db.commit()
    deliver()
    note = zammad.made("article_create")[0].json
    assert note == {"ticket_id": 42, "subject": "Help-desk line", "body":
                    "Note by Ann Analyst: Toner ordered", "type": "note",
                    "content_type": "text/plain", "internal": True}
    states = [a.json["state"] for a in zammad.made("ticket_update")]
    assert states == ["pending reminder", "closed"]
    assert all(a.url == f"{ZAMMAD}/api/v1/tickets/42" for a in zammad.made("ticket_update"))


def test_a_note_waits_for_its_ticket_to_be_made_there(db, ticket, zammad, deliver, clock):
    workflow.add_note(db, db.get(Ticket, ticket.id), "Seen", actor="Ann", now=clock())
    db.commit()
    zammad.fail("ticket_create", TIMEOUT)
    deliver()
    assert zammad.made("article_create") == []  # its ticket is not there yet
    note = connector_messages(db)[1]
    assert note.status == "pending" and note.attempts == 0  # waiting costs it no try
    clock.advance(60)
    deliver()
    assert links.link_of(db, ticket.id, "zammad").key == "42"
    clock.advance(60)
    deliver()
    assert zammad.made("article_create")[0].json["body"] == "Note by Ann: Seen"


def test_a_refused_token_is_final_and_its_notes_say_why(db, ticket, zammad, deliver, clock):
    zammad.fail("ticket_create", "error_401")
    deliver()
    create = connector_messages(db)[0]
    assert create.status == "failed" and create.response_code == 401
    assert timeline(db, ticket.id, "outbox_failed") == [
        "Ticket system 'zammad' (ticket.opened) (try 1 of 3) failed: Zammad answered HTTP "
        "401: Authentication required; given up"]
    workflow.add_note(db, db.get(Ticket, ticket.id), "Seen", actor="Ann", now=clock())
    db.commit()
    deliver()
    assert zammad.made("article_create") == []
    assert "the ticket was never made in Zammad" in timeline(db, ticket.id,
                                                             "outbox_failed")[-1]


def test_an_invalid_ticket_is_final_with_zammads_reason(db, ticket, zammad, deliver):
    zammad.fail("ticket_create", "error_422")
    deliver()
    assert connector_messages(db)[0].status == "failed"
    assert "HTTP 422: No lookup value found for 'group'" in timeline(
        db, ticket.id, "outbox_failed")[0]


def test_a_down_or_slow_zammad_is_tried_again_until_it_answers(db, ticket, zammad, deliver,
                                                               clock):
    zammad.fail("ticket_create", TIMEOUT, {"status": 503, "body": {"error": "maintenance"}})
    deliver()
    assert "Zammad did not answer in 10 s; next try at 10:00:30 UTC" in timeline(
        db, ticket.id, "outbox_failed")[0]
    clock.advance(30)
    deliver()
    assert "Zammad answered HTTP 503: maintenance; next try at" in timeline(
        db, ticket.id, "outbox_failed")[1]
    clock.advance(60)
    deliver()
    assert len(zammad.made("ticket_create")) == 3
    assert connector_messages(db)[0].status == "delivered"
    assert links.link_of(db, ticket.id, "zammad").key == "42"


def test_after_its_last_try_zammad_is_given_up(db, ticket, zammad, deliver, clock):
    zammad.fail("ticket_create", TIMEOUT, TIMEOUT, TIMEOUT)
    for _ in range(3):
        deliver()
        clock.advance(3600)
    assert connector_messages(db)[0].status == "failed"
    assert timeline(db, ticket.id, "outbox_failed")[-1].endswith("given up")
    assert len(zammad.made("ticket_create")) == 3


def test_the_ticket_page_links_to_zammad(db, ticket, zammad, deliver, as_admin):
    deliver()
    page = as_admin.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)
    assert f'href="{ZAMMAD}/#ticket/zoom/42"' in page and "zammad" in page


def test_the_delivery_log_names_a_failing_ticket_system(db, ticket, zammad, deliver,
                                                        as_admin):
    zammad.fail("ticket_create", "error_401")
    deliver()
    page = as_admin.get("/admin/deliveries?show=failed").get_data(as_text=True)
    assert "Ticket system &#39;zammad&#39; (ticket.opened)" in page
    assert "Zammad answered HTTP 401: Authentication required" in page
