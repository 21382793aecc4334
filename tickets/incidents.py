"""Major incidents: declared by a team lead, announced to callers, one parent ticket for all.

The one module that changes an ``Incident`` (declared, edited, resolved); every change is on
the audit log and the parent ticket's timeline. A caller who says they call about the incident
is linked to it by a child ticket of their own; resolving the incident resolves those tickets
with the parent's note and tells each caller once (``incident_notices``: an SMS to a mobile,
else a notice call; within their calling window; the closure survey follows as for any
ticket). Functions take a session and plain values and leave committing to the caller.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import TicketError, incident_notices, intake, workflow
from .accounts import AuditLog
from .models import Incident, IncidentCaller, OutboundCall, Ticket
from .outbox import OutboxEvent
from .statuses import IncidentStatus
from .timeline import record_event

LANGUAGES = ("en-US", "it-IT", "ms-MY")
# The intake's types of service, as said in a sentence ("a problem with ...").
CATEGORIES: dict[str, dict[str, str]] = {
    "hardware": {"en-US": "hardware", "it-IT": "l'hardware", "ms-MY": "perkakasan"},
    "software": {"en-US": "software", "it-IT": "il software", "ms-MY": "perisian"},
    "network": {"en-US": "the network", "it-IT": "la rete", "ms-MY": "rangkaian"},
    "access": {"en-US": "accounts and access", "it-IT": "account e accessi",
               "ms-MY": "akaun dan akses"},
    "other": {"en-US": "one of our services", "it-IT": "uno dei nostri servizi",
              "ms-MY": "salah satu perkhidmatan kami"},
}
# How the console names them.
CATEGORY_LABELS = {"hardware": "hardware", "software": "software", "network": "network",
                   "access": "accounts and access", "other": "other services"}
# What callers hear when the team lead writes no message of their own for a language.
TEMPLATES: dict[str, tuple[str, str]] = {  # (with an expected time, without one)
    "en-US": ("We are aware of a problem with {service} since {since}; we expect it fixed by "
              "{until}.",
              "We are aware of a problem with {service} since {since}; we are working on it."),
    "it-IT": ("Siamo a conoscenza di un problema con {service} dalle {since}; prevediamo di "
              "risolverlo entro le {until}.",
              "Siamo a conoscenza di un problema con {service} dalle {since}; ci stiamo "
              "lavorando."),
    "ms-MY": ("Kami sedia maklum tentang masalah dengan {service} sejak {since}; kami jangka "
              "ia akan pulih menjelang {until}.",
              "Kami sedia maklum tentang masalah dengan {service} sejak {since}; kami sedang "
              "menanganinya."),
}
PLACEHOLDERS = frozenset({"service", "since", "until"})
ANNOUNCED = 3  # at most this many active incidents are announced to callers (the latest)
PARENT_PRIORITY = "enterprise_failure"
PARENT_TIER = 2
CLOSURE_AFTER_NOTICE = incident_notices.CLOSURE_AFTER_NOTICE


# ---- what callers hear ----------------------------------------------------------------------

def service_name(incident: Incident, language: str) -> str:
    """The affected service as said in a sentence: the team lead's text, else the category."""
    if incident.service:
        return incident.service
    names = CATEGORIES.get(incident.category, CATEGORIES["other"])
    return names.get(language) or names["en-US"]


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _clock(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%H:%M")


def announcement(incident: Incident, language: str, zone: str | None) -> str:
    """What a caller hears about the incident, in their language, times in their zone."""
    tz = _zone(zone)
    until = _clock(incident.expected_at, tz) if incident.expected_at else ""
    own = (incident.messages or {}).get(language)
    with_eta, without = TEMPLATES.get(language, TEMPLATES["en-US"])
    text = own or (with_eta if incident.expected_at else without)
    return text.format(service=service_name(incident, language),
                       since=_clock(incident.started_at, tz), until=until)


def check_message(language: str, text: str) -> str:
    """A team lead's message for callers: a known language, only the known placeholders."""
    if language not in LANGUAGES:
        raise TicketError(f"no language {language!r} (one of {', '.join(LANGUAGES)})")
    text = (text or "").strip()
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise TicketError(f"the {language} message has a broken placeholder: {exc}") from exc
    unknown = names - PLACEHOLDERS
    if unknown:
        raise TicketError(f"the {language} message may use {{service}}, {{since}} and "
                          f"{{until}}, not {', '.join('{' + n + '}' for n in sorted(unknown))}")
    return text


def _messages(messages: dict[str, str] | None) -> dict[str, str]:
    checked = {lang: check_message(lang, text) for lang, text in (messages or {}).items()}
    return {lang: text for lang, text in checked.items() if text}


def check_category(category: str) -> str:
    """An incident's category: one of the intake's types of service (TicketError if not)."""
    category = (category or "").strip()
    if category not in CATEGORIES:
        raise TicketError(f"no category {category!r} (one of {', '.join(CATEGORIES)})")
    return category


# ---- declaring, editing, resolving ----------------------------------------------------------

def _audit(session: Session, actor: str, action: str, incident: Incident, now: datetime,
           **detail: Any) -> None:
    session.add(AuditLog(at=now, user=actor, action=action, target=f"incident {incident.id}",
                         detail=detail))


def _shown(incident: Incident) -> dict[str, Any]:
    """The incident's editable values, as the audit log keeps them."""
    return {"category": incident.category, "service": incident.service,
            "messages": dict(incident.messages or {}),
            "started_at": incident.started_at.isoformat(),
            "expected_at": incident.expected_at.isoformat() if incident.expected_at else None}


def declare(session: Session, *, category: str, actor: str, now: datetime,
            service: str | None = None, messages: dict[str, str] | None = None,
            expected_at: datetime | None = None, started_at: datetime | None = None) -> Incident:
    """Declare a major incident: callers hear it from now on; its parent ticket is opened."""
    started = started_at or now
    if expected_at is not None and expected_at <= started:
        raise TicketError("the expected time to resolve must be after the start")
    incident = Incident(status=IncidentStatus.ACTIVE, category=check_category(category),
                        service=(service or "").strip() or None, messages=_messages(messages),
                        started_at=started, expected_at=expected_at, declared_by=actor,
                        declared_at=now)
    session.add(incident)
    session.flush()
    parent, _pin = intake.open_ticket(
        session, fields={"category": incident.category,
                         "problem": f"Major incident: a problem with "
                                    f"{service_name(incident, 'en-US')}"},
        priority=PARENT_PRIORITY, sla={"tier": PARENT_TIER}, now=now)
    parent.status_calls_stopped = True  # its callers hear through their own tickets
    incident.parent_ticket_id = parent.id
    record_event(session, "incident", f"Major incident declared by {actor}", ticket_id=parent.id,
                 actor=actor, at=now, data={"incident_id": incident.id})
    _audit(session, actor, "incident.declare", incident, now, **_shown(incident))
    return incident


UNSET: Any = object()


def edit(session: Session, incident: Incident, *, actor: str, now: datetime,
         category: str = UNSET, service: str | None = UNSET,
         messages: dict[str, str] | None = UNSET, expected_at: datetime | None = UNSET,
         started_at: datetime = UNSET) -> bool:
    """Change what callers hear of an active incident; returns whether anything changed."""
    if not incident.is_active:
        raise TicketError(f"incident {incident.id} is {incident.status}")
    before = _shown(incident)
    if category is not UNSET:
        incident.category = check_category(category)
    if service is not UNSET:
        incident.service = (service or "").strip() or None
    if messages is not UNSET:
        incident.messages = _messages(messages)
    if started_at is not UNSET:
        incident.started_at = started_at
    if expected_at is not UNSET:
        incident.expected_at = expected_at
    if incident.expected_at is not None and incident.expected_at <= incident.started_at:
        raise TicketError("the expected time to resolve must be after the start")
    after = _shown(incident)
    changed = {k: {"from": before[k], "to": after[k]} for k in after if after[k] != before[k]}
    if not changed:
        return False
    _audit(session, actor, "incident.edit", incident, now, changes=changed)
    record_event(session, "incident", f"Incident changed by {actor}: {', '.join(changed)}",
                 ticket_id=incident.parent_ticket_id, actor=actor, at=now, data=changed)
    return True


@dataclass(frozen=True)
class Notices:
    """How resolving told the linked callers: notice calls booked, SMS written."""

    calls: list[OutboundCall]
    texts: list[OutboxEvent]

    def __len__(self) -> int:
        return len(self.calls) + len(self.texts)


def resolve(session: Session, incident: Incident, *, note: str, actor: str,
            now: datetime, texting: bool = False) -> Notices:
    """End the incident: its tickets resolved with the note, each linked caller told once (by
    SMS where ``texting``, the line sending texts, and their number is a mobile; else called).
    """
    if not incident.is_active:
        raise TicketError(f"incident {incident.id} is {incident.status} already")
    note = (note or "").strip()
    if not note:
        raise TicketError("resolving an incident needs a resolution note for its callers")
    incident.status = IncidentStatus.RESOLVED
    incident.resolved_at, incident.resolved_by, incident.resolution_note = now, actor, note
    parent = session.get(Ticket, incident.parent_ticket_id) if incident.parent_ticket_id \
        else None
    if parent is not None and parent.is_open:
        workflow.resolve_ticket(session, parent, actor=actor, now=now, note=note,
                                closure=False)
    told = Notices([], [])
    for child in linked_tickets(session, incident):
        if not child.is_open:
            continue
        notice = incident_notices.notify(session, child, incident.id, now, texting=texting)
        # The closure survey follows the notice (notice_settled, texted), not at once.
        workflow.resolve_ticket(session, child, actor=actor, now=now, note=note,
                                closure=notice is None)
        if isinstance(notice, OutboundCall):
            told.calls.append(notice)
        elif notice is not None:
            told.texts.append(notice)
    _audit(session, actor, "incident.resolve", incident, now, note=note, linked=len(told),
           texted=len(told.texts))
    return told


def notice_settled(session: Session, notice: OutboundCall, now: datetime) -> OutboundCall | None:
    """A caller's notice call is over (told, or given up): their ticket's closure survey
    follows, ``CLOSURE_AFTER_NOTICE`` later, once."""
    ticket = session.get(Ticket, notice.ticket_id) if notice.ticket_id else None
    return incident_notices.survey_after(session, ticket, now) if ticket is not None else None


_book_notice = incident_notices.book_call


# ---- callers --------------------------------------------------------------------------------

def current(session: Session) -> Incident | None:
    """The incident callers hear about now: the latest declared of those still active."""
    return session.scalar(select(Incident).where(Incident.status == IncidentStatus.ACTIVE)
                          .order_by(Incident.declared_at.desc(), Incident.id.desc()).limit(1))


def announced(session: Session) -> list[Incident]:
    """The incidents callers hear about now, each under its own key: the ``ANNOUNCED``
    latest declared of those still active."""
    return active(session)[:ANNOUNCED]


_ACTIVE = (select(Incident).where(Incident.status == IncidentStatus.ACTIVE)
           .order_by(Incident.declared_at.desc(), Incident.id.desc()))  # every call asks


def active(session: Session) -> list[Incident]:
    return list(session.scalars(_ACTIVE))


def recent(session: Session, limit: int = 10) -> list[Incident]:
    """The incidents resolved last, newest first."""
    return list(session.scalars(select(Incident)
                                .where(Incident.status == IncidentStatus.RESOLVED)
                                .order_by(Incident.resolved_at.desc()).limit(limit)))


def linked_tickets(session: Session, incident: Incident) -> list[Ticket]:
    """The child tickets of the callers affected, oldest first."""
    return list(session.scalars(select(Ticket).join(IncidentCaller,
                                                    IncidentCaller.ticket_id == Ticket.id)
                                .where(IncidentCaller.incident_id == incident.id)
                                .order_by(Ticket.id)))


def linked_count(session: Session, incident: Incident) -> int:
    return session.scalar(select(func.count(IncidentCaller.id))
                          .where(IncidentCaller.incident_id == incident.id)) or 0


def incident_of(session: Session, ticket: Ticket) -> Incident | None:
    """The incident a caller's child ticket links them to, if any."""
    return session.scalar(select(Incident).join(IncidentCaller,
                                                IncidentCaller.incident_id == Incident.id)
                          .where(IncidentCaller.ticket_id == ticket.id))


def join(session: Session, incident: Incident, *, number: str | None, name: str | None,
         detail: str | None, language: str | None, customer_id: int | None,
         call_id: int | None, now: datetime) -> Ticket:
    """Link a caller to the incident as an affected user: a child ticket of the parent (the
    same one again if this number is linked already, their new detail added to it)."""
    if not incident.is_active:
        raise TicketError(f"incident {incident.id} is {incident.status}")
    detail = (detail or "").strip() or None
    mine = session.scalar(select(Ticket).join(IncidentCaller,
                                              IncidentCaller.ticket_id == Ticket.id)
                          .where(IncidentCaller.incident_id == incident.id,
                                 IncidentCaller.number == number).limit(1)) if number else None
    if mine is not None:
        record_event(session, "incident_again", "Called again about the incident"
                     + (f": {detail}" if detail else ""), ticket_id=mine.id, call_id=call_id,
                     at=now)
        return mine
    parent = session.get(Ticket, incident.parent_ticket_id)
    what = f"Affected by the major incident: a problem with {service_name(incident, 'en-US')}"
    child, _pin = intake.open_ticket(
        session, fields={"category": incident.category, "name": name, "callback_number": number,
                         "problem": f"{what}. In the caller's words: {detail}" if detail
                         else what},
        priority=parent.priority if parent else PARENT_PRIORITY,
        sla={"tier": parent.tier if parent else PARENT_TIER}, call_id=call_id,
        customer_id=customer_id, language=language, now=now)
    child.parent_id = incident.parent_ticket_id
    child.status_calls_stopped = True  # the notice call tells them when it is fixed
    session.add(IncidentCaller(incident_id=incident.id, ticket_id=child.id,
                               number=child.callback_number, call_id=call_id, linked_at=now))
    if parent is not None:
        record_event(session, "incident_caller", f"Affected caller linked: ticket {child.number}",
                     ticket_id=parent.id, at=now, data={"child": child.number})
    return child
