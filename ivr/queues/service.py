"""The live queues: the one module that changes a ``QueueEntry``'s status.

    waiting -> bridging (claimed for an analyst) -> done | waiting (the analyst did not answer,
               or a cold escalation sent the caller to the next tier's line)
    waiting -> abandoned (hung up) -> resumed (rang back in time and took the place again)
    waiting -> callback (keeps the place in line: ``callbacks``) | voicemail
    after_hours, nobody: arrived when nobody could answer

Decisions come from the pure core (routing, estimator, hold); functions take a session and
plain values and leave committing to the caller. The voice webhooks turn answers into TwiML.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import (
    BindParameter,
    Executable,
    Select,
    Update,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from call_scripts.policy import HoldPolicy
from tickets import outbox, phones, timeline, versions
from tickets.models import Agent, Call, OutboundCall, QueueEntry, Ticket
from tickets.outbox import Topic
from tickets.statuses import CallStatus, QueueStatus
from tickets.versions import live_policy

from . import agents, hold
from .lineup import (
    hold_state,
    position_and_estimate,
    position_in_line,
    put_through,
    read_line,
    ts,
)

log = logging.getLogger(__name__)

UNRANKED = 9  # a ticket whose label the script does not rank waits behind every ranked one

# An arrival's statements, built once (their SQL and cache keys too): it binds values only.
_CALL_TICKETS = select(Ticket).where(Ticket.call_id == bindparam("call"))
_CALLED_FOR = (select(Ticket).join(OutboundCall, OutboundCall.ticket_id == Ticket.id)
               .where(OutboundCall.twilio_sid == bindparam("sid")))
# The call's own entry (a repeat arrival), else the place of the caller who hung up recently
# (``resume_within_seconds``): their ids, in one statement (usually none of either).
_OWN = "own"
_CALL_ENTRY = select(QueueEntry.id, literal(_OWN).label("which")).where(
    QueueEntry.call_id == bindparam("call"))
_LEFT_RECENTLY = (select(QueueEntry.id, literal("left").label("which"))
                  .where(QueueEntry.caller_number == bindparam("number"),
                         QueueEntry.caller_number.is_not(None),
                         QueueEntry.status == QueueStatus.ABANDONED,
                         QueueEntry.ended_at >= bindparam("since"))
                  .order_by(QueueEntry.ended_at.desc()).limit(1))
_ENTRY_OR_PLACE = union_all(_CALL_ENTRY, select(_LEFT_RECENTLY.subquery()))


def record(session: Session, entry: QueueEntry, kind: str, text: str, **data: Any) -> None:
    """A line on the timeline of the entry's ticket and call."""
    timeline.record_event(session, kind, text, ticket_id=entry.ticket_id, call_id=entry.call_id,
                          data=data)


# ---- joining the queue ----------------------------------------------------------------------

@dataclass(frozen=True)
class Arrival:
    """What happens to a caller the intake hands to the queues."""

    decision: str  # connect, ask_consent, after_hours, emergency, nobody
    entry: QueueEntry | None
    estimate: float = 0.0
    position: int = 0
    next_opening: datetime | None = None


def priority_ranks(session: Session, call: Call) -> dict[str, int]:
    """The rank of each priority label in the script the call runs."""
    if call.script_version_id is None:
        return {}
    script = versions.script_for_call(session, call.script_version_id, call.script_digest)
    labels = script.priority.labels if script.priority else {}
    return {key: label.rank for key, label in labels.items()}


def main_ticket(session: Session, call: Call) -> Ticket | None:
    """The call's most urgent ticket (an outbound call: the ticket it was placed for)."""
    tickets = session.scalars(_CALL_TICKETS, {"call": call.id}).all()
    if not tickets:
        return session.scalar(_CALLED_FOR, {"sid": call.sid})
    return _most_urgent(session, call, tickets)


class Placed(NamedTuple):
    """What a caller's place in line is made from, of their ticket."""

    id: int
    priority: str
    category: str | None
    tier: int


_PLACED = (Ticket.id, Ticket.priority, Ticket.category, Ticket.tier)
_CALL_PLACED = select(*_PLACED).where(Ticket.call_id == bindparam("call"))
_CALLED_FOR_PLACED = (select(*_PLACED).join(OutboundCall, OutboundCall.ticket_id == Ticket.id)
                      .where(OutboundCall.twilio_sid == bindparam("sid")).limit(1))


def _main_placed(session: Session, call: Call) -> Placed | None:
    """``main_ticket``'s choice, as the columns an arrival needs (no ORM ``Ticket`` loaded)."""
    session.flush()  # as the ORM's autoflush would before a query
    connection = session.connection()
    tickets = [Placed(*row) for row in connection.execute(_CALL_PLACED, {"call": call.id})]
    if not tickets:
        row = connection.execute(_CALLED_FOR_PLACED, {"sid": call.sid}).first()
        return Placed(*row) if row is not None else None
    return _most_urgent(session, call, tickets)


_T = TypeVar("_T", Ticket, Placed)


def _most_urgent(session: Session, call: Call, tickets: Sequence[_T]) -> _T:
    """The most urgent of the call's tickets: by the rank of their priority in the call's
    script, then the first opened."""
    ranks = priority_ranks(session, call)
    return min(tickets, key=lambda t: (ranks.get(t.priority, UNRANKED), t.id))


def arrive(session: Session, call: Call, now: datetime) -> Arrival:
    """A caller finished intake: open hours? anyone staffed? a free agent? else consent."""
    pol = live_policy(session)
    ticket = _main_placed(session, call)
    label = ticket.priority if ticket else None
    if not pol.is_within_hours(now):
        if pol.hours and label in pol.hours.emergency_labels:
            return Arrival("emergency", None)
        entry = _entry_for(session, call, ticket, now, pol, QueueStatus.AFTER_HOURS)
        return Arrival("after_hours", entry, next_opening=pol.next_opening(now))
    entry = _entry_for(session, call, ticket, now, pol, QueueStatus.WAITING)
    line = read_line(session, params={"now": now})  # the routing round's read
    if not line.staffed:  # no analyst logged in (every tier where one is counts as staffed)
        entry.status = QueueStatus.NOBODY
        return Arrival("nobody", entry, next_opening=None)
    if put_through(session, entry, now, pol, line):
        entry.consent = True
        position = 1
        entry.last_position_told = position  # put through: "number 1 in line" tells nothing
        record(session, entry, "queued", f"Queued for tier {entry.tier}: an analyst is free",
               tier=entry.tier)
        return Arrival("connect", entry, 0.0, position)
    position, estimate = position_and_estimate(session, entry, now, pol)
    return Arrival("ask_consent", entry, estimate, position)


def _entry_for(session: Session, call: Call, ticket: Placed | None, now: datetime,
               pol: HoldPolicy, status: QueueStatus) -> QueueEntry:
    """The call's queue entry; a caller who hung up recently gets their old place back."""
    caller_number = phones.to_e164(call.from_number)  # a number to call back (not SIP)
    window = now - timedelta(seconds=pol.resume_within_seconds)
    session.flush()  # as the ORM's autoflush would before a query
    found = session.connection().execute(_ENTRY_OR_PLACE, {
        "call": call.id, "number": caller_number, "since": window}).all()
    own = next((i for i, which in found if which == _OWN), None)
    if own is not None:
        return session.get_one(QueueEntry, own)
    category = ticket.category if ticket else None
    label = ticket.priority if ticket else None
    # The tier the ticket's priority (or an escalation) set, or higher where a routing rule
    # of the policy says so.
    tier = max(pol.start_tier(label or "", category), ticket.tier if ticket else 1)
    entry = QueueEntry(call_id=call.id, ticket_id=ticket.id if ticket else None,
                       caller_number=caller_number, status=status, tier=tier,
                       rank=priority_ranks(session, call).get(label or "", UNRANKED),
                       priority=label, category=category, language=call.language,
                       joined_at=now)
    left = next((i for i, which in found if which != _OWN), None)
    earlier = session.get_one(QueueEntry, left) if left is not None else None
    if earlier is not None:
        entry.joined_at = earlier.joined_at
        earlier.status = QueueStatus.RESUMED
    session.add(entry)
    session.flush()
    if earlier is not None:
        record(session, entry, "queued", "Caller called back and resumed their place in line "
               f"(first joined {earlier.joined_at:%H:%M:%S} UTC)", resumed_from=earlier.id)
    return entry


def give_consent(session: Session, entry: QueueEntry, estimate: float, now: datetime,
                 implied: bool = False, why: str | None = None) -> None:
    """The caller holds: by pressing 1, or (implied) by staying on without answering (``why``:
    another reason, for the timeline)."""
    if entry.consent:
        return
    pol = live_policy(session)
    place = position_in_line(session, entry, now, pol)
    entry.consent = True
    entry.status = QueueStatus.WAITING
    if hold.should_tell_position(pol, place):
        entry.last_position_told = place  # said with the offer to hold
    announce(session, entry, estimate, now)
    record(session, entry, "hold_consent", why or ("Caller stayed on the line without answering "
           "the offer three times: kept on hold" if implied else "Caller agreed to hold"))


NO_CALLBACK_ARRANGED = "No callback arranged after three answers: back in line, holding"


def back_in_line(session: Session, entry: QueueEntry, estimate: float, now: datetime) -> None:
    """Three answers to the callback's questions arranged none: the caller holds again, their
    place kept (not leaving for a callback any more), told the wait ``estimate`` (announced)."""
    entry.intent = None
    if not entry.consent:  # a callback asked at the offer to hold: holding from now
        give_consent(session, entry, estimate, now, why=NO_CALLBACK_ARRANGED)
        return
    announce(session, entry, estimate, now)
    record(session, entry, "callback_not_arranged", NO_CALLBACK_ARRANGED)


def announce(session: Session, entry: QueueEntry, estimate: float, now: datetime) -> None:
    """Record an announced estimate (every one is kept to measure accuracy)."""
    entry.announced_wait = estimate
    entry.announced_at = now
    entry.last_message_at = now
    record(session, entry, "estimate", f"Estimated wait announced: {round(estimate / 60)} min",
           estimate=estimate)


# ---- holding --------------------------------------------------------------------------------

def note_queue(entry: QueueEntry, queue_sid: str | None) -> None:
    """Remember which of Twilio's queues holds the caller (to dequeue them from it)."""
    if queue_sid and entry.queue_sid != queue_sid:
        entry.queue_sid = queue_sid


HOLD_EVENTS = {
    "check_back": lambda step: ("check_back", "Checked back with the holding caller", {}),
    "late": lambda step: ("late_apology", "Wait longer than announced: apologised, new "
                          f"estimate {round((step.new_estimate or 0) / 60)} min, callback "
                          "offered", {"estimate": step.new_estimate}),
    "position": lambda step: ("position", f"Position announced: {step.position}",
                              {"position": step.position}),
    "max_wait": lambda step: ("max_wait", "Maximum wait reached: callback or voicemail offered",
                              {}),
}


def next_hold_step(session: Session, entry: QueueEntry, now: datetime) -> hold.HoldStep:
    """What the caller hears on this pass of the hold loop (and remember it on the entry)."""
    pol = live_policy(session, entry.tier)
    step, state = hold.next_hold_step(
        pol, hold_state(entry), ts(now), lambda: position_in_line(session, entry, now, pol),
        lambda: position_and_estimate(session, entry, now, pol)[1])

    def dt(at: float | None) -> datetime | None:
        return datetime.fromtimestamp(at, tz=now.tzinfo) if at is not None else None

    entry.announced_wait = state.announced_wait
    entry.announced_at = dt(state.announced_at)
    entry.last_message_at = dt(state.last_message_at)
    entry.last_position_told = state.last_position_told
    entry.last_check_back_at = dt(state.last_check_back_at)
    entry.late_apologies = state.late_apologies
    if step.kind in HOLD_EVENTS:
        kind, text, data = HOLD_EVENTS[step.kind](step)
        record(session, entry, kind, text, **data)
    return step


def press_to_leave(entry: QueueEntry, intent: str) -> None:
    """A key pressed while holding: leave the queue for a callback or for voicemail."""
    entry.intent = intent


# ---- being put through ----------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    """A caller claimed for an analyst: their CallSid and Twilio queue; ``taken``: the analyst
    was taken too (False: another worker took them first)."""

    entry_id: int
    agent_id: int
    call_sid: str
    queue_sid: str | None
    taken: bool


# The guard of a claim, in a form no index serves (``status`` is never NULL): the planners would
# otherwise search every waiting caller by status (thousands, SQLite always, PostgreSQL on old
# statistics) for the few claimed by id, instead of those few by their primary key.
_STILL_WAITING = func.coalesce(QueueEntry.status, "") == QueueStatus.WAITING


def _claiming(count: int) -> Update:
    """The guarded UPDATE claiming ``count`` waiting callers (bound ``e0``, ``e1``...) each
    for their analyst (``a0``, ``a1``...); the caller's CallSid and Twilio queue come back with
    the claim (RETURNING), not from another query."""
    entries: list[BindParameter[int]] = [bindparam(f"e{i}") for i in range(count)]
    return (update(QueueEntry)
            .where(QueueEntry.id.in_(entries), _STILL_WAITING)
            .values(status=QueueStatus.BRIDGING, bridging_at=bindparam("now"),
                    agent_id=case(*((QueueEntry.id == entry, bindparam(f"a{i}"))
                                    for i, entry in enumerate(entries))))
            .returning(QueueEntry.id, QueueEntry.agent_id,
                       select(Call.sid).where(Call.id == QueueEntry.call_id)
                       .scalar_subquery().label("call_sid"), QueueEntry.queue_sid))


def _claiming_and_taking(count: int) -> Select[Any]:
    """``_claiming`` as a data-modifying CTE (PostgreSQL) that ``agents.taking`` reads: the
    callers claimed, each with whether their analyst was taken."""
    claimed = _claiming(count).cte("claimed")
    taken = agents.taking(select(claimed.c.agent_id)).cte("taken")
    return (select(claimed, taken.c.id.is_not(None))
            .outerjoin(taken, taken.c.id == claimed.c.agent_id))


# Built once per number of callers and backend (a pass claims one to a few): their SQL and
# cache keys too.
_CLAIMS: dict[tuple[bool, int], Executable] = {}


def claim(session: Session, pairs: Sequence[tuple[int, int]], now: datetime) -> list[Claim]:
    """Claim waiting callers for analysts (queue entry id, analyst id), atomically (two
    workers never take one caller), and take the analysts of the callers claimed
    (``agents.take``): the callers claimed, a caller not waiting any more left out. On
    PostgreSQL one statement (the claims a data-modifying CTE the take reads), elsewhere two.
    Runs on the session's connection: a ``QueueEntry`` or ``Agent`` the session holds is not
    updated (expire it)."""
    if not pairs:
        return []
    connection = session.connection()
    both = connection.dialect.name == "postgresql"
    statement = _CLAIMS.get((both, len(pairs)))
    if statement is None:
        statement = _CLAIMS[(both, len(pairs))] = (
            _claiming_and_taking(len(pairs)) if both else _claiming(len(pairs)))
    params: dict[str, Any] = {"now": now}
    for i, (entry_id, agent_id) in enumerate(pairs):
        params[f"e{i}"], params[f"a{i}"] = entry_id, agent_id
    rows = connection.execute(statement, params).all()
    if both:
        return [Claim(*row) for row in rows]
    took = agents.take(session, [row[1] for row in rows], now)
    return [Claim(entry_id, agent_id, call_sid, queue_sid, agent_id in took)
            for entry_id, agent_id, call_sid, queue_sid in rows]


def unclaim(session: Session, entry_id: int) -> None:
    """The claim did not become a call: the caller waits on at their place."""
    session.execute(update(QueueEntry).where(QueueEntry.id == entry_id)
                    .values(status=QueueStatus.WAITING, agent_id=None, bridging_at=None))


def connect_reserved(session: Session, entry: QueueEntry, call: Call,
                     ticket_id: int | None) -> None:
    """A callback's callee is put through to the analyst reserved for them."""
    entry.status = QueueStatus.BRIDGING
    timeline.record_event(session, "callback_connect", "Callee pressed 1: connecting to the "
                          "reserved analyst", ticket_id=ticket_id, call_id=call.id)


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
    record(session, entry, "bridged", f"Connected to {agent.name} (tier {agent.tier}) after "
           f"{round(entry.actual_wait)} s", agent_id=agent.id, actual_wait=entry.actual_wait,
           announced_wait=entry.announced_wait)
    if entry.call_id:  # the ticket systems' caller log (CTI): who answered, from which queue
        outbox.publish(session, Topic.CALL_ANSWERED, now=now, key=f"cti:{entry.id}:answered",
                       call_id=entry.call_id, agent=agent.name, tier=entry.tier)


def call_done(entry: QueueEntry, duration: int | None, now: datetime) -> None:
    """The caller's call with the analysts is over (the analysts wrap up apart)."""
    if entry.status == QueueStatus.DONE:
        return
    entry.status = QueueStatus.DONE
    entry.outcome = "answered"
    entry.ended_at = now
    entry.handled_seconds = duration


def not_put_through(session: Session, entry: QueueEntry, agent: Agent, now: datetime) -> None:
    """Twilio would not place the analyst's leg: the caller back at their place, the analyst
    free (no fault of theirs)."""
    record(session, entry, "agent_no_answer", f"{agent.name} could not be dialled; caller back "
           "in line at their place", agent_id=agent.id, status="failed")
    entry.status = QueueStatus.WAITING
    entry.agent_id = None
    entry.bridging_at = None
    agents.free(session, agent.id, now, only_on_call=True)


ESCALATED_RANK = 0  # a caller escalated cold goes ahead of every rank in the next tier's line


def send_to_tier(session: Session, entry: QueueEntry, tier: int, reason: str,
                 now: datetime) -> None:
    """A cold escalation: the caller waits again, at the head of ``tier``'s line, keeping the
    time they first joined."""
    old = entry.tier
    entry.status = QueueStatus.WAITING
    entry.tier = tier
    entry.rank = ESCALATED_RANK
    entry.agent_id = None
    entry.bridging_at = None
    entry.consent = True
    record(session, entry, "escalated_cold", f"Caller sent from tier {old} to the head of "
           f"tier {tier}'s line (first joined {entry.joined_at:%H:%M:%S} UTC): {reason}",
           tier=tier, reason=reason)


def hand_over(session: Session, entry_id: int | None, call_id: int | None,
              agent: Agent) -> None:
    """A warm hand-over: the analyst who stays on the call holds it and its tickets."""
    entry = session.get(QueueEntry, entry_id) if entry_id else None
    if entry is not None:
        entry.agent_id = agent.id
    held = [Ticket.id == entry.ticket_id] if entry is not None and entry.ticket_id else []
    if call_id:
        held.append(Ticket.call_id == call_id)
    if held:
        session.execute(update(Ticket).where(or_(*held)).values(agent_id=agent.id))


def undo_send_to_tier(entry: QueueEntry, tier: int, rank: int, agent_id: int,
                      now: datetime) -> None:
    """Twilio would not move the caller: they stay with their analyst."""
    entry.status = QueueStatus.BRIDGING
    entry.tier, entry.rank, entry.agent_id, entry.bridging_at = tier, rank, agent_id, now


def dial_result(session: Session, entry: QueueEntry, agent: Agent, status: str,
                duration: int | None, now: datetime) -> bool:
    """The agent's leg ended. Returns True when the caller goes back in line."""
    answered = status == CallStatus.COMPLETED  # Twilio's DialCallStatus
    agents.call_ended(agent, answered, live_policy(session).max_no_answer, now)
    if answered:
        call_done(entry, duration, now)
        return False
    record(session, entry, "agent_no_answer",
           f"{agent.name} did not answer ({status}); caller back in line at their place",
           agent_id=agent.id, status=status)
    entry.status = QueueStatus.WAITING
    entry.agent_id = None
    entry.bridging_at = None
    return True


# ---- leaving the queue ----------------------------------------------------------------------

def leave(session: Session, entry: QueueEntry, result: str, position: int | None,
          now: datetime) -> str:
    """The caller left Twilio's queue (QueueResult). Returns what to do next."""
    if result == "hangup":
        if entry.status in (QueueStatus.WAITING, QueueStatus.BRIDGING):
            entry.status = QueueStatus.ABANDONED
            entry.ended_at = now
            entry.actual_wait = (now - entry.joined_at).total_seconds()
            entry.position_at_end = position
            record(session, entry, "abandoned",
                   f"Caller hung up while waiting (position {position or '?'}, "
                   f"{round(entry.actual_wait)} s)", position=position,
                   wait=entry.actual_wait)
            outbox.publish(session, Topic.CALLER_ABANDONED, now=now,
                           ticket=session.get(Ticket, entry.ticket_id) if entry.ticket_id
                           else None, tier=entry.tier, position=position,
                           waited_seconds=round(entry.actual_wait))
        return "hangup"
    if result == "leave":
        return entry.intent or "callback"
    if result in ("queue-full", "error", "system-error"):
        return "callback"
    return "none"


def leave_voicemail(session: Session, entry: QueueEntry, recording_url: str | None,
                    duration: str | None, now: datetime) -> None:
    """The caller left a message instead of holding (once; a repeat changes nothing)."""
    if not recording_url or entry.status == QueueStatus.VOICEMAIL:
        return
    entry.status = QueueStatus.VOICEMAIL
    entry.ended_at = now
    timeline.record_event(session, "voicemail", "Caller left a voicemail instead of holding",
                          ticket_id=entry.ticket_id, call_id=entry.call_id,
                          data={"recording_url": recording_url, "duration": duration})
    try:
        seconds: int | None = max(int(duration or ""), 0)
    except ValueError:
        seconds = None
    outbox.publish(session, Topic.VOICEMAIL_LEFT, now=now,
                   ticket=session.get(Ticket, entry.ticket_id) if entry.ticket_id else None,
                   during_outage=False, duration=seconds)
