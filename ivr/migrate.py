"""Schema migrations with Alembic, driven from code (no alembic.ini to keep in step).

The migration scripts ship inside the package (ivr/migrations), so an installed wheel can
build and upgrade its database with `helpdesk-ivr db upgrade`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic (about 11 MB in every web worker) is imported only when a migration, a revision or
# /readyz's schema check needs it.

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def _with_connection(engine: Engine, fn, *args, **kwargs) -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        fn(cfg, *args, **kwargs)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to the given revision (default: the current schema)."""
    from alembic import command

    _make_sqlite_folder(engine)
    _with_connection(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    _with_connection(engine, command.downgrade, revision)


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a migration from the models (for developers)."""
    from alembic import command

    _with_connection(engine, command.revision, message=message, autogenerate=True)


@cache
def script_heads() -> frozenset[str]:
    """The revision(s) this release's schema is at (read from the scripts once)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


@cache
def known_revisions() -> frozenset[str]:
    """Every revision this release knows, old and current."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    return frozenset(script.revision for script in scripts.walk_revisions())


def current_heads(conn: Connection) -> set[str]:
    """The revision(s) the database is at (empty before the first upgrade)."""
    from alembic.runtime.migration import MigrationContext

    return set(MigrationContext.configure(conn).get_current_heads())


def _make_sqlite_folder(engine: Engine) -> None:
    """Create the folder of a SQLite file (the default one is in the instance folder)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
