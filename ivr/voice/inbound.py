"""Webhooks of a call to the help-desk number: answered, each step, status callbacks, and the
fallback Twilio uses when the line cannot answer."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, current_app, request
from sqlalchemy.orm import Session

from tickets import intake, phones

from ..queues.agents import agent_for_phone
from . import bp, calls, twiml
from .agent import pin_twiml
from .drafts import draft_version_id
from .replies import Replay
from .security import twilio_signed
from .webhook import Hook, fallback_twiml, line_config, outage_words, webhook, xml

log = logging.getLogger(__name__)


@webhook("/incoming", needs_call_sid=True)
def incoming(hook: Hook) -> str:
    """A call rings: an analyst's own number is asked their PIN (then their menu), anyone else
    gets the intake script (an admin trying a draft script: the signed ?draft= names its
    version)."""
    log.info("incoming call %s from %s", hook.call_sid, phones.mask_phone(hook.form.get("From")))
    agent = agent_for_phone(hook.session, phones.to_e164(hook.form.get("From")))
    if agent is not None:
        return pin_twiml(agent)
    line = line_config(draft_version_id(hook.args.get("draft")))
    return calls.answer(hook.session, line, hook.form, hook.now)


def _turn_read(session: Session, key: str, hook: Hook) -> tuple[str | None, Any]:
    """A step's first statement: the answer kept for this request, and the call as read."""
    row = calls.read_turn(session, hook.call_sid, key)
    return row.earlier, row


@webhook("/step", needs_call_sid=True, replay=Replay.URL, reads_first=True,
         first_read=_turn_read)
def step(hook: Hook) -> str:
    """The caller answered a prompt (?t= numbers the turn: a repeat of turn N, however late,
    is answered with turn N's TwiML)."""
    number = hook.number("t")
    if number is None or number < 1:
        return fallback_twiml()
    body = calls.step(hook.session, line_config(), hook.form, number, hook.now, hook.read)
    return body if body is not None else fallback_twiml()


@webhook("/status", needs_call_sid=True, missing=twiml.empty, on_failure=twiml.empty,
         spooled=twiml.empty)
def status(hook: Hook) -> str:
    """A call status callback: the call's outcome, recorded once (kept in the spool while the
    database is down)."""
    calls.record_status(hook.session, hook.form)
    return twiml.empty()


@bp.post("/fallback")
@twilio_signed
def fallback() -> Response:
    """Twilio's fallback URL: must work with the database down, so it never touches it."""
    log.error("fallback for call %s: error %s at %s", request.form.get("CallSid"),
              request.form.get("ErrorCode"), request.form.get("ErrorUrl"))
    return xml(fallback_twiml())


def _voicemail_goodbye() -> str:
    language, words = outage_words()
    return twiml.goodbye(words.received, words.voice, language)


def _voicemail_not_stored() -> str:
    log.error("voicemail from %s could not be stored", phones.mask_phone(request.form.get("From")))
    return _voicemail_goodbye()


@webhook("/fallback/voicemail", on_failure=_voicemail_not_stored, spooled=_voicemail_goodbye)
def fallback_voicemail(hook: Hook) -> str:
    """A message left from the fallback: on a ticket (the database down: kept in the spool,
    on a ticket when the database is back)."""
    if hook.form.get("RecordingUrl"):
        intake.open_voicemail_ticket(
            hook.session, script_name=current_app.config["INTAKE_SCRIPT"],
            caller_id=phones.to_e164(hook.form.get("From")),
            recording_url=hook.form["RecordingUrl"],
            duration=hook.form.get("RecordingDuration"))
    return _voicemail_goodbye()
