"""Putting waiting callers through to free analysts: claim the pairs routing chooses, then ask
Twilio's REST API to move each caller out of its queue to the bridge webhook.

No Flask: the caller of ``Router`` says which Twilio client to use and where the bridge webhook
is (a URL builder), so the scheduler, the CLI and the webhooks route the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from tickets import timeline
from tickets.models import Agent, OutboundCall, QueueEntry
from tickets.statuses import AgentStatus, OutboundStatus, QueueStatus
from tickets.versions import live_policy

from ..rest_errors import rest_errors
from . import agents, hold, service
from .lineup import routing_round, ts

if TYPE_CHECKING:
    from twilio.rest import Client

log = logging.getLogger(__name__)

# (queue entry id, agent id, attempt) -> the URL Twilio fetches; the attempt (when the caller
# was claimed) tells a second bridge to the same analyst from a repeat of the first.
BridgeUrl = Callable[[int, int, int], str]


@dataclass(frozen=True)
class Bridge:
    entry_id: int
    agent_id: int
    call_sid: str
    queue_sid: str
    attempt: int = 0  # when it was claimed (epoch seconds)


def claim_bridges(session: Session, now: datetime) -> list[Bridge]:
    """Pair waiting callers with free agents and claim each pair atomically, so that two
    workers never bridge one caller twice. The caller must commit before dequeuing."""
    pol = live_policy(session)
    line = agents.finish_wrap_ups(session, now, pol.wrap_up_seconds)
    if not line.free:
        return []  # the usual case while callers hold: no line read, nothing to route
    pairs, callbacks = routing_round(session, now, pol, line=line)
    for w, a in pairs:
        if w.id in callbacks:
            _reserve_for_callback(session, callbacks[w.id], w.id, a.id, now)
    # The callers and their analysts in one go; a caller whose analyst another worker took
    # first waits on at their place.
    claims = service.claim(session, [(w.id, a.id) for w, a in pairs if w.id not in callbacks],
                           now)
    bridges = []
    for claim in claims:
        if not claim.taken:
            service.unclaim(session, claim.entry_id)
            continue
        assert claim.queue_sid is not None  # read only for callers in Twilio's queue
        bridges.append(Bridge(claim.entry_id, claim.agent_id, claim.call_sid, claim.queue_sid,
                              int(ts(now))))
    if pairs:
        session.expire_all()  # the claims ran on the connection: what the session holds is stale
    return bridges


def _reserve_for_callback(session: Session, outbound_id: int, entry_id: int, agent_id: int,
                          now: datetime) -> None:
    """A callback's place in line came up: hold the analyst for it; the dispatcher dials."""
    if not agents.claim(session, agent_id, now):
        return
    result = session.execute(
        update(OutboundCall).where(OutboundCall.id == outbound_id,
                                   OutboundCall.agent_id.is_(None),
                                   OutboundCall.status == OutboundStatus.PENDING)
        .values(agent_id=agent_id, due_at=now))
    if not cast(CursorResult, result).rowcount:
        agents.free(session, agent_id, now)
        return
    agent = session.get(Agent, agent_id)
    entry = session.get(QueueEntry, entry_id)
    assert agent is not None and entry is not None
    timeline.record_event(session, "callback_ready", f"Callback's turn in line: {agent.name} "
                          f"(tier {agent.tier}) is reserved for it", ticket_id=entry.ticket_id,
                          call_id=entry.call_id, data={"agent_id": agent_id,
                                                       "outbound_call_id": outbound_id})


def bridge_failed(session: Session, bridge: Bridge, now: datetime, reason: str) -> None:
    """Dequeuing through Twilio failed: the caller keeps waiting, the agent is free again."""
    service.unclaim(session, bridge.entry_id)
    agents.free(session, bridge.agent_id, now)
    log.warning("bridging queue entry %s failed: %s", bridge.entry_id, reason)


@dataclass(frozen=True)
class Router:
    """Routes through one Twilio account, sending dequeued callers to ``bridge_url``.

    ``pool``: where the dequeue requests to Twilio run, side by side (None: one after another
    in the caller's thread). They are made after the claims are committed, never inside a
    transaction; what failed is put back in line from the caller's thread, in its session."""

    client: Callable[[], Client]
    bridge_url: BridgeUrl
    pool: Callable[[], Executor] | None = None

    def route_now(self, session: Session, now: datetime) -> int:
        """Bridge waiting callers to free agents through Twilio; returns how many.
        Commits: the claims are visible to every worker before Twilio is asked."""
        claims = claim_bridges(session, now)
        session.commit()
        return self._put_through(session, claims, now)

    def _put_through(self, session: Session, claims: list[Bridge], now: datetime) -> int:
        """Ask Twilio to move the callers claimed (and committed) to the bridge; a caller it
        would not move waits on, their analyst free again (committed). Returns how many."""
        if not claims:
            return 0
        failed = [(claim, why) for claim, why in zip(claims, self._dequeue_all(claims),
                                                     strict=True) if why is not None]
        for claim, why in failed:
            bridge_failed(session, claim, now, why)
        if failed:
            session.commit()
        return len(claims)

    def _dequeue_all(self, claims: list[Bridge]) -> list[str | None]:
        """Ask Twilio to move each claimed caller to the bridge; per claim, why it failed."""
        client = self.client()
        if self.pool is None or len(claims) == 1:
            return [self._dequeue(client, claim) for claim in claims]
        return list(self.pool().map(lambda claim: self._dequeue(client, claim), claims))

    def _dequeue(self, client: Client, claim: Bridge) -> str | None:
        try:
            client.queues(claim.queue_sid).members(claim.call_sid).update(
                url=self.bridge_url(claim.entry_id, claim.agent_id, claim.attempt),
                method="POST")
        except rest_errors() as exc:  # refused, or unreachable
            return str(exc) or type(exc).__name__
        return None

    def hold_pass(self, session: Session, entry: QueueEntry, queue_sid: str | None,
                  now: datetime) -> hold.HoldStep | None:
        """One fetch of the hold music: put the caller through if an analyst is free, else
        what they hear now. None: they are being put through."""
        service.note_queue(entry, queue_sid)
        if entry.status == QueueStatus.WAITING:
            claims = claim_bridges(session, now)
            if claims:  # committed before Twilio is asked; this caller may be among them
                session.commit()
                self._put_through(session, claims, now)
                session.refresh(entry)
            # Nobody claimed (the usual pass): nothing other workers must see before the
            # webhook commits what this pass wrote, with its answer, in this one transaction.
        if entry.status != QueueStatus.WAITING:
            return None
        return service.next_hold_step(session, entry, now)

    def agent_keyed(self, session: Session, agent: Agent, status: str, now: datetime) -> None:
        """An analyst changed their status by phone; one who is available takes calls now."""
        agents.set_agent_status(agent, status, now)
        log.info("agent %s is %s (by phone)", agent.id, status)
        if status == AgentStatus.AVAILABLE:
            self.route_now(session, now)
