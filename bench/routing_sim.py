"""The simulated help-desk day of bench/routing.py: arrivals, agents, breaks and routing, and
for every caller asked to hold the wait announced by ours and the naive estimate."""

from __future__ import annotations

import heapq
import math
import random
import statistics
from collections import deque
from dataclasses import dataclass, field

from ivr.queues import estimator, routing

CATEGORIES = ["hardware", "software", "network", "access", "other"]
RANK_LABELS = {1: "enterprise_failure", 2: "critical_situation", 3: "regular_service",
               4: "planned_event"}
RANK_WEIGHTS = [2, 13, 70, 15]  # % of callers per rank 1..4

OPEN, CLOSE = 8 * 3600.0, 18 * 3600.0
STAFFING = {"normal": {1: 14, 2: 7, 3: 3}, "short-staffed": {1: 10, 2: 5, 3: 2}}
HANDLE_MEDIAN = {1: 240.0, 2: 420.0, 3: 600.0}  # seconds, lognormal by the agent's tier
HANDLE_SIGMA = 0.7
WRAP_UP = 30.0
PATIENCE_MEAN = 20 * 60.0  # exponential
RECENT = 50
RECENT_WAITS = 200  # callers whose wait is over, as ivr.queues.lineup reads them


def arrival_rate(t: float) -> float:
    """Calls per second at time of day t: a base, a morning peak and an afternoon bump."""
    h = t / 3600.0
    per_hour = (30 + 110 * math.exp(-((h - 10.0) ** 2) / 2)
                + 50 * math.exp(-((h - 14.5) ** 2) / (2 * 1.2 ** 2)))
    return per_hour / 3600.0


@dataclass
class SimAgent:
    id: int
    tier: int
    skills: frozenset
    status: str = "available"
    idle_since: float = OPEN
    call_started: float = 0.0
    caller_waited: float = 0.0  # how long the caller on the call had held
    wrap_ends: float = 0.0
    break_at: float = 0.0
    break_pending: bool = False

    def view(self) -> routing.Agent:
        return routing.Agent(self.id, self.tier, self.skills, self.status, self.idle_since)


@dataclass
class Record:
    ours: float
    naive: float
    drain: float
    position: int
    actual: float | None = None


@dataclass
class Day:
    seed: int
    callers: int = 0
    abandoned: int = 0
    answered: int = 0
    records: dict[int, Record] = field(default_factory=dict)

    def scored(self) -> list[Record]:
        return [r for r in self.records.values() if r.actual is not None]


class Simulation:
    """One day: the staff and the day's callers set up (seeded), then events in time order."""

    def __init__(self, seed: int, policy, tier_sizes: dict[int, int]):
        self.policy = policy
        self.rules = routing.TierRules(tier_wait_seconds=policy.tier_wait_seconds,
                                       multiply_by_level=policy.multiply_by_level,
                                       skip_empty_tiers=policy.skip_empty_tiers)
        self.arrivals_rnd = random.Random(seed * 1000 + 1)
        self.service_rnd = random.Random(seed * 1000 + 2)
        self.setup_rnd = random.Random(seed * 1000 + 3)
        self.day = Day(seed)
        self.events: list[tuple[float, int, str, int]] = []
        self.seq = 0
        self.agents = self._staff(tier_sizes)
        self.callers: dict[int, routing.Waiting] = {}
        self.patience: dict[int, float] = {}
        self._arrivals()
        for a in self.agents:
            self.at(a.break_at, "break", a.id)
        self.by_id = {a.id: a for a in self.agents}
        self.waiting: dict[int, routing.Waiting] = {}
        self.recent: deque[tuple[int, float]] = deque(maxlen=20 * RECENT)  # (tier, handle time)
        # (seconds held, gave up) of callers whose wait is over, when their entry ended (an
        # answered caller's at the end of the call)
        self.waits: deque[tuple[float, bool]] = deque(maxlen=RECENT_WAITS)

    def at(self, t: float, kind: str, ref: int) -> None:
        self.seq += 1
        heapq.heappush(self.events, (t, self.seq, kind, ref))

    def _staff(self, tier_sizes: dict[int, int]) -> list[SimAgent]:
        agents: list[SimAgent] = []
        for tier, size in tier_sizes.items():
            for _ in range(size):
                generalist = tier == 3 or self.setup_rnd.random() < 0.5
                skills = (frozenset() if generalist
                          else frozenset(self.setup_rnd.sample(CATEGORIES, 2)))
                agents.append(SimAgent(len(agents) + 1, tier, skills))
        for a in agents:  # a 30-minute lunch break, staggered between 11:30 and 14:00
            a.break_at = 11.5 * 3600 + self.setup_rnd.uniform(0, 2.5 * 3600)
        return agents

    def _arrivals(self) -> None:
        """Arrivals: a non-homogeneous Poisson process by thinning."""
        rnd = self.arrivals_rnd
        peak = max(arrival_rate(OPEN + s * 60) for s in range(int((CLOSE - OPEN) / 60) + 1))
        t = OPEN
        while True:
            t += rnd.expovariate(peak)
            if t >= CLOSE:
                break
            if rnd.random() * peak > arrival_rate(t):
                continue
            cid = len(self.callers) + 1
            rank = rnd.choices([1, 2, 3, 4], RANK_WEIGHTS)[0]
            category = rnd.choice(CATEGORIES)
            tier = self.policy.start_tier(RANK_LABELS[rank], category)
            self.callers[cid] = routing.Waiting(cid, rank, t, tier, category)
            self.patience[cid] = rnd.expovariate(1 / PATIENCE_MEAN)
            self.at(t, "arrive", cid)

    # ---- what a live system knows when a caller joins ----------------------------------------

    def pool(self, me: routing.Waiting, now: float, at: float, views: list[routing.Agent],
             staffed: set[int]) -> tuple[int, estimator.Stage]:
        """The caller's place in line and the agents who may take ``me`` at ``at`` (>= now),
        as known ``now``: the stage counts to the place with callers ahead by their share
        (``routing.shared_place``), as ``ivr.queues.lineup`` does."""
        position, serving = routing.place_in_line(me, self.waiting.values(), views, at,
                                                  self.rules)
        shared = routing.shared_place(me, self.waiting.values(), views, at, self.rules)
        mine = routing.eligible_tiers(me, at, self.rules, staffed)
        by_id = self.by_id
        free = sum(1 for a in serving if a.status == "available")
        busy = [now - by_id[a.id].call_started for a in serving if a.status == "on_call"]
        wrapping = [by_id[a.id].wrap_ends - now for a in serving if a.status == "wrap_up"]
        handles: list[float] = []
        for tier, h in reversed(self.recent):
            if tier in mine:
                handles.append(h)
                if len(handles) == RECENT:
                    break
        handles.reverse()
        return position, estimator.Stage(at - now, shared, free, busy, handles, wrapping)

    def snapshot(self, me: routing.Waiting,
                 now: float) -> tuple[estimator.Snapshot, int, float, int]:
        views = [a.view() for a in self.agents]
        staffed = {a.tier for a in views if a.status != "offline"}
        place, first = self.pool(me, now, now, views, staffed)
        later = [self.pool(me, now, now + opens, views, staffed)[1]
                 for opens in routing.later_openings(me, now, self.rules, staffed)]
        snap = estimator.Snapshot(position=first.position, free_agents=first.free_agents,
                                  busy_elapsed=first.busy_elapsed,
                                  handle_times=first.handle_times, default_handle_time=300.0,
                                  wrap_up_seconds=WRAP_UP,
                                  wrapping_remaining=first.wrapping_remaining,
                                  later=later,
                                  give_up_rate=(estimator.give_up_rate(self.waits)
                                                if place > 1 else 0.0))
        handles = first.handle_times
        aht = statistics.fmean(handles) if handles else 300.0
        serving = first.free_agents + len(first.busy_elapsed) + len(first.wrapping_remaining)
        return snap, place, aht, max(serving, 1)

    def put_through(self, me: routing.Waiting, now: float) -> bool:
        """Does the routing round now give ``me`` a free analyst (as ``lineup.put_through``
        asks the live line when a caller arrives)?"""
        if not any(a.status == "available" for a in self.agents):
            return False
        pairs = routing.assign(list(self.waiting.values()), [a.view() for a in self.agents],
                               now, self.rules)
        return any(w.id == me.id for w, _ in pairs)

    # ---- routing and the events ----------------------------------------------------------------

    def dispatch(self, now: float) -> None:
        if not self.waiting:
            return
        pairs = routing.assign(list(self.waiting.values()), [a.view() for a in self.agents],
                               now, self.rules)
        day = self.day
        for w, view in pairs:
            a = self.by_id[view.id]
            del self.waiting[w.id]
            day.answered += 1
            if w.id in day.records:
                day.records[w.id].actual = now - w.joined_at
            a.status = "on_call"
            a.call_started = now
            a.caller_waited = now - w.joined_at
            handle = self.service_rnd.lognormvariate(math.log(HANDLE_MEDIAN[a.tier]),
                                                     HANDLE_SIGMA)
            self.at(now + handle, "hangup", a.id)

    def arrive(self, now: float, ref: int) -> None:
        me = self.callers[ref]
        self.day.callers += 1
        self.waiting[ref] = me
        if not self.put_through(me, now):  # would be asked to hold
            snap, place, aht, staff = self.snapshot(me, now)
            self.day.records[ref] = Record(
                ours=estimator.estimate_wait(snap),
                naive=estimator.naive_estimate(place, aht),
                drain=place * aht / staff, position=place)
        self.at(now + self.patience[ref], "abandon", ref)
        rules = self.rules
        for k in (1, 2):
            self.at(now + rules.tier_wait_seconds * (k if rules.multiply_by_level else 1),
                    "tier_opens", ref)

    def abandon(self, now: float, ref: int) -> None:
        if ref in self.waiting:
            del self.waiting[ref]
            self.waits.append((now - self.callers[ref].joined_at, True))
            self.day.abandoned += 1
            self.day.records.pop(ref, None)

    def hangup(self, now: float, ref: int) -> None:
        a = self.by_id[ref]
        self.recent.append((a.tier, now - a.call_started))
        self.waits.append((a.caller_waited, False))
        a.status = "wrap_up"
        a.wrap_ends = now + WRAP_UP
        self.at(a.wrap_ends, "wrapped", ref)

    def wrapped(self, now: float, ref: int) -> None:
        a = self.by_id[ref]
        if a.break_pending:
            a.break_pending = False
            a.status = "on_break"
            self.at(now + 1800, "back", ref)
        else:
            a.status = "available"
            a.idle_since = now

    def take_break(self, now: float, ref: int) -> None:
        a = self.by_id[ref]
        if a.status == "available":
            a.status = "on_break"
            self.at(now + 1800, "back", ref)
        else:
            a.break_pending = True

    def back(self, now: float, ref: int) -> None:
        a = self.by_id[ref]
        a.status = "available"
        a.idle_since = now

    def run(self) -> Day:
        handlers = {"arrive": self.arrive, "abandon": self.abandon, "hangup": self.hangup,
                    "wrapped": self.wrapped, "break": self.take_break, "back": self.back}
        while self.events:
            now, _, kind, ref = heapq.heappop(self.events)
            handler = handlers.get(kind)  # "tier_opens": nothing but a routing round
            if handler is not None:
                handler(now, ref)
            self.dispatch(now)
        return self.day


def simulate_day(seed: int, policy, tier_sizes: dict[int, int]) -> Day:
    return Simulation(seed, policy, tier_sizes).run()
