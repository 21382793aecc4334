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

The position need not be whole: each caller ahead counts by the share of the agents who could
serve them who are also this caller's (``ivr.queues.routing.Shares``), since the others take
about their share of such callers. Four callers ahead each served by two of this caller's
agents and two others count as two places: the caller is answered at about the third freeing,
not the fifth.

The typical handle time is the 5% trimmed mean of the recent handle times (one forgotten call
of three hours does not swing it), or ``default_handle_time`` when there are none.

A caller not answered by the agents serving them now may be taken by a higher tier's agents
once the policy's wait opens that tier to them. Each such later stage (``Snapshot.later``) is
the wider pool of agents and the caller's place in its wider line, as known now; the stage
answers the caller at the first ``t`` from its opening on where the wider pool's ``N(t)``
reaches that place. The estimate is the soonest of the first answer and the stages'.

Callers ahead may give up before their turn. With ``Snapshot.give_up_rate`` (per second, the
chance a holding caller hangs up, learnt by the line from its recent callers:
``give_up_rate``), each caller still ahead at ``s`` gives up in the next moment ``ds`` with
chance ``rate * ds``; the callers still ahead at ``s`` are those neither answered nor given up
by then. The expected number given up by ``t``, ``G(t)``, is counted with the freeings: the
caller is answered where ``N(t) + G(t)`` reaches ``position - 0.5``.

Deterministic, no I/O. Callers who will come later and overtake are not guessed at.
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
GIVE_UP_STEPS = 16  # steps per cycle in which callers ahead giving up are counted


@dataclass(frozen=True)
class Stage:
    """The agents who may take the caller from ``opens_in`` seconds on (a higher tier opened
    to them, with the agents serving them before), as known now."""

    opens_in: float
    position: float  # 1 + the callers ahead these agents could take then, by their share
    free_agents: int
    busy_elapsed: Sequence[float]
    handle_times: Sequence[float]
    wrapping_remaining: Sequence[float] = ()


@dataclass(frozen=True)
class Snapshot:
    """What is known, at the moment of asking, about the agents who can take this caller."""

    position: float  # 1 + the callers ahead the same agents could take, each by its share
    free_agents: int
    busy_elapsed: Sequence[float]  # for each busy agent in the eligible tiers, s into its call
    handle_times: Sequence[float]  # recent handle times (s) in these tiers, newest last
    default_handle_time: float = 300.0
    wrap_up_seconds: float = 0.0  # after each call, before the agent is free again
    wrapping_remaining: Sequence[float] = ()  # for each agent in wrap-up, seconds still to go
    later: Sequence[Stage] = ()  # higher tiers opening to the caller later, soonest first
    give_up_rate: float = 0.0  # per second, the chance a holding caller gives up


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


def give_up_rate(waits: Sequence[tuple[float, bool]]) -> float:
    """Per second, the chance a holding caller gives up, from recent callers' ``(seconds held,
    gave up)``: those who gave up over all the seconds held (an answered caller held that
    long without giving up), the rate of an exponential patience; 0 with none given up."""
    held = math.fsum(max(float(w), 0.0) for w, _ in waits)
    gave_up = sum(1 for _, g in waits if g)
    return gave_up / held if held > 0 else 0.0


def expected_remaining(elapsed: float, handle_times: Sequence[float], typical: float) -> float:
    """Expected seconds left in a call that has lasted ``elapsed`` seconds so far."""
    return Remaining(elapsed, handle_times, typical).mean()


def estimate_wait(s: Snapshot, first: float | None = None) -> float:
    """Seconds until the caller at ``s.position`` is answered, from the live snapshot.
    ``first``: ``estimate_wait`` of the same snapshot without its later stages, when known
    (the line asks that first, to learn which stages open before the wait is over)."""
    if s.position <= s.free_agents:
        return 0.0
    wrap = max(float(s.wrap_up_seconds), 0.0)
    rate = max(float(s.give_up_rate), 0.0)
    best = first
    if best is None:
        now = Stage(0.0, s.position, s.free_agents, s.busy_elapsed, s.handle_times,
                    s.wrapping_remaining)
        best = _answered(now, s.default_handle_time, wrap, rate)
        if best is None:
            # Nobody can take this caller right now: assume a single agent will, from now on.
            cycle = typical_handle_time(s.handle_times, s.default_handle_time) + wrap
            best = naive_estimate(s.position, cycle)
    for stage in s.later:
        if stage.opens_in >= best:
            break
        found = _answered(stage, s.default_handle_time, wrap, rate, sooner_than=best)
        if found is not None:
            best = min(best, found)
    return best


# A count compared with the caller's place is decided by its bounds (``_Pool.bounds``) only
# when they clear it by this share of the place: far more than the rounding of ``count``, a
# sum of at most a few thousand terms (relative error under 1e-12).
_MARGIN = 1e-6
_EPSILON = 1e-3  # seconds: the bounds are taken this much either side of the moment asked


class _Pool:
    """The expected number of times a group of agents becomes free by ``t`` (``count``).

    Each lane frees at ``offset + R``, ``offset + R + cycle``, ... with R drawn from its
    remaining time (wrap-up already in ``offset``); ``fixed`` are sure moments.
    """

    def __init__(self, free_agents: int, busy_elapsed: Sequence[float],
                 handle_times: Sequence[float], wrapping_remaining: Sequence[float],
                 default_handle_time: float, wrap: float):
        typical = typical_handle_time(handle_times, default_handle_time)
        self.cycle = typical + wrap
        fresh = Remaining(0.0, handle_times, typical)
        fixed = [0.0] * max(free_agents, 0)
        lanes = [(wrap, fresh)] * len(fixed)
        for e in busy_elapsed:
            lanes.append((wrap, Remaining(max(float(e), 0.0), handle_times, typical)))
        for r in wrapping_remaining:
            r = max(float(r), 0.0)
            fixed.append(r)
            lanes.append((r + wrap, fresh))
        self.fixed = sorted(fixed)
        # Each lane's numbers, read once per count rather than through its ``Remaining``.
        self.lanes = [(offset, r.times, r.prior, r.weight, r.longest) for offset, r in lanes]
        # For the bounds, made when first asked: the earliest moment each lane can free (its
        # offset), and the moment by which its first call has surely ended (offset + longest).
        self._all_sure = max((offset + longest for offset, *_, longest in self.lanes),
                             default=0.0)
        self._cycles: tuple[_Cycles, _Cycles] | None = None

    def count(self, t: float) -> float:
        """The expected number of freeings from now until ``t``: each lane's cycles so far
        back that its call surely ended count whole, the rest by the chance it has ended.
        (Its terms are added in the order and the arithmetic the estimate has always used,
        so that the estimate stays the same to the last bit.)"""
        count = float(bisect.bisect_right(self.fixed, t))
        cycle = self.cycle
        floor = math.floor
        bisect_right = bisect.bisect_right
        for offset, times, prior, weight, longest in self.lanes:
            x = t - offset
            if x < 0:
                continue
            whole = floor((x - longest) / cycle) + 1 if x >= longest else 0
            k = whole
            while True:
                y = x - k * cycle
                if y < 0:
                    break
                if y >= longest:
                    count += 1.0
                else:
                    count += (bisect_right(times, y) + (PSEUDO if prior <= y else 0.0)) / weight
                k += 1
            count += whole
        return count

    def bounds(self, t: float) -> tuple[float, float] | None:
        """Bounds of ``count(t)`` without its chances: a lane has freed at least once per cycle
        whose call surely ended by ``t`` and at most once per cycle begun by then (each taken
        ``_EPSILON`` to the safe side of ``t``, against the rounding of ``count``'s moments).
        None before every lane's first call has surely ended (then ``count`` costs little)."""
        low_t, high_t = t - _EPSILON, t + _EPSILON
        if low_t < self._all_sure:
            return None
        if self._cycles is None:
            self._cycles = (_Cycles([offset + longest for offset, *_, longest in self.lanes],
                                    self.cycle),
                            _Cycles([offset for offset, *_ in self.lanes], self.cycle))
        sure, starts = self._cycles
        low = bisect.bisect_right(self.fixed, low_t) + sure.begun(low_t)
        high = bisect.bisect_right(self.fixed, high_t) + starts.begun(high_t)
        return float(low), float(high)


class _Cycles:
    """Moments ``a`` that recur every ``cycle``: how many of them have come by ``t``
    (``a``, ``a + cycle``, ... up to ``t``, for every ``a``), in a few steps once ``t`` is
    past them all: ``floor((t - a) / cycle)`` is ``floor(t / cycle) - floor(a / cycle)``, less
    one where the fraction of ``a / cycle`` is the larger."""

    def __init__(self, moments: list[float], cycle: float):
        self.n = len(moments)
        self.cycle = cycle
        units = [a / cycle for a in moments]
        wholes = [math.floor(u) for u in units]
        self.wholes = sum(wholes)
        self.fractions = sorted(u - w for u, w in zip(units, wholes, strict=True))

    def begun(self, t: float) -> int:
        """How many of the moments have come by ``t`` (``t`` past them all)."""
        n = self.n
        if not n:
            return 0
        units = t / self.cycle
        whole = math.floor(units)
        larger = n - bisect.bisect_right(self.fractions, units - whole)
        return n * (whole + 1) - self.wholes - larger


class _GivingUp:
    """The expected number of callers ahead who have given up by ``t`` (``G(t)``), worked out
    step by step from now (the callers still ahead at each step: neither answered, by the
    pool's freeings, nor given up), and taken as linear within a step."""

    def __init__(self, ahead: float, rate: float, pool: _Pool):
        self.ahead = ahead
        self.step = pool.cycle / GIVE_UP_STEPS
        self.share = -math.expm1(-rate * self.step)  # of those still ahead, given up in a step
        self.pool = pool
        self.grid = [0.0]  # G at 0, step, 2 step, ...

    def __call__(self, t: float) -> float:
        if t <= 0:
            return 0.0
        k = int(t / self.step)
        grid = self.grid
        while len(grid) <= k + 1:
            at = (len(grid) - 1) * self.step
            left = max(self.ahead - self.pool.count(at) - grid[-1], 0.0)
            grid.append(grid[-1] + left * self.share)
        part = t / self.step - k
        return grid[k] + part * (grid[k + 1] - grid[k])

    def with_freeings(self, t: float) -> float:
        """``N(t) + G(t)``: the places ahead that have come free by ``t``."""
        return self.pool.count(t) + self(t)

    def known(self) -> float:
        """G as far as it is worked out: no less at any later moment (G never falls)."""
        return self.grid[-1]


def _answered(stage: Stage, default_handle_time: float, wrap: float,
              give_up_rate: float = 0.0, sooner_than: float | None = None) -> float | None:
    """When this pool's freeings (and the callers ahead who gave up) reach the caller's
    place, from the stage's opening on (None: nobody in it; or, with ``sooner_than``, not
    before then: the count has not reached the place at that moment, so no search would
    have found a moment as soon, the count never falling).

    The search asks whether the count has reached the place at moments chosen by the answers
    before; an answer the count's bounds already give (far from the place: most of them for a
    caller far back) is taken from them, and only the others are counted. The moments asked
    and their answers are the same as when every one was counted, so is the estimate."""
    main = _Pool(stage.free_agents, stage.busy_elapsed, stage.handle_times,
                 stage.wrapping_remaining, default_handle_time, wrap)
    if not main.lanes:
        return None
    target = stage.position - 0.5
    giving_up = (_GivingUp(stage.position - 1, give_up_rate, main)
                 if give_up_rate > 0 and stage.position > 1 else None)

    margin = _MARGIN * (1.0 + abs(target))

    def reached(t: float) -> bool:
        bounds = main.bounds(t)
        if bounds is not None:
            low, high = bounds
            if giving_up is not None and t >= (len(giving_up.grid) - 1) * giving_up.step:
                low += giving_up.known()
            if low - margin >= target:
                return True
            if giving_up is None and high + margin < target:
                return False
        if giving_up is not None:
            return giving_up.with_freeings(t) >= target
        return main.count(t) >= target

    if sooner_than is not None and sooner_than > stage.opens_in:
        # Short of the place by more than any rounding at ``sooner_than``: every moment
        # before it falls short too.
        bounds = None if giving_up is not None else main.bounds(sooner_than)
        if bounds is not None and bounds[1] + margin < target:
            return None
        if giving_up is not None:
            counted = giving_up.with_freeings(sooner_than)
        else:
            counted = main.count(sooner_than)
        if counted + margin < target:
            return None

    low = stage.opens_in
    if reached(low):
        return low
    step = main.cycle
    high = low + step
    while not reached(high):
        low, step = high, step * 2
        high = low + step
    while high - low > RESOLUTION:
        middle = (low + high) / 2
        if reached(middle):
            high = middle
        else:
            low = middle
    return high


def naive_estimate(position: float, average_handle_time: float) -> float:
    """Asterisk's announce-holdtime style estimate: position x average handle time."""
    return max(position, 0) * average_handle_time
