"""The console, the JSON API and /metrics tell a team lead the same queue figures: one scenario
(callers holding, one still deciding, one being connected, callbacks pending in two tiers)
read through all three."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ivr.api.tokens import create_token
from tickets.models import Agent, OutboundCall, QueueEntry, ScriptVersion, Ticket

from ..api.test_metrics import samples
from ..conftest import MONDAY_10


def _ticket(db, number: str, tier: int) -> Ticket:
    ticket = Ticket(number=number, priority="regular_service", tier=tier, status="open")
    db.add(ticket)
    db.flush()
    return ticket


@pytest.fixture
def scenario(db, users, clock):
    """Tier 1: two callers holding, one still hearing the offer to hold, one who hung up.
    Tier 2: one caller being connected to Tess, one holding. Callbacks pending: three for
    tier 1 (one keeping a place in tier 1's queue, one booked by a tier-1 ticket's script, one
    with neither), one for tier 2 (its queue is tier 2 though its ticket is tier 1); one being
    dialled and one done (neither is pending)."""
    now = MONDAY_10
    bob = Agent(name="Busy Bob", tier=1, status="on_call", phone="+15550142009")
    db.add(bob)
    t1, t2 = _ticket(db, "30001", 1), _ticket(db, "30002", 1)
    db.add_all([
        QueueEntry(tier=1, rank=3, consent=True, priority="regular_service", ticket_id=t1.id,
                   caller_number="+12025550111", joined_at=now - timedelta(seconds=300)),
        QueueEntry(tier=1, rank=1, consent=True, priority="critical_situation",
                   caller_number="+12025550112", joined_at=now - timedelta(seconds=60)),
        QueueEntry(tier=1, rank=1, consent=False, caller_number="+12025550113",
                   joined_at=now - timedelta(seconds=10)),  # still deciding whether to hold
        QueueEntry(tier=1, status="abandoned", consent=True, joined_at=now),
        QueueEntry(tier=2, rank=2, consent=True, status="bridging", agent_id=users["tess"].id,
                   caller_number="+12025550114", joined_at=now - timedelta(seconds=120)),
        QueueEntry(tier=2, rank=3, consent=True, caller_number="+12025550115",
                   joined_at=now - timedelta(seconds=30)),
    ])
    in_line_1 = QueueEntry(tier=1, status="callback", consent=True, joined_at=now)
    in_line_2 = QueueEntry(tier=2, status="callback", consent=True, ticket_id=t2.id,
                           joined_at=now)
    db.add_all([in_line_1, in_line_2])
    db.flush()

    def callback(number: str, **kw) -> OutboundCall:
        return OutboundCall(kind="callback", to_number=number, due_at=now, **kw)

    db.add_all([
        callback("+12025550121", queue_entry_id=in_line_1.id),
        callback("+12025550122", ticket_id=t1.id),
        callback("+12025550123"),
        callback("+12025550124", queue_entry_id=in_line_2.id, ticket_id=t2.id),
        callback("+12025550125", ticket_id=t1.id, status="dialing"),
        callback("+12025550126", ticket_id=t1.id, status="done"),
    ])
    db.commit()


def _console(console, username: str) -> dict:
    console.login(username)
    live = console.get("/console/live.json").get_json()
    console.post("/logout")
    return live


def test_console_api_and_metrics_agree_on_the_queues(app, client, console, db, scenario):
    _row, token = create_token(db, "grafana", MONDAY_10)
    db.commit()
    auth = {"Authorization": f"Bearer {token}"}
    api = {t["tier"]: t for t in client.get("/api/v1/queues", headers=auth).json["tiers"]}
    metrics = samples(client.get("/metrics", headers=auth).get_data(as_text=True))

    def metric(name: str, tier: int) -> float:
        return metrics[(name, (("tier", str(tier)),))]

    # The figures themselves: who is waiting, best first, and the callbacks still to make.
    assert [c["caller"][-3:] for c in api[1]["waiting"]] == ["112", "111"]
    assert [c["state"] for c in api[2]["waiting"]] == ["connecting", "waiting"]
    assert [api[t]["callbacks_pending"] for t in (1, 2, 3)] == [3, 1, 0]

    lead = _console(console, "lead")
    assert lead["callbacks_pending"] == 4
    assert lead["callbacks_by_tier"] == {"1": 3, "2": 1}
    for tier, username in ((1, "ann"), (2, "tess")):
        mine = _console(console, username)
        in_tier = [w for w in lead["waiting"] if w["tier"] == tier]
        # Same callers, same order, same waits: the console, the API and /metrics.
        assert [w["caller"] for w in mine["waiting"]] == [w["caller"] for w in in_tier] \
            == [c["caller"] for c in api[tier]["waiting"]]
        assert [round(w["waited"]) for w in in_tier] \
            == [c["waited_seconds"] for c in api[tier]["waiting"]]
        assert len(in_tier) == len(api[tier]["waiting"]) == metric("helpdesk_queue_size", tier)
        assert max(w["waited"] for w in in_tier) \
            == metric("helpdesk_queue_longest_wait_seconds", tier)
        assert mine["callbacks_pending"] == lead["callbacks_by_tier"][str(tier)] \
            == api[tier]["callbacks_pending"] \
            == metric("helpdesk_queue_callbacks_pending", tier)
    assert metric("helpdesk_queue_size", 3) == 0 and api[3]["waiting"] == []


def test_reading_the_admin_pages_publishes_nothing(as_admin, db):
    listing = as_admin.get("/admin/scripts").get_data(as_text=True)
    assert "intake" in listing and "default" in listing  # the shipped ones, before any call
    assert "the shipped file, not yet published" in listing
    for page in ("/admin/scripts/script/intake", "/admin/scripts/policy/default",
                 "/admin/hours", "/admin/priority"):
        assert as_admin.get(page).status_code == 200, page
    assert "Thank you for calling {helpdesk}." in as_admin.get(
        "/admin/scripts/script/intake").get_data(as_text=True)  # shown from the shipped file
    assert db.scalar(select(func.count(ScriptVersion.id))) == 0
