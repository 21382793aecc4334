"""Agents by phone: call the line from a registered number, key the analyst's PIN, then go
available, on break or off. Caller ID alone opens nothing: the menu's URL carries a signed key
of this call that only a right PIN gives."""

from __future__ import annotations

import logging

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from twilio.twiml.voice_response import VoiceResponse

from tickets import phones
from tickets.models import Agent
from tickets.statuses import AgentStatus

from .. import twilio_rest
from ..queues.agents import agent_for_phone, check_phone_pin, phone_login_refused
from . import twiml
from .webhook import Hook, webhook

log = logging.getLogger(__name__)

KEYS = {"1": AgentStatus.AVAILABLE, "2": AgentStatus.ON_BREAK, "3": AgentStatus.OFFLINE}
SPOKEN = {"available": "available", "on_break": "on a break", "offline": "logged out",
          "on_call": "on a call", "wrap_up": "in wrap-up"}
PIN_TRIES = 3  # per call; wrong PINs across calls lock phone login (ivr.queues.agents)
MENU_SALT = "agent-phone-menu"
MENU_MAX_AGE = 900  # seconds the menu's key stays good


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=MENU_SALT)


def _goodbye(text: str) -> str:
    response = VoiceResponse()
    response.say(text)
    response.hangup()
    return str(response)


def pin_twiml(agent: Agent, attempt: int = 1, note: str = "") -> str:
    """Ask the analyst's PIN (their name is said only once it is right)."""
    refused = phone_login_refused(agent)
    if refused:
        log.warning("analyst %s cannot log in by phone: %s", agent.id, refused)
        return _goodbye("Logging in by phone needs your analyst PIN, and it is not set or is "
                        "locked. Please ask an admin to set it. Goodbye.")
    response = VoiceResponse()
    gather = response.gather(finish_on_key="#", timeout=10, method="POST",
                             action=url_for("voice.agent_pin", a=agent.id, t=attempt))
    gather.say(f"{note}Help desk analyst line. Please key in your PIN, then press the hash key.")
    response.say("Goodbye.")
    response.hangup()
    return str(response)


def menu_twiml(agent: Agent, key: str, note: str = "") -> str:
    """The analyst's menu: their status, and the keys that change it."""
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action=url_for("voice.agent_menu", a=agent.id, k=key),
                             method="POST", timeout=8)
    gather.say(f"{note}Hello {agent.name}. You are {SPOKEN.get(agent.status, agent.status)}. "
               "To go available, press 1. To take a break, press 2. To log out, press 3.")
    response.say("Goodbye.")
    response.hangup()
    return str(response)


def _caller_agent(hook: Hook) -> Agent | None:
    """The analyst whose phone this is, if the webhook is about them (?a=)."""
    agent = agent_for_phone(hook.session, phones.to_e164(hook.form.get("From")))
    return agent if agent is not None and str(agent.id) == hook.args.get("a") else None


@webhook("/agent/pin", needs_call_sid=True)
def agent_pin(hook: Hook) -> str:
    """The PIN keyed (?t= numbers the try in this call, so a repeat counts once)."""
    agent = _caller_agent(hook)
    attempt = hook.number("t")
    if agent is None or attempt is None or not 1 <= attempt <= PIN_TRIES:
        return twiml.hangup()
    if check_phone_pin(agent, hook.form.get("Digits"), f"{hook.call_sid}:{attempt}"):
        return menu_twiml(agent, _serializer().dumps([agent.id, hook.call_sid]))
    log.warning("analyst %s: wrong phone PIN (try %s of %s in this call)", agent.id, attempt,
                PIN_TRIES)
    if attempt >= PIN_TRIES or phone_login_refused(agent):
        return _goodbye("That PIN is not right. Goodbye.")
    return pin_twiml(agent, attempt + 1, "That PIN is not right. ")


def _menu_key_ok(hook: Hook, agent: Agent) -> bool:
    """Was the menu reached by keying the right PIN in this very call?"""
    try:
        value = _serializer().loads(hook.args.get("k", ""), max_age=MENU_MAX_AGE)
    except BadSignature:
        return False
    return value == [agent.id, hook.call_sid]


@webhook("/agent/menu", needs_call_sid=True)
def agent_menu(hook: Hook) -> str:
    """A key pressed in the analyst's menu (their own phone, after their PIN, in this call)."""
    agent = _caller_agent(hook)
    if agent is None or not _menu_key_ok(hook, agent):
        return twiml.hangup()
    status = KEYS.get(hook.key)
    if status is None:
        return menu_twiml(agent, hook.args["k"], "Sorry, I did not understand that. ")
    twilio_rest.router(current_app).agent_keyed(hook.session, agent, status, hook.now)
    response = VoiceResponse()
    response.say(f"You are now {SPOKEN[status]}. Goodbye.")
    response.hangup()
    return str(response)
