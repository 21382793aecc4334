"""The `helpdesk-ivr` command, as an operator types it: settings from the environment."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import inspect, select

from ivr.config import Settings
from ivr.entry import cli, make_app
from tickets.accounts import User
from tickets.db import make_engine


@pytest.fixture
def helpdesk_ivr(monkeypatch, tmp_path):
    """Run `helpdesk-ivr ARGS` with these settings in the environment, from an empty folder."""
    for key in Settings.model_fields:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    apps = []

    def loaded():
        apps.append(make_app())  # the command's own loader, kept to close its database
        return apps[-1]

    def run(*args: str, **settings: str):
        return CliRunner().invoke(cli, list(args), env=settings, catch_exceptions=False,
                                  obj=ScriptInfo(create_app=loaded))

    yield run
    for app in apps:
        app.extensions["engine"].dispose()


def test_db_upgrade_builds_a_new_database_in_a_new_folder(helpdesk_ivr, tmp_path):
    url = f"sqlite:///{tmp_path}/var/lib/helpdesk/helpdesk.db"
    result = helpdesk_ivr("db", "upgrade", DATABASE_URL=url)
    assert result.exit_code == 0, result.output
    assert "database at head" in result.output
    engine = make_engine(url)
    assert {"ticket", "call", "scheduler_heartbeat"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_the_ivr_commands_are_also_top_level(helpdesk_ivr, database_url):
    listing = helpdesk_ivr("--help", DATABASE_URL=database_url).output
    for command in ("db", "serve", "scheduler", "users", "agents", "scripts", "demo", "call"):
        assert f"\n  {command} " in listing
    assert "Run the scheduler" in helpdesk_ivr("scheduler", "--help",
                                               DATABASE_URL=database_url).output
    result = helpdesk_ivr("dispatch", DATABASE_URL=database_url)
    assert result.exit_code == 0 and "0 outbound call(s) handled" in result.output


def test_users_create_makes_a_login(helpdesk_ivr, database_url, db):
    result = helpdesk_ivr("users", "create", "olga", "--role", "admin", "--password",
                          "a long passphrase", "--name", "Olga Ops", DATABASE_URL=database_url)
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.username == "olga"))
    assert (user.role, user.name) == ("admin", "Olga Ops")


def test_a_wrong_setting_stops_the_command_with_its_name(helpdesk_ivr, database_url):
    result = helpdesk_ivr("db", "upgrade", DATABASE_URL=database_url, SESSION_MINUTES="abc")
    assert result.exit_code == 1
    assert "Error: invalid configuration:\n  SESSION_MINUTES: Input should be a valid integer" \
        in result.output
    assert "Traceback" not in result.output


def test_serve_refuses_development_secrets_in_production(helpdesk_ivr, database_url):
    result = helpdesk_ivr("serve", APP_ENV="production", DATABASE_URL=database_url,
                          PUBLIC_BASE_URL="https://ivr.example.com")
    assert result.exit_code == 1  # before gunicorn is started
    assert "refusing to start with APP_ENV=production" in result.output
    assert "SECRET_KEY is the development value" in result.output
    assert "TWILIO_AUTH_TOKEN is the development value" in result.output
    assert "PUBLIC_BASE_URL" not in result.output  # that one is right
