"""Pacing the calls the line places: at most so many per second across a dispatcher's threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# Twilio counts calls per second at its end, and a few milliseconds of jitter on the way could
# put one call too many into a second when calls leave exactly 1/rate apart: they leave 5% wider.
HEADROOM = 0.05


class RateLimiter:
    """At most ``rate`` calls per second across the dispatcher's threads, spaced evenly
    (``headroom`` widens the spacing by that fraction)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, headroom: float = 0.0):
        self.rate = rate
        self.interval = (1.0 + headroom) / rate
        self.clock, self.sleep = clock, sleep
        self.next_slot = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = self.clock()
            slot = max(self.next_slot, now)
            self.next_slot = slot + self.interval
        if slot > now:
            self.sleep(slot - now)
