"""Saying the hold policy's messages in the caller's language and voice."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Gather, VoiceResponse

from call_scripts.moments import say_moment
from call_scripts.policy import OPTIONAL_MESSAGES
from call_scripts.speech import duration
from tickets import versions
from tickets.models import Call, Customer, QueueEntry, Ticket
from tickets.versions import live_policy, shipped_messages

from ..outbound.rules import caller_zone


class Speaker:
    """Says policy messages in the caller's language and voice: the policy of the entry's
    tier, the language and voices of the script the call runs (else the intake script)."""

    def __init__(self, session: Session, entry: QueueEntry | None, call: Call | None,
                 script_name: str):
        self.pol = live_policy(session, entry.tier if entry else None)
        if entry is not None and entry.call_id:
            call = session.get(Call, entry.call_id)
        self.session, self.entry, self.call = session, entry, call
        self.script = versions.script_for_call(session, call.script_version_id,
                                               call.script_digest) \
            if call and call.script_version_id else versions.live_script(session,
                                                                         script_name).parsed
        lang = (entry.language if entry else None) or (call.language if call else None) \
            or self.script.default_language
        self.lang = lang if lang in self.script.languages else self.script.default_language

    def _ticket(self) -> Ticket | None:
        entry = self.entry
        return self.session.get(Ticket, entry.ticket_id) if entry and entry.ticket_id else None

    def customer_timezone(self) -> str | None:
        """The time zone on the caller's customer record, if they have one."""
        ticket, call = self._ticket(), self.call
        customer_id = (call.customer_id if call else None) \
            or (ticket.customer_id if ticket else None)
        customer = self.session.get(Customer, customer_id) if customer_id else None
        return customer.timezone if customer else None

    @property
    def desk_timezone(self) -> str:
        return self.pol.hours.timezone if self.pol.hours else "UTC"

    def zone(self, number: str | None = None) -> tzinfo:
        """The caller's time zone: their customer record's, else their number's (``number``,
        else the one the line calls back first), else the help desk's."""
        entry, call, ticket = self.entry, self.call, self._ticket()
        number = number or (entry.callback_number if entry else None) \
            or (ticket.callback_number if ticket else None) \
            or (entry.caller_number if entry else None) or (call.from_number if call else None)
        return caller_zone(number, self.customer_timezone(), self.desk_timezone)

    def moment(self, at: datetime, now: datetime, number: str | None = None) -> str:
        """A moment as this caller hears it: their time zone (that of ``number`` if given and
        no customer record says), their language, with its day."""
        return say_moment(at, now, self.zone(number), self.lang)

    def say(self, parent: VoiceResponse | Gather, key: str, **values: Any) -> None:
        """Say a policy message; one the policy lacks in this language is said in the
        script's default language, with that language's voice (an optional message the
        policy lacks altogether: the one ``OPTIONAL_MESSAGES`` names instead, else the shipped
        policy's wording). ``minutes`` also fills ``{wait}`` ("1 minute", "5 minuti")."""
        messages = self.pol.messages.get(key)
        if not messages:
            fallback = OPTIONAL_MESSAGES[key]
            messages = self.pol.messages[fallback] if fallback else shipped_messages()[key]
        lang = self.lang if self.lang in messages else self.script.default_language
        template = messages.get(lang) or next(iter(messages.values()))
        if "minutes" in values:  # {wait}: the minutes with their noun, in the language's plural
            values["wait"] = duration(self.script, lang, int(values["minutes"]))
        text = template.format_map(defaultdict(str, values))
        parent.say(text, voice=self.script.voice(lang), language=lang)
