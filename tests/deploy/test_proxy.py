"""Behind a TLS proxy: secure session cookies, and the proxy's X-Forwarded-* trusted for
PROXY_COUNT hops."""

from __future__ import annotations

import pytest

from ivr import create_app

from ..conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from ..console.conftest import PASSWORD, Console, users  # noqa: F401  (the logins fixture)

PROXIED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "helpdesk.example.test",
           "X-Forwarded-For": "203.0.113.7"}


def session_cookie(response) -> str:
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


@pytest.mark.parametrize(("base_url", "secure"), [("https://ivr.example.com", True),
                                                  ("http://127.0.0.1:5000", False)])
def test_session_cookie_is_secure_when_the_line_is_served_over_https(database_url, base_url,
                                                                     secure):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url,
                      "PUBLIC_BASE_URL": base_url})
    cookie = session_cookie(app.test_client().get("/login"))
    app.extensions["engine"].dispose()
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) is secure


@pytest.fixture
def app(database_url):
    """The app as deployed behind one TLS proxy (nginx on the same host)."""
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test",
                      "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
                      "PROXY_COUNT": 1})
    yield app
    app.extensions["engine"].dispose()


def test_a_login_through_the_proxy_is_checked_as_https(client, users):  # noqa: F811
    """The form's referrer must be the public https page: a post from another site is
    refused, the login page's own goes through."""
    console = Console(client)
    console.get("/login", headers=PROXIED)
    form = {"username": "admin", "password": PASSWORD}
    forged = console.post("/login", form, headers={**PROXIED,
                                                   "Referer": "https://evil.example/login"})
    assert forged.status_code == 400
    assert "The referrer does not match the host" in forged.get_data(as_text=True)
    own = console.post("/login", form, headers={**PROXIED,
                                                "Referer": "https://helpdesk.example.test/login"})
    assert own.status_code == 302
