"""What the line does when a call script asks for an effect: one table, from each effect name
of the script language (``call_scripts.model.EFFECTS``) to its handler, for inbound and outbound
calls alike. A handler gets the request and returns what the script is told (its result)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from call_scripts.model import EFFECTS
from call_scripts.moments import say_moment
from tickets import bookings, incidents, intake, timeline, versions
from tickets.models import Call, Customer, Incident

from ..logs import about_ticket
from ..outbound import conversation, rules

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Asked:
    """An effect a call's script asked for, and what its handler may use."""

    session: Session
    call: Call
    language: str  # the call's language now
    args: dict[str, Any]  # the step's arguments, looked up in the fields
    fields: dict[str, Any]  # everything the call has collected
    now: datetime


Handler = Callable[[Asked], dict[str, Any]]


def lookup_caller(a: Asked) -> dict[str, Any]:
    """What the desk knows of the caller from caller ID; the call is theirs from now on."""
    rule = versions.live_policy(a.session).outbound.dial_rule()  # once for all their numbers
    profile = intake.caller_profile(a.session, a.args.get("phone"),
                                    refusal=lambda number: rules.destination_refusal(number, rule))
    if profile.get("found"):
        a.call.customer_id = profile["customer_id"]
    return profile


def check_account(a: Asked) -> dict[str, Any]:
    return intake.check_account(a.session, a.args.get("account"))


def ticket_status(a: Asked) -> dict[str, Any]:
    """A ticket's status for a caller ringing from a number on file."""
    _about(a)
    return intake.ticket_status(a.session, a.args.get("number"), a.args.get("phone"),
                                call_id=a.call.id, now=a.now)


def verify_pin(a: Asked) -> dict[str, Any]:
    """A ticket's status for a caller who knows its PIN (wrong PINs are limited)."""
    _about(a)
    return intake.verify_pin(a.session, a.args.get("number"), a.args.get("pin"),
                             call_id=a.call.id, now=a.now)


def _about(a: Asked) -> None:
    """The enquiry's ticket, if there is one, on the request's log lines."""
    ticket = intake.find_ticket(a.session, a.args.get("number"))
    if ticket is not None:
        about_ticket(ticket.number)


def open_ticket(a: Asked) -> dict[str, Any]:
    """Open the ticket of one problem, with the live policy's SLA targets for its priority,
    counted in its business hours. While the desk is closed the script is also told when it
    opens (``opens``, said in the caller's zone and language): its clock starts then."""
    priority = a.args["priority"]
    pol = versions.live_policy(a.session)
    target = pol.sla.get(priority)
    sla = {**(a.args.get("sla") or {}),
           **(target.model_dump(exclude_none=True) if target else {})}
    ticket, pin = intake.open_ticket(
        a.session, fields=a.fields, priority=priority, sla=sla,
        call_id=a.call.id, customer_id=a.call.customer_id, language=a.language, now=a.now,
        hours=pol.hours)
    about_ticket(ticket.number)
    log.info("call %s opened ticket %s (priority %s)", a.call.sid, ticket.number,
             ticket.priority)
    opened: dict[str, Any] = {"id": ticket.id, "number": ticket.number, "pin": pin}
    if not pol.is_within_hours(a.now):
        number = ticket.callback_number or a.fields.get("caller_id")
        opened["opens"] = say_moment(pol.next_opening(a.now), a.now, _zone(a, number),
                                     a.language)
    return opened


def schedule_callback(a: Asked) -> dict[str, Any]:
    """Book a callback to the number given (or the caller's own) for the earliest moment the
    desk is open and the caller may be called; the script is told whether it is booked and,
    when that is later than now, when (said in the caller's zone and language)."""
    number = a.args.get("number") or a.args.get("caller")
    refused = _refusal(a, number) if number else None
    if refused is not None:  # a number the line will not call: no callback promised to it
        if a.args.get("ticket") is not None:
            timeline.record_event(a.session, "outbound_refused", "No callback booked: the line "
                                  f"may not call the caller's number ({refused}); an analyst "
                                  "must follow up", ticket_id=a.args["ticket"], call_id=a.call.id)
        return {"booked": False, "later": False}
    due = earliest_callback(a, number) if number else None
    outbound = bookings.schedule_callback(
        a.session, ticket_id=a.args.get("ticket"), number=number, language=a.language, due=due)
    if outbound is None or due is None:
        return {"booked": False, "later": False}
    return {"booked": True, "later": due > a.now,
            "when": say_moment(due, a.now, _zone(a, number), a.language)}


def earliest_callback(a: Asked, number: str) -> datetime:
    """The first moment the desk is open (hours, holidays) and ``number`` may be called."""
    pol = versions.live_policy(a.session)
    window = pol.outbound.quiet_hours
    zones = rules.calling_zones(a.now, rules.callee_zones(
        number, _customer_zone(a), pol.hours.timezone if pol.hours else "UTC"), window)
    return rules.earliest_call(a.now, pol.hours, zones, window)


def _customer_zone(a: Asked) -> str | None:
    customer = a.session.get(Customer, a.call.customer_id) if a.call.customer_id else None
    return customer.timezone if customer else None


def _zone(a: Asked, number: str | None) -> tzinfo:
    """The caller's time zone: the customer record's, else their number's, else the desk's."""
    pol = versions.live_policy(a.session)
    return rules.caller_zone(number, _customer_zone(a),
                             pol.hours.timezone if pol.hours else "UTC")


def record_call(a: Asked) -> dict[str, Any]:
    """A call that gave nothing to open a ticket on: kept as a call record, not a ticket."""
    timeline.record_event(a.session, "call_record", "No ticket opened: the caller gave no "
                          "answer to open one on", call_id=a.call.id, at=a.now)
    return {"recorded": True}


def current_incident(a: Asked) -> dict[str, Any]:
    """The major incidents callers hear about now (up to ``incidents.ANNOUNCED``, the latest
    declared first, each under its own key), said in the caller's language and zone."""
    announced = incidents.announced(a.session)
    if not announced:
        return {"active": False}
    zone = getattr(_zone(a, a.fields.get("caller_id")), "key", None)
    each = {str(key): {"id": incident.id,
                       "announcement": incidents.announcement(incident, a.language, zone)}
            for key, incident in enumerate(announced, 1)}
    return {"active": True, "count": len(each), "each": each, "id": each["1"]["id"],
            "announcement": each["1"]["announcement"]}


def join_incident(a: Asked) -> dict[str, Any]:
    """Link the caller to the incident (the short path): a child ticket of its parent."""
    incident = a.session.get(Incident, a.args.get("incident") or 0)
    if incident is None or not incident.is_active:
        return {"linked": False}
    number = a.args.get("callback") or a.args.get("phone")
    ticket = incidents.join(a.session, incident, number=number, name=a.args.get("name"),
                            detail=a.args.get("detail"), language=a.language,
                            customer_id=a.call.customer_id, call_id=a.call.id, now=a.now)
    about_ticket(ticket.number)
    log.info("call %s linked to incident %s by ticket %s", a.call.sid, incident.id,
             ticket.number)
    # Told "we will call or text you" only with a number the line may call.
    notify = ticket.callback_number is not None and _refusal(a, ticket.callback_number) is None
    return {"linked": True, "number": ticket.number, "notify": notify}


def _refusal(a: Asked, number: str) -> str | None:
    """Why the line will not call ``number`` (the policy's dialling rule, as the dispatcher
    applies it), or None."""
    return rules.destination_refusal(number, versions.live_policy(a.session).outbound.dial_rule())


def known_issue_solved(a: Asked) -> dict[str, Any]:
    """A known issue's answer ended the call: counted on the call's timeline, per answer."""
    answer = str(a.args.get("answer") or "unknown")[:80]
    timeline.record_event(a.session, "known_issue_solved",
                          f"Known issue answer {answer!r} ended the call", call_id=a.call.id,
                          data={"answer": answer}, at=a.now)
    return {"counted": True}


def change_callback(a: Asked) -> dict[str, Any]:
    """The caller keyed another number to be called back on after their tickets were opened."""
    number = a.args.get("number")
    if not number:
        return {"changed": False}
    changed = intake.change_callback_number(a.session, a.call.id, number, now=a.now)
    return {"changed": bool(changed)}


def _outbound(effect: Callable[[Session, Call, dict[str, Any], datetime], dict[str, Any]]
              ) -> Handler:
    """An effect of an outbound script (about the ticket the call was placed for)."""
    return lambda a: effect(a.session, a.call, a.args, a.now)


HANDLERS: dict[str, Handler] = {
    "lookup_caller": lookup_caller,
    "check_account": check_account,
    "ticket_status": ticket_status,
    "verify_pin": verify_pin,
    "open_ticket": open_ticket,
    "schedule_callback": schedule_callback,
    "current_incident": current_incident,
    "join_incident": join_incident,
    "known_issue_solved": known_issue_solved,
    "change_callback": change_callback,
    "record_call": record_call,
    "stop_status_calls": _outbound(conversation.stop_status_calls),
    "add_recording": _outbound(conversation.add_recording),
    "closure_answer": _outbound(conversation.closure_answer),
    "survey_score": _outbound(conversation.survey_score),
}
# Effects that neither use the call's id nor write rows about the call: a new call's first turn
# runs them before its row is written (``calls.begin``: the row then written complete, once).
ROWLESS = frozenset({"lookup_caller", "check_account", "current_incident"})
if set(HANDLERS) != EFFECTS:  # the script language and the line must name the same effects
    raise RuntimeError(f"effects without a handler: {sorted(EFFECTS - set(HANDLERS))}; "
                       f"handlers of no effect: {sorted(set(HANDLERS) - EFFECTS)}")


def perform(asked: Asked, name: str) -> dict[str, Any]:
    """Carry out one effect the script asked for and return what it found."""
    handler = HANDLERS.get(name)
    if handler is None:
        raise ValueError(f"unknown effect {name!r}")
    return handler(asked)
