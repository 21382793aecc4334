"""The TwiML the queues answer with: arriving, the offer to hold, the ways out of the queue
(a callback, a voicemail) and goodbyes, said through the caller's ``Speaker``."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app, url_for
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from tickets.models import Call, QueueEntry

from ..queues import hold, service
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
        number = current_app.config["EMERGENCY_NUMBER"]
        voice.say(response, "after_hours_emergency")
        if number:
            response.dial(number)
        return goodbye(response, voice)
    assert entry is not None  # only an emergency has no entry
    if arrived.decision in ("after_hours", "nobody"):
        key = "after_hours" if arrived.decision == "after_hours" else "nobody_available"
        when = arrived.next_opening
        url = url_for("voice.queue_offline", e=entry.id)
        gather = response.gather(num_digits=1, action=url, method="POST", timeout=8)
        voice.say(gather, key, opening=voice.local(when, "%A %H:%M") if when else "")
        response.redirect(url, method="POST")
        return str(response)
    if arrived.decision == "connect":  # not held: no "thank you for holding" yet
        if call.direction == "inbound":  # an outbound script has said it is connecting
            voice.say(response, "put_through")
        enqueue(response, entry)
        return str(response)
    return consent(voice, entry, arrived.estimate, arrived.position)


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


def callback_number(voice: Speaker, entry: QueueEntry, again: bool = False) -> str:
    """Call back on the number they call from (1), or another (2)? Without caller ID: key it."""
    number = entry.caller_number
    if not number:
        return callback_key(voice, entry)
    response = VoiceResponse()
    url = url_for("voice.queue_callback_number", e=entry.id)
    gather = response.gather(num_digits=1, method="POST", timeout=8, action=url)
    if again:
        voice.say(gather, "not_understood")
    voice.say(gather, "callback_number", number=" ".join(number.lstrip("+")))
    response.redirect(url, method="POST")
    return str(response)


def callback_key(voice: Speaker, entry: QueueEntry, refused: bool = False) -> str:
    """Key the number to call back, then # (again after a number the line will not call)."""
    response = VoiceResponse()
    url = url_for("voice.queue_callback_keyed", e=entry.id)
    gather = response.gather(finish_on_key="#", method="POST", timeout=10, action=url)
    if refused:
        voice.say(gather, "callback_refused")
    voice.say(gather, "callback_key")
    response.redirect(url, method="POST")
    return str(response)


def callback_window(voice: Speaker, entry: QueueEntry, number: str, now: datetime) -> str:
    """As soon as possible (1), or in the later slot (2)?"""
    response = VoiceResponse()
    slot = service.later_slot(voice.pol, now)
    url = url_for("voice.queue_callback_window", e=entry.id, n=number)
    gather = response.gather(num_digits=1, method="POST", timeout=8, action=url)
    voice.say(gather, "callback_window", slot=voice.local(slot, "%H:%M"))
    response.redirect(url, method="POST")
    return str(response)


def voicemail(voice: Speaker, entry: QueueEntry) -> str:
    """Leave a message after the tone."""
    response = VoiceResponse()
    voice.say(response, "voicemail")
    response.record(action=url_for("voice.queue_voicemail", e=entry.id), method="POST",
                    max_length=180, play_beep=True, timeout=5)
    return goodbye(response, voice)
