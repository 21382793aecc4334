"""Analysts by phone: caller ID names them, their PIN logs them in (never caller ID alone)."""

from __future__ import annotations

from ivr.queues.agents import PHONE_PIN_LOCK_AFTER, set_phone_pin
from tickets.models import Agent

from ..conftest import PUBLIC_BASE_URL

ANN = "+15550142001"
PIN = "2468"


def ann(db, pin: str | None = PIN) -> Agent:
    agent = Agent(name="Ann Tier-One", phone=ANN, tier=1, status="available", skills=[])
    if pin:
        set_phone_pin(agent, pin)
    db.add(agent)
    db.commit()
    return agent


def status_of(db, agent: Agent) -> str:
    return db.get(Agent, agent.id, populate_existing=True).status


def test_caller_id_alone_opens_nothing(call, db):
    agent = ann(db)
    phone = call(from_=ANN)
    phone.hears("key in your PIN")
    assert "Ann" not in phone.text  # not even whose phone it is

    phone.press("3")  # "log out", keyed at the PIN prompt
    phone.hears("not right")
    assert status_of(db, agent) == "available"


def test_the_right_pin_opens_the_analysts_menu(call, db):
    agent = ann(db)
    phone = call(from_=ANN).press(PIN)
    phone.hears("Hello Ann Tier-One", "You are available")
    phone.press("3").hears("You are now logged out")
    assert status_of(db, agent) == "offline"


def test_three_wrong_pins_end_the_call_and_each_counts_once(call, db):
    agent = ann(db)
    phone = call(from_=ANN).press("1111").press("2222")
    url, params = phone.requests[-1]
    phone.post(url, params)  # Twilio repeats the second try: it counts once
    phone.press("3333")
    assert phone.hung_up and "not right" in phone.text
    fresh = db.get(Agent, agent.id, populate_existing=True)
    assert fresh.pin_failures == 3 and fresh.status == "available"


def test_wrong_pins_across_calls_lock_phone_login_until_the_pin_is_set_again(app, call, db):
    agent = ann(db)
    for _ in range(PHONE_PIN_LOCK_AFTER // 3 + 1):
        phone = call(from_=ANN)
        while not phone.hung_up and phone.prompt is not None:
            phone.press("0000")
    assert db.get(Agent, agent.id, populate_existing=True).pin_failures == PHONE_PIN_LOCK_AFTER

    locked = call(from_=ANN)
    locked.hears("ask an admin")
    assert locked.hung_up and "key in your PIN" not in locked.text

    result = app.test_cli_runner().invoke(args=["ivr", "agents", "set-pin", "Ann Tier-One"],
                                          input="13579\n13579\n")
    assert result.exit_code == 0, result.output
    assert "13579" not in (db.get(Agent, agent.id, populate_existing=True).pin_hash or "")
    call(from_=ANN).press("13579").hears("Hello Ann Tier-One")


def test_an_analyst_without_a_pin_is_told_to_ask_an_admin(call, db):
    ann(db, pin=None)
    phone = call(from_=ANN)
    phone.hears("not set or is locked", "ask an admin")
    assert phone.hung_up


def test_the_menu_of_another_call_opens_nothing(call, db):
    agent = ann(db)
    own = call(from_=ANN).press(PIN)
    menu = own.prompt.action  # /voice/agent/menu?a=..&k=.. of that call
    stranger = call(from_=ANN)  # caller ID spoofed: a new call, no PIN keyed
    status, body = stranger.post(PUBLIC_BASE_URL + menu, {**stranger.params, "Digits": "3"})
    assert status == 200 and "<Hangup" in body and "logged out" not in body
    assert status_of(db, agent) == "available"
