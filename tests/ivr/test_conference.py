"""Callers put through in a conference of their own: the rows follow Twilio's conference and
leg callbacks (in any order, any number of times), and what the caller and the analyst hear."""

from __future__ import annotations

from sqlalchemy import select

from tickets.models import Agent, Conference, Participant, QueueEntry

from ..twilio_fake import leg_status
from .test_queue import add_agent, entry_of, put_through, timeline, to_queue


def fresh(db, model, id_):
    row = db.get(model, id_, populate_existing=True)
    assert row is not None
    return row


def legs(db, room_name):
    conference = db.scalar(select(Conference).where(Conference.name == room_name)
                           .execution_options(populate_existing=True))
    rows = db.scalars(select(Participant).where(Participant.conference_id == conference.id)
                      .order_by(Participant.id).execution_options(populate_existing=True))
    return conference, {row.role: row for row in rows}


def test_the_caller_waits_in_their_own_conference_to_the_music_until_the_analyst_joins(
        call, db, demo, clock, twilio, analyst):
    ann = add_agent(db, "Ann", tier=1)
    other = to_queue(call, number="+393331234567")
    add_agent(db, "Bob", tier=1)
    caller = to_queue(call)
    other.redirected(twilio.dequeued[0]["url"])
    caller.redirected(twilio.dequeued[1]["url"])
    assert other.conferences != caller.conferences  # one conference per call
    assert caller.room["startConferenceOnEnter"] == "false"  # waits for the analyst
    assert caller.room["endConferenceOnExit"] == "true"
    _status, music = caller.post(caller.room["waitUrl"], caller.params)
    assert "<Play" in music  # the policy's hold music
    # The analyst's leg: from the line, ringing 20 s, every status reported.
    placed = twilio.analyst_legs()[-1]
    assert placed["From"] == "+15550100000" and placed["Timeout"] == "20"
    assert placed["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    leg = analyst(placed)
    leg.hears("Ticket", "printer jams")  # the whisper first
    assert leg.room["startConferenceOnEnter"] == "true"
    conference, rows = legs(db, caller.conferences[0])
    assert conference.status == "waiting" and rows["analyst"].status == "dialing"
    assert rows["analyst"].agent_id in (ann.id, ann.id + 1)


def test_callbacks_replayed_out_of_order_and_twice_keep_the_rows_true(
        call, db, demo, clock, twilio, analyst):
    ann = add_agent(db, "Ann", tier=1)
    caller = to_queue(call)
    room, leg = put_through(caller, twilio, analyst, ann)
    conference, rows = legs(db, room.name)
    assert conference.status == "live" and conference.sid == room.sid
    assert rows["caller"].status == "joined" and rows["analyst"].status == "joined"

    hold = room.sequence + 1
    room.event("participant-unhold", caller.call_sid, "caller", seq=hold + 1)  # arrives first
    room.event("participant-hold", caller.call_sid, "caller", seq=hold)  # late: ignored
    _, rows = legs(db, room.name)
    assert rows["caller"].on_hold is False
    room.sequence = hold + 1
    room.event("participant-mute", leg.call_sid, f"analyst-{ann.id}")
    room.replay(-1)  # the same callback twice
    room.event("participant-unmute", leg.call_sid, f"analyst-{ann.id}")
    room.replay(-2)  # the mute again, after the unmute
    _, rows = legs(db, room.name)
    assert rows["analyst"].muted is False

    # The analyst hangs up: their leave, the conference's end, then a join replayed late.
    room.event("participant-leave", leg.call_sid, f"analyst-{ann.id}")
    room.event("conference-end")
    room.replay(2)  # the analyst's join, again
    conference, rows = legs(db, room.name)
    assert rows["analyst"].status == "left" and conference.status == "ended"
    assert fresh(db, Agent, ann.id).status == "wrap_up"
    caller.dial_ends("completed", 180)
    caller.hears("Goodbye")
    placed = twilio.analyst_legs()[-1]
    leg_status(caller, placed, "completed", 3, duration=190)  # the leg's own end, last
    leg_status(caller, placed, "answered", 2)  # and an older one after it
    agent = fresh(db, Agent, ann.id)
    assert agent.status == "wrap_up" and agent.no_answer_count == 0
    entry = entry_of(db, caller)
    assert entry.status == "done" and entry.handled_seconds == 180
    assert twilio.redirected == []  # nobody was moved


def test_a_leg_twilio_will_not_place_leaves_the_caller_at_their_place(call, db, demo, clock,
                                                                      twilio):
    ann = add_agent(db, "Ann", tier=1)
    caller = to_queue(call)
    joined = entry_of(db, caller).joined_at
    twilio.refuse.add("create_call")
    caller.redirected(twilio.dequeued[0]["url"])
    caller.hears("could not take your call", "keep your place")
    assert caller.in_queue and caller.conferences == []
    entry = entry_of(db, caller)
    assert entry.joined_at == joined
    assert len(twilio.dequeued) == 2  # Ann was free again at once: offered again
    assert fresh(db, Agent, ann.id).no_answer_count == 0  # not her fault
    assert any("could not be dialled" in t for t in timeline(db, "agent_no_answer"))


def test_a_caller_who_hangs_up_before_the_analyst_answers_has_abandoned(
        call, db, demo, clock, twilio, analyst):
    ann = add_agent(db, "Ann", tier=1)
    caller = to_queue(call)
    caller.redirected(twilio.dequeued[0]["url"])
    caller.dial_ends("completed", 12)  # the caller's <Dial> ends: they hung up waiting
    entry = entry_of(db, caller)
    assert entry.status == "abandoned"
    placed = twilio.analyst_legs()[-1]
    leg_status(caller, placed, "no-answer", 2)  # Ann's phone stops ringing
    agent = fresh(db, Agent, ann.id)
    assert agent.status == "available" and agent.no_answer_count == 0
    assert twilio.redirected == []  # nobody left to move
    _status, body = caller.post(placed["Url"], {**caller.params, "CallSid": placed["sid"]})
    assert "no longer on the line" in body  # had Ann answered after all
    assert db.scalar(select(QueueEntry.status)) == "abandoned"


def test_a_repeated_bridge_request_dials_the_analyst_once(call, db, demo, clock, twilio):
    add_agent(db, "Ann", tier=1)
    caller = to_queue(call)
    caller.redirected(twilio.dequeued[0]["url"])
    first = caller.conferences[-1]
    caller.redirected(twilio.dequeued[0]["url"])  # Twilio asks again
    assert len(twilio.analyst_legs()) == 1 and caller.conferences == [first, first]
