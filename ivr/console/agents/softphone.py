"""The browser softphone: an analyst may take their calls in the console with Twilio's Voice
JavaScript SDK (served from the app's static files, never a CDN). An access token with a
Voice grant (identity: the analyst's client identity, a short life) and the analyst's choice
of phone or browser, which routing follows (``<Client>`` or their number)."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue

from tickets.models import Agent

from ... import db
from ..auth import audit, role_required
from . import bp
from .access import CONSOLE_ROLES, my_agent

SDK = "vendor/twilio-voice-sdk/twilio.min.js"  # in ivr/static, with its licence and version


def configured() -> bool:
    """Are the API key and the TwiML app the softphone needs set?"""
    cfg = current_app.config
    return bool(cfg.get("TWILIO_API_KEY_SID") and cfg.get("TWILIO_API_KEY_SECRET")
                and cfg.get("TWILIO_TWIML_APP_SID"))


def identity_of(agent: Agent) -> str:
    """The analyst's client identity (set on first use: their id, never a name)."""
    if not agent.client_identity:
        agent.client_identity = f"agent-{agent.id}"
    return agent.client_identity


@bp.post("/softphone/token")
@role_required(*CONSOLE_ROLES)
def softphone_token() -> ResponseReturnValue:
    """A short-lived access token for the analyst's browser: it may receive calls for their
    identity and place calls through the line's TwiML app."""
    agent = my_agent()
    if agent is None:
        return jsonify(error="this login is not linked to an analyst"), 403
    if not configured():
        return jsonify(error="the softphone is not set up on this line (TWILIO_API_KEY_SID, "
                             "TWILIO_API_KEY_SECRET, TWILIO_TWIML_APP_SID)"), 503
    from twilio.jwt.access_token import AccessToken  # loads PyJWT: only for a softphone
    from twilio.jwt.access_token.grants import VoiceGrant

    cfg = current_app.config
    identity = identity_of(agent)
    ttl = int(cfg["SOFTPHONE_TOKEN_SECONDS"])
    token = AccessToken(cfg["TWILIO_ACCOUNT_SID"], cfg["TWILIO_API_KEY_SID"],
                        cfg["TWILIO_API_KEY_SECRET"], identity=identity, ttl=ttl)
    token.add_grant(VoiceGrant(outgoing_application_sid=cfg["TWILIO_TWIML_APP_SID"],
                               incoming_allow=True))
    db.session().commit()
    return jsonify(token=token.to_jwt(), identity=identity, expires_in=ttl)


@bp.post("/softphone/answer-in")
@role_required(*CONSOLE_ROLES)
def answer_in() -> ResponseReturnValue:
    """The analyst chooses where their calls ring: their phone, or this browser."""
    agent = my_agent()
    where = request.form.get("where", "")
    if agent is None:
        abort(400, "this login is not linked to an analyst")
    if where not in ("phone", "browser"):
        abort(400, "choose phone or browser")
    if where == "phone" and not agent.phone:
        abort(400, "you have no phone number on file: your calls can only ring in the browser")
    if where == "browser" and not configured():
        abort(400, "the softphone is not set up on this line")
    session = db.session()
    if where == "browser":
        identity_of(agent)
    agent.answers_in_browser = where == "browser"
    audit(session, "answer_in", f"agent {agent.id}", where=where)
    session.commit()
    flash(f"Your calls ring in the {where}." if where == "browser" else
          "Your calls ring on your phone.", "ok")
    return redirect(url_for(".dashboard"))
