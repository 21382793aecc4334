"""The admin forms change exactly what the admin changed in the YAML: every other line keeps
its comments, quoting and spacing, and the audit log shows the changed lines as a diff."""

from __future__ import annotations

import difflib
import html
import re

from sqlalchemy import select

from tickets import versions
from tickets.accounts import AuditLog

INPUT = re.compile(r'<input name="([^"]+)"[^>]*?value="([^"]*)"')
SUNDAY = "    sun: ['10:00-12:00']   # volunteers only: no tier 2\n"


def form_as_shown(page: str) -> dict[str, str]:
    """What the browser sends for the form as the page shows it (no field changed)."""
    return {name: html.unescape(value) for name, value in INPUT.findall(page)
            if name != "csrf_token"}


def changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def live_policy_text(db) -> str:
    return versions.current(db, "default", "policy").text


def test_changing_only_sunday_changes_one_line_and_the_audit_shows_it(as_admin, db):
    # The admin once added Sunday by hand, single-quoted, with a comment after it.
    as_admin.get("/admin/scripts/policy/default")
    shipped = live_policy_text(db)
    friday = next(line for line in shipped.splitlines(keepends=True)
                  if line.strip().startswith("fri:"))
    by_hand = shipped.replace(friday, friday + SUNDAY, 1)
    assert as_admin.post("/admin/scripts/policy/default",
                         {"text": by_hand, "action": "publish"}).status_code == 302

    form = form_as_shown(as_admin.get("/admin/hours").get_data(as_text=True))
    assert form["day_sun"] == "10:00-12:00"
    form["day_sun"] = "10:00-14:00"
    assert as_admin.post("/admin/hours", form).status_code == 302

    after = live_policy_text(db)
    edited = "    sun: ['10:00-14:00']   # volunteers only: no tier 2"
    assert after == by_hand.replace(SUNDAY, edited + "\n")  # nothing else moved a byte
    assert changed_lines(by_hand, after) == ["-" + SUNDAY.rstrip("\n"), "+" + edited]
    assert versions.live_policy(db).hours.weekly["sun"] == [(10 * 60, 14 * 60)]  # minutes

    row = db.scalar(select(AuditLog).where(AuditLog.action == "policy.hours_sla"))
    assert row.detail["changes"] == ["-" + SUNDAY.rstrip("\n"), "+" + edited]
    page = as_admin.get("/admin/audit").get_data(as_text=True)
    assert "\\u0027" not in page and "\\u0022" not in page
    shown = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "+" + edited in shown and "-" + SUNDAY.rstrip("\n") in shown
    assert "version: 3, previous: 2" in shown


def test_a_new_day_is_written_like_the_days_before_it(as_admin, db):
    form = form_as_shown(as_admin.get("/admin/hours").get_data(as_text=True))
    before = live_policy_text(db)
    form["day_sat"] = "09:00-12:00"
    assert as_admin.post("/admin/hours", form).status_code == 302
    assert changed_lines(before, live_policy_text(db)) == ['+    sat: ["09:00-12:00"]']


def test_a_form_sent_unchanged_publishes_nothing(as_admin, db):
    as_admin.get("/admin/hours")
    page = as_admin.get("/admin/hours").get_data(as_text=True)
    response = as_admin.post("/admin/hours", form_as_shown(page), follow_redirects=True)
    assert "Nothing changed" in response.get_data(as_text=True)
    assert db.scalar(select(AuditLog)) is None


def test_one_cell_of_the_matrix_changes_one_word_of_its_aligned_row(as_admin, db):
    as_admin.get("/admin/priority")
    before = versions.current(db, "intake").text
    assert as_admin.post("/admin/priority", {"cell_me_blocked": "enterprise_failure"}
                         ).status_code == 302
    after = versions.current(db, "intake").text
    [removed, added] = changed_lines(before, after)
    assert added == "+" + removed[1:].replace("blocked: critical_situation",
                                              "blocked: enterprise_failure")
    assert removed.startswith("-    me: ") and "  " in removed[8:]  # the columns stay aligned
