"""A person at the console, in a real browser (Chromium driven by Playwright)."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from tickets import versions as scripts
from tickets.models import OutboundCall, Ticket

from ..ivr.test_queue import add_agent, to_queue
from .conftest import login, screenshot


def test_agent_takes_a_waiting_caller_adds_a_note_and_resolves(page, users, call, db, demo,
                                                               clock, twilio):
    add_agent(db, "Busy Bob", tier=1, status="on_call")
    caller = to_queue(call)
    caller.press("1")  # holds: the only free analyst is busy
    ticket = db.scalar(select(Ticket).where(Ticket.call_id.is_not(None)))

    login(page, "ann")
    expect(page.locator("h1")).to_contain_text("Queue")
    page.click("button[value=available]")
    expect(page.locator("#my-status")).to_have_text("available")
    queue = page.locator("#queue tbody")
    expect(queue).to_contain_text(ticket.number)  # the caller waiting, live
    expect(queue).to_contain_text("regular service")
    screenshot(page, "agent-queue")

    caller.wait()  # the hold loop routes: Ann is free now
    expect(page.locator("#current-call")).to_be_visible()  # the call pops up its ticket
    page.click(f"#call-tickets a:has-text('{ticket.number}')")
    expect(page.locator("h1")).to_contain_text(f"Ticket {ticket.number}")
    expect(page.locator("#caller")).to_contain_text("Alice Johnson")
    expect(page.locator("#sla")).to_contain_text("Response due")

    page.fill("#note-form textarea", "Cleaned the rollers; testing now")
    page.click("#note-form button")
    expect(page.locator("#timeline")).to_contain_text("Cleaned the rollers; testing now")
    page.fill("#resolve-form input[name=note]", "Rollers cleaned, printing fine")
    page.click("#resolve-form button")
    expect(page.locator("#ticket-status")).to_have_text("resolved")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Cleaned the rollers; testing now")
    expect(timeline).to_contain_text("Rollers cleaned, printing fine")
    expect(timeline).to_contain_text("Closure call booked")
    screenshot(page, "agent-ticket")
    closure = db.scalar(select(OutboundCall).where(OutboundCall.ticket_id == ticket.id,
                                                   OutboundCall.kind == "closure"))
    assert closure is not None and closure.status == "pending"


def paste_script(page, text: str) -> None:
    """Put a whole script in the editor at once, as a paste does: Playwright's fill() types
    into a textarea in time that grows faster than the text (the 60 KB intake script takes
    11-20 s, past its timeout on a busy machine). The form then posts what the field holds."""
    editor = page.locator("#yaml")
    editor.evaluate("(field, text) => { field.value = text; "
                    "field.dispatchEvent(new Event('input', {bubbles: true})); }", text)
    assert editor.input_value() == text


def test_admin_breaks_fixes_publishes_tries_and_rolls_back_a_script(page, users, db):
    original = scripts.current(db, "intake").text
    db.commit()
    login(page, "admin")
    page.goto("/admin/scripts")
    screenshot(page, "admin-scripts")
    page.click("a:has-text('intake')")
    expect(page.locator("h1")).to_contain_text("Call script intake")

    paste_script(page, original.replace("next: choose_language", "next: choose_languag", 1))
    page.click("button[value=check]")
    problems = page.locator("#problems")
    line = original.splitlines().index("    next: choose_language") + 1  # the greeting's
    expect(problems).to_contain_text(f"line {line}, step 'greeting'")
    expect(problems).to_contain_text("'choose_languag'")
    screenshot(page, "admin-script-error")

    fixed = original.replace("Thank you for calling {helpdesk}.", "Welcome to {helpdesk}.")
    paste_script(page, fixed)
    page.click("button[value=check]")
    expect(page.locator("#check-ok")).to_be_visible()
    expect(page.locator("#diff")).to_contain_text("+      en-US: Welcome to {helpdesk}.")
    page.click("button[value=publish]")
    expect(page.locator(".flash.ok")).to_contain_text("Published the intake script version 2")
    flow = page.locator("#flow svg")
    expect(flow).to_be_visible()
    expect(flow).to_contain_text("greeting")
    expect(flow).to_contain_text("press 1")

    # Try a draft on the browser phone: not published, spoken in the caller's language.
    paste_script(page, fixed.replace("Welcome to {helpdesk}.", "Draft line of {helpdesk}."))
    page.click("#phone-dial")
    screen = page.locator("#phone-screen")
    expect(screen).to_contain_text("[en-US] Draft line of the IT Help Desk.")
    expect(screen).to_contain_text("(waiting for dtmf)")
    page.click("#keypad button[data-key='2']")
    page.click("#phone-send-keys")
    expect(screen).to_contain_text("you pressed 2")
    expect(screen).to_contain_text("[it-IT] Per lo stato di un ticket, prema 1")  # the answer
    spoken = page.evaluate("window.__spoken")
    assert {"text": "Draft line of the IT Help Desk.", "lang": "en-US"} in spoken
    assert not any(s["lang"] == "ms-MY" for s in spoken)  # the menu is spoken in en-US only
    assert any(s["lang"] == "it-IT" for s in spoken)  # after pressing 2, the line is Italian
    screenshot(page, "admin-script-editor")
    page.click("#phone-hangup")
    expect(screen).to_contain_text("(the line hung up)")

    page.click("button:has-text('Roll back to version 1')")
    expect(page.locator(".flash.ok")).to_contain_text("version 1's text is live again as "
                                                      "version 3")
    assert scripts.current(db, "intake").text == original
    page.goto("/admin/audit")
    expect(page.locator("table.audit")).to_contain_text("script.rollback")
    screenshot(page, "admin-audit")
    page.goto("/admin/hours")
    expect(page.locator("#sla")).to_contain_text("enterprise failure")
    screenshot(page, "admin-hours")
    page.goto("/admin/priority")
    page.select_option("select[name=cell_me_blocked]", "enterprise_failure")
    page.click("button:has-text('Publish a new intake script version')")
    expect(page.locator(".flash.ok")).to_contain_text("Published the intake script version 4")
    expect(page.locator("select[name=cell_me_blocked]")).to_have_value("enterprise_failure")
    screenshot(page, "admin-priority")
    page.goto("/admin/agents")
    screenshot(page, "admin-agents")


def test_an_agent_is_refused_an_admin_page(page, users):
    page.goto("/admin/scripts")
    expect(page.locator("h1")).to_have_text("Log in")  # not logged in: the login page first
    screenshot(page, "login")
    login(page, "ann")
    expect(page.locator("h1")).to_contain_text("Queue")
    response = page.goto("/admin/scripts")
    assert response.status == 403
    expect(page.locator(".flash.error")).to_have_text("You do not have access to this page.")
    assert not page.locator("a:has-text('Admin')").count()
    assert page.goto("/admin/").status == 403
    assert re.search(r"/admin/$", page.url)
