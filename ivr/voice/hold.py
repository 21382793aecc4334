"""Queue and hold webhooks: arriving, consent, the waitUrl loop, callbacks, voicemail, the
bridge to an analyst. Each is about one caller's queue entry (?e=N); the rules are in
``ivr.queues``, the TwiML in ``queue_twiml``."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from flask import current_app, url_for
from sqlalchemy import Select, bindparam, select
from twilio.twiml.voice_response import VoiceResponse

from tickets import phones, versions
from tickets.models import Agent, Call, Conference, QueueEntry, Ticket
from tickets.statuses import CallStatus, ConferenceStatus, QueueStatus

from .. import twilio_rest
from ..logs import about_ticket
from ..queues import callbacks, legs, lineup, service
from . import calls, queue_twiml, speaker, twiml
from .replies import Replay
from .webhook import Hook, webhook

log = logging.getLogger(__name__)

CONFIRM_KEYS = {"1": "hold", "2": "callback", "3": "voicemail"}
LEAVE_KEYS = {"2": "callback", "3": "voicemail"}  # pressed while holding
MAX_WAIT = 7 * 24 * 3600.0  # seconds: the longest wait an offer to hold can have announced

EntryHandler = Callable[[Hook, QueueEntry], str]


# A queue entry with its ticket (loaded, for the handlers that read it) or only its number (for
# the logs), and what its Speaker needs of its call (``speaker.CallFacts``), in one statement:
# built once.
def _entry_read(about: Any) -> Select[Any]:
    return (select(QueueEntry, about, *speaker.CALL_FACTS)
            .outerjoin(Ticket, Ticket.id == QueueEntry.ticket_id)
            .outerjoin(Call, Call.id == QueueEntry.call_id)
            .where(QueueEntry.id == bindparam("id")))


_ENTRY_WITH_TICKET = _entry_read(Ticket)
_ENTRY_WITH_NUMBER = _entry_read(Ticket.number)


def entry_webhook(rule: str, unknown: Callable[[], str] = queue_twiml.plain_goodbye,
                  replay: Replay = Replay.REQUEST, spooled: Callable[[], str] | None = None,
                  ticket: bool = False) -> Callable[[EntryHandler], EntryHandler]:
    """A webhook about one caller's queue entry (?e=N); an unknown entry hears ``unknown()``.
    ``ticket``: the handler (or what it calls) reads the entry's ``Ticket``, loaded with the
    entry; otherwise only the ticket's number is read with it (for the logs)."""
    read = _ENTRY_WITH_TICKET if ticket else _ENTRY_WITH_NUMBER

    def decorate(handler: EntryHandler) -> EntryHandler:
        def with_entry(hook: Hook) -> str:
            entry_id = hook.number("e")
            row = hook.session.execute(read, {"id": entry_id}).first() \
                if entry_id is not None else None
            if row is None:
                return unknown()
            entry, about, *facts = row
            about_ticket(about.number if isinstance(about, Ticket) else about)
            if entry.call_id is not None:
                speaker.read_with(hook.session, entry.call_id, speaker.CallFacts(*facts))
            return handler(hook, entry)

        with_entry.__name__ = with_entry.__qualname__ = handler.__name__  # the endpoint's name
        with_entry.__doc__ = handler.__doc__
        webhook(rule, replay=replay, spooled=spooled)(with_entry)
        return handler

    return decorate


_CALL_BY_SID = select(Call).where(Call.sid == bindparam("sid"))  # built once


def _call_of(hook: Hook) -> Call | None:
    """The caller's call, its ticket named in the logs from here on (None: not ours)."""
    sid = hook.call_sid
    call = hook.session.scalar(_CALL_BY_SID, {"sid": sid}) if sid else None
    if call is not None:
        about_ticket(calls.ticket_number(call.state))
    return call


@webhook("/queue/arrive")
def queue_arrive(hook: Hook) -> str:
    """The intake hands the caller to the queues."""
    call = _call_of(hook)
    if call is None:
        return queue_twiml.plain_goodbye()
    return queue_twiml.arrival(hook.session, call, hook.now)


@webhook("/queue/emergency/dialed")
def queue_emergency_dialed(hook: Hook) -> str:
    """The <Dial> action after hours: the engineer on call answered, or a callback is booked."""
    call = _call_of(hook)
    if call is None:
        return queue_twiml.plain_goodbye()
    return queue_twiml.emergency_dialed(hook.session, call, hook.form.get("DialCallStatus", ""),
                                        hook.now)


@entry_webhook("/queue/consent", ticket=True)
def queue_consent(hook: Hook, entry: QueueEntry) -> str:
    """The answer to the offer: 1 hold, 2 callback, 3 voicemail. Asked up to three times;
    a caller who still stays on the line without answering is kept on hold."""
    voice = queue_twiml.speaker(hook.session, entry)
    choice = CONFIRM_KEYS.get(hook.key)
    try:
        wait = float(hook.args.get("w", "0"))
    except ValueError:
        wait = 0.0
    if not math.isfinite(wait) or not 0 <= wait <= MAX_WAIT:
        wait = 0.0  # not a wait this line announced (nan, inf, negative): none
    attempts = hook.number("s") or 0
    implied = choice is None and attempts >= 2
    if choice is None and not implied:
        position, wait = lineup.position_and_estimate(hook.session, entry, hook.now, voice.pol)
        return queue_twiml.consent(voice, entry, wait, position, attempts + 1)
    if choice == "hold" or implied:
        service.give_consent(hook.session, entry, wait, hook.now, implied=implied)
        response = VoiceResponse()
        voice.say(response, "thanks_hold")
        queue_twiml.enqueue(response, entry)
        return str(response)
    if choice == "callback":
        return queue_twiml.callback_number(voice, entry, hook.now)
    return queue_twiml.voicemail(voice, entry)


def _pause(seconds: int) -> Callable[[], str]:
    def answer() -> str:
        response = VoiceResponse()
        response.pause(length=seconds)
        return str(response)

    return answer


@entry_webhook("/queue/wait", unknown=_pause(5), replay=Replay.NONE)
def queue_wait(hook: Hook, entry: QueueEntry) -> str:
    """Twilio's waitUrl, fetched whenever the hold document ends: an analyst if one is free,
    else this pass's message (if any) and the music. Each fetch is a new pass (kept no answer
    for repeats): what it says depends on the time, and a repeat at one time says nothing
    twice (``ivr.queues.hold``)."""
    router = twilio_rest.router(current_app)
    step = router.hold_pass(hook.session, entry, hook.form.get("QueueSid"), hook.now)
    if step is None:
        return _pause(2)()  # being connected
    voice = queue_twiml.speaker(hook.session, entry)
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action=url_for("voice.queue_hold_key", e=entry.id),
                             method="POST", timeout=1)
    if step.say == "late":
        voice.say(gather, "late", minutes=queue_twiml.minutes(step.new_estimate or 60))
    elif step.say == "position":
        voice.say(gather, "position", position=step.position)
    elif step.say:
        voice.say(gather, step.say, minutes=queue_twiml.minutes(step.new_estimate or 60))
    if step.offer_callback:
        voice.say(gather, "callback_offer")
    if voice.pol.music_url:
        gather.play(voice.pol.music_url)
    else:
        gather.pause(length=voice.pol.min_gap_seconds)
    return str(response)


@entry_webhook("/queue/hold-key", unknown=twiml.empty)
def queue_hold_key(hook: Hook, entry: QueueEntry) -> str:
    """A key pressed while holding: 2 for a callback, 3 for voicemail (leaves the queue)."""
    intent = LEAVE_KEYS.get(hook.key)
    if intent is None:
        return twiml.empty()  # back to the hold loop
    service.press_to_leave(entry, intent)
    response = VoiceResponse()
    response.leave()
    return str(response)


@entry_webhook("/queue/left", ticket=True)
def queue_left(hook: Hook, entry: QueueEntry) -> str:
    """The <Enqueue> action: the caller left the queue (bridge over, hung up, <Leave/>, ...)."""
    position = hook.number("QueuePosition", "form")
    if position is None:
        pol = versions.live_policy(hook.session)
        position = lineup.position_in_line(hook.session, entry, hook.now, pol)
    what = service.leave(hook.session, entry, hook.form.get("QueueResult", ""), position,
                         hook.now)
    if what == "callback":
        return queue_twiml.callback_number(queue_twiml.speaker(hook.session, entry), entry,
                                           hook.now)
    if what == "voicemail":
        return queue_twiml.voicemail(queue_twiml.speaker(hook.session, entry), entry)
    return twiml.hangup()


def _tries(hook: Hook) -> int | None:
    """Answers to this callback question that arranged nothing before this one (``s``), plus
    this one; None once that makes ``CALLBACK_TRIES``: the line stops asking."""
    tries = (hook.number("s") or 0) + 1
    return tries if tries < queue_twiml.CALLBACK_TRIES else None


def callback_given_up(hook: Hook, entry: QueueEntry, voice: speaker.Speaker) -> str:
    """Three answers arranged no callback (nothing keyed, a key not offered, numbers the line
    will not call): the asking ends. With the desk open the caller goes back in line, holding,
    their place kept (as one who stays on the line at the offer to hold); after hours or with
    nobody staffed they hear their ticket's number to call again about, and goodbye."""
    response = VoiceResponse()
    if entry.status == QueueStatus.WAITING:
        _position, wait = lineup.position_and_estimate(hook.session, entry, hook.now, voice.pol)
        service.back_in_line(hook.session, entry, wait, hook.now)
        voice.say(response, "callback_not_arranged_hold", minutes=queue_twiml.minutes(wait))
        queue_twiml.enqueue(response, entry)
        return str(response)
    entry.intent = None  # not leaving for a callback any more
    ticket = hook.session.get(Ticket, entry.ticket_id) if entry.ticket_id else None
    voice.say(response, "callback_not_arranged",
              ticket=" ".join(ticket.number) if ticket and ticket.number else "")
    return queue_twiml.goodbye(response, voice)


@entry_webhook("/queue/callback/number", ticket=True)
def queue_callback_number(hook: Hook, entry: QueueEntry) -> str:
    """The number read back: 1 it is right, 2 key another (asked up to three times)."""
    voice = queue_twiml.speaker(hook.session, entry)
    number, _confirmed = callbacks.offered_number(hook.session, entry)
    if hook.key == "1" and number:
        callbacks.choose_callback_number(entry, number)
        return queue_twiml.callback_window(voice, entry, hook.now)
    if hook.key == "2":
        return queue_twiml.callback_key(voice, entry)
    tries = _tries(hook)
    if tries is None:
        return callback_given_up(hook, entry, voice)
    return queue_twiml.callback_number(voice, entry, hook.now, tries=tries)


@entry_webhook("/queue/callback/keyed", ticket=True)
def queue_callback_keyed(hook: Hook, entry: QueueEntry) -> str:
    """A keyed number, read the way the caller's own number reads (their country); one the
    line will not call (the policy's rule) is refused now, before any callback is promised.
    Nothing keyed is asked again as not heard; three answers without a number end the asking."""
    voice = queue_twiml.speaker(hook.session, entry)
    keyed = (hook.form.get("Digits") or "").strip()
    number, _why = phones.keyed_number(keyed, entry.caller_number,
                                       voice.pol.outbound.dial_rule()) if keyed else (None, "")
    if number is None:
        tries = _tries(hook)
        if tries is None:
            return callback_given_up(hook, entry, voice)
        return queue_twiml.callback_key(voice, entry, refused=bool(keyed), tries=tries)
    callbacks.choose_callback_number(entry, number)
    return queue_twiml.callback_window(voice, entry, hook.now)


@entry_webhook("/queue/callback/window", ticket=True)
def queue_callback_window(hook: Hook, entry: QueueEntry) -> str:
    """When to call back, to the number chosen (kept on the entry); the booking commits (with
    the webhook) before it is confirmed."""
    voice = queue_twiml.speaker(hook.session, entry)
    number = entry.callback_number
    if number is None:
        return queue_twiml.callback_number(voice, entry, hook.now)
    if hook.key == "3":
        return queue_twiml.callback_key(voice, entry)
    at = queue_twiml.one_callback(voice, entry, hook.now)
    if at is not None:  # 1, the one moment offered (2 is not)
        booked = callbacks.request_callback(
            hook.session, entry, number, at, None, hook.now) if hook.key == "1" else None
    else:
        booked = callbacks.book_callback(hook.session, entry, number, hook.key, hook.now,
                                         queue_twiml.later_slot(voice, entry, hook.now))
    if booked is None:
        tries = _tries(hook)
        if tries is None:
            return callback_given_up(hook, entry, voice)
        return queue_twiml.callback_window(voice, entry, hook.now, tries=tries)
    ticket = hook.session.get(Ticket, entry.ticket_id) if entry.ticket_id else None
    response = VoiceResponse()
    voice.say(response, "callback_confirm", number=queue_twiml.spoken_number(number),
              ticket=" ".join(ticket.number) if ticket and ticket.number else "")
    return queue_twiml.goodbye(response, voice)


def _voicemail_kept() -> str:
    return twiml.goodbye("Thank you. Your message has been received. Goodbye.",
                         current_app.config["FALLBACK_VOICE"])


@entry_webhook("/queue/voicemail", spooled=_voicemail_kept, ticket=True)
def queue_voicemail(hook: Hook, entry: QueueEntry) -> str:
    """A message left instead of holding (kept in the spool while the database is down)."""
    service.leave_voicemail(hook.session, entry, hook.form.get("RecordingUrl"),
                            hook.form.get("RecordingDuration"), hook.now)
    voice = queue_twiml.speaker(hook.session, entry)
    response = VoiceResponse()
    voice.say(response, "voicemail_thanks")
    return queue_twiml.goodbye(response, voice)


@entry_webhook("/queue/offline")
def queue_offline(hook: Hook, entry: QueueEntry) -> str:
    """After hours or nobody staffed: 1 books a callback for the next opening."""
    voice = queue_twiml.speaker(hook.session, entry)
    if hook.key == "1":
        return queue_twiml.callback_number(voice, entry, hook.now)
    return queue_twiml.goodbye(VoiceResponse(), voice)


# ---- the bridge -----------------------------------------------------------------------------

def _agent(hook: Hook) -> Agent | None:
    agent_id = hook.number("a")
    return hook.session.get(Agent, agent_id) if agent_id is not None else None


@entry_webhook("/queue/bridge")
def queue_bridge(hook: Hook, entry: QueueEntry) -> str:
    """Runs on the dequeued caller's call: thank them, put them in their own conference (the
    hold music plays until the analyst joins) and dial the reserved analyst into it, whisper
    first. A repeat of this request dials nobody twice."""
    agent = _agent(hook)
    if agent is None:
        return queue_twiml.plain_goodbye()
    voice = queue_twiml.speaker(hook.session, entry)
    response = VoiceResponse()
    if entry.status != QueueStatus.BRIDGING:  # a late repeat: the caller is back in line
        queue_twiml.enqueue(response, entry)
        return str(response)
    room = legs.current(hook.session, entry)
    if room is None or legs.analyst_leg(hook.session, room, agent.id) is None:
        room = legs.open_for(hook.session, entry, hook.call_sid)
        service.bridged(hook.session, entry, agent, hook.now)
        rooms = twilio_rest.conferences(current_app)
        if rooms.dial_analyst(hook.session, room, entry, agent) is None:
            legs.end(hook.session, room, hook.now)
            service.not_put_through(hook.session, entry, agent, hook.now)
            voice.say(response, "agent_unavailable")
            queue_twiml.enqueue(response, entry)
            return str(response)
        log.info("call %s put through to analyst %s (queue entry %s, conference %s)",
                 hook.call_sid, agent.id, entry.id, room.id)
    if entry.announced_at is not None:  # they held (a caller put straight through was told)
        voice.say(response, "connecting")
    queue_twiml.join(response, room, "caller",
                     action=url_for("voice.queue_dialed", e=entry.id, a=agent.id, c=room.id))
    return str(response)


def _no_ticket() -> str:
    response = VoiceResponse()
    response.say("Help desk caller, no ticket.")
    return str(response)


@entry_webhook("/queue/whisper", unknown=_no_ticket, ticket=True)
def queue_whisper(hook: Hook, entry: QueueEntry) -> str:
    """What the analyst hears before the caller is connected; then (?c=) they join the
    caller's conference. A caller who hung up meanwhile is said so."""
    ticket = hook.session.get(Ticket, entry.ticket_id) if entry.ticket_id else None
    response = VoiceResponse()
    room_id = hook.number("c")
    room = hook.session.get(Conference, room_id) if room_id is not None else None
    if room is not None and room.status == ConferenceStatus.ENDED:
        response.say("The caller is no longer on the line. Thank you.")
        response.hangup()
        return str(response)
    if ticket is None:
        response.say("Help desk caller, no ticket.")
    else:
        script = versions.live_script(hook.session, current_app.config["INTAKE_SCRIPT"]).parsed
        label = script.priority.labels.get(ticket.priority) if script.priority else None
        name = label.name[script.default_language] if label else ticket.priority
        summary = (ticket.problem or "no description")[:200]
        response.say(f"Ticket {' '.join(ticket.number or '')}, priority {name}. "
                     f"Caller {ticket.caller_name or 'unknown'}. {summary}")
    agent_id = hook.number("a")
    if room is not None and agent_id is not None:
        queue_twiml.join(response, room, f"analyst-{agent_id}", analyst=True)
    return str(response)


@entry_webhook("/queue/dialed")
def queue_dialed(hook: Hook, entry: QueueEntry) -> str:
    """The caller's <Dial> ended: after a call in their conference, wrap-up and goodbye;
    without one, the caller back in line."""
    agent = _agent(hook)
    if agent is None:
        return twiml.hangup()
    duration = hook.number("DialCallDuration", "form") if hook.form.get("DialCallDuration") \
        else 0
    status = hook.form.get("DialCallStatus", CallStatus.FAILED)
    voice = queue_twiml.speaker(hook.session, entry)
    response = VoiceResponse()
    room_id = hook.number("c")
    room = hook.session.get(Conference, room_id) if room_id is not None else None
    if room is not None and status in (CallStatus.COMPLETED, "answered"):
        if entry.status == QueueStatus.BRIDGING:  # not moved on since (back in line, ...)
            legs.caller_done(hook.session, room, entry, duration, hook.now)
        return queue_twiml.goodbye(response, voice)
    if entry.status == QueueStatus.BRIDGING and \
            service.dial_result(hook.session, entry, agent, status, duration, hook.now):
        if room is not None:
            legs.end(hook.session, room, hook.now)
        voice.say(response, "agent_unavailable")
        queue_twiml.enqueue(response, entry)
        return str(response)
    return queue_twiml.goodbye(response, voice)


@entry_webhook("/queue/requeue", replay=Replay.NONE)
def queue_requeue(hook: Hook, entry: QueueEntry) -> str:
    """Twilio moved the caller out of their conference back to a queue: the analyst did not
    answer (?why=missed: at their place again) or escalated them cold (?why=escalated: at the
    head of the next tier's line). Told which, then in line."""
    voice = queue_twiml.speaker(hook.session, entry)
    response = VoiceResponse()
    if entry.status not in (QueueStatus.WAITING, QueueStatus.BRIDGING):
        return queue_twiml.goodbye(response, voice)
    voice.say(response, "escalated" if hook.args.get("why") == "escalated"
              else "agent_unavailable")
    queue_twiml.enqueue(response, entry)
    return str(response)
