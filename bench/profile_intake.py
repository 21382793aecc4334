"""Where the line's time goes over the full intake mix, in process (issue 13, point 1).

The same calls as bench/http_load.py (50 % new callers, 30 % known callers from the demo
customers' numbers, 20 % the hold scenario with 2-5 waitUrl fetches; every call ends with the
`completed` status callback), driven one after another through Flask's test client with signed
requests, the app's clock on Monday 10:00. After a warm-up of a few calls, cProfile runs over
`--calls` calls and the script prints:
- requests profiled and the profiled CPU per request;
- the cost by part of the line (cumulative time of the functions that own each part, as a share
  of all profiled time; parts nest, so they do not add up to 100 %);
- the top functions by cumulative and by own time (`--top`).

    .venv/bin/python bench/profile_intake.py [--calls 120] [--database-url URL] [--top 25]
    .venv/bin/python bench/profile_intake.py --no-profile  # only the CPU per request

`--database-url` DROPS EVERY TABLE of that database before and after the run.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import cpu_sampler  # noqa: E402
from callers import Ear, ScriptedCall  # noqa: E402
from http_load import OPEN_AT, seed  # noqa: E402
from load_drive import random_persona  # noqa: E402
from step_cost import AUTH_TOKEN, PUBLIC_BASE_URL, bench_database, build_app  # noqa: E402

from ivr.phone import Phone  # noqa: E402

# (label, predicate on a pstats key (file, line, function)): the parts of the line
PARTS: list[tuple[str, str, str]] = [
    ("whole webhook (Flask view)", "ivr/voice/webhook.py", "view"),
    ("argon2 (the PIN hash)", "~",
     "<built-in method _argon2_cffi_bindings._ffi.argon2_hash>"),
    ("sqlite3 commit (the fsync)", "~", "<method 'commit' of 'sqlite3.Connection' objects>"),
    ("Session.commit", "sqlalchemy/orm/session.py", "commit"),
    ("ORM flush", "sqlalchemy/orm/session.py", "flush"),
    ("read the call's turn (read_turn)", "ivr/voice/calls.py", "read_turn"),
    ("lock + read a call to answer (_call_to_answer)", "ivr/voice/calls.py", "_call_to_answer"),
    ("signature check (is_from_twilio)", "ivr/voice/security.py", "is_from_twilio"),
    ("PIN hash (tickets.pins.hash_pin)", "tickets/pins.py", "hash_pin"),
    ("PIN check (tickets.pins.pin_matches)", "tickets/pins.py", "pin_matches"),
    ("script/policy lookup (versions.find)", "tickets/versions.py", "find"),
    ("live policy (versions.live_policy)", "tickets/versions.py", "live_policy"),
    ("interpreter start", "call_scripts/interpreter.py", "start"),
    ("interpreter advance", "call_scripts/interpreter.py", "advance"),
    ("TwiML render (ivr.voice.twiml.render)", "ivr/voice/twiml.py", "render"),
    ("effects (ivr.voice.effects.perform)", "ivr/voice/effects.py", "perform"),
    ("open_ticket", "tickets/intake.py", "open_ticket"),
    ("queue arrival (queue_twiml.arrival)", "ivr/voice/queue_twiml.py", "arrival"),
    ("hold pass (Router.hold_pass)", "ivr/queues/bridge.py", "hold_pass"),
    ("position + estimate (lineup)", "ivr/queues/lineup.py", "position_and_estimate"),
    ("status callback (calls.record_status)", "ivr/voice/calls.py", "record_status"),
    ("record_event (timeline)", "tickets/timeline.py", "record_event"),
    ("sqlite3 / psycopg execute", "~", "execute"),
]


class Counted:
    """The test client's transport, counting requests."""

    def __init__(self, client):
        self.client, self.requests = client, 0

    def __call__(self, url: str, params: dict[str, str],
                 headers: dict[str, str]) -> tuple[int, str]:
        self.requests += 1
        response = self.client.post(url[len(PUBLIC_BASE_URL):], data=params, headers=headers)
        return response.status_code, response.get_data(as_text=True)


def one_call(transport: Counted, rng: random.Random, known: list[tuple[str, str]]) -> None:
    kind = rng.choices(("new", "known", "hold"), (0.5, 0.3, 0.2))[0]
    persona = random_persona(rng, kind, known)
    ear = Ear(transport)
    phone = Phone(ear, PUBLIC_BASE_URL, AUTH_TOKEN, from_=persona.caller_id)
    caller = ScriptedCall(phone, persona, ear)
    phone.dial()
    while caller.answer() is not None:
        pass
    if caller.stuck is not None:
        raise SystemExit(f"caller stuck at {caller.stuck[:160]!r}")
    if phone.in_queue:
        for _ in range(rng.randint(2, 5)):
            phone.wait()
        phone.hang_up()
    phone.status("completed", duration=60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=120)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", help="PostgreSQL URL (ALL its tables are dropped)")
    parser.add_argument("--no-profile", action="store_true",
                        help="no profiler: print only the CPU per request (compare branches)")
    parser.add_argument("--dump", help="also write the profile here (pstats format)")
    parser.add_argument("--sample", metavar="FILE", help="bench/cpu_sampler.py instead of "
                        "cProfile (CPU time, no inflation): its report, stacks kept in FILE "
                        "(to set beside bench/http_profile.py's)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with bench_database(args.database_url, "profile_intake-") as url:
        app = build_app(url)
        app.extensions["clock"] = lambda: OPEN_AT
        known = seed(app)
        transport = Counted(app.test_client())
        for _ in range(args.warmup):
            one_call(transport, rng, known)
        transport.requests = 0
        profile = cProfile.Profile()
        sampler = cpu_sampler.Sampler()
        started = time.process_time()
        if args.sample:
            sampler.start()
        elif not args.no_profile:
            profile.enable()
        for _ in range(args.calls):
            one_call(transport, rng, known)
        profile.disable()
        sampler.stop()
        cpu = time.process_time() - started
        app.extensions["engine"].dispose()
    if args.no_profile:
        print(f"backend: {url.split(':')[0]}; {args.calls} calls, {transport.requests} requests; "
              f"CPU {cpu * 1e3 / transport.requests:.3f} ms per request (no profiler)")
        return 0
    if args.sample:
        sampler.write(Path(args.sample))
        print(f"backend: {url.split(':')[0]}; {args.calls} calls; CPU "
              f"{cpu * 1e3 / transport.requests:.3f} ms per request (sampled)")
        cpu_sampler.report(sampler.stacks, transport.requests, args.top)
        return 0
    if args.dump:
        profile.dump_stats(args.dump)
    stats = pstats.Stats(profile)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"backend: {url.split(':')[0]}; {args.calls} calls, {transport.requests} requests; "
          f"profiled CPU {cpu * 1e3 / transport.requests:.2f} ms per request "
          f"(the profiler inflates Python-heavy parts)")
    print(f"\n{'part':<48} {'ms/req':>8} {'share':>7}")
    entries = stats.stats  # type: ignore[attr-defined]
    for label, file, func in PARTS:
        cum = sum(ct for (f, _line, fn), (_cc, _nc, _tt, ct, _callers) in entries.items()
                  if fn == func and (f.endswith(file) or (file == "~" and f == "~")))
        if func == "execute" and file == "~":
            cum = sum(tt for (f, _line, fn), (_cc, _nc, tt, _ct, _callers) in entries.items()
                      if "execute" in fn and (f == "~" or "psycopg" in f))
        print(f"{label:<48} {cum * 1e3 / transport.requests:8.3f} {cum / total:7.1%}")
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(args.top)
        text = out.getvalue()
        print(f"\n---- top {args.top} by {order} ----")
        print(text[text.find("   ncalls"):].replace(str(ROOT) + "/", ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
