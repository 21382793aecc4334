"""Configuration from the environment (and .env for local use); tests pass a dict."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # default: SQLite file under the instance folder
    "SECRET_KEY": "dev-only-change-me",
    "TWILIO_ACCOUNT_SID": "AC00000000000000000000000000000000",
    "TWILIO_AUTH_TOKEN": "dev-auth-token",
    "TWILIO_PHONE_NUMBER": "+15550100000",
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    "HELPDESK_NAME": "the IT Help Desk",
    "DEFAULT_LANGUAGE": "en-US",
    "INTAKE_SCRIPT": "intake",
    "EMERGENCY_NUMBER": "",
    "FALLBACK_MESSAGE": (
        "We are sorry, the help desk line is having technical difficulties right now."
    ),
    "FALLBACK_VOICE": "Polly.Joanna",
    "SESSION_MINUTES": 30,  # a console login ends after this long without activity
}


def load(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then the environment (and .env), then overrides."""
    load_dotenv(Path.cwd() / ".env", override=False)
    config = dict(DEFAULTS)
    for key in DEFAULTS:
        if os.environ.get(key):
            config[key] = os.environ[key]
    config.update(overrides or {})
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{Path(instance_path) / 'helpdesk.db'}"
    config["PUBLIC_BASE_URL"] = str(config["PUBLIC_BASE_URL"]).rstrip("/")
    return config
