"""How long the dispatcher takes to place 10,000 due calls, and whether any is placed twice.

A local stand-in for Twilio's REST API (an HTTP server on 127.0.0.1) answers every
`POST .../Calls.json` after 50 ms, as Twilio would with a new CallSid, and counts how many times
each booked call (the `oc` in the call's Url) was dialled. The real dispatcher
(`ivr.scheduler.make_dispatcher`) with the real twilio-python client places the calls;
only the client's base URL points at the stand-in. The live policy's calls-per-second limit is
respected: it is set by publishing a policy with `outbound.calls_per_second` (like an admin).

    python bench/dispatch.py [--calls 10000] [--cps 400] [--concurrency 48]
                             [--dispatchers 1] [--latency-ms 50] [--database-url URL]

--database-url DROPS EVERY TABLE of that database first (default: a fresh SQLite file).
--dispatchers N runs N dispatchers side by side (PostgreSQL only: SQLite allows one).

The last two lines printed are `10000 calls: N s` and `duplicates: N`.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import re
import secrets
import sys
import threading
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from step_cost import bench_database  # noqa: E402
from twilio.http.http_client import TwilioHttpClient  # noqa: E402
from twilio.rest import Client  # noqa: E402

from ivr import create_app, migrate  # noqa: E402
from ivr.scheduler import make_dispatcher  # noqa: E402
from tickets import versions as scripts  # noqa: E402
from tickets.db import make_engine  # noqa: E402
from tickets.models import OutboundCall  # noqa: E402

TWILIO = "https://api.twilio.com"


class StandIn(ThreadingHTTPServer):
    """Twilio's Calls API on localhost: a fixed latency, a fresh CallSid, a count per booking."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(self, latency: float):
        super().__init__(("127.0.0.1", 0), Handler)
        self.latency = latency
        self.dialled: Counter[str] = Counter()
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, as a real server's do
    server: StandIn

    def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        form = parse_qs(body)
        time.sleep(self.server.latency)
        booking = parse_qs(urlsplit(form.get("Url", [""])[0]).query).get("oc", ["?"])[0]
        with self.server.lock:
            self.server.dialled[booking] += 1
        reply = json.dumps({"sid": "CA" + secrets.token_hex(16), "status": "queued",
                            "to": form.get("To", [""])[0], "from": form.get("From", [""])[0],
                            "direction": "outbound-api"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def do_GET(self) -> None:  # noqa: N802
        """GET /dialled: how many times each booking was dialled (read after the run)."""
        with self.server.lock:
            reply = json.dumps(self.server.dialled).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass


def serve(latency: float, port: multiprocessing.Queue) -> None:
    """Run the stand-in in its own process, as Twilio runs on its own machines."""
    server = StandIn(latency)
    port.put(server.server_address[1])
    server.serve_forever()


class LocalTwilio(TwilioHttpClient):
    """twilio-python's own HTTP client, sending to the stand-in instead of api.twilio.com."""

    def __init__(self, base: str):
        super().__init__(pool_connections=True, timeout=15)
        self.base = base

    def request(self, method, url, *args, **kwargs):
        return super().request(method, url.replace(TWILIO, self.base), *args, **kwargs)


def bench_policy(cps: float) -> str:
    """The shipped policy with the bench's rate limit and calling allowed round the clock."""
    text = scripts.shipped("policy")["default"].read_text(encoding="utf-8")
    text = re.sub(r"quiet_hours: \"[^\"]+\"", 'quiet_hours: "00:00-24:00"', text)
    text = re.sub(r"calls_per_second: [\d.]+", f"calls_per_second: {cps}", text)
    return re.sub(r"max_calls_per_number_per_day: \d+", "max_calls_per_number_per_day: 10",
                  text)


def prepared_app(url: str, calls: int, cps: float) -> Flask:
    """The line on a migrated database with the bench's policy and ``calls`` due calls."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "PUBLIC_BASE_URL": "https://helpdesk.example",
                      "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "bench"})
    now = datetime.now(UTC)
    with Session(app.extensions["engine"]) as session:
        scripts.publish(session, "default", bench_policy(cps), "bench", "policy")
        session.execute(insert(OutboundCall), [
            {"kind": "status_update", "to_number": f"+1202555{i:04d}",
             "due_at": now - timedelta(seconds=1), "status": "pending", "created_at": now}
            for i in range(calls)])
        session.commit()
    return app


def run_all(dispatchers: list) -> float:
    """Every dispatcher dials until nothing is due; the seconds it took."""
    started = time.monotonic()
    threads = [threading.Thread(target=d.run_until_idle) for d in dispatchers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    for d in dispatchers:
        d.close()
    return elapsed


def report(app: Flask, base: str, calls: int, elapsed: float) -> int:
    """Rows placed, CallSids, calls the stand-in saw and duplicates; 0 when all went once."""
    with Session(app.extensions["engine"]) as session:
        placed = session.scalar(select(func.count()).where(OutboundCall.status == "placed"))
        sids = session.scalar(select(func.count(func.distinct(OutboundCall.twilio_sid))))
    app.extensions["engine"].dispose()
    with urllib.request.urlopen(f"{base}/dialled", timeout=10) as reply:
        dialled = json.load(reply)
    duplicates = sum(n - 1 for n in dialled.values() if n > 1)
    print(f"rows placed: {placed}; distinct CallSids recorded: {sids}; bookings dialled: "
          f"{len(dialled)}; achieved {calls / elapsed:.0f} calls/s")
    if placed != calls or len(dialled) != calls:
        print("NOT ALL CALLS WERE PLACED")
    print(f"{calls} calls: {elapsed:.1f} s")
    print(f"duplicates: {duplicates}")
    return 0 if placed == calls and duplicates == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--cps", type=float, default=400.0, help="calls per second limit")
    parser.add_argument("--concurrency", type=int, default=48, help="dialling threads")
    parser.add_argument("--dispatchers", type=int, default=1)
    parser.add_argument("--batch", type=int, default=300, help="rows claimed per pass")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--database-url", help="all its tables are dropped first; "
                        "default: a fresh SQLite file")
    args = parser.parse_args(argv)
    if args.calls > 10_000:
        parser.error("--calls: at most 10000 (one distinct number each, +1 202 555 xxxx)")

    logging.getLogger("ivr").setLevel(logging.WARNING)
    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(args.latency_ms / 1000, ports),
                                     daemon=True)
    server.start()
    base = f"http://127.0.0.1:{ports.get(timeout=10)}"
    try:
        with bench_database(args.database_url, "dispatch-") as url:
            app = prepared_app(url, args.calls, args.cps)
            backend = app.extensions["engine"].dialect.name
            if args.dispatchers > 1 and backend != "postgresql":
                parser.error("--dispatchers > 1 needs PostgreSQL")

            def client() -> Client:
                return Client("AC" + "0" * 32, "bench", http_client=LocalTwilio(base))

            # Each dispatcher dials its share of the rate; the dialling lock (one scheduler
            # dials at a time) would leave all but one idle.
            dispatchers = [make_dispatcher(app, owner=f"bench-{i}", client_factory=client,
                                           concurrency=args.concurrency, batch=args.batch,
                                           calls_per_second=args.cps / args.dispatchers,
                                           dialling_lock=False)
                           for i in range(args.dispatchers)]
            print(f"backend: {backend}; {args.calls} due calls; stand-in latency "
                  f"{args.latency_ms:.0f} ms; limit {args.cps:g} calls/s; {args.dispatchers} "
                  f"dispatcher(s) x {args.concurrency} threads, batches of {args.batch}")
            return report(app, base, args.calls, run_all(dispatchers))
    finally:
        server.terminate()


if __name__ == "__main__":
    sys.exit(main())
