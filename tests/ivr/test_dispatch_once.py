"""Exactly once: racing dispatchers, and a dispatcher that dies holding a lease."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
import time_machine
from sqlalchemy import insert, select

from ivr import scheduler
from ivr.outbound.pacing import RateLimiter
from tickets.models import OutboundCall
from tickets.versions import live_policy

from ..conftest import MONDAY_10, TEST_DATABASE_URL
from .test_outbound import CALLS, calls_page

on_postgresql = pytest.mark.skipif(
    not (TEST_DATABASE_URL or "").startswith("postgresql"),
    reason="several dispatchers share one database only on PostgreSQL (SKIP LOCKED); "
           "runs in the PostgreSQL pass of `make test`")


class CountingTwilio:
    """Twilio's Calls API, counting how often each booked call was dialled."""

    def __init__(self, rsps):
        self.lock = threading.Lock()
        self.dialled: Counter[str] = Counter()
        self.calls: list[dict] = []
        rsps.add_callback(responses.POST, CALLS, callback=self.create,
                          content_type="application/json")
        rsps.add_callback(responses.GET, CALLS, callback=self.list,
                          content_type="application/json")

    def create(self, request):
        form = parse_qs(request.body)
        booking = parse_qs(urlsplit(form["Url"][0]).query)["oc"][0]
        with self.lock:
            self.dialled[booking] += 1
            call = {"sid": f"CA{len(self.calls) + 1:032x}", "to": form["To"][0],
                    "from": form["From"][0], "status": "queued", "start_time": None,
                    "date_created": format_datetime(datetime.now(UTC), usegmt=True)}
            self.calls.append(call)
        return 201, {}, json.dumps(call)

    def list(self, request):
        return calls_page(self.calls, request)


@pytest.fixture
def twilio_counting():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield CountingTwilio(rsps)


def book(db, count: int, due: datetime) -> list[int]:
    """Due status calls to distinct (allowed) numbers, written as the web app writes them."""
    db.execute(insert(OutboundCall), [
        {"kind": "status_update", "to_number": f"+1202555{i:04d}", "due_at": due,
         "status": "pending", "created_at": due} for i in range(count)])
    db.commit()
    return list(db.scalars(select(OutboundCall.id)))


@on_postgresql
def test_two_dispatchers_racing_over_a_thousand_calls_place_each_once(app, db,
                                                                      twilio_counting):
    with time_machine.travel(MONDAY_10.replace(hour=15), tick=False):
        ids = book(db, 1000, datetime.now(UTC))
        # The claims alone, racing (as when the dialling lock changes hands mid-batch).
        dispatchers = [scheduler.make_dispatcher(app, owner=f"d{i}", concurrency=4, batch=40,
                                                 calls_per_second=100_000, dialling_lock=False)
                       for i in range(2)]
        handled = [0, 0]
        start = threading.Barrier(2)

        def run(i):
            start.wait()
            handled[i] = dispatchers[i].run_until_idle()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(twilio_counting.dialled) == sorted(str(i) for i in ids)
    assert set(twilio_counting.dialled.values()) == {1}
    assert sum(handled) == 1000 and min(handled) > 0  # both took a share
    rows = db.scalars(select(OutboundCall).execution_options(populate_existing=True)).all()
    assert {r.status for r in rows} == {"placed"}
    assert len({r.twilio_sid for r in rows}) == 1000


@pytest.mark.parametrize("twilio_got_the_call", [False, True])
def test_a_dispatcher_killed_holding_its_lease_is_recovered_without_a_duplicate(
        app, db, twilio_counting, twilio_got_the_call):
    with time_machine.travel(MONDAY_10.replace(hour=15), tick=False) as traveller:
        [booking] = book(db, 1, datetime.now(UTC))
        # (the lease alone: a dead scheduler's dialling lock goes with its connection)
        dead = scheduler.make_dispatcher(app, owner="dead", concurrency=1, dialling_lock=False)
        with app.app_context(), app.extensions["sessionmaker"]() as session:
            claims = dead.claim(session, datetime.now(UTC), live_policy(session))
            session.commit()
        assert [c.id for c in claims] == [booking]
        if twilio_got_the_call:  # it died after Twilio took the call, before recording it
            dead._limiter = RateLimiter(100)
            assert dead.dial(claims[0], 30).sid

        other = scheduler.make_dispatcher(app, owner="other", concurrency=1)
        assert other.run_until_idle() == 0  # the lease still holds
        traveller.shift(timedelta(seconds=121))  # the policy's lease is 120 s
        assert other.run_until_idle() == 1
        other.close()
    assert twilio_counting.dialled == Counter({str(booking): 1})
    row = db.get(OutboundCall, booking, populate_existing=True)
    assert row.status == "placed" and row.twilio_sid == twilio_counting.calls[0]["sid"]
    assert row.lease_owner is None


def test_a_callsid_clash_on_one_row_leaves_the_batchs_other_calls_recorded(
        app, db, twilio_counting):
    with time_machine.travel(MONDAY_10.replace(hour=15), tick=False):
        first, second = book(db, 2, datetime.now(UTC))
        # An older booking already holds the CallSid Twilio will give the second call.
        db.execute(insert(OutboundCall), [{"kind": "status_update", "to_number": "+12025559999",
                                           "status": "done", "twilio_sid": f"CA{2:032x}",
                                           "due_at": datetime.now(UTC)}])
        db.commit()
        dispatcher = scheduler.make_dispatcher(app, owner="d", concurrency=1)
        try:
            assert dispatcher.tick() == 2
        finally:
            dispatcher.close()
    rows = {r.id: r for r in db.scalars(select(OutboundCall)
                                        .execution_options(populate_existing=True))}
    assert (rows[first].status, rows[first].twilio_sid) == ("placed", f"CA{1:032x}")
    assert rows[second].status == "pending" and rows[second].twilio_sid is None
    assert rows[second].rest_failures == 1  # tried again later, looked up first
