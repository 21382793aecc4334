"""What the line costs over HTTP under gunicorn, against a bare Flask endpoint (issue 13).

Two gunicorn servers run side by side on free loopback ports, both with the repository's
shipped `ivr/gunicorn.conf.py` if there is one (else 2 sync workers):
- the line: the shipped app (bench/line_app.py: `ivr.create_app` configured from the
  environment like wsgi.py, its clock moved to a Monday 10:00 so the desk is open) on a fresh
  SQLite file or `--database`, migrated, with the demo data and 8 analysts on calls (so a
  caller who finishes intake is offered to hold, with an estimated wait);
- bare: bench/bare_app.py, a Flask app answering every POST with one constant TwiML document of
  the same size as the line's median answer (a real answer of the line).

N callers (threads in `--processes` driver processes) ring the line as Twilio would: every
request signed with twilio's RequestValidator, `<Redirect>`s followed at once, a think time
before each answer. The callers are scripted (bench/callers.py: they answer by what the prompt
asks) and each call is a FULL intake to the ticket number and the queue:
- new callers (random language, keypad or speech choices, 1 problem or sometimes 2): at the
  queue's offer to hold they ask for a callback (booked) or hang up;
- known callers ringing from the demo customers' numbers, the same way;
- the hold scenario: a new caller agrees to hold, Twilio fetches the waitUrl 2-5 times, then
  the caller hangs up (Twilio posts the <Enqueue> action).
Every call ends with Twilio's status callback (`completed`). After an untimed warm-up on the
line, runs alternate between the two servers (line, bare, then bare, line, ...). In each run
the callers start spread over one call's length (`--ramp`, by default the warm-up's mean call)
so that the timed window of `--duration` seconds sees calls at every stage; a line call still
under way when the window closes runs to its end, untimed, so its tickets can be checked. A
bare run replays the requests of the calls of the line run before it (same paths, bodies,
signatures and think times).

For each run, over its window: steps (HTTP requests answered) per second, p50/p99 latency seen
by the caller, server CPU per request (user + system time of the gunicorn master and its
workers from /proc, read when the window opens and closes; workers that exited are counted
through the master's reaped children), the drivers' own CPU per request and, on PostgreSQL on
this machine, its backends' CPU per request. Then the ticket check: every intake that finished has
exactly the tickets it reported in the database, each with the number the caller heard; and
errors (HTTP errors, the line's fallback apology, invalid TwiML, a prompt the caller could not
answer) must be 0. Last line: `cpu ratio: N.NN` (line / bare server CPU per request, over all
runs). `--stress` (200 callers, 0-200 ms think time) also prints `throughput ratio: N.NN`
(line / bare steps per second).

    python bench/http_load.py [--callers 20] [--think 100-500ms] [--duration 30] [--rounds 2]
                              [--ramp S] [--processes 2] [--stress] [--ports 5130-5149]
                              [--database URL]

`--database` DROPS EVERY TABLE of that database before and after the run.
"""
from __future__ import annotations

import argparse
import multiprocessing
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
for path in (ROOT, BENCH):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import floor_app  # noqa: E402
from load_drive import FALLBACK, driver  # noqa: E402
from load_report import (  # noqa: E402
    Run,
    check_calls,
    merged,
    print_ratios,
    print_run,
    print_totals,
    run_all,
)
from load_servers import GUNICORN_CONF, DatabaseCpu, Server, free_port  # noqa: E402
from step_cost import AUTH_TOKEN, PUBLIC_BASE_URL, bench_database, build_app  # noqa: E402

# ---- the app's internals this benchmark uses (keep them here) -------------------------------
from tickets.models import Agent, Customer, CustomerPhone  # noqa: E402

# ---------------------------------------------------------------------------------------------

OPEN_AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # the line's clock at the start: Monday
ON_CALL_FOR = timedelta(minutes=5)  # analysts on their calls since 5 min before the start
ANALYSTS = (1, 1, 1, 1, 2, 2, 3, 3)  # tiers of the analysts on calls
WARMUP_SECONDS = 15
MAX_RAMP = 60


# ---- set-up -------------------------------------------------------------------------------

def seed(app) -> list[tuple[str, str]]:
    """Analysts on their calls (so callers are offered to hold); returns the known callers'
    numbers and languages (the demo customers')."""
    engine = app.extensions["engine"]
    with Session(engine) as session:
        since = OPEN_AT - ON_CALL_FOR
        for i, tier in enumerate(ANALYSTS):
            session.add(Agent(name=f"Bench analyst {i}", client_identity=f"bench-analyst-{i}",
                              tier=tier, skills=[], status="on_call", status_since=since,
                              idle_since=since))
        session.commit()
        rows = session.execute(select(CustomerPhone.number, Customer.language)
                               .join(Customer, Customer.id == CustomerPhone.customer_id)).all()
    return [(number, language or "en-US") for number, language in rows]


def parse_think(text: str) -> tuple[float, float]:
    m = re.fullmatch(r"\s*([\d.]+)\s*-\s*([\d.]+)\s*(ms|s)?\s*", text)
    if not m:
        raise argparse.ArgumentTypeError("think time as A-B, A-Bms or A-Bs, e.g. 100-500ms")
    scale = 1.0 if m.group(3) == "s" else 0.001
    low, high = float(m.group(1)) * scale, float(m.group(2)) * scale
    if high < low:
        raise argparse.ArgumentTypeError("think time A-B needs A <= B")
    return low, high


def parse_ports(text: str) -> range:
    low, _, high = text.partition("-")
    return range(int(low), int(high or low) + 1)
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callers", type=int, help="concurrent callers (default 20; "
                        "--stress: 200)")
    parser.add_argument("--think", type=parse_think, help="think time before each answer, "
                        "uniform (default 100-500ms; --stress: 0-200ms)")
    parser.add_argument("--stress", action="store_true", help="200 callers, 0-200 ms think "
                        "time; also prints the throughput ratio")
    parser.add_argument("--duration", type=float, default=30, help="seconds per run (default 30)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of one line run and one bare run (default 2)")
    parser.add_argument("--ramp", type=float, help="seconds over which callers start before "
                        "each timed window (default: a warm-up call's mean length, at most "
                        f"{MAX_RAMP})")
    parser.add_argument("--processes", type=int, default=2, help="driver processes (default 2)")
    parser.add_argument("--hold-share", type=float, default=0.2,
                        help="share of calls in the hold scenario (default 0.2)")
    parser.add_argument("--known-share", type=float, default=0.3,
                        help="share of calls from known callers (default 0.3)")
    parser.add_argument("--ports", type=parse_ports, help="pick the two ports from this range, "
                        "e.g. 5130-5149 (default: any free ports)")
    parser.add_argument("--floor", action="store_true", help="also serve bench/floor_app.py "
                        "(the signature check and one durable Core write per request, the same "
                        "answer as bare) and print its ratios to bare and the line's to it")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database", "--database-url", dest="database_url",
                        help="PostgreSQL URL (ALL its tables are dropped before and after); "
                             "default: a fresh SQLite file")
    return parser


@dataclass
class Settings:
    """The command line, with the defaults that depend on --stress applied."""

    args: argparse.Namespace
    callers: int
    think: tuple[float, float]
    processes: int
    shares: dict[str, float]


def parse_args(argv: list[str] | None) -> Settings:
    parser = build_parser()
    args = parser.parse_args(argv)
    callers = args.callers or (200 if args.stress else 20)
    think = args.think or ((0.0, 0.2) if args.stress else (0.1, 0.5))
    processes = max(1, min(args.processes, callers))
    shares = {"new": 1 - args.hold_share - args.known_share, "known": args.known_share,
              "hold": args.hold_share}
    if min(shares.values()) < 0:
        parser.error("--hold-share + --known-share must be at most 1")
    return Settings(args, callers, think, processes, shares)


@dataclass
class Bench:
    """What a run of the benchmark started, to be stopped at its end whatever happens."""

    settings: Settings
    tmp: Path
    started: float
    servers: list[Server]
    drivers: list
    procs: list

    @property
    def args(self) -> argparse.Namespace:
        return self.settings.args


def start_line(bench: Bench, database_url: str) -> Server:
    env = {"DATABASE_URL": database_url, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "SECRET_KEY": "bench",
           "HELPDESK_NAME": "the IT Help Desk", "FALLBACK_MESSAGE": FALLBACK,
           "BENCH_CLOCK_T0": str(time.time()), "BENCH_OPEN_AT": OPEN_AT.isoformat()}
    line = Server("line", "line_app:app", free_port(bench.args.ports), env,
                  bench.tmp / "line.log")
    bench.servers.append(line)
    return line


def print_settings(bench: Bench, backend: str, line: Server) -> None:
    s, args = bench.settings, bench.args
    conf = (f"{GUNICORN_CONF.name}" if GUNICORN_CONF.exists()
            else "no gunicorn.conf.py: 2 sync workers")
    print(f"backend: {backend}; gunicorn: {conf}, {len(line.workers())} workers; "
          f"{s.callers} callers in {s.processes} driver processes, think "
          f"{s.think[0] * 1e3:.0f}-{s.think[1] * 1e3:.0f} ms, runs of {args.duration:.0f} s, "
          f"{args.rounds} rounds; calls {s.shares['new']:.0%} new, "
          f"{s.shares['known']:.0%} known, {s.shares['hold']:.0%} hold")


def start_drivers(bench: Bench, known: list[tuple[str, str]]) -> None:
    s = bench.settings
    ctx = multiprocessing.get_context("spawn")
    for i in range(s.processes):
        mine, theirs = ctx.Pipe()
        share = s.callers // s.processes + (1 if i < s.callers % s.processes else 0)
        proc = ctx.Process(target=driver, args=(theirs, i, share, s.think, s.shares, known,
                                                bench.args.seed), daemon=True)
        proc.start()
        bench.drivers.append(mine)
        bench.procs.append(proc)


def warm_up(bench: Bench, line: Server, database_url: str
            ) -> tuple[Run, Server, Server | None]:
    """The untimed warm-up on the line; then the bare app, answering the line's median answer,
    is started and warmed up too, and with --floor the floor app (the same answer)."""
    warm = run_all(bench.drivers, line, "warm-up", 0.5, WARMUP_SECONDS)
    if warm.stats.errors:
        print("warm-up errors:\n  " + "\n  ".join(warm.stats.errors[:5]))
    if not warm.stats.sizes:
        raise SystemExit("the warm-up got no answer from the line")
    sizes = sorted(warm.stats.sizes.elements())
    median = sizes[len(sizes) // 2]
    size = min(warm.stats.samples, key=lambda s: abs(s - median))
    body_file = bench.tmp / "bare.xml"
    body_file.write_text(warm.stats.samples[size], encoding="utf-8")
    ports = bench.args.ports
    bare_port = free_port(range(line.port + 1, ports.stop) if ports else None)
    bare = Server("bare", "bare_app:app", bare_port,
                  {"BENCH_BARE_BODY": str(body_file)}, bench.tmp / "bare.log")
    bench.servers.append(bare)
    print(f"line on :{line.port}, bare on :{bare_port}; bare answer: {size} bytes (the "
          f"line's median answer: {median} bytes); warm-up: {warm.stats.requests} "
          f"requests")
    run_all(bench.drivers, bare, "warm-up", 0.5, 2)
    floor = None
    if bench.args.floor:
        floor_port = free_port(range(bare_port + 1, ports.stop) if ports else None)
        floor = Server("floor", "floor_app:app", floor_port,
                       {"BENCH_BARE_BODY": str(body_file), "DATABASE_URL": database_url,
                        "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": PUBLIC_BASE_URL},
                       bench.tmp / "floor.log")
        bench.servers.append(floor)
        print(f"floor on :{floor_port} (signature check, one durable Core write, the same "
              f"answer as bare)")
        run_all(bench.drivers, floor, "warm-up", 0.5, 2)
    return warm, bare, floor


def choose_ramp(args: argparse.Namespace, warm: Run) -> float:
    """Callers start spread over one call's length, so that when the window opens their calls
    are at every stage, as in a steady stream of calls."""
    calls = warm.stats.call_seconds
    ramp = args.ramp if args.ramp is not None else min(
        MAX_RAMP, statistics.mean(calls) if calls else MAX_RAMP)
    print(f"callers start over {ramp:.0f} s before each timed window "
          f"(a warm-up call lasted {statistics.mean(calls):.0f} s on average)"
          if calls else f"callers start over {ramp:.0f} s before each timed window")
    return ramp


def timed_runs(bench: Bench, servers: list[Server], ramp: float,
               database: DatabaseCpu) -> list[Run]:
    """Rounds of a run of each server, the order turned by one each round (line, bare; then
    bare, line; ...); prints each. A replaying server (bare, floor) replays the calls of the
    last line run (or of the warm-up)."""
    pg = database.engine is not None
    runs: list[Run] = []
    for r in range(1, bench.args.rounds + 1):
        shift = (r - 1) % len(servers)
        order = servers[shift:] + servers[:shift]
        for server in order:
            run = run_all(bench.drivers, server, str(r), ramp, bench.args.duration,
                          database if server.name in ("line", "floor") else None)
            runs.append(run)
            print_run(run, header=len(runs) == 1, database=pg)
    return runs


def measure(bench: Bench, app, database_url: str) -> int:
    """The whole benchmark on a migrated database; the exit code."""
    backend = app.extensions["engine"].dialect.name
    known = seed(app)
    if bench.args.floor:
        floor_app.make_tables(app.extensions["engine"])
    app.extensions["engine"].dispose()
    line = start_line(bench, database_url)
    print_settings(bench, backend, line)
    start_drivers(bench, known)
    warm, bare, floor = warm_up(bench, line, database_url)
    ramp = choose_ramp(bench.args, warm)
    database = DatabaseCpu(app.extensions["engine"])
    pg = database.engine is not None
    servers = [line, bare] + ([floor] if floor else [])
    runs = timed_runs(bench, servers, ramp, database)
    totals = {s.name: merged(s.name, [r for r in runs if r.server == s.name]) for s in servers}
    print_totals(totals, pg)
    ok = check_calls(app, warm, [r for r in runs if r.server == "line"],
                     [r for r in runs if r.server != "line"])
    print_ratios(servers, totals, bench.started, bench.args.stress)
    return 0 if ok else 1


def stop(bench: Bench, app, keep_logs: bool) -> None:
    """Stops the drivers and the servers; the server logs are kept when the run failed."""
    for conn in bench.drivers:
        try:
            conn.send(("stop",))
        except OSError:
            pass
    for proc in bench.procs:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()
    for server in bench.servers:
        server.stop()
    if app is not None:
        app.extensions["engine"].dispose()
    if not keep_logs:
        shutil.rmtree(bench.tmp, ignore_errors=True)
    else:
        print(f"server logs kept in {bench.tmp}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    settings = parse_args(argv)
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="http_load-"))
    bench = Bench(settings, tmp, started, servers=[], drivers=[], procs=[])
    exit_code = 0
    finished = False
    app = None
    with bench_database(settings.args.database_url, "http_load-") as database_url:
        try:
            app = build_app(database_url)
            exit_code = measure(bench, app, database_url)
            finished = True
        finally:
            stop(bench, app, keep_logs=not (finished and exit_code == 0))
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
