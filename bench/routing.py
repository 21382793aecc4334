"""Routing speed, and how close the announced wait comes to the real one.

1. One routing decision with 5,000 waiting callers and 500 agents (seeded random tiers,
   skills, priorities and join times), timed one call at a time:
   - ``best_caller_for`` one free agent over the whole (unsorted) waiting list;
   - a full ``assign`` round with few free agents (5; the others busy, on break or offline);
   both also with the list already in queue order (``presorted=True``, as an
   ``ORDER BY rank, joined_at, id`` query returns it). Prints median and p99 of each, then
   ``p99: N ms``: the worse p99 of the two decisions on unsorted input.

2. A discrete-event simulation of help-desk days (seeded): Poisson arrivals with a morning and
   an afternoon peak, 3 tiers (14 / 7 / 3 agents, and a short-staffed 10 / 5 / 2), skills,
   priorities and start tiers from the shipped policy, lognormal handle times by tier,
   wrap-up, staggered lunch breaks, callers who give up after an exponential patience, and
   routing by ``ivr.queues.routing.assign`` with the policy's tier rules. For every caller who
   would be asked to hold (no free fitting agent for their place when they join), it records
   at that moment
   - ours: ``estimate_wait`` of a snapshot of what a live system knows then
     (``routing.place_in_line``: the place among callers the same agents could take, and the
     serving agents who fit; which are free, how far into their calls the busy ones are, how
     much wrap-up is left; the last 50 handle times in the caller's open tiers; and the same
     for each higher tier the policy's wait will open to the caller later, from then on, as
     ``ivr.queues.lineup`` gives them to the live estimate);
   - naive: ``naive_estimate(position, mean of the same 50 handle times)``;
   and compares both with the actual wait of those who were answered (callers who gave up have
   no actual wait and are left out, as are callers who never waited). The last line printed
   is ``ratio: N.NN``: median absolute error, ours / naive, pooled over all days.

    python bench/routing.py [--reps 2000] [--days 5] [--seed 2026]
"""

from __future__ import annotations

import argparse
import gc
import heapq
import math
import random
import statistics
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from call_scripts.policy import parse_policy  # noqa: E402
from ivr.queues import estimator, routing  # noqa: E402

CATEGORIES = ["hardware", "software", "network", "access", "other"]
RANK_LABELS = {1: "enterprise_failure", 2: "critical_situation", 3: "regular_service",
               4: "planned_event"}
RANK_WEIGHTS = [2, 13, 70, 15]  # % of callers per rank 1..4


def _policy():
    path = ROOT / "call_scripts" / "policies" / "default.yaml"
    return parse_policy(path.read_text(encoding="utf-8"), path.name)


def _ms(ns: list[int]) -> tuple[float, float]:
    """Median and p99 (nearest rank) of timings in ns, in ms."""
    ordered = sorted(ns)
    p99 = ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]
    return statistics.median(ordered) / 1e6, p99 / 1e6


# ---- 1. one routing decision ----------------------------------------------------------------

def _population(rnd: random.Random, n_waiting: int, n_agents: int, now: float, n_free: int):
    waiting = []
    for i in range(n_waiting):
        rank = rnd.choices([1, 2, 3, 4], RANK_WEIGHTS)[0]
        waiting.append(routing.Waiting(
            id=i + 1, rank=rank, joined_at=now - rnd.uniform(0, 3 * 3600),
            tier=2 if rank == 1 else rnd.choices([1, 2, 3], [85, 12, 3])[0],
            category=rnd.choice([None, *CATEGORIES])))
    agents = []
    for i in range(n_agents):
        skills = frozenset(rnd.sample(CATEGORIES, rnd.choice([0, 0, 1, 2, 3])))
        status = rnd.choices(["on_call", "wrap_up", "on_break", "offline"], [70, 10, 10, 10])[0]
        agents.append(routing.Agent(id=10_000 + i, tier=rnd.choices([1, 2, 3], [60, 30, 10])[0],
                                    skills=skills, status=status,
                                    idle_since=now - rnd.uniform(0, 1800)))
    for i in rnd.sample(range(n_agents), n_free):
        a = agents[i]
        agents[i] = routing.Agent(a.id, a.tier, a.skills, "available", a.idle_since)
    return waiting, agents


def bench_decision(reps: int, seed: int) -> float:
    rnd = random.Random(seed)
    now = 1_795_000_000.0
    rules = routing.TierRules()
    waiting, agents = _population(rnd, 5000, 500, now, n_free=5)
    ordered = sorted(waiting, key=routing.order_key)
    staffed = {a.tier for a in agents if a.status != "offline"}
    # For best_caller_for: any of the 500 agents, made free for the call.
    free_agents = [routing.Agent(a.id, a.tier, a.skills, "available", a.idle_since)
                   for a in agents]

    def timed(fn, pick) -> list[int]:
        out = []
        for i in range(reps):
            args = pick(i)
            t0 = time.perf_counter_ns()
            fn(*args)
            out.append(time.perf_counter_ns() - t0)
        return out

    cases = {
        "best_caller_for, one free agent, unsorted list": timed(
            lambda a, t: routing.best_caller_for(a, waiting, t, rules, staffed),
            lambda i: (free_agents[rnd.randrange(500)], now + i * 0.5)),
        "best_caller_for, one free agent, presorted list": timed(
            lambda a, t: routing.best_caller_for(a, ordered, t, rules, staffed, presorted=True),
            lambda i: (free_agents[rnd.randrange(500)], now + i * 0.5)),
        "assign round, 5 free of 500 agents, unsorted list": timed(
            lambda t: routing.assign(waiting, agents, t, rules),
            lambda i: (now + i * 0.5,)),
        "assign round, 5 free of 500 agents, presorted list": timed(
            lambda t: routing.assign(ordered, agents, t, rules, presorted=True),
            lambda i: (now + i * 0.5,)),
    }
    print(f"routing decision: 5,000 waiting callers, 500 agents, {reps} timed calls each")
    worst = 0.0
    for name, ns in cases.items():
        median, p99 = _ms(ns)
        print(f"  {name:52s} median {median:6.2f} ms   p99 {p99:6.2f} ms")
        if "unsorted" in name:
            worst = max(worst, p99)
    print("worse p99 of the two decisions (unsorted input):")
    print(f"p99: {worst:.2f} ms")
    return worst


# ---- 2. a simulated day ---------------------------------------------------------------------

OPEN, CLOSE = 8 * 3600.0, 18 * 3600.0
STAFFING = {"normal": {1: 14, 2: 7, 3: 3}, "short-staffed": {1: 10, 2: 5, 3: 2}}
HANDLE_MEDIAN = {1: 240.0, 2: 420.0, 3: 600.0}  # seconds, lognormal by the agent's tier
HANDLE_SIGMA = 0.7
WRAP_UP = 30.0
PATIENCE_MEAN = 20 * 60.0  # exponential
RECENT = 50


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


def simulate_day(seed: int, policy, tier_sizes: dict[int, int]) -> Day:
    rules = routing.TierRules(tier_wait_seconds=policy.tier_wait_seconds,
                              multiply_by_level=policy.multiply_by_level,
                              skip_empty_tiers=policy.skip_empty_tiers)
    arrivals_rnd = random.Random(seed * 1000 + 1)
    service_rnd = random.Random(seed * 1000 + 2)
    setup_rnd = random.Random(seed * 1000 + 3)
    day = Day(seed)

    agents: list[SimAgent] = []
    for tier, size in tier_sizes.items():
        for _ in range(size):
            generalist = tier == 3 or setup_rnd.random() < 0.5
            skills = frozenset() if generalist else frozenset(setup_rnd.sample(CATEGORIES, 2))
            agents.append(SimAgent(len(agents) + 1, tier, skills))
    for a in agents:  # a 30-minute lunch break, staggered between 11:30 and 14:00
        a.break_at = 11.5 * 3600 + setup_rnd.uniform(0, 2.5 * 3600)

    events: list[tuple[float, int, str, int]] = []
    seq = 0

    def at(t: float, kind: str, ref: int) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (t, seq, kind, ref))

    # Arrivals: a non-homogeneous Poisson process by thinning.
    peak = max(arrival_rate(OPEN + s * 60) for s in range(int((CLOSE - OPEN) / 60) + 1))
    t = OPEN
    callers: dict[int, routing.Waiting] = {}
    patience: dict[int, float] = {}
    while True:
        t += arrivals_rnd.expovariate(peak)
        if t >= CLOSE:
            break
        if arrivals_rnd.random() * peak > arrival_rate(t):
            continue
        cid = len(callers) + 1
        rank = arrivals_rnd.choices([1, 2, 3, 4], RANK_WEIGHTS)[0]
        category = arrivals_rnd.choice(CATEGORIES)
        tier = policy.start_tier(RANK_LABELS[rank], category)
        callers[cid] = routing.Waiting(cid, rank, t, tier, category)
        patience[cid] = arrivals_rnd.expovariate(1 / PATIENCE_MEAN)
        at(t, "arrive", cid)
    for a in agents:
        at(a.break_at, "break", a.id)
    by_id = {a.id: a for a in agents}

    waiting: dict[int, routing.Waiting] = {}
    recent: deque[tuple[int, float]] = deque(maxlen=20 * RECENT)  # (tier, handle time)

    def pool(me: routing.Waiting, now: float, at: float, views: list[routing.Agent],
             staffed: set[int]) -> estimator.Stage:
        """The agents who may take ``me`` at ``at`` (>= now), as known ``now``."""
        position, serving = routing.place_in_line(me, waiting.values(), views, at, rules)
        mine = routing.eligible_tiers(me, at, rules, staffed)
        free = sum(1 for a in serving if a.status == "available")
        busy = [now - by_id[a.id].call_started for a in serving if a.status == "on_call"]
        wrapping = [by_id[a.id].wrap_ends - now for a in serving if a.status == "wrap_up"]
        handles: list[float] = []
        for tier, h in reversed(recent):
            if tier in mine:
                handles.append(h)
                if len(handles) == RECENT:
                    break
        handles.reverse()
        return estimator.Stage(at - now, position, free, busy, handles, wrapping)

    def snapshot(me: routing.Waiting, now: float) -> tuple[estimator.Snapshot, float, int]:
        views = [a.view() for a in agents]
        staffed = {a.tier for a in views if a.status != "offline"}
        first = pool(me, now, now, views, staffed)
        later = [pool(me, now, now + opens, views, staffed)
                 for opens in routing.later_openings(me, now, rules, staffed)]
        snap = estimator.Snapshot(position=first.position, free_agents=first.free_agents,
                                  busy_elapsed=first.busy_elapsed,
                                  handle_times=first.handle_times, default_handle_time=300.0,
                                  wrap_up_seconds=WRAP_UP,
                                  wrapping_remaining=first.wrapping_remaining,
                                  later=later)
        handles = first.handle_times
        aht = statistics.fmean(handles) if handles else 300.0
        serving = first.free_agents + len(first.busy_elapsed) + len(first.wrapping_remaining)
        return snap, aht, max(serving, 1)

    def dispatch(now: float) -> None:
        if not waiting:
            return
        pairs = routing.assign(list(waiting.values()), [a.view() for a in agents], now, rules)
        for w, view in pairs:
            a = by_id[view.id]
            del waiting[w.id]
            day.answered += 1
            if w.id in day.records:
                day.records[w.id].actual = now - w.joined_at
            a.status = "on_call"
            a.call_started = now
            handle = service_rnd.lognormvariate(math.log(HANDLE_MEDIAN[a.tier]), HANDLE_SIGMA)
            at(now + handle, "hangup", a.id)

    while events:
        now, _, kind, ref = heapq.heappop(events)
        if kind == "arrive":
            me = callers[ref]
            day.callers += 1
            waiting[ref] = me
            snap, aht, staff = snapshot(me, now)
            if snap.position > snap.free_agents:  # would be asked to hold
                day.records[ref] = Record(
                    ours=estimator.estimate_wait(snap),
                    naive=estimator.naive_estimate(snap.position, aht),
                    drain=snap.position * aht / staff, position=snap.position)
            at(now + patience[ref], "abandon", ref)
            for k in (1, 2):
                at(now + rules.tier_wait_seconds * (k if rules.multiply_by_level else 1),
                   "tier_opens", ref)
        elif kind == "abandon":
            if ref in waiting:
                del waiting[ref]
                day.abandoned += 1
                day.records.pop(ref, None)
        elif kind == "hangup":
            a = by_id[ref]
            recent.append((a.tier, now - a.call_started))
            a.status = "wrap_up"
            a.wrap_ends = now + WRAP_UP
            at(a.wrap_ends, "wrapped", ref)
        elif kind == "wrapped":
            a = by_id[ref]
            if a.break_pending:
                a.break_pending = False
                a.status = "on_break"
                at(now + 1800, "back", ref)
            else:
                a.status = "available"
                a.idle_since = now
        elif kind == "break":
            a = by_id[ref]
            if a.status == "available":
                a.status = "on_break"
                at(now + 1800, "back", ref)
            else:
                a.break_pending = True
        elif kind == "back":
            a = by_id[ref]
            a.status = "available"
            a.idle_since = now
        dispatch(now)
    return day


def bench_estimates(days: int, seed: int) -> float:
    policy = _policy()
    pooled: list[Record] = []
    print(f"\nsimulated days 08:00-18:00: handle medians by tier {HANDLE_MEDIAN} s, sigma "
          f"{HANDLE_SIGMA}, wrap-up {WRAP_UP:.0f} s, patience mean {PATIENCE_MEAN / 60:.0f} min, "
          f"tier rules of the shipped policy")
    for name, sizes in STAFFING.items():
        print(f"  {name} (agents by tier {sizes}):")
        for d in range(days):
            day = simulate_day(seed + d, policy, sizes)
            scored = day.scored()
            pooled += scored
            ours = statistics.median(abs(r.ours - r.actual) for r in scored)
            naive = statistics.median(abs(r.naive - r.actual) for r in scored)
            waits = statistics.median(r.actual for r in scored)
            print(f"    seed {seed + d}: {day.callers} callers, {day.abandoned} gave up, "
                  f"{len(scored)} answered after being asked to hold (median wait {waits:.0f} s); "
                  f"median |error| ours {ours:.0f} s, naive {naive:.0f} s")
    actual = sorted(r.actual for r in pooled)
    positions = sorted(r.position for r in pooled)
    ours_err = [r.ours - r.actual for r in pooled]
    naive_err = [r.naive - r.actual for r in pooled]
    drain_err = [r.drain - r.actual for r in pooled]

    def mae(errors: list[float]) -> float:
        return statistics.median(abs(e) for e in errors)

    def within(errors: list[float]) -> float:
        good = sum(1 for e, r in zip(errors, pooled, strict=True)
                   if abs(e) <= max(60.0, 0.25 * r.actual))
        return 100 * good / len(errors)

    print(f"pooled: {len(pooled)} callers told a wait; actual wait median "
          f"{statistics.median(actual):.0f} s, p90 {actual[int(0.9 * len(actual))]:.0f} s; "
          f"position median {statistics.median(positions):.0f}, max {positions[-1]}")
    rows = [("ours (estimate_wait)", ours_err), ("naive (position x AHT)", naive_err),
            ("for scale: position / serving agents x AHT", drain_err)]
    for label, errors in rows:
        print(f"  {label:44s} median |error| {mae(errors):6.1f} s, median signed "
              f"{statistics.median(errors):+7.1f} s, within max(1 min, 25%) {within(errors):5.1f}%")
    ratio = mae(ours_err) / mae(naive_err)
    print(f"ratio: {ratio:.2f}")
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    gc.collect()
    bench_decision(args.reps, args.seed)
    bench_estimates(args.days, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
