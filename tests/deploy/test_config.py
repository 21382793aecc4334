"""Settings: typed and checked from the environment, every one in .env.example, and a
production line that refuses to start with development values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ivr import create_app
from ivr.config import ConfigError, Settings

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "k" * 48,
    "TWILIO_ACCOUNT_SID": "AC" + "0123456789abcdef" * 2,
    "TWILIO_AUTH_TOKEN": "0123456789abcdef0123456789abcdef",
    "PUBLIC_BASE_URL": "https://ivr.example.com",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No setting from the machine or a developer's .env leaks into these tests."""
    for key in Settings.model_fields:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


def make(database_url: str, **settings):
    return create_app({"TESTING": True, "DATABASE_URL": database_url, **settings})


def test_env_example_lists_every_setting():
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^([A-Z_]+)=", text, flags=re.MULTILINE))
    assert listed == set(Settings.model_fields)


def test_env_example_as_a_dotenv_file_runs_the_demo(tmp_path, database_url):
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text(encoding="utf-8"))
    app = make(database_url)
    assert app.config["SESSION_MINUTES"] == 30 and app.config["EMERGENCY_NUMBER"] == ""
    assert app.config["APP_ENV"] == "development"
    assert app.config["FALLBACK_MESSAGE"].startswith("We are sorry")


def test_settings_come_from_the_environment_with_their_types(monkeypatch, database_url):
    monkeypatch.setenv("SESSION_MINUTES", "45")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://ivr.example.com/")
    monkeypatch.setenv("FALLBACK_VOICE", "Polly.Amy")
    monkeypatch.setenv("EMERGENCY_NUMBER", "+15550109999")
    monkeypatch.setenv("INTAKE_SCRIPT", "intake-v2")
    cfg = make(database_url).config
    assert cfg["SESSION_MINUTES"] == 45
    assert cfg["PUBLIC_BASE_URL"] == "https://ivr.example.com"
    assert (cfg["FALLBACK_VOICE"], cfg["EMERGENCY_NUMBER"]) == ("Polly.Amy", "+15550109999")
    assert cfg["INTAKE_SCRIPT"] == "intake-v2"


def test_a_dict_given_to_create_app_wins_over_the_environment(monkeypatch, database_url):
    monkeypatch.setenv("HELPDESK_NAME", "from the environment")
    cfg = make(database_url, HELPDESK_NAME="from the test", WTF_CSRF_ENABLED=False).config
    assert cfg["HELPDESK_NAME"] == "from the test"
    assert cfg["WTF_CSRF_ENABLED"] is False  # keys that are not settings pass through


@pytest.mark.parametrize(("key", "value", "says"), [
    ("SESSION_MINUTES", "half an hour", "SESSION_MINUTES: Input should be a valid integer"),
    ("SESSION_MINUTES", "0", "SESSION_MINUTES: Input should be greater than 0"),
    ("PUBLIC_BASE_URL", "ivr.example.com", "PUBLIC_BASE_URL: must be an http(s) URL"),
    ("TWILIO_PHONE_NUMBER", "555-0100", "TWILIO_PHONE_NUMBER: must be a phone number in E.164"),
    ("EMERGENCY_NUMBER", "911x", "EMERGENCY_NUMBER: must be a phone number in E.164"),
    ("TWILIO_ACCOUNT_SID", "ACxxxxxxxx", "TWILIO_ACCOUNT_SID: must be 'AC' and 32 hexadecimal"),
    ("LOG_FORMAT", "yaml", "LOG_FORMAT: Input should be 'text' or 'json'"),
    ("APP_ENV", "prod", "APP_ENV: Input should be 'development' or 'production'"),
    ("PROXY_COUNT", "-1", "PROXY_COUNT: Input should be greater than or equal to 0"),
    ("TWILIO_API_URL", "127.0.0.1:8080/x", "TWILIO_API_URL: must be empty or an origin"),
])
def test_a_wrong_setting_is_refused_by_name(monkeypatch, database_url, key, value, says):
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as refused:
        make(database_url)
    assert says in str(refused.value)


def test_production_starts_with_real_secrets_and_https(database_url):
    app = make(database_url, **PRODUCTION)
    assert app.config["APP_ENV"] == "production"


@pytest.mark.parametrize(("key", "value", "says"), [
    ("SECRET_KEY", "dev-only-change-me", "SECRET_KEY is the development value"),
    ("SECRET_KEY", "short-but-not-default", "SECRET_KEY is too short (21 characters"),
    ("TWILIO_AUTH_TOKEN", "dev-auth-token", "TWILIO_AUTH_TOKEN is the development value"),
    ("TWILIO_ACCOUNT_SID", "AC" + "0" * 32, "TWILIO_ACCOUNT_SID is the development placeholder"),
    ("PUBLIC_BASE_URL", "http://ivr.example.com", "PUBLIC_BASE_URL must be https://"),
    ("TWILIO_API_URL", "http://127.0.0.1:8080", "TWILIO_API_URL sends Twilio's requests to "
                                               "http://127.0.0.1:8080, not Twilio"),
])
def test_production_refuses_development_values(monkeypatch, database_url, key, value, says):
    monkeypatch.setenv(key, value)  # from the environment, as a real deployment sets them
    for name, real in PRODUCTION.items():
        if name != key:
            monkeypatch.setenv(name, real)
    with pytest.raises(ConfigError) as refused:
        make(database_url)
    assert "refusing to start with APP_ENV=production" in str(refused.value)
    assert says in str(refused.value)


def test_production_lists_every_problem_at_once(database_url):
    with pytest.raises(ConfigError) as refused:
        make(database_url, APP_ENV="production")
    message = str(refused.value)
    for key in ("SECRET_KEY", "TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID", "PUBLIC_BASE_URL"):
        assert key in message
    assert "dev-only-change-me" not in message  # secrets are named, never printed


def test_the_development_defaults_still_run_the_demo(database_url):
    cfg = make(database_url).config
    assert cfg["APP_ENV"] == "development" and cfg["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"
