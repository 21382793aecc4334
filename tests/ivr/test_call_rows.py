"""A call's row, its start and its end: written once each, whichever webhook comes first, and
whatever the first turn asks of the desk."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.voice import effects
from tickets import outbox
from tickets.db import utcnow
from tickets.models import Call, TicketEvent
from tickets.outbox import OutboxEvent, Topic

from ..conftest import AUTH_TOKEN, PUBLIC_BASE_URL, Caller

ALICE = "+15551230001"  # the demo's Alice: on file, her first turn looks her up


def events_of(db, topic: Topic) -> list[OutboxEvent]:
    return list(db.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic)))


def call_row(db, caller: Caller) -> Call:
    db.expire_all()
    call = db.scalar(select(Call).where(Call.sid == caller.params["CallSid"]))
    assert call is not None
    return call


def lines_of(db, call: Call) -> list[TicketEvent]:
    return list(db.scalars(select(TicketEvent).where(TicketEvent.call_id == call.id)
                           .order_by(TicketEvent.id)))


@pytest.mark.parametrize("row_first", [False, True], ids=["as the turn ends", "row first"])
def test_a_new_calls_row_holds_its_first_turn_and_its_start_is_told_once(
        db, demo, call, monkeypatch, row_first):
    if row_first:  # as if the lookup needed the call's row: written before it, then updated
        monkeypatch.setattr(effects, "ROWLESS", frozenset())
    caller = call(from_=ALICE).hears("Alice")
    row = call_row(db, caller)
    assert (row.turn, row.direction, row.from_number, row.status) == (0, "inbound", ALICE,
                                                                      "in-progress")
    assert row.customer_id is not None and row.state is not None
    assert row.script_version_id is not None and row.script_digest
    assert row.last_response and "Alice" in row.last_response and row.language == "en-US"
    lines = lines_of(db, row)
    assert lines[0].text == "Inbound call answered" and lines[0].data == {"from": ALICE}
    started = events_of(db, Topic.CALL_STARTED)
    assert [(e.key, e.data) for e in started] == [(f"cti:{row.sid}:started",
                                                   {"call_id": row.id})]


def test_a_status_callback_before_the_call_makes_its_row_and_the_call_answers_on_it(
        db, demo, client):
    def transport(url, params, headers):
        response = client.post(url[len(PUBLIC_BASE_URL):], data=params, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    caller = Caller(transport, PUBLIC_BASE_URL, AUTH_TOKEN, from_=ALICE)
    assert caller.status("ringing", sequence=0)[0] == 200
    early = call_row(db, caller)
    assert (early.status, early.status_seq, early.turn, early.state) == ("ringing", 0, 0, None)
    caller.dial().hears("Alice")
    row = call_row(db, caller)
    assert row.id == early.id and row.state is not None and row.customer_id is not None
    assert len(events_of(db, Topic.CALL_STARTED)) == 1
    assert [line.text for line in lines_of(db, row)][0] == "Inbound call answered"


def test_the_calls_end_is_recorded_once_and_later_callbacks_change_nothing(db, demo, call):
    caller = call(from_=ALICE)
    assert caller.status("in-progress", sequence=1)[0] == 200
    assert caller.status("completed", sequence=3, duration=42)[0] == 200
    assert caller.status("ringing", sequence=2)[0] == 200  # late: changes nothing
    assert caller.status("completed", sequence=4, duration=99)[0] == 200  # after the end
    row = call_row(db, caller)
    assert (row.status, row.status_seq, row.duration) == ("completed", 3, 42)
    assert row.ended_at is not None
    ended = events_of(db, Topic.CALL_ENDED)
    assert [(e.key, e.data) for e in ended] == [
        (f"cti:{row.sid}:ended", {"call_id": row.id, "status": "completed"})]
    assert [line.text for line in lines_of(db, row)][-1] == "Call ended: completed, 42 s"


def test_an_event_with_a_key_is_added_once_after_those_the_session_holds(db):
    now = utcnow()
    outbox.publish(db, Topic.CALL_ANSWERED, now=now, key="first", call_id=1)  # not flushed
    assert outbox.add_event(db, Topic.CALL_ENDED, now=now, key="second", call_id=1)
    assert not outbox.add_event(db, Topic.CALL_ENDED, now=now, key="second", call_id=2)
    assert not outbox.add_event(db, Topic.CALL_ANSWERED, now=now, key="first", call_id=3)
    assert outbox.add_event(db, Topic.CALL_STARTED, now=now, call_id=4)  # no key: always
    db.commit()
    rows = db.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
    assert [(e.key, e.data) for e in rows] == [("first", {"call_id": 1}),
                                               ("second", {"call_id": 1}),
                                               (None, {"call_id": 4})]
