"""Zammad's REST API (``/api/v1``, an access token: ``Authorization: Token token=...``):
a ticket with its first article, internal notes, state changes; the customer found by phone
(or made), else the configured e-mail (``guess:``); and the generic CTI endpoint's call
events (``newCall``, ``answer``, ``hangup``). Shapes: tests/outbox/connectors/fixtures/zammad."""

from __future__ import annotations

from typing import Any, NamedTuple

import requests

from .http import Refused, call, json_of
from .settings import ZammadConnector

SYSTEM = "Zammad"


class Created(NamedTuple):
    key: str
    url: str


def _headers(settings: ZammadConnector) -> dict[str, str]:
    return {"Authorization": f"Token token={settings.token}"}


def _api(settings: ZammadConnector, path: str) -> str:
    return f"{settings.url}/api/v1/{path}"


def customer(http: requests.Session, settings: ZammadConnector,
             person: dict[str, Any]) -> int | str:
    """The customer: the user with this phone number, else a new one; without a number the
    configured e-mail, which Zammad finds or makes (``guess:``)."""
    phone = person.get("phone")
    if not phone:
        if not settings.customer_email:
            raise Refused("no phone number and no customer_email to file the ticket under",
                          False)
        return f"guess:{settings.customer_email}"
    # POST, not GET: the number stays out of the URL (and so out of access logs).
    found = json_of(call(http, "POST", _api(settings, "users/search"), SYSTEM,
                         headers=_headers(settings),
                         json={"query": f'phone:"{phone}"', "limit": 1}), SYSTEM)
    if found:
        return int(found[0]["id"])
    name = (person.get("name") or "").split(" ", 1)
    made = json_of(call(http, "POST", _api(settings, "users"), SYSTEM,
                        headers=_headers(settings),
                        json={"firstname": name[0] or phone,
                              "lastname": name[1] if len(name) > 1 else "",
                              "phone": phone, "roles": ["Customer"]}), SYSTEM)
    return int(made["id"])


def create(http: requests.Session, settings: ZammadConnector,
           payload: dict[str, Any]) -> Created:
    """POST /api/v1/tickets with the intake as its first article (a phone note)."""
    ticket: dict[str, Any] = {
        "title": payload["title"], "customer_id": customer(http, settings,
                                                           payload["customer"]),
        "article": {"subject": payload["title"], "body": payload["body"], "type": "phone",
                    "sender": "Customer", "content_type": "text/plain", "internal": False}}
    if payload.get("category") is not None:
        ticket["group"] = payload["category"]
    if payload.get("priority") is not None:
        ticket["priority"] = payload["priority"]
    made = json_of(call(http, "POST", _api(settings, "tickets"), SYSTEM,
                        headers=_headers(settings), json=ticket), SYSTEM)
    key = str(made["id"])
    return Created(key, f"{settings.url}/#ticket/zoom/{key}")


def note(http: requests.Session, settings: ZammadConnector, key: str,
         payload: dict[str, Any]) -> None:
    """POST /api/v1/ticket_articles: an internal note for the technicians."""
    call(http, "POST", _api(settings, "ticket_articles"), SYSTEM, headers=_headers(settings),
         json={"ticket_id": int(key), "subject": payload.get("subject") or "Help-desk line",
               "body": payload["text"], "type": "note", "content_type": "text/plain",
               "internal": not payload.get("public", False)})


def status(http: requests.Session, settings: ZammadConnector, key: str,
           payload: dict[str, Any]) -> None:
    """PUT /api/v1/tickets/{id} with the mapped state."""
    call(http, "PUT", _api(settings, f"tickets/{key}"), SYSTEM, headers=_headers(settings),
         json={"state": payload["value"]})


def cti(http: requests.Session, settings: ZammadConnector, payload: dict[str, Any]) -> None:
    """POST the call event to the generic CTI endpoint (its URL carries its token)."""
    if not settings.cti_url:
        raise Refused("no cti_url_env is configured for this connector", False)
    event = {k: v for k, v in payload.items() if k != "op" and v not in (None, "", [])}
    call(http, "POST", settings.cti_url, f"{SYSTEM} CTI", json=event)
