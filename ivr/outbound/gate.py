"""What the dispatcher checks across a batch before it dials: numbers with a call under way, calls
already dialled today, and whether a row is a retry of today's call (exempt from the daily cap)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tickets.models import OutboundCall
from tickets.statuses import UNDER_WAY, OutboundStatus


def retry_of_today(row: OutboundCall, now: datetime) -> bool:
    """A retry of a call first dialled in the last day (it does not count again)."""
    return bool(row.attempts and row.placed_at and row.placed_at >= now - timedelta(days=1))


def ringing(session: Session, rows: Sequence[OutboundCall]) -> set[str]:
    """The numbers of the batch with another call under way."""
    numbers = {row.to_number for row in rows}
    if not numbers:
        return set()
    return set(session.scalars(
        select(OutboundCall.to_number).where(
            OutboundCall.to_number.in_(numbers),
            OutboundCall.status.in_(UNDER_WAY),
            OutboundCall.id.not_in([row.id for row in rows]))))


def dialled_today(session: Session, rows: Sequence[OutboundCall], now: datetime) -> Counter[str]:
    """Calls dialled in the last day to each number of the batch (other rows than these)."""
    numbers = {row.to_number for row in rows}
    if not numbers:
        return Counter()
    counts = session.execute(
        select(OutboundCall.to_number, func.count(OutboundCall.id))
        .where(OutboundCall.to_number.in_(numbers),
               OutboundCall.placed_at >= now - timedelta(days=1),
               or_(OutboundCall.attempts > 0, OutboundCall.status == OutboundStatus.DIALING),
               OutboundCall.id.not_in([row.id for row in rows]))
        .group_by(OutboundCall.to_number)).all()
    return Counter(dict(counts))
