"""The line as the pure core sees it: queue entries and analysts turned into routing values,
a caller's place in line and estimated wait, and the hold state of an entry. Reads only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from call_scripts.policy import HoldPolicy
from tickets.models import Agent, QueueEntry
from tickets.statuses import AgentStatus, QueueStatus

from . import agents, estimator, hold, routing

RECENT_HANDLES = 50  # handle times the wait estimate learns from


def tier_rules(pol: HoldPolicy) -> routing.TierRules:
    return routing.TierRules(tier_wait_seconds=pol.tier_wait_seconds,
                             multiply_by_level=pol.multiply_by_level,
                             skip_empty_tiers=pol.skip_empty_tiers)


def ts(at: datetime) -> float:
    return at.timestamp()


def as_waiting(entry: QueueEntry) -> routing.Waiting:
    return routing.Waiting(id=entry.id, rank=entry.rank, joined_at=ts(entry.joined_at),
                           tier=entry.tier, category=entry.category, kind=entry.kind)


def as_agent(agent: Agent) -> routing.Agent:
    return routing.Agent(id=agent.id, tier=agent.tier, skills=frozenset(agent.skills or ()),
                         status=agent.status, idle_since=ts(agent.idle_since))


def holding(session: Session) -> list[QueueEntry]:
    """Callers holding with consent, best first (priority, then time waited)."""
    return list(session.scalars(
        select(QueueEntry)
        .where(QueueEntry.status == QueueStatus.WAITING, QueueEntry.consent.is_(True))
        .order_by(QueueEntry.rank, QueueEntry.joined_at, QueueEntry.id)))


def position_and_estimate(session: Session, entry: QueueEntry, now: datetime,
                          pol: HoldPolicy) -> tuple[int, float]:
    """The caller's place among those the same agents serve, and the estimated wait (s)."""
    staff = agents.logged_in(session)
    t = ts(now)
    place, serving = routing.place_in_line(
        as_waiting(entry), [as_waiting(e) for e in holding(session)],
        [as_agent(a) for a in staff], t, tier_rules(pol))
    by_id = {a.id: a for a in staff}
    busy = [t - ts(by_id[a.id].status_since) for a in serving
            if a.status == AgentStatus.ON_CALL]
    wrapping = [max(0.0, pol.wrap_up_seconds - (t - ts(by_id[a.id].status_since)))
                for a in serving if a.status == AgentStatus.WRAP_UP]
    tiers = {a.tier for a in serving} or {entry.tier}
    handles = session.scalars(
        select(QueueEntry.handled_seconds)
        .where(QueueEntry.handled_seconds.is_not(None), QueueEntry.tier.in_(tiers))
        .order_by(QueueEntry.ended_at.desc()).limit(RECENT_HANDLES)).all()
    snapshot = estimator.Snapshot(
        position=place,
        free_agents=sum(1 for a in serving if a.status == AgentStatus.AVAILABLE),
        busy_elapsed=busy, handle_times=[float(h) for h in reversed(handles) if h is not None],
        wrap_up_seconds=float(pol.wrap_up_seconds), wrapping_remaining=wrapping)
    return place, estimator.estimate_wait(snapshot)


def hold_state(entry: QueueEntry) -> hold.HoldState:
    """What the entry remembers between hold passes, as the pure hold core reads it."""
    def when(at: datetime | None) -> float | None:
        return ts(at) if at else None

    return hold.HoldState(joined_at=ts(entry.joined_at), announced_wait=entry.announced_wait,
                          announced_at=when(entry.announced_at),
                          last_message_at=when(entry.last_message_at),
                          last_position_told=entry.last_position_told,
                          last_check_back_at=when(entry.last_check_back_at),
                          late_apologies=entry.late_apologies)
