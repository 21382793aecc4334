"""A turn is computed before the write lock is taken (issue 13): a copy of the same request
that lands meanwhile (Twilio retrying a slow step) is not applied a second time; the turn
is taken again from the call as it is then, and both copies are answered alike."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from ivr.voice import calls
from tickets.models import Call, TicketEvent

# The problem, as the caller says it and as Twilio posts it (each copy the same).
ANSWER = {"SpeechResult": "The printer jams on every page", "Confidence": "0.92"}


def timeline_lines(db, call_id: int) -> list[tuple[str, str | None]]:
    return [(e.text, e.step) for e in db.scalars(
        select(TicketEvent).where(TicketEvent.call_id == call_id).order_by(TicketEvent.id))]


def test_a_copy_applied_while_a_turn_was_computed_is_applied_once(call, db, monkeypatch):
    caller = call(from_="+12025550147")
    caller.press("1")  # English: the first question (a ticket's status, or the problem)
    prompt = caller.prompt
    assert prompt is not None
    row = db.scalars(select(Call).where(Call.sid == caller.call_sid)).one()
    turn_before, lines_before = row.turn, len(timeline_lines(db, row.id))

    copies: list[tuple[int, str]] = []
    raced: list[bool] = []
    start_writing = calls.begin_writing

    def a_copy_lands_first(session):
        # The first copy has read the call and computed its turn; before it writes, Twilio's
        # retry of the very same request is answered in full.
        # (Sent from a thread of its own, as from another worker: its own request context.)
        if not raced:
            raced.append(True)
            copy = threading.Thread(target=lambda: copies.append(
                caller.post(prompt.action, {**caller.params, **ANSWER})))
            copy.start()
            copy.join()
        start_writing(session)

    monkeypatch.setattr(calls, "begin_writing", a_copy_lands_first)
    caller.speak(ANSWER["SpeechResult"], confidence=float(ANSWER["Confidence"]))  # the problem
    heard_first = caller.text

    assert copies and copies[0][0] == 200
    assert "name" in heard_first.lower()  # the next prompt: the caller's name
    status, body = caller.post(prompt.action, {**caller.params, **ANSWER})
    assert status == 200 and body == copies[0][1]  # every copy answered alike
    db.expire_all()
    row = db.scalars(select(Call).where(Call.sid == caller.call_sid)).one()
    assert row.turn == turn_before + 1  # the turn applied once
    lines = timeline_lines(db, row.id)
    added = lines[lines_before:]
    assert added and len(added) == len(set(added))  # the caller's answer logged once
    assert db.scalar(select(func.count()).select_from(TicketEvent)
                     .where(TicketEvent.call_id == row.id)) == len(lines)
