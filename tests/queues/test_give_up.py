"""Callers ahead who give up: the line learns how often from its own recent waits, and a
caller behind them is told a shorter wait."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ivr.queues import lineup
from tickets.models import QueueEntry
from tickets.versions import live_policy

from ..conftest import MONDAY_10
from ..ivr.test_queue import add_agent


def finished(db, wait: float, status: str, minutes_ago: int) -> None:
    ended = MONDAY_10 - timedelta(minutes=minutes_ago)
    db.add(QueueEntry(status=status, consent=True, tier=1, rank=3, actual_wait=wait,
                      joined_at=ended - timedelta(seconds=wait), ended_at=ended))


def holding(db, rank: int, minutes_ago: int) -> QueueEntry:
    entry = QueueEntry(status="waiting", consent=True, tier=1, rank=rank,
                       queue_sid="QU" + "1" * 32,
                       joined_at=MONDAY_10 - timedelta(minutes=minutes_ago))
    db.add(entry)
    return entry


def test_the_rate_is_those_who_hung_up_over_the_seconds_held(db, demo):
    assert lineup.give_up_rate(db) == 0.0  # no history: nobody is taken to give up
    for i in range(3):
        finished(db, 100.0, "abandoned", minutes_ago=10 + i)
    for i in range(7):
        finished(db, 300.0, "done", minutes_ago=20 + i)
    db.add(QueueEntry(status="waiting", consent=True, tier=1, rank=3, joined_at=MONDAY_10))
    db.commit()
    assert lineup.give_up_rate(db) == pytest.approx(3 / 2400)


def test_a_caller_behind_callers_who_often_hang_up_is_told_a_shorter_wait(db, demo):
    add_agent(db, "Ann", tier=1, status="on_call")
    for minutes in (30, 25, 20, 15, 10):
        holding(db, rank=3, minutes_ago=minutes)
    me = holding(db, rank=3, minutes_ago=1)
    for i in range(20):
        finished(db, 300.0, "done", minutes_ago=40 + i)
    db.commit()
    pol = live_policy(db)
    place, patient = lineup.position_and_estimate(db, me, MONDAY_10, pol)
    assert place == 6
    for i in range(10):
        finished(db, 120.0, "abandoned", minutes_ago=35 + i)
    db.commit()
    again, told = lineup.position_and_estimate(db, me, MONDAY_10, pol)
    assert again == 6 and told < patient - 60
