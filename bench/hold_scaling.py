"""What one hold-loop fetch costs with 50 and with 5,000 callers waiting (issue 13).

Twilio fetches the `waitUrl` of every caller on hold each time their hold document runs out.
This benchmark times that signed webhook through `ivr.create_app`'s Flask test client (no
network), on the app's clock stopped on a weekday inside opening hours, with:
- 500 analysts of tiers 1-3 (60 / 30 / 10 %), 0-3 skills, none free while the fetches are
  timed (as when thousands wait): on a call 55 %, in wrap-up 15 % (not yet over), on a break
  10 %, logged out 20 %;
- first 50, then 5,000 callers waiting with consent and in Twilio's queue (queue_sid set),
  ranks 1-4 (2 / 13 / 70 / 15 %), tiers by priority (enterprise failure in tier 2, 10 %
  escalated), categories mixed, joined over the last 3 hours.

The first waiting caller is real: a scripted caller (bench/callers.py) rings the line, reports a
problem, hears the offer and agrees to hold, so Twilio's first waitUrl fetch has set its
queue_sid. The others are copies of its call, ticket and queue entry rows (every column copied,
then the caller's number, rank, tier, category and join time changed), so they look like what
the line writes whatever its columns. Each timed fetch is for a different waiting caller, with
the parameters Twilio sends to a waitUrl, signed before the timer starts.

Then the routing pass, `flask ivr route` (run through Flask's CLI runner, timed whole), with 5
of the 500 analysts made free before each pass and put back after it, the bridged callers
waiting again; Twilio's Queue Members API (the dequeue) is mocked with `responses`. The same
pass with nobody free is timed too. A pass with free analysts is also timed until its claims
are committed (SQLAlchemy's `after_commit`): the routing decision and its transaction, after
which only the dequeue requests to Twilio remain (made outside any transaction, side by side).
The routing pass figure is the worse p99 of the pass with nobody free and of that part; the
same is printed as CPU time of the timing thread too (on a shared machine the wall clock also
counts the time the process waited for a core), and so are the fetches (`cpu ratio`). Both
include the CLI runner's own start (Click's `CliRunner` swapping the standard streams, the app
context, the session) and the commit: 1.4 ms of a 6.3 ms median pass at load 2.3.

    python bench/hold_scaling.py [--fetches 100] [--passes 50] [--database-url URL]

The last line printed is `ratio: N.NN` (waitUrl fetch p99 at 5,000 waiting / at 50).
"""

from __future__ import annotations

import argparse
import gc
import logging
import random
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import responses
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from callers import Ear, Persona, Problem, ScriptedCall  # noqa: E402
from step_cost import AUTH_TOKEN, PUBLIC_BASE_URL, bench_database, build_app  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

# ---- the app's internals this benchmark uses (keep them here) -------------------------------
from ivr.phone import Phone  # noqa: E402  the signed phone of the tests and `flask ivr call`
from tickets.models import Agent, Call, QueueEntry, Ticket  # noqa: E402

# ---------------------------------------------------------------------------------------------

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday, 10:00: the desk is open
AGENTS = 500
SIZES = (50, 5000)
FREE_PER_PASS = 5
WARMUP = 20
CATEGORIES = ("hardware", "software", "network", "access", "other")
LABELS = {1: "enterprise_failure", 2: "critical_situation", 3: "regular_service",
          4: "planned_event"}
QUEUE_MEMBER = re.compile(r"https://api\.twilio\.com/2010-04-01/Accounts/\w+/Queues/(\w+)/"
                          r"Members/(\w+)\.json")

HOLDER = Persona("holding caller", "en-US", "+12025550100", keypad=True, name="Hal Holder",
                 department="Finance", location="Building 1, room 1", account="50001",
                 queue="hold",
                 problems=(Problem(category="hardware", equipment="HP LaserJet M404",
                                   configuration="Windows 11", text="The printer is offline",
                                   before="Printing", impact="me", urgency="impaired"),))


def p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def writer(app) -> Session:
    return Session(app.extensions["engine"], expire_on_commit=False)


# ---- the population -------------------------------------------------------------------------

def seed_agents(app, rng: random.Random) -> None:
    statuses = ["on_call"] * 55 + ["wrap_up"] * 15 + ["on_break"] * 10 + ["offline"] * 20
    with writer(app) as session:
        for i in range(AGENTS):
            status = rng.choice(statuses)
            since = NOW - timedelta(seconds=rng.uniform(5, 40) if status == "wrap_up"
                                    else rng.uniform(30, 3600))
            session.add(Agent(name=f"Analyst {i}", client_identity=f"bench-analyst-{i}",
                              tier=rng.choices((1, 2, 3), (60, 30, 10))[0],
                              skills=rng.sample(CATEGORIES, rng.randint(0, 3)), status=status,
                              status_since=since, idle_since=since))
        session.commit()


def bring_one_caller_to_hold(app) -> tuple[Phone, int]:
    """A real caller through the intake and onto hold; returns its phone and queue entry id."""
    client = app.test_client()

    def transport(url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        response = client.post(url[len(PUBLIC_BASE_URL):], data=params, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    ear = Ear(transport)
    phone = Phone(ear, PUBLIC_BASE_URL, AUTH_TOKEN, from_=HOLDER.caller_id)
    caller = ScriptedCall(phone, HOLDER, ear)
    phone.dial()
    while caller.answer() is not None:
        pass
    if not phone.in_queue:
        raise SystemExit(f"the scripted caller did not reach the hold: stuck={caller.stuck!r}; "
                         f"heard {phone.text!r}")
    with writer(app) as session:
        call = session.scalar(select(Call).where(Call.sid == phone.call_sid))
        entry = session.scalar(select(QueueEntry).where(QueueEntry.call_id == call.id))
        if entry is None or entry.status != "waiting" or not entry.consent or not entry.queue_sid:
            raise SystemExit("the holding caller's queue entry is not waiting in Twilio's queue")
        return phone, entry.id


def copy_row(row, **changes):
    """A new row of the same class with every column of `row` but its id, then `changes`."""
    mapper = inspect(type(row))
    values = {a.key: getattr(row, a.key) for a in mapper.column_attrs
              if a.key not in {c.key for c in mapper.primary_key}}
    values.update(changes)
    return type(row)(**values)


def add_waiting(app, first_entry_id: int, count: int, start: int, rng: random.Random,
                queue_sids: dict[int, str]) -> None:
    """`count` more waiting callers, copies of the real one's call, ticket and queue entry."""
    with writer(app) as session:
        entry = session.get(QueueEntry, first_entry_id)
        call = session.get(Call, entry.call_id)
        ticket = session.get(Ticket, entry.ticket_id)
        for i in range(start, start + count):
            rank = rng.choices((1, 2, 3, 4), (2, 13, 70, 15))[0]
            tier = 2 if rank == 1 else 1
            if rng.random() < 0.10:
                tier = min(3, tier + 1)
            category = rng.choice(CATEGORIES)
            number = f"+1202{7000000 + i:07d}"
            new_call = copy_row(call, sid="CA" + f"{rng.getrandbits(128):032x}",
                                from_number=number)
            session.add(new_call)
            session.flush()
            new_ticket = copy_row(ticket, number=str(8_000_000 + i), call_id=new_call.id,
                                  priority=LABELS[rank], tier=tier, category=category,
                                  callback_number=number)
            session.add(new_ticket)
            session.flush()
            joined = NOW - timedelta(seconds=rng.uniform(0, 3 * 3600))
            session.add(copy_row(entry, call_id=new_call.id, ticket_id=new_ticket.id,
                                 caller_number=number, tier=tier, rank=rank,
                                 priority=LABELS[rank], category=category, joined_at=joined,
                                 announced_at=joined, last_message_at=joined,
                                 queue_sid=queue_sids[tier]))
        session.commit()


# ---- timing ---------------------------------------------------------------------------------

def wait_requests(app, phone: Phone, first_entry_id: int, rng: random.Random,
                  count: int) -> list[tuple[str, dict[str, str], dict[str, str]]]:
    """Signed waitUrl requests for `count` waiting callers (each a different one)."""
    wait_url = phone.queue["wait_url"]  # type: ignore[index]  e.g. /voice/queue/wait?e=N
    parts = urlsplit(wait_url)
    query = parse_qsl(parts.query)
    key = next(k for k, v in query if v == str(first_entry_id))  # the parameter naming the entry
    validator = RequestValidator(AUTH_TOKEN)
    with writer(app) as session:
        rows = session.execute(
            select(QueueEntry.id, QueueEntry.queue_sid, Call.sid, Call.from_number)
            .join(Call, Call.id == QueueEntry.call_id)
            .where(QueueEntry.status == "waiting", QueueEntry.consent.is_(True))).all()
    size = len(rows)
    chosen = rng.sample(rows, min(count, size)) if count <= size else \
        [rng.choice(rows) for _ in range(count)]
    requests = []
    for entry_id, queue_sid, call_sid, number in chosen:
        path = parts.path + "?" + urlencode([(k, str(entry_id) if k == key else v)
                                             for k, v in query])
        form = {**phone.params, "CallSid": call_sid, "From": number, "QueueSid": queue_sid,
                "QueuePosition": str(rng.randint(1, size)), "QueueTime": "600",
                "AvgQueueTime": "600", "CurrentQueueSize": str(size)}
        headers = {"X-Twilio-Signature": validator.compute_signature(PUBLIC_BASE_URL + path,
                                                                     form)}
        requests.append((path, form, headers))
    return requests


def time_fetches(app, requests, cpu: list[float] | None = None) -> list[float]:
    """The wall-clock times of the fetches (ms); their CPU times of this thread into ``cpu``."""
    client = app.test_client()
    times = []
    gc.collect()
    for path, form, headers in requests:
        start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
        response = client.post(path, data=form, headers=headers)
        body = response.get_data(as_text=True)
        times.append((time.perf_counter_ns() - start) / 1e6)
        if cpu is not None:
            cpu.append((time.thread_time_ns() - start_cpu) / 1e6)
        if response.status_code != 200 or "<Gather" not in body:
            raise SystemExit(f"waitUrl answered HTTP {response.status_code}: {body[:300]!r}")
    return times


def time_passes(app, passes: int, free: int, rng: random.Random
                ) -> tuple[list[float], list[float], list[float], int]:
    """`flask ivr route`, with `free` analysts made free before each pass; returns the times
    of the whole passes, the times until their claims were committed (the pass's
    transaction: after it, only the dequeue requests to Twilio remain) and how many callers
    the passes bridged; and the CPU time of this thread until the claims were committed (the
    same span without the time the process waited for a core on a shared machine)."""
    runner = app.test_cli_runner()
    times, claimed, cpu = [], [], []
    bridged = 0
    committed: list[tuple[int, int]] = []

    def first_commit(_session) -> None:
        if not committed:
            committed.append((time.perf_counter_ns(), time.thread_time_ns()))

    event.listen(Session, "after_commit", first_commit)
    with writer(app) as session:
        on_duty = session.scalars(select(Agent.id).where(Agent.status == "on_call")).all()
    for _ in range(passes):
        chosen = rng.sample(on_duty, free)
        with writer(app) as session:
            if chosen:
                session.execute(update(Agent).where(Agent.id.in_(chosen))
                                .values(status="available", idle_since=NOW - timedelta(
                                    seconds=rng.uniform(0, 600))))
            session.commit()
        gc.collect()
        committed.clear()
        start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
        result = runner.invoke(args=["ivr", "route"])
        times.append((time.perf_counter_ns() - start) / 1e6)
        claimed.append((committed[0][0] - start) / 1e6 if committed else times[-1])
        cpu.append((committed[0][1] - start_cpu) / 1e6 if committed
                   else (time.thread_time_ns() - start_cpu) / 1e6)
        if result.exit_code != 0:
            raise SystemExit(f"flask ivr route failed: {result.output}{result.exception!r}")
        found = re.search(r"(\d+)", result.output)
        bridged += int(found.group(1)) if found else 0
        with writer(app) as session:  # back as before: analysts on their calls, callers waiting
            session.execute(update(Agent).where(Agent.id.in_(chosen))
                            .values(status="on_call", status_since=NOW))
            session.execute(update(QueueEntry).where(QueueEntry.status == "bridging")
                            .values(status="waiting", agent_id=None, bridging_at=None))
            session.commit()
    event.remove(Session, "after_commit", first_commit)
    return times, claimed, cpu, bridged


def twilio_dequeue(request) -> tuple[int, dict[str, str], str]:
    """Twilio's answer to POST .../Queues/{QueueSid}/Members/{CallSid}.json (documented shape)."""
    queue_sid, call_sid = QUEUE_MEMBER.match(request.url).groups()  # type: ignore[union-attr]
    import json

    return 200, {}, json.dumps({
        "call_sid": call_sid, "queue_sid": queue_sid, "position": 1, "wait_time": 600,
        "date_enqueued": "Mon, 23 Nov 2026 09:50:00 +0000",
        "uri": f"/2010-04-01/Accounts/AC/Queues/{queue_sid}/Members/{call_sid}.json"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fetches", type=int, default=100,
                        help="timed waitUrl fetches at each size (default 100)")
    parser.add_argument("--passes", type=int, default=50,
                        help="timed routing passes of each kind at each size (default 50)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", "--database", dest="database_url",
                        help="PostgreSQL URL (ALL its tables are dropped before and after); "
                             "default: a fresh SQLite file")
    args = parser.parse_args(argv)
    if args.fetches < 20 or args.passes < 10:
        parser.error("at least 20 fetches and 10 passes")
    logging.getLogger("ivr").setLevel(logging.ERROR)
    rng = random.Random(args.seed)
    results: dict[int, dict[str, list[float]]] = {}

    with bench_database(args.database_url, "hold_scaling-") as database_url, \
            responses.RequestsMock(assert_all_requests_are_fired=False) as twilio:
        twilio.add_callback(responses.POST, QUEUE_MEMBER, callback=twilio_dequeue)
        started = time.monotonic()
        app = build_app(database_url)
        app.extensions["clock"] = lambda: NOW
        print(f"backend: {app.extensions['engine'].dialect.name}; clock: "
              f"{NOW:%A %Y-%m-%d %H:%M} UTC; {AGENTS} analysts, none free during the fetches")
        seed_agents(app, rng)
        phone, first = bring_one_caller_to_hold(app)
        queue_sids = {tier: "QU" + f"{rng.getrandbits(128):032x}" for tier in (1, 2, 3)}
        waiting = 1
        for size in SIZES:
            add_waiting(app, first, size - waiting, waiting, rng, queue_sids)
            waiting = size
            requests = wait_requests(app, phone, first, rng, WARMUP + args.fetches)
            time_fetches(app, requests[:WARMUP])
            fetches_cpu: list[float] = []
            fetches = time_fetches(app, requests[WARMUP:], fetches_cpu)
            idle, _, idle_cpu, _ = time_passes(app, args.passes, 0, rng)
            busy, claims, claims_cpu, bridged = time_passes(app, args.passes, FREE_PER_PASS,
                                                            rng)
            if bridged != args.passes * FREE_PER_PASS:
                raise SystemExit(f"{bridged} callers bridged in {args.passes} passes, expected "
                                 f"{args.passes * FREE_PER_PASS}")
            results[size] = {"fetch": fetches, "fetch_cpu": fetches_cpu, "idle": idle,
                             "busy": busy, "claims": claims,
                             "idle_cpu": idle_cpu, "claims_cpu": claims_cpu}
            print(f"{size} waiting: seeded and measured at {time.monotonic() - started:.0f} s")
        app.extensions["engine"].dispose()
    report(results, started)
    return 0


def report(results: dict[int, dict[str, list[float]]], started: float) -> None:
    """The table of times by size, then the summary lines (the last: the waitUrl ratio)."""
    print(f"\n{'times in ms':44} {'waiting':>8} {'n':>5} {'median':>8} {'p90':>8} {'p99':>8}")
    rows = [("waitUrl fetch (POST /voice/queue/wait)", "fetch"),
            ("  the same, CPU time of the thread", "fetch_cpu"),
            ("routing pass, nobody free", "idle"),
            (f"routing pass, {FREE_PER_PASS} free, until committed", "claims"),
            ("  the same, CPU time of the thread", "claims_cpu"),
            ("routing pass, nobody free, CPU time", "idle_cpu"),
            (f"routing pass, {FREE_PER_PASS} free (Twilio mocked)", "busy")]
    for label, key in rows:
        for size in SIZES:
            values = results[size][key]
            print(f"{label:44} {size:>8} {len(values):>5} {statistics.median(values):8.2f} "
                  f"{p(values, 90):8.2f} {p(values, 99):8.2f}")
    small, large = (p(results[s]["fetch"], 99) for s in SIZES)
    routing = max(p(results[SIZES[-1]][k], 99) for k in ("idle", "claims"))
    whole = p(results[SIZES[-1]]["busy"], 99)
    print(f"\nwaitUrl p99 at {SIZES[0]} waiting: {small:.2f} ms")
    print(f"waitUrl p99 at {SIZES[-1]} waiting: {large:.2f} ms")
    print(f"routing pass p99 at {SIZES[-1]} waiting: {routing:.2f} ms (target < 10 ms; until "
          f"its claims are committed, the dequeues through Twilio after it: {whole:.2f} ms)")
    own = max(p(results[SIZES[-1]][k], 99) for k in ("idle_cpu", "claims_cpu"))
    print(f"routing pass p99 at {SIZES[-1]} waiting, CPU time of the thread: {own:.2f} ms "
          f"(the same span without the waits for a core; the load average tells them)")
    cpu_small, cpu_large = (p(results[s]["fetch_cpu"], 99) for s in SIZES)
    print(f"waitUrl p99 as CPU time of the thread: {cpu_small:.2f} ms at {SIZES[0]}, "
          f"{cpu_large:.2f} ms at {SIZES[-1]}: cpu ratio {cpu_large / cpu_small:.2f}")
    print(f"total run: {time.monotonic() - started:.0f} s")
    print(f"ratio: {large / small:.2f}")


if __name__ == "__main__":
    sys.exit(main())
