"""A web worker that has only answered Twilio has loaded neither the console, nor the JSON API,
nor the command line, nor what only they need (issue 13: a worker under 80 MB); they load on
the first request for one of their pages, and answer as before."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL

NOT_FOR_THE_LINE = ("ivr.console", "ivr.api", "ivr.cli.", "flask_login", "flask_wtf", "wtforms",
                    "flask_limiter", "limits", "pydantic_settings", "argparse",
                    "sqlalchemy.dialects.postgresql")

WORKER = """
import json, sys
from twilio.request_validator import RequestValidator
from ivr import create_app

app = create_app(json.loads(sys.argv[1]))
client = app.test_client()
base, token = sys.argv[2], sys.argv[3]
prefixes = tuple(json.loads(sys.argv[4]))


def loaded():
    return sorted({m for m in sys.modules if m.startswith(prefixes)})


params = {"CallSid": "CA" + "1" * 32, "AccountSid": "AC" + "2" * 32, "From": "+12025550147",
          "To": "+15550100000", "CallStatus": "ringing", "Direction": "inbound"}
signature = RequestValidator(token).compute_signature(base + "/voice/incoming", params)
webhook = client.post("/voice/incoming", data=params, headers={"X-Twilio-Signature": signature})
health = client.get("/healthz")
after_line = loaded()
login = client.get("/login")
api = client.get("/api/v1/queues")
print(json.dumps({"webhook": [webhook.status_code, webhook.get_data(as_text=True)],
                  "health": health.status_code, "after_line": after_line,
                  "login": [login.status_code, login.get_data(as_text=True)],
                  "api": api.status_code, "after_console": loaded()}))
"""


def test_a_worker_answering_twilio_loads_no_console_api_or_cli(database_url: str,
                                                               tmp_path: Path):
    overrides = {"DATABASE_URL": database_url, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                 "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "SECRET_KEY": "test",
                 "SPOOL_DIR": str(tmp_path / "spool")}
    if database_url.startswith("sqlite"):
        expected_absent = NOT_FOR_THE_LINE
    else:  # on PostgreSQL the engine loads its dialect
        expected_absent = NOT_FOR_THE_LINE[:-1]
    out = subprocess.run(
        [sys.executable, "-c", WORKER, json.dumps(overrides), PUBLIC_BASE_URL, AUTH_TOKEN,
         json.dumps(expected_absent)],
        capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2]).stdout
    seen = json.loads(out.strip().splitlines()[-1])
    status, twiml = seen["webhook"]
    assert status == 200 and "<Response>" in twiml and "<Say" in twiml
    assert seen["health"] == 200
    assert seen["after_line"] == []
    # The console and the API answer the first request for them, as before.
    status, page = seen["login"]
    assert status == 200 and 'name="csrf_token"' in page
    assert seen["api"] == 401  # no bearer token
    assert any(m.startswith("ivr.console") for m in seen["after_console"])
    assert any(m.startswith("ivr.api") for m in seen["after_console"])


def test_the_console_and_the_api_share_the_lines_configuration(app, client):
    from ivr.people import people_app

    client.get("/healthz")
    people = people_app(app)
    assert people.config is app.config and people.extensions is app.extensions
    assert people.url_map.bind("localhost").build("voice.step") == "/voice/step"
    assert client.get("/login").status_code == 200
    assert people_app(app) is people  # built once


def test_the_command_line_loads_its_commands_when_one_runs(app):
    result = app.test_cli_runner().invoke(args=["ivr", "--help"])
    assert result.exit_code == 0
    for group in ("scripts", "demo", "users", "agents", "api-token", "scheduler", "call"):
        assert group in result.output
    result = app.test_cli_runner().invoke(args=["db", "--help"])
    assert result.exit_code == 0 and "upgrade" in result.output
