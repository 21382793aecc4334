"""Bearer-token checks shared by the JSON API and /metrics."""

from __future__ import annotations

from flask import Response, g, jsonify, request

from .. import clock, db
from .tokens import bearer, check_token


def unauthorized() -> Response:
    response = jsonify(error={"status": 401, "message": "a valid API token is needed: "
                              "Authorization: Bearer <token> (flask ivr api-token create)"})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="helpdesk-ivr"'
    return response


def authenticate() -> Response | None:
    """None when the request carries a live token (kept as g.api_token), else a 401."""
    session = db.session()
    token = check_token(session, bearer(request.headers.get("Authorization")), clock.now())
    # End the transaction now: on SQLite every transaction holds the write lock, and
    # /metrics reads through sessions of its own.
    session.commit()
    if token is None:
        return unauthorized()
    g.api_token = token
    return None
