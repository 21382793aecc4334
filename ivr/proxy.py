"""Behind a TLS proxy: trust its X-Forwarded-* headers, as many hops as PROXY_COUNT says."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def register_proxy(app: Flask) -> None:
    """With PROXY_COUNT=N, the client address, scheme, host and prefix come from the headers
    the last N proxies set (never from more: a client could forge the rest)."""
    hops = app.config["PROXY_COUNT"]
    if hops:
        # Flask's documented way to add WSGI middleware (mypy sees a method being replaced).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops,  # type: ignore[method-assign]
                                x_host=hops, x_prefix=hops)
