"""Saying the hold policy's messages in the caller's language and voice."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Gather, VoiceResponse

from call_scripts.policy import OPTIONAL_MESSAGES
from call_scripts.speech import duration
from tickets import versions
from tickets.models import Call, QueueEntry
from tickets.versions import live_policy


class Speaker:
    """Says policy messages in the caller's language and voice: the policy of the entry's
    tier, the language and voices of the script the call runs (else the intake script)."""

    def __init__(self, session: Session, entry: QueueEntry | None, call: Call | None,
                 script_name: str):
        self.pol = live_policy(session, entry.tier if entry else None)
        if entry is not None and entry.call_id:
            call = session.get(Call, entry.call_id)
        self.script = versions.script_for_call(session, call.script_version_id,
                                               call.script_digest) \
            if call and call.script_version_id else versions.live_script(session,
                                                                         script_name).parsed
        lang = (entry.language if entry else None) or (call.language if call else None) \
            or self.script.default_language
        self.lang = lang if lang in self.script.languages else self.script.default_language

    def local(self, at: datetime, fmt: str) -> str:
        """A time as the caller's help desk tells it: in the policy's time zone."""
        zone = self.pol.hours.zone if self.pol.hours else at.tzinfo
        return at.astimezone(zone).strftime(fmt)

    def say(self, parent: VoiceResponse | Gather, key: str, **values: Any) -> None:
        """Say a policy message; one the policy lacks in this language is said in the
        script's default language, with that language's voice (an optional message the
        policy lacks altogether: the one ``OPTIONAL_MESSAGES`` names instead). ``minutes``
        also fills ``{wait}`` ("1 minute", "5 minuti")."""
        messages = self.pol.messages.get(key) or self.pol.messages[OPTIONAL_MESSAGES[key]]
        lang = self.lang if self.lang in messages else self.script.default_language
        template = messages.get(lang) or next(iter(messages.values()))
        if "minutes" in values:  # {wait}: the minutes with their noun, in the language's plural
            values["wait"] = duration(self.script, lang, int(values["minutes"]))
        text = template.format_map(defaultdict(str, values))
        parent.say(text, voice=self.script.voice(lang), language=lang)
