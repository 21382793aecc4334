"""The agent console: status, the live queue, the call's ticket, ticket actions, search."""

from __future__ import annotations

from sqlalchemy import select

from tickets.models import Agent, OutboundCall, Ticket, TicketEvent
from tickets.workflow import open_follow_up

from ..conftest import MONDAY_10
from ..ivr.test_queue import add_agent, to_queue


def agent_named(db, name):
    return db.scalar(select(Agent).where(Agent.name == name)
                     .execution_options(populate_existing=True))


def a_ticket(db) -> Ticket:
    return db.scalar(select(Ticket).where(Ticket.call_id.is_not(None)).order_by(Ticket.id.desc()))


def open_tier1_ticket(console, db):
    """Open the page of the first tier-1 ticket (its forms' token comes with it)."""
    ticket = db.scalar(select(Ticket).where(Ticket.tier == 1).order_by(Ticket.id))
    url = f"/console/tickets/{ticket.number}"
    console.get(url)
    return ticket, url


def test_agent_changes_status(as_ann, db):
    page = as_ann.get("/console/").get_data(as_text=True)
    assert "Ann Analyst, tier 1" in page and "offline" in page
    response = as_ann.post("/console/status", {"status": "available"})
    assert response.status_code == 302
    assert agent_named(db, "Ann Analyst").status == "available"
    assert "You are available" in as_ann.get("/console/").get_data(as_text=True)
    as_ann.post("/console/status", {"status": "on_break"})
    assert agent_named(db, "Ann Analyst").status == "on_break"
    assert as_ann.post("/console/status", {"status": "on_call"}).status_code == 400


def test_live_queue_shows_who_waits_in_my_tier(as_ann, call, db, demo, clock, twilio):
    add_agent(db, "Busy Bob", tier=1, status="on_call")
    caller = to_queue(call)
    caller.press("1")  # hold
    clock.advance(95)
    live = as_ann.get("/console/live.json").get_json()
    assert len(live["waiting"]) == 1
    waiting = live["waiting"][0]
    ticket = a_ticket(db)
    assert waiting["ticket"] == ticket.number
    assert waiting["priority"] == ticket.priority
    assert waiting["waited"] >= 95 and waiting["holding"]
    assert waiting["caller"].endswith("001") and "+1555" not in waiting["caller"]
    assert live["callbacks_pending"] == 0


def test_a_tier_two_analyst_does_not_see_tier_one_callers(console, users, call, db, demo,
                                                          clock, twilio):
    add_agent(db, "Busy Bob", tier=1, status="on_call")
    to_queue(call).press("1")
    console.login("tess")
    assert console.get("/console/live.json").get_json()["waiting"] == []


def test_the_call_in_progress_pops_up_its_ticket(as_ann, call, db, demo, clock, twilio):
    as_ann.post("/console/status", {"status": "available"})
    caller = to_queue(call)
    caller.hears("An analyst is free")  # routed to Ann, the only free analyst
    live = as_ann.get("/console/live.json").get_json()
    ticket = a_ticket(db)
    assert [t["number"] for t in live["call"]] == [ticket.number]
    assert live["call"][0]["caller"] == "Alice Johnson"
    page = as_ann.get(live["call"][0]["url"]).get_data(as_text=True)
    assert "Alice Johnson" in page and "printer jams" in page.lower()
    assert "Response due" in page  # the SLA clock
    assert "Inbound call answered" in page or "intake" in page.lower()  # the timeline


def test_ticket_actions_land_on_the_timeline(as_ann, db, demo):
    ticket = db.scalar(select(Ticket).where(Ticket.tier == 1, Ticket.status == "open")
                       .order_by(Ticket.id))
    ticket.callback_number = "+15551230001"
    db.commit()
    url = f"/console/tickets/{ticket.number}"
    as_ann.get(url)
    as_ann.post(f"{url}/note", {"text": "Replaced the fuser", "visibility": "public"})
    as_ann.post(f"{url}/note", {"text": "Customer was rude", "visibility": "internal"})
    as_ann.post(f"{url}/status", {"status": "in_progress", "reason": "working on it"})
    as_ann.post(f"{url}/status-call", {})
    page = as_ann.get(url).get_data(as_text=True)
    assert "Replaced the fuser" in page and "Customer was rude" in page
    assert "Status open -&gt; in_progress: working on it" in page
    assert "Status update call booked" in page
    notes = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                 TicketEvent.kind == "note",
                                                 TicketEvent.actor == "Ann Analyst")).all()
    assert {(n.text, n.public) for n in notes} == {("Replaced the fuser", True),
                                                   ("Customer was rude", False)}

    response = as_ann.post(f"{url}/resolve", {"note": "Fuser replaced, prints fine"})
    assert response.status_code == 302
    page = as_ann.get(url).get_data(as_text=True)
    assert "Fuser replaced, prints fine" in page and "Closure call booked" in page
    closure = db.scalar(select(OutboundCall).where(OutboundCall.ticket_id == ticket.id,
                                                   OutboundCall.kind == "closure"))
    assert closure is not None and closure.status == "pending"
    assert '<span id="ticket-status">resolved</span>' in page


def test_an_empty_note_is_refused_with_a_reason(as_ann, db, demo):
    _ticket, url = open_tier1_ticket(as_ann, db)
    response = as_ann.post(f"{url}/note", {"text": "  "})
    assert response.status_code == 400
    assert "a note needs some text" in response.get_data(as_text=True)


def test_escalate_needs_a_reason_and_moves_the_tier(console, users, db, demo):
    console.login("lead")
    ticket, url = open_tier1_ticket(console, db)
    refused = console.post(f"{url}/escalate", {"to_tier": "2", "reason": ""})
    assert "an escalation needs a reason" in refused.get_data(as_text=True)
    console.post(f"{url}/escalate", {"to_tier": "2", "reason": "needs a field visit"})
    page = console.get(url).get_data(as_text=True)
    assert "Escalated from tier 1 to tier 2: needs a field visit" in page
    refused = console.post(f"{url}/escalate", {"to_tier": "4", "reason": "vendor",
                                               "approver": ""})
    assert "needs an approver (Dana Lead, Sam Manager)" in refused.get_data(as_text=True)
    console.post(f"{url}/escalate", {"to_tier": "4", "reason": "vendor",
                                     "approver": "Dana Lead"})
    assert "to management: vendor (approved by Dana Lead)" in console.get(url).get_data(
        as_text=True)


def test_an_analyst_cannot_open_another_tiers_ticket(console, users, db, demo):
    ticket = db.scalar(select(Ticket).where(Ticket.tier == 1).order_by(Ticket.id))
    console.login("tess")  # tier 2
    assert console.get(f"/console/tickets/{ticket.number}").status_code == 403
    assert console.post(f"/console/tickets/{ticket.number}/note",
                        {"text": "sneaky"}).status_code == 403
    page = console.get(f"/console/tickets?q={ticket.number}").get_data(as_text=True)
    assert "No tickets found" in page


def test_the_policy_can_let_analysts_see_every_tier(console, users, db, demo):
    from tickets import versions as scripts

    text = scripts.current(db, "default", "policy").text.replace(
        "agents_see_other_tiers: false", "agents_see_other_tiers: true")
    scripts.publish(db, "default", text, "test", "policy")
    db.commit()
    ticket = db.scalar(select(Ticket).where(Ticket.tier == 1).order_by(Ticket.id))
    console.login("tess")
    assert console.get(f"/console/tickets/{ticket.number}").status_code == 200


def test_search_by_number_caller_phone_equipment_and_status(as_ann, db, demo):
    tickets = db.scalars(select(Ticket).where(Ticket.tier == 1).order_by(Ticket.id)).all()
    first = tickets[0]
    customer = first.customer

    def found(query: str) -> str:
        return as_ann.get(f"/console/tickets?{query}").get_data(as_text=True)

    assert f">{first.number}<" in found(f"q={first.number}")
    assert f">{first.number}<" in found(f"q={customer.name.split()[0].lower()}")
    assert f">{first.number}<" in found(f"q={customer.phones[0].number.replace('+', '%2B')}")
    if first.equipment:
        assert f">{first.number}<" in found(f"q={first.equipment.split()[0]}")
    other_status = "closed" if first.status != "closed" else "open"
    assert f">{first.number}<" not in found(f"q={first.number}&status={other_status}")
    assert f">{first.number}<" in found(f"q=&status={first.status}")


def test_team_leads_see_follow_up_tickets(console, users, db, demo):
    ticket = db.scalar(select(Ticket).order_by(Ticket.id))
    follow = open_follow_up(db, ticket, now=MONDAY_10, why="survey score 1")
    db.commit()
    console.login("lead")
    page = console.get("/console/follow-ups").get_data(as_text=True)
    assert follow.number in page and "survey score 1" in page


def test_a_refused_escalation_shows_why_and_keeps_the_reason_typed(console, users, db, demo):
    console.login("lead")
    ticket, url = open_tier1_ticket(console, db)
    response = console.post(f"{url}/escalate", {"to_tier": "4", "approver": "",
                                                "reason": "the board must go back to the vendor"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "needs an approver (Dana Lead, Sam Manager)" in page
    assert 'value="the board must go back to the vendor"' in page
    assert '<option value="4" selected>' in page


def test_a_refused_note_or_status_change_keeps_what_was_typed(as_ann, db, demo):
    ticket, url = open_tier1_ticket(as_ann, db)
    response = as_ann.post(f"{url}/status", {"status": "bogus", "reason": "waiting on parts"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "unknown status &#39;bogus&#39;" in page and 'value="waiting on parts"' in page


def test_escalating_to_a_tier_that_is_not_a_number_is_refused(console, users, db, demo):
    console.login("lead")
    ticket, url = open_tier1_ticket(console, db)
    response = console.post(f"{url}/escalate", {"to_tier": "two", "reason": "field visit"})
    assert response.status_code == 400
    assert "there is no tier &#39;two&#39;" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Ticket, ticket.id).tier == 1
    assert not db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                    TicketEvent.kind == "escalated")).all()


def test_an_analyst_who_escalates_out_of_their_tier_is_told_where_it_went(as_ann, db, demo):
    ticket = db.scalar(select(Ticket).where(Ticket.tier == 1, Ticket.agent_id.is_(None))
                       .order_by(Ticket.id))
    url = f"/console/tickets/{ticket.number}"
    as_ann.get(url)
    response = as_ann.post(f"{url}/escalate", {"to_tier": "2", "reason": "needs tier 2"})
    assert response.status_code == 302
    page = as_ann.get(response.headers["Location"])
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"Ticket {ticket.number} escalated to tier 2" in text
    assert "You do not have access" not in text


def test_an_analyst_with_a_long_name_can_still_add_notes(console, users, db, demo):
    from ivr.console.auth import create_user

    long_name = "Annabelle " + "Marie-Louise " * 8 + "Analyst"  # longer than a timeline's actor
    create_user(db, "annabelle", "correct horse battery", "agent", name=long_name,
                agent_id=users["ann"].id)
    db.commit()
    console.login("annabelle")
    ticket, url = open_tier1_ticket(console, db)
    assert console.post(f"{url}/note", {"text": "Swapped the toner"}).status_code == 302
    note = db.scalar(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                               TicketEvent.text == "Swapped the toner"))
    assert note.kind == "note" and long_name.startswith(note.actor)
