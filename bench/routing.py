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
   would be asked to hold (the routing round when they join gives them no free agent), it records
   at that moment
   - ours: ``estimate_wait`` of a snapshot of what a live system knows then
     (``routing.place_in_line``: the place among callers the same agents could take, and the
     serving agents who fit; ``routing.shared_place``: the place the estimate counts to, each
     caller ahead counted by the share of their serving agents who are also the caller's;
     which are free, how far into their calls the busy ones are, how much wrap-up is left;
     the last 50 handle times in the caller's open tiers; and the same
     for each higher tier the policy's wait will open to the caller later, from then on, as
     ``ivr.queues.lineup`` gives them to the live estimate; the share of holding callers who
     gave up among the last 200 whose wait was over, as the line learns it);
   - naive: ``naive_estimate(position, mean of the same 50 handle times)``;
   and compares both with the actual wait of those who were answered (callers who gave up have
   no actual wait and are left out, as are callers who never waited). The last line printed
   is ``ratio: N.NN``: median absolute error, ours / naive, pooled over all days.

    python bench/routing.py [--reps 2000] [--days 5] [--seed 2026]
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from routing_sim import (  # noqa: E402
    CATEGORIES,
    HANDLE_MEDIAN,
    HANDLE_SIGMA,
    PATIENCE_MEAN,
    RANK_WEIGHTS,
    STAFFING,
    WRAP_UP,
    Record,
    simulate_day,
)

from call_scripts.policy import parse_policy  # noqa: E402
from ivr.queues import routing  # noqa: E402


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


# ---- 2. simulated days (bench/routing_sim.py) ----------------------------------------------

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
