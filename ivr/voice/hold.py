"""Queue and hold webhooks: consent, the waitUrl loop, callbacks, voicemail, the bridge."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from flask import Response, current_app, request, url_for
from requests import RequestException
from sqlalchemy import select
from twilio.base.exceptions import TwilioException
from twilio.twiml.voice_response import VoiceResponse

from tickets import phones, timeline, versions
from tickets.models import Agent, Call, QueueEntry, Ticket
from tickets.versions import live_policy

from .. import clock, queueing, twilio_rest
from . import bp
from .routes import _run
from .security import twilio_signed

log = logging.getLogger(__name__)

CONFIRM_KEYS = {"1": "hold", "2": "callback", "3": "voicemail"}


# ---- helpers --------------------------------------------------------------------------------

def _entry(db) -> QueueEntry | None:
    try:
        entry = db.get(QueueEntry, int(request.args.get("e", "")))
    except ValueError:
        return None
    return entry


class Speaker:
    """Says policy messages in the caller's language and voice."""
    def __init__(self, db, entry: QueueEntry | None, call: Call | None = None):
        self.pol = live_policy(db, entry.tier if entry else None)
        if entry is not None and entry.call_id:
            call = db.get(Call, entry.call_id)
        version = db.get(versions.ScriptVersion, call.script_version_id) \
            if call and call.script_version_id else versions.current(
                db, current_app.config["INTAKE_SCRIPT"])
        self.script = versions.script_of(version)
        lang = (entry.language if entry else None) or (call.language if call else None) \
            or self.script.default_language
        self.lang = lang if lang in self.script.languages else self.script.default_language

    def local(self, at: datetime, fmt: str) -> str:
        """A time as the caller's help desk tells it: in the policy's time zone."""
        zone = self.pol.hours.zone if self.pol.hours else at.tzinfo
        return at.astimezone(zone).strftime(fmt)

    def say(self, parent, key: str, **values: Any) -> None:
        """Say a policy message; one the policy lacks in this language is said in the
        script's default language, with that language's voice."""
        messages = self.pol.messages[key]
        lang = self.lang if self.lang in messages else self.script.default_language
        template = messages.get(lang) or next(iter(messages.values()))
        text = template.format_map(defaultdict(str, values))
        parent.say(text, voice=self.script.voice(lang), language=lang)


def queue_step(rule: str) -> Callable[[Callable[..., str]], Callable[[], Response]]:
    """A signed webhook about one caller's queue entry (?e=N), run in one transaction and
    given the entry and a Speaker in the caller's language; an unknown entry hears goodbye."""

    def decorate(handler: Callable[..., str]) -> Callable[[], Response]:
        @wraps(handler)
        def view() -> Response:
            def work(db) -> str:
                entry = _entry(db)
                if entry is None:
                    return _plain_goodbye()
                return handler(db, entry, Speaker(db, entry))

            return _run(work)

        return bp.post(rule)(twilio_signed(view))

    return decorate


def _minutes(seconds: float) -> int:
    return max(1, round(seconds / 60))


def _url(endpoint: str, **args: Any) -> str:
    return url_for(endpoint, **args)


def _absolute(endpoint: str, **args: Any) -> str:
    return current_app.config["PUBLIC_BASE_URL"] + url_for(endpoint, **args)


def _enqueue(response: VoiceResponse, entry: QueueEntry) -> None:
    response.enqueue(f"tier{entry.tier}", action=_url("voice.queue_left", e=entry.id),
                     method="POST", wait_url=_url("voice.queue_wait", e=entry.id),
                     wait_url_method="POST")


def _goodbye(response: VoiceResponse, speaker: Speaker) -> str:
    speaker.say(response, "goodbye")
    response.hangup()
    return str(response)


def route_now(db, now: datetime) -> int:
    """Bridge waiting callers to free agents through Twilio; returns how many."""
    claims = queueing.claim_bridges(db, now)
    db.commit()  # claims are visible to every worker before Twilio is asked
    for claim in claims:
        try:
            twilio_rest.client().queues(claim.queue_sid).members(claim.call_sid).update(
                url=_absolute("voice.queue_bridge", e=claim.entry_id, a=claim.agent_id),
                method="POST")
        except (TwilioException, RequestException) as exc:  # API refused, or unreachable
            queueing.bridge_failed(db, claim, now, str(exc))
            db.commit()
    return len(claims)


# ---- arriving from intake -------------------------------------------------------------------

def arrival_twiml(db, call: Call, now: datetime) -> str:
    arrival = queueing.arrive(db, call, now)
    entry = arrival.entry
    speaker = Speaker(db, entry, call)
    response = VoiceResponse()
    if arrival.decision == "emergency":
        number = current_app.config["EMERGENCY_NUMBER"]
        speaker.say(response, "after_hours_emergency")
        if number:
            response.dial(number)
        return _goodbye(response, speaker)
    if arrival.decision in ("after_hours", "nobody"):
        key = "after_hours" if arrival.decision == "after_hours" else "nobody_available"
        when = arrival.next_opening
        gather = response.gather(num_digits=1, action=_url("voice.queue_offline", e=entry.id),
                                 method="POST", timeout=8)
        speaker.say(gather, key, opening=speaker.local(when, "%A %H:%M") if when else "")
        response.redirect(_url("voice.queue_offline", e=entry.id), method="POST")
        return str(response)
    if arrival.decision == "connect":
        speaker.say(response, "connecting")
        _enqueue(response, entry)
        return str(response)
    return _consent_twiml(speaker, entry, arrival.estimate, arrival.position)


def _consent_twiml(speaker: Speaker, entry: QueueEntry, estimate: float, position: int,
                   attempts: int = 0) -> str:
    """Offer to hold, with the estimated wait; attempts counts offers already unanswered."""
    response = VoiceResponse()
    url = _url("voice.queue_consent", e=entry.id, w=int(estimate), s=attempts)
    gather = response.gather(num_digits=1, action=url, method="POST", timeout=8)
    if attempts:
        speaker.say(gather, "not_understood")
    tell = queueing.hold.should_tell_position(speaker.pol, position)
    speaker.say(gather, "consent", minutes=_minutes(estimate),
                position=position if tell else "")
    if tell:
        speaker.say(gather, "position", position=position)
    speaker.say(gather, "consent_menu")
    response.redirect(url, method="POST")
    return str(response)


@bp.post("/queue/arrive")
@twilio_signed
def queue_arrive() -> Response:
    def work(db):
        call = _call_of(db)
        if call is None:
            return _plain_goodbye()
        return arrival_twiml(db, call, clock.now())

    return _run(work)


def _call_of(db) -> Call | None:
    """The call this webhook is about, by its CallSid."""
    sid = request.form.get("CallSid")
    return db.scalar(select(Call).where(Call.sid == sid)) if sid else None


def _plain_goodbye() -> str:
    response = VoiceResponse()
    response.say("Thank you for calling. Goodbye.")
    response.hangup()
    return str(response)


@queue_step("/queue/consent")
def queue_consent(db, entry: QueueEntry, speaker: Speaker) -> str:
    """The answer to the offer: 1 hold, 2 callback, 3 voicemail. Asked up to three times;
    a caller who still stays on the line without answering is kept on hold."""
    now = clock.now()
    choice = CONFIRM_KEYS.get((request.form.get("Digits") or "")[:1])
    try:
        estimate = float(request.args.get("w", "0"))
        attempts = int(request.args.get("s", "0"))
    except ValueError:
        estimate, attempts = 0.0, 0
    implied = choice is None and attempts >= 2
    if choice is None and not implied:
        position, estimate = queueing.position_and_estimate(db, entry, now, speaker.pol)
        return _consent_twiml(speaker, entry, estimate, position, attempts + 1)
    if choice == "hold" or implied:
        queueing.give_consent(db, entry, estimate, now, implied=implied)
        response = VoiceResponse()
        speaker.say(response, "thanks_hold")
        _enqueue(response, entry)
        return str(response)
    if choice == "callback":
        return _callback_number_twiml(speaker, entry)
    return _voicemail_twiml(speaker, entry)


# ---- holding (Twilio's waitUrl) --------------------------------------------------------------

@bp.post("/queue/wait")
@twilio_signed
def queue_wait() -> Response:
    def work(db):
        entry = _entry(db)
        response = VoiceResponse()
        if entry is None:
            response.pause(length=5)
            return str(response)
        if request.form.get("QueueSid") and entry.queue_sid != request.form["QueueSid"]:
            entry.queue_sid = request.form["QueueSid"]
        now = clock.now()
        if entry.status == "waiting":
            route_now(db, now)
            db.refresh(entry)
        speaker = Speaker(db, entry)
        if entry.status != "waiting":
            response.pause(length=2)  # being connected
            return str(response)
        step = queueing.next_hold_step(db, entry, now)
        gather = response.gather(num_digits=1, action=_url("voice.queue_hold_key", e=entry.id),
                                 method="POST", timeout=1)
        if step.say == "late":
            speaker.say(gather, "late", minutes=_minutes(step.new_estimate or 60))
        elif step.say == "position":
            speaker.say(gather, "position", position=step.position)
        elif step.say:
            speaker.say(gather, step.say, minutes=_minutes(step.new_estimate or 60))
        if step.offer_callback:
            speaker.say(gather, "callback_offer")
        music = speaker.pol.music_url
        if music:
            gather.play(music)
        else:
            gather.pause(length=speaker.pol.min_gap_seconds)
        return str(response)

    return _run(work)


@bp.post("/queue/hold-key")
@twilio_signed
def queue_hold_key() -> Response:
    """A key pressed while holding: 2 for a callback, 3 for voicemail (leaves the queue)."""
    def work(db):
        entry = _entry(db)
        response = VoiceResponse()
        digit = (request.form.get("Digits") or "")[:1]
        if entry is None or digit not in ("2", "3"):
            return str(response)  # back to the hold loop
        entry.intent = "callback" if digit == "2" else "voicemail"
        response.leave()
        return str(response)

    return _run(work)


@queue_step("/queue/left")
def queue_left(db, entry: QueueEntry, speaker: Speaker) -> str:
    """The <Enqueue> action: the caller left the queue (bridge over, hung up, <Leave/>, ...)."""
    now = clock.now()
    try:
        position = int(request.form.get("QueuePosition", ""))
    except ValueError:
        position = None
    if position is None:
        position, _ = queueing.position_and_estimate(db, entry, now, live_policy(db))
    result = request.form.get("QueueResult", "")
    what = queueing.leave(db, entry, result, position, now)
    if what == "callback":
        return _callback_number_twiml(speaker, entry)
    if what == "voicemail":
        return _voicemail_twiml(speaker, entry)
    response = VoiceResponse()
    response.hangup()
    return str(response)


# ---- callback and voicemail -----------------------------------------------------------------

def _callback_number_twiml(speaker: Speaker, entry: QueueEntry, again: bool = False) -> str:
    response = VoiceResponse()
    number = entry.caller_number
    if number:
        gather = response.gather(num_digits=1, method="POST", timeout=8,
                                 action=_url("voice.queue_callback_number", e=entry.id))
        if again:
            speaker.say(gather, "not_understood")
        speaker.say(gather, "callback_number", number=" ".join(number.lstrip("+")))
        response.redirect(_url("voice.queue_callback_number", e=entry.id), method="POST")
        return str(response)
    return _callback_key_twiml(speaker, entry)


def _callback_key_twiml(speaker: Speaker, entry: QueueEntry, again: bool = False) -> str:
    response = VoiceResponse()
    gather = response.gather(finish_on_key="#", method="POST", timeout=10,
                             action=_url("voice.queue_callback_keyed", e=entry.id))
    if again:
        speaker.say(gather, "not_understood")
    speaker.say(gather, "callback_key")
    response.redirect(_url("voice.queue_callback_keyed", e=entry.id), method="POST")
    return str(response)


def _window_twiml(speaker: Speaker, entry: QueueEntry, number: str) -> str:
    response = VoiceResponse()
    slot = queueing.later_slot(speaker.pol, clock.now())
    gather = response.gather(num_digits=1, method="POST", timeout=8,
                             action=_url("voice.queue_callback_window", e=entry.id, n=number))
    speaker.say(gather, "callback_window", slot=speaker.local(slot, "%H:%M"))
    response.redirect(_url("voice.queue_callback_window", e=entry.id, n=number), method="POST")
    return str(response)


@queue_step("/queue/callback/number")
def queue_callback_number(db, entry: QueueEntry, speaker: Speaker) -> str:
    digit = (request.form.get("Digits") or "")[:1]
    if digit == "1" and entry.caller_number:
        return _window_twiml(speaker, entry, entry.caller_number)
    if digit == "2":
        return _callback_key_twiml(speaker, entry)
    return _callback_number_twiml(speaker, entry, again=True)


@queue_step("/queue/callback/keyed")
def queue_callback_keyed(db, entry: QueueEntry, speaker: Speaker) -> str:
    region = phones.region_of(entry.caller_number) or "US"
    number = phones.to_e164(request.form.get("Digits"), region)
    if number is None:
        return _callback_key_twiml(speaker, entry, again=True)
    return _window_twiml(speaker, entry, number)


@queue_step("/queue/callback/window")
def queue_callback_window(db, entry: QueueEntry, speaker: Speaker) -> str:
    number = phones.to_e164(request.args.get("n"))
    if number is None:
        return _plain_goodbye()
    now = clock.now()
    digit = (request.form.get("Digits") or "")[:1]
    if digit == "1":
        due, window_end = now, None
    elif digit == "2":
        due = queueing.later_slot(speaker.pol, now)
        window_end = due + timedelta(hours=1)
    else:
        return _window_twiml(speaker, entry, number)
    queueing.request_callback(db, entry, number, due, window_end, now)
    db.commit()  # the promise is durable before the caller hears it
    ticket = db.get(Ticket, entry.ticket_id) if entry.ticket_id else None
    response = VoiceResponse()
    speaker.say(response, "callback_confirm", number=" ".join(number.lstrip("+")),
                ticket=" ".join(ticket.number) if ticket and ticket.number else "")
    return _goodbye(response, speaker)


def _voicemail_twiml(speaker: Speaker, entry: QueueEntry) -> str:
    response = VoiceResponse()
    speaker.say(response, "voicemail")
    response.record(action=_url("voice.queue_voicemail", e=entry.id), method="POST",
                    max_length=180, play_beep=True, timeout=5)
    return _goodbye(response, speaker)


@queue_step("/queue/voicemail")
def queue_voicemail(db, entry: QueueEntry, speaker: Speaker) -> str:
    response = VoiceResponse()
    if request.form.get("RecordingUrl") and entry.status != "voicemail":
        entry.status = "voicemail"
        entry.ended_at = clock.now()
        timeline.record_event(db, "voicemail", "Caller left a voicemail instead of holding",
                              ticket_id=entry.ticket_id, call_id=entry.call_id,
                              data={"recording_url": request.form["RecordingUrl"],
                                    "duration": request.form.get("RecordingDuration")})
    speaker.say(response, "voicemail_thanks")
    return _goodbye(response, speaker)


@queue_step("/queue/offline")
def queue_offline(db, entry: QueueEntry, speaker: Speaker) -> str:
    """After hours or nobody staffed: 1 books a callback for the next opening."""
    if (request.form.get("Digits") or "")[:1] == "1":
        return _callback_number_twiml(speaker, entry)
    return _goodbye(VoiceResponse(), speaker)


# ---- the bridge -----------------------------------------------------------------------------

@queue_step("/queue/bridge")
def queue_bridge(db, entry: QueueEntry, speaker: Speaker) -> str:
    """Runs on the dequeued caller's call: thank them, then dial the reserved agent."""
    try:
        agent = db.get(Agent, int(request.args.get("a", "")))
    except ValueError:
        agent = None
    if agent is None:
        return _plain_goodbye()
    response = VoiceResponse()
    speaker.say(response, "connecting")
    dial = response.dial(action=_url("voice.queue_dialed", e=entry.id, a=agent.id),
                         method="POST", timeout=20)
    whisper = _url("voice.queue_whisper", e=entry.id)
    if agent.phone:
        dial.number(agent.phone, url=whisper, method="POST")
    else:
        dial.client(agent.client_identity, url=whisper, method="POST")
    queueing.bridged(db, entry, agent, clock.now())
    return str(response)


@bp.post("/queue/whisper")
@twilio_signed
def queue_whisper() -> Response:
    """What the agent hears before the caller is connected."""
    def work(db):
        entry = _entry(db)
        response = VoiceResponse()
        ticket = db.get(Ticket, entry.ticket_id) if entry and entry.ticket_id else None
        if ticket is None:
            response.say("Help desk caller, no ticket.")
            return str(response)
        script = versions.script_of(versions.current(db, current_app.config["INTAKE_SCRIPT"]))
        label = script.priority.labels.get(ticket.priority) if script.priority else None
        name = label.name[script.default_language] if label else ticket.priority
        summary = (ticket.problem or "no description")[:200]
        response.say(f"Ticket {' '.join(ticket.number or '')}, priority {name}. "
                     f"Caller {ticket.caller_name or 'unknown'}. {summary}")
        return str(response)

    return _run(work)


@queue_step("/queue/dialed")
def queue_dialed(db, entry: QueueEntry, speaker: Speaker) -> str:
    """The agent's leg ended: wrap-up after a call, or the caller back in line."""
    try:
        agent = db.get(Agent, int(request.args.get("a", "")))
    except ValueError:
        agent = None
    response = VoiceResponse()
    if agent is None:
        response.hangup()
        return str(response)
    try:
        duration = int(request.form.get("DialCallDuration") or 0)
    except ValueError:
        duration = None
    status = request.form.get("DialCallStatus", "failed")
    again = queueing.dial_result(db, entry, agent, status, duration, clock.now())
    if again:
        speaker.say(response, "agent_unavailable")
        _enqueue(response, entry)
        return str(response)
    return _goodbye(response, speaker)

