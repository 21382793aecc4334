"""Major incidents through the API: declared, edited and resolved by a token with the scope
incidents:write, each change audited under the token's name; bad bodies get a 400 naming the
field."""

from __future__ import annotations

from sqlalchemy import select

from ivr.api.tokens import create_token
from tickets.accounts import AuditLog
from tickets.models import Incident

from .conftest import NOW


def test_a_token_declares_edits_and_resolves_an_incident(api, client, db, clock):
    response = api.post("/api/v1/incidents", json={
        "category": "software", "service": "e-mail", "started_at": "2026-11-23T09:10:00Z",
        "expected_at": "2026-11-23T11:00:00+00:00",
        "messages": {"it-IT": "Posta ferma dalle {since}."}})
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "active" and body["parent_ticket"] and body["linked_callers"] == 0
    assert body["messages"] == {"it-IT": "Posta ferma dalle {since}."}
    url = f"/api/v1/incidents/{body['id']}"

    response = client.patch(url, headers=api.headers,
                                json={"expected_at": "2026-11-23T12:30:00+00:00"})
    assert response.status_code == 200
    assert response.json["expected_at"] == "2026-11-23T12:30:00+00:00"
    assert response.json["service"] == "e-mail"  # untouched

    listed = api.get("/api/v1/incidents").json
    assert [i["id"] for i in listed["active"]] == [body["id"]]

    response = api.post(f"{url}/resolve", json={"note": "Mail server restarted"})
    assert response.status_code == 200
    assert response.json["status"] == "resolved"
    assert response.json["resolution_note"] == "Mail server restarted"
    again = api.post(f"{url}/resolve", json={"note": "again"})
    assert again.status_code == 400 and "resolved already" in again.json["error"]["message"]
    assert [(a.user, a.action) for a in db.scalars(select(AuditLog).order_by(AuditLog.id))] == [
        ("api:crm-sync", "incident.declare"), ("api:crm-sync", "incident.edit"),
        ("api:crm-sync", "incident.resolve")]


def test_bad_bodies_are_refused_with_the_field_to_blame(api, db, clock):
    cases = [
        ({"service": "e-mail"}, "category"),
        ({"category": "plumbing"}, "body"),
        ({"category": "software", "expected_at": "11:00"}, "expected_at"),
        ({"category": "software", "expected_at": "2026-11-23T11:00:00"}, "expected_at"),
        ({"category": "software", "messages": {"en-US": 5}}, "messages"),
        ({"category": "software", "messages": {"en-US": "since {when}"}}, "body"),
        ({"category": "software", "service": "x" * 201}, "service"),
    ]
    for body, field in cases:
        response = api.post("/api/v1/incidents", json=body)
        assert response.status_code == 400, body
        assert response.json["error"]["field"] == field, body
    assert api.post("/api/v1/incidents/99/resolve", json={"note": "x"}).status_code == 404
    assert db.scalars(select(Incident)).all() == []


def test_declaring_needs_the_scope(client, db, clock):
    _row, token = create_token(db, "reader", NOW, ["tickets:read"])
    db.commit()
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post("/api/v1/incidents", headers=headers, json={"category": "software"})
    assert response.status_code == 403
    assert "incidents:write" in response.json["error"]["message"]
    assert client.get("/api/v1/incidents", headers=headers).status_code == 200
