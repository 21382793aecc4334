"""Webhooks of the calls the line places: answered, status callbacks, and reaching an analyst."""

from __future__ import annotations

import logging

from flask import Response, request
from sqlalchemy import select
from twilio.twiml.voice_response import VoiceResponse

from tickets import bookings
from tickets.models import Call, OutboundCall

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


def _attempt() -> int | None:
    """Which attempt of its booking the call is (None in URLs of calls placed before)."""
    try:
        return int(request.args["a"])
    except (KeyError, ValueError):
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
        if outbound is None or not bookings.answered(db, outbound, form["CallSid"],
                                                     answered_by, clock.now(), _attempt()):
            log.warning("answer for unknown or stale outbound call %s", request.args.get("oc"))
            return twiml.hangup()
        fields = conversation.script_fields(db, outbound, answered_by)
        return calls.answer_outbound(db, line(), form, outbound, fields)

    return _run(work)


@bp.post("/outbound/status")
@twilio_signed
def outbound_status() -> Response:
    """Status callbacks of a placed call (all four events); repeats change nothing."""
    form = _form()
    if not form.get("CallSid"):
        return xml(twiml.empty())

    def work(db):
        calls.record_status(db, form)
        outbound = _outbound(db)
        if outbound is not None:
            call = db.scalar(select(Call).where(Call.sid == form["CallSid"]))
            conversation.status_reported(db, outbound, call, form["CallSid"],
                                         form.get("CallStatus", ""), clock.now(), _attempt())
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
        bridge = conversation.reserved_bridge(db, call)
        if bridge is not None:
            entry_id, agent_id = bridge
            response = VoiceResponse()
            response.redirect(_url("voice.queue_bridge", e=entry_id, a=agent_id), method="POST")
            return str(response)
        return arrival_twiml(db, call, clock.now())

    return _run(work)
