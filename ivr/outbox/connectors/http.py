"""What the connectors share: one JSON request to a ticket system, its refusals named."""

from __future__ import annotations

from typing import Any

import requests

from tickets.phones import mask_numbers

TIMEOUT = 10  # seconds: well inside the deliverer's lease
TRANSIENT = {408, 409, 425, 429}  # and every 5xx: worth another try later
USER_AGENT = "helpdesk-ivr-connectors/1"


class Refused(Exception):
    """The system said no (or could not be reached); ``transient``: try again later."""

    def __init__(self, why: str, transient: bool, code: int | None = None):
        super().__init__(why)
        self.why = why
        self.transient = transient
        self.code = code


def call(http: requests.Session, method: str, url: str, system: str,
         **kwargs: Any) -> requests.Response:
    """One request; a 2xx answer, or ``Refused`` saying why not (the system's own message)."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json",
               **kwargs.pop("headers", {})}
    try:
        response = http.request(method, url, headers=headers, timeout=TIMEOUT,
                                allow_redirects=False, **kwargs)
    except requests.Timeout:
        raise Refused(f"{system} did not answer in {TIMEOUT} s", True) from None
    except requests.RequestException as exc:
        raise Refused(f"could not reach {system}: {exc.__class__.__name__}", True) from None
    code = response.status_code
    if 200 <= code < 300:
        return response
    said = mask_numbers(_message(response))[:200]
    raise Refused(f"{system} answered HTTP {code}" + (f": {said}" if said else ""),
                  code in TRANSIENT or code >= 500, code)


def _message(response: requests.Response) -> str:
    """The error each system writes: Zammad's ``error_human``/``error``, GLPI's
    ``["ERROR_...", "message"]``, Jira's ``errorMessage``/``errorMessages``."""
    try:
        body = response.json()
    except ValueError:
        return response.reason or ""
    if isinstance(body, list):
        return " ".join(str(part) for part in body[:2])
    if isinstance(body, dict):
        for key in ("error_human", "error", "errorMessage", "message"):
            if body.get(key):
                return str(body[key])
        if body.get("errorMessages"):
            return " ".join(str(m) for m in body["errorMessages"][:2])
        if body.get("errors"):
            return " ".join(f"{k}: {v}" for k, v in list(body["errors"].items())[:2])
    return response.reason or ""


def json_of(response: requests.Response, system: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise Refused(f"{system} answered {response.status_code} without JSON", True,
                      response.status_code) from None
