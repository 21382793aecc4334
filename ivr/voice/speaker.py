"""Saying the hold policy's messages in the caller's language and voice."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, tzinfo
from functools import cached_property
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key
from twilio.twiml.voice_response import Gather, VoiceResponse

from call_scripts.moments import say_moment
from call_scripts.policy import OPTIONAL_MESSAGES
from call_scripts.speech import duration
from tickets import versions
from tickets.models import Call, Customer, QueueEntry, Ticket
from tickets.versions import live_policy, shipped_messages

from ..outbound.rules import caller_zone


class CallFacts(NamedTuple):
    """What speaking to a caller needs of their call: read as plain columns, not the ORM's
    ``Call`` (its interpreter state is parsed JSON)."""

    script_version_id: int | None
    script_digest: str | None
    language: str | None
    customer_id: int | None
    from_number: str | None


CALL_FACTS = tuple(getattr(Call, name) for name in CallFacts._fields)  # the columns
_FACTS = select(*CALL_FACTS).where(Call.id == bindparam("id"))  # built once
_TIMEZONE = select(Customer.timezone).where(Customer.id == bindparam("id"))  # built once
_READ = "ivr.voice.speaker.call_facts"  # session.info: (transaction, {call id: facts})


def read_with(session: Session, call_id: int, facts: CallFacts) -> None:
    """Keep a call's facts read with another statement (a webhook's first read) for the
    Speakers of this transaction."""
    session.info[_READ] = (session.get_transaction(), {call_id: facts})


def call_facts(session: Session, call_id: int) -> Call | CallFacts | None:
    """The call as speaking to its caller needs it: the ``Call`` the session holds already
    (with any change not yet flushed), else its facts read in this transaction already
    (``read_with``), else its few columns read."""
    held = session.identity_map.get(identity_key(Call, call_id))
    if held is not None:
        return held
    read = session.info.get(_READ)
    if read is not None and read[0] is session.get_transaction() and call_id in read[1]:
        return read[1][call_id]
    row = session.connection().execute(_FACTS, {"id": call_id}).first()
    return CallFacts(*row) if row is not None else None


class Speaker:
    """Says policy messages in the caller's language and voice: the policy of the entry's
    tier, the language and voices of the script the call runs (else the intake script)."""

    def __init__(self, session: Session, entry: QueueEntry | None, call: Call | None,
                 script_name: str):
        self.pol = live_policy(session, entry.tier if entry else None)
        of_call: Call | CallFacts | None = call
        if entry is not None and entry.call_id:
            of_call = call_facts(session, entry.call_id)
        self.session, self.entry, self.call = session, entry, of_call
        self.script = versions.script_for_call(session, of_call.script_version_id,
                                               of_call.script_digest) \
            if of_call and of_call.script_version_id else versions.live_script(
                session, script_name).parsed
        lang = (entry.language if entry else None) or (of_call.language if of_call else None) \
            or self.script.default_language
        self.lang = lang if lang in self.script.languages else self.script.default_language

    def _ticket(self) -> Ticket | None:
        return self._entry_ticket

    @cached_property
    def _entry_ticket(self) -> Ticket | None:
        """The entry's ticket, held for the request (the session's identity map holds an
        object only while something refers to it: each lookup would load it again)."""
        entry = self.entry
        return self.session.get(Ticket, entry.ticket_id) if entry and entry.ticket_id else None

    def customer_timezone(self) -> str | None:
        """The time zone on the caller's customer record, if they have one."""
        return self._customer_timezone

    @cached_property
    def _customer_timezone(self) -> str | None:
        ticket, call = self._ticket(), self.call
        customer_id = (call.customer_id if call else None) \
            or (ticket.customer_id if ticket else None)
        if not customer_id:
            return None
        held = self.session.identity_map.get(identity_key(Customer, customer_id))
        if held is not None:
            return held.timezone
        return self.session.connection().scalar(_TIMEZONE, {"id": customer_id})

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
