"""The outbox's fixtures: webhook receivers (mocked with `responses`), an integrations file,
a ticket to change, and the scheduler's deliverer."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import parse_qs, urlsplit

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
def ops(rsps, integrations):
    return Receiver(rsps, OPS)


@pytest.fixture
def crm(rsps, integrations):
    return Receiver(rsps, CRM)


@pytest.fixture
def deliver(app, clock):
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


MESSAGES = re.compile(r"https://api\.twilio\.com/2010-04-01/Accounts/(AC\w{32})/Messages\.json")


class TwilioMessages:
    """Twilio's Messages API (the shape of its 2010-04-01 OpenAPI description): what was
    texted, answering each create with 201 and a message resource, or with ``error``."""

    def __init__(self, rsps):
        self.sent: list[dict] = []
        self.error: tuple[int, dict] | None = None
        rsps.add_callback(responses.POST, MESSAGES, callback=self.create,
                          content_type="application/json")
        rsps.add_callback(responses.GET, MESSAGES, callback=self.list,
                          content_type="application/json")

    def create(self, request):
        form = {k: v[0] for k, v in parse_qs(request.body).items()}
        if self.error:
            status, body = self.error
            return status, {}, json.dumps(body)
        account = MESSAGES.match(request.url).group(1)
        sid = f"SM{len(self.sent) + 1:032x}"
        now = format_datetime(datetime.now(UTC), usegmt=True)
        message = {
            "sid": sid, "account_sid": account, "api_version": "2010-04-01",
            "body": form["Body"], "to": form["To"], "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "status": "queued",
            "direction": "outbound-api", "num_segments": "1", "num_media": "0",
            "date_created": now, "date_updated": now, "date_sent": None, "price": None,
            "price_unit": "USD", "error_code": None, "error_message": None,
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{account}/Messages/{sid}"
                                          "/Media.json"}}
        self.sent.append({**message, "form": form})
        return 201, {}, json.dumps(message)

    def list(self, request):
        query = parse_qs(urlsplit(request.url).query)
        to = query.get("To", [""])[0]
        found = [{k: v for k, v in m.items() if k != "form"} for m in self.sent
                 if m["to"] == to]
        if {"DateSent", "DateSent>", "DateSent<"} & set(query):
            # Twilio's DateSent filters match only texts that have a DateSent: a text still
            # queued (or sending) has none, so such a filter never finds it.
            found = [m for m in found if m["date_sent"] is not None]
        return 200, {}, json.dumps({"messages": found, "page": 0, "page_size": 50, "start": 0,
                                    "end": len(found), "uri": "/Messages.json",
                                    "first_page_uri": "/Messages.json", "next_page_uri": None,
                                    "previous_page_uri": None})

    def bodies(self) -> list[str]:
        return [m["body"] for m in self.sent]


@pytest.fixture
def texts(rsps):
    return TwilioMessages(rsps)


@pytest.fixture
def sms_on(app):
    """SMS on (no webhooks)."""
    app.extensions["integrations"] = parse("sms: {enabled: true}")
    return app.extensions["integrations"]


from ..console.conftest import as_admin, console, users  # noqa: E402,F401  (console logins)
from ..ivr.test_log_privacy import records  # noqa: E402,F401  (every log record made)
