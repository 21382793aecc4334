"""Outages: a database restart mid-call, a hung database, and data-carrying webhooks that come
while the database is down (kept in the spool, replayed exactly once when it is back)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from ivr import create_app, scheduler
from tickets.models import Call, QueueEntry, Ticket, TicketEvent

from ..conftest import AUTH_TOKEN, PUBLIC_BASE_URL, TEST_DATABASE_URL, Caller
from .test_queue import add_agent, to_queue

on_postgresql = pytest.mark.skipif(
    not (TEST_DATABASE_URL or "").startswith("postgresql"),
    reason="a database restart and a hung server are PostgreSQL's (runs in its pass)")

HUNG_PORT = 5113  # this branch's own port on this machine


def apology(body: str) -> bool:
    return "technical difficulties" in body


@on_postgresql
def test_a_step_survives_a_restart_of_the_database(call, db, demo, clock):
    caller = call(from_="+15551230001").press("2")  # no longer at the place on file
    caller.hears("Your building and room?")
    # The database restarts: every connection the app has pooled is gone.
    db.close()
    outside = create_engine(TEST_DATABASE_URL, poolclass=NullPool)
    with outside.connect() as conn:
        killed = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    outside.dispose()
    assert killed >= 1
    caller.speak("Building C, room 5")  # the next step: nothing odd is heard
    assert not apology(caller.text) and not caller.hung_up
    caller.hears("In a few words, what is the problem, and what were you doing when it started?")
    assert db.scalar(select(Call.turn)) == 2


class HungServer:
    """A listener that accepts connections and never answers (a hung database server)."""

    def __init__(self, port: int):
        self.sock = socket.create_server(("127.0.0.1", port))
        self.sock.settimeout(0.2)
        self.held: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
                self.held.append(conn)
            except TimeoutError:
                continue

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        for conn in self.held:
            conn.close()
        self.sock.close()


def line_on(database_url: str, tmp_path: Path, **config):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test",
                      "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
                      "SPOOL_DIR": str(tmp_path / "spool"), **config})
    return app


def phone(client, **kwargs) -> Caller:
    def transport(url, params, headers):
        response = client.post(url[len(PUBLIC_BASE_URL):], data=params, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    return Caller(transport, PUBLIC_BASE_URL, AUTH_TOKEN, **kwargs)


@on_postgresql
def test_a_hung_database_server_gets_the_fallback_within_five_seconds(tmp_path):
    server = HungServer(HUNG_PORT)
    try:
        app = line_on(f"postgresql+psycopg://postgres@127.0.0.1:{HUNG_PORT}/helpdesk", tmp_path)
        caller = phone(app.test_client(), from_="+15551230001")
        started = time.monotonic()
        caller.dial()
        assert time.monotonic() - started < 5
        assert apology(caller.text)
        app.extensions["engine"].dispose()
    finally:
        server.close()


@on_postgresql
def test_a_statement_that_hangs_gets_the_fallback_within_five_seconds(app, call, db, demo,
                                                                      clock):
    caller = call(from_="+15551230001")
    with app.extensions["engine"].connect() as other:  # another holds the call row, hangs
        transaction = other.begin()
        other.execute(text("SELECT id FROM call FOR UPDATE"))
        started = time.monotonic()
        caller.press("2")
        elapsed = time.monotonic() - started
        transaction.rollback()
    assert elapsed < 5 and apology(caller.text)


def test_data_webhooks_during_an_outage_are_spooled_and_replayed_once(
        app, call, db, demo, clock, tmp_path):
    add_agent(db, "Ann", tier=1, status="on_call")
    caller = to_queue(call)
    caller.press("3")  # voicemail instead of holding: the line asks for the message
    entry = db.scalar(select(QueueEntry))
    tickets = len(db.scalars(select(Ticket)).all())

    # The database goes down: the web app cannot reach it (a missing file, a closed port).
    gone = (f"sqlite:///{tmp_path}/gone/helpdesk.db" if not TEST_DATABASE_URL else
            "postgresql+psycopg://postgres@127.0.0.1:1/helpdesk")
    down = line_on(gone, tmp_path)
    client = down.test_client()
    caller.transport = phone(client).transport
    caller.record(25)
    caller.hears("Your message has been received")
    lost = phone(client, from_="+15551230001")
    voicemail = {**lost.params, "RecordingUrl": "https://api.twilio.com/rec/RE1",
                 "RecordingDuration": "31"}
    status = {**caller.params, "CallStatus": "completed", "CallDuration": "95",
              "SequenceNumber": "4"}
    for _ in range(2):  # Twilio repeats each of them
        assert "message has been received" in lost.post("/voice/fallback/voicemail",
                                                        voicemail)[1]
        assert lost.post("/voice/status", status)[0] == 200
    caller.post(*caller.requests[-1])
    down.extensions["engine"].dispose()
    assert len(list((tmp_path / "spool").glob("*.json"))) == 3

    # The database is back: the spool is replayed, once however often that runs.
    result = app.test_cli_runner().invoke(args=["ivr", "spool"])
    assert result.exit_code == 0 and "3 spooled webhook(s) applied" in result.output
    scheduler.spool_replay(app)  # the scheduler's job, after
    assert list((tmp_path / "spool").glob("*.json")) == []
    entry = db.get(QueueEntry, entry.id, populate_existing=True)
    assert entry.status == "voicemail"
    voicemails = db.scalars(select(TicketEvent).where(TicketEvent.kind == "voicemail")).all()
    assert len(voicemails) == 2  # the queue's message and the fallback's, one each
    new = db.scalars(select(Ticket).order_by(Ticket.id)).all()[tickets:]
    assert [t.callback_number for t in new] == ["+15551230001"]
    call_row = db.scalar(select(Call).where(Call.sid == caller.call_sid))
    assert (call_row.status, call_row.duration) == ("completed", 95)
    ended = db.scalars(select(TicketEvent).where(TicketEvent.text.like("Call ended%"))).all()
    assert len(ended) == 1

    # Twilio repeats the fallback's voicemail now that the database is back: still one ticket.
    signed = phone(app.test_client(), from_="+15551230001")
    signed.post("/voice/fallback/voicemail", voicemail)
    assert len(db.scalars(select(Ticket)).all()) == tickets + 1
