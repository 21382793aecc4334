"""What real Twilio does that a lenient test would miss: a single-key menu must say numDigits
(else Twilio waits out the timeout after each key, and keys typed ahead arrive as one answer),
and a holding caller hears music, never dead air."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

import call_scripts
from call_scripts import Input, Result, advance, load_file, shipped_scripts
from call_scripts.interpreter import _Run
from call_scripts.model import AskStep, LanguageStep, MenuStep
from call_scripts.policy import DEFAULT_MUSIC_URL, parse_policy
from ivr.phone import Prompt
from ivr.queues.agents import set_phone_pin
from ivr.voice import twiml
from tickets.models import Agent

from ..conftest import AUTH_TOKEN, PUBLIC_BASE_URL, Caller
from .test_agent_phone import ANN, PIN
from .test_queue import add_agent, to_queue
from .test_queue import twilio as twilio  # the fixture

SHIPPED_POLICY = Path(call_scripts.__file__).parent / "policies" / "default.yaml"

HASH_WORDS = ("hash", "pound", "cancelletto", "pagar")  # "then press the hash key"


def keyed_gathers(body: str) -> list[ET.Element]:
    """The <Gather>s of a TwiML document that take keys."""
    return [g for g in ET.fromstring(body).iter("Gather")
            if "dtmf" in (g.get("input") or "dtmf")]


def said(gather: ET.Element) -> str:
    return " ".join((s.text or "") for s in gather.iter("Say")).lower()


def ends_well(gather: ET.Element) -> bool:
    """numDigits, or a number ended by the finish key the caller is told to press."""
    if gather.get("numDigits"):
        return True
    return gather.get("finishOnKey", "#") == "#" and any(w in said(gather) for w in HASH_WORDS)


def step_twiml(script, name: str, step) -> list[str]:
    """The TwiML of each prompt a step can say: asking, and reading an answer back."""
    state = {"step": name, "mode": "run", "language": script.default_language,
             "fields": {"helpdesk": "the IT Help Desk", "caller_id": "+12025550147"},
             "tries": 0, "pending": None, "dialling": None}
    turn = _Run(script, state).run()
    out = [twiml.render(turn.actions, "/voice/step?t=2")]
    if isinstance(step, AskStep) and step.read_back:
        confirm = copy.deepcopy(turn.state)
        confirm.update(mode="confirm", pending={"value": "12345", "confidence": None,
                                                "input": "dtmf"})
        out.append(twiml.render(advance(script, confirm, Result({})).actions, "/voice/step"))
    return out


@pytest.mark.parametrize("name", sorted(shipped_scripts()))
def test_every_gather_of_every_shipped_script_ends_at_its_last_key(name):
    script = load_file(shipped_scripts()[name])
    checked = 0
    for step_name, step in script.steps.items():
        if not isinstance(step, (MenuStep, AskStep, LanguageStep)):
            continue
        for body in step_twiml(script, step_name, step):
            for gather in keyed_gathers(body):
                checked += 1
                assert ends_well(gather), f"{name}.{step_name}: {ET.tostring(gather)!r}"
                if isinstance(step, (MenuStep, LanguageStep)):
                    longest = max(len(k) for k in getattr(step, "options", {"1": 0}))
                    assert gather.get("numDigits") == str(longest), f"{name}.{step_name}"
    asks = any(isinstance(step, (MenuStep, AskStep, LanguageStep))
               for step in script.steps.values())
    assert checked or not asks  # (the incident notice only speaks)


@pytest.fixture
def recorded(client):
    """Calls whose every TwiML answer is kept, to look at each <Gather> Twilio was given."""
    bodies: list[str] = []

    def transport(url, params, headers):
        response = client.post(url[len(PUBLIC_BASE_URL):], data=params, headers=headers)
        body = response.get_data(as_text=True)
        bodies.append(body)
        return response.status_code, body

    def dial(from_: str) -> Caller:
        return Caller(transport, PUBLIC_BASE_URL, AUTH_TOKEN, from_=from_).dial()

    dial.bodies = bodies  # type: ignore[attr-defined]
    return dial


def test_every_gather_of_the_queue_the_hold_and_the_analyst_menu_ends_at_its_last_key(
        recorded, db, demo, clock, twilio):
    add_agent(db, "Busy", tier=1, status="on_call")
    holding = to_queue(recorded)
    holding.press("7").press("1")  # the offer to hold (asked again), then hold
    holding.wait()  # a pass of the hold loop
    holding.press("2")  # a callback instead: which number, a number keyed, when
    holding.press("2")
    if holding.prompt:
        holding.press("2025550147#")
    if holding.prompt:
        holding.press("1")
    clock.current = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)  # Sunday evening: closed
    to_queue(recorded).hears("closed")
    set_phone_pin(db.scalar(select(Agent).where(Agent.phone == ANN)), PIN)  # the demo's Ann
    db.commit()
    recorded(ANN).press(PIN).hears("To go available, press 1")  # the analyst's PIN and menu

    gathers = [g for body in recorded.bodies for g in keyed_gathers(body)]
    assert len(gathers) > 20
    bad = [ET.tostring(g, encoding="unicode")[:160] for g in gathers if not ends_well(g)]
    assert not bad


def test_keys_typed_ahead_are_not_taken_as_a_menu_choice():
    script = load_file(shipped_scripts()["intake"])
    turn = _Run(script, {"step": "service_type", "mode": "run", "language": "en-US",
                         "fields": {}, "tries": 0, "pending": None, "dialling": None}).run()
    # "100200" at the five-option menu (as a TwiML without numDigits would send it) is no
    # option: the caller hears the menu again, nothing is set.
    turn = advance(script, turn.state, Input(digits="100200"))
    assert turn.state["step"] == "service_type" and "category" not in turn.state["fields"]
    assert "Sorry, I did not understand that." in [s.text for a in turn.actions
                                                  for s in getattr(a, "prompts", ())]


def test_the_terminal_phone_sends_what_twilio_would_for_keys_typed_ahead(call, demo):
    caller = call(from_="+12025550147")  # a new caller: the language menu (numDigits 1)
    caller.press("100200")
    url, params = caller.requests[-1]
    assert params["Digits"] == "1"  # the rest are not part of this answer
    assert caller.languages == {"en-US"} and "For a ticket's status, press 1" in caller.text
    caller.press("1")  # the status of a ticket: keyed, then the hash key
    caller.press("1234#99")
    assert caller.requests[-1][1]["Digits"] == "1234"  # up to the finish key, not sent


def test_the_phone_honours_num_digits_and_finish_on_key():
    assert Prompt("/a", "dtmf", None, 1).keyed("100200") == "1"
    assert Prompt("/a", "dtmf", None, None).keyed("0612345678#") == "0612345678"
    assert Prompt("/a", "dtmf", None, 2, finish_on_key="").keyed("123#") == "12"


def test_holding_callers_hear_twilios_hold_music_when_the_policy_names_none(
        call, db, demo, clock, twilio):
    shipped = SHIPPED_POLICY.read_text(encoding="utf-8")
    assert parse_policy(shipped).music_url == DEFAULT_MUSIC_URL  # said in the policy file
    left_out = "\n".join(line for line in shipped.splitlines()
                         if not line.startswith("music_url:"))
    assert parse_policy(left_out).music_url == DEFAULT_MUSIC_URL  # the default all the same
    assert not parse_policy(left_out + '\nmusic_url: ""\n').music_url  # silence, if chosen

    add_agent(db, "Busy", tier=1, status="on_call")
    caller = to_queue(call)
    caller.press("1")  # hold
    caller.wait()
    url, params = caller.requests[-1]
    _status, body = caller.post(url, params)  # what Twilio plays on this pass of the hold loop
    assert [p.text for p in ET.fromstring(body).iter("Play")] == [DEFAULT_MUSIC_URL]
    assert not list(ET.fromstring(body).iter("Pause"))  # music, not dead air
