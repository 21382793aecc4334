"""The JSON API as an integration uses it: token, tickets, notes, queues, errors."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ivr.clock import FixedClock
from tickets.accounts import ApiToken
from tickets.intake import find_ticket
from tickets.models import Agent, OutboundCall, QueueEntry, Ticket, TicketEvent

from .conftest import NOW


def test_no_token_or_a_wrong_one_is_refused_with_401(client, demo, token):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {token}"},
                    {"Authorization": token}):
        response = client.get("/api/v1/tickets", headers=headers)
        assert response.status_code == 401, headers
        assert response.json["error"]["status"] == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_working(api, app, demo):
    assert api.get("/api/v1/tickets").status_code == 200
    result = app.test_cli_runner().invoke(args=["ivr", "api-token", "revoke", "crm-sync"])
    assert result.exit_code == 0, result.output
    assert api.get("/api/v1/tickets").status_code == 401


def test_cli_prints_a_token_once_and_stores_only_its_hash(app, client, db):
    result = app.test_cli_runner().invoke(args=["ivr", "api-token", "create", "grafana"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    row = db.scalar(select(ApiToken).where(ApiToken.name == "grafana"))
    assert row.token_hash != token and token not in row.token_hash and len(row.token_hash) == 64
    assert row.last_used_at is None
    response = client.get("/api/v1/queues", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    db.refresh(row)
    assert row.last_used_at is not None
    listing = app.test_cli_runner().invoke(args=["ivr", "api-token", "list"])
    assert "grafana" in listing.output and token not in listing.output


def test_tickets_are_listed_newest_first_and_filtered(api, demo):
    everything = api.get("/api/v1/tickets").json
    assert everything["total"] == 3 and everything["page"] == 1
    numbers = [t["number"] for t in everything["items"]]
    assert numbers == sorted(numbers, reverse=True)

    critical = api.get("/api/v1/tickets?priority=critical_situation").json
    assert [t["priority"] for t in critical["items"]] == ["critical_situation"]
    in_progress = api.get("/api/v1/tickets?status=in_progress").json["items"]
    assert [t["status"] for t in in_progress] == ["in_progress"]
    assert api.get("/api/v1/tickets?tier=2").json["total"] == 0

    # By phone, in whatever format the integration has it: Alice's two tickets.
    alice = api.get("/api/v1/tickets?phone=(555) 123-0001").json
    assert alice["total"] == 2
    assert {t["caller_name"] for t in alice["items"]} == {"Alice Johnson"}
    one = numbers[-1]
    assert [t["number"] for t in api.get(f"/api/v1/tickets?number={one}").json["items"]] == [one]


def test_paging(api, demo):
    first = api.get("/api/v1/tickets?per_page=2").json
    second = api.get("/api/v1/tickets?per_page=2&page=2").json
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert first["total"] == second["total"] == 3
    assert not {t["number"] for t in first["items"]} & {t["number"] for t in second["items"]}
    assert api.get("/api/v1/tickets?page=9").json["items"] == []


def test_bad_filters_answer_400_naming_the_field(api, demo):
    for query, field in [("status=lost", "status"), ("tier=0", "tier"), ("tier=two", "tier"),
                         ("per_page=1000", "per_page"), ("page=-1", "page"),
                         ("phone=not-a-phone", "phone"), ("priority=" + "x" * 41, "priority"),
                         ("priority=a%00b", "priority"), ("status=", "status"),
                         ("teir=2", "teir")]:
        response = api.get(f"/api/v1/tickets?{query}")
        assert response.status_code == 400, query
        assert response.json["error"]["field"] == field, query


def test_one_ticket_with_its_timeline(api, demo):
    ticket = demo.scalar(select(Ticket).where(Ticket.status == "in_progress"))
    body = api.get(f"/api/v1/tickets/{ticket.number}").json
    assert body["number"] == ticket.number and body["status"] == "in_progress"
    kinds = [e["kind"] for e in body["timeline"]]
    assert kinds[0] == "opened"
    assert any(e["kind"] == "note" and e["public"] for e in body["timeline"])


def test_unknown_ticket_is_404_in_json(api, demo):
    for number in ("99999", "abc", "1" * 30):
        response = api.get(f"/api/v1/tickets/{number}")
        assert response.status_code == 404
        assert response.json["error"]["status"] == 404
    assert api.get("/api/v1/nothing-here").json["error"]["status"] == 404
    response = api.post("/api/v1/queues")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]


def test_adding_notes_public_and_internal(api, demo, app):
    app.extensions["clock"] = FixedClock(NOW)
    ticket = demo.scalar(select(Ticket).where(Ticket.status == "open"))
    response = api.post(f"/api/v1/tickets/{ticket.number}/notes",
                        json={"text": "Replacement toner ordered", "public": True})
    assert response.status_code == 201, response.json
    assert response.json["public"] is True and response.json["actor"] == "api:crm-sync"
    api.post(f"/api/v1/tickets/{ticket.number}/notes", json={"text": "Vendor case 4711"})
    notes = demo.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                   TicketEvent.kind == "note")
                         .order_by(TicketEvent.id)).all()
    assert [(n.text, n.public) for n in notes[-2:]] == [("Replacement toner ordered", True),
                                                        ("Vendor case 4711", False)]
    timeline = api.get(f"/api/v1/tickets/{ticket.number}").json["timeline"]
    assert timeline[-1]["text"] == "Vendor case 4711"


def test_bad_notes_answer_400_and_change_nothing(api, demo):
    ticket = demo.scalar(select(Ticket).where(Ticket.status == "open"))
    before = len(find_ticket(demo, ticket.number).events)
    url = f"/api/v1/tickets/{ticket.number}/notes"
    cases = [({"json": {"text": "   "}}, "text"), ({"json": {}}, "text"),
             ({"json": {"text": 5}}, "text"), ({"json": {"text": "x", "public": "yes"}}, "public"),
             ({"json": ["text"]}, "body"), ({"data": "{not json", "content_type":
                                             "application/json"}, "body"),
             ({"json": {"text": "x" * 4001}}, "text")]
    for kwargs, field in cases:
        response = api.post(url, **kwargs)
        assert response.status_code == 400, kwargs
        assert response.json["error"]["field"] == field, kwargs
    demo.expire_all()
    assert len(find_ticket(demo, ticket.number).events) == before
    assert api.post("/api/v1/tickets/99999/notes", json={"text": "x"}).status_code == 404


def test_queues_show_waiting_callers_agents_and_callbacks_per_tier(api, db, app):
    app.extensions["clock"] = FixedClock(NOW)
    db.add_all([
        Agent(name="Ann", tier=1, status="available", phone="+15550100001"),
        Agent(name="Ben", tier=1, status="on_call", phone="+15550100002"),
        Agent(name="Tess", tier=2, status="offline", phone="+15550100003"),
    ])
    regular = QueueEntry(tier=1, rank=3, priority="regular_service", consent=True,
                         caller_number="+15551230001", joined_at=NOW - timedelta(seconds=300))
    urgent = QueueEntry(tier=1, rank=1, priority="critical_situation", consent=True,
                        caller_number="+15551230002", joined_at=NOW - timedelta(seconds=60),
                        announced_wait=120.0)
    asking = QueueEntry(tier=1, rank=1, consent=False, joined_at=NOW)  # not holding yet
    gone = QueueEntry(tier=1, status="abandoned", consent=True, joined_at=NOW)
    tier2 = QueueEntry(tier=2, rank=2, consent=True, status="bridging", joined_at=NOW)
    db.add_all([regular, urgent, asking, gone, tier2])
    db.flush()
    db.add_all([OutboundCall(kind="callback", to_number="+15551230003", queue_entry_id=gone.id,
                             status="pending", due_at=NOW),
                OutboundCall(kind="callback", to_number="+15551230004", status="completed",
                             queue_entry_id=gone.id, due_at=NOW)])
    db.commit()

    body = api.get("/api/v1/queues").json
    tier1, tier2_, tier3 = body["tiers"]
    assert [c["priority"] for c in tier1["waiting"]] == ["critical_situation", "regular_service"]
    assert [c["waited_seconds"] for c in tier1["waiting"]] == [60, 300]
    assert [c["position"] for c in tier1["waiting"]] == [1, 2]
    assert tier1["waiting"][0]["announced_wait_seconds"] == 120
    assert tier1["waiting"][0]["caller"].endswith("002") and "555" not in tier1["waiting"][0][
        "caller"]
    assert (tier1["agents_available"], tier1["agents_logged_in"]) == (1, 2)
    assert tier1["callbacks_pending"] == 1
    assert [c["state"] for c in tier2_["waiting"]] == ["connecting"]
    assert tier2_["agents_logged_in"] == 0 and tier3["waiting"] == []


def test_openapi_document_is_served_and_valid(client):
    from openapi_spec_validator import validate

    response = client.get("/api/v1/openapi.json")  # no token needed
    assert response.status_code == 200
    validate(response.json)
    paths = response.json["paths"]
    assert {"/api/v1/tickets", "/api/v1/tickets/{number}", "/api/v1/tickets/{number}/notes",
            "/api/v1/queues"} <= set(paths)
