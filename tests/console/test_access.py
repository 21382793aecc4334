"""Who may see what: logins, roles, CSRF, expiring sessions, the audit log."""

from __future__ import annotations

from sqlalchemy import select

from ivr.clock import FixedClock
from tickets.accounts import AuditLog, User
from tickets.db import utcnow
from tickets.models import Agent, Ticket

from .conftest import PASSWORD


def test_pages_need_a_login(client, users):
    for path in ("/console/", "/console/tickets", "/admin/", "/admin/scripts"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_wrong_password_is_refused(console, users):
    response = console.login("admin", "not the password")
    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(as_text=True)
    assert console.get("/admin/").status_code == 302


def test_password_is_stored_as_an_argon2_hash(db, users):
    user = db.scalar(select(User).where(User.username == "admin"))
    assert user.password_hash.startswith("$argon2")
    assert "correct horse" not in user.password_hash


def test_an_agent_is_refused_admin_pages(as_ann):
    for path in ("/admin/", "/admin/scripts", "/admin/agents", "/admin/audit",
                 "/admin/scripts/script/intake"):
        response = as_ann.get(path)
        assert response.status_code == 403, path
        assert "You do not have access" in response.get_data(as_text=True)
    assert as_ann.post("/admin/agents", {"name": "Mallory", "tier": "1"}).status_code == 403


def test_an_agent_lands_on_the_queue_and_an_admin_on_admin(console, users):
    assert console.login("ann").headers["Location"].endswith("/console/")
    console.post("/logout")
    assert console.login("admin").headers["Location"].endswith("/admin/")


def test_only_team_leads_see_follow_ups(console, users):
    console.login("ann")
    assert console.get("/console/follow-ups").status_code == 403
    console.post("/logout")
    console.login("lead")
    assert console.get("/console/follow-ups").status_code == 200


def test_a_form_without_its_csrf_token_is_refused(client, users, console):
    console.login("admin")
    response = client.post("/admin/agents", data={"name": "No Token", "tier": "1"})
    assert response.status_code == 400
    assert "The form was refused" in response.get_data(as_text=True)
    page = console.get("/admin/agents").get_data(as_text=True)
    assert "No Token" not in page


def test_login_itself_needs_the_csrf_token(client, users):
    response = client.post("/login", data={"username": "admin", "password": "x" * 12})
    assert response.status_code == 400


def test_twilio_webhooks_need_no_csrf_token(call):
    caller = call()
    assert caller.text  # the line answered a signed POST that carried no CSRF token


def test_a_session_expires_after_session_minutes_idle(app, console, users):
    clock = FixedClock(utcnow())
    app.extensions["clock"] = clock
    console.login("admin")
    assert console.get("/admin/").status_code == 200
    clock.advance(29 * 60)
    assert console.get("/admin/").status_code == 200  # activity keeps it alive
    clock.advance(31 * 60)
    response = console.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = console.get("/login").get_data(as_text=True)
    assert "Your session expired" in page
    assert console.get("/admin/").status_code == 302  # the login is gone, not just refused


def test_the_session_cookie_is_limited_to_session_minutes(app):
    assert app.permanent_session_lifetime.total_seconds() == 30 * 60


def test_adding_an_agent_is_audited(as_admin, db):
    response = as_admin.post("/admin/agents", {"name": "Nora New", "phone": "+1 202 555 0199",
                                               "tier": "2", "skills": "network, access"})
    assert response.status_code == 302
    row = db.scalar(select(AuditLog).where(AuditLog.action == "agent.add"))
    assert row.user == "admin"
    assert row.detail == {"name": "Nora New", "tier": 2, "skills": ["network", "access"]}
    assert row.at is not None
    page = as_admin.get("/admin/audit").get_data(as_text=True)
    assert "agent.add" in page and "Nora New" in page


def test_editing_an_agent_is_audited_with_before_and_after(as_admin, db, users):
    ann = users["ann"]
    as_admin.post(f"/admin/agents/{ann.id}", {"name": "Ann Analyst", "phone": "+15550142001",
                                              "tier": "2", "skills": "hardware"})
    row = db.scalar(select(AuditLog).where(AuditLog.action == "agent.edit"))
    assert row.target == f"agent {ann.id}"
    assert row.detail["before"]["tier"] == 1 and row.detail["after"]["tier"] == 2


def test_admins_set_an_analysts_phone_pin_and_only_that_it_was_set_is_audited(
        as_admin, db, users):
    ann = users["ann"]
    page = as_admin.get("/admin/agents").get_data(as_text=True)
    assert "no PIN is set: new PIN" in page
    form = {"name": "Ann Analyst", "phone": "+15550142001", "tier": "1", "skills": ""}
    refused = as_admin.post(f"/admin/agents/{ann.id}", {**form, "pin": "12"})
    assert refused.status_code == 400 and "4 to 8 digits" in refused.get_data(as_text=True)
    assert as_admin.post(f"/admin/agents/{ann.id}", {**form, "pin": "86420"}).status_code == 302
    pin_hash = db.get(Agent, ann.id, populate_existing=True).pin_hash
    assert pin_hash and "86420" not in pin_hash
    row = db.scalar(select(AuditLog).where(AuditLog.action == "agent.edit"))
    assert row.detail["after"]["phone_pin"] == "set" and "86420" not in str(row.detail)
    assert "set: new PIN" in as_admin.get("/admin/agents").get_data(as_text=True)


def test_users_create_makes_the_first_admin(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ivr", "users", "create", "root", "--role", "admin",
                                 "--password", "a long secret"])
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.username == "root"))
    assert user.role == "admin" and user.active


def test_users_create_prompts_for_the_password(app, db):
    result = app.test_cli_runner().invoke(args=["ivr", "users", "create", "kim"],
                                          input="a long secret\na long secret\n")
    assert result.exit_code == 0, result.output
    assert db.scalar(select(User).where(User.username == "kim")).role == "agent"


def test_demo_load_seeds_and_prints_the_demo_logins(app, console, db):
    result = app.test_cli_runner().invoke(args=["ivr", "demo", "load"])
    assert result.exit_code == 0, result.output
    assert "admin  / admin-demo-1" in result.output
    assert "analysts log in by phone (flask ivr call --from THEIR_NUMBER) with PIN 2468" \
        in result.output
    assert all(a.pin_hash for a in db.scalars(select(Agent)))
    assert "ann" in result.output
    assert console.login("ann", "ann-demo-1").headers["Location"].endswith("/console/")


def test_an_agent_form_with_a_taken_phone_or_a_long_name_says_so_and_keeps_the_typing(
        as_admin, db, users):
    ann, tess = users["ann"], users["tess"]
    response = as_admin.post("/admin/agents", {"name": "Nora New", "phone": "+1 555 014 2001",
                                               "tier": "2", "skills": "network"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "+15550142001 is already the phone of Ann Analyst" in page
    assert 'value="Nora New"' in page and 'value="network"' in page  # nothing to retype
    assert db.scalar(select(Agent).where(Agent.name == "Nora New")) is None

    response = as_admin.post(f"/admin/agents/{tess.id}", {"name": "Tess Two", "tier": "3",
                                                         "phone": "+15550142001"})
    assert response.status_code == 400
    assert "already the phone of Ann Analyst" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Agent, tess.id).phone == "+15550142003"
    assert db.get(Agent, tess.id).tier == 2

    response = as_admin.post("/admin/agents", {"name": "N" * 201, "tier": "1"})
    assert response.status_code == 400
    assert "a name has at most 200 characters" in response.get_data(as_text=True)

    # an agent keeps their own number when saved
    response = as_admin.post(f"/admin/agents/{ann.id}", {"name": "Ann A.", "tier": "1",
                                                        "phone": "+15550142001"})
    assert response.status_code == 302


def test_after_a_session_expires_on_a_form_the_login_returns_to_the_form_s_page(
        app, console, users, demo):
    clock = FixedClock(utcnow())
    app.extensions["clock"] = clock
    number = demo.scalar(select(Ticket.number).where(Ticket.tier == 1).order_by(Ticket.id))
    page = f"/console/tickets/{number}"
    console.login("ann")
    console.get(page)
    clock.advance(31 * 60)
    response = console.post(f"{page}/note", {"text": "Rebooted the switch"},
                            headers={"Referer": f"http://localhost{page}"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_page = response.headers["Location"]
    assert "Your session expired" in console.get(login_page).get_data(as_text=True)
    back = console.post(login_page, {"username": "ann", "password": PASSWORD})
    assert back.headers["Location"] == page  # the ticket, not the POST-only /note
    assert console.get(page).status_code == 200


def test_after_a_session_expires_on_a_form_with_no_referer_the_login_goes_home(
        app, console, users):
    clock = FixedClock(utcnow())
    app.extensions["clock"] = clock
    console.login("ann")
    clock.advance(31 * 60)
    response = console.post("/console/status", {"status": "available"})
    login_page = response.headers["Location"]
    console.get(login_page)
    back = console.post(login_page, {"username": "ann", "password": PASSWORD})
    assert back.headers["Location"] == "/console/"
