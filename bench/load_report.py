"""The figures of bench/http_load.py: each run's steps per second, latency and CPU per request,
and the check of the tickets the finished intakes reported."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from dataclasses import dataclass

from load_drive import Stats, Window
from load_servers import DatabaseCpu, Server
from sqlalchemy import select
from sqlalchemy.orm import Session

# ---- the app's internals this benchmark uses (keep them here) -------------------------------
from tickets.models import Call, Ticket

# ---------------------------------------------------------------------------------------------

DRAIN_SECONDS = 120  # after a line run's window, calls under way may finish (untimed)


@dataclass
class Run:
    label: str
    server: str
    stats: Stats
    server_cpu: float
    driver_cpu: float
    wall: float
    database_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.stats.requests / self.wall if self.wall > 0 else 0.0


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def check_tickets(engine, completed: list[tuple[str, int, str, list[str]]]) -> list[str]:
    """Each finished intake has exactly the tickets it reported, with numbers it heard."""
    problems = []
    by_sid = {sid: (expected, set(numbers)) for sid, expected, _kind, numbers in completed}
    found: Counter[str] = Counter()
    tickets: dict[str, list[str]] = {}
    with Session(engine.execution_options(isolation_level="AUTOCOMMIT")) as session:
        sids = list(by_sid)
        for i in range(0, len(sids), 500):
            rows = session.execute(select(Call.sid, Ticket.number)
                                   .join(Ticket, Ticket.call_id == Call.id)
                                   .where(Call.sid.in_(sids[i:i + 500]))).all()
            for sid, number in rows:
                tickets.setdefault(sid, []).append(number)
                found[number] += 1
    for sid, (expected, heard) in by_sid.items():
        got = tickets.get(sid, [])
        if len(got) != expected:
            problems.append(f"call ...{sid[-6:]}: {len(got)} ticket(s), reported {expected}")
        for number in got:
            if number not in heard:
                problems.append(f"call ...{sid[-6:]}: ticket {number} never said to the caller")
            if found[number] > 1:
                problems.append(f"ticket {number} found {found[number]} times")
    return problems


def merged(name: str, runs: list[Run]) -> Run:
    stats = Stats()
    for run in runs:
        stats.merge(run.stats)
    return Run("all", name, stats, sum(r.server_cpu for r in runs),
               sum(r.driver_cpu for r in runs), sum(r.wall for r in runs),
               sum(r.database_cpu for r in runs))


def print_run(run: Run, header: bool, database: bool = False) -> None:
    """One line of the table; CPU columns in ms per request answered in the window."""
    if header:
        print(f"{'run':8} {'server':6} {'requests':>8} {'steps/s':>8} {'p50 ms':>7} "
              f"{'p99 ms':>7} {'server CPU':>10} {'driver CPU':>10}"
              + (f" {'PG CPU':>8}" if database else "") + f" {'errors':>6}")
    n = max(run.stats.requests, 1)
    print(f"{run.label:8} {run.server:6} {run.stats.requests:8d} {run.rate:8.1f} "
          f"{pct(run.stats.latencies, 50):7.1f} {pct(run.stats.latencies, 99):7.1f} "
          f"{run.server_cpu / n * 1e3:10.2f} {run.driver_cpu / n * 1e3:10.2f}"
          + (f" {run.database_cpu / n * 1e3:8.2f}" if database else "")
          + f" {len(run.stats.errors):6d}")


def run_all(drivers, server: Server, label: str, ramp: float, duration: float,
            database: DatabaseCpu | None = None) -> Run:
    """One run: callers start over `ramp` seconds, then the window of `duration` seconds: the
    server's CPU over it and the requests answered in it. Line calls then finish, untimed."""
    now = time.time() + 0.5
    window = Window(now, now + ramp, now + ramp + duration, now + ramp + duration + DRAIN_SECONDS)
    for conn in drivers:
        conn.send((server.name, server.port, window))
    time.sleep(max(0.0, window.start - time.time()))
    before = server.cpu_seconds()
    db_before = database.snapshot() if database else {}
    time.sleep(max(0.0, window.end - time.time()))
    cpu = server.cpu_seconds() - before
    db_cpu = DatabaseCpu.seconds(db_before, database.snapshot()) if database else 0.0
    total, driver_cpu = Stats(), 0.0
    for conn in drivers:
        answer = conn.recv()
        if answer[0] != "ok":
            raise SystemExit(f"driver: {answer[1]}")
        total.merge(answer[1])
        driver_cpu += answer[2]
    return Run(label, server.name, total, cpu, driver_cpu, duration, db_cpu)


def print_totals(totals: dict[str, Run], pg: bool) -> None:
    for run in totals.values():
        print_run(run, header=False, database=pg)
    print("CPU columns: ms per request answered in the timed windows; server = the "
          "gunicorn master and workers" + ("; PG = the PostgreSQL backends of the "
                                           "database (not in the cpu ratio)" if pg else ""))


def check_calls(app, warm: Run, line_runs: list[Run], bare_runs: list[Run]) -> bool:
    """The intakes finished, the ticket check and the errors; True when all is well."""
    everything = Stats()
    for run in [warm, *line_runs]:
        everything.merge(run.stats)
    kinds = Counter(kind for _sid, _n, kind, _nums in everything.completed)
    print(f"intakes finished: {len(everything.completed)} ({kinds['new']} new, "
          f"{kinds['known']} known, {kinds['hold']} held with "
          f"{everything.hold_fetches} waitUrl fetches); calls cut off "
          f"{DRAIN_SECONDS} s after a run: {everything.aborted}; requests outside the "
          f"timed windows (untimed): {everything.untimed}")
    problems = check_tickets(app.extensions["engine"], everything.completed)
    expected = sum(n for _sid, n, _kind, _nums in everything.completed)
    print(f"ticket check: {expected} tickets reported by the finished intakes; "
          + ("every one present exactly once, with the number the caller heard"
             if not problems else f"{len(problems)} PROBLEMS:\n  "
             + "\n  ".join(problems[:10])))
    errors = everything.errors + [e for r in bare_runs for e in r.stats.errors]
    print(f"errors: {len(errors)}" + ("" if not errors else ":\n  "
                                       + "\n  ".join(errors[:10])))
    return not problems and not errors


def print_ratios(servers: list[Server], totals: dict[str, Run], started: float,
                 stress: bool) -> None:
    """RSS, then the ratios; the last line is the line's CPU ratio to bare. With a floor
    server (http_load.py --floor), its ratios to bare and the line's to it come first."""
    print("worker RSS after the runs: " + "; ".join(
        f"{s.name} " + ", ".join(f"{m:.0f}" for m in s.rss_mb()) + " MB" for s in servers))
    print(f"total run: {time.monotonic() - started:.0f} s")
    cpu = {name: run.server_cpu / max(run.stats.requests, 1) for name, run in totals.items()}
    line_cpu, bare_cpu = cpu["line"], cpu["bare"]
    if "floor" in totals:
        floor = totals["floor"]
        if stress:
            print(f"floor throughput: {floor.rate:.0f} steps/s; floor / bare throughput "
                  f"ratio: {floor.rate / totals['bare'].rate:.2f}")
        print(f"floor cpu ratio (floor / bare): {cpu['floor'] / bare_cpu:.2f}; line / floor: "
              f"{line_cpu / cpu['floor']:.2f}")
    if stress:
        print(f"throughput: line {totals['line'].rate:.0f} steps/s, bare "
              f"{totals['bare'].rate:.0f} steps/s")
        print(f"throughput ratio: {totals['line'].rate / totals['bare'].rate:.2f}")
    print(f"cpu ratio: {line_cpu / bare_cpu:.2f}")
