"""A team lead reads the reports in a real browser: charts, figures, a CSV download."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.sync_api import expect

from ivr.clock import FixedClock

from ..reports.test_reports_page import DAY, line  # noqa: F401  (a day on the line)
from .conftest import login, screenshot


def test_team_lead_reads_the_reports_and_downloads_a_csv(page, app, users, line):  # noqa: F811
    app.extensions["clock"] = FixedClock(DAY + timedelta(days=1, hours=12))
    login(page, "lead")
    page.click("header nav a:has-text('Reports')")
    expect(page.locator("h1")).to_have_text("Reports")
    page.fill("input[name=from]", "2026-11-23")
    page.fill("input[name=to]", "2026-11-23")
    page.click("form.report-range button")

    by_tier = page.locator("#queue-by-tier")
    expect(by_tier.locator("svg.chart rect")).to_have_count(2)  # one bar per tier
    expect(by_tier.locator("tbody tr").first).to_contain_text("66.7")  # SL, tier 1
    expect(page.locator("#sla-by-priority")).to_contain_text("critical_situation")
    screenshot(page, "reports")

    with page.expect_download() as download:
        by_tier.locator("a:has-text('Download CSV')").click()
    saved = download.value
    assert saved.suggested_filename == "queue-by-tier_2026-11-23_2026-11-23.csv"
    lines = Path(saved.path()).read_text(encoding="utf-8").splitlines()
    assert lines[1] == "1,3,2,0,0,55.0,40.0,66.7,60.0"
