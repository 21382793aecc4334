"""A ticket's page in the agent console and the actions on it (note, status, escalate,
resolve, book a status call). Thin: the rules are in tickets.workflow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from tickets import TicketError, bookings, workflow
from tickets.models import OutboundCall, Ticket
from tickets.phones import mask_phone
from tickets.statuses import OUTBOUND_KINDS, STATUSES, OutboundKind
from tickets.versions import live_policy

from ... import db
from ...clock import now
from ...queues import callbacks
from ..auth import role_required
from . import bp
from .access import CONSOLE_ROLES, actor, may_open, ticket_or_404

# An action: does its work on the ticket and says how it went (None: the default message).
Action = Callable[[Session, Ticket], str | None]


def sla_clock(ticket: Ticket, at: datetime) -> list[dict[str, Any]]:
    """The response and resolution targets, each with the time left (negative: overdue)."""
    clocks = []
    for label, due, met in (("response", ticket.response_due, ticket.responded_at),
                            ("resolution", ticket.resolution_due, ticket.resolved_at)):
        if due is None:
            continue
        clocks.append({"label": label, "due": due, "met": met,
                       "left": (due - at).total_seconds() if met is None else None})
    return clocks


@bp.get("/tickets/<number>")
@role_required(*CONSOLE_ROLES)
def ticket(number: str) -> ResponseReturnValue:
    return _ticket_page(ticket_or_404(number))


def _ticket_page(t: Ticket, problem: str | None = None,
                 form: str | None = None) -> ResponseReturnValue:
    """The ticket page; after a refused action, the problem over the form as it was typed."""
    session = db.session()
    html = render_template(
        "agents/ticket.html", ticket=t, customer=t.customer, clocks=sla_clock(t, now()),
        statuses=STATUSES, approvers=live_policy(session).escalation.approvers,
        mask_phone=mask_phone,
        outbound=bookings.pending_outbound(session, t, OUTBOUND_KINDS),
        problem=problem, form=form, typed=request.form if problem else {})
    return (html, 400) if problem else html


def _act(number: str, form: str, work: Action, done: str) -> ResponseReturnValue:
    """Run one workflow action on a ticket, commit, and say how it went. A refused action
    shows the ticket again with why and the FORM as typed."""
    session = db.session()
    t = ticket_or_404(number)
    try:
        said = work(session, t)
    except TicketError as exc:
        session.rollback()
        return _ticket_page(t, str(exc), form)
    session.commit()
    flash(said or done, "ok")
    if not may_open(t):  # escalated out of the analyst's tier: the ticket is no longer theirs
        return redirect(url_for(".dashboard"))
    return redirect(url_for(".ticket", number=number))


@bp.post("/tickets/<number>/note")
@role_required(*CONSOLE_ROLES)
def add_note(number: str) -> ResponseReturnValue:
    def work(session: Session, t: Ticket) -> None:
        workflow.add_note(session, t, request.form.get("text", ""), actor=actor(), now=now(),
                          public=request.form.get("visibility") == "public")

    return _act(number, "note", work, "Note added.")


@bp.post("/tickets/<number>/status")
@role_required(*CONSOLE_ROLES)
def change_status(number: str) -> ResponseReturnValue:
    def work(session: Session, t: Ticket) -> None:
        workflow.change_status(session, t, request.form.get("status", ""), actor=actor(), now=now(),
                               reason=request.form.get("reason") or None)

    return _act(number, "status", work, "Status changed.")


def tier_asked() -> int | None:
    """The tier the escalation form names (none: the next one up)."""
    raw = request.form.get("to_tier", "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise TicketError(f"there is no tier {raw[:20]!r}") from None


@bp.post("/tickets/<number>/escalate")
@role_required(*CONSOLE_ROLES)
def escalate(number: str) -> ResponseReturnValue:
    def work(session: Session, t: Ticket) -> str:
        pol = live_policy(session)
        tier = workflow.escalate_ticket(
            session, t, reason=request.form.get("reason", ""), actor=actor(), now=now(),
            to_tier=tier_asked(), approver=request.form.get("approver") or None,
            approvers=pol.escalation.approvers, beyond_name=pol.escalation.beyond_tier_3)
        where = f"tier {tier}" if tier <= workflow.MAX_TIER else pol.escalation.beyond_tier_3
        return f"Ticket {t.number} escalated to {where}."

    return _act(number, "escalate", work, "Ticket escalated.")


@bp.post("/tickets/<number>/resolve")
@role_required(*CONSOLE_ROLES)
def resolve(number: str) -> ResponseReturnValue:
    def work(session: Session, t: Ticket) -> str | None:
        booked = workflow.resolve_ticket(session, t, actor=actor(), now=now(),
                                         note=request.form.get("note") or None)
        if booked is None:
            return "Ticket resolved; no closure call: the ticket has no callback number."
        return None

    return _act(number, "resolve", work, "Ticket resolved; the closure call is booked.")


@bp.post("/tickets/<number>/callback")
@role_required(*CONSOLE_ROLES)
def book_callback(number: str) -> ResponseReturnValue:
    """A callback asked for outside a call: in the same line as the phone's, its place now."""
    def work(session: Session, t: Ticket) -> str:
        outbound = callbacks.callback_asked(session, t, request.form.get("number") or None,
                                          now(), actor=actor())
        return (f"Callback to {mask_phone(outbound.to_number)} booked: in line from "
                f"{outbound.place_joined_at:%H:%M} UTC.")

    return _act(number, "callback", work, "Callback booked.")


@bp.post("/tickets/<number>/callbacks/<int:callback_id>/cancel")
@role_required(*CONSOLE_ROLES)
def cancel_callback(number: str, callback_id: int) -> ResponseReturnValue:
    """Call off a pending callback of this ticket, with a reason."""
    def work(session: Session, t: Ticket) -> str:
        outbound = session.get(OutboundCall, callback_id)
        if outbound is None or outbound.ticket_id != t.id or \
                outbound.kind != OutboundKind.CALLBACK:
            raise TicketError(f"ticket {t.number} has no callback {callback_id}")
        callbacks.cancel_callback(session, outbound, request.form.get("reason", ""), actor(),
                                now())
        return "Callback called off."

    return _act(number, "cancel-callback", work, "Callback called off.")


@bp.post("/tickets/<number>/status-call")
@role_required(*CONSOLE_ROLES)
def status_call(number: str) -> ResponseReturnValue:
    def work(session: Session, t: Ticket) -> None:
        if workflow.schedule_status_call(session, t, now=now(), reason="agent",
                                         actor=actor()) is None:
            raise TicketError("No status call booked: one is already pending, the customer "
                              "stopped them, or the ticket is closed.")

    return _act(number, "status-call", work, "Status call booked.")
