"""SMS to callers, through Twilio Messaging: what each event texts (``SmsPlanner``, part of the
fan-out) and the sending (``SmsChannel``).

Texts go to mobile numbers only (phonenumbers' number type), never to a number that texted
STOP, in the caller's language (``call_scripts.sms`` texts), with times in the caller's zone
(Babel). A PIN is never texted: the intake SMS says whether one is needed (not from a number on
file). Twilio reports each message's fate to ``/voice/sms/status`` (kept on its row).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioRestException

from call_scripts.moments import say_moment
from call_scripts.sms import SmsTexts, shipped_sms
from tickets import incidents, outbox, versions
from tickets.models import Call, Customer, OutboundCall, Ticket
from tickets.outbox import OutboxEvent, Topic
from tickets.phones import is_mobile, mask_numbers

from ..outbound import rules
from ..rest_errors import rest_errors
from . import notices
from .deliverer import Parcel, Sent
from .settings import SmsSettings

if TYPE_CHECKING:
    from twilio.rest import Client

Text = tuple[str, str] | None  # (the number, the text), or None: no text for this event

log = logging.getLogger(__name__)

SOON = timedelta(minutes=2)  # a callback due this soon is "as soon as an analyst is free"
# Recovering a text a dead deliverer may have sent: the latest texts to the number read, and
# one made at most this long before the try (our clock and Twilio's may differ) matched.
RECOVERY_LOOKBACK = 50
RECOVERY_MARGIN = timedelta(hours=1)

# Twilio's error codes that no retry will change (21610: the number texted STOP to Twilio).
PERMANENT = {21211, 21408, 21610, 21612, 21614, 21606, 21660}


@dataclass(frozen=True)
class Line:
    """What a text says of the line itself."""

    helpdesk: dict[str, str]  # the desk's name in each language (HELPDESK_NAME, _NAMES)
    number: str  # E.164, shown in the caller's own format
    public_base_url: str
    status_path: str = "/voice/sms/status"


def line_of(cfg: Mapping[str, Any]) -> Line:
    """The line as the app's configuration names it."""
    names = {**cfg.get("HELPDESK_NAMES", {}), cfg["DEFAULT_LANGUAGE"]: cfg["HELPDESK_NAME"]}
    return Line(helpdesk=names, number=cfg["TWILIO_PHONE_NUMBER"],
                public_base_url=cfg["PUBLIC_BASE_URL"])


@cache
def texts() -> SmsTexts:
    """The shipped SMS texts (checked by `flask ivr scripts check`), parsed once."""
    return shipped_sms()


def planner(settings: SmsSettings, cfg: Mapping[str, Any]) -> SmsPlanner:
    return SmsPlanner(settings, texts(), line_of(cfg))


def refusal(session: Session, number: str | None) -> str | None:
    """Why no SMS may go to this number (None: it may)."""
    if not number:
        return "no number to text"
    try:
        phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return "not a phone number"
    if not is_mobile(number):
        return "not a mobile number"
    if outbox.opted_out(session, number):
        return "the number opted out of texts (STOP)"
    return None


def display(number: str) -> str:
    try:
        return phonenumbers.format_number(phonenumbers.parse(number),
                                          phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return number


class SmsPlanner:
    """The SMS an event makes, if any (run by the fan-out, once per event)."""

    def __init__(self, settings: SmsSettings, texts: SmsTexts, line: Line):
        self.settings = settings
        self.texts = texts
        self.line = line
        self.builders: dict[str, Callable[[Session, OutboxEvent, datetime], Text]] = {
            Topic.INTAKE_COMPLETED: self._intake, Topic.CALLBACK_BOOKED: self._booked,
            Topic.CALLBACK_MISSED: self._missed, Topic.TICKET_RESOLVED: self._resolved,
            Topic.INCIDENT_NOTICE: self._incident_fixed}

    def plan(self, session: Session, event: OutboxEvent, now: datetime) -> None:
        build = self.builders.get(event.topic)
        if build is None:
            return
        if not self.settings.enabled:
            notices.unsent(session, event, now, "the line sends no texts")
            return
        made = build(session, event, now)
        if made is None:
            return
        to, body = made
        message = outbox.add_message(session, event, "sms", to, {"to": to, "body": body}, now,
                                     self.settings.max_attempts, skipped=refusal(session, to))
        notices.settled(session, message, now)

    # ---- the texts --------------------------------------------------------------------------

    def _say(self, name: str, language: str | None, **values: Any) -> str:
        lang = self.texts.language_for(language)
        helpdesk = self.line.helpdesk.get(lang) or next(iter(self.line.helpdesk.values()))
        return self.texts.render(name, lang, helpdesk=helpdesk, line=display(self.line.number),
                                 **values)

    def _when(self, session: Session, at: datetime, now: datetime, number: str,
              ticket: Ticket | None, language: str | None) -> str:
        """A moment in the caller's zone and words, with its day, as the voice line says it
        (``call_scripts.moments``: Babel; "today at 3:00 PM", "domani alle ore 09:00")."""
        customer = session.get(Customer, ticket.customer_id) if ticket and ticket.customer_id \
            else None
        policy = versions.live_policy(session)
        zone = rules.callee_zones(number, customer.timezone if customer else None,
                                  policy.hours.timezone if policy.hours else "UTC")[0]
        return say_moment(at, now, zone, self.texts.language_for(language))

    def _intake(self, session: Session, event: OutboxEvent, now: datetime) -> Text:
        tickets = [t for t in (session.get(Ticket, i) for i in event.data.get("tickets", []))
                   if t is not None]
        if not tickets:
            return None
        first = tickets[0]
        number = first.callback_number
        call = session.get(Call, first.call_id) if first.call_id else None
        if not number and call is not None:
            number = call.from_number
        if not number:
            return None
        language = first.language
        names = _priority_names(session, call, self.texts.language_for(language))
        lines = []
        for t in tickets:
            priority = names.get(t.priority, t.priority.replace("_", " "))
            if t.response_due:
                lines.append(self._say("ticket_line", language, number=t.number,
                                       priority=priority, respond_by=self._when(
                                           session, t.response_due, now, number,
                                           t, language)))
            else:
                lines.append(self._say("ticket_line_plain", language, number=t.number,
                                       priority=priority))
        listed = lines[0] if len(lines) == 1 else ", ".join(lines[:-1]) + \
            f" {self.texts.render('and', language)} {lines[-1]}"
        access = "access_on_file" if _on_file(first, number) else "access_pin"
        return number, self._say("intake", language, tickets=listed,
                                 access=self.texts.render(access, language))

    def _outbound(self, session: Session, event: OutboxEvent
                  ) -> tuple[OutboundCall, Ticket] | None:
        outbound = session.get(OutboundCall, event.data.get("outbound_call_id"))
        ticket = session.get(Ticket, event.ticket_id) if event.ticket_id else None
        if outbound is None or ticket is None:
            return None
        return outbound, ticket

    def _booked(self, session: Session, event: OutboxEvent, now: datetime) -> Text:
        found = self._outbound(session, event)
        if found is None:
            return None
        outbound, ticket = found
        due = datetime.fromisoformat(event.data["due"])
        if outbound.queue_entry_id is not None and due <= event.created_at + SOON:
            # a callback keeping a place in line: placed when its turn comes, not at a time
            return outbound.to_number, self._say("callback_in_line", outbound.language,
                                                 ticket=ticket.number)
        return outbound.to_number, self._say(
            "callback_booked", outbound.language, ticket=ticket.number,
            time=self._when(session, due, now, outbound.to_number, ticket,
                            outbound.language))

    def _missed(self, session: Session, event: OutboxEvent, now: datetime) -> Text:
        found = self._outbound(session, event)
        if found is None:
            return None
        outbound, ticket = found
        to, lang = outbound.to_number, outbound.language
        tried = self._when(session, datetime.fromisoformat(event.data["tried_at"]),
                           now, to, ticket, lang)
        if event.data.get("next_try"):
            upcoming = self._when(session, datetime.fromisoformat(event.data["next_try"]),
                                  now, to, ticket, lang)
            return to, self._say("callback_missed", lang, ticket=ticket.number, time=tried,
                                 next=upcoming)
        return to, self._say("callback_missed_final", lang, ticket=ticket.number, time=tried)

    def _resolved(self, session: Session, event: OutboxEvent, now: datetime) -> Text:
        ticket = session.get(Ticket, event.ticket_id) if event.ticket_id else None
        if ticket is None or not ticket.callback_number or \
                incidents.incident_of(session, ticket) is not None:
            return None  # a caller of a major incident is told by its own notice
        name = "ticket_resolved" if event.data.get("survey_call") else "ticket_resolved_no_call"
        return ticket.callback_number, self._say(name, ticket.language, ticket=ticket.number)

    def _incident_fixed(self, session: Session, event: OutboxEvent, now: datetime) -> Text:
        ticket = session.get(Ticket, event.ticket_id) if event.ticket_id else None
        incident = incidents.incident_of(session, ticket) if ticket is not None else None
        if ticket is None or incident is None or not ticket.callback_number:
            return None
        lang = self.texts.language_for(ticket.language)
        return ticket.callback_number, self._say(
            "incident_fixed", lang, service=incidents.service_name(incident, lang),
            note=incident.resolution_note or "", ticket=ticket.number)

    def help_text(self, language: str | None) -> str:
        """The answer to a text saying HELP."""
        return self._say("help", language)


def _on_file(ticket: Ticket, number: str) -> bool:
    """Is the number one the line knows for the ticket's customer (a status call from it needs
    no PIN, so the text may say so)?"""
    customer = ticket.customer
    return customer is not None and number in {p.number for p in customer.phones}


def _priority_names(session: Session, call: Call | None, language: str) -> dict[str, str]:
    """The priority labels' names in the caller's language, from the script of their call."""
    try:
        script = versions.script_for_call(session, call.script_version_id, call.script_digest) \
            if call is not None and call.script_version_id else \
            versions.script_of(versions.current(session, "intake"))
    except Exception:  # noqa: BLE001  a label's name is a nicety; its key will do
        return {}
    labels = script.priority.labels if script.priority else {}
    return {key: label.name.get(language) or next(iter(label.name.values()), key)
            for key, label in labels.items()}


def language_of(session: Session, number: str, default: str) -> str:
    """The language of the latest ticket of this number (to answer its texts)."""
    language = session.scalar(select(Ticket.language).where(Ticket.callback_number == number)
                              .order_by(Ticket.id.desc()).limit(1))
    return language or default


# ---- sending ----------------------------------------------------------------------------------

class SmsChannel:
    """Sends SMS through Twilio's Messages API; recovers one a dead deliverer sent."""

    def __init__(self, settings: SmsSettings, line: Line, client: Callable[[], Client]):
        self.settings = settings
        self.line = line
        self.client = client

    def send(self, parcel: Parcel) -> Sent:
        to, body = parcel.payload["to"], parcel.payload["body"]
        client = self.client()
        try:
            if parcel.recovering_since is not None:
                sid = self._sent_before(client, to, body, parcel.recovering_since)
                if sid:
                    return Sent(parcel, True, external_id=sid)
            sender: dict[str, str] = (
                {"messaging_service_sid": self.settings.messaging_service_sid}
                if self.settings.messaging_service_sid else
                {"from_": self.settings.from_number or self.line.number})
            message = client.messages.create(
                to=to, body=body, status_callback=f"{self.line.public_base_url}"
                f"{self.line.status_path}?m={parcel.id}", **sender)
            return Sent(parcel, True, code=201, external_id=message.sid)
        except TwilioRestException as exc:
            transient = exc.status == 429 or exc.status >= 500
            why = mask_numbers(f"Twilio refused the text: {exc.msg} (HTTP {exc.status}, "
                               f"code {exc.code})")
            return Sent(parcel, False, why, transient=transient and exc.code not in PERMANENT,
                        code=exc.status)
        except rest_errors() as exc:
            return Sent(parcel, False, f"Twilio could not be reached: "
                        f"{exc.__class__.__name__}", transient=True)

    def _sent_before(self, client: Client, to: str, body: str, since: datetime) -> str | None:
        """The SID of this text if an earlier try did reach Twilio. Not filtered by DateSent:
        a text Twilio still holds queued has none, and would never be found; the latest
        texts to the number are read and matched by body and DateCreated instead."""
        earliest = since - RECOVERY_MARGIN
        for message in client.messages.list(to=to, limit=RECOVERY_LOOKBACK):
            created = message.date_created
            if message.body == body and (created is None or created >= earliest):
                return message.sid
        return None
