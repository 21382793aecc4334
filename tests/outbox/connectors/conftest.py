"""The ticket systems, mocked with `responses` from the shapes their documentation gives
(fixtures/*.json, each entry naming its page): what each was asked, answering as documented or
with a queued failure (an error shape, a timeout)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select

from ivr.outbox.settings import parse
from tickets.models import TicketEvent
from tickets.outbox import OutboxMessage

FIXTURES = Path(__file__).parent / "fixtures"


def shapes(system: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{system}.json").read_text(encoding="utf-8"))


@dataclass
class Asked:
    name: str
    method: str
    url: str
    headers: dict[str, str]
    json: Any


class System:
    """A ticket system: routes answered with their documented shape, what it was asked."""

    def __init__(self, rsps, fixtures: dict[str, Any]):
        self.rsps = rsps
        self.fixtures = fixtures
        self.asked: list[Asked] = []
        self.queued: dict[str, list[Any]] = {}

    def route(self, method: str, pattern: str, name: str) -> None:
        def answer(request):
            body = json.loads(request.body) if request.body else None
            self.asked.append(Asked(name, method, request.url, dict(request.headers), body))
            queued = self.queued.get(name)
            shape = queued.pop(0) if queued else self.fixtures[name]
            if isinstance(shape, Exception):
                return shape
            text = "" if shape["body"] is None else json.dumps(shape["body"])
            return shape["status"], {}, text

        self.rsps.add_callback(method, re.compile(pattern), callback=answer,
                               content_type="application/json")

    def fail(self, name: str, *answers: str | dict | Exception) -> None:
        """The next answers of a route: a documented error shape by name, a shape
        (``{"status", "body"}``), or an exception (a timeout)."""
        self.queued.setdefault(name, []).extend(
            self.fixtures[a] if isinstance(a, str) else a for a in answers)

    def made(self, name: str) -> list[Asked]:
        return [a for a in self.asked if a.name == name]

    def names(self) -> list[str]:
        return [a.name for a in self.asked]


TIMEOUT = requests.exceptions.ReadTimeout("read timed out")


def configure(app, monkeypatch, text: str, **env: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app.extensions["integrations"] = parse(text)


def timeline(db, ticket_id: int, kind: str) -> list[str]:
    return list(db.scalars(select(TicketEvent.text).where(
        TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind)
        .order_by(TicketEvent.id).execution_options(populate_existing=True)))


def connector_messages(db) -> list[OutboxMessage]:
    return list(db.scalars(select(OutboxMessage).where(OutboxMessage.channel == "connector")
                           .order_by(OutboxMessage.id)
                           .execution_options(populate_existing=True)))

