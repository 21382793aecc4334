from __future__ import annotations

import pytest

from tickets.db import make_engine, make_sessionmaker


@pytest.fixture
def session(database_url):
    """A plain SQLAlchemy session on a fresh, migrated database: no Flask involved."""
    engine = make_engine(database_url)
    session = make_sessionmaker(engine)()
    yield session
    session.close()
    engine.dispose()
