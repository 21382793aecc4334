"""GLPI's legacy REST API (``apirest.php``): a session opened with the App-Token and the
user's token (``initSession``), a ``Ticket`` with urgency, impact and priority from our
matrix, an ``ITILFollowup`` per timeline entry, the status set, the session closed
(``killSession``) whatever happened. Shapes: tests/outbox/connectors/fixtures/glpi."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import requests

from .http import Refused, call, json_of
from .settings import GlpiConnector

SYSTEM = "GLPI"
INCIDENT = 1  # GLPI's ticket type


class Created(NamedTuple):
    key: str
    url: str


@contextmanager
def opened(http: requests.Session, settings: GlpiConnector) -> Iterator[dict[str, str]]:
    """A GLPI session for one delivery: the headers its requests carry."""
    answer = json_of(call(http, "GET", f"{settings.url}/initSession", SYSTEM, headers={
        "App-Token": settings.app_token,
        "Authorization": f"user_token {settings.user_token}"}), SYSTEM)
    token = answer.get("session_token") if isinstance(answer, dict) else None
    if not token:
        raise Refused("GLPI's initSession gave no session_token", True)
    headers = {"App-Token": settings.app_token, "Session-Token": token}
    try:
        yield headers
    finally:
        try:
            call(http, "GET", f"{settings.url}/killSession", SYSTEM, headers=headers)
        except Refused:
            pass  # the session times out on its own; the delivery's outcome stands


def create(http: requests.Session, settings: GlpiConnector,
           payload: dict[str, Any]) -> Created:
    """POST Ticket: name, content, type, urgency/impact/priority, ITIL category."""
    ticket: dict[str, Any] = {"name": payload["title"], "content": payload["body"],
                              "type": INCIDENT, **(payload.get("priority") or {})}
    if payload.get("category") is not None:
        ticket["itilcategories_id"] = payload["category"]
    with opened(http, settings) as headers:
        made = json_of(call(http, "POST", f"{settings.url}/Ticket", SYSTEM, headers=headers,
                            json={"input": ticket}), SYSTEM)
    key = str(made["id"])
    return Created(key, f"{settings.web_root}/front/ticket.form.php?id={key}")


def note(http: requests.Session, settings: GlpiConnector, key: str,
         payload: dict[str, Any]) -> None:
    """POST ITILFollowup on the ticket (private unless public)."""
    with opened(http, settings) as headers:
        call(http, "POST", f"{settings.url}/ITILFollowup", SYSTEM, headers=headers,
             json={"input": {"itemtype": "Ticket", "items_id": int(key),
                             "content": payload["text"],
                             "is_private": 0 if payload.get("public") else 1}})


def status(http: requests.Session, settings: GlpiConnector, key: str,
           payload: dict[str, Any]) -> None:
    """PUT Ticket/{id} with the mapped status number."""
    with opened(http, settings) as headers:
        call(http, "PUT", f"{settings.url}/Ticket/{key}", SYSTEM, headers=headers,
             json={"input": {"id": int(key), "status": payload["value"]}})
