"""The console's call controls in a real browser: hold and resume on "My call", and the
softphone's answer, mute and hang up, with a stand-in for Twilio's Voice SDK (served at the
SDK's own path, so the page loads it exactly as it loads the real one)."""

from __future__ import annotations

from playwright.sync_api import expect

from tickets.models import Agent

from ..console.test_live_calls import set_status
from ..ivr.test_queue import put_through, to_queue
from .conftest import login

SDK_PATH = "**/static/vendor/twilio-voice-sdk/twilio.min.js"
# Twilio.Device as the page uses it: registers, rings (window.__device.ring()), and records
# what the page did to the call.
STAND_IN = """
window.Twilio = {Device: class {
  constructor(token) { window.__device = this; this.token = token; this.handlers = {}; }
  on(event, handler) { this.handlers[event] = handler; }
  register() { this.handlers.registered(); }
  updateToken(token) { this.token = token; }
  ring() {
    const call = {handlers: {}, muted: false, done: [],
      on(event, handler) { this.handlers[event] = handler; },
      accept() { this.done.push("accept"); this.handlers.accept(); },
      reject() { this.done.push("reject"); },
      mute(flag) { this.muted = flag; this.done.push(flag ? "mute" : "unmute"); },
      isMuted() { return this.muted; },
      disconnect() { this.done.push("disconnect"); this.handlers.disconnect(); }};
    window.__call = call;
    this.handlers.incoming(call);
  }
}};
"""


def test_hold_and_resume_from_my_call(page, users, call, db, demo, clock, twilio, analyst):
    set_status(db, users["ann"], "available")
    caller = to_queue(call)
    put_through(caller, twilio, analyst, users["ann"])
    login(page, "ann")
    page.goto("/console/call")
    expect(page.locator("#people")).to_contain_text("Ann Analyst (tier 1)")
    expect(page.locator("#hold")).to_contain_text("May I put you on hold")
    page.fill("#hold-form input[name=minutes]", "3")
    page.check("#hold-form input[name=agreed]")
    page.click("#hold-form button")
    expect(page.locator(".flash")).to_contain_text("on hold (about 3 min)")
    assert twilio.changed[-1]["Hold"] == "true" and "m=3" in twilio.changed[-1]["HoldUrl"]
    page.click("#resume-form button")
    expect(page.locator(".flash")).to_contain_text("thank them for holding")
    assert twilio.changed[-1]["Hold"] == "false"


def test_the_softphone_answers_mutes_and_hangs_up(page, app, users, db):
    app.config.update(TWILIO_API_KEY_SID="SK" + "a" * 32, TWILIO_TWIML_APP_SID="AP" + "b" * 32,
                      TWILIO_API_KEY_SECRET="softphone-key-secret-of-forty-characters!!")
    ann = db.get(Agent, users["ann"].id)
    ann.answers_in_browser, ann.client_identity = True, f"agent-{ann.id}"
    db.commit()
    page.route(SDK_PATH, lambda route: route.fulfill(
        status=200, content_type="application/javascript", body=STAND_IN))
    login(page, "ann")
    card = page.locator("#softphone")
    status = card.locator("[data-softphone=status]")
    expect(status).to_have_text("Ready for calls")  # a token fetched, the device registered
    assert page.evaluate("window.__device.token").startswith("ey")  # a JWT from the console
    expect(card.locator("[data-action=answer]")).to_be_disabled()

    page.evaluate("window.__device.ring()")
    expect(status).to_have_text("Incoming call")
    card.locator("[data-action=answer]").click()
    expect(status).to_have_text("On a call")
    card.locator("[data-action=mute]").click()
    expect(card.locator("[data-action=mute]")).to_have_text("Unmute")
    card.locator("[data-action=hangup]").click()
    expect(status).to_have_text("Ready for calls")
    assert page.evaluate("window.__call.done") == ["accept", "mute", "disconnect"]
