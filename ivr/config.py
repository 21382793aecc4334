"""Configuration: typed settings from the environment (and .env for local use); tests pass a dict.

Every setting is a field of ``Settings`` and a line of ``.env.example``. ``APP_ENV=production``
declares a public line: it refuses to start with the development secrets or a plain-http
``PUBLIC_BASE_URL``. Keys that are not settings (``TESTING``, Flask's own) pass through as given.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, get_origin
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEV_SECRET_KEY = "dev-only-change-me"
DEV_AUTH_TOKEN = "dev-auth-token"
DEV_ACCOUNT_SID = "AC" + "0" * 32
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(Exception):
    """The configuration cannot run the app; the message names each wrong key."""


class Settings(BaseModel):
    """What an operator sets; the defaults run the demo on this machine. Read by ``load``:
    the values given, over the environment, over ``.env`` (an empty value is no value)."""

    model_config = ConfigDict(extra="ignore")

    APP_ENV: Literal["development", "production"] = "development"
    DATABASE_URL: str | None = None  # default: a SQLite file in the instance folder
    # PostgreSQL: seconds to connect (or wait for a pooled connection) and for one statement,
    # so a hung database makes a webhook answer the fallback well inside Twilio's 15 s.
    DATABASE_CONNECT_TIMEOUT: float = Field(3, gt=0, le=60)
    DATABASE_STATEMENT_TIMEOUT: float = Field(3, gt=0, le=3600)
    # Where webhooks carrying data (voicemail, recordings, status callbacks) are kept while the
    # database is down, until the scheduler replays them; default: spool/ in the instance folder.
    SPOOL_DIR: str = ""
    SECRET_KEY: str = DEV_SECRET_KEY
    TWILIO_ACCOUNT_SID: str = DEV_ACCOUNT_SID
    TWILIO_AUTH_TOKEN: str = DEV_AUTH_TOKEN
    TWILIO_PHONE_NUMBER: str = "+15550100000"
    TWILIO_API_URL: str = ""  # empty: Twilio itself; else a stand-in's origin (test benches)
    # The browser softphone (Twilio's Voice JavaScript SDK): an API key of the account and the
    # TwiML app its outgoing calls use; unset, the console offers no softphone.
    TWILIO_API_KEY_SID: str = ""
    TWILIO_API_KEY_SECRET: str = ""
    TWILIO_TWIML_APP_SID: str = ""
    SOFTPHONE_TOKEN_SECONDS: int = Field(600, ge=60, le=3600)  # an access token's life
    PUBLIC_BASE_URL: str = "http://127.0.0.1:5000"
    HELPDESK_NAME: str = "the IT Help Desk"  # as said in DEFAULT_LANGUAGE
    # The name in the line's other languages (JSON in the environment); a language left out
    # hears HELPDESK_NAME.
    HELPDESK_NAMES: dict[str, str] = {"it-IT": "l'Help Desk IT", "ms-MY": "Meja Bantuan IT"}
    DEFAULT_LANGUAGE: str = "en-US"
    INTAKE_SCRIPT: str = "intake"
    EMERGENCY_NUMBER: str = ""
    FALLBACK_MESSAGE: str = (
        "We are sorry, the help desk line is having technical difficulties right now."
    )
    FALLBACK_VOICE: str = "Polly.Joanna"
    SESSION_MINUTES: int = Field(30, gt=0)  # a console login ends after this long idle
    LOG_FORMAT: Literal["text", "json"] = "text"
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    PROXY_COUNT: int = Field(0, ge=0, le=5)  # reverse proxies in front (X-Forwarded-* hops)
    SCHEDULER_STALE_SECONDS: int = Field(180, gt=0)  # /readyz: oldest acceptable heartbeat
    # Where login throttling counts attempts (Flask-Limiter): memory:// counts per worker
    # process; redis://host:6379 or memcached://host:11211 share one count between them.
    RATELIMIT_STORAGE_URI: str = "memory://"
    # SQLite only: NORMAL syncs the write-ahead log at checkpoints, not at every commit (a
    # power loss may undo the last commits, never corrupt the file); FULL syncs every commit.
    SQLITE_SYNCHRONOUS: Literal["NORMAL", "FULL"] = "NORMAL"
    # Webhook targets and SMS (YAML, see docs/integrations.md); empty: none.
    INTEGRATIONS_FILE: str = ""

    @field_validator("PUBLIC_BASE_URL")
    @classmethod
    def _base_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://ivr.example.com")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment")
        return value.strip().rstrip("/")

    @field_validator("TWILIO_API_URL")
    @classmethod
    def _api_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if value and (parts.scheme not in ("http", "https") or not parts.netloc or
                      parts.path or parts.query):
            raise ValueError("must be empty or an origin such as http://127.0.0.1:8080")
        return value

    @field_validator("TWILIO_PHONE_NUMBER", "EMERGENCY_NUMBER")
    @classmethod
    def _e164(cls, value: str, info) -> str:
        import phonenumbers

        value = value.strip()
        if not value and info.field_name == "EMERGENCY_NUMBER":
            return value  # empty: the fallback has no one to put callers through to
        try:
            valid = value.startswith("+") and phonenumbers.is_possible_number(
                phonenumbers.parse(value))
        except phonenumbers.NumberParseException:
            valid = False
        if not valid:
            raise ValueError("must be a phone number in E.164 form, such as +15550100000")
        return value

    @field_validator("TWILIO_ACCOUNT_SID")
    @classmethod
    def _account_sid(cls, value: str) -> str:
        value = value.strip()
        if len(value) != 34 or not value.startswith("AC") or not _is_hex(value[2:]):
            raise ValueError("must be 'AC' and 32 hexadecimal digits (Twilio Console, "
                             "Account Info)")
        return value


def _is_hex(text: str) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return True


def production_problems(settings: Settings) -> list[str]:
    """What keeps these settings from serving a public line, one line per key."""
    problems = []
    if settings.SECRET_KEY == DEV_SECRET_KEY:
        problems.append("SECRET_KEY is the development value; set a long random one "
                        "(python -c 'import secrets; print(secrets.token_hex(32))')")
    elif len(settings.SECRET_KEY) < MIN_SECRET_KEY_LENGTH:
        problems.append(f"SECRET_KEY is too short ({len(settings.SECRET_KEY)} characters; "
                        f"at least {MIN_SECRET_KEY_LENGTH})")
    if settings.TWILIO_AUTH_TOKEN == DEV_AUTH_TOKEN:
        problems.append("TWILIO_AUTH_TOKEN is the development value; set the account's "
                        "auth token from the Twilio Console")
    if settings.TWILIO_ACCOUNT_SID == DEV_ACCOUNT_SID:
        problems.append("TWILIO_ACCOUNT_SID is the development placeholder; set the "
                        "account's SID from the Twilio Console")
    if settings.TWILIO_API_URL:
        problems.append(f"TWILIO_API_URL sends Twilio's requests to {settings.TWILIO_API_URL}, "
                        "not Twilio; leave it empty")
    if not settings.PUBLIC_BASE_URL.startswith("https://"):
        problems.append(f"PUBLIC_BASE_URL must be https:// (Twilio signs the URL it "
                        f"calls; {settings.PUBLIC_BASE_URL} is not)")
    return problems


def flask_settings(settings: Settings) -> dict[str, Any]:
    """Flask, Flask-Login and Flask-WTF settings that follow from ours: secure cookies behind
    https, a console session that ends after SESSION_MINUTES idle (its CSRF token with it)."""
    https = settings.PUBLIC_BASE_URL.startswith("https://")
    return {
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=settings.SESSION_MINUTES),
        "WTF_CSRF_TIME_LIMIT": None,  # the session's own expiry bounds it
        "SESSION_COOKIE_SECURE": https,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
    }


def load(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then .env, then the environment, then overrides; validated.

    Raises ConfigError naming every wrong key (and, with APP_ENV=production, every
    development value still in place)."""
    rest = dict(overrides or {})
    given = {key: rest.pop(key) for key in list(rest) if key in Settings.model_fields}
    try:
        settings = Settings(**{**environment(), **given})
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None
    if settings.APP_ENV == "production" and (problems := production_problems(settings)):
        raise ConfigError("refusing to start with APP_ENV=production:\n  "
                          + "\n  ".join(problems))
    config = {**flask_settings(settings), **settings.model_dump(), **rest}
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{Path(instance_path) / 'helpdesk.db'}"
    if not config["SPOOL_DIR"]:
        config["SPOOL_DIR"] = str(Path(instance_path) / "spool")
    return config


def environment(dotenv: str | Path = ".env") -> dict[str, Any]:
    """The settings the environment gives, over those of the dotenv file if there is one (in
    the working directory): exact names, empty values left out, a dict or list as JSON.

    (pydantic-settings did this, with asyncio and argparse loaded in every worker: issue 13.)"""
    values: dict[str, Any] = {}
    sources: list[Mapping[str, str | None]] = []
    if Path(dotenv).is_file():
        from dotenv import dotenv_values

        sources.append(dotenv_values(dotenv, encoding="utf-8"))
    sources.append(os.environ)
    for source in sources:
        for key, raw in source.items():
            field = Settings.model_fields.get(key)
            if field is None or not raw:
                continue
            if get_origin(field.annotation) in (dict, list):
                try:
                    values[key] = json.loads(raw)
                except ValueError:
                    values[key] = raw  # the validation names the key
            else:
                values[key] = raw
    return values


def describe(exc: ValidationError) -> str:
    """One line per wrong key (values are left out: some are secrets)."""
    lines = [f"{'.'.join(str(part) for part in error['loc']) or 'settings'}: "
             f"{error['msg'].removeprefix('Value error, ')}" for error in exc.errors()]
    return "invalid configuration:\n  " + "\n  ".join(lines)
