"""/metrics as Prometheus scrapes it: bearer token, text format, figures from the database."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from ivr import create_app
from ivr.clock import FixedClock
from tickets.models import Agent, Call, OutboundCall, QueueEntry

from .conftest import NOW


def samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_need_the_token(client, token):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")


def test_metrics_read_the_line_at_scrape_time(app, client, db, token):
    app.extensions["clock"] = FixedClock(NOW)
    auth = {"Authorization": f"Bearer {token}"}
    empty = samples(client.get("/metrics", headers=auth).get_data(as_text=True))
    assert empty[("helpdesk_queue_size", (("tier", "1"),))] == 0
    assert empty[("helpdesk_dispatcher_oldest_due_seconds", ())] == 0

    db.add_all([
        Call(sid="CA1", direction="inbound", status="in-progress"),
        Call(sid="CA2", direction="inbound", status="in-progress"),
        Call(sid="CA3", direction="inbound", status="completed", ended_at=NOW),
        Call(sid="CA4", direction="outbound", status="ringing"),
        QueueEntry(tier=1, consent=True, joined_at=NOW - timedelta(seconds=300)),
        QueueEntry(tier=1, consent=True, joined_at=NOW - timedelta(seconds=100)),
        QueueEntry(tier=1, consent=False, joined_at=NOW),  # still being asked: not holding
        QueueEntry(tier=2, consent=True, joined_at=NOW - timedelta(seconds=30)),
        QueueEntry(tier=1, status="done", actual_wait=40.0, ended_at=NOW - timedelta(minutes=5)),
        QueueEntry(tier=1, status="done", actual_wait=80.0, ended_at=NOW - timedelta(minutes=9)),
        QueueEntry(tier=1, status="done", actual_wait=900.0, ended_at=NOW - timedelta(hours=2)),
        Agent(name="Ann", tier=1, status="available", phone="+15550100001"),
        Agent(name="Ben", tier=1, status="on_call", phone="+15550100002"),
        OutboundCall(kind="callback", to_number="+15551230001",
                     due_at=NOW - timedelta(minutes=10)),
        OutboundCall(kind="callback", to_number="+15551230002", due_at=NOW - timedelta(minutes=1)),
        OutboundCall(kind="closure", to_number="+15551230003", due_at=NOW),
        OutboundCall(kind="callback", to_number="+15551230004",
                     due_at=NOW + timedelta(hours=1)),  # not due yet
        OutboundCall(kind="callback", to_number="+15551230005", status="completed",
                     due_at=NOW - timedelta(hours=1)),
    ])
    db.commit()

    text = client.get("/metrics", headers=auth).get_data(as_text=True)
    m = samples(text)
    assert m[("helpdesk_calls_in_progress", (("direction", "inbound"),))] == 2
    assert m[("helpdesk_calls_in_progress", (("direction", "outbound"),))] == 1
    assert m[("helpdesk_queue_size", (("tier", "1"),))] == 2
    assert m[("helpdesk_queue_size", (("tier", "2"),))] == 1
    assert m[("helpdesk_queue_longest_wait_seconds", (("tier", "1"),))] == 300
    assert m[("helpdesk_queue_average_wait_seconds", (("tier", "1"),))] == 200
    assert m[("helpdesk_queue_answer_wait_seconds_average", (("tier", "1"),))] == 60
    assert m[("helpdesk_agents", (("status", "available"), ("tier", "1")))] == 1
    assert m[("helpdesk_agents", (("status", "on_call"), ("tier", "1")))] == 1
    assert m[("helpdesk_dispatcher_backlog", (("kind", "callback"),))] == 2
    assert m[("helpdesk_dispatcher_backlog", (("kind", "closure"),))] == 1
    assert m[("helpdesk_dispatcher_oldest_due_seconds", ())] == 600
    assert "# HELP helpdesk_queue_size Callers holding in a tier's queue." in text


def test_each_app_has_its_own_registry(app, database_url):
    other = create_app({"TESTING": True, "DATABASE_URL": database_url})
    try:
        assert other.extensions["metrics_registry"] is not app.extensions["metrics_registry"]
    finally:
        other.extensions["engine"].dispose()
