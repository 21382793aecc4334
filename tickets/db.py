"""The one declarative base and engine/session construction (no Flask here)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use tickets.db.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[str]: JSON}


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, sqlite_synchronous: str = "FULL", connect_timeout: float | None = None,
                statement_timeout: float | None = None) -> Engine:
    """An engine; SQLite gets WAL, foreign keys and BEGIN IMMEDIATE so writers queue, not fail.
    Its errors carry no row data (``hide_parameters``, ``keep_rows_out_of_errors``): they are
    logged, and rows hold names, numbers, accounts, problems and PIN hashes.

    ``sqlite_synchronous``: FULL syncs the WAL to disk at every commit; NORMAL (the line's
    default, ``SQLITE_SYNCHRONOUS``) only at checkpoints, so a power loss or OS crash may undo
    the last commits (never corrupt the database); a crash of the app loses nothing.

    On PostgreSQL, ``connect_timeout`` (seconds: connecting, and waiting for a pooled
    connection) and ``statement_timeout`` (seconds, per statement) bound how long a hung or
    unreachable database can hold a request: Twilio gives a webhook 15 s in all."""
    if sqlite_synchronous not in ("FULL", "NORMAL"):
        raise ValueError("sqlite_synchronous is FULL or NORMAL")
    if url.startswith("sqlite"):
        return _sqlite_engine(url, sqlite_synchronous)
    # No pre-ping: it costs a round trip per request. Stale connections are recycled, and a
    # webhook whose first statement finds its connection dead tries once more on a new one.
    connect_args: dict[str, Any] = {}
    options: dict[str, Any] = {}
    if connect_timeout:
        connect_args["connect_timeout"] = max(int(round(connect_timeout)), 1)
        options["pool_timeout"] = connect_timeout
    if statement_timeout:
        connect_args["options"] = f"-c statement_timeout={int(statement_timeout * 1000)}"
    engine = create_engine(url, pool_recycle=1800, hide_parameters=True,
                           connect_args=connect_args, **options)
    keep_rows_out_of_errors(engine)
    return engine


def _sqlite_engine(url: str, synchronous: str) -> Engine:
    """SQLite with WAL, foreign keys, the ``synchronous`` asked for, and BEGIN IMMEDIATE (a
    plain BEGIN for a reads-first transaction) so writers queue, not fail."""
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                           hide_parameters=True)
    keep_rows_out_of_errors(engine)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if ":memory:" not in url:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return
        if options.get(READS_FIRST):
            return  # reads in autocommit, each statement its own snapshot: see begin_reading
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine



# PostgreSQL's classes of errors about the data itself (SQLSTATE 22, 23): their messages quote
# values ('Failing row contains (...)', 'Key (number)=(...)', 'invalid input syntax: "..."').
DATA_ERRORS = ("22", "23")


def keep_rows_out_of_errors(engine: Engine) -> None:
    """Rewrite the database's error messages without the values they quote, before anything
    logs them: a data error keeps its SQLSTATE and the table, column and constraint it names;
    any other keeps its first line (PostgreSQL's DETAIL and CONTEXT lines can quote rows).
    The error's class, SQLSTATE and diagnostics stay as they are for code that reads them.
    (SQLite's messages name constraints and columns, never values.)"""

    @event.listens_for(engine, "handle_error")
    def _scrub(context: ExceptionContext) -> None:
        orig = context.original_exception
        diag = getattr(orig, "diag", None)
        if diag is None:
            return
        state = getattr(orig, "sqlstate", None) or ""
        if state[:2] in DATA_ERRORS:
            names = [f"{what} {name}" for what, name in (
                ("table", diag.table_name), ("column", diag.column_name),
                ("constraint", diag.constraint_name)) if name]
            text = f"SQLSTATE {state}" + (f" on {', '.join(names)}" if names else "") \
                + " (values left out)"
        else:
            text = (str(orig).strip().splitlines() or [""])[0]
        orig.args = (text,)
        wrapped = context.sqlalchemy_exception
        if wrapped is not None:
            wrapped.args = (f"({type(orig).__module__}.{type(orig).__name__}) {text}",)


READS_FIRST = "tickets_reads_first"  # a connection's execution option: see begin_reading


def begin_reading(session: Session) -> None:
    """Open the session's transaction for reading only, so that work computed from what it
    reads holds no write lock (SQLite: no BEGIN yet, so other writers go on; each statement
    reads its own snapshot, so what one statement reads is consistent, two may not be). Call
    before the session's first statement, and ``begin_writing`` before its first write: what
    is written must be guarded against what changed since it was read (an UPDATE ... WHERE
    of the value read, redone when it matched nothing)."""
    session.connection(execution_options={READS_FIRST: True})
    session.info[READS_FIRST] = True


def begin_writing(session: Session) -> None:
    """End the read begun by ``begin_reading`` (if any): the next statement takes the write
    lock. On SQLite the write transaction begins now (the reads were outside any); on
    PostgreSQL the same transaction goes on (its rows are locked as they are written)."""
    if not session.info.pop(READS_FIRST, False):
        return
    if session.get_bind().dialect.name == "sqlite":
        # On the same connection and in the session's same transaction (no connection given
        # back to the pool and taken again): the driver's commit or rollback ends this one.
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")


_Row = TypeVar("_Row")


def as_loaded(session: Session, obj: _Row, values: Mapping[str, Any]) -> _Row:
    """``obj`` holding ``values`` (its row, written or read in Core) as the session's object,
    as if the ORM had loaded it: nothing is written for it now, its later changes are flushed
    as usual."""
    for key, value in values.items():
        set_committed_value(obj, key, value)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
