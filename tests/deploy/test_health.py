"""/healthz and /readyz as a load balancer or monitor sees them."""

from __future__ import annotations

import socket

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url

from ivr import create_app, migrate, scheduler


def scheduler_beats(app) -> None:
    """What the scheduler does every minute: its heartbeat job, as it runs it."""
    scheduler.job(app, "heartbeat", scheduler.heartbeat)()


def test_healthz_answers_without_login_or_database(client):
    response = client.get("/healthz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok")


def test_ready_with_database_schema_and_a_live_scheduler(client, app, clock):
    scheduler_beats(app)
    clock.advance(60)
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"]["ok"]
    assert body["checks"]["scheduler"] == {"ok": True, "age_seconds": 60}


def test_unready_until_a_scheduler_beats_and_when_it_stops(client, app, clock):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["scheduler"] == {
        "ok": False, "detail": "no scheduler heartbeat yet"}
    scheduler_beats(app)
    assert client.get("/readyz").status_code == 200
    clock.advance(181)  # three missed beats and a second
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["scheduler"]["detail"] == (
        "last scheduler heartbeat 181 s ago (stale after 180 s)")


def test_each_scheduler_process_keeps_one_row(app, db, clock):
    for _ in range(3):
        scheduler_beats(app)
        clock.advance(60)
    assert db.execute(text("SELECT count(*) FROM scheduler_heartbeat")).scalar() == 1


def unreachable(database_url: str) -> str:
    """The same database, but somewhere nothing answers (a stopped server, a lost disk)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{url.database}.gone/helpdesk.db"  # a folder that does not exist
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


def test_unready_when_the_database_is_unreachable(database_url):
    down = create_app({"TESTING": True, "DATABASE_URL": unreachable(database_url)})
    try:
        response = down.test_client().get("/readyz")
    finally:
        down.extensions["engine"].dispose()
    assert response.status_code == 503
    checks = response.get_json()["checks"]  # no host, path or password in the answer
    assert checks == {"database": {"ok": False, "detail": "unreachable (OperationalError)"}}
    assert down.test_client().get("/healthz").status_code == 200  # the process itself is up


@pytest.fixture
def previous_schema(app):
    """The database one migration behind this release (put back to head afterwards)."""
    engine = app.extensions["engine"]
    [head] = migrate.script_heads()
    behind = ScriptDirectory.from_config(migrate.alembic_config()).get_revision(head)
    migrate.downgrade(engine, behind.down_revision)
    yield behind.down_revision, head
    migrate.upgrade(engine)


def test_unready_when_migrations_are_behind(client, app, previous_schema):
    behind, head = previous_schema
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"] == {"ok": True}
    assert checks["migrations"] == {
        "ok": False, "detail": f"database at {behind}, this release needs {head}: "
                               "run `helpdesk-ivr db upgrade`"}
    assert not checks["scheduler"]["ok"]


@pytest.fixture
def newer_schema(app):
    """The database migrated by a newer release than this one (put back afterwards)."""
    engine = app.extensions["engine"]
    [head] = migrate.script_heads()
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    yield head
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})


def test_an_older_release_stays_ready_on_a_newer_schema(client, app, newer_schema):
    """The upgrade order is `db upgrade`, then restart each host: hosts still on the old
    release keep serving until their turn."""
    scheduler_beats(app)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["migrations"] == {
        "ok": True, "detail": f"database at 9999, newer than this release ({newer_schema})"}

