"""The console's and the API's protection against guessing: throttled logins (Flask-Limiter),
beside the security headers on every answer (ivr.headers, Flask-Talisman).

Logins: each try costs an argon2 hash, so a client may POST /login ``LOGIN_PER_CLIENT`` times,
and a username may fail ``LOGIN_FAILURES_PER_USER`` times, before the answer is 429 (without
hashing anything). The counts live in RATELIMIT_STORAGE_URI: memory:// by default, one count per
worker process (several workers multiply the limits), redis:// or memcached:// to share them.
"""

from __future__ import annotations

from flask import Flask, Response, render_template, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address

from ..headers import hooks_skip_twilio, register_headers

LOGIN_PER_CLIENT = "20 per minute"
LOGIN_FAILURES_PER_USER = "5 per minute; 20 per hour"

limiter = Limiter(get_remote_address, headers_enabled=True)


def _username() -> str:
    return "user:" + request.form.get("username", "").strip().lower()[:80]


def _too_many(_limit: RequestLimit) -> Response:
    html = render_template("login.html", throttled=True)
    return Response(html, status=429, mimetype="text/html")


# The login view applies these (see auth.login): the client's tries, and a username's failures.
login_per_client = limiter.limit(LOGIN_PER_CLIENT, methods=["POST"], on_breach=_too_many)
login_failures_per_user = limiter.limit(
    LOGIN_FAILURES_PER_USER, methods=["POST"], key_func=_username, on_breach=_too_many,
    deduct_when=lambda response: response.status_code == 401)


def register_guard(app: Flask) -> None:
    """Security headers on every response; login throttling; both cheap on Twilio's webhooks."""
    register_headers(app)
    hooks_skip_twilio(app, lambda: limiter.init_app(app))
