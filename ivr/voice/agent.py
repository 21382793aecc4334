"""Agents by phone: call the line from a registered number to go available, on break or off."""

from __future__ import annotations

from flask import current_app, url_for
from twilio.twiml.voice_response import VoiceResponse

from tickets import phones
from tickets.models import Agent
from tickets.statuses import AgentStatus

from .. import twilio_rest
from ..queues.agents import agent_for_phone
from . import twiml
from .webhook import Hook, webhook

KEYS = {"1": AgentStatus.AVAILABLE, "2": AgentStatus.ON_BREAK, "3": AgentStatus.OFFLINE}
SPOKEN = {"available": "available", "on_break": "on a break", "offline": "logged out",
          "on_call": "on a call", "wrap_up": "in wrap-up"}


def menu_twiml(agent: Agent, note: str = "") -> str:
    """The analyst's menu: their status, and the keys that change it."""
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action=url_for("voice.agent_menu", a=agent.id),
                             method="POST", timeout=8)
    gather.say(f"{note}Hello {agent.name}. You are {SPOKEN.get(agent.status, agent.status)}. "
               "To go available, press 1. To take a break, press 2. To log out, press 3.")
    response.say("Goodbye.")
    response.hangup()
    return str(response)


@webhook("/agent/menu")
def agent_menu(hook: Hook) -> str:
    """A key pressed in the analyst's menu (only from the analyst's own phone)."""
    agent = agent_for_phone(hook.session, phones.to_e164(hook.form.get("From")))
    if agent is None or str(agent.id) != hook.args.get("a"):
        return twiml.hangup()
    status = KEYS.get(hook.key)
    if status is None:
        return menu_twiml(agent, "Sorry, I did not understand that. ")
    twilio_rest.router(current_app).agent_keyed(hook.session, agent, status, hook.now)
    response = VoiceResponse()
    response.say(f"You are now {SPOKEN[status]}. Goodbye.")
    response.hangup()
    return str(response)
