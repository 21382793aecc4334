"""The wait estimate's search counts less for a caller far back, and says the same: every
estimate equals, to the last bit, the one the estimator gave before (kept here as the
reference: it counted every moment the search asked, and ``_freeings`` went through each
lane's ``Remaining``; the give-up grid, unchanged, is the estimator's own ``_GivingUp`` over the
reference's pool)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import replace

import pytest

from ivr.queues import estimator
from ivr.queues.estimator import (
    RESOLUTION,
    Remaining,
    Snapshot,
    Stage,
    estimate_wait,
    naive_estimate,
    typical_handle_time,
)

# ---- the estimator's search and count before (the reference) --------------------------------


def _freeings(lanes: list[tuple[float, Remaining]], fixed: list[float], cycle: float,
              t: float) -> float:
    count = float(sum(1 for f in fixed if f <= t))
    for offset, remaining in lanes:
        x = t - offset
        if x < 0:
            continue
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


def reference_estimate(s: Snapshot) -> float:
    if s.position <= s.free_agents:
        return 0.0
    wrap = max(float(s.wrap_up_seconds), 0.0)
    now = Stage(0.0, s.position, s.free_agents, s.busy_elapsed, s.handle_times,
                s.wrapping_remaining)
    rate = max(float(s.give_up_rate), 0.0)
    best = _answered(now, s.default_handle_time, wrap, rate)
    if best is None:
        cycle = typical_handle_time(s.handle_times, s.default_handle_time) + wrap
        best = naive_estimate(s.position, cycle)
    for stage in s.later:
        if stage.opens_in >= best:
            break
        found = _answered(stage, s.default_handle_time, wrap, rate)
        if found is not None:
            best = min(best, found)
    return best


class _Pool:
    def __init__(self, free_agents: int, busy_elapsed: Sequence[float],
                 handle_times: Sequence[float], wrapping_remaining: Sequence[float],
                 default_handle_time: float, wrap: float):
        typical = typical_handle_time(handle_times, default_handle_time)
        self.cycle = typical + wrap
        fresh = Remaining(0.0, handle_times, typical)
        self.fixed = [0.0] * max(free_agents, 0)
        self.lanes = [(wrap, fresh)] * len(self.fixed)
        for e in busy_elapsed:
            self.lanes.append((wrap, Remaining(max(float(e), 0.0), handle_times, typical)))
        for r in wrapping_remaining:
            r = max(float(r), 0.0)
            self.fixed.append(r)
            self.lanes.append((r + wrap, fresh))

    def count(self, t: float) -> float:
        return _freeings(self.lanes, self.fixed, self.cycle, t)


def _answered(stage: Stage, default_handle_time: float, wrap: float,
              give_up_rate: float = 0.0) -> float | None:
    main = _Pool(stage.free_agents, stage.busy_elapsed, stage.handle_times,
                 stage.wrapping_remaining, default_handle_time, wrap)
    if not main.lanes:
        return None
    count: Callable[[float], float] = main.count
    if give_up_rate > 0 and stage.position > 1:
        count = estimator._GivingUp(stage.position - 1, give_up_rate, main).with_freeings

    target = stage.position - 0.5
    low = stage.opens_in
    if count(low) >= target:
        return low
    step = main.cycle
    high = low + step
    while count(high) < target:
        low, step = high, step * 2
        high = low + step
    while high - low > RESOLUTION:
        middle = (low + high) / 2
        if count(middle) >= target:
            high = middle
        else:
            low = middle
    return high


# ---- snapshots --------------------------------------------------------------------------------

SPREAD = [float(h) for h in range(150, 451, 10)]
# Recent handle times, newest last: none (the default), all alike (whole numbers: counts that
# land exactly on a place), a spread, and a spread with calls far longer than a cycle.
HISTORIES = ([], [300.0] * 20, SPREAD, [*SPREAD[:20], 2400.0, 3600.0, 95.5, 181.25])


def pool(rng: random.Random, size: int, history: list[float]) -> dict:
    """A pool of ``size`` analysts: free, busy (some past every recent call) and wrapping."""
    free = busy = wrapping = 0
    for _ in range(size):
        kind = rng.random()
        if kind < 0.1:
            free += 1
        elif kind < 0.8:
            busy += 1
        else:
            wrapping += 1
    longest = max(history, default=300.0)
    return {"free_agents": free,
            "busy_elapsed": [rng.choice((0.0, 30.0, 120.0, rng.uniform(0, longest * 1.5)))
                             for _ in range(busy)],
            "wrapping_remaining": [rng.choice((0.0, 15.0, rng.uniform(0, 60)))
                                   for _ in range(wrapping)]}


def place(rng: random.Random, most: int) -> float:
    """A place as the line counts it: whole, half (shares of 1/2), or any share."""
    ahead = rng.randint(0, most)
    return 1.0 + rng.choice((ahead, ahead * 0.5, ahead * rng.random(), ahead / 3))


def snapshots(seed: int, count: int, most: int, largest_pool: int) -> list[Snapshot]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        history = rng.choice(HISTORIES)
        size = rng.choice((1, 2, 3, 10, rng.randint(1, largest_pool)))
        later = []
        opens = 0.0
        for _ in range(rng.choice((0, 0, 1, 2))):
            opens += rng.choice((19.0, 120.0, rng.uniform(1, 600)))
            later.append(Stage(opens_in=opens, position=place(rng, most),
                               handle_times=rng.choice(HISTORIES),
                               **pool(rng, rng.randint(0, largest_pool), history)))
        out.append(Snapshot(position=place(rng, most), handle_times=history,
                            default_handle_time=rng.choice((300.0, 200.0)),
                            wrap_up_seconds=rng.choice((0.0, 60.0, 30.5)),
                            give_up_rate=rng.choice((0.0, 0.0, 1 / 1200, 1 / 300, 1 / 7)),
                            later=later, **pool(rng, size, history)))
    return out


def same(s: Snapshot) -> None:
    expected = reference_estimate(s)
    assert estimate_wait(s) == expected, s
    # The line asks without the later stages first, then with them and that first answer.
    first = estimate_wait(replace(s, later=()))
    assert estimate_wait(s, first=first) == expected, s


@pytest.mark.parametrize("seed", range(8))
def test_the_estimate_is_the_same_for_callers_near_the_front(seed):
    for s in snapshots(seed, 60, most=40, largest_pool=12):
        same(s)


@pytest.mark.parametrize("seed", range(4))
def test_the_estimate_is_the_same_for_callers_far_back(seed):
    for s in snapshots(100 + seed, 12, most=5000, largest_pool=200):
        same(s)


def test_the_estimate_is_the_same_at_every_place_of_a_long_line():
    rng = random.Random(7)
    for history in HISTORIES:
        for rate in (0.0, 1 / 1200):
            base = Snapshot(position=1.0, handle_times=history, wrap_up_seconds=60.0,
                            give_up_rate=rate, **pool(rng, 150, history))
            for position in (1, 2, 3.5, 17, 151, 152.5, 400, 1000.25, 2500, 4000, 5000):
                same(replace(base, position=float(position)))


def test_counts_that_land_exactly_on_the_place_give_the_same_estimate():
    # All calls alike and whole numbers: the count of freeings is a whole number at every
    # moment, and a place of n + 0.5 (callers ahead counted by halves) is reached exactly.
    for busy in ([0.0] * 4, [0.0, 100.0, 200.0, 300.0], [60.0] * 10):
        for position in (1.5, 2.0, 4.5, 5.0, 40.5, 41.0, 400.5):
            for wrapping in ((), (0.0, 30.0)):
                same(Snapshot(position=position, free_agents=1, busy_elapsed=busy,
                              handle_times=[300.0] * 20, wrap_up_seconds=60.0,
                              wrapping_remaining=wrapping))


def test_the_bounds_hold_the_count():
    rng = random.Random(11)
    tested = 0
    for history in HISTORIES:
        p = pool(rng, 120, history)
        mine = estimator._Pool(p["free_agents"], p["busy_elapsed"], history,
                               p["wrapping_remaining"], 300.0, 60.0)
        theirs = _Pool(p["free_agents"], p["busy_elapsed"], history,
                       p["wrapping_remaining"], 300.0, 60.0)
        for t in [0.0, 0.25, 59.999, 60.0, *(rng.uniform(0, 20_000) for _ in range(200))]:
            assert mine.count(t) == theirs.count(t)
            bounds = mine.bounds(t)
            if bounds is not None:
                tested += 1
                assert bounds[0] <= mine.count(t) <= bounds[1]
    assert tested > 500
