"""`helpdesk-ivr serve`: gunicorn with the shipped config, on a free port, takes a whole intake
over HTTP, signed like Twilio, and logs it as JSON lines with the call and no number in clear."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from ivr.api.tokens import create_token
from ivr.phone import Phone, http_transport, local_url
from tickets.models import Ticket

from ..conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from ..ivr.test_intake import report_problem, tell_problem, ticket_number_heard
from .conftest import serving

HELPDESK_IVR = Path(sys.executable).parent / "helpdesk-ivr"  # the console script
CALLER = "+12025550147"


def test_served_by_gunicorn_a_call_opens_a_ticket(database_url, db, demo, tmp_path):
    _row, token = create_token(db, "prometheus", datetime.now(UTC))
    db.commit()
    settings = {"DATABASE_URL": database_url, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "LOG_FORMAT": "json"}
    with serving(HELPDESK_IVR, settings, tmp_path, "--workers", "2") as server:
        send = http_transport()
        caller = Phone(lambda url, params, headers: send(local_url(url, server.url), params,
                                                         headers),
                       PUBLIC_BASE_URL, AUTH_TOKEN, from_=CALLER).dial()
        assert "Thank you for calling the IT Help Desk" in caller.text
        caller.press("1")  # English
        tell_problem(caller)  # the problem first
        caller.speak("Jane Doe")
        caller.speak("Finance").speak("Building B, room 12")
        caller.press("1")  # keep caller ID as the callback number
        caller.press("40001")
        report_problem(caller)
        number = ticket_number_heard(caller)
        caller.hang_up()
        scrape = requests.get(server.url + "/metrics", timeout=10,
                              headers={"Authorization": f"Bearer {token}"})
    assert server.process.returncode == 0  # SIGTERM: a clean, graceful stop

    ticket = db.scalar(select(Ticket).where(Ticket.number == number))
    assert ticket.caller_name == "Jane Doe" and ticket.callback_number == CALLER

    records = server.records()  # every line gunicorn and the app wrote is a JSON object
    booted = [r for r in records if r["message"].startswith("Booting worker")]
    assert len(booted) == 2  # the shipped config, with --workers from the command line
    webhooks = [r for r in records if r["logger"].startswith("ivr.")]
    assert any(r["message"].startswith("incoming call") for r in webhooks)
    assert {r.get("call_sid") for r in webhooks} == {caller.call_sid}
    access = [r["message"] for r in records if r["logger"] == "gunicorn.access"]
    assert any('"POST /voice/step HTTP/1.1" 200' in line for line in access)
    assert not any("?" in line for line in access)  # no query strings (?t=N) in the access log
    # /metrics, in the shipped config's multiprocess folder: every step of both workers counted
    counts = {s.labels["route"]: s.value for family in text_string_to_metric_families(scrape.text)
              for s in family.samples if s.name == "helpdesk_webhook_duration_seconds_count"}
    steps = sum('"POST /voice/step HTTP/1.1" 200' in line for line in access)
    assert counts == {"/voice/incoming": 1, "/voice/step": steps} and steps > 10
    everything = "\n".join(server.lines)
    assert CALLER not in everything and CALLER[1:] not in everything


def test_metrics_add_up_the_webhooks_of_every_gunicorn_worker(database_url, db, demo,
                                                             tmp_path):
    _row, token = create_token(db, "prometheus", datetime.now(UTC))
    db.commit()
    figures = tmp_path / "metrics"  # PROMETHEUS_MULTIPROC_DIR, to see who wrote there
    settings = {"DATABASE_URL": database_url, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "PROMETHEUS_MULTIPROC_DIR": str(figures)}
    calls = 24
    with serving(HELPDESK_IVR, settings, tmp_path, "--workers", "2") as server:
        send = http_transport()

        def ring(i: int) -> str:
            phone = Phone(lambda url, params, headers: send(local_url(url, server.url), params,
                                                            headers),
                          PUBLIC_BASE_URL, AUTH_TOKEN, from_=f"+1202555{i:04d}").dial()
            return phone.text

        with ThreadPoolExecutor(8) as pool:  # both workers busy at once
            heard = list(pool.map(ring, range(calls)))
        assert all("Thank you for calling" in text for text in heard)
        scrapes = [requests.get(server.url + "/metrics", timeout=10,
                                headers={"Authorization": f"Bearer {token}"}) for _ in range(4)]
    writers = {path.stem.rsplit("_", 1)[1] for path in figures.glob("histogram_*.db")}
    assert len(writers) == 2  # each worker wrote its own figures

    for scrape in scrapes:  # whichever worker answered the scrape, the sums are everyone's
        assert scrape.status_code == 200
        counts = {s.labels["route"]: s.value
                  for family in text_string_to_metric_families(scrape.text)
                  for s in family.samples
                  if s.name == "helpdesk_webhook_duration_seconds_count"}
        assert counts == {"/voice/incoming": calls}
