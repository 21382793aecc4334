"""`flask db ...`: the database schema, through Alembic migrations."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from .. import migrate

cli = AppGroup("db", help="Database schema (Alembic migrations).")


@cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Bring the database to the current schema."""
    migrate.upgrade(current_app.extensions["engine"], revision)
    click.echo(f"database at {revision}")


@cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Step the schema back to REVISION."""
    migrate.downgrade(current_app.extensions["engine"], revision)


@cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models."""
    migrate.revision(current_app.extensions["engine"], message)
