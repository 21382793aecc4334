"""Live calls from the console: escalating while the caller is on the line (warm and cold),
handing over, holding; what Twilio is asked, what the caller hears, what the ticket holds."""

from __future__ import annotations

from sqlalchemy import select

from tickets import workflow
from tickets.models import Agent, Conference, Participant, QueueEntry, Ticket, TicketEvent

from ..conftest import MONDAY_10
from ..ivr.test_queue import entry_of, put_through, to_queue

PAGE = "/console/call"


def fresh(db, model, id_):
    return db.get(model, id_, populate_existing=True)


def events(db, kind):
    return [e.text for e in db.scalars(select(TicketEvent).where(TicketEvent.kind == kind)
                                       .order_by(TicketEvent.id))]


def set_status(db, agent, status):
    row = fresh(db, Agent, agent.id)
    row.status, row.status_since, row.idle_since = status, MONDAY_10, MONDAY_10
    db.commit()


def ann_on_a_call(as_ann, users, call, twilio, analyst, db):
    """Ann (tier 1) is free; Alice calls and is put through to her."""
    set_status(db, users["ann"], "available")
    caller = to_queue(call)
    if not caller.in_queue:  # offered to hold (another caller waits): holds
        caller.press("1")
    room, leg = put_through(caller, twilio, analyst, users["ann"])
    as_ann.get(PAGE)  # the page (and its forms' token)
    return caller, room, leg


def the_ticket(db):
    return db.scalar(select(Ticket).where(Ticket.call_id.is_not(None))
                     .execution_options(populate_existing=True))


def test_the_analyst_sees_who_is_on_their_call(as_ann, users, call, db, demo, clock, twilio,
                                               analyst):
    assert "You are not on a call" in as_ann.get(PAGE).get_data(as_text=True)
    ann_on_a_call(as_ann, users, call, twilio, analyst, db)
    page = as_ann.get(PAGE).get_data(as_text=True)
    ticket = the_ticket(db)
    assert f"ticket <a href=\"/console/tickets/{ticket.number}\">{ticket.number}</a>" in page
    assert "Ann Analyst (tier 1):\n      on the call" in page and "the caller" in page


def test_warm_escalation_dials_tier_two_in_with_a_whisper_then_tier_one_leaves(
        as_ann, users, call, db, demo, clock, twilio, analyst):
    caller, room, ann_leg = ann_on_a_call(as_ann, users, call, twilio, analyst, db)
    set_status(db, users["tess"], "available")
    response = as_ann.post(f"{PAGE}/escalate", {"mode": "warm", "to_tier": "2",
                                                 "reason": "needs domain admin rights"})
    assert response.status_code == 302
    ticket = the_ticket(db)
    assert ticket.tier == 2
    assert any("Escalated from tier 1 to tier 2: needs domain admin rights" in t
               for t in events(db, "escalated"))
    assert any("asked Tess Two (tier 2) to join the call" in t for t in events(db, "warm_transfer"))
    placed = twilio.analyst_legs()[-1]
    assert placed["To"] == users["tess"].phone
    assert twilio.redirected == []  # the caller stays where they are
    tess_leg = analyst(placed)
    tess_leg.hears(f"Ticket {' '.join(ticket.number)}", "printer jams")  # whisper, then in
    assert tess_leg.conferences == caller.conferences[-1:]
    assert fresh(db, Agent, users["tess"].id).status == "on_call"

    # Leaving before Tess is there is refused: the caller would be alone.
    refused = as_ann.post(f"{PAGE}/leave")
    assert refused.status_code == 400 and "stay until" in refused.get_data(as_text=True)
    assert twilio.removed == []

    room.event("participant-join", tess_leg.call_sid, f"analyst-{users['tess'].id}")
    as_ann.get(PAGE)
    assert as_ann.post(f"{PAGE}/leave").status_code == 302
    # Twilio is asked to let the conference go on without Ann, then to take her out.
    [change] = twilio.changed
    assert change["call"] == ann_leg.call_sid and change["EndConferenceOnExit"] == "false"
    assert change["conference"] == room.sid
    assert twilio.removed == [{"conference": room.sid, "call": ann_leg.call_sid}]
    room.event("participant-leave", ann_leg.call_sid, f"analyst-{users['ann'].id}")
    assert fresh(db, Agent, users["ann"].id).status == "wrap_up"
    assert the_ticket(db).agent_id == users["tess"].id  # Tess holds it now
    assert any("handed the call over to Tess Two" in t for t in events(db, "handed_over"))
    # Tess ends the call later: the caller's <Dial> ends, Tess wraps up.
    room.event("participant-leave", tess_leg.call_sid, f"analyst-{users['tess'].id}")
    caller.dial_ends("completed", 400)
    assert fresh(db, Agent, users["tess"].id).status == "wrap_up"
    assert entry_of(db, caller).status == "done"


def test_warm_escalation_with_nobody_free_in_tier_two_says_to_go_cold(
        as_ann, users, call, db, demo, clock, twilio, analyst):
    ann_on_a_call(as_ann, users, call, twilio, analyst, db)
    response = as_ann.post(f"{PAGE}/escalate", {"mode": "warm", "to_tier": "2",
                                                 "reason": "needs domain admin rights"})
    assert response.status_code == 400
    assert "No tier 2 analyst is free" in response.get_data(as_text=True)
    assert the_ticket(db).tier == 1  # nothing changed
    assert len(twilio.analyst_legs()) == 1


def test_cold_escalation_puts_the_caller_first_in_tier_twos_line_with_their_join_time(
        as_ann, users, call, db, demo, clock, twilio, analyst):
    set_status(db, users["tess"], "on_break")  # staffed, nobody free
    earlier = to_queue(call, number="+393331234567", impact="2", urgency="3")  # critical
    earlier.press("1")  # holds
    workflow.escalate_ticket(db, db.get(Ticket, entry_of(db, earlier).ticket_id), reason="x",
                             actor="ivr", now=MONDAY_10)  # waits in tier 2's line
    db.commit()
    clock.advance(60)
    caller, room, _leg = ann_on_a_call(as_ann, users, call, twilio, analyst, db)
    joined = entry_of(db, caller).joined_at
    response = as_ann.post(f"{PAGE}/escalate", {"mode": "cold", "to_tier": "2",
                                                 "reason": "hardware fault, needs tier 2"})
    assert response.status_code == 302
    # Twilio moves the caller out of the conference, to be told why and queued again.
    [moved] = twilio.redirected
    assert moved["call"] == caller.call_sid and "why=escalated" in moved["Url"]
    caller.redirected(moved["Url"])
    caller.hears("more specialised team", "first in their line")
    assert caller.in_queue and caller.queue["name"] == "tier2"
    entry = entry_of(db, caller)
    assert entry.status == "waiting" and entry.tier == 2 and entry.joined_at == joined
    ticket = fresh(db, Ticket, entry.ticket_id)
    assert ticket.tier == 2
    assert any("hardware fault, needs tier 2" in t for t in events(db, "escalated"))
    assert any("head of tier 2's line" in t for t in events(db, "escalated_cold"))
    # First in tier 2's line, ahead of a critical caller who waited longer.
    as_ann.client.post("/logout", data={"csrf_token": as_ann.token})
    as_ann.login("tess")
    waiting = as_ann.get("/console/live.json").get_json()["waiting"]
    assert [w["ticket"] for w in waiting][0] == ticket.number and len(waiting) == 2


def test_beyond_tier_three_needs_an_approver_and_leaves_the_caller_with_the_analyst(
        as_ann, users, call, db, demo, clock, twilio, analyst):
    ann_on_a_call(as_ann, users, call, twilio, analyst, db)
    refused = as_ann.post(f"{PAGE}/escalate", {"mode": "cold", "to_tier": "4",
                                                "reason": "contract dispute"})
    assert refused.status_code == 400 and "needs an approver" in refused.get_data(as_text=True)
    assert the_ticket(db).tier == 1
    ok = as_ann.post(f"{PAGE}/escalate", {"mode": "cold", "to_tier": "4",
                                           "reason": "contract dispute",
                                           "approver": "Dana Lead"})
    assert ok.status_code == 302
    assert the_ticket(db).tier == 4
    assert twilio.redirected == [] and len(twilio.analyst_legs()) == 1  # the call goes on
    assert "the caller stays with you" in as_ann.get(PAGE).get_data(as_text=True)


def test_live_actions_need_a_login_and_a_csrf_token(console, users, call, db, demo, clock,
                                                    twilio, analyst):
    page = console.client.get(PAGE)
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert console.client.post(f"{PAGE}/escalate", data={"mode": "cold"}).status_code in (
        302, 400)  # refused before anything is read
    ann_on_a_call(console, users, call, twilio, analyst, db)  # not logged in yet
    console.login("ann")
    bare = console.client.post(f"{PAGE}/escalate", data={"mode": "cold", "to_tier": "2",
                                                         "reason": "x"})
    assert bare.status_code == 400  # no CSRF token
    assert twilio.redirected == []
    assert db.scalar(select(Participant.status).where(Participant.role == "caller")) == "joined"
    assert db.scalar(select(Conference.status)) == "live"
    assert db.scalar(select(QueueEntry.status)) == "bridging"


def test_hold_asks_the_caller_first_then_plays_them_how_long_and_the_music(
        as_ann, users, call, db, demo, clock, twilio, analyst):
    caller, room, _leg = ann_on_a_call(as_ann, users, call, twilio, analyst, db)
    page = as_ann.get(PAGE).get_data(as_text=True)
    assert "May I put you on hold for about two minutes?" in page
    refused = as_ann.post(f"{PAGE}/hold", {"minutes": "2"})  # not asked first
    assert refused.status_code == 400 and "Ask the caller first" in refused.get_data(as_text=True)
    assert twilio.changed == []
    assert as_ann.post(f"{PAGE}/hold", {"minutes": "2", "agreed": "yes"}).status_code == 302
    [hold] = twilio.changed
    assert hold["call"] == caller.call_sid and hold["conference"] == room.sid
    assert hold["Hold"] == "true" and hold["HoldMethod"] == "POST"
    # What Twilio plays the caller: told how long first, then the hold music.
    _status, held = caller.post(hold["HoldUrl"], caller.params)
    assert "back with you in about 2 minutes" in held
    assert held.index("2 minutes") < held.index("<Play")  # then the policy's music
    room.event("participant-hold", caller.call_sid, "caller")
    assert "On hold since 10:00:" in as_ann.get(PAGE).get_data(as_text=True)
    assert any("put the caller on hold for about 2 min (the caller agreed)" in t
               for t in events(db, "hold"))
    clock.advance(95)
    assert as_ann.post(f"{PAGE}/resume").status_code == 302
    assert twilio.changed[-1]["Hold"] == "false" and "HoldUrl" not in twilio.changed[-1]
    assert any("off hold after 95 s" in t for t in events(db, "hold_resumed"))
    assert as_ann.post(f"{PAGE}/resume").status_code == 400  # not on hold any more


def test_a_hold_twilio_refuses_is_said_and_changes_nothing(as_ann, users, call, db, demo,
                                                            clock, twilio, analyst):
    ann_on_a_call(as_ann, users, call, twilio, analyst, db)
    twilio.refuse.add("update_participant")
    refused = as_ann.post(f"{PAGE}/hold", {"minutes": "2", "agreed": "yes"})
    assert refused.status_code == 400 and "Twilio refused" in refused.get_data(as_text=True)
    assert db.scalar(select(Participant.on_hold).where(Participant.role == "caller")) is False
    assert events(db, "hold") == []
