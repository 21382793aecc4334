"""What a browser is told to enforce (cookie flags, security headers) and how logins are
throttled against guessing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine

from ivr import create_app
from tickets.db import utcnow

from ..conftest import AUTH_TOKEN
from .conftest import PASSWORD, Console

HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "same-origin"}


def cookie(response, name: str = "session") -> str:
    [line] = [v for v in response.headers.getlist("Set-Cookie") if v.startswith(f"{name}=")]
    return line


def app_at(database_url: str, base_url: str):
    return create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test",
                       "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": base_url})


@pytest.mark.parametrize(("base_url", "secure"), [("https://helpdesk.example.test", True),
                                                  ("http://127.0.0.1:5000", False)])
def test_the_session_cookie_is_httponly_samesite_and_secure_behind_https(
        database_url, users, base_url, secure):
    app = app_at(database_url, base_url)
    try:
        console = Console(app.test_client())
        response = console.login("admin")
    finally:
        app.extensions["engine"].dispose()
    assert response.status_code == 302
    flags = [part.strip().lower() for part in cookie(response).split(";")]
    assert "httponly" in flags and "samesite=lax" in flags
    assert ("secure" in flags) is secure


def test_every_answer_carries_the_security_headers(client, as_admin, call):
    answers = {"login": client.get("/login"), "console": as_admin.get("/admin/"),
               "api": client.get("/api/v1/openapi.json"),
               "webhook": client.post("/voice/incoming")}  # unsigned: 403, headers still
    for name, response in answers.items():
        for header, value in HEADERS.items():
            assert response.headers.get(header) == value, (name, header)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, name
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, name
        assert "Strict-Transport-Security" not in response.headers  # plain http here


def test_hsts_is_sent_over_https_only(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    https = client.get("/login", base_url="https://localhost")
    max_age = re.match(r"max-age=(\d+)", https.headers["Strict-Transport-Security"])
    assert int(max_age[1]) >= 365 * 24 * 3600  # a year at least


def test_a_pages_inline_script_runs_by_the_pages_own_nonce(as_admin, users):
    response = as_admin.get("/console/")
    page = response.get_data(as_text=True)
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])[1]
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline and all(f'nonce="{nonce}"' in attributes for attributes in inline)
    assert 'style="' not in page
    other = as_admin.get("/console/")
    assert nonce not in other.headers["Content-Security-Policy"]  # a new one every time


def test_a_username_is_throttled_after_five_wrong_passwords(console, users):
    with time_machine.travel(utcnow(), tick=False) as traveller:
        for _ in range(5):
            assert console.login("ann", "wrong password").status_code == 401
        refused = console.login("ann")  # even the right password, for now
        assert refused.status_code == 429
        assert "Too many login attempts" in refused.get_data(as_text=True)
        assert "Retry-After" in refused.headers
        assert console.login("tess").status_code == 302  # another user is not held up
        traveller.shift(timedelta(minutes=1, seconds=1))
        assert console.login("ann").status_code == 302


def test_a_client_is_throttled_after_twenty_tries_whatever_the_usernames(console, users):
    with time_machine.travel(utcnow(), tick=False):
        for n in range(20):
            assert console.login(f"nobody{n}", PASSWORD).status_code == 401
        refused = console.login("admin")
        assert refused.status_code == 429
        assert console.client.get("/login").status_code == 200  # the page itself still opens
