"""Webhooks of the calls the line places: answered, status callbacks, and reaching an analyst."""

from __future__ import annotations

import logging

from flask import Response, request
from sqlalchemy import select
from twilio.twiml.voice_response import VoiceResponse

from tickets import services
from tickets.models import Call, OutboundCall, QueueEntry

from .. import clock
from ..outbound import conversation
from . import bp, calls, twiml
from .queue import _url, arrival_twiml
from .routes import _form, _run, line, xml
from .security import twilio_signed

log = logging.getLogger(__name__)


def _outbound(db) -> OutboundCall | None:
    try:
        return db.get(OutboundCall, int(request.args.get("oc", "")), with_for_update=True)
    except ValueError:
        return None


@bp.post("/outbound/answer")
@twilio_signed
def outbound_answer() -> Response:
    """Twilio's `url` for a placed call: the callee (or their voicemail) picked up."""
    form = _form()
    if not form.get("CallSid"):
        return xml(twiml.empty())

    def work(db):
        outbound = _outbound(db)
        answered_by = form.get("AnsweredBy")
        if outbound is None or not conversation.answered(db, outbound, form["CallSid"],
                                                         answered_by, clock.now()):
            log.warning("answer for unknown or stale outbound call %s", request.args.get("oc"))
            response = VoiceResponse()
            response.hangup()
            return str(response)
        fields = conversation.script_fields(db, outbound, answered_by)
        return calls.answer_outbound(db, line(), form, outbound, fields)

    return _run(work)


@bp.post("/outbound/status")
@twilio_signed
def outbound_status() -> Response:
    """Status callbacks of a placed call (all four events); repeats change nothing."""
    form = _form()
    status = form.get("CallStatus", "")
    if not form.get("CallSid"):
        return xml(twiml.empty())

    def work(db):
        calls.record_status(db, form)
        outbound = _outbound(db)
        if outbound is None:
            return ""
        if outbound.twilio_sid is None and outbound.status == "dialing":
            outbound.twilio_sid = form["CallSid"]  # placed by a dispatcher that then died
            outbound.status = "placed"
        if outbound.twilio_sid != form["CallSid"]:
            return ""  # an earlier attempt's late news
        if status in conversation.FINAL:
            call = db.scalar(select(Call).where(Call.sid == form["CallSid"]))
            conversation.call_ended(db, outbound, call, status, clock.now())
        return ""

    _run(work)
    return xml(twiml.empty())


@bp.post("/outbound/connect")
@twilio_signed
def outbound_connect() -> Response:
    """The callee asked for an analyst: the one reserved for their callback, else the queue."""
    form = _form()

    def work(db):
        call = db.scalar(select(Call).where(Call.sid == form.get("CallSid", "")))
        if call is None:
            return twiml.empty()
        outbound = conversation.outbound_of(db, call)
        if outbound is not None and outbound.agent_id and outbound.queue_entry_id:
            entry = db.get(QueueEntry, outbound.queue_entry_id)
            entry.status = "bridging"
            services.record_event(db, "callback_connect", "Callee pressed 1: connecting to "
                                  "the reserved analyst", ticket_id=outbound.ticket_id,
                                  call_id=call.id)
            response = VoiceResponse()
            response.redirect(_url("voice.queue_bridge", e=entry.id, a=outbound.agent_id),
                              method="POST")
            return str(response)
        return arrival_twiml(db, call, clock.now())

    return _run(work)
