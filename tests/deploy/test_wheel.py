"""The wheel on its own: built from this tree, installed in a fresh virtual environment with the
constraints file, it migrates an empty SQLite database and answers a signed call, run from a
folder outside the checkout with nothing of the checkout on its path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from twilio.request_validator import RequestValidator

from ..conftest import AUTH_TOKEN, PUBLIC_BASE_URL, TEST_DATABASE_URL
from .conftest import clean_environment, serving

ROOT = Path(__file__).resolve().parents[2]
NOT_IN_THE_WHEEL = shutil.ignore_patterns(".git", ".venv", "instance", "__pycache__", "build",
                                          "dist", "*.egg-info", ".*_cache", "docs", "tests",
                                          "bench", "*.db")

pytestmark = pytest.mark.skipif(
    bool(TEST_DATABASE_URL), reason="the wheel test builds its own SQLite database; it runs in "
                                    "the SQLite pass of `make test`, once")


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(part) for part in command], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_installed_wheel_migrates_and_answers_a_call(tmp_path):
    source, dist, venv, elsewhere = (tmp_path / name for name in
                                     ("src", "dist", "venv", "elsewhere"))
    shutil.copytree(ROOT, source, ignore=NOT_IN_THE_WHEEL)  # the build writes next to it
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    run(*pip, "wheel", "--no-deps", "--wheel-dir", dist, source, cwd=tmp_path)
    [wheel] = dist.glob("helpdesk_ivr-*.whl")
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    # This pip installs into the new environment (faster than giving it a pip of its own);
    # its cache holds the wheels of the constraints file's versions after the first run.
    run(*pip, "--python", python, "install", "--no-compile", "--constraint",
        ROOT / "constraints.txt", wheel, cwd=tmp_path)

    elsewhere.mkdir()
    settings = {"DATABASE_URL": f"sqlite:///{elsewhere / 'data' / 'helpdesk.db'}",
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": PUBLIC_BASE_URL}
    env = clean_environment(settings)
    installed = run(python, "-c", "import ivr, sys; print(ivr.__file__); print(sys.path)",
                    cwd=elsewhere, env=env)
    assert installed.startswith(str(venv)) and str(ROOT) not in installed

    command = venv / "bin" / "helpdesk-ivr"
    assert "database at head" in run(command, "db", "upgrade", cwd=elsewhere, env=env)
    with serving(command, settings, elsewhere, "--workers", "1") as server:
        params = {"CallSid": "CA" + "5" * 32, "AccountSid": "AC" + "0" * 32,
                  "From": "+12025550147", "To": "+15550100000", "CallStatus": "ringing"}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(
            PUBLIC_BASE_URL + "/voice/incoming", params)
        answer = requests.post(server.url + "/voice/incoming", data=params, timeout=15,
                               headers={"X-Twilio-Signature": signature})
        unsigned = requests.post(server.url + "/voice/incoming", data=params, timeout=15)
        ready = requests.get(server.url + "/readyz", timeout=15).json()
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/xml")
    assert "Thank you for calling the IT Help Desk" in answer.text
    assert unsigned.status_code == 403
    assert ready["checks"]["migrations"]["ok"] and ready["checks"]["database"]["ok"]
    assert os.path.exists(elsewhere / "data" / "helpdesk.db")
