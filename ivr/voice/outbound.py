"""Webhooks of the calls the line places: answered, status callbacks, and reaching an analyst.
Each names its booking and attempt (?oc=N&a=K): a late callback of an earlier try is told apart."""

from __future__ import annotations

import logging

from flask import url_for
from sqlalchemy import select
from twilio.twiml.voice_response import VoiceResponse

from tickets import bookings
from tickets.models import Call, OutboundCall, Ticket

from ..logs import about_ticket
from ..outbound import conversation
from . import calls, queue_twiml, twiml
from .webhook import Hook, line_config, webhook

log = logging.getLogger(__name__)


def _booking(hook: Hook) -> OutboundCall | None:
    """The booking the call was placed for, locked (its webhooks may race the dispatcher)."""
    booking_id = hook.number("oc")
    if booking_id is None:
        return None
    booking = hook.session.get(OutboundCall, booking_id, with_for_update=True)
    ticket = hook.session.get(Ticket, booking.ticket_id) if booking and booking.ticket_id \
        else None
    about_ticket(ticket.number if ticket else None)
    return booking


@webhook("/outbound/answer", needs_call_sid=True, missing=twiml.empty)
def outbound_answer(hook: Hook) -> str:
    """Twilio's `url` for a placed call: the callee (or their voicemail) picked up."""
    outbound = _booking(hook)
    answered_by = hook.form.get("AnsweredBy")
    if outbound is None or not bookings.answered(hook.session, outbound, hook.call_sid,
                                                 answered_by, hook.now, hook.number("a")):
        log.warning("answer for unknown or stale outbound call %s", hook.args.get("oc"))
        return twiml.hangup()
    fields = conversation.script_fields(hook.session, outbound, answered_by)
    return calls.answer_outbound(hook.session, line_config(), hook.form, outbound, fields,
                                 hook.now)


@webhook("/outbound/status", needs_call_sid=True, missing=twiml.empty, on_failure=twiml.empty,
         spooled=twiml.empty)
def outbound_status(hook: Hook) -> str:
    """Status callbacks of a placed call (all four events); repeats change nothing."""
    calls.record_status(hook.session, hook.form)
    outbound = _booking(hook)
    if outbound is not None:
        call = hook.session.scalar(select(Call).where(Call.sid == hook.call_sid))
        conversation.status_reported(hook.session, outbound, call, hook.call_sid,
                                     hook.form.get("CallStatus", ""), hook.now,
                                     hook.number("a"))
    return twiml.empty()


@webhook("/outbound/connect")
def outbound_connect(hook: Hook) -> str:
    """The callee asked for an analyst: the one reserved for their callback, else the queue."""
    call = hook.session.scalar(select(Call).where(Call.sid == hook.call_sid))
    if call is None:
        return twiml.empty()
    about_ticket(calls.ticket_number(call.state))
    bridge = conversation.reserved_bridge(hook.session, call)
    if bridge is not None:
        entry_id, agent_id = bridge
        response = VoiceResponse()
        response.redirect(url_for("voice.queue_bridge", e=entry_id, a=agent_id), method="POST")
        return str(response)
    return queue_twiml.arrival(hook.session, call, hook.now)
