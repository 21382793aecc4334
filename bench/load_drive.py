"""The callers of bench/http_load.py: driver processes of caller threads that ring the line as
Twilio would (signed requests, scripted answers) or replay the line's calls to the bare app."""

from __future__ import annotations

import http.client
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

from callers import LANGUAGES, Ear, Persona, Problem, ScriptedCall
from step_cost import AUTH_TOKEN, PUBLIC_BASE_URL

# ---- the app's internals this benchmark uses (keep them here) -------------------------------
from ivr.phone import Phone, PhoneError  # the signed phone of the tests

# ---------------------------------------------------------------------------------------------

FALLBACK = "BENCH-FALLBACK the line could not serve this step"  # the line's apology, marked


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
                stats: Stats, name: str = "bare") -> None:
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
                stats.errors.append(f"{name}: {type(exc).__name__}: {exc}")
                break
            if status != 200:
                stats.errors.append(f"{name}: HTTP {status}")


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
                port, window, random.Random(rng.random()), recorded, s, kind))
                for s in stats_of]
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
