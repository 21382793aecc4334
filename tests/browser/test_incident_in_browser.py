"""A team lead declares a major incident and resolves it, in a real browser; a caller takes
the short path meanwhile, and an analyst sees the banner, the linked caller and the count."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from tickets.models import Incident, OutboundCall

from .conftest import login, screenshot


def test_a_team_lead_declares_and_resolves_an_incident(page, browser, server, users, call, db,
                                                       clock):
    login(page, "lead")
    page.click("nav a:has-text('Incidents')")
    expect(page.locator("#no-incident")).to_be_visible()
    form = page.locator("#declare-form")
    form.locator("select[name=category]").select_option("software")
    form.locator("input[name=service]").fill("e-mail")
    form.locator("input[name=started_at]").fill("2026-11-23T09:10")
    form.locator("input[name=expected_at]").fill("2026-11-23T11:00")
    form.locator("button").click()
    heard = page.locator("#heard")
    expect(heard).to_contain_text(
        "We are aware of a problem with e-mail since 09:10; we expect it fixed by 11:00.")
    expect(heard).to_contain_text("Siamo a conoscenza di un problema con e-mail dalle 09:10")
    expect(page.locator(".incident-banner")).to_contain_text("e-mail")

    caller = call(from_="+442079460958").press("1")  # London: UTC in November
    caller.hears("We are aware of a problem with e-mail since 09:10")
    caller.press("1").speak("Jane Doe").speak("Outlook is offline")
    caller.hears("We will call or text you when it is fixed")

    # an analyst, in another browser window: the banner, the count, the linked caller
    analyst = browser.new_context(base_url=server).new_page()
    login(analyst, "ann")
    expect(analyst.locator(".incident-banner")).to_contain_text("Major incident: e-mail")
    expect(analyst.locator("#short-path")).to_have_text("1")
    analyst.click(".incident-banner a")
    expect(analyst.locator("#linked-callers")).to_contain_text("Jane Doe")
    expect(analyst.locator("#linked-callers")).to_contain_text("Outlook is offline")
    expect(analyst.locator("#resolve-form")).to_have_count(0)  # analysts do not resolve
    analyst.context.close()

    page.reload()
    expect(page.locator("#linked-count")).to_have_text("1")
    screenshot(page, "incident")
    page.fill("#resolve-form textarea[name=note]", "Mail server restarted")
    page.click("#resolve-form button")
    expect(page.locator("#incident-status")).to_have_text("resolved")
    expect(page.locator("#linked-callers")).to_contain_text("resolved")
    expect(page.locator(".incident-banner")).to_have_count(0)

    incident = db.scalars(select(Incident)).one()
    assert incident.resolution_note == "Mail server restarted"
    notice = db.scalar(select(OutboundCall).where(OutboundCall.kind == "incident_notice"))
    assert notice.to_number == "+442079460958" and notice.status == "pending"
