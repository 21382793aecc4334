"""Twilio's SMS webhooks: texts to the help-desk number (STOP, START, HELP) and each sent
text's status callback. Signed and run in one transaction like every webhook (``webhook``)."""

from __future__ import annotations

import logging

from flask import current_app
from twilio.twiml.messaging_response import MessagingResponse

from tickets import outbox, phones
from tickets.outbox import OutboxMessage

from ..outbox import notices, sms
from . import twiml
from .webhook import Hook, webhook

log = logging.getLogger(__name__)

# Twilio's own opt-out keywords (its Advanced Opt-Out also names the kind in OptOutType).
STOP = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START = {"START", "YES", "UNSTOP"}
HELP = {"HELP", "INFO"}


def _empty() -> str:
    return str(MessagingResponse())


def keyword(form: dict[str, str]) -> str:
    """What the text asks: STOP, START, HELP or "" (anything else)."""
    kind = (form.get("OptOutType") or "").upper()
    if kind in ("STOP", "START", "HELP"):
        return kind
    word = (form.get("Body") or "").strip().upper().rstrip(".!")
    return "STOP" if word in STOP else "START" if word in START else \
        "HELP" if word in HELP else ""


@webhook("/sms/incoming", on_failure=_empty, missing=_empty)
def sms_incoming(hook: Hook) -> str:
    """A text to the line: STOP records the opt-out (nothing more is texted), START lifts it,
    HELP is answered in the sender's language; anything else gets no answer."""
    number = phones.to_e164(hook.form.get("From"))
    asked = keyword(hook.form)
    if number is None or not asked:
        return _empty()
    log.info("text %s from %s", asked, phones.mask_phone(number))
    if asked == "STOP":
        outbox.opt_out(hook.session, number, asked, hook.now)
        return _empty()  # Twilio confirms the opt-out itself
    if asked == "START":
        outbox.opt_in(hook.session, number)
        return _empty()
    cfg = current_app.config
    planner = sms.planner(current_app.extensions["integrations"].sms, cfg)
    reply = MessagingResponse()
    reply.message(planner.help_text(sms.language_of(hook.session, number,
                                                   cfg["DEFAULT_LANGUAGE"])))
    return str(reply)


@webhook("/sms/status", on_failure=twiml.empty, missing=twiml.empty)
def sms_status(hook: Hook) -> str:
    """A sent text's status (?m= names its outbox message): kept; a failure on the timeline."""
    message = hook.session.get(OutboxMessage, hook.number("m"))
    status = (hook.form.get("MessageStatus") or hook.form.get("SmsStatus") or "").strip()
    sid = hook.form.get("MessageSid") or hook.form.get("SmsSid")
    if message is None or message.channel != "sms" or not status or \
            (message.external_id and sid != message.external_id):
        return twiml.empty()
    outbox.provider_status(hook.session, message, status, hook.form.get("ErrorCode"),
                           hook.now, sid)
    notices.undelivered(hook.session, message, status, hook.now)
    return twiml.empty()
