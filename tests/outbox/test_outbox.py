"""The outbox: written with the change that causes it, delivered by the scheduler under a lease,
with retries and backoff, exactly once per message; a failing target holds up no other."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from ivr import scheduler
from tickets import bookings, outbox, workflow
from tickets.models import Ticket, TicketEvent
from tickets.outbox import OutboxMessage, Topic

from ..conftest import TEST_DATABASE_URL
from .conftest import Receiver

on_postgresql = pytest.mark.skipif(
    not (TEST_DATABASE_URL or "").startswith("postgresql"),
    reason="several schedulers share one database only on PostgreSQL (SKIP LOCKED); "
           "runs in the PostgreSQL pass of `make test`")


def timeline(db, ticket, kind: str) -> list[str]:
    return list(db.scalars(select(TicketEvent.text).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind)
        .order_by(TicketEvent.id).execution_options(populate_existing=True)))


def resolve(db, ticket, clock) -> None:
    workflow.resolve_ticket(db, db.get(Ticket, ticket.id), actor="ana", now=clock())
    db.commit()


def messages(db) -> list[OutboxMessage]:
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)
                           .execution_options(populate_existing=True)))


def test_each_subscribed_webhook_hears_of_a_change_once(db, ticket, clock, ops, crm, deliver):
    resolve(db, ticket, clock)
    assert ops.got == [] and crm.got == []  # nothing leaves until the scheduler sends it
    deliver()
    assert [e["type"] for e in ops.events()] == ["ticket.opened", "ticket.resolved"]
    assert [e["type"] for e in crm.events()] == ["ticket.resolved"]  # crm subscribed to that
    resolved = crm.events()[0]["data"]["ticket"]
    assert resolved["number"] == ticket.number and resolved["status"] == "resolved"
    assert deliver() == 0  # delivered once: a second pass sends nothing
    assert len(ops.got) == 2 and len(crm.got) == 1
    assert {m.status for m in messages(db)} == {"delivered"}


def test_a_change_rolled_back_sends_nothing(app, db, ticket, clock, ops, deliver):
    deliver()
    with app.extensions["sessionmaker"]() as session:
        workflow.resolve_ticket(session, session.get(Ticket, ticket.id), actor="ana",
                                now=clock())
        session.rollback()  # e.g. a later step of the same request failed
    deliver()
    assert [e["type"] for e in ops.events()] == ["ticket.opened"]


def test_a_failing_target_is_retried_with_backoff_and_holds_up_no_other(
        db, ticket, clock, ops, crm, deliver):
    crm.status = 503
    resolve(db, ticket, clock)
    deliver()
    assert len(ops.got) == 2  # ops got everything at once
    assert len(crm.got) == 1
    [failing] = [m for m in messages(db) if m.target == "crm"]
    assert failing.status == "pending" and failing.attempts == 1
    assert failing.due_at == clock() + timedelta(seconds=30)
    assert timeline(db, ticket, "outbox_failed") == [
        "Webhook 'crm' (ticket.resolved) (try 1 of 3) failed: the receiver answered HTTP 503 "
        "Service Unavailable; next try at 10:00:30 UTC"]
    assert deliver() == 0 and len(crm.got) == 1  # not before its time
    clock.advance(30)
    deliver()
    assert len(crm.got) == 2
    clock.advance(60)  # the second wait is twice the first
    deliver()
    assert len(crm.got) == 3
    clock.advance(3600)
    deliver()
    assert len(crm.got) == 3  # three tries, then given up
    [failing] = [m for m in messages(db) if m.target == "crm"]
    assert failing.status == "failed"
    assert timeline(db, ticket, "outbox_failed")[-1].endswith("; given up")
    # the same ids on every try: a receiver that got one of them can drop the others
    assert set(crm.ids) == {f"msg_{failing.id}"}


def test_a_receiver_refusing_the_message_is_not_asked_again(db, ticket, clock, crm, ops,
                                                            deliver):
    crm.status = 410  # Gone
    resolve(db, ticket, clock)
    deliver()
    clock.advance(7200)
    deliver()
    assert len(crm.got) == 1
    assert timeline(db, ticket, "outbox_failed") == [
        "Webhook 'crm' (ticket.resolved) (try 1 of 3) failed: the receiver answered HTTP 410 "
        "Gone; given up"]


def test_a_deliverer_dead_holding_its_lease_is_recovered_with_the_same_webhook_id(
        app, db, ticket, clock, ops, deliver):
    dead = scheduler.make_deliverer(app, owner="dead", concurrency=1)
    with app.extensions["sessionmaker"]() as session:
        dead.fan_out_events(session, clock())
        parcels, _ = dead.claim(session, clock())
        session.commit()
    dead.send(parcels[0])  # it sent, then died before it could record it
    assert deliver(owner="other") == 0  # its lease still holds
    clock.advance(121)
    assert deliver(owner="other") == 1
    assert ops.ids == {f"msg_{parcels[0].id}": 2}  # a repeat the receiver can tell
    [message] = messages(db)
    assert message.status == "delivered" and message.lease_owner is None
    assert message.attempts == 1


def test_an_event_with_a_key_is_written_once(db, ticket, clock):
    for _ in range(2):
        outbox.publish(db, Topic.INTAKE_COMPLETED, ticket=db.get(Ticket, ticket.id),
                       key="intake:1", now=clock())
        db.commit()
    assert len(db.scalars(select(outbox.OutboxEvent).where(
        outbox.OutboxEvent.topic == Topic.INTAKE_COMPLETED)).all()) == 1


@on_postgresql
def test_two_schedulers_deliver_each_message_exactly_once(app, db, clock, rsps, integrations,
                                                          ops):
    crm = Receiver(rsps, "https://crm.example.test/webhooks")
    tickets = [Ticket(priority="regular_service", created_at=clock()) for _ in range(150)]
    db.add_all(tickets)
    db.flush()
    for t in tickets:
        t.assign_number()
        workflow.resolve_ticket(db, t, actor="ana", now=clock())
    db.commit()
    deliverers = [scheduler.make_deliverer(app, owner=f"s{i}", concurrency=4, batch=20,
                                           per_target=20) for i in range(2)]
    handled = [0, 0]
    start = threading.Barrier(2)

    def run(i):
        start.wait()
        handled[i] = deliverers[i].run_until_idle()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for d in deliverers:
        d.close()
    assert len(ops.ids) == 150 and set(ops.ids.values()) == {1}
    assert len(crm.ids) == 150 and set(crm.ids.values()) == {1}
    assert sum(handled) == 300 and min(handled) > 0  # both took a share
    assert {m.status for m in messages(db)} == {"delivered"}


def test_an_event_whose_messages_cannot_be_made_stops_nothing_else(app, db, ticket, clock,
                                                                   ops, deliver):
    app.extensions["integrations"] = app.extensions["integrations"].model_copy(
        update={"sms": app.extensions["integrations"].sms.model_copy(update={"enabled": True})})
    t = db.get(Ticket, ticket.id)
    callback = bookings.schedule_outbound(db, t, "callback", due=clock(), now=clock(),
                                          reason="way_out")
    # a malformed event (no due time: its SMS cannot be written)
    outbox.publish(db, Topic.CALLBACK_BOOKED, ticket=t, now=clock(),
                   outbound_call_id=callback.id)
    workflow.escalate_ticket(db, t, reason="network", actor="ana", now=clock())
    db.commit()
    deliver()
    assert [e["type"] for e in ops.events()] == ["ticket.opened", "ticket.escalated"]
    assert timeline(db, ticket, "outbox_failed") == [
        "Nothing sent for callback.booked: its messages could not be made (see the "
        "scheduler's log)"]
