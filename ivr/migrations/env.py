"""Alembic environment: the schema is tickets.db.Base's metadata; the connection comes from ivr."""

from alembic import context

import ivr.health  # noqa: F401  (the scheduler heartbeat table)
import ivr.outbound.tally  # noqa: F401  (the dispatch outcomes)
import tickets.accounts  # noqa: F401  (with tickets.models, registers every table)
import tickets.links  # noqa: F401  (tickets in the help desk's ticket systems)
import tickets.models  # noqa: F401
import tickets.outbox  # noqa: F401  (the outbox: events, messages, SMS opt-outs)
from tickets.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("alembic needs a connection or sqlalchemy.url (see ivr/migrate.py)")
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_migrations_online()
