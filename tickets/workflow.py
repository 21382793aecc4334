"""A ticket's life after intake: notes, status, escalation, resolution, status calls, surveys.

The one module that changes a ticket's status. Used by the agent console, the API, the
scheduler and the outbound calls alike, so every path writes the same timeline. Functions take
a session and plain values and leave committing to the caller.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from call_scripts.hours import add_open_minutes, open_minutes_between

from . import TicketError, outbox, versions
from .bookings import cancel_outbound, pending_outbound, schedule_outbound
from .models import MAX_TIER, OutboundCall, QueueEntry, SurveyResponse, Ticket
from .outbox import Topic
from .statuses import (
    IN_FLIGHT,
    OPEN_STATUSES,
    STATUSES,
    OutboundKind,
    QueueStatus,
    TicketStatus,
)
from .timeline import record_event

LOW_SCORE = 2  # a survey score at or below this opens a follow-up for the team lead


def add_note(session: Session, ticket: Ticket, text: str, *, actor: str, now: datetime,
             public: bool = False) -> None:
    """A note on the timeline; a public one is what status calls read to the customer."""
    text = (text or "").strip()
    if not text:
        raise TicketError("a note needs some text")
    line = record_event(session, "note", text, ticket_id=ticket.id, actor=actor, public=public,
                        at=now)
    session.flush()  # the note's id: the ticket systems' connectors read its text from it
    outbox.publish(session, Topic.TICKET_NOTED, ticket=ticket, now=now, actor=actor,
                   public=public, timeline_id=line.id)
    if actor != "ivr":
        mark_responded(ticket, now)


def mark_responded(ticket: Ticket, now: datetime) -> None:
    """An analyst has acted on the ticket: the response target is met, resolution is next."""
    if ticket.responded_at is None:
        ticket.responded_at = now
        if ticket.escalation_pending is None and ticket.is_open:
            ticket.escalate_at = ticket.resolution_due


def change_status(session: Session, ticket: Ticket, status: str, *, actor: str,
                  now: datetime, reason: str | None = None) -> None:
    """Move a ticket between open statuses (resolving goes through ``resolve_ticket``)."""
    if status not in STATUSES:
        raise TicketError(f"unknown status {status!r} (one of {', '.join(STATUSES)})")
    if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and ticket.is_open:
        resolve_ticket(session, ticket, actor=actor, now=now, note=reason, status=status)
        return
    if status in OPEN_STATUSES and not ticket.is_open:
        old = ticket.status
        reopen_ticket(session, ticket, actor=actor, now=now, reason=reason or "reopened")
        ticket.status = status
        outbox.publish(session, Topic.TICKET_STATUS, ticket=ticket, now=now, actor=actor,
                       from_status=old)
        return
    if status == ticket.status:
        return
    old, ticket.status = ticket.status, status
    record_event(session, "status", f"Status {old} -> {status}" + (f": {reason}" if reason else ""),
                 ticket_id=ticket.id, actor=actor, at=now, data={"from": old, "to": status})
    outbox.publish(session, Topic.TICKET_STATUS, ticket=ticket, now=now, actor=actor,
                   from_status=old)
    if status == TicketStatus.ON_HOLD:
        pause_sla(session, ticket, actor=actor, now=now)
    else:
        resume_sla(session, ticket, actor=actor, now=now)
    if status == TicketStatus.IN_PROGRESS:
        mark_responded(ticket, now)


def pause_sla(session: Session, ticket: Ticket, *, actor: str, now: datetime) -> None:
    """The ticket waits on the customer: its SLA clock stops (the SLA sweep passes it by)."""
    if ticket.sla_paused_at is not None:
        return
    ticket.sla_paused_at = now
    record_event(session, "sla", "SLA clock paused: waiting on the customer",
                 ticket_id=ticket.id, actor=actor, at=now)


def resume_sla(session: Session, ticket: Ticket, *, actor: str, now: datetime) -> None:
    """The wait on the customer is over: every due time moves on by the open time (the live
    policy's business hours) that passed while the clock was paused."""
    paused_at = ticket.sla_paused_at
    if paused_at is None:
        return
    ticket.sla_paused_at = None
    hours = versions.live_policy(session).hours
    waited = open_minutes_between(hours, paused_at, now)

    def later(at: datetime | None) -> datetime | None:
        return add_open_minutes(hours, at, waited) if at is not None else None

    if ticket.responded_at is None:
        ticket.response_due = later(ticket.response_due)
    ticket.resolution_due = later(ticket.resolution_due)
    if ticket.is_open:
        ticket.escalate_at = later(ticket.escalate_at)
    record_event(session, "sla", f"SLA clock resumed after {round(waited)} min of business "
                 "hours waiting on the customer; due times moved on by as much",
                 ticket_id=ticket.id, actor=actor, at=now, data={"paused_minutes": waited})


def escalate_ticket(session: Session, ticket: Ticket, *, reason: str, actor: str,
                    now: datetime, to_tier: int | None = None, approver: str | None = None,
                    approvers: list[str] | tuple[str, ...] = (),
                    beyond_name: str = "management") -> int:
    """Raise a ticket to another tier, with a reason on the timeline; returns the new tier.

    A caller of this ticket still waiting in a queue, or waiting for a callback, moves with it.
    Going beyond tier 3 needs a named approver from the escalation matrix.
    """
    target = to_tier if to_tier is not None else ticket.tier + 1
    if target == ticket.tier:
        raise TicketError(f"ticket {ticket.number} is already at tier {target}")
    if target < 1 or target > MAX_TIER + 1:
        raise TicketError(f"there is no tier {target}")
    if not (reason or "").strip():
        raise TicketError("an escalation needs a reason")
    if target > MAX_TIER:
        if not approver or approver not in approvers:
            names = ", ".join(approvers) or "nobody is named in the escalation matrix"
            raise TicketError(f"escalation beyond tier {MAX_TIER} needs an approver ({names})")
    old, ticket.tier = ticket.tier, target
    ticket.escalation_pending = None
    where = beyond_name if target > MAX_TIER else f"tier {target}"
    text = f"Escalated from tier {old} to {where}: {reason}"
    if approver:
        text += f" (approved by {approver})"
    record_event(session, "escalated", text, ticket_id=ticket.id, actor=actor, at=now,
                 data={"from": old, "to": target, "reason": reason, "approver": approver})
    outbox.publish(session, Topic.TICKET_ESCALATED, ticket=ticket, now=now, from_tier=old,
                   to_tier=target, actor=actor)
    if target <= MAX_TIER:
        session.execute(update(QueueEntry)
                        .where(QueueEntry.ticket_id == ticket.id,
                               QueueEntry.status.in_((QueueStatus.WAITING,
                                                      QueueStatus.CALLBACK)))
                        .values(tier=target))
    return target


def response_span(ticket: Ticket) -> timedelta:
    """How long the ticket's priority gives a tier to respond (one hour if it has no target)."""
    if ticket.response_due is not None and ticket.created_at is not None:
        return max(ticket.response_due - ticket.created_at, timedelta(minutes=1))
    return timedelta(hours=1)


def resolve_ticket(session: Session, ticket: Ticket, *, actor: str, now: datetime,
                   note: str | None = None, status: str = TicketStatus.RESOLVED,
                   closure: bool = True) -> OutboundCall | None:
    """Resolve a ticket and book its closure verification call (returned when booked). With
    ``closure=False`` none is booked now: an incident's parent (nobody called about it) or a
    caller's child ticket (the survey follows their notice call)."""
    if not ticket.is_open:
        raise TicketError(f"ticket {ticket.number} is already {ticket.status}")
    resume_sla(session, ticket, actor=actor, now=now)
    ticket.status = status
    ticket.resolved_at = now
    ticket.escalate_at = None
    ticket.escalation_pending = None
    mark_responded(ticket, now)
    record_event(session, "resolved", note.strip() if note and note.strip() else "Resolved",
                 ticket_id=ticket.id, actor=actor, at=now, public=True)
    cancel_outbound(session, ticket, (OutboundKind.STATUS_UPDATE,), now=now,
                    why="the ticket was resolved")
    booked = schedule_outbound(session, ticket, OutboundKind.CLOSURE, due=now, now=now,
                               reason="resolved", actor=actor) if closure else None
    outbox.publish(session, Topic.TICKET_RESOLVED, ticket=ticket, now=now, actor=actor,
                   survey_call=booked is not None,
                   outbound_call_id=booked.id if booked else None)
    return booked


def reopen_ticket(session: Session, ticket: Ticket, *, actor: str, now: datetime,
                  reason: str) -> None:
    """Open a resolved ticket again, back in its tier, with a fresh response timer."""
    if ticket.is_open:
        return
    ticket.status = TicketStatus.OPEN
    ticket.resolved_at = None
    ticket.reopened_count += 1
    ticket.responded_at = None
    ticket.agent_id = None
    hours = versions.live_policy(session).hours
    span = (open_minutes_between(hours, ticket.created_at, ticket.response_due)
            if ticket.response_due is not None and ticket.created_at is not None else 0.0)
    ticket.escalate_at = add_open_minutes(
        hours, now, span if span >= 1 else response_span(ticket).total_seconds() / 60)
    record_event(session, "reopened", f"Reopened: {reason}", ticket_id=ticket.id, actor=actor,
                 at=now, data={"tier": ticket.tier})


def schedule_status_call(session: Session, ticket: Ticket, *, now: datetime, reason: str,
                         actor: str = "ivr", due: datetime | None = None) -> OutboundCall | None:
    """Book a status update call, unless one is already booked or under way, or the customer
    stopped them."""
    if ticket.status_calls_stopped or not ticket.is_open:
        return None
    if pending_outbound(session, ticket, (OutboundKind.STATUS_UPDATE,), IN_FLIGHT):
        return None
    ticket.last_status_call_at = now
    return schedule_outbound(session, ticket, OutboundKind.STATUS_UPDATE, due=due or now,
                             now=now, reason=reason, actor=actor)


def stop_status_calls(session: Session, ticket: Ticket, *, now: datetime) -> None:
    """The customer asked for no more status calls on this ticket (press 9)."""
    ticket.status_calls_stopped = True
    record_event(session, "status_calls_stopped", "Customer asked for no more status calls",
                 ticket_id=ticket.id, at=now, public=False)


def record_survey(session: Session, ticket: Ticket, outbound: OutboundCall | None, *,
                  now: datetime, solved: bool | None = None, score: int | None = None,
                  comment_url: str | None = None, comment_seconds: int | None = None
                  ) -> SurveyResponse:
    """Store (or add to) the survey answers of one closure call."""
    response = None
    if outbound is not None:
        response = session.scalar(select(SurveyResponse)
                                  .where(SurveyResponse.outbound_call_id == outbound.id))
    if response is None:
        response = SurveyResponse(ticket_id=ticket.id, at=now,
                                  outbound_call_id=outbound.id if outbound else None)
        session.add(response)
    if solved is not None:
        response.solved = solved
    if score is not None:
        if not 1 <= score <= 5:
            raise TicketError("a satisfaction score is 1 to 5")
        response.score = score
    if comment_url:
        response.comment_url = comment_url
        response.comment_seconds = comment_seconds
    session.flush()
    if score is not None:  # the survey's own answer: once per survey
        outbox.publish(session, Topic.SURVEY_ANSWERED, ticket=ticket, now=now,
                       key=f"survey:{response.id}", solved=response.solved, score=response.score)
    return response


def open_follow_up(session: Session, ticket: Ticket, *, now: datetime, why: str) -> Ticket:
    """A follow-up ticket for the team lead, linked to the one it is about."""
    follow = Ticket(priority="regular_service", tier=ticket.tier, category="follow_up",
                    language=ticket.language, customer_id=ticket.customer_id,
                    caller_name=ticket.caller_name, callback_number=ticket.callback_number,
                    account_number=ticket.account_number,
                    account_verified=ticket.account_verified,
                    problem=f"Follow up ticket {ticket.number}: {why}", parent_id=ticket.id,
                    created_at=now, status_calls_stopped=True)
    session.add(follow)
    session.flush()
    follow.assign_number()
    record_event(session, "opened", f"Follow-up for the team lead: {why}",
                 ticket_id=follow.id, at=now, data={"parent": ticket.number})
    record_event(session, "follow_up", f"Follow-up ticket {follow.number} opened for the team "
                 f"lead: {why}", ticket_id=ticket.id, at=now)
    return follow
