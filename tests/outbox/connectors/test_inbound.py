"""Back from the ticket systems: each one's signed webhook (Zammad's X-Hub-Signature HMAC-SHA1,
GLPI's X-GLPI-signature over body and timestamp, Jira's X-Hub-Signature HMAC-SHA256) resolves
our ticket (booking the closure call and survey) or keeps a public reply for the caller's next
status call; forged or stale requests change nothing; nothing is asked of any system while
answering."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from sqlalchemy import select

from tickets import links
from tickets.models import OutboundCall, Ticket, TicketEvent

from .conftest import configure, connector_messages, shapes

SECRETS = {"ZAMMAD_HOOK": "zammad-hook-secret", "GLPI_HOOK": "glpi-hook-secret",
           "JIRA_HOOK": "jira-hook-secret"}
CONFIG = """
connectors:
  - name: zammad
    kind: zammad
    url: https://zammad.example.test
    token_env: ZAMMAD_TOKEN
    webhook_secret_env: ZAMMAD_HOOK
    mapping:
      status_out: {resolved: closed}
      status_in: {closed: resolved, open: in_progress, "pending reminder": on_hold}
  - name: glpi
    kind: glpi
    url: https://glpi.example.test/apirest.php
    app_token_env: GLPI_APP
    user_token_env: GLPI_USER
    webhook_secret_env: GLPI_HOOK
    mapping:
      status_out: {resolved: 5}
      status_in: {"5": resolved, "6": closed, "4": on_hold}
  - name: jira
    kind: jira
    url: https://helpdesk.atlassian.example.test
    email: line@example.test
    api_token_env: JIRA_TOKEN
    service_desk_id: "10"
    webhook_secret_env: JIRA_HOOK
    mapping:
      status_in: {Resolved: resolved, "In Progress": in_progress}
"""


@pytest.fixture
def systems(app, rsps, monkeypatch):
    """The three connectors, each with its webhook secret; `rsps` answers nothing, so any
    request to a system would show."""
    configure(app, monkeypatch, CONFIG, ZAMMAD_TOKEN="z", GLPI_APP="a", GLPI_USER="u",
              JIRA_TOKEN="j", **SECRETS)
    return rsps


@pytest.fixture
def alice(db, demo, clock):
    """Alice's ticket in progress, filed in all three systems."""
    ticket = db.scalar(select(Ticket).where(Ticket.status == "in_progress"))
    ticket.callback_number = "+15551230001"  # her number on file: the closure call's
    for connector, key in (("zammad", "42"), ("glpi", "15"), ("jira", "HELPDESK-1")):
        links.keep(db, ticket.id, connector, key, None, clock())
    db.commit()
    return ticket


def zammad_headers(body: bytes, secret: str = SECRETS["ZAMMAD_HOOK"]) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    return {"X-Hub-Signature": f"sha1={digest}", "X-Zammad-Trigger": "helpdesk line",
            "X-Zammad-Delivery": "c7d6a1e2f3b4"}


def jira_headers(body: bytes, secret: str = SECRETS["JIRA_HOOK"]) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature": f"sha256={digest}"}


def glpi_headers(body: bytes, at: int | None = None) -> dict[str, str]:
    stamp = str(at if at is not None else int(time.time()))
    digest = hmac.new(SECRETS["GLPI_HOOK"].encode(), body + stamp.encode(),
                      hashlib.sha256).hexdigest()
    return {"X-GLPI-signature": digest, "X-GLPI-timestamp": stamp}


def send(client, name: str, data: dict, sign) -> tuple[int, dict]:
    body = json.dumps(data).encode()
    response = client.post(f"/hooks/{name}", data=body, headers=sign(body),
                           content_type="application/json")
    return response.status_code, response.get_json()


def fresh(db, ticket: Ticket) -> Ticket:
    return db.scalar(select(Ticket).where(Ticket.id == ticket.id)
                     .execution_options(populate_existing=True))


def closure_calls(db, ticket: Ticket) -> list[OutboundCall]:
    return list(db.scalars(select(OutboundCall).where(OutboundCall.ticket_id == ticket.id,
                                                      OutboundCall.kind == "closure")))


def test_a_ticket_closed_in_zammad_is_resolved_here_with_its_closure_call(
        client, db, alice, systems, deliver):
    hook = shapes("zammad")["webhook_trigger"]["body"]
    status, answer = send(client, "zammad", hook, zammad_headers)
    assert status == 200 and answer["done"] == ["resolved; closure call booked"]
    ticket = fresh(db, alice)
    assert ticket.status == "resolved"
    [closure] = closure_calls(db, alice)
    assert closure.status == "pending"
    resolved = db.scalar(select(TicketEvent).where(TicketEvent.ticket_id == alice.id,
                                                   TicketEvent.kind == "resolved"))
    assert resolved.text == "We replaced the toner; it prints again."
    assert resolved.actor == "connector:zammad" and resolved.public
    assert len(systems.calls) == 0  # nothing asked of any system while answering
    deliver()
    told = [m.target for m in connector_messages(db) if m.topic == "ticket.resolved"]
    assert told == ["glpi"]  # the other systems hear of it; not Zammad, where it came from


def test_zammads_repeated_webhook_changes_nothing_more(client, db, alice, systems):
    hook = shapes("zammad")["webhook_trigger"]["body"]
    send(client, "zammad", hook, zammad_headers)
    status, answer = send(client, "zammad", hook, zammad_headers)
    assert status == 200 and answer["done"] == ["nothing to change"]
    assert len(closure_calls(db, alice)) == 1


@pytest.mark.parametrize("sign", [
    lambda body: zammad_headers(body, secret="not-the-secret"),
    lambda body: {},
    lambda body: {"X-Hub-Signature": "sha1=" + "0" * 40}])
def test_a_forged_zammad_webhook_is_refused_and_changes_nothing(client, db, alice, systems,
                                                                sign):
    status, _ = send(client, "zammad", shapes("zammad")["webhook_trigger"]["body"], sign)
    assert status == 401
    assert fresh(db, alice).status == "in_progress" and closure_calls(db, alice) == []


def test_a_webhook_of_no_configured_connector_is_not_found(client, systems):
    assert send(client, "otrs", {}, lambda body: {})[0] == 404


def test_a_public_jira_reply_is_read_to_the_caller_on_the_next_status_call(
        client, call, db, alice, systems):
    status, answer = send(client, "jira", shapes("jira")["webhook_comment_created"]["body"],
                          jira_headers)
    assert status == 200 and answer["done"] == ["reply kept"]
    caller = call(from_="+15551230001")  # Alice, from her number on file
    caller.press("1").press(alice.number)
    caller.hears(f"Ticket {' '.join(alice.number)} is in progress",
                 "Your new mouse is on its way.")


def test_an_internal_jira_comment_stays_there(client, db, alice, systems):
    hook = shapes("jira")["webhook_comment_created"]["body"]
    hook = {**hook, "comment": {**hook["comment"], "jsdPublic": False,
                                "body": "Customer is difficult"}}
    assert send(client, "jira", hook, jira_headers)[1]["done"] == ["nothing to change"]
    assert db.scalar(select(TicketEvent.id).where(
        TicketEvent.text.contains("difficult"))) is None


def test_a_request_resolved_in_jira_books_our_closure_call(client, db, alice, systems):
    hook = shapes("jira")["webhook_issue_updated"]["body"]
    status, _ = send(client, "jira", hook, jira_headers)
    assert status == 200 and fresh(db, alice).status == "resolved"
    assert len(closure_calls(db, alice)) == 1
    assert send(client, "jira", hook, lambda body: jira_headers(body, "wrong"))[0] == 401


def test_glpi_followups_and_solved_status_come_back(client, db, alice, systems):
    followup = shapes("glpi")["webhook_followup"]["body"]
    assert send(client, "glpi", followup, glpi_headers)[1]["done"] == ["reply kept"]
    note = db.scalar(select(TicketEvent).where(TicketEvent.actor == "connector:glpi"))
    assert note.text == "Toner replaced, printing again." and note.public
    solved = shapes("glpi")["webhook"]["body"]
    assert send(client, "glpi", solved, glpi_headers)[0] == 200
    assert fresh(db, alice).status == "resolved" and len(closure_calls(db, alice)) == 1


@pytest.mark.parametrize("age", [3 * 24 * 3600, -900])
def test_a_replayed_or_future_glpi_webhook_is_refused(client, db, alice, systems, age):
    stale = lambda body: glpi_headers(body, at=int(time.time()) - age)  # noqa: E731
    status, _ = send(client, "glpi", shapes("glpi")["webhook"]["body"], stale)
    assert status == 401 and fresh(db, alice).status == "in_progress"


def test_a_glpi_webhook_its_cron_sends_an_hour_late_is_taken(client, db, alice, systems):
    """GLPI signs when the ticket is solved and queues the webhook; its cron sends it later."""
    queued = lambda body: glpi_headers(body, at=int(time.time()) - 3600)  # noqa: E731
    status, _ = send(client, "glpi", shapes("glpi")["webhook"]["body"], queued)
    assert status == 200 and fresh(db, alice).status == "resolved"


def test_a_status_change_there_moves_ours(client, db, alice, systems):
    hook = shapes("zammad")["webhook_trigger"]["body"]
    hook = {"ticket": {**hook["ticket"], "state": "pending reminder"}}
    assert send(client, "zammad", hook, zammad_headers)[1]["done"] == ["status on_hold"]
    assert fresh(db, alice).status == "on_hold"


def test_a_ticket_that_is_not_ours_is_ignored(client, db, alice, systems):
    hook = shapes("zammad")["webhook_trigger"]["body"]
    hook = {**hook, "ticket": {**hook["ticket"], "id": 999}}
    assert send(client, "zammad", hook, zammad_headers)[1]["done"] == [
        "not a ticket of the line"]
    assert fresh(db, alice).status == "in_progress"


def test_the_cli_shows_each_ticket_system_and_its_webhook(app, systems):
    shown = app.test_cli_runner().invoke(args=["ivr", "integrations", "show"]).output
    assert "ticket system zammad (zammad): https://zammad.example.test; its webhook: " \
           "https://" in shown and "/hooks/zammad" in shown
    assert "secret" not in shown and SECRETS["JIRA_HOOK"] not in shown


def test_a_connector_whose_secret_is_not_in_the_environment_stops_the_start(app, monkeypatch):
    from ivr.outbox.settings import IntegrationsError

    monkeypatch.delenv("ZAMMAD_TOKEN", raising=False)
    with pytest.raises(IntegrationsError) as refused:
        configure(app, monkeypatch, CONFIG, GLPI_APP="a", GLPI_USER="u", JIRA_TOKEN="j",
                  **SECRETS)
    assert "connectors.0.zammad: token_env: the environment variable ZAMMAD_TOKEN is not " \
           "set" in str(refused.value)


def test_our_own_public_note_coming_back_is_not_kept_twice(client, db, alice, systems,
                                                           clock):
    from tickets import workflow

    workflow.add_note(db, db.get(Ticket, alice.id), "A technician comes at 3", actor="Ann",
                      now=clock(), public=True)
    db.commit()
    hook = shapes("jira")["webhook_comment_created"]["body"]
    echo = {**hook, "comment": {**hook["comment"], "body": "Note by Ann: A technician comes "
                                                           "at 3"}}
    assert send(client, "jira", echo, jira_headers)[1]["done"] == ["nothing to change"]
    notes = db.scalars(select(TicketEvent.text).where(TicketEvent.ticket_id == alice.id,
                                                      TicketEvent.kind == "note")).all()
    assert notes.count("A technician comes at 3") == 1
    assert not any(n.startswith("Note by") for n in notes)
