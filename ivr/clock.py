"""The app's clock: real time in production, a hand-wound one in tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from tickets.db import utcnow


class FixedClock:
    """A clock that moves only when told to (for tests and simulations)."""

    def __init__(self, start: datetime):
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> datetime:
        self.current += timedelta(seconds=seconds)
        return self.current


def now() -> datetime:
    return current_app.extensions.get("clock", utcnow)()
