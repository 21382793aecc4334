"""Agents by phone: call the line from a registered number to go available, on break or off."""

from __future__ import annotations

import logging

from flask import Response, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from tickets import phones
from tickets.models import Agent

from .. import clock, queueing
from . import bp
from .queue import route_now
from .routes import _run
from .security import twilio_signed

log = logging.getLogger(__name__)

KEYS = {"1": "available", "2": "on_break", "3": "offline"}
SPOKEN = {"available": "available", "on_break": "on a break", "offline": "logged out",
          "on_call": "on a call", "wrap_up": "in wrap-up"}


def menu_twiml(agent: Agent, note: str = "") -> str:
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action=url_for("voice.agent_menu", a=agent.id),
                             method="POST", timeout=8)
    gather.say(f"{note}Hello {agent.name}. You are {SPOKEN.get(agent.status, agent.status)}. "
               "To go available, press 1. To take a break, press 2. To log out, press 3.")
    response.say("Goodbye.")
    response.hangup()
    return str(response)


@bp.post("/agent/menu")
@twilio_signed
def agent_menu() -> Response:
    def work(db):
        caller = phones.to_e164(request.form.get("From"))
        agent = queueing.agent_for_phone(db, caller)
        if agent is None or str(agent.id) != request.args.get("a"):
            response = VoiceResponse()
            response.hangup()
            return str(response)
        status = KEYS.get((request.form.get("Digits") or "")[:1])
        if status is None:
            return menu_twiml(agent, "Sorry, I did not understand that. ")
        now = clock.now()
        queueing.set_agent_status(agent, status, now)
        log.info("agent %s is %s (by phone)", agent.id, status)
        if status == "available":
            route_now(db, now)
        response = VoiceResponse()
        response.say(f"You are now {SPOKEN[status]}. Goodbye.")
        response.hangup()
        return str(response)

    return _run(work)
