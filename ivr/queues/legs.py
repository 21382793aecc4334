"""A conference's rows: finding its legs, and applying Twilio's conference and leg callbacks.

    conference: waiting (the caller hears the hold music) -> live (an analyst joined) -> ended
    participant: dialing -> joined -> left | dialing -> missed (never joined)

Each callback applies once, in order of its SequenceNumber, so repeats and late arrivals
change nothing. ``ivr.queues.conference`` places and changes the legs through Twilio.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tickets import timeline
from tickets.models import Agent, Call, Conference, Participant, QueueEntry
from tickets.statuses import (
    FINAL_STATUSES,
    CallStatus,
    ConferenceStatus,
    ParticipantRole,
    ParticipantStatus,
    QueueStatus,
)
from tickets.versions import live_policy

from . import agents, service

ON = (ParticipantStatus.DIALING, ParticipantStatus.JOINED)

def label_of(participant: Participant) -> str:
    """The participant's label in Twilio (ids only, never a name or a number)."""
    if participant.role == ParticipantRole.ANALYST:
        return f"analyst-{participant.agent_id}"
    if participant.role == ParticipantRole.SUPERVISOR:
        return f"lead-{participant.user_id}"
    return "caller"


def current(session: Session, entry: QueueEntry) -> Conference | None:
    """The entry's conference that has not ended, if any."""
    return session.scalar(select(Conference).where(
        Conference.queue_entry_id == entry.id, Conference.status != ConferenceStatus.ENDED)
        .order_by(Conference.id.desc()).limit(1))


def live(session: Session) -> list[Conference]:
    """The calls going on now (started, not ended), oldest first."""
    return list(session.scalars(select(Conference).where(
        Conference.status == ConferenceStatus.LIVE).order_by(Conference.started_at,
                                                              Conference.id)))


def participants(session: Session, conference: Conference, role: str | None = None,
                 on: bool = False) -> list[Participant]:
    """The conference's legs (of one role; only those dialling or in it)."""
    query = select(Participant).where(Participant.conference_id == conference.id)
    if role:
        query = query.where(Participant.role == role)
    if on:
        query = query.where(Participant.status.in_(ON))
    return list(session.scalars(query.order_by(Participant.id)))


def caller_leg(session: Session, conference: Conference) -> Participant | None:
    found = participants(session, conference, ParticipantRole.CALLER)
    return found[0] if found else None


def open_for(session: Session, entry: QueueEntry, call_sid: str) -> Conference:
    """The caller's conference for this bridge: a new one, with the caller's leg."""
    call = session.scalar(select(Call).where(Call.sid == call_sid))  # a callback's callee too
    if call is None and entry.call_id:
        call = session.get(Call, entry.call_id)
    assert call is not None, "a bridged caller has a call"
    conference = Conference(name=f"helpdesk-{secrets.token_hex(10)}", call_id=call.id,
                            queue_entry_id=entry.id, ticket_id=entry.ticket_id)
    session.add(conference)
    session.flush()
    earlier = session.scalar(select(Participant).where(Participant.call_sid == call_sid))
    if earlier is not None:  # the caller's leg of an earlier conference of this call
        earlier.call_sid = None
        session.flush()  # the CallSid is unique: free it before the new leg takes it
    session.add(Participant(conference_id=conference.id, call_sid=call_sid,
                            role=ParticipantRole.CALLER))
    session.flush()
    return conference


def live_leg(session: Session, agent_id: int) -> tuple[Conference, Participant] | None:
    """The call the analyst is on now: their leg, joined, in a conference not ended."""
    found = session.execute(
        select(Conference, Participant).join(Participant,
                                             Participant.conference_id == Conference.id)
        .where(Participant.agent_id == agent_id, Participant.role == ParticipantRole.ANALYST,
               Participant.status == ParticipantStatus.JOINED,
               Conference.status != ConferenceStatus.ENDED)
        .order_by(Participant.id.desc()).limit(1)).first()
    return (found[0], found[1]) if found else None


def analyst_leg(session: Session, conference: Conference, agent_id: int) -> Participant | None:
    """The analyst's leg in the conference, dialling or joined."""
    return session.scalar(select(Participant).where(
        Participant.conference_id == conference.id, Participant.agent_id == agent_id,
        Participant.status.in_(ON)))



# ---- Twilio's callbacks -----------------------------------------------------------------------

def _sequence(form: Mapping[str, str]) -> int | None:
    try:
        return int(form.get("SequenceNumber", ""))
    except ValueError:
        return None


def conference_event(session: Session, conference: Conference, form: Mapping[str, str],
                     now: datetime) -> None:
    """A conference status callback (StatusCallbackEvent), applied once and in order."""
    if form.get("ConferenceSid") and conference.sid is None:
        conference.sid = form["ConferenceSid"]
    event = form.get("StatusCallbackEvent", "")
    seq = _sequence(form)
    if seq is None:
        return
    if event in ("conference-start", "conference-end"):
        if seq <= conference.last_sequence:
            return
        conference.last_sequence = seq
        if event == "conference-start" and conference.status == ConferenceStatus.WAITING:
            conference.status = ConferenceStatus.LIVE
            conference.started_at = now
        elif event == "conference-end":
            end(session, conference, now)
        return
    leg = _leg_of(session, conference, form)
    if leg is None or seq <= leg.last_sequence:
        return
    leg.last_sequence = seq
    if event == "participant-join":
        if leg.status == ParticipantStatus.DIALING:
            leg.status = ParticipantStatus.JOINED
            leg.joined_at = now
        _flags(leg, form)
    elif event == "participant-leave":
        leave(session, conference, leg, now)
    elif event in ("participant-hold", "participant-unhold"):
        leg.on_hold = event == "participant-hold"
        leg.held_at = (leg.held_at or now) if leg.on_hold else None
    elif event in ("participant-mute", "participant-unmute"):
        leg.muted = event == "participant-mute"
    elif event == "participant-modify":
        _flags(leg, form)


def _flags(leg: Participant, form: Mapping[str, str]) -> None:
    if "Hold" in form:
        leg.on_hold = form["Hold"] == "true"
    if "Muted" in form:
        leg.muted = form["Muted"] == "true"


def _leg_of(session: Session, conference: Conference,
            form: Mapping[str, str]) -> Participant | None:
    """The leg a participant callback is about: by CallSid (a leg whose REST answer has not
    been stored yet is found by its label)."""
    sid = form.get("CallSid")
    if not sid:
        return None
    leg = session.scalar(select(Participant).where(Participant.call_sid == sid,
                                                   Participant.conference_id == conference.id))
    if leg is not None:
        return leg
    label = form.get("ParticipantLabel", "")
    for candidate in participants(session, conference, on=True):
        if candidate.call_sid is None and label_of(candidate) == label:
            candidate.call_sid = sid
            return candidate
    return None


def leave(session: Session, conference: Conference, leg: Participant, now: datetime) -> None:
    """A leg left the conference (its leave event, or its call ended): an analyst who was in
    it wraps up."""
    if leg.status not in ON:
        return
    leg.status = ParticipantStatus.LEFT
    leg.left_at = now
    leg.on_hold = False
    if leg.role == ParticipantRole.ANALYST and leg.agent_id is not None:
        agent = session.get(Agent, leg.agent_id)
        assert agent is not None
        agents.call_ended(agent, True, live_policy(session).max_no_answer, now)


def end(session: Session, conference: Conference, now: datetime) -> None:
    """The conference is over: every leg in it has left (a leg still ringing is settled by
    its own status callback)."""
    if conference.status != ConferenceStatus.ENDED:
        conference.status = ConferenceStatus.ENDED
        conference.ended_at = now
    for leg in participants(session, conference, on=True):
        if leg.status == ParticipantStatus.JOINED:
            leave(session, conference, leg, now)


def leg_status(session: Session, leg: Participant, form: Mapping[str, str],
               now: datetime) -> bool:
    """A status callback of an analyst's or team lead's call. Returns True when the caller,
    left waiting for an analyst who never joined, must go back in line."""
    seq = _sequence(form)
    status = form.get("CallStatus", "")
    if seq is not None:
        if seq <= leg.leg_sequence:
            return False
        leg.leg_sequence = seq
    if not leg.call_sid and form.get("CallSid"):
        leg.call_sid = form["CallSid"]
    if status not in FINAL_STATUSES:
        return False
    conference = session.get(Conference, leg.conference_id)
    assert conference is not None
    if leg.status == ParticipantStatus.JOINED:
        leave(session, conference, leg, now)
        return False
    if leg.status != ParticipantStatus.DIALING:
        return False
    leg.status = ParticipantStatus.MISSED
    leg.left_at = now
    if leg.role != ParticipantRole.ANALYST or leg.agent_id is None:
        return False
    agent = session.get(Agent, leg.agent_id)
    entry = session.get(QueueEntry, conference.queue_entry_id) \
        if conference.queue_entry_id else None
    assert agent is not None
    waiting_for_them = (entry is not None and conference.status != ConferenceStatus.ENDED
                        and entry.status == QueueStatus.BRIDGING
                        and not participants(session, conference, ParticipantRole.ANALYST,
                                             on=True))
    if not waiting_for_them:
        agents.free(session, agent.id, now, only_on_call=True)  # the caller went elsewhere
        return False
    answered_as = status if status != CallStatus.COMPLETED else "no-answer"
    assert entry is not None
    service.dial_result(session, entry, agent, answered_as, 0, now)
    conference.status = ConferenceStatus.ENDED  # the caller leaves it for the queue
    conference.ended_at = now
    return True


def caller_done(session: Session, conference: Conference, entry: QueueEntry,
                duration: int | None, now: datetime) -> None:
    """The caller's <Dial> into the conference ended: after a call with an analyst the entry
    is done and the analysts still in it wrap up; before any analyst joined, the caller hung
    up waiting (an analyst still ringing is freed by their leg's callback)."""
    talked = conference.status == ConferenceStatus.LIVE or any(
        leg.status in (ParticipantStatus.JOINED, ParticipantStatus.LEFT)
        for leg in participants(session, conference, ParticipantRole.ANALYST))
    if talked:
        service.call_done(entry, duration, now)
    else:
        service.leave(session, entry, "hangup", None, now)
    caller = caller_leg(session, conference)
    if caller is not None:
        leave(session, conference, caller, now)
    end(session, conference, now)


def record(session: Session, conference: Conference, kind: str, text: str,
           actor: str = "ivr", **data: object) -> None:
    """A line on the timeline of the conference's ticket (and call)."""
    timeline.record_event(session, kind, text, ticket_id=conference.ticket_id,
                          call_id=conference.call_id, actor=actor, data=dict(data))
