"""Thin webhook routes: check the signature, hand the form to a service, answer TwiML."""

from __future__ import annotations

import logging

from flask import Response, current_app, request, url_for
from sqlalchemy.exc import SQLAlchemyError

from call_scripts import ScriptError
from tickets import intake, phones, timeline
from tickets.versions import current, script_of

from .. import queueing
from ..db import session
from . import bp, calls, twiml
from .security import twilio_signed

log = logging.getLogger(__name__)


def xml(body: str) -> Response:
    return Response(body, status=200, mimetype="text/xml")


def line(script_version_id: int | None = None) -> calls.LineConfig:
    cfg = current_app.config
    return calls.LineConfig(
        script_version_id=script_version_id,
        helpdesk_name=cfg["HELPDESK_NAME"],
        default_language=cfg["DEFAULT_LANGUAGE"],
        script_name=cfg["INTAKE_SCRIPT"],
        step_url=url_for("voice.step"),
        queue_url=url_for("voice.queue_arrive"),
        connect_url=url_for("voice.outbound_connect"),
    )


def fallback_twiml() -> str:
    cfg = current_app.config
    return twiml.apology(cfg["FALLBACK_MESSAGE"], cfg["FALLBACK_VOICE"],
                         cfg["EMERGENCY_NUMBER"], url_for("voice.fallback_voicemail"))


def _form() -> dict[str, str]:
    return {k: v for k, v in request.form.items()}


def _run(work) -> Response:
    """Run one call step in a transaction; any failure still answers the caller."""
    db = session()
    try:
        body = work(db)
        db.commit()
    except Exception:  # noqa: BLE001  a caller must hear something, never an HTTP 500
        db.rollback()
        log.exception("call step failed for %s", request.path)
        body = fallback_twiml()
    return xml(body)


@bp.post("/incoming")
@twilio_signed
def incoming() -> Response:
    form = _form()
    if not form.get("CallSid"):
        return xml(fallback_twiml())
    log.info("incoming call %s from %s", form["CallSid"], phones.mask_phone(form.get("From")))

    def work(db):
        agent = queueing.agent_for_phone(db, phones.to_e164(form.get("From")))
        if agent is not None:
            from .agent import menu_twiml  # agent.py builds on this module's helpers

            return menu_twiml(agent)
        # An admin trying a draft script: the signed ?draft= names its version.
        from ..admin.trial import draft_version_id

        return calls.answer(db, line(draft_version_id(request.args.get("draft"))), form)

    return _run(work)


@bp.post("/step")
@twilio_signed
def step() -> Response:
    form = _form()
    try:
        number = int(request.args.get("t", ""))
    except ValueError:
        number = -1
    if not form.get("CallSid") or number < 1:
        return xml(fallback_twiml())

    def work(db):
        body = calls.step(db, line(), form, number)
        return body if body is not None else fallback_twiml()

    return _run(work)


@bp.post("/status")
@twilio_signed
def status() -> Response:
    form = _form()
    if form.get("CallSid"):
        _run(lambda db: calls.record_status(db, form) or "")
    return xml(twiml.empty())


@bp.post("/fallback")
@twilio_signed
def fallback() -> Response:
    """Twilio's fallback URL: must work with the database down, so it never touches it."""
    log.error("fallback for call %s: error %s at %s", request.form.get("CallSid"),
              request.form.get("ErrorCode"), request.form.get("ErrorUrl"))
    return xml(fallback_twiml())


@bp.post("/fallback/voicemail")
@twilio_signed
def fallback_voicemail() -> Response:
    """A message left from the fallback: kept on a ticket when the database is back."""
    form = _form()
    cfg = current_app.config
    goodbye = twiml.goodbye("Thank you. Your message has been received. Goodbye.",
                            cfg["FALLBACK_VOICE"])
    if not form.get("RecordingUrl"):
        return xml(goodbye)
    db = session()
    try:
        script = script_of(current(db, cfg["INTAKE_SCRIPT"]))
        priority = script.priority.default_label if script.priority else "unassessed"
        ticket, _pin = intake.open_ticket(db, fields={
            "caller_id": phones.to_e164(form.get("From")),
            "problem": "Voicemail left while the line was unavailable",
            "incomplete": True}, priority=priority)
        timeline.record_event(db, "voicemail", "Voicemail left during an outage",
                              ticket_id=ticket.id,
                              data={"recording_url": form["RecordingUrl"],
                                    "duration": form.get("RecordingDuration")})
        db.commit()
    except (SQLAlchemyError, ScriptError):
        db.rollback()
        log.error("voicemail from %s not stored (database unavailable): %s",
                  phones.mask_phone(form.get("From")), form["RecordingUrl"])
    return xml(goodbye)
