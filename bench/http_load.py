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
import http.client
import multiprocessing
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
for path in (ROOT, BENCH):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from callers import LANGUAGES, Ear, Persona, Problem, ScriptedCall  # noqa: E402
from step_cost import AUTH_TOKEN, PUBLIC_BASE_URL, bench_database, build_app  # noqa: E402

# ---- the app's internals this benchmark uses (keep them here) -------------------------------
from ivr.phone import Phone, PhoneError  # noqa: E402  the signed phone of the tests
from tickets.models import Agent, Call, Customer, CustomerPhone, Ticket  # noqa: E402

# ---------------------------------------------------------------------------------------------

GUNICORN_CONF = ROOT / "ivr" / "gunicorn.conf.py"  # the shipped config
FALLBACK = "BENCH-FALLBACK the line could not serve this step"  # the line's apology, marked
OPEN_AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # the line's clock at the start: Monday
ON_CALL_FOR = timedelta(minutes=5)  # analysts on their calls since 5 min before the start
ANALYSTS = (1, 1, 1, 1, 2, 2, 3, 3)  # tiers of the analysts on calls
WARMUP_SECONDS = 15
DRAIN_SECONDS = 120  # after a line run's window, calls under way may finish (untimed)
MAX_RAMP = 60
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---- servers --------------------------------------------------------------------------------

def free_port(ports: range | None) -> int:
    for port in ports or [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise SystemExit(f"no free port in {ports}")


class Server:
    """A gunicorn master started by us, its workers, and their CPU time."""

    def __init__(self, name: str, app: str, port: int, env: dict[str, str], log: Path):
        self.name, self.port = name, port
        cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
               "--pythonpath", f"{ROOT},{BENCH}"]
        if GUNICORN_CONF.exists():
            cmd += ["--config", str(GUNICORN_CONF)]
        else:
            cmd += ["--config", os.devnull, "--workers", "2", "--worker-class", "sync"]
        self.log = log.open("wb")
        self.proc = subprocess.Popen(cmd + [app], cwd=ROOT, env={**os.environ, **env},
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{name} server exited; see {log}:\n{log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    pass
                if self.workers():
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"{name} server did not answer within 60 s; see {log}")

    def workers(self) -> list[int]:
        children = []
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    stat = Path(entry.path, "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    children.append(int(entry.name))
        return children

    @staticmethod
    def _ticks(pid: int, with_children: bool) -> int:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0
        utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
        return utime + stime + (cutime + cstime if with_children else 0)

    def cpu_seconds(self) -> float:
        """CPU of the master (with reaped workers) and of the live workers."""
        ticks = self._ticks(self.proc.pid, True) + sum(self._ticks(w, False)
                                                      for w in self.workers())
        return ticks / CLK_TCK

    def rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            kb = re.search(r"VmRSS:\s+(\d+)", status)
            if kb:
                sizes.append(int(kb.group(1)) / 1024)
        return sizes

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# ---- callers --------------------------------------------------------------------------------

NEW_CALLERS = {
    "en-US": (("Jane Doe", "Finance", "Building 2, room 301"),
              ("Tom Baker", "Sales", "Building 1, room 12")),
    "it-IT": (("Giulia Bianchi", "Amministrazione", "Edificio B, stanza 4"),
              ("Luca Verdi", "Logistica", "Magazzino, piano terra")),
    "ms-MY": (("Ahmad Faiz", "Kewangan", "Bangunan C, bilik 7"),
              ("Nurul Huda", "Pemasaran", "Bangunan A, bilik 2")),
}
PROBLEMS = {
    "en-US": ("The printer jams on every page", "I cannot reach the shared drive",
              "My laptop restarts by itself"),
    "it-IT": ("La stampante si inceppa", "Non riesco ad aprire la posta",
              "Il portatile si riavvia da solo"),
    "ms-MY": ("Pencetak tersekat", "Saya tidak boleh membuka emel",
              "Komputer riba saya dimulakan semula sendiri"),
}
BEFORE = {"en-US": "Printing a report", "it-IT": "Stavo stampando", "ms-MY": "Saya sedang mencetak"}


def random_problem(rng: random.Random, language: str) -> Problem:
    category = rng.choice(("hardware", "hardware", "software", "network", "access", "other"))
    return Problem(category=category, text=rng.choice(PROBLEMS[language]),
                   before=BEFORE[language], impact=rng.choice(("me", "me", "team", "organisation")),
                   urgency=rng.choice(("works", "impaired", "blocked")),
                   equipment="HP LaserJet M404" if category in ("hardware", "network") else None,
                   asset_tag=str(rng.randint(1000, 9999)), licence=str(rng.randint(10000, 99999)),
                   configuration="Windows 11", planned=rng.random() < 0.05)


def random_persona(rng: random.Random, kind: str, known: list[tuple[str, str]]) -> Persona:
    problems = tuple(random_problem(rng, "en-US") for _ in range(2 if rng.random() < 0.2 else 1))
    keypad = rng.random() < 0.5
    queue = "hold" if kind == "hold" else rng.choice(("callback", "hangup"))
    if kind == "known":
        number, language = rng.choice(known)
        problems = tuple(random_problem(rng, language) for _ in problems)
        return Persona(f"known {number[-4:]}", language, number, problems, known=True,
                       keypad=keypad, queue=queue)
    language = rng.choice(LANGUAGES)
    name, department, location = rng.choice(NEW_CALLERS[language])
    problems = tuple(random_problem(rng, language) for _ in problems)
    return Persona(kind, language, f"+1202{rng.randint(2000000, 9999999)}", problems,
                   keypad=keypad, name=name, department=department, location=location,
                   account=None if rng.random() < 0.2 else str(rng.randint(50000, 59999)),
                   queue=queue)


class Aborted(Exception):
    """The run ended: no new request is sent."""


class LineError(Exception):
    """The line answered an error (HTTP status or its fallback apology)."""


@dataclass
class Sent:
    think: float  # seconds waited before sending (0: a redirect followed at once)
    path: str
    body: bytes
    signature: str


@dataclass(frozen=True)
class Window:
    """The timed part of a run (Unix times). Callers start spread over [ramp_from, start), so
    their calls are at every stage when the window opens; requests answered inside it count."""

    ramp_from: float
    start: float
    end: float
    hard_stop: float  # calls under way after `end` may finish (untimed) until then

    def __contains__(self, t: float) -> bool:
        return self.start <= t <= self.end


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)  # ms, of the requests in the window
    requests: int = 0  # answered within the window
    untimed: int = 0  # answered before it opened or after it closed
    errors: list[str] = field(default_factory=list)
    completed: list[tuple[str, int, str, list[str]]] = field(default_factory=list)
    call_seconds: list[float] = field(default_factory=list)  # length of each finished call
    aborted: int = 0
    hold_fetches: int = 0
    sizes: Counter[int] = field(default_factory=Counter)
    samples: dict[int, str] = field(default_factory=dict)  # one answer per size

    def merge(self, other: Stats) -> None:
        self.latencies += other.latencies
        self.requests += other.requests
        self.untimed += other.untimed
        self.errors += other.errors
        self.completed += other.completed
        self.call_seconds += other.call_seconds
        self.aborted += other.aborted
        self.hold_fetches += other.hold_fetches
        self.sizes.update(other.sizes)
        for size, body in other.samples.items():
            self.samples.setdefault(size, body)


def post(port: int, path: str, body: bytes, signature: str, stats: Stats,
         window: Window) -> tuple[int, str]:
    """One signed POST on a new connection; timed if answered within the window."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1"})
        response = conn.getresponse()
        text = response.read().decode("utf-8")
        status = response.status
    finally:
        conn.close()
    if time.time() in window:
        stats.latencies.append((time.perf_counter() - start) * 1e3)
        stats.requests += 1
    else:
        stats.untimed += 1
    return status, text


class HttpTransport:
    """ivr.phone's transport over HTTP to one port: thinks first, times, records each request."""

    def __init__(self, port: int, stats: Stats, window: Window):
        self.port, self.stats, self.window = port, stats, window
        self.think = 0.0
        self.sent: list[Sent] = []

    def __call__(self, url: str, params: dict[str, str],
                 headers: dict[str, str]) -> tuple[int, str]:
        think, self.think = self.think, 0.0
        if think:
            time.sleep(think)
        if time.time() >= self.window.hard_stop:
            raise Aborted
        path = url[len(PUBLIC_BASE_URL):]
        body = urlencode(params).encode()
        signature = headers["X-Twilio-Signature"]
        status, text = post(self.port, path, body, signature, self.stats, self.window)
        self.sent.append(Sent(think, path, body, signature))
        if status != 200:
            raise LineError(f"HTTP {status} from {path.split('?')[0]}")
        if FALLBACK in text:
            raise LineError(f"the line's fallback apology from {path.split('?')[0]}")
        size = len(text.encode())
        self.stats.sizes[size] += 1
        self.stats.samples.setdefault(size, text)
        return status, text


def heard_numbers(phone: Phone) -> list[str]:
    """Every number the caller heard, digit by digit or whole ("1 0 0 5" -> "1005")."""
    text = " ".join(h.text for h in phone.transcript)
    return sorted({re.sub(r"\D", "", m) for m in re.findall(r"\d(?:[\s,]+\d)*", text)})


def line_caller(port: int, window: Window, rng: random.Random, think: tuple[float, float],
                shares: dict[str, float], known: list[tuple[str, str]], stats: Stats,
                calls: list[list[Sent]], partial: list[list[Sent]]) -> None:
    """Rings the line with scripted callers, one call after another until the window closes;
    the call under way then runs to its end (untimed) unless the hard stop comes first. The
    requests of each finished call go to `calls`, those of a call cut off to `partial`."""
    def pause() -> float:
        return rng.uniform(*think)

    time.sleep(max(0.0, rng.uniform(window.ramp_from, window.start) - time.time()))
    while time.time() < window.end:
        kind = rng.choices(list(shares), list(shares.values()))[0]
        persona = random_persona(rng, kind, known)
        transport = HttpTransport(port, stats, window)
        ear = Ear(transport)
        phone = Phone(ear, PUBLIC_BASE_URL, AUTH_TOKEN, from_=persona.caller_id)
        caller = ScriptedCall(phone, persona, ear)
        began = time.monotonic()
        try:
            phone.dial()
            while True:
                transport.think = pause()
                if caller.answer() is None:
                    break
            transport.think = 0.0
            if caller.stuck is not None:
                stats.errors.append(f"{persona.label} caller stuck at: {caller.stuck[:160]!r}")
                continue
            if phone.in_queue:
                fetches = rng.randint(2, 5)
                for _ in range(fetches):
                    transport.think = pause()
                    phone.wait()
                    stats.hold_fetches += 1
                transport.think = pause()
                phone.hang_up()
            transport.think = pause()
            phone.status("completed", duration=60)
            stats.completed.append((phone.call_sid, len(persona.problems), kind,
                                    heard_numbers(phone)))
            stats.call_seconds.append(time.monotonic() - began)
            calls.append(transport.sent)
        except Aborted:
            stats.aborted += 1
            partial.append(transport.sent)
        except (LineError, PhoneError, OSError, http.client.HTTPException) as exc:
            stats.errors.append(f"{persona.label} call: {type(exc).__name__}: {exc}")


def bare_caller(port: int, window: Window, rng: random.Random, recorded: list[list[Sent]],
                stats: Stats) -> None:
    """Replays recorded calls request by request, with their think times, until the window
    closes."""
    time.sleep(max(0.0, rng.uniform(window.ramp_from, window.start) - time.time()))
    while time.time() < window.end:
        for sent in rng.choice(recorded):
            if sent.think:
                time.sleep(sent.think)
            if time.time() >= window.end:
                return
            try:
                status, _text = post(port, sent.path, sent.body, sent.signature, stats, window)
            except (OSError, http.client.HTTPException) as exc:
                stats.errors.append(f"bare: {type(exc).__name__}: {exc}")
                break
            if status != 200:
                stats.errors.append(f"bare: HTTP {status}")


def driver(conn, index: int, callers: int, think: tuple[float, float],
           shares: dict[str, float], known: list[tuple[str, str]], seed: int) -> None:
    """One driver process: `callers` caller threads per run, on command from the main process.
    Answers with the run's Stats and this process's CPU time within the window."""
    rng = random.Random(seed * 1000 + index)
    recorded: list[list[Sent]] = []
    while True:
        command = conn.recv()
        if command[0] == "stop":
            return
        kind, port, window = command
        stats_of = [Stats() for _ in range(callers)]
        calls: list[list[Sent]] = []
        partial: list[list[Sent]] = []
        if kind == "line":
            threads = [threading.Thread(target=line_caller, args=(
                port, window, random.Random(rng.random()), think, shares, known, s, calls,
                partial)) for s in stats_of]
        else:
            if not recorded:
                conn.send(("error", "no recorded line calls to replay"))
                continue
            threads = [threading.Thread(target=bare_caller, args=(
                port, window, random.Random(rng.random()), recorded, s)) for s in stats_of]
        cpu: list[float] = []

        def sample(cpu: list[float] = cpu) -> None:
            cpu.append(time.process_time())

        timers = [threading.Timer(max(0.0, at - time.time()), sample)
                  for at in (window.start, window.end)]
        for t in [*timers, *threads]:
            t.start()
        for t in [*timers, *threads]:
            t.join()
        total = Stats()
        for s in stats_of:
            total.merge(s)
        if kind == "line":  # the next bare run replays this run's calls
            recorded = calls or [c for c in partial if c] or recorded
        conn.send(("ok", total, cpu[1] - cpu[0]))


# ---- runs -----------------------------------------------------------------------------------

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


class DatabaseCpu:
    """CPU time of the PostgreSQL backends serving this database (when they run on this
    machine and /proc shows them); SQLite's work is inside the gunicorn workers already."""

    def __init__(self, engine):
        self.engine = engine if engine.dialect.name == "postgresql" else None

    def snapshot(self) -> dict[int, int]:
        if self.engine is None:
            return {}
        with self.engine.connect() as conn:
            pids = conn.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()").scalars().all()
        return {pid: Server._ticks(pid, False) for pid in pids}

    @staticmethod
    def seconds(before: dict[int, int], after: dict[int, int]) -> float:
        return sum(t - before.get(pid, 0) for pid, t in after.items()) / CLK_TCK


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


def main(argv: list[str] | None = None) -> int:
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
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database", "--database-url", dest="database_url",
                        help="PostgreSQL URL (ALL its tables are dropped before and after); "
                             "default: a fresh SQLite file")
    args = parser.parse_args(argv)
    callers = args.callers or (200 if args.stress else 20)
    think = args.think or ((0.0, 0.2) if args.stress else (0.1, 0.5))
    processes = max(1, min(args.processes, callers))
    shares = {"new": 1 - args.hold_share - args.known_share, "known": args.known_share,
              "hold": args.hold_share}
    if min(shares.values()) < 0:
        parser.error("--hold-share + --known-share must be at most 1")

    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="http_load-"))
    servers: list[Server] = []
    ctx = multiprocessing.get_context("spawn")
    drivers, procs = [], []
    exit_code = 0
    finished = False
    with bench_database(args.database_url, "http_load-") as database_url:
        try:
            app = build_app(database_url)
            backend = app.extensions["engine"].dialect.name
            known = seed(app)
            app.extensions["engine"].dispose()
            env = {"DATABASE_URL": database_url, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                   "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "SECRET_KEY": "bench",
                   "HELPDESK_NAME": "the IT Help Desk", "FALLBACK_MESSAGE": FALLBACK,
                   "BENCH_CLOCK_T0": str(time.time()), "BENCH_OPEN_AT": OPEN_AT.isoformat()}
            line_port = free_port(args.ports)
            line = Server("line", "line_app:app", line_port, env, tmp / "line.log")
            servers.append(line)
            conf = (f"{GUNICORN_CONF.name}" if GUNICORN_CONF.exists()
                    else "no gunicorn.conf.py: 2 sync workers")
            print(f"backend: {backend}; gunicorn: {conf}, {len(line.workers())} workers; "
                  f"{callers} callers in {processes} driver processes, think "
                  f"{think[0] * 1e3:.0f}-{think[1] * 1e3:.0f} ms, runs of {args.duration:.0f} s, "
                  f"{args.rounds} rounds; calls {shares['new']:.0%} new, "
                  f"{shares['known']:.0%} known, {shares['hold']:.0%} hold")
            for i in range(processes):
                mine, theirs = ctx.Pipe()
                share = callers // processes + (1 if i < callers % processes else 0)
                proc = ctx.Process(target=driver, args=(theirs, i, share, think, shares, known,
                                                        args.seed), daemon=True)
                proc.start()
                drivers.append(mine)
                procs.append(proc)

            warm = run_all(drivers, line, "warm-up", 0.5, WARMUP_SECONDS)
            if warm.stats.errors:
                print("warm-up errors:\n  " + "\n  ".join(warm.stats.errors[:5]))
            if not warm.stats.sizes:
                raise SystemExit("the warm-up got no answer from the line")
            sizes = sorted(warm.stats.sizes.elements())
            median = sizes[len(sizes) // 2]
            size = min(warm.stats.samples, key=lambda s: abs(s - median))
            body_file = tmp / "bare.xml"
            body_file.write_text(warm.stats.samples[size], encoding="utf-8")
            bare_port = free_port(range(line_port + 1, args.ports.stop) if args.ports else None)
            bare = Server("bare", "bare_app:app", bare_port,
                          {"BENCH_BARE_BODY": str(body_file)}, tmp / "bare.log")
            servers.append(bare)
            print(f"line on :{line_port}, bare on :{bare_port}; bare answer: {size} bytes (the "
                  f"line's median answer: {median} bytes); warm-up: {warm.stats.requests} "
                  f"requests")
            run_all(drivers, bare, "warm-up", 0.5, 2)
            # Callers start spread over one call's length, so that when the window opens their
            # calls are at every stage, as in a steady stream of calls.
            calls = warm.stats.call_seconds
            ramp = args.ramp if args.ramp is not None else min(
                MAX_RAMP, statistics.mean(calls) if calls else MAX_RAMP)
            print(f"callers start over {ramp:.0f} s before each timed window "
                  f"(a warm-up call lasted {statistics.mean(calls):.0f} s on average)"
                  if calls else f"callers start over {ramp:.0f} s before each timed window")

            database = DatabaseCpu(app.extensions["engine"])
            pg = database.engine is not None
            runs: list[Run] = []
            for r in range(1, args.rounds + 1):
                order = (line, bare) if r % 2 else (bare, line)
                for server in order:
                    run = run_all(drivers, server, str(r), ramp, args.duration,
                                  database if server is line else None)
                    runs.append(run)
                    print_run(run, header=len(runs) == 1, database=pg)
            line_runs = [r for r in runs if r.server == "line"]
            bare_runs = [r for r in runs if r.server == "bare"]
            totals = {name: merged(name, rs) for name, rs in (("line", line_runs),
                                                              ("bare", bare_runs))}
            for run in totals.values():
                print_run(run, header=False, database=pg)
            print("CPU columns: ms per request answered in the timed windows; server = the "
                  "gunicorn master and workers" + ("; PG = the PostgreSQL backends of the "
                                                   "database (not in the cpu ratio)" if pg else ""))

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
            print("worker RSS after the runs: line " + ", ".join(
                f"{m:.0f}" for m in line.rss_mb()) + " MB; bare " + ", ".join(
                f"{m:.0f}" for m in bare.rss_mb()) + " MB")
            print(f"total run: {time.monotonic() - started:.0f} s")
            exit_code = 1 if problems or errors else 0
            line_cpu = totals["line"].server_cpu / max(totals["line"].stats.requests, 1)
            bare_cpu = totals["bare"].server_cpu / max(totals["bare"].stats.requests, 1)
            if args.stress:
                print(f"throughput: line {totals['line'].rate:.0f} steps/s, bare "
                      f"{totals['bare'].rate:.0f} steps/s")
                print(f"throughput ratio: {totals['line'].rate / totals['bare'].rate:.2f}")
            print(f"cpu ratio: {line_cpu / bare_cpu:.2f}")
            finished = True
        finally:
            for conn in drivers:
                try:
                    conn.send(("stop",))
                except OSError:
                    pass
            for proc in procs:
                proc.join(timeout=10)
                if proc.is_alive():
                    proc.terminate()
            for server in servers:
                server.stop()
            if "app" in locals():
                app.extensions["engine"].dispose()
            if finished and exit_code == 0:
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                print(f"server logs kept in {tmp}", file=sys.stderr)
    return exit_code


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


if __name__ == "__main__":
    sys.exit(main())
