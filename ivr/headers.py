"""Security headers on every answer (Flask-Talisman), for the line's app and the console's.

A Content Security Policy allowing only this site's own scripts, styles and images (an inline
script needs the page's nonce, ``csp_nonce()`` in a template), no framing (X-Frame-Options DENY,
frame-ancestors 'none'), nosniff, a same-origin Referrer-Policy, and HSTS when the request came
over https. Talisman does not force https here: TLS ends at the proxy in front (PROXY_COUNT), and
the session cookie's Secure flag follows PUBLIC_BASE_URL (ivr.config).

Twilio's webhooks (the ``voice`` blueprint) are answered to Twilio, not shown in a browser: the
per-request hooks of Talisman (and of the console's Flask-Limiter, ivr.console.guard) skip them,
which was about a tenth of a webhook's CPU. A webhook's answer still carries the same headers
(without a nonce, as it has no page), copied from one set made by Talisman. Nor is the cookie
session opened or saved for them (no webhook reads or writes it, and Twilio sends back only
cookies we set): Flask gives them its null session.

No Flask-Limiter, Flask-Login or Flask-WTF here: a worker serving only the line never loads them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSessionInterface
from flask_talisman import Talisman

TWILIO_FACING = frozenset({"voice"})  # the blueprints whose every request Twilio signs

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    # The softphone (Twilio's Voice SDK, served from 'self') signals over Twilio's websockets
    # and reports call quality to Twilio's event gateway; its media is WebRTC, outside CSP.
    "connect-src": "'self' wss://voice-js.roaming.twilio.com wss://*.twilio.com "
                   "https://eventgw.twilio.com",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _for_twilio() -> bool:
    return request.blueprint in TWILIO_FACING


def _skipped_for_twilio(hook: Callable[..., Any]) -> Callable[..., Any]:
    """HOOK (before, after or teardown of a request) run on every request but Twilio's."""

    @wraps(hook)
    def for_people(*args: Any) -> Any:
        if _for_twilio():
            return args[0] if args else None  # an after-request hook hands the response on
        return hook(*args)

    return for_people


def hooks_skip_twilio(app: Flask, init_app: Callable[[], None]) -> None:
    """Run an extension's ``init_app``; the app-wide request hooks it adds then skip Twilio's
    webhooks."""
    kinds: tuple[dict[Any, list[Any]], ...] = (
        app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    had = [list(hooks.get(None, ())) for hooks in kinds]
    init_app()
    for hooks, old in zip(kinds, had, strict=True):
        if None in hooks:
            hooks[None] = [hook if hook in old else _skipped_for_twilio(hook)
                           for hook in hooks[None]]


class _WebhookHeaders:
    """The after-request hook giving a webhook's answer Talisman's headers: made once by
    Talisman (no nonce: a webhook has no page), then copied; HSTS when over https, as Talisman
    does."""

    PER_REQUEST = frozenset({"Content-Type", "Content-Length", "Strict-Transport-Security"})

    def __init__(self, talisman: Talisman):
        self.talisman = talisman
        self.fixed: list[tuple[str, str]] | None = None

    def __call__(self, response: Response) -> Response:
        if not _for_twilio():
            return response
        if self.fixed is None:
            made = self.talisman._set_response_headers(Response())
            self.fixed = [(name, value) for name, value in made.headers.items()
                          if name not in self.PER_REQUEST]
        for name, value in self.fixed:
            response.headers[name] = value
        self.talisman._set_hsts_headers(response.headers)
        return response


class _NoSessionForTwilio(SecureCookieSessionInterface):
    """The cookie session of every request but Twilio's webhooks. The URL is not matched yet
    when the session is opened, so a webhook is known by its blueprint's URL prefix."""

    def open_session(self, app: Flask, request: Request) -> Any:
        prefixes = tuple(f"{app.blueprints[name].url_prefix}/" for name in TWILIO_FACING
                         if name in app.blueprints)
        if request.path.startswith(prefixes):
            return None  # Flask's null session: nothing read, nothing saved
        return super().open_session(app, request)


def register_headers(app: Flask) -> Talisman:
    """Security headers on every response, cheap on Twilio's webhooks; no cookie session for
    them."""
    talisman = Talisman()
    hooks_skip_twilio(app, lambda: talisman.init_app(
        app,
        force_https=False,
        content_security_policy=CSP,
        content_security_policy_nonce_in=["script-src"],
        frame_options="DENY",
        referrer_policy="same-origin",
        x_xss_protection=False,  # obsolete; the CSP does that job
        session_cookie_secure=bool(app.config.get("SESSION_COOKIE_SECURE")),
        session_cookie_samesite=app.config.get("SESSION_COOKIE_SAMESITE") or "Lax",
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    ))
    app.after_request(_WebhookHeaders(talisman))
    app.session_interface = _NoSessionForTwilio()
    return talisman
