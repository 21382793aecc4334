"""Bearer-token checks shared by the JSON API and /metrics: the token must be live and hold
the scope the call needs (``tickets.accounts.SCOPES``)."""

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


def forbidden(message: str) -> Response:
    response = jsonify(error={"status": 403, "message": message})
    response.status_code = 403
    return response


def authenticate(scope: str | None = None, all_tiers: bool = False) -> Response | None:
    """None when the request carries a live token (kept as g.api_token) holding ``scope``
    (and, with ``all_tiers``, limited to no tiers); else a 401 or a 403."""
    session = db.session()
    token = check_token(session, bearer(request.headers.get("Authorization")), clock.now())
    # End the transaction now: on SQLite every transaction holds the write lock, and
    # /metrics reads through sessions of its own.
    session.commit()
    if token is None:
        return unauthorized()
    if scope is not None and not token.may(scope):
        return forbidden(f"this token lacks the scope {scope} (flask ivr api-token create "
                         f"NAME --scope {scope})")
    if all_tiers and token.tiers is not None:
        return forbidden("this token is limited to some tiers; this needs a token for all")
    g.api_token = token
    return None
