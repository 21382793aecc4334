"""Twilio request signatures: every webhook proves it came from Twilio."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, abort, current_app, request
from twilio.request_validator import RequestValidator, compare

log = logging.getLogger(__name__)


def signed_url() -> str:
    """The URL Twilio signed: our public base URL plus the path and query as requested."""
    query = request.query_string.decode("latin-1")
    return current_app.config["PUBLIC_BASE_URL"] + request.path + (f"?{query}" if query else "")


def is_from_twilio() -> bool:
    """Does the signature verify? First over the URL as configured, which is how Twilio signs
    it (one HMAC); only if not, ``validate`` tries it with and without a port (two more)."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    validator = RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"])
    url = signed_url()
    return compare(validator.compute_signature(url, request.form), signature) \
        or validator.validate(url, request.form, signature)


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Reject with 403 any request whose X-Twilio-Signature does not verify."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not is_from_twilio():
            log.warning("rejected unsigned or wrongly signed request to %s", request.path)
            # Says what was checked, for whoever set the line up (the URL is public anyway).
            abort(Response(f"X-Twilio-Signature does not match {signed_url()} signed with "
                           "this line's TWILIO_AUTH_TOKEN: check that PUBLIC_BASE_URL is the "
                           "URL the request was sent to, and the token is the account's.\n",
                           status=403, mimetype="text/plain"))
        return view(*args, **kwargs)

    return wrapper
