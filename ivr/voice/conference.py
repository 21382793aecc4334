"""Webhooks of callers' conferences (?c=N) and of the legs dialled into them (?p=N): Twilio's
status callbacks, the music a caller waits to, and the hold document. The rules are in
``ivr.queues.conference``."""

from __future__ import annotations

import logging

from flask import current_app
from twilio.twiml.voice_response import VoiceResponse

from tickets.models import Conference, Participant, QueueEntry
from tickets.versions import live_policy

from .. import twilio_rest
from ..queues import legs
from . import queue_twiml, twiml
from .replies import Replay
from .webhook import Hook, webhook

log = logging.getLogger(__name__)


def _room(hook: Hook) -> Conference | None:
    room_id = hook.number("c")
    return hook.session.get(Conference, room_id, with_for_update=True) \
        if room_id is not None else None


def _entry(hook: Hook, room: Conference | None) -> QueueEntry | None:
    return hook.session.get(QueueEntry, room.queue_entry_id) \
        if room is not None and room.queue_entry_id else None


@webhook("/conference/events", missing=twiml.empty, on_failure=twiml.empty)
def conference_events(hook: Hook) -> str:
    """A conference status callback (start, end, join, leave, hold, mute, modify): applied
    once, in order of its SequenceNumber."""
    room = _room(hook)
    if room is not None:
        legs.conference_event(hook.session, room, hook.form, hook.now)
    return twiml.empty()


@webhook("/conference/leg", missing=twiml.empty, on_failure=twiml.empty)
def conference_leg(hook: Hook) -> str:
    """A status callback of a leg the line dialled into a conference. An analyst who never
    joined sends the waiting caller back to their place in line."""
    leg_id = hook.number("p")
    leg = hook.session.get(Participant, leg_id, with_for_update=True) \
        if leg_id is not None else None
    if leg is None:
        return twiml.empty()
    if legs.leg_status(hook.session, leg, hook.form, hook.now):
        room = hook.session.get(Conference, leg.conference_id)
        caller = legs.caller_leg(hook.session, room) if room else None
        entry = _entry(hook, room)
        hook.session.commit()  # back in line before Twilio moves the caller
        if caller is not None and caller.call_sid and entry is not None:
            rooms = twilio_rest.conferences(current_app)
            rooms.redirect_caller(caller.call_sid, rooms.urls.requeue(entry.id, "missed"))
    return twiml.empty()


def _music(hook: Hook, room: Conference | None, response: VoiceResponse) -> None:
    entry = _entry(hook, room)
    pol = live_policy(hook.session, entry.tier if entry else None)
    if pol.music_url:
        response.play(pol.music_url, loop=0)
    else:
        response.pause(length=pol.min_gap_seconds)


@webhook("/conference/music", on_failure=twiml.empty, replay=Replay.NONE)
def conference_music(hook: Hook) -> str:
    """What a caller hears in their conference until an analyst joins: the policy's music."""
    response = VoiceResponse()
    _music(hook, _room(hook), response)
    return str(response)


@webhook("/conference/hold", on_failure=twiml.empty, replay=Replay.NONE)
def conference_hold(hook: Hook) -> str:
    """A caller put on hold by their analyst (?m= minutes): told for how long, then music."""
    room = _room(hook)
    entry = _entry(hook, room)
    response = VoiceResponse()
    minutes = hook.number("m")
    if entry is not None and minutes:
        queue_twiml.speaker(hook.session, entry).say(response, "on_hold", minutes=minutes)
    _music(hook, room, response)
    return str(response)
