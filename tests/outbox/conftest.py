"""The outbox's fixtures: webhook receivers (mocked with `responses`), an integrations file,
a ticket to change, and the scheduler's deliverer."""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest
import responses

from ivr import scheduler
from ivr.outbox.settings import parse
from tickets import intake

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the Standard Webhooks spec's example
OPS = "https://ops.example.test/hooks/helpdesk"
CRM = "https://crm.example.test/webhooks"


def integrations_yaml(**more: str) -> str:
    return f"""
webhooks:
  - name: ops
    url: {OPS}
    secret: {SECRET}
  - name: crm
    url: {CRM}
    secret: {SECRET}
    events: [ticket.resolved]
    max_attempts: 3
""" + "".join(more.values())


@pytest.fixture
def integrations(app):
    """Two webhooks: ops hears everything, crm only resolved tickets (3 tries)."""
    app.extensions["integrations"] = parse(integrations_yaml())
    return app.extensions["integrations"]


class Receiver:
    """A webhook receiver: what it got (body and headers), answering with ``status``."""

    def __init__(self, rsps, url: str, status: int = 200):
        self.status = status
        self.got: list[tuple[bytes, dict[str, str]]] = []
        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()
        rsps.add_callback(responses.POST, url, callback=self.receive)

    def receive(self, request):
        with self.lock:
            self.got.append((request.body, dict(request.headers)))
            self.ids[request.headers["webhook-id"]] += 1
        return self.status, {}, ""

    def events(self) -> list[dict]:
        return [json.loads(body) for body, _ in self.got]


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def ops(rsps):
    return Receiver(rsps, OPS)


@pytest.fixture
def crm(rsps):
    return Receiver(rsps, CRM)


@pytest.fixture
def deliver(app, clock, integrations):
    """Run the scheduler's outbox job until nothing is due."""
    made = []

    def run(owner: str = "scheduler-1", **options) -> int:
        deliverer = scheduler.make_deliverer(app, owner=owner, concurrency=1, **options)
        made.append(deliverer)
        return deliverer.run_until_idle()

    yield run
    for deliverer in made:
        deliverer.close()


@pytest.fixture
def ticket(db, clock):
    """A ticket opened by phone (its ticket.opened event written with it)."""
    ticket, _pin = intake.open_ticket(
        db, fields={"problem": "printer on fire", "callback_number": "+12025550147",
                    "category": "hardware"},
        priority="regular_service", language="en-US", now=clock())
    db.commit()
    return ticket


from ..console.conftest import as_admin, console, users  # noqa: E402,F401  (console logins)
