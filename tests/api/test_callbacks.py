"""Callbacks asked for outside a call (the API, the agent console): in the same ordered line as
the callbacks callers ask for by phone, their place the time they were asked, under the same
dialling rule; an analyst calls a pending one off with a reason."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ivr import scheduler
from ivr.api.tokens import create_token
from tickets import intake, workflow
from tickets.models import Agent, OutboundCall, QueueEntry, Ticket, TicketEvent

from ..conftest import MONDAY_10
from ..ivr.test_outbound import ALICE, fresh, to_queue
from ..ivr.test_queue import add_agent

BOB = "+442079460177"  # another London number the line may call


def open_ticket(db, priority: str, number: str = BOB) -> Ticket:
    ticket, _pin = intake.open_ticket(
        db, fields={"name": "Bob Brown", "callback_number": number, "problem": "No VPN"},
        priority=priority, language="en-US", now=MONDAY_10)
    db.commit()
    return ticket


def test_a_callback_booked_through_the_api_is_placed_in_its_turn(
        app, call, db, demo, clock, api, twilio_api, dispatcher):
    ann = add_agent(db, "Ann", tier=1, status="on_call")
    caller = to_queue(call)  # 10:00: Alice holds, then asks to be called back
    caller.press("1").press("2").press("1")  # holds; a callback to her number, when free
    caller.hears("will call you back")
    alices = db.scalar(select(OutboundCall))
    alice_ticket = db.get(Ticket, alices.ticket_id)
    bobs_ticket = open_ticket(db, alice_ticket.priority)  # the same priority as Alice's

    clock.advance(300)  # 10:05: Bob's callback is asked for through the API
    response = api.post("/api/v1/callbacks", json={"ticket": bobs_ticket.number})
    assert response.status_code == 201, response.json
    booked = response.json
    assert booked["ticket"] == bobs_ticket.number and booked["status"] == "pending"
    assert booked["to"] == "**********177"
    assert booked["place_joined_at"] == (MONDAY_10 + timedelta(minutes=5)).isoformat()
    entry = db.scalar(select(QueueEntry).where(QueueEntry.ticket_id == bobs_ticket.id))
    assert (entry.status, entry.kind) == ("callback", "callback")

    fresh(db, Agent, ann.id).status = "available"  # Ann is free: whose turn is it?
    db.commit()
    scheduler.job(app, "route", scheduler.route_sweep)()
    assert dispatcher.run_until_idle() == 1
    assert [p["To"] for p in twilio_api.placed] == [ALICE]  # Alice asked first
    assert fresh(db, OutboundCall, booked["id"]).status == "pending"

    # Alice's call is over; Ann is free again: now it is Bob's turn.
    clock.advance(600)
    done = fresh(db, OutboundCall, alices.id)
    done.status, done.agent_id = "done", None
    fresh(db, Agent, ann.id).status = "available"
    db.commit()
    scheduler.job(app, "route", scheduler.route_sweep)()
    assert dispatcher.run_until_idle() == 1
    assert [p["To"] for p in twilio_api.placed] == [ALICE, BOB]
    bobs = fresh(db, OutboundCall, booked["id"])
    assert bobs.status == "placed" and bobs.agent_id == ann.id
    texts = [e.text for e in db.scalars(select(TicketEvent).where(
        TicketEvent.ticket_id == bobs_ticket.id).order_by(TicketEvent.id))]
    assert "Callback asked for by api:crm-sync (outside a call): in line for tier 1 from " \
           "10:05:00 UTC" in texts


def test_the_api_refuses_what_the_phone_would_refuse(db, demo, clock, api, client):
    ticket = open_ticket(db, "regular_service")
    premium = api.post("/api/v1/callbacks", json={"ticket": ticket.number,
                                                  "number": "+19005550123"})
    assert premium.status_code == 422
    assert premium.json["error"]["field"] == "number"
    assert "never called" in premium.json["error"]["message"]  # the toll-fraud rule
    assert api.post("/api/v1/callbacks", json={"ticket": ticket.number}).status_code == 201
    twice = api.post("/api/v1/callbacks", json={"ticket": ticket.number})
    assert twice.status_code == 409 and "already booked" in twice.json["error"]["message"]
    assert api.post("/api/v1/callbacks", json={"ticket": "99999"}).status_code == 404
    assert api.post("/api/v1/callbacks", json={"number": BOB}).status_code == 400
    klingon = api.post("/api/v1/callbacks", json={"ticket": ticket.number, "language": "tlh"})
    assert klingon.status_code == 400 and klingon.json["error"]["field"] == "language"

    _row, reader = create_token(db, "reader", MONDAY_10, ["tickets:read"])
    db.commit()
    refused = client.post("/api/v1/callbacks", json={"ticket": ticket.number},
                          headers={"Authorization": f"Bearer {reader}"})
    assert refused.status_code == 403 and "callbacks:write" in refused.json["error"]["message"]


def test_a_closed_ticket_gets_no_callback(db, demo, clock, api):
    ticket = open_ticket(db, "regular_service")
    workflow.resolve_ticket(db, db.get(Ticket, ticket.id), actor="ana", now=clock())
    db.commit()
    closed = api.post("/api/v1/callbacks", json={"ticket": ticket.number})
    assert closed.status_code == 409 and "resolved" in closed.json["error"]["message"]


def test_the_api_calls_a_pending_callback_off_with_a_reason(db, demo, clock, api):
    ticket = open_ticket(db, "regular_service")
    booked = api.post("/api/v1/callbacks", json={"ticket": ticket.number}).json
    no_reason = api.post(f"/api/v1/callbacks/{booked['id']}/cancel", json={})
    assert no_reason.status_code == 400
    off = api.post(f"/api/v1/callbacks/{booked['id']}/cancel",
                   json={"reason": "solved by e-mail"})
    assert off.status_code == 200 and off.json["status"] == "canceled"
    again = api.post(f"/api/v1/callbacks/{booked['id']}/cancel", json={"reason": "again"})
    assert again.status_code == 409
    assert api.post("/api/v1/callbacks/424242/cancel", json={"reason": "x"}).status_code == 404
    assert "Callback called off by api:crm-sync: solved by e-mail" in [
        e.text for e in db.scalars(select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id))]


def test_an_analyst_books_a_callback_from_the_console_and_calls_it_off(db, clock,
                                                                       as_ann):
    ticket = open_ticket(db, "regular_service")
    page = f"/console/tickets/{ticket.number}"
    as_ann.get(page)
    booked = as_ann.post(f"{page}/callback", {"number": ""}, follow_redirects=True)
    assert "Callback to **********177 booked: in line from 10:00 UTC." in \
        booked.get_data(as_text=True)
    callback = db.scalar(select(OutboundCall).where(OutboundCall.ticket_id == ticket.id))
    assert callback.place_joined_at == MONDAY_10
    refused = as_ann.post(f"{page}/callback", {"number": "+19005550123"})
    assert refused.status_code == 400
    assert "never called" in refused.get_data(as_text=True)

    as_ann.get(page)
    nothing = as_ann.post(f"{page}/callbacks/{callback.id}/cancel", {"reason": " "})
    assert nothing.status_code == 400
    assert "calling off a callback needs a reason" in nothing.get_data(as_text=True)
    as_ann.get(page)
    off = as_ann.post(f"{page}/callbacks/{callback.id}/cancel",
                      {"reason": "the caller came by the desk"}, follow_redirects=True)
    html = off.get_data(as_text=True)
    assert "Callback called off." in html
    assert "Callback called off by Ann Analyst: the caller came by the desk" in html
    assert fresh(db, OutboundCall, callback.id).status == "canceled"
