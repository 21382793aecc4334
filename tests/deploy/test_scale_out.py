"""Several schedulers on one PostgreSQL database: one dials at a time (the dialling lock), so
the policy's calls per second hold for the Twilio account however many run; another takes over
when it stops. Shown against a Twilio stand-in: a local HTTP server speaking the Calls API."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, insert, select

from ivr import scheduler
from ivr.console.admin.yaml_edit import set_value
from ivr.outbound.leader import DiallingLock
from tickets import versions
from tickets.models import OutboundCall

from ..conftest import AUTH_TOKEN, PUBLIC_BASE_URL, TEST_DATABASE_URL
from .conftest import clean_environment

HELPDESK_IVR = Path(sys.executable).parent / "helpdesk-ivr"
ACCOUNT_SID = "AC" + "1234abcd" * 4
PORTS = range(5200, 5210)  # this bench's ports

on_postgresql = pytest.mark.skipif(
    not (TEST_DATABASE_URL or "").startswith("postgresql"),
    reason="several schedulers share one database only on PostgreSQL (SQLite refuses a "
           "second); runs in the PostgreSQL pass of `make test`")


class TwilioStandIn(ThreadingHTTPServer):
    """Twilio's Calls API on a local port: each call placed is kept with the moment it came."""

    daemon_threads = True

    def __init__(self) -> None:
        self.placed: list[tuple[float, str]] = []  # (time.monotonic(), To)
        self.lock = threading.Lock()
        for port in PORTS:
            try:
                super().__init__(("127.0.0.1", port), _Handler)
                break
            except OSError:
                continue
        else:
            raise RuntimeError(f"no free port in {PORTS}")
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def most_in_any_second(self) -> int:
        """The most calls placed within any one second (a window sliding over the calls)."""
        times = sorted(t for t, _ in self.placed)
        return max((sum(1 for t in times[i:] if t < start + 1.0)
                    for i, start in enumerate(times)), default=0)

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: TwilioStandIn

    def do_POST(self) -> None:  # noqa: N802  (http.server's name)
        came = time.monotonic()
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        if not urlsplit(self.path).path.endswith("/Calls.json"):
            return self._answer(404, {"code": 20404, "message": "not found", "status": 404})
        with self.server.lock:
            self.server.placed.append((came, form["To"][0]))
            sid = f"CA{len(self.server.placed):032x}"
        self._answer(201, {"sid": sid, "to": form["To"][0], "from": form["From"][0],
                           "status": "queued",
                           "date_created": format_datetime(datetime.now(UTC), usegmt=True)})

    def do_GET(self) -> None:  # noqa: N802  the recovery's look-up: no call found
        self._answer(200, {"calls": [], "page": 0, "page_size": 50, "start": 0, "end": 0,
                           "uri": self.path, "next_page_uri": None, "previous_page_uri": None})

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def twilio_standin():
    standin = TwilioStandIn()
    yield standin
    standin.stop()


def dial_anyone_at_any_hour(db, calls_per_second: float) -> None:
    """A policy version that dials at this rate, at any hour (the bench runs whenever)."""
    text = versions.current(db, "default", "policy").text
    text = set_value(text, ("outbound", "calls_per_second"), calls_per_second)
    text = set_value(text, ("outbound", "quiet_hours"), "00:00-24:00")
    versions.publish(db, "default", text, "bench", "policy")
    db.commit()


def book(db, count: int) -> None:
    """Status calls due now to distinct numbers, written as the web app writes them."""
    now = datetime.now(UTC)
    db.execute(insert(OutboundCall), [
        {"kind": "status_update", "to_number": f"+1202555{i:04d}", "due_at": now,
         "status": "pending", "created_at": now} for i in range(count)])
    db.commit()


def start_scheduler(database_url: str, standin: TwilioStandIn) -> subprocess.Popen:
    settings = {"DATABASE_URL": database_url, "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
                "TWILIO_API_URL": standin.url, "LOG_FORMAT": "json"}
    return subprocess.Popen([str(HELPDESK_IVR), "scheduler"], env=clean_environment(settings),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def stop(process: subprocess.Popen) -> list[str]:
    """SIGTERM (what systemd sends), then the messages it logged."""
    process.terminate()
    try:
        _, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return [json.loads(line)["message"] for line in err.splitlines() if line.startswith("{")]


@on_postgresql
def test_two_schedulers_place_at_most_the_policy_rate_in_any_second(
        database_url, db, twilio_standin):
    calls = 60
    dial_anyone_at_any_hour(db, calls_per_second=10)
    book(db, calls)
    processes = [start_scheduler(database_url, twilio_standin) for _ in range(2)]
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and db.scalar(
                select(func.count()).where(OutboundCall.status == "placed")) < calls:
            assert all(p.poll() is None for p in processes), "a scheduler exited"
            time.sleep(0.5)
    finally:
        logs = [stop(p) for p in processes]

    placed = twilio_standin.placed
    assert sorted(to for _, to in placed) == sorted(f"+1202555{i:04d}" for i in range(calls))
    # One dialler at a time: two would put about 20 into a second. The stand-in times each
    # call as it arrives, and on a busy 2-core host (two schedulers, PostgreSQL, the stand-in)
    # an arrival can be 100 ms late, so one call of that jitter is allowed in a second; the
    # rate itself is held over the whole run (60 calls 1.05/10 s apart: 6.2 s).
    assert twilio_standin.most_in_any_second() <= 11
    first, last = min(t for t, _ in placed), max(t for t, _ in placed)
    assert 5.8 <= last - first < 12  # paced at the limit, not slower than it needs
    dialled = [messages for messages in logs if any("dials now" in m for m in messages)]
    assert len(dialled) == 1  # one held the dialling lock; the other stood by


@on_postgresql
def test_only_the_holder_of_the_dialling_lock_dials_and_another_takes_over(
        app, db, twilio_standin):
    app.config["TWILIO_API_URL"] = twilio_standin.url
    dial_anyone_at_any_hour(db, calls_per_second=100)
    engine = app.extensions["engine"]
    first, second = DiallingLock(engine), DiallingLock(engine)
    try:
        assert first.held() and first.held()  # taken, then still held
        assert not second.held()
        standby = scheduler.make_dispatcher(app, owner="standby")
        standby.lock.release()
        standby.lock = second
        book(db, 3)
        assert standby.run_until_idle() == 0  # another scheduler dials
        assert db.scalar(select(func.count()).where(OutboundCall.status == "pending")) == 3
        first.release()  # that scheduler stopped
        assert standby.run_until_idle() == 3
        assert len(twilio_standin.placed) == 3
        assert not first.held()
    finally:
        first.release()
        second.release()
