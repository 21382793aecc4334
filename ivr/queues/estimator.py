"""The estimated wait told to a caller, from the live state of the agents who can serve them.

The caller at ``position`` is answered at the ``position``-th moment, counting from now, when
one of the agents who can take them becomes free. Each such agent frees up again and again:

- a free agent: now; then when the call it takes now ends, plus wrap-up; then every cycle;
- a busy agent ``e`` seconds into a call: when that call ends, plus wrap-up; then every cycle;
- an agent in wrap-up: when the wrap-up ends; then as a free agent from there.

A cycle is a typical handle time plus the wrap-up. When the current calls end is uncertain,
and the soonest of several uncertain ends comes much earlier than the soonest of their
expected ends (ten agents each about four minutes from done free the first one in well under
a minute), so each agent's next call end is a distribution, not a number: the recent handle
times longer than ``e``, minus ``e`` (the empirical residual life of a call that has lasted
``e``), with two pseudo-observations at ``max(typical - e, typical / 2)`` mixed in, so that a
call longer than every recent one is taken to be about half a typical call from its end, not
over now. Later cycles are taken at their typical length.

Adding up, over the agents, the probability that each freeing has happened by time ``t`` gives
the expected number of freeings by ``t``, ``N(t)``. The estimate is the first ``t`` where
``N(t)`` reaches ``position - 0.5``: about the median time of the ``position``-th freeing (the
count by ``t`` is a sum of many small chances, whose median sits near its mean). It is 0 when
``position <= free_agents``.

The typical handle time is the 5% trimmed mean of the recent handle times (one forgotten call
of three hours does not swing it), or ``default_handle_time`` when there are none.

Deterministic, no I/O. Callers ahead who will give up, and callers who will come later and
overtake, are not guessed at.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

TRIM = 0.05  # share cut from each end for the trimmed mean
PSEUDO = 2.0  # weight of the prior in a call's remaining time
MIN_HANDLE = 1.0  # seconds; keeps a cycle positive
RESOLUTION = 0.5  # seconds; precision of the estimate


@dataclass(frozen=True)
class Snapshot:
    """What is known, at the moment of asking, about the agents who can take this caller."""

    position: int  # 1-based place among callers eligible for the same agents
    free_agents: int
    busy_elapsed: Sequence[float]  # for each busy agent in the eligible tiers, s into its call
    handle_times: Sequence[float]  # recent handle times (s) in these tiers, newest last
    default_handle_time: float = 300.0
    wrap_up_seconds: float = 0.0  # after each call, before the agent is free again
    wrapping_remaining: Sequence[float] = ()  # for each agent in wrap-up, seconds still to go


def typical_handle_time(handle_times: Sequence[float], default: float = 300.0) -> float:
    """The 5% trimmed mean of recent handle times, or ``default`` when there are none."""
    if not handle_times:
        return max(float(default), MIN_HANDLE)
    ordered = sorted(handle_times)
    cut = int(len(ordered) * TRIM)
    kept = ordered[cut:len(ordered) - cut] if cut else ordered
    return max(math.fsum(kept) / len(kept), MIN_HANDLE)


class Remaining:
    """How much longer a call that has lasted ``elapsed`` seconds goes on (a distribution)."""

    __slots__ = ("times", "prior", "weight", "longest")

    def __init__(self, elapsed: float, handle_times: Sequence[float], typical: float):
        self.times = sorted(h - elapsed for h in handle_times if h > elapsed)
        self.prior = max(typical - elapsed, typical / 2)
        self.weight = len(self.times) + PSEUDO
        self.longest = max(self.times[-1] if self.times else 0.0, self.prior)

    def mean(self) -> float:
        return (math.fsum(self.times) + PSEUDO * self.prior) / self.weight

    def cdf(self, x: float) -> float:
        """The chance the call has ended within ``x`` seconds."""
        if x < 0:
            return 0.0
        if x >= self.longest:
            return 1.0
        done = bisect.bisect_right(self.times, x) + (PSEUDO if self.prior <= x else 0.0)
        return done / self.weight


def expected_remaining(elapsed: float, handle_times: Sequence[float], typical: float) -> float:
    """Expected seconds left in a call that has lasted ``elapsed`` seconds so far."""
    return Remaining(elapsed, handle_times, typical).mean()


def _freeings(lanes: list[tuple[float, Remaining]], fixed: list[float], cycle: float,
              t: float) -> float:
    """Expected number of moments an agent becomes free, from now until ``t``.

    A lane ``(offset, remaining)`` frees at ``offset + R``, ``offset + R + cycle``, ... with R
    drawn from ``remaining`` (wrap-up already in ``offset``); ``fixed`` are sure moments.
    """
    count = float(sum(1 for f in fixed if f <= t))
    for offset, remaining in lanes:
        x = t - offset
        if x < 0:
            continue
        # Cycles so far back that the call surely ended count whole; the rest by chance.
        whole = math.floor((x - remaining.longest) / cycle) + 1 if x >= remaining.longest else 0
        k = whole
        while True:
            y = x - k * cycle
            if y < 0:
                break
            count += remaining.cdf(y)
            k += 1
        count += whole
    return count


def estimate_wait(s: Snapshot) -> float:
    """Seconds until the caller at ``s.position`` is answered, from the live snapshot."""
    if s.position <= s.free_agents:
        return 0.0
    typical = typical_handle_time(s.handle_times, s.default_handle_time)
    wrap = max(float(s.wrap_up_seconds), 0.0)
    cycle = typical + wrap
    fresh = Remaining(0.0, s.handle_times, typical)
    fixed = [0.0] * max(s.free_agents, 0)
    lanes = [(wrap, fresh)] * len(fixed)
    for e in s.busy_elapsed:
        lanes.append((wrap, Remaining(max(float(e), 0.0), s.handle_times, typical)))
    for r in s.wrapping_remaining:
        r = max(float(r), 0.0)
        fixed.append(r)
        lanes.append((r + wrap, fresh))
    if not lanes:
        # Nobody can take this caller right now: assume a single agent will, from now on.
        return naive_estimate(s.position, cycle)
    target = s.position - 0.5
    low, high = 0.0, cycle
    while _freeings(lanes, fixed, cycle, high) < target:
        low, high = high, high * 2
    while high - low > RESOLUTION:
        middle = (low + high) / 2
        if _freeings(lanes, fixed, cycle, middle) >= target:
            high = middle
        else:
            low = middle
    return high


def naive_estimate(position: int, average_handle_time: float) -> float:
    """Asterisk's announce-holdtime style estimate: position x average handle time."""
    return max(position, 0) * average_handle_time
