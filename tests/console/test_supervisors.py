"""Team leads on live calls: they see the calls going on and listen (muted), whisper (coach the
analyst) or barge in from their phone; Twilio is asked for exactly that, and each is on the
ticket's timeline and in the audit log."""

from __future__ import annotations

from sqlalchemy import select

from tickets.accounts import AuditLog
from tickets.models import Participant, TicketEvent

from .test_live_calls import ann_on_a_call, the_ticket

LIVE = "/console/live-calls"
LEAD_PHONE = "+15550142999"


def timeline(db, kind):
    return [e.text for e in db.scalars(select(TicketEvent).where(TicketEvent.kind == kind))]


def audited(db):
    return [(a.user, a.action) for a in db.scalars(select(AuditLog).order_by(AuditLog.id))
            if a.action.startswith("supervise_")]


def test_a_team_lead_listens_then_whispers_then_barges(console, users, call, db, demo, clock,
                                                       twilio, analyst):
    _caller, room, ann_leg = ann_on_a_call(console, users, call, twilio, analyst, db)
    console.login("lead")
    page = console.get(LIVE).get_data(as_text=True)
    ticket = the_ticket(db)
    assert ticket.number in page and "Ann Analyst (tier 1)" in page

    assert console.post(f"{LIVE}/{room_id(db)}/listen", {"phone": LEAD_PHONE}).status_code == 302
    [added] = twilio.added
    assert added["conference"] == room.sid and added["To"] == LEAD_PHONE
    assert added["From"] == "+15550100000" and added["Muted"] == "true"
    assert "Coaching" not in added and added["EndConferenceOnExit"] == "false"
    assert added["Label"].startswith("lead-")
    assert added["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    room.event("participant-join", added["sid"], added["Label"], Muted="true")
    lead_leg = db.scalar(select(Participant).where(Participant.role == "supervisor"))
    assert lead_leg.status == "joined" and lead_leg.muted

    console.get(LIVE)
    assert console.post(f"{LIVE}/{room_id(db)}/whisper").status_code == 302
    [coach] = twilio.changed
    assert coach["call"] == added["sid"] and coach["Coaching"] == "true"
    assert coach["CallSidToCoach"] == ann_leg.call_sid and coach["Muted"] == "false"
    console.get(LIVE)
    assert console.post(f"{LIVE}/{room_id(db)}/barge").status_code == 302
    barge = twilio.changed[-1]
    assert barge["Coaching"] == "false" and barge["Muted"] == "false"
    assert len(twilio.added) == 1  # one phone call; only its mode changed

    assert timeline(db, "supervisor_listen") == ["Dana Lead (team lead) listened in (muted)"]
    assert timeline(db, "supervisor_whisper") == [
        "Dana Lead (team lead) coached the analyst (whisper)"]
    assert timeline(db, "supervisor_barge") == ["Dana Lead (team lead) joined the call (barge)"]
    assert all(e.ticket_id == ticket.id for e in db.scalars(
        select(TicketEvent).where(TicketEvent.kind.like("supervisor_%"))))
    assert audited(db) == [("lead", "supervise_listen"), ("lead", "supervise_whisper"),
                           ("lead", "supervise_barge")]


def room_id(db):
    from tickets.models import Conference

    return db.scalar(select(Conference.id).where(Conference.status == "live"))


def test_supervising_needs_the_team_lead_role_and_a_csrf_token(console, users, call, db, demo,
                                                               clock, twilio, analyst):
    ann_on_a_call(console, users, call, twilio, analyst, db)
    assert "/login" in console.client.get(LIVE).headers["Location"]
    for who in ("ann", "admin"):
        console.login(who)
        assert console.get(LIVE).status_code == 403
        assert console.post(f"{LIVE}/{room_id(db)}/listen",
                            {"phone": LEAD_PHONE}).status_code == 403
        console.client.post("/logout", data={"csrf_token": console.token})
    console.login("lead")
    bare = console.client.post(f"{LIVE}/{room_id(db)}/barge", data={"phone": LEAD_PHONE})
    assert bare.status_code == 400  # no CSRF token
    assert twilio.added == [] and audited(db) == []


def test_a_bad_mode_number_or_call_is_refused_with_why(console, users, call, db, demo, clock,
                                                       twilio, analyst):
    ann_on_a_call(console, users, call, twilio, analyst, db)
    console.login("lead")
    console.get(LIVE)
    spy = console.post(f"{LIVE}/{room_id(db)}/spy", {"phone": LEAD_PHONE})
    assert spy.status_code == 400 and "listens, whispers or barges" in spy.get_data(as_text=True)
    console.get(LIVE)
    bad = console.post(f"{LIVE}/{room_id(db)}/listen", {"phone": "12"})
    assert bad.status_code == 400 and "cannot be dialled" in bad.get_data(as_text=True)
    console.get(LIVE)
    nophone = console.post(f"{LIVE}/{room_id(db)}/listen")
    assert nophone.status_code == 400 and "phone to ring you" in nophone.get_data(as_text=True)
    assert console.post(f"{LIVE}/999/listen", {"phone": LEAD_PHONE}).status_code == 404
    assert twilio.added == [] and audited(db) == []
