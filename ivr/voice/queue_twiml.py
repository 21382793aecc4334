"""The TwiML the queues answer with: arriving, the offer to hold, the ways out of the queue
(a callback, a voicemail) and goodbyes, said through the caller's ``Speaker``."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app, url_for
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from tickets import phones
from tickets.models import Call, Conference, QueueEntry
from tickets.statuses import QueueStatus

from ..outbound import rules
from ..queues import callbacks, conference, hold, service
from .speaker import Speaker

log = logging.getLogger(__name__)


def speaker(session: Session, entry: QueueEntry | None, call: Call | None = None) -> Speaker:
    """The Speaker of a caller's entry (or, before they have one, of their call)."""
    return Speaker(session, entry, call, current_app.config["INTAKE_SCRIPT"])


def minutes(seconds: float) -> int:
    return max(1, round(seconds / 60))


def enqueue(response: VoiceResponse, entry: QueueEntry) -> None:
    """Into Twilio's queue of the entry's tier, the hold loop at its waitUrl."""
    response.enqueue(f"tier{entry.tier}", action=url_for("voice.queue_left", e=entry.id),
                     method="POST", wait_url=url_for("voice.queue_wait", e=entry.id),
                     wait_url_method="POST")


def join(response: VoiceResponse, room: Conference, label: str, analyst: bool = False,
         action: str | None = None) -> None:
    """Into the caller's conference: the caller waits there to the hold music until an
    analyst joins (starting it); the conference ends when either of them leaves (a warm
    hand-over first makes the analyst handing over free to leave)."""
    dial = response.dial(action=action, method="POST") if action else response.dial()
    dial.conference(room.name, start_conference_on_enter=analyst, end_conference_on_exit=True,
                    beep=False, participant_label=label,
                    wait_url=url_for("voice.conference_music", c=room.id), wait_method="POST",
                    status_callback=url_for("voice.conference_events", c=room.id),
                    status_callback_event=conference.CONFERENCE_EVENTS,
                    status_callback_method="POST")


def goodbye(response: VoiceResponse, voice: Speaker) -> str:
    voice.say(response, "goodbye")
    response.hangup()
    return str(response)


def plain_goodbye() -> str:
    """Goodbye to a call the queues do not know (needs no policy)."""
    response = VoiceResponse()
    response.say("Goodbye.")
    response.hangup()
    return str(response)


def arrival(session: Session, call: Call, now: datetime) -> str:
    """A caller the intake hands to the queues: put through, offered to hold, or told when
    the desk opens (an after-hours emergency goes to the engineer on call)."""
    arrived = service.arrive(session, call, now)
    entry = arrived.entry
    log.info("call %s reached the queues: %s%s", call.sid, arrived.decision,
             f" (tier {entry.tier})" if entry else "")
    voice = speaker(session, entry, call)
    response = VoiceResponse()
    if arrived.decision == "emergency":
        return emergency(session, voice, call, now)
    assert entry is not None  # only an emergency has no entry
    if arrived.decision in ("after_hours", "nobody"):
        key = "after_hours" if arrived.decision == "after_hours" else "nobody_available"
        when = arrived.next_opening
        url = url_for("voice.queue_offline", e=entry.id)
        gather = response.gather(num_digits=1, action=url, method="POST", timeout=8)
        voice.say(gather, key, opening=voice.moment(when, now) if when else "")
        response.redirect(url, method="POST")
        return str(response)
    if arrived.decision == "connect":  # not held: no "thank you for holding" yet
        if call.direction == "inbound":  # an outbound script has said it is connecting
            voice.say(response, "put_through")
        enqueue(response, entry)
        return str(response)
    return consent(voice, entry, arrived.estimate, arrived.position)


def emergency(session: Session, voice: Speaker, call: Call, now: datetime) -> str:
    """After hours, a problem that cannot wait: put through to the engineer on call; with no
    one to put through to, a callback at the earliest moment (or, without a number, when to
    call again)."""
    response = VoiceResponse()
    number = current_app.config["EMERGENCY_NUMBER"]
    if not number:
        voice.say(response, "emergency_no_engineer")
        return emergency_callback(session, voice, call, response, now,
                                  "no engineer on call (EMERGENCY_NUMBER is not set)")
    callbacks.emergency_put_through(session, call, now)
    voice.say(response, "after_hours_emergency")
    response.dial(number, action=url_for("voice.queue_emergency_dialed"), method="POST",
                  timeout=voice.pol.outbound.ring_timeout_seconds)
    return str(response)


def emergency_dialed(session: Session, call: Call, status: str, now: datetime) -> str:
    """The <Dial> to the engineer on call ended: over if they answered, else a callback."""
    voice = speaker(session, None, call)
    response = VoiceResponse()
    if status in ("completed", "answered"):
        return goodbye(response, voice)
    voice.say(response, "emergency_unanswered")
    return emergency_callback(session, voice, call, response, now,
                              f"the engineer on call did not answer ({status or 'failed'})")


def emergency_callback(session: Session, voice: Speaker, call: Call, response: VoiceResponse,
                       now: datetime, why: str) -> str:
    """Book the callback for the earliest moment the desk is open and the caller may be
    called, on the ticket's callback number, and say when (no promise without a number)."""
    pol = voice.pol
    ticket = service.main_ticket(session, call)
    number = (ticket.callback_number if ticket else None) or phones.to_e164(call.from_number)
    if number and rules.destination_refusal(number, pol.outbound.dial_rule()):
        number = None  # one the line will not call: no callback promised to it
    due = None
    if number:
        customer = ticket.customer if ticket else None
        window = pol.outbound.quiet_hours
        zones = rules.calling_zones(now, rules.callee_zones(
            number, customer.timezone if customer else voice.customer_timezone(),
            voice.desk_timezone), window)
        due = rules.earliest_call(now, pol.hours, zones, window)
    booked = callbacks.emergency_callback(session, call, number, due, why, now)
    said = spoken_number(ticket.number) if ticket and ticket.number else ""
    if booked is not None:
        voice.say(response, "emergency_callback", number=spoken_number(booked.to_number),
                  slot=voice.moment(booked.due_at, now, booked.to_number), ticket=said)
    else:
        voice.say(response, "emergency_no_number", ticket=said,
                  opening=voice.moment(pol.next_opening(now), now))
    return goodbye(response, voice)


def consent(voice: Speaker, entry: QueueEntry, estimate: float, position: int,
            attempts: int = 0) -> str:
    """Offer to hold, with the estimated wait; attempts counts offers already unanswered."""
    response = VoiceResponse()
    url = url_for("voice.queue_consent", e=entry.id, w=int(estimate), s=attempts)
    gather = response.gather(num_digits=1, action=url, method="POST", timeout=8)
    if attempts:
        voice.say(gather, "not_understood")
    tell = hold.should_tell_position(voice.pol, position)
    voice.say(gather, "consent", minutes=minutes(estimate), position=position if tell else "")
    if tell:
        voice.say(gather, "position", position=position)
    voice.say(gather, "consent_menu")
    response.redirect(url, method="POST")
    return str(response)


def spoken_number(number: str) -> str:
    """A phone number said digit by digit."""
    return " ".join(number.lstrip("+"))


# Answers to the callback's questions that arrange nothing (no key, a key not offered, a
# number the line will not call): the third ends the asking (``hold.callback_given_up``).
CALLBACK_TRIES = 3


def _callback_url(endpoint: str, entry: QueueEntry, tries: int) -> str:
    """A callback question's URL; ``s`` counts the answers that arranged nothing so far."""
    return url_for(endpoint, e=entry.id, s=tries) if tries else url_for(endpoint, e=entry.id)


def callback_number(voice: Speaker, entry: QueueEntry, now: datetime, tries: int = 0) -> str:
    """The number to call back: the ticket's (given in intake), read back; asked to confirm
    only when the caller has not confirmed it in this call already. Without one: key it.
    ``tries``: answers not understood so far (then it says so first)."""
    number, confirmed = callbacks.offered_number(voice.session, entry)
    if not number:
        return callback_key(voice, entry)
    if confirmed:
        callbacks.choose_callback_number(entry, number)
        return callback_window(voice, entry, now, read_back=True)
    response = VoiceResponse()
    url = _callback_url("voice.queue_callback_number", entry, tries)
    gather = response.gather(num_digits=1, method="POST", timeout=8, action=url)
    if tries:
        voice.say(gather, "not_understood")
    voice.say(gather, "callback_number", number=spoken_number(number))
    response.redirect(url, method="POST")
    return str(response)


def callback_key(voice: Speaker, entry: QueueEntry, refused: bool = False,
                 tries: int = 0) -> str:
    """Key the number to call back, then # (again after a number the line will not call,
    ``refused``, or after nothing keyed)."""
    response = VoiceResponse()
    url = _callback_url("voice.queue_callback_keyed", entry, tries)
    gather = response.gather(finish_on_key="#", method="POST", timeout=10, action=url)
    if refused:
        voice.say(gather, "callback_refused")
    elif tries:
        voice.say(gather, "not_understood")
    voice.say(gather, "callback_key")
    response.redirect(url, method="POST")
    return str(response)


def callback_window(voice: Speaker, entry: QueueEntry, now: datetime,
                    read_back: bool = False, tries: int = 0) -> str:
    """As soon as possible (1), or in the later slot (2)? When the number may not be called
    now there is one choice (1), the first moment it may (``one_callback``). The number
    chosen is kept on the queue entry, never in the URL; ``read_back`` says it first
    (confirmed in intake) and offers another instead (3); ``tries``: answers that chose
    nothing so far (then it says so first)."""
    response = VoiceResponse()
    url = _callback_url("voice.queue_callback_window", entry, tries)
    gather = response.gather(num_digits=1, method="POST", timeout=8, action=url)
    if tries:
        voice.say(gather, "not_understood")
    if read_back and entry.callback_number:
        voice.say(gather, "callback_on", number=spoken_number(entry.callback_number))
    at = one_callback(voice, entry, now)
    if at is not None:
        if entry.status == QueueStatus.AFTER_HOURS and at == voice.pol.next_opening(now):
            voice.say(gather, "callback_at_opening")
        else:  # the number may be called later than the opening: the moment it will be
            voice.say(gather, "callback_at_slot", slot=voice.moment(at, now))
    else:
        voice.say(gather, "callback_window", slot=voice.moment(later_slot(voice, entry, now),
                                                              now))
    if read_back and entry.callback_number:
        voice.say(gather, "callback_other")
    response.redirect(url, method="POST")
    return str(response)


def one_callback(voice: Speaker, entry: QueueEntry, now: datetime) -> datetime | None:
    """The one callback moment offered, when the number may not be called now: after hours,
    the first moment the desk is open and the number may be called (``first_callback``);
    with the desk open, the first moment its calling hours allow (5:00 AM where the callee
    is: 9:00 AM). Then "as soon as an analyst is free" and a later slot would both name that
    moment, and the first would be a promise the dispatcher does not keep. None: the number
    may be called now, and both are offered."""
    if entry.status == QueueStatus.AFTER_HOURS:
        return first_callback(voice, entry, now)
    soonest = _callable_from(voice, entry, now)
    return soonest if soonest > now else None


def first_callback(voice: Speaker, entry: QueueEntry, now: datetime) -> datetime:
    """After hours, the one callback offered: the first moment the desk is open and the number
    chosen may be called (its calling window), which may be later than the opening."""
    return _callable_from(voice, entry, voice.pol.next_opening(now))


def later_slot(voice: Speaker, entry: QueueEntry, now: datetime) -> datetime:
    """The later callback slot offered: the policy's next whole hour, moved on to a moment
    the desk is open and the number chosen may be called (its calling window)."""
    return _callable_from(voice, entry, callbacks.later_slot(voice.pol, now))


def _callable_from(voice: Speaker, entry: QueueEntry, at: datetime) -> datetime:
    """The first moment from ``at`` the desk is open and the number chosen may be called."""
    number = entry.callback_number or entry.caller_number
    if not number:
        return at
    window = voice.pol.outbound.quiet_hours
    zones = rules.calling_zones(at, rules.callee_zones(
        number, voice.customer_timezone(), voice.desk_timezone), window)
    return rules.earliest_call(at, voice.pol.hours, zones, window)


def voicemail(voice: Speaker, entry: QueueEntry) -> str:
    """Leave a message after the tone."""
    response = VoiceResponse()
    voice.say(response, "voicemail")
    response.record(action=url_for("voice.queue_voicemail", e=entry.id), method="POST",
                    max_length=180, play_beep=True, timeout=5)
    return goodbye(response, voice)
