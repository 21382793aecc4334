"""What a newcomer meets: `make run` shows the whole line on any day and hour, `make phone`
calls the port `make run` serves, and a phone whose signature the line refuses says why."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ivr.phone import Phone, PhoneError
from tickets.models import ScriptVersion
from tickets.versions import live_policy

from ..conftest import AUTH_TOKEN, PUBLIC_BASE_URL

ROOT = Path(__file__).resolve().parents[2]
SUNDAY_3AM = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
CHRISTMAS_NIGHT = datetime(2026, 12, 25, 23, 30, tzinfo=UTC)  # a holiday of the shipped policy


def policy_versions(db) -> int:
    return db.scalar(select(func.count()).select_from(ScriptVersion)
                     .where(ScriptVersion.kind == "policy"))


def test_the_demo_desk_is_open_whenever_a_newcomer_calls(app, db, call, clock):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ivr", "demo", "load"])
    assert result.exit_code == 0, result.output
    assert "open every day, all day" in result.output
    assert all(live_policy(db).is_within_hours(at) for at in (SUNDAY_3AM, CHRISTMAS_NIGHT))
    versions = policy_versions(db)
    assert runner.invoke(args=["ivr", "demo", "load"]).exit_code == 0
    assert policy_versions(db) == versions  # loading again publishes nothing new

    clock.current = SUNDAY_3AM
    caller = call(from_="+15551230001")  # Alice says her problem at once
    caller.speak("My password expired, I was logging in")
    caller.press("1")  # an access problem, as guessed
    caller.press("2")  # no thanks to the self-service answer
    caller.press("1").press("2")  # just me, works; no other problem
    assert "closed" not in caller.text
    caller.hears("no analyst is available")  # the demo's analysts are logged out


def make_dry_run(*args: str) -> str:
    """What make would run (make -n), without running it."""
    done = subprocess.run(["make", "-n", "-C", str(ROOT), *args], capture_output=True,
                          text=True, timeout=60, check=True)
    return done.stdout


@pytest.mark.skipif(subprocess.run(["which", "make"], capture_output=True).returncode != 0,
                    reason="make is not installed")
def test_make_phone_calls_the_port_make_run_serves():
    assert "--port 5101" in make_dry_run("run", "PORT=5101")
    phone = make_dry_run("phone", "PORT=5101", "FROM=+393331234567")
    assert "ivr call --server http://127.0.0.1:5101 --from +393331234567" in phone
    assert "--server http://127.0.0.1:5000" in make_dry_run("phone")


def test_a_phone_whose_signature_is_refused_says_why(client):
    def transport(url, params, headers):
        response = client.post(url.split(":5000", 1)[1], data=params, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    # The phone signs for another base URL than the line's PUBLIC_BASE_URL.
    phone = Phone(transport, "http://127.0.0.1:5000", AUTH_TOKEN)
    with pytest.raises(PhoneError) as refused:
        phone.dial()
    message = str(refused.value)
    assert "HTTP 403" in message and "PUBLIC_BASE_URL" in message
    assert "http://127.0.0.1:5000/voice/incoming" in message  # what the phone signed
    assert f"{PUBLIC_BASE_URL}/voice/incoming" in message  # what the line checked
