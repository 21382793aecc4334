"""The database, per app: one engine, one session per request."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from tickets.db import make_engine, make_sessionmaker


def register_db(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"], app.config["SQLITE_SYNCHRONOUS"],
                         connect_timeout=app.config.get("DATABASE_CONNECT_TIMEOUT"),
                         statement_timeout=app.config.get("DATABASE_STATEMENT_TIMEOUT"))
    app.extensions["engine"] = engine
    app.extensions["sessionmaker"] = make_sessionmaker(engine)
    close_sessions(app)


def close_sessions(app: Flask) -> None:
    """Each request's session closed when it ends (an app sharing another's engine needs only
    this)."""

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def session() -> Session:
    """The request's session (opened on first use, closed when the request ends)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["sessionmaker"]()
    return g.db_session
