"""GLPI (apirest.php): each delivery opens a session with the App-Token and the user's token,
makes the Ticket with urgency, impact and priority from our matrix, adds ITILFollowups, sets
its status, and closes the session whatever happened (fixtures/glpi.json)."""

from __future__ import annotations

import pytest

from tickets import links, workflow
from tickets.models import Ticket

from .conftest import TIMEOUT, System, configure, connector_messages, shapes, timeline

GLPI = "https://glpi.example.test/apirest.php"
CONFIG = f"""
connectors:
  - name: glpi
    kind: glpi
    url: {GLPI}
    app_token_env: GLPI_APP_TOKEN
    user_token_env: GLPI_USER_TOKEN
    mapping:
      category: {{hardware: 3}}
      priority:
        critical_situation: {{urgency: 5, impact: 5, priority: 6}}
        "*": {{urgency: 3, impact: 2, priority: 3}}
      status_out: {{in_progress: 2, on_hold: 4, resolved: 5, closed: 6}}
      status_in: {{"5": resolved, "6": closed, "2": in_progress}}
"""


@pytest.fixture
def glpi(app, rsps, monkeypatch):
    configure(app, monkeypatch, CONFIG, GLPI_APP_TOKEN="app-tok", GLPI_USER_TOKEN="user-tok")
    system = System(rsps, shapes("glpi"))
    system.route("GET", rf"{GLPI}/initSession$", "init_session")
    system.route("GET", rf"{GLPI}/killSession$", "kill_session")
    system.route("POST", rf"{GLPI}/Ticket$", "ticket_add")
    system.route("POST", rf"{GLPI}/ITILFollowup$", "followup_add")
    system.route("PUT", rf"{GLPI}/Ticket/\d+$", "ticket_update")
    return system


def test_a_ticket_is_made_in_glpi_under_a_session_it_then_closes(db, ticket, glpi, deliver):
    deliver()
    assert glpi.names() == ["init_session", "ticket_add", "kill_session"]
    init = glpi.made("init_session")[0]
    assert init.headers["App-Token"] == "app-tok"
    assert init.headers["Authorization"] == "user_token user-tok"
    token = shapes("glpi")["init_session"]["body"]["session_token"]
    made = glpi.made("ticket_add")[0]
    assert made.headers["Session-Token"] == token and made.headers["App-Token"] == "app-tok"
    ticket_input = made.json["input"]
    assert ticket_input["name"] == f"[{ticket.number}] printer on fire"
    assert (ticket_input["urgency"], ticket_input["impact"], ticket_input["priority"]) == \
        (3, 2, 3)  # regular_service is "*" in the mapping
    assert ticket_input["itilcategories_id"] == 3 and ticket_input["type"] == 1
    assert "Problem: printer on fire" in ticket_input["content"]
    assert glpi.made("kill_session")[0].headers["Session-Token"] == token
    link = links.link_of(db, ticket.id, "glpi")
    assert (link.key, link.url) == ("15", "https://glpi.example.test/front/ticket.form.php?id=15")


def test_followups_and_status_go_to_glpi(db, ticket, glpi, deliver, clock):
    deliver()
    t = db.get(Ticket, ticket.id)
    workflow.escalate_ticket(db, t, reason="needs a technician", actor="Ann", now=clock())
    workflow.add_note(db, t, "We will call you back", actor="Ann", now=clock(), public=True)
    workflow.resolve_ticket(db, t, actor="Ann", now=clock())
    db.commit()
    deliver()
    followups = [a.json["input"] for a in glpi.made("followup_add")]
    assert followups == [
        {"itemtype": "Ticket", "items_id": 15, "content": "Escalated from tier 1 to tier 2 by "
         "Ann", "is_private": 1},
        {"itemtype": "Ticket", "items_id": 15, "content": "Note by Ann: We will call you back",
         "is_private": 0}]
    assert [a.json for a in glpi.made("ticket_update")] == [{"input": {"id": 15, "status": 5}}]
    assert glpi.names().count("init_session") == glpi.names().count("kill_session") == 4


def test_a_refused_user_token_is_final_and_opens_no_session(db, ticket, glpi, deliver):
    glpi.fail("init_session", "error_401")
    deliver()
    assert glpi.names() == ["init_session"]
    assert connector_messages(db)[0].status == "failed"
    assert timeline(db, ticket.id, "outbox_failed") == [
        "Ticket system 'glpi' (ticket.opened) (try 1 of 8) failed: GLPI answered HTTP 401: "
        "ERROR_GLPI_LOGIN_USER_TOKEN parameter user_token seems invalid; given up"]


def test_a_refused_ticket_is_final_and_the_session_still_closed(db, ticket, glpi, deliver):
    glpi.fail("ticket_add", "error_400")
    deliver()
    assert glpi.names() == ["init_session", "ticket_add", "kill_session"]
    assert "ERROR_GLPI_ADD" in connector_messages(db)[0].last_error
    assert connector_messages(db)[0].status == "failed"


def test_a_glpi_error_or_timeout_is_tried_again(db, ticket, glpi, deliver, clock):
    glpi.fail("ticket_add", {"status": 500, "body": ["ERROR", "Internal error"]})
    deliver()
    assert glpi.names() == ["init_session", "ticket_add", "kill_session"]
    assert "GLPI answered HTTP 500: ERROR Internal error" in connector_messages(db)[0].last_error
    glpi.fail("init_session", TIMEOUT)
    clock.advance(30)
    deliver()
    assert glpi.names()[3:] == ["init_session"]  # timed out: no session to close
    assert "GLPI did not answer in 10 s" in connector_messages(db)[0].last_error
    clock.advance(60)
    deliver()
    assert connector_messages(db)[0].status == "delivered"
    assert links.link_of(db, ticket.id, "glpi").key == "15"


def test_glpi_priority_mapping_needs_urgency_impact_and_priority(app, monkeypatch):
    from ivr.outbox.settings import IntegrationsError

    with pytest.raises(IntegrationsError, match="GLPI wants urgency, impact and priority"):
        configure(app, monkeypatch, CONFIG.replace("{urgency: 3, impact: 2, priority: 3}",
                                                   "high"),
                  GLPI_APP_TOKEN="a", GLPI_USER_TOKEN="u")
