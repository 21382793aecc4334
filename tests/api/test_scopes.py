"""What a token may do: its scopes (read tickets, write notes, read queues) and its tiers."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from ivr import migrate
from ivr.api.openapi import document
from ivr.api.tokens import create_token, digest
from tickets import intake
from tickets.accounts import ApiToken

from .conftest import NOW

NOTE = {"json": {"text": "Called the customer back."}}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make(db, *scopes: str, tiers=None) -> str:
    _row, token = create_token(db, "partner", NOW, scopes, tiers)
    db.commit()
    return token


@pytest.fixture
def tier2_ticket(db, demo):
    ticket, _pin = intake.open_ticket(db, fields={"problem": "Core switch down"},
                                      priority="enterprise_failure", sla={"tier": 2})
    db.commit()
    return ticket


def test_each_call_needs_its_scope(client, db, demo):
    reader = bearer(make(db, "tickets:read"))
    number = client.get("/api/v1/tickets", headers=reader).json["items"][0]["number"]

    assert client.get(f"/api/v1/tickets/{number}", headers=reader).status_code == 200
    refused = client.post(f"/api/v1/tickets/{number}/notes", headers=reader, **NOTE)
    assert refused.status_code == 403
    assert "notes:write" in refused.json["error"]["message"]
    assert client.get("/api/v1/queues", headers=reader).status_code == 403
    assert client.get("/metrics", headers=reader).status_code == 403

    writer = bearer(make(db, "notes:write"))
    assert client.post(f"/api/v1/tickets/{number}/notes", headers=writer,
                       **NOTE).status_code == 201
    assert client.get("/api/v1/tickets", headers=writer).status_code == 403

    queues = bearer(make(db, "queues:read"))
    assert client.get("/api/v1/queues", headers=queues).status_code == 200
    assert client.get("/metrics", headers=queues).status_code == 200
    assert client.get("/api/v1/tickets", headers=queues).status_code == 403


def test_a_token_limited_to_a_tier_sees_only_that_tiers_tickets_and_queue(
        client, db, tier2_ticket):
    tier2 = bearer(make(db, "tickets:read", "notes:write", "queues:read", tiers=[2]))

    listed = client.get("/api/v1/tickets", headers=tier2).json
    assert [t["number"] for t in listed["items"]] == [tier2_ticket.number]
    assert client.get("/api/v1/tickets?tier=1", headers=tier2).json["total"] == 0
    tier1_number = client.get("/api/v1/tickets?tier=1",
                              headers=bearer(make(db, "tickets:read"))).json["items"][0]["number"]
    assert client.get(f"/api/v1/tickets/{tier1_number}", headers=tier2).status_code == 404
    assert client.post(f"/api/v1/tickets/{tier1_number}/notes", headers=tier2,
                       **NOTE).status_code == 404
    assert client.get(f"/api/v1/tickets/{tier2_ticket.number}", headers=tier2).status_code == 200
    assert [q["tier"] for q in client.get("/api/v1/queues", headers=tier2).json["tiers"]] == [2]
    assert client.get("/metrics", headers=tier2).status_code == 403  # /metrics shows all tiers


def test_the_cli_makes_tokens_with_scopes_and_tiers(app, client, db, demo):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ivr", "api-token", "create", "crm", "--scope", "tickets:read",
                                 "--scope", "notes:write", "--tier", "1", "--tier", "2"])
    assert result.exit_code == 0, result.output
    row = db.scalar(select(ApiToken).where(ApiToken.name == "crm"))
    assert (row.scopes, row.tiers) == (["notes:write", "tickets:read"], [1, 2])
    token = result.output.strip().splitlines()[-1]
    assert client.get("/api/v1/queues", headers=bearer(token)).status_code == 403

    plain = runner.invoke(args=["ivr", "api-token", "create", "dashboard"])
    row = db.scalar(select(ApiToken).where(ApiToken.name == "dashboard"))
    assert plain.exit_code == 0 and (row.scopes, row.tiers) == (
        ["queues:read", "tickets:read"], None)  # read-only unless asked
    assert "notes:write" in runner.invoke(args=["ivr", "api-token", "create", "--help"]).output
    bad = runner.invoke(args=["ivr", "api-token", "create", "x", "--scope", "tickets:write"])
    assert bad.exit_code != 0 and "tickets:write" in bad.output
    listing = runner.invoke(args=["ivr", "api-token", "list"]).output
    assert "notes:write tickets:read; tiers 1, 2" in listing


def test_the_openapi_document_names_each_operations_scope(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc == document()
    scopes = {op["operationId"]: op.get("x-scopes") for path in doc["paths"].values()
              for op in path.values()}
    assert scopes == {"listTickets": ["tickets:read"], "getTicket": ["tickets:read"],
                      "addNote": ["notes:write"], "getQueues": ["queues:read"],
                      "listIncidents": ["tickets:read"], "declareIncident": ["incidents:write"],
                      "editIncident": ["incidents:write"], "resolveIncident": ["incidents:write"],
                      "bookCallback": ["callbacks:write"],
                      "cancelCallback": ["callbacks:write"], "getOpenApi": None}
    for path in doc["paths"].values():
        for op in path.values():
            if op.get("x-scopes"):
                assert "403" in op["responses"] and op["x-scopes"][0] in op["description"]


def test_a_token_made_before_scopes_keeps_every_right_it_had(app, client, db, demo):
    engine = app.extensions["engine"]
    migrate.downgrade(engine, "0007")  # before scopes
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO api_token (name, token_hash, created_at, revoked) "
                              "VALUES ('old-crm', :h, :at, false)"),
                         {"h": digest("hd_old-token"), "at": NOW})
    finally:
        migrate.upgrade(engine)
    old = bearer("hd_old-token")

    listed = client.get("/api/v1/tickets", headers=old)
    assert listed.status_code == 200 and listed.json["total"] == 3
    number = listed.json["items"][0]["number"]
    assert client.post(f"/api/v1/tickets/{number}/notes", headers=old, **NOTE).status_code == 201
    assert client.get("/api/v1/queues", headers=old).status_code == 200
    assert client.get("/metrics", headers=old).status_code == 200
