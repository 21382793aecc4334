"""Saying prompts in the caller's language, with their placeholders filled from the fields."""

from __future__ import annotations

import string
from typing import Any

from .actions import Say
from .fields import lookup
from .model import Prompt, Script


class _Formatter(string.Formatter):
    """Fill prompt placeholders from fields: {name}, {ticket.number:digits}, {priority:label}."""

    def __init__(self, script: Script, language: str):
        self.script = script
        self.language = language

    def get_field(self, field_name, args, kwargs):
        return lookup(kwargs, field_name), field_name

    def format_field(self, value, format_spec):
        if value is None:
            return ""
        if format_spec == "digits":
            return " ".join(str(value))
        if format_spec == "label":
            pr = self.script.priority
            label = pr.labels.get(str(value)) if pr else None
            return label.name[self.language] if label else str(value)
        if format_spec == "duration":
            return self._duration(int(value))
        if format_spec == "word":
            words = self.script.words.get(str(value))
            return words[self.language] if words else str(value)
        return format(value, format_spec) if format_spec else str(value)

    def _duration(self, minutes: int) -> str:
        def word(key: str, default: str) -> str:
            w = self.script.words.get(key)
            return w[self.language] if w else default

        if minutes % 60 == 0 and minutes >= 60:
            hours = minutes // 60
            return f"{hours} {word('hour' if hours == 1 else 'hours', 'hours')}"
        return f"{minutes} {word('minute' if minutes == 1 else 'minutes', 'minutes')}"


def render(script: Script, state: dict[str, Any], prompt: Prompt) -> Say:
    """A prompt as said in the call's language and voice."""
    lang = state["language"]
    text = prompt.get(lang) or prompt.get(script.default_language) or ""
    context = {**state["fields"], "language": lang}
    try:
        text = _Formatter(script, lang).vformat(text, (), context)
    except (ValueError, KeyError, IndexError):
        pass  # an unfillable placeholder is said as written rather than dropping the call
    return Say(text=text, language=lang, voice=script.voice(lang))
