"""Fixtures: a fresh, migrated database per test (SQLite, or PostgreSQL via TEST_DATABASE_URL),
the app, and a Caller that dials the line signed exactly as Twilio signs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import responses
from sqlalchemy import MetaData, text
from sqlalchemy.orm import Session

from ivr import create_app, migrate
from ivr.clock import FixedClock
from ivr.phone import Phone
from tickets.db import Base, make_engine

from .twilio import contract as twilio_contract

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PUBLIC_BASE_URL = "https://helpdesk.example.test"
AUTH_TOKEN = "test-auth-token-1234567890"
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday, within opening hours


def _drop_everything(url: str) -> None:
    engine = make_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    meta.drop_all(engine)
    engine.dispose()


@pytest.fixture(autouse=True)
def twilio_requests_follow_twilios_api(monkeypatch):
    """Every request a test's `responses` mock receives for Twilio's REST API is checked
    against Twilio's OpenAPI document (tests/twilio): a test that sends Twilio a wrong
    parameter name fails, whatever its mock answers."""
    broken: list[str] = []
    on_request = responses.RequestsMock._on_request  # every mock's one way in

    def checked(self, adapter, request, **kwargs):
        if twilio_contract.is_twilio(request):
            broken.extend(twilio_contract.contract().problems(request))
        return on_request(self, adapter, request, **kwargs)

    monkeypatch.setattr(responses.RequestsMock, "_on_request", checked)
    yield broken
    assert not broken, "requests Twilio's API does not accept:\n" + "\n".join(broken)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> str:
    """A database migrated to head once per session (the migrations are under test too)."""
    if TEST_DATABASE_URL:
        _drop_everything(TEST_DATABASE_URL)
        engine = make_engine(TEST_DATABASE_URL)
        migrate.upgrade(engine)
        engine.dispose()
        return TEST_DATABASE_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return str(path)


@pytest.fixture
def database_url(template_db: str, tmp_path: Path) -> str:
    if TEST_DATABASE_URL:
        engine = make_engine(TEST_DATABASE_URL)
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return TEST_DATABASE_URL
    path = tmp_path / "test.db"
    shutil.copy(template_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app(database_url: str, tmp_path: Path):
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "HELPDESK_NAME": "the IT Help Desk",
        "SECRET_KEY": "test",
        "SPOOL_DIR": str(tmp_path / "spool"),
    })
    yield app
    app.extensions["engine"].dispose()


@pytest.fixture
def clock(app) -> FixedClock:
    """The app's clock, stopped at a Monday 10:00 UTC (the help desk is open); tests move it.
    Anything that depends on opening hours uses it, so the suite passes at any hour."""
    clock = FixedClock(MONDAY_10)
    app.extensions["clock"] = clock
    return clock


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app) -> Iterator:
    """A session on the app's database for setting up and checking data. It autocommits, so
    it never holds a lock the app waits on and every read sees what the app has written."""
    engine = app.extensions["engine"].execution_options(isolation_level="AUTOCOMMIT")
    session = Session(engine, expire_on_commit=False, autoflush=True)
    yield session
    session.close()


class Caller(Phone):
    """A caller on the line: dial(), press(), speak(), wait(); heard text in .text."""

    def hears(self, *phrases: str) -> Caller:
        for phrase in phrases:
            assert phrase.lower() in self.text.lower(), f"expected {phrase!r} in {self.text!r}"
        return self


@pytest.fixture
def call(client):
    """Start calls: call() or call(from_="+15551230001")."""

    def transport(url, params, headers):
        assert url.startswith(PUBLIC_BASE_URL)
        response = client.post(url[len(PUBLIC_BASE_URL):], data=params, headers=headers)
        assert response.status_code != 200 or response.mimetype == "text/xml"
        return response.status_code, response.get_data(as_text=True)

    def dial(from_: str | None = "+12025550147", **kwargs) -> Caller:
        return Caller(transport, PUBLIC_BASE_URL, AUTH_TOKEN, from_=from_, **kwargs).dial()

    return dial


@pytest.fixture
def demo(db):
    """The shipped demo customers and tickets."""
    from tickets.demo import load_demo

    load_demo(db)
    db.commit()
    return db
