"""What one intake step costs, against a bare Flask endpoint answering the same bytes.

The measured step is a real, signed Twilio webhook: the caller's spoken answer to "Which
department do you work in?" (POST /voice/step?t=N). The app checks the signature, locks and
loads the call's row, runs the interpreter, writes the answer to the timeline (a TicketEvent),
renders the next prompt as TwiML, saves the call's state and commits.

The baseline is a bare flask.Flask app whose POST route returns a constant TwiML string of the
same byte length (text/xml). Both go through Flask's test client in this process (no network),
with the same path, form and headers, so only the work inside the app differs.

Each call is brought to the department question first (dial, language, "new problem", name,
confirm) with ivr.phone.Phone, then its one step is timed once: every timed step is a fresh turn
(a repeated turn would only replay the stored answer). Requests are signed before the timer
starts (Twilio signs on its side); the app's signature check is inside the timed request.
Step and baseline requests alternate, in alternating order, after a warm-up.

    python bench/step_cost.py [--calls 400] [--database-url URL] [--profile N]

--profile N afterwards runs the steps of N more calls under cProfile (untimed) and prints where
their time goes.

The last line printed is `ratio: N.NN` (median step / median bare).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import logging
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response
from sqlalchemy import MetaData, func, select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ivr import create_app, migrate  # noqa: E402
from ivr.phone import Phone  # noqa: E402
from tickets.db import make_engine  # noqa: E402
from tickets.models import TicketEvent  # noqa: E402

PUBLIC_BASE_URL = "https://helpdesk.example.test"
AUTH_TOKEN = "bench-auth-token-1234567890"
QUESTION = "Your department?"
WARMUP = 30  # calls whose step is run (on both sides) before timing starts


@dataclass(frozen=True)
class Request:
    path: str  # path and query, e.g. /voice/step?t=5
    form: dict[str, str]
    headers: dict[str, str]


def drop_everything(url: str) -> None:
    engine = make_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    meta.drop_all(engine)
    engine.dispose()


@contextmanager
def bench_database(url: str | None, prefix: str) -> Iterator[str]:
    """The database a benchmark runs on: URL, with every table dropped before and after, or
    by default a fresh SQLite file in a temporary directory, deleted afterwards."""
    if url:
        drop_everything(url)
        try:
            yield url
        finally:
            drop_everything(url)
        return
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield f"sqlite:///{tmp / 'bench.db'}"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def build_app(database_url: str) -> Flask:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app({
        "DATABASE_URL": database_url,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "HELPDESK_NAME": "the IT Help Desk",
        "SECRET_KEY": "bench",
    })
    from tickets.demo import load_demo

    with Session(app.extensions["engine"]) as session:
        load_demo(session)
        session.commit()
    return app


def prepare_calls(app: Flask, count: int) -> list[Request]:
    """Bring `count` calls to the department question; return each call's signed answer."""
    client = app.test_client()

    def transport(url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        response = client.post(url[len(PUBLIC_BASE_URL):], data=params, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    requests = []
    for i in range(count):
        phone = Phone(transport, PUBLIC_BASE_URL, AUTH_TOKEN, from_=f"+1202555{i:04d}")
        phone.dial()
        phone.press("1")  # English
        phone.press("1")  # report a new problem
        phone.speak("Jane Doe")  # the name: read back only when the line was unsure of it
        if "I heard" in phone.text:
            phone.press("1")  # confirmed
        if QUESTION not in phone.text or phone.prompt is None:
            raise SystemExit(f"call {i} is not at the department question: {phone.text!r}")
        action = phone.prompt.action  # signed as Twilio requests it: the absolute URL
        url = action if action.startswith("http") else PUBLIC_BASE_URL + action
        form = {**phone.params, "SpeechResult": "Finance", "Confidence": "0.92"}
        requests.append(Request(url[len(PUBLIC_BASE_URL):], form, phone.sign(url, form)))
    return requests


def bare_app(body: str) -> Flask:
    bare = Flask("bare")

    @bare.post("/voice/step")
    def step() -> Response:
        return Response(body, status=200, mimetype="text/xml")

    return bare


def timed(client, request: Request) -> tuple[int, bytes]:
    start = time.perf_counter_ns()
    response = client.post(request.path, data=request.form, headers=request.headers)
    body = response.get_data()
    elapsed = time.perf_counter_ns() - start
    if response.status_code != 200:
        raise SystemExit(f"{request.path} answered HTTP {response.status_code}")
    return elapsed, body


def check_written(app: Flask, expected: int) -> None:
    """Every step did its work: one department answer on the timeline per call."""
    with Session(app.extensions["engine"]) as session:
        written = session.scalar(select(func.count()).select_from(TicketEvent).where(
            TicketEvent.kind == "answer", TicketEvent.step == "ask_department"))
    if written != expected:
        raise SystemExit(f"{written} department answers on the timeline, expected {expected}")


def p90(values: list[int]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


# Parts of one step, as (file, function) in the profile; the largest match is taken.
PARTS = [
    ("signature check (and form parsing)", "security.py", "is_from_twilio"),
    ("read the call's turn (with the kept answer)", "calls.py", "read_turn"),
    ("load the ScriptVersion row", "session.py", "get"),
    ("interpreter (advance)", "interpreter.py", "advance"),
    ("record_event (TicketEvent added)", "timeline.py", "record_event"),
    ("TwiML render", "twiml.py", "render"),
    ("flush + commit", "session.py", "commit"),
    ("session close (teardown)", "session.py", "close"),
]


def profile(client, requests: list[Request]) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for request in requests:
        client.post(request.path, data=request.form, headers=request.headers).get_data()
    profiler.disable()
    stats = pstats.Stats(profiler)

    def cumulative(filename: str, function: str) -> float:
        return max((ct for (file, _line, func), (_cc, _nc, _tt, ct, _callers)
                    in stats.stats.items()  # type: ignore[attr-defined]
                    if func == function and Path(file).name == filename), default=0.0)

    n = len(requests)
    whole = cumulative("test.py", "open")
    view = cumulative("security.py", "wrapper")
    lines = [f"profile of {n} steps (ms per step, cumulative, with profiler overhead):",
             f"  {'whole request through the test client':40} {whole / n * 1e3:7.3f}",
             f"  {'test client + Flask outside the view':40} {(whole - view) / n * 1e3:7.3f}"]
    for label, filename, function in PARTS:
        lines.append(f"  {label:40} {cumulative(filename, function) / n * 1e3:7.3f}")
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.strip_dirs().sort_stats("tottime").print_stats(12)
    return "\n".join(lines) + "\n" + out.getvalue()


def interleaved(client, bare_client, requests: list[Request],
                size: int) -> tuple[list[int], list[int]]:
    """Each request timed on the line and on the bare app, which goes first alternating."""
    step_ns: list[int] = []
    bare_ns: list[int] = []
    gc.collect()
    for i, request in enumerate(requests):
        if i % 2 == 0:
            elapsed, got = timed(client, request)
            step_ns.append(elapsed)
            bare_ns.append(timed(bare_client, request)[0])
        else:
            bare_ns.append(timed(bare_client, request)[0])
            elapsed, got = timed(client, request)
            step_ns.append(elapsed)
        if len(got) != size:
            raise SystemExit(f"step answered {len(got)} bytes, expected {size}: {got!r}")
    return step_ns, bare_ns


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=400, help="timed steps (default 400)")
    parser.add_argument("--database-url", help="e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test"
                        " (all its tables are dropped first); default: a fresh SQLite file")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="then profile the steps of N more calls (not timed)")
    args = parser.parse_args(argv)
    if args.calls < 10:
        parser.error("--calls must be at least 10")

    # No INFO logging inside the measured step; this only quiets "incoming call" during set-up.
    logging.getLogger("ivr").setLevel(logging.WARNING)

    with bench_database(args.database_url, "step_cost-") as database_url:
        started = time.monotonic()
        app = build_app(database_url)
        backend = app.extensions["engine"].dialect.name
        requests = prepare_calls(app, WARMUP + args.calls + args.profile)
        profiled = requests[WARMUP + args.calls:]
        requests = requests[:WARMUP + args.calls]
        print(f"backend: {backend}; {WARMUP + args.calls + args.profile} calls brought to the "
              f"department question in {time.monotonic() - started:.1f} s")

        client = app.test_client()
        # Warm-up: the app's step first, so the baseline answers with the real body's length.
        _, body = timed(client, requests[0])
        if b"<Gather" not in body or b"Where is the equipment" not in body:
            raise SystemExit(f"unexpected step response: {body!r}")
        size = len(body)
        # A constant TwiML document of exactly the same size (this is a real step's answer).
        bare = bare_app(body.decode("utf-8"))
        bare_client = bare.test_client()
        for request in requests[1:WARMUP]:
            timed(client, request)
            timed(bare_client, request)

        step_ns, bare_ns = interleaved(client, bare_client, requests[WARMUP:], size)
        ratio = print_timings(step_ns, bare_ns, size, started)
        if profiled:
            print(profile(client, profiled))
        check_written(app, len(requests) + len(profiled))
        app.extensions["engine"].dispose()
        print(f"ratio: {ratio:.2f}")
    return 0


def print_timings(step_ns: list[int], bare_ns: list[int], size: int, started: float) -> float:
    """The table of the step's and the bare app's times; returns the ratio of their medians."""
    step_median = statistics.median(step_ns) / 1e6
    bare_median = statistics.median(bare_ns) / 1e6
    print(f"response size: {size} bytes; {len(step_ns)} timed requests each, interleaved")
    print(f"{'':6} {'median ms':>10} {'p90 ms':>10}")
    print(f"{'step':6} {step_median:10.3f} {p90(step_ns) / 1e6:10.3f}")
    print(f"{'bare':6} {bare_median:10.3f} {p90(bare_ns) / 1e6:10.3f}")
    print(f"total run: {time.monotonic() - started:.1f} s")
    return step_median / bare_median


if __name__ == "__main__":
    sys.exit(main())
