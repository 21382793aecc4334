"""Jira Service Management's REST API (``/rest/servicedeskapi``, basic auth with an account's
e-mail and API token): a customer request in the service desk with the request type the
category maps to, comments for timeline entries (internal unless public), transitions for
status. Shapes: tests/outbox/connectors/fixtures/jira."""

from __future__ import annotations

from typing import Any, NamedTuple

import requests

from .http import Refused, call, json_of
from .settings import JiraConnector

SYSTEM = "Jira Service Management"


class Created(NamedTuple):
    key: str
    url: str


def _api(settings: JiraConnector, path: str) -> str:
    return f"{settings.url}/rest/servicedeskapi/{path}"


def _auth(settings: JiraConnector) -> tuple[str, str]:
    return settings.email, settings.api_token


def create(http: requests.Session, settings: JiraConnector,
           payload: dict[str, Any]) -> Created:
    """POST request: serviceDeskId, requestTypeId, summary, description (and priority)."""
    if payload.get("category") is None:
        raise Refused("mapping.category gives no request type for this category (nor \"*\")",
                      False)
    fields: dict[str, Any] = {"summary": payload["title"], "description": payload["body"]}
    if payload.get("priority") is not None:
        fields["priority"] = {"name": payload["priority"]}
    made = json_of(call(http, "POST", _api(settings, "request"), SYSTEM, auth=_auth(settings),
                        json={"serviceDeskId": settings.service_desk_id,
                              "requestTypeId": str(payload["category"]),
                              "requestFieldValues": fields}), SYSTEM)
    key = made["issueKey"]
    web = (made.get("_links") or {}).get("web") or f"{settings.url}/browse/{key}"
    return Created(key, web)


def note(http: requests.Session, settings: JiraConnector, key: str,
         payload: dict[str, Any]) -> None:
    """POST request/{key}/comment (public: false, an internal comment)."""
    call(http, "POST", _api(settings, f"request/{key}/comment"), SYSTEM, auth=_auth(settings),
         json={"body": payload["text"], "public": bool(payload.get("public"))})


def status(http: requests.Session, settings: JiraConnector, key: str,
           payload: dict[str, Any]) -> None:
    """POST request/{key}/transition with the mapped transition id."""
    call(http, "POST", _api(settings, f"request/{key}/transition"), SYSTEM,
         auth=_auth(settings), json={"id": str(payload["value"])})
