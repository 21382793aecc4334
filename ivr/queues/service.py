"""The live queues: queue entries and agents in the database, decided by the pure core in
ivr.queues (routing, wait estimate, hold steps) and bridged through Twilio's REST API.

Functions take a session and plain values; the voice routes turn their answers into TwiML.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from tickets import bookings, timeline, versions
from tickets.models import Agent, Call, OutboundCall, QueueEntry, Ticket
from tickets.versions import live_policy

from .queues import estimator, hold, routing

log = logging.getLogger(__name__)

RECENT_HANDLES = 50


def tier_rules(pol: Any) -> routing.TierRules:
    return routing.TierRules(tier_wait_seconds=pol.tier_wait_seconds,
                             multiply_by_level=pol.multiply_by_level,
                             skip_empty_tiers=pol.skip_empty_tiers)


def _ts(at: datetime) -> float:
    return at.timestamp()


def as_waiting(entry: QueueEntry) -> routing.Waiting:
    return routing.Waiting(id=entry.id, rank=entry.rank, joined_at=_ts(entry.joined_at),
                           tier=entry.tier, category=entry.category, kind=entry.kind)


def as_agent(agent: Agent) -> routing.Agent:
    return routing.Agent(id=agent.id, tier=agent.tier, skills=frozenset(agent.skills or ()),
                         status=agent.status, idle_since=_ts(agent.idle_since))


def _event(session: Session, entry: QueueEntry, kind: str, text: str, **data: Any) -> None:
    timeline.record_event(session, kind, text, ticket_id=entry.ticket_id, call_id=entry.call_id,
                          data=data)


# ---- agents ---------------------------------------------------------------------------------

def set_agent_status(agent: Agent, status: str, now: datetime) -> None:
    """Change an agent's status (available, on_break, offline, on_call, wrap_up).
    Idle time counts from the end of the last call, or from going available."""
    if agent.status == status:
        return
    if status == "available" and agent.status in ("offline", "on_break"):
        agent.no_answer_count = 0
    if status == "wrap_up" or (status == "available" and agent.status != "wrap_up"):
        agent.idle_since = now
    agent.status = status
    agent.status_since = now


def finish_wrap_ups(session: Session, now: datetime, wrap_up_seconds: int) -> None:
    """Agents whose wrap-up time is over are available again."""
    due = now - timedelta(seconds=wrap_up_seconds)
    for agent in session.scalars(select(Agent).where(Agent.status == "wrap_up",
                                                     Agent.status_since <= due)):
        set_agent_status(agent, "available", now)


def agent_for_phone(session: Session, number: str | None) -> Agent | None:
    if not number:
        return None
    return session.scalar(select(Agent).where(Agent.phone == number))


# ---- joining the queue ----------------------------------------------------------------------

@dataclass(frozen=True)
class Arrival:
    """What happens to a caller the intake hands to the queues."""

    decision: str  # connect, ask_consent, after_hours, emergency, nobody
    entry: QueueEntry | None
    estimate: float = 0.0
    position: int = 0
    next_opening: datetime | None = None


def _main_ticket(session: Session, call: Call) -> Ticket | None:
    tickets = session.scalars(select(Ticket).where(Ticket.call_id == call.id)).all()
    if not tickets:  # an outbound call is about the ticket it was placed for
        return session.scalar(select(Ticket).join(OutboundCall,
                                                  OutboundCall.ticket_id == Ticket.id)
                              .where(OutboundCall.twilio_sid == call.sid))
    script = versions.script_for_call(session, call.script_version_id, call.script_digest)
    labels = script.priority.labels if script.priority else {}
    return min(tickets, key=lambda t: (labels[t.priority].rank if t.priority in labels else 9,
                                       t.id))


def rank_of(session: Session, call: Call, label: str | None) -> int:
    script = versions.script_for_call(session, call.script_version_id, call.script_digest)
    if script.priority and label in script.priority.labels:
        return script.priority.labels[label].rank
    return 9


def arrive(session: Session, call: Call, now: datetime) -> Arrival:
    """A caller finished intake: open hours? anyone staffed? a free agent? else consent."""
    pol = live_policy(session)
    ticket = _main_ticket(session, call)
    label = ticket.priority if ticket else None
    if not pol.is_within_hours(now):
        if pol.hours and label in pol.hours.emergency_labels:
            timeline.record_event(session, "emergency", "After hours: put through to the "
                                  "engineer on call", ticket_id=ticket.id if ticket else None,
                                  call_id=call.id)
            return Arrival("emergency", None)
        return Arrival("after_hours", _entry_for(session, call, ticket, now, pol, "after_hours"),
                       next_opening=pol.next_opening(now))
    entry = _entry_for(session, call, ticket, now, pol, "waiting")
    agents = session.scalars(select(Agent).where(Agent.status != "offline")).all()
    if not agents:
        entry.status = "nobody"
        return Arrival("nobody", entry, next_opening=None)
    position, estimate = position_and_estimate(session, entry, now, pol)
    if estimate <= 0:
        entry.consent = True
        _event(session, entry, "queued", f"Queued for tier {entry.tier}: an analyst is free",
               tier=entry.tier)
        return Arrival("connect", entry, 0.0, position)
    return Arrival("ask_consent", entry, estimate, position)


def _entry_for(session: Session, call: Call, ticket: Ticket | None, now: datetime, pol: Any,
               status: str) -> QueueEntry:
    """The call's queue entry; a caller who hung up recently gets their old place back."""
    entry = session.scalar(select(QueueEntry).where(QueueEntry.call_id == call.id))
    if entry is not None:
        return entry
    category = ticket.category if ticket else None
    label = ticket.priority if ticket else None
    # The tier the ticket's priority (or an escalation) set, or higher where a routing rule
    # of the policy says so.
    tier = max(pol.start_tier(label or "", category), ticket.tier if ticket else 1)
    entry = QueueEntry(call_id=call.id, ticket_id=ticket.id if ticket else None,
                       caller_number=call.from_number, status=status, tier=tier,
                       rank=rank_of(session, call, label),
                       priority=label, category=category, language=call.language,
                       joined_at=now)
    window = now - timedelta(seconds=pol.resume_within_seconds)
    earlier = session.scalar(
        select(QueueEntry)
        .where(QueueEntry.caller_number == call.from_number, QueueEntry.caller_number.is_not(None),
               QueueEntry.status == "abandoned", QueueEntry.ended_at >= window)
        .order_by(QueueEntry.ended_at.desc()).limit(1))
    if earlier is not None:
        entry.joined_at = earlier.joined_at
        earlier.status = "resumed"
    session.add(entry)
    session.flush()
    if earlier is not None:
        _event(session, entry, "queued", "Caller called back and resumed their place in line "
               f"(first joined {earlier.joined_at:%H:%M:%S} UTC)", resumed_from=earlier.id)
    return entry


def _waiting_entries(session: Session) -> list[QueueEntry]:
    """Callers holding with consent, best first (priority, then time waited)."""
    return list(session.scalars(
        select(QueueEntry)
        .where(QueueEntry.status == "waiting", QueueEntry.consent.is_(True))
        .order_by(QueueEntry.rank, QueueEntry.joined_at, QueueEntry.id)))


def position_and_estimate(session: Session, entry: QueueEntry, now: datetime,
                          pol: Any) -> tuple[int, float]:
    """The caller's place among those the same agents serve, and the estimated wait (s)."""
    agents = session.scalars(select(Agent).where(Agent.status != "offline")).all()
    t = _ts(now)
    place, serving = routing.place_in_line(
        as_waiting(entry), [as_waiting(e) for e in _waiting_entries(session)],
        [as_agent(a) for a in agents], t, tier_rules(pol))
    by_id = {a.id: a for a in agents}
    busy = [t - _ts(by_id[a.id].status_since) for a in serving if a.status == "on_call"]
    wrapping = [max(0.0, pol.wrap_up_seconds - (t - _ts(by_id[a.id].status_since)))
                for a in serving if a.status == "wrap_up"]
    tiers = {a.tier for a in serving} or {entry.tier}
    handles = session.scalars(
        select(QueueEntry.handled_seconds)
        .where(QueueEntry.handled_seconds.is_not(None), QueueEntry.tier.in_(tiers))
        .order_by(QueueEntry.ended_at.desc()).limit(RECENT_HANDLES)).all()
    snapshot = estimator.Snapshot(
        position=place, free_agents=sum(1 for a in serving if a.status == "available"),
        busy_elapsed=busy, handle_times=[float(h) for h in reversed(handles)],
        wrap_up_seconds=float(pol.wrap_up_seconds), wrapping_remaining=wrapping)
    return place, estimator.estimate_wait(snapshot)


def give_consent(session: Session, entry: QueueEntry, estimate: float, now: datetime,
                 implied: bool = False) -> None:
    """The caller holds: by pressing 1, or (implied) by staying on without answering."""
    if entry.consent:
        return
    pol = live_policy(session)
    position, _ = position_and_estimate(session, entry, now, pol)
    entry.consent = True
    entry.status = "waiting"
    if hold.should_tell_position(pol, position):
        entry.last_position_told = position  # said with the offer to hold
    announce(session, entry, estimate, now)
    _event(session, entry, "hold_consent", "Caller stayed on the line without answering the "
           "offer three times: kept on hold" if implied else "Caller agreed to hold")


def announce(session: Session, entry: QueueEntry, estimate: float, now: datetime) -> None:
    """Record an announced estimate (every one is kept to measure accuracy)."""
    entry.announced_wait = estimate
    entry.announced_at = now
    entry.last_message_at = now
    _event(session, entry, "estimate", f"Estimated wait announced: {round(estimate / 60)} min",
           estimate=estimate)


# ---- holding --------------------------------------------------------------------------------

def hold_state(entry: QueueEntry) -> hold.HoldState:
    def ts(at: datetime | None) -> float | None:
        return _ts(at) if at else None

    return hold.HoldState(joined_at=_ts(entry.joined_at), announced_wait=entry.announced_wait,
                          announced_at=ts(entry.announced_at),
                          last_message_at=ts(entry.last_message_at),
                          last_position_told=entry.last_position_told,
                          last_check_back_at=ts(entry.last_check_back_at),
                          late_apologies=entry.late_apologies)


def next_hold_step(session: Session, entry: QueueEntry, now: datetime) -> hold.HoldStep:
    """What the caller hears on this pass of the hold loop (and remember it on the entry)."""
    pol = live_policy(session, entry.tier)
    position, estimate = position_and_estimate(session, entry, now, pol)
    step, state = hold.next_hold_step(pol, hold_state(entry), _ts(now), position, estimate)

    def dt(ts: float | None) -> datetime | None:
        return datetime.fromtimestamp(ts, tz=now.tzinfo) if ts is not None else None

    entry.announced_wait = state.announced_wait
    entry.announced_at = dt(state.announced_at)
    entry.last_message_at = dt(state.last_message_at)
    entry.last_position_told = state.last_position_told
    entry.last_check_back_at = dt(state.last_check_back_at)
    entry.late_apologies = state.late_apologies
    if step.kind == "check_back":
        _event(session, entry, "check_back", "Checked back with the holding caller")
    elif step.kind == "late":
        _event(session, entry, "late_apology",
               f"Wait longer than announced: apologised, new estimate "
               f"{round((step.new_estimate or 0) / 60)} min, callback offered",
               estimate=step.new_estimate)
    elif step.kind == "position":
        _event(session, entry, "position", f"Position announced: {step.position}",
               position=step.position)
    elif step.kind == "max_wait":
        _event(session, entry, "max_wait", "Maximum wait reached: callback or voicemail offered")
    return step


# ---- routing and bridging -------------------------------------------------------------------

@dataclass(frozen=True)
class Bridge:
    entry_id: int
    agent_id: int
    call_sid: str
    queue_sid: str


def claim_bridges(session: Session, now: datetime) -> list[Bridge]:
    """Pair waiting callers with free agents and claim each pair atomically, so that two
    workers never bridge one caller twice. The caller must commit before dequeuing."""
    pol = live_policy(session)
    finish_wrap_ups(session, now, pol.wrap_up_seconds)
    session.flush()
    callbacks = _callbacks_in_line(session, now)
    waiting = sorted([e for e in _waiting_entries(session) if e.queue_sid]
                     + [entry for entry, _ in callbacks.values()],
                     key=lambda e: (e.rank, e.joined_at, e.id))
    if not waiting:
        return []
    agents = session.scalars(select(Agent).where(Agent.status != "offline")).all()
    pairs = routing.assign([as_waiting(e) for e in waiting], [as_agent(a) for a in agents],
                           _ts(now), tier_rules(pol), presorted=True)
    by_id = {e.id: e for e in waiting}
    claimed = []
    for w, a in pairs:
        if w.id in callbacks:
            entry, outbound = callbacks[w.id]
            _reserve_for_callback(session, outbound, entry, a.id, now)
            continue
        got_entry = session.execute(
            update(QueueEntry).where(QueueEntry.id == w.id, QueueEntry.status == "waiting")
            .values(status="bridging", agent_id=a.id, bridging_at=now)).rowcount
        if not got_entry:
            continue
        got_agent = session.execute(
            update(Agent).where(Agent.id == a.id, Agent.status == "available")
            .values(status="on_call", status_since=now)).rowcount
        if not got_agent:
            session.execute(update(QueueEntry).where(QueueEntry.id == w.id)
                            .values(status="waiting", agent_id=None, bridging_at=None))
            continue
        entry = by_id[w.id]
        call = session.get(Call, entry.call_id)
        claimed.append(Bridge(entry.id, a.id, call.sid, entry.queue_sid))
    session.expire_all()
    return claimed


def _callbacks_in_line(session: Session,
                       now: datetime) -> dict[int, tuple[QueueEntry, OutboundCall]]:
    """Callback requests holding a place in line whose time has come, by queue entry id
    (their entries keep the caller's original join time)."""
    rows = session.execute(
        select(QueueEntry, OutboundCall)
        .join(OutboundCall, OutboundCall.queue_entry_id == QueueEntry.id)
        .where(QueueEntry.status == "callback", OutboundCall.kind == "callback",
               OutboundCall.status == "pending", OutboundCall.agent_id.is_(None),
               OutboundCall.due_at <= now)).all()
    return {entry.id: (entry, outbound) for entry, outbound in rows}


def _reserve_for_callback(session: Session, outbound: OutboundCall, entry: QueueEntry,
                          agent_id: int, now: datetime) -> None:
    """A callback's place in line came up: hold the analyst for it; the dispatcher dials."""
    got_agent = session.execute(
        update(Agent).where(Agent.id == agent_id, Agent.status == "available")
        .values(status="on_call", status_since=now)).rowcount
    if not got_agent:
        return
    got_call = session.execute(
        update(OutboundCall).where(OutboundCall.id == outbound.id,
                                   OutboundCall.agent_id.is_(None),
                                   OutboundCall.status == "pending")
        .values(agent_id=agent_id, due_at=now)).rowcount
    if not got_call:
        session.execute(update(Agent).where(Agent.id == agent_id)
                        .values(status="available", status_since=now))
        return
    agent = session.get(Agent, agent_id)
    _event(session, entry, "callback_ready", f"Callback's turn in line: {agent.name} "
           f"(tier {agent.tier}) is reserved for it", agent_id=agent_id,
           outbound_call_id=outbound.id)


def release_callback_agent(session: Session, outbound: OutboundCall, now: datetime) -> None:
    """The callback did not reach the caller: the analyst is free, the place in line kept."""
    if outbound.agent_id is None:
        return
    session.execute(update(Agent).where(Agent.id == outbound.agent_id,
                                        Agent.status == "on_call")
                    .values(status="available", status_since=now))
    outbound.agent_id = None


def bridge_failed(session: Session, bridge: Bridge, now: datetime, reason: str) -> None:
    """Dequeuing through Twilio failed: the caller keeps waiting, the agent is free again."""
    session.execute(update(QueueEntry).where(QueueEntry.id == bridge.entry_id)
                    .values(status="waiting", agent_id=None, bridging_at=None))
    session.execute(update(Agent).where(Agent.id == bridge.agent_id)
                    .values(status="available", status_since=now))
    log.warning("bridging queue entry %s failed: %s", bridge.entry_id, reason)


def bridged(session: Session, entry: QueueEntry, agent: Agent, now: datetime) -> None:
    """The analyst took the call: the wait is measured, and the analyst holds the caller's
    tickets that nobody holds yet."""
    entry.actual_wait = (now - entry.joined_at).total_seconds()
    held = [Ticket.id == entry.ticket_id] if entry.ticket_id else []
    if entry.call_id:
        held.append(Ticket.call_id == entry.call_id)
    if held:
        session.execute(update(Ticket).where(or_(*held), Ticket.agent_id.is_(None))
                        .values(agent_id=agent.id))
    _event(session, entry, "bridged", f"Connected to {agent.name} (tier {agent.tier}) after "
           f"{round(entry.actual_wait)} s", agent_id=agent.id, actual_wait=entry.actual_wait,
           announced_wait=entry.announced_wait)


def dial_result(session: Session, entry: QueueEntry, agent: Agent, status: str,
                duration: int | None, now: datetime) -> bool:
    """The agent's leg ended. Returns True when the caller goes back in line."""
    pol = live_policy(session)
    if status == "completed":
        entry.status = "done"
        entry.outcome = "answered"
        entry.ended_at = now
        entry.handled_seconds = duration
        set_agent_status(agent, "wrap_up", now)
        agent.no_answer_count = 0
        return False
    agent.no_answer_count += 1
    # Like mod_callcenter's no-answer delay: rest through a wrap-up before the next offer.
    set_agent_status(agent, "wrap_up", now)
    if agent.no_answer_count >= pol.max_no_answer:
        set_agent_status(agent, "on_break", now)
    _event(session, entry, "agent_no_answer",
           f"{agent.name} did not answer ({status}); caller back in line at their place",
           agent_id=agent.id, status=status)
    entry.status = "waiting"
    entry.agent_id = None
    entry.bridging_at = None
    return True


def leave(session: Session, entry: QueueEntry, result: str, position: int | None,
          now: datetime) -> str:
    """The caller left Twilio's queue (QueueResult). Returns what to do next."""
    if result == "hangup":
        if entry.status in ("waiting", "bridging"):
            entry.status = "abandoned"
            entry.ended_at = now
            entry.actual_wait = (now - entry.joined_at).total_seconds()
            entry.position_at_end = position
            _event(session, entry, "abandoned",
                   f"Caller hung up while waiting (position {position or '?'}, "
                   f"{round(entry.actual_wait)} s)", position=position,
                   wait=entry.actual_wait)
        return "hangup"
    if result == "leave":
        return entry.intent or "callback"
    if result in ("queue-full", "error", "system-error"):
        return "callback"
    return "none"


def request_callback(session: Session, entry: QueueEntry, number: str, due: datetime,
                     window_end: datetime | None, now: datetime) -> OutboundCall:
    """Book the callback (exactly once per queue entry); it keeps the caller's place in line."""
    existing = session.scalar(select(OutboundCall).where(
        OutboundCall.queue_entry_id == entry.id, OutboundCall.kind == "callback"))
    if existing is not None:
        return existing
    pol = live_policy(session, entry.tier)
    if not pol.is_within_hours(due):
        due = pol.next_opening(due)  # never call back outside opening hours
    outbound = bookings.schedule_callback(session, ticket_id=entry.ticket_id, number=number,
                                          language=entry.language, due=due,
                                          window_end=window_end,
                                          place_joined_at=entry.joined_at)
    assert outbound is not None
    outbound.queue_entry_id = entry.id
    entry.status = "callback"
    entry.kind = "callback"
    entry.callback_number = number
    entry.ended_at = now
    return outbound


def later_slot(pol: Any, now: datetime) -> datetime:
    """The callback slot offered besides "as soon as possible": the next whole hour at
    least an hour away, within opening hours."""
    slot = (now + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    return slot if pol.is_within_hours(slot) else pol.next_opening(slot)
