"""Admins change scripts and policies in the browser: check, diff, publish, roll back, draw,
and try a draft on the browser phone."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from tickets import versions as scripts
from tickets.accounts import AuditLog
from tickets.models import Call, QueueEntry, ScriptVersion, Ticket

from ..conftest import AUTH_TOKEN, PUBLIC_BASE_URL, Caller
from ..ivr.test_queue import to_queue

INTAKE = "/admin/scripts/script/intake"
GREETING = "Thank you for calling {helpdesk}."


def live_text(db, name="intake", kind="script") -> str:
    return scripts.current(db, name, kind).text


def live_version(db, name="intake", kind="script") -> int:
    return db.scalar(select(ScriptVersion.version).where(
        ScriptVersion.kind == kind, ScriptVersion.name == name)
        .order_by(ScriptVersion.version.desc()).limit(1))


def test_a_broken_script_shows_its_problems_with_line_and_step(as_admin, db):
    as_admin.get(INTAKE)
    broken = live_text(db).replace("next: choose_language", "next: identify_callr", 1)
    response = as_admin.post(INTAKE, {"text": broken, "action": "publish"})
    page = html.unescape(response.get_data(as_text=True))
    assert "Not published: fix the problems below first." in page
    line = broken.splitlines().index("    next: identify_callr") + 1  # the greeting's
    assert (f"line {line}, step 'greeting': 'next' names a step that does not exist: "
            "'identify_callr'") in page
    assert live_version(db) == 1
    assert db.scalar(select(AuditLog)) is None


def test_yaml_syntax_errors_show_their_line(as_admin, db):
    as_admin.get(INTAKE)
    page = as_admin.post(INTAKE, {"text": "name: intake\nsteps: [unclosed\n",
                                  "action": "check"}).get_data(as_text=True)
    assert 'class="problems"' in page and "line " in page


def test_check_shows_the_diff_and_the_flow_of_the_draft(as_admin, db):
    as_admin.get(INTAKE)
    draft = live_text(db).replace(GREETING, "Welcome to {helpdesk}.")
    page = as_admin.post(INTAKE, {"text": draft, "action": "check"}).get_data(as_text=True)
    assert "No problems found." in page
    assert "-      en-US: Thank you for calling {helpdesk}." in page
    assert "+      en-US: Welcome to {helpdesk}." in page
    assert "<svg" in page and "greeting" in page and "press 1" in page
    assert live_version(db) == 1  # checking publishes nothing


def test_publish_adds_a_version_and_is_audited(as_admin, db, call):
    as_admin.get(INTAKE)
    before = call()  # a call in progress keeps the version it started with
    before.hears("Thank you for calling")
    draft = live_text(db).replace(GREETING, "Welcome to {helpdesk}.")
    response = as_admin.post(INTAKE, {"text": draft, "action": "publish"})
    assert response.status_code == 302
    page = as_admin.get(INTAKE).get_data(as_text=True)
    assert "Published the intake script version 2" in page
    assert live_version(db) == 2
    row = db.scalar(select(AuditLog))
    assert (row.user, row.action, row.target) == ("admin", "script.publish", "script intake")
    assert (row.detail["version"], row.detail["previous"]) == (2, 1)
    assert "-      en-US: Thank you for calling {helpdesk}." in row.detail["changes"]
    assert "+      en-US: Welcome to {helpdesk}." in row.detail["changes"]  # what changed
    call().hears("Welcome to the IT Help Desk")
    started = db.scalar(select(Call).where(Call.sid == before.call_sid))
    assert db.get(ScriptVersion, started.script_version_id).version == 1


def test_roll_back_publishes_the_old_text_again(as_admin, db):
    as_admin.get(INTAKE)
    original = live_text(db)
    as_admin.post(INTAKE, {"text": original.replace(GREETING, "Hi from {helpdesk}."),
                           "action": "publish"})
    as_admin.get(INTAKE)
    response = as_admin.post(f"{INTAKE}/rollback/1")
    assert response.status_code == 302
    page = as_admin.get(INTAKE).get_data(as_text=True)
    assert "version 1&#39;s text is live again as version 3" in page
    assert live_version(db) == 3 and live_text(db) == original
    actions = [r.action for r in db.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions == ["script.publish", "script.rollback"]


def test_hours_and_sla_change_through_the_policy_and_are_audited(as_admin, db):
    url = "/admin/scripts/policy/default"
    as_admin.get(url)
    text = live_text(db, "default", "policy")
    changed = text.replace('mon: ["08:00-18:00"]', 'mon: ["07:00-19:00"]').replace(
        "enterprise_failure: {response_minutes: 15,", "enterprise_failure: {response_minutes: 10,")
    assert changed != text
    as_admin.post(url, {"text": changed, "action": "publish"})
    from tickets.versions import live_policy

    policy = live_policy(db)
    assert policy.sla["enterprise_failure"].response_minutes == 10
    row = db.scalar(select(AuditLog))
    assert (row.action, row.target) == ("policy.publish", "policy default")
    as_admin.get(url)
    bad = text.replace('mon: ["08:00-18:00"]', 'mon: ["18:00-08:00"]')
    page = as_admin.post(url, {"text": bad, "action": "check"}).get_data(as_text=True)
    assert 'class="problems"' in page and "line " in page


def test_the_browser_phone_runs_the_draft_through_the_signed_webhooks(as_admin, db, call):
    page = as_admin.get(INTAKE).get_data(as_text=True)
    assert "TWILIO_AUTH_TOKEN" not in page and "test-auth-token" not in page
    draft = live_text(db).replace(GREETING, "This is the draft of {helpdesk}.")
    started = as_admin.post_json("/admin/phone/start", {"name": "intake", "text": draft})
    assert started.status_code == 200, started.get_data(as_text=True)
    heard = started.get_json()
    texts = [h["text"] for h in heard["heard"]]
    assert "This is the draft of the IT Help Desk." in texts
    assert {"en-US", "it-IT", "ms-MY"} <= {h["language"] for h in heard["heard"]}
    assert heard["waiting_for"] == "dtmf" and not heard["hung_up"]

    pressed = as_admin.post_json("/admin/phone/press", {"digits": "2"}).get_json()
    assert {h["language"] for h in pressed["heard"]} == {"it-IT"}

    assert live_version(db) == 1  # the draft is not published
    call().hears("Thank you for calling")  # and real callers still hear the live script
    ended = as_admin.post_json("/admin/phone/hangup").get_json()
    assert ended["hung_up"]
    assert as_admin.post_json("/admin/phone/press", {"digits": "1"}).status_code == 400


def test_the_browser_phone_refuses_a_broken_draft(as_admin, db):
    as_admin.get(INTAKE)
    broken = live_text(db).replace("next: choose_language", "next: nowhere", 1)
    response = as_admin.post_json("/admin/phone/start", {"name": "intake", "text": broken})
    assert response.status_code == 400
    line = broken.splitlines().index("    next: nowhere") + 1  # the greeting's
    assert f"intake.yaml:{line}: step 'greeting'" in " ".join(response.get_json()["problems"])


def test_a_script_name_too_long_to_store_is_refused_not_a_500(as_admin, db):
    name = "n" * 90
    assert as_admin.get(f"/admin/scripts/policy/{name}").status_code == 404
    response = as_admin.post(f"/admin/scripts/policy/{name}",
                             {"text": live_text(db, "default", "policy"), "action": "publish"})
    assert response.status_code == 404
    as_admin.get(INTAKE)
    response = as_admin.post_json("/admin/phone/start", {"name": name, "text": live_text(db)})
    assert response.status_code == 400
    assert "at most 74 characters" in response.get_json()["error"]
    assert db.scalar(select(ScriptVersion).where(ScriptVersion.name.contains("nnnn"))) is None


def test_a_forged_draft_parameter_runs_the_live_script(as_admin, db):
    as_admin.get(INTAKE)
    draft = live_text(db).replace(GREETING, "Secret draft of {helpdesk}.")
    as_admin.post_json("/admin/phone/start", {"name": "intake", "text": draft})
    draft_id = db.scalar(select(ScriptVersion.id).where(ScriptVersion.name == "draft:intake"))

    def transport(url, params, headers):
        response = as_admin.client.post(url[len(PUBLIC_BASE_URL):], data=params,
                                        headers=headers)
        return response.status_code, response.get_data(as_text=True)

    # Signed like Twilio, but the draft named by its bare id, not by the app's signed token.
    forged = Caller(transport, PUBLIC_BASE_URL, AUTH_TOKEN, from_="+12025550148").dial(
        f"/voice/incoming?draft={draft_id}")
    forged.hears("Thank you for calling")
    assert "Secret draft" not in forged.text


def test_the_phone_endpoints_are_admin_only(as_ann):
    response = as_ann.post_json("/admin/phone/start", {"name": "intake", "text": "x"})
    assert response.status_code == 403


TINY = """\
name: intake
start: hello
default_language: en-US
languages:
  en-US: {voice: Polly.Joanna, label: English, select: For English press 1.}
defaults:
  retries: 1
  timeout: 5
  reprompt: {en-US: Sorry.}
  no_input: {en-US: Nothing heard.}
  confirm: {en-US: Press 1 if right.}
steps:
  hello:
    type: menu
    prompt: {en-US: Press 1 for an analyst.}
    options:
      "1": {next: to_queue}
    on_fail: bye
  to_queue:
    type: queue
  bye:
    type: hangup
"""


def test_a_trial_call_ends_where_the_draft_queues_the_caller(as_admin, db, demo):

    as_admin.get(INTAKE)
    started = as_admin.post_json("/admin/phone/start", {"name": "intake", "text": TINY})
    assert [h["text"] for h in started.get_json()["heard"]] == ["Press 1 for an analyst."]
    pressed = as_admin.post_json("/admin/phone/press", {"digits": "1"}).get_json()
    assert pressed["hung_up"], pressed
    assert "the trial call ends" in pressed["heard"][-1]["text"]
    assert db.scalar(select(QueueEntry)) is None


def test_hours_holidays_and_sla_form_publishes_a_policy_version(as_admin, db):
    from datetime import date

    from tickets.versions import live_policy

    page = as_admin.get("/admin/hours").get_data(as_text=True)
    assert 'value="08:00-18:00"' in page and "2026-12-25" in page
    form = {"timezone": "Europe/Rome", "holidays": "2026-12-25, 2027-01-06",
            "emergency_labels": "enterprise_failure",
            "day_mon": "08:00-12:00, 13:00-18:00", "day_sat": "09:00-12:00"}
    for label in ("enterprise_failure", "critical_situation", "regular_service",
                  "planned_event"):
        form[f"sla_{label}_response_minutes"] = "20" if label == "enterprise_failure" else "60"
        form[f"sla_{label}_resolution_minutes"] = "480"
    response = as_admin.post("/admin/hours", form)
    assert response.status_code == 302
    policy = live_policy(db)
    assert policy.hours.timezone == "Europe/Rome"
    assert date(2027, 1, 6) in policy.hours.holidays
    assert set(policy.hours.weekly) == {"mon", "sat"}
    assert policy.sla["enterprise_failure"].response_minutes == 20
    text = scripts.current(db, "default", "policy").text
    assert "# Tier rules (as FreeSWITCH mod_callcenter)" in text  # the admin's comments stay
    assert "messages:" in text
    row = db.scalar(select(AuditLog).where(AuditLog.action == "policy.hours_sla"))
    assert row.user == "admin" and row.detail["version"] == 2
    assert any("Europe/Rome" in line for line in row.detail["changes"])


def test_hours_form_shows_problems_instead_of_publishing(as_admin, db):
    as_admin.get("/admin/hours")
    page = html.unescape(as_admin.post("/admin/hours", {
        "timezone": "Mars/Olympus", "day_mon": "08:00-18:00"}).get_data(as_text=True))
    assert "Not published" in page and "line " in page
    assert live_version(db, "default", "policy") == 1


def test_priority_matrix_form_changes_what_callers_get_and_where_they_go(
        as_admin, call, db, demo, clock):
    page = html.unescape(as_admin.get("/admin/priority").get_data(as_text=True))
    assert 'name="cell_me_blocked"' in page and "critical situation" in page
    assert 'name="tier_enterprise_failure"' in page
    response = as_admin.post("/admin/priority", {"cell_me_blocked": "enterprise_failure",
                                                 "tier_enterprise_failure": "3"})
    assert response.status_code == 302
    assert live_version(db) == 2
    text = live_text(db)
    assert "# who is affected x can they work" in text  # the rest stays as the admin wrote it
    assert "Thank you for calling {helpdesk}." in text
    row = db.scalar(select(AuditLog).where(AuditLog.action == "script.priority"))
    assert row.user == "admin" and row.detail["version"] == 2
    assert any("enterprise_failure" in line and line.startswith("+")
               for line in row.detail["changes"])

    to_queue(call, impact="1", urgency="3")  # just me, cannot work at all
    ticket = db.scalar(select(Ticket).order_by(Ticket.id.desc()).limit(1))
    assert ticket.priority == "enterprise_failure"
    assert db.scalar(select(QueueEntry.tier).where(QueueEntry.ticket_id == ticket.id)) == 3


def test_priority_form_refuses_an_unknown_label_or_tier_with_its_line(as_admin, db):
    as_admin.get("/admin/priority")
    page = html.unescape(as_admin.post("/admin/priority", {
        "cell_team_works": "whenever"}).get_data(as_text=True))
    assert "Not published" in page
    assert re.search(r"line \d+: priority\.matrix\[team\]\[works\] names unknown label "
                     r"'whenever'", page)
    assert "whenever (unknown)" in page  # the form keeps what the admin chose
    page = html.unescape(as_admin.post("/admin/priority", {
        "tier_planned_event": "7"}).get_data(as_text=True))
    assert re.search(r"line \d+: priority\.labels\.planned_event\.tier: Input should be less "
                     r"than or equal to 3", page)
    assert live_version(db) == 1
