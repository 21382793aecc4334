"""What the dispatcher did with each call it claimed, counted in the database (in the same
transaction as the row it settled), so /metrics on any web host shows every scheduler's
outcomes, restarts included: ``helpdesk_dispatcher_calls_total{kind, outcome}``."""

from __future__ import annotations

import importlib
from collections import Counter
from enum import StrEnum

from sqlalchemy import BigInteger, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from tickets.db import Base


class Outcome(StrEnum):
    PLACED = "placed"  # Twilio took the call
    ADOPTED = "adopted"  # found placed at Twilio after an interrupted request or a dead scheduler
    RETRIED = "retried"  # Twilio unreachable or busy (429, 5xx, timeout): tried again later
    FAILED = "failed"  # Twilio refused the call, or the retries ran out: given up
    REFUSED = "refused"  # the calling rules: a destination the line may not call
    CANCELED = "canceled"  # no longer needed (the ticket closed, status calls stopped)
    DEFERRED = "deferred"  # outside the callee's calling hours, or the number's daily cap


class DispatchOutcome(Base):
    """How many claimed calls of a kind ended a dispatch in each outcome, ever."""

    __tablename__ = "dispatch_outcome"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


def add(session: Session, counts: Counter[tuple[str, str]]) -> None:
    """Add these (kind, outcome) counts, in the caller's transaction."""
    if not counts:
        return
    # The database's own dialect only: a web worker on SQLite never loads PostgreSQL's.
    name = "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"
    dialect = importlib.import_module(f"sqlalchemy.dialects.{name}")
    table = DispatchOutcome.__table__
    for (kind, outcome), n in sorted(counts.items()):  # one order: no deadlock between two
        statement = dialect.insert(table).values(kind=kind, outcome=outcome, count=n)
        session.execute(statement.on_conflict_do_update(
            index_elements=[table.c.kind, table.c.outcome],
            set_={"count": table.c.count + statement.excluded.count}))


def totals(session: Session) -> dict[tuple[str, str], int]:
    return {(kind, outcome): n for kind, outcome, n in session.execute(
        select(DispatchOutcome.kind, DispatchOutcome.outcome, DispatchOutcome.count))}
