"""Analysts as the queues see them: the one module that changes an ``Agent``'s status.

    offline | on_break <-> available -> on_call -> wrap_up -> available
    (too many unanswered offers in a row: on_break)

Functions take a session and plain values and leave committing to the caller.

Logging in by phone takes the analyst's PIN, not caller ID alone: ``check_phone_pin`` counts
wrong PINs in a row, and ``PHONE_PIN_LOCK_AFTER`` of them lock phone login until the PIN is set
again (``set_phone_pin``, by an admin or the CLI).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Update, bindparam, select, union_all, update
from sqlalchemy.orm import Session

from tickets import pins
from tickets.models import Agent, OutboundCall
from tickets.statuses import AgentStatus

from . import lineup

# Built once (its SQL and cache key too). Every call's start asks it, and almost every caller
# is no analyst: the id alone, in Core; the analyst is loaded only when there is one.
_BY_PHONE = select(Agent.id).where(Agent.phone == bindparam("number"))


def set_agent_status(agent: Agent, status: str, now: datetime) -> None:
    """Change an agent's status (available, on_break, offline, on_call, wrap_up).
    Idle time counts from the end of the last call, or from going available."""
    if agent.status == status:
        return
    if status == AgentStatus.AVAILABLE and agent.status in (AgentStatus.OFFLINE,
                                                             AgentStatus.ON_BREAK):
        agent.no_answer_count = 0
    if status == AgentStatus.WRAP_UP or (status == AgentStatus.AVAILABLE and
                                         agent.status != AgentStatus.WRAP_UP):
        agent.idle_since = now
    agent.status = status
    agent.status_since = now


# Analysts whose wrap-up is over are available again (``set_agent_status``: their idle time
# counts from the end of the call, when the wrap-up began). As a CTE on PostgreSQL, the routing
# pass's read of the free analysts adds the ones it made available (its snapshot is before).
_WRAP_UPS_OVER = (update(Agent).where(Agent.status == AgentStatus.WRAP_UP,
                                      Agent.status_since <= bindparam("due"))
                  .values(status=AgentStatus.AVAILABLE, status_since=bindparam("now")))
_OVER = _WRAP_UPS_OVER.returning(Agent.id, Agent.tier, Agent.skills, Agent.idle_since).cte("over")
_ROUND_AFTER_WRAP_UPS = lineup.round_read(union_all(lineup.FREE, select(_OVER)).cte("free"))
# Elsewhere the round's read says whether any wrap-up is over; only then the UPDATE runs (it
# would change nothing otherwise: the usual case) and the round is read again.
_ROUND_AND_WRAP_UPS_DUE = lineup.round_read(lineup.FREE.cte("free"), lineup.WRAP_UPS_DUE)


def finish_wrap_ups(session: Session, now: datetime, wrap_up_seconds: int) -> lineup.Line:
    """Agents whose wrap-up time is over are available again; then the routing round's read
    (``lineup.read_line``): one statement on PostgreSQL; elsewhere one, or three when a
    wrap-up is over (read, UPDATE, read again). Runs on the session's connection: an
    ``Agent`` the session holds is not updated (expire it)."""
    session.flush()
    params = {"now": now, "due": now - timedelta(seconds=wrap_up_seconds)}
    if session.connection().dialect.name == "postgresql":
        return lineup.read_line(session, _ROUND_AFTER_WRAP_UPS, params)
    line = lineup.read_line(session, _ROUND_AND_WRAP_UPS_DUE, params)
    if not line.wrap_ups_over:
        return line
    session.connection().execute(_WRAP_UPS_OVER, params)
    return lineup.read_line(session, params=params)


def agent_for_phone(session: Session, number: str | None) -> Agent | None:
    """The analyst who calls from this number (to change their status by phone)."""
    if not number:
        return None
    found = session.connection().execute(_BY_PHONE, {"number": number}).scalar()
    return session.get(Agent, found) if found is not None else None


PHONE_PIN_LOCK_AFTER = 10  # wrong phone PINs in a row (over any number of calls)


def set_phone_pin(agent: Agent, pin: str) -> None:
    """Give the analyst a new phone-login PIN (4 to 8 digits; ValueError otherwise); a lock
    after wrong PINs ends with it."""
    agent.pin_hash = pins.hash_pin(pin)
    agent.pin_failures = 0
    agent.pin_failed_attempt = None


def phone_login_refused(agent: Agent) -> str | None:
    """Why the analyst cannot log in by phone now (no PIN set, or locked), or None."""
    if agent.pin_hash is None:
        return "no PIN is set"
    if agent.pin_failures >= PHONE_PIN_LOCK_AFTER:
        return f"locked after {agent.pin_failures} wrong PINs"
    return None


def check_phone_pin(agent: Agent, pin: str | None, attempt: str) -> bool:
    """Is this the analyst's PIN? A wrong one counts once per ``attempt`` (the call and its
    try: a repeated webhook counts nothing more); a right one clears the count."""
    if phone_login_refused(agent):
        return False
    if pins.pin_matches(agent.pin_hash, pin):
        agent.pin_failures, agent.pin_failed_attempt = 0, None
        if pins.needs_rehash(agent.pin_hash) and pin is not None:  # argon2 of before
            agent.pin_hash = pins.hash_pin(pin)
        return True
    if agent.pin_failed_attempt != attempt:
        agent.pin_failures += 1
        agent.pin_failed_attempt = attempt[:100]
    return False


def free_in_tier(session: Session, tier: int) -> Agent | None:
    """The available analyst of that tier who has waited longest for a call."""
    return session.scalar(select(Agent).where(Agent.status == AgentStatus.AVAILABLE,
                                              Agent.tier == tier)
                          .order_by(Agent.idle_since, Agent.id).limit(1))


def claim(session: Session, agent_id: int, now: datetime) -> bool:
    """Take a free analyst for a call, atomically (another worker may be taking them too)."""
    result = session.execute(
        update(Agent).where(Agent.id == agent_id, Agent.status == AgentStatus.AVAILABLE)
        .values(status=AgentStatus.ON_CALL, status_since=now))
    return bool(cast(CursorResult, result).rowcount)


def taking(ids: Any) -> Update:
    """The guarded UPDATE taking the free analysts among ``ids`` (a list, a bound parameter or
    a subquery) for a call, at the bound ``now``: RETURNING those taken."""
    return (update(Agent).where(Agent.id.in_(ids), Agent.status == AgentStatus.AVAILABLE)
            .values(status=AgentStatus.ON_CALL, status_since=bindparam("now"))
            .returning(Agent.id))


_TAKE = taking(bindparam("ids", expanding=True))


def take(session: Session, agent_ids: Sequence[int], now: datetime) -> set[int]:
    """``claim`` for a routing pass's analysts at once (one statement built once, on the
    session's connection): those taken. An ``Agent`` the session holds is not updated (expire
    it)."""
    if not agent_ids:
        return set()
    return set(session.connection().scalars(_TAKE, {"ids": list(agent_ids), "now": now}))


def free(session: Session, agent_id: int, now: datetime, only_on_call: bool = False) -> None:
    """The analyst was taken for a call that did not happen: available again."""
    query = update(Agent).where(Agent.id == agent_id)
    if only_on_call:
        query = query.where(Agent.status == AgentStatus.ON_CALL)
    session.execute(query.values(status=AgentStatus.AVAILABLE, status_since=now))


def release_callback_agent(session: Session, outbound: OutboundCall, now: datetime) -> None:
    """The callback did not reach the caller: the analyst is free, the place in line kept."""
    if outbound.agent_id is None:
        return
    free(session, outbound.agent_id, now, only_on_call=True)
    outbound.agent_id = None


def call_ended(agent: Agent, answered: bool, max_no_answer: int, now: datetime) -> None:
    """The analyst's leg of a call ended: wrap-up after a call; an offer they did not answer
    counts, and too many in a row put them on a break (like mod_callcenter's no-answer delay,
    they rest through a wrap-up before the next offer)."""
    set_agent_status(agent, AgentStatus.WRAP_UP, now)
    if answered:
        agent.no_answer_count = 0
        return
    agent.no_answer_count += 1
    if agent.no_answer_count >= max_no_answer:
        set_agent_status(agent, AgentStatus.ON_BREAK, now)
