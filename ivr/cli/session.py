"""The database session a command works in (outside any request)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session


def open_session() -> Session:
    """A new session of the app's database; use it in a `with` block."""
    session: Session = current_app.extensions["sessionmaker"]()
    return session
