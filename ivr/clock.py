"""The app's clock: real time in production, a hand-wound one in tests.

Code that runs outside a request (the scheduler, the CLI) asks ``of(app)`` for the clock and
passes the time on; nothing in the queues or the outbound calls reads the clock itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask, current_app

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


def of(app: Flask) -> Callable[[], datetime]:
    """The app's clock (a test may set one after this is asked: it is looked up each time)."""
    return lambda: app.extensions.get("clock", utcnow)()


def now() -> datetime:
    """The time, by the clock of the app serving this request."""
    return of(current_app)()
