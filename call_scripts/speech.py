"""Saying prompts in the caller's language, with their placeholders filled from the fields."""

from __future__ import annotations

import string
from typing import Any

from babel import Locale

from . import cldr
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
        if isinstance(value, dict):  # a value given per language: {helpdesk}
            value = value.get(self.language, value.get(self.script.default_language))
        if value is None:
            return ""
        if format_spec.startswith("plural:"):
            return self._plural(format_spec.removeprefix("plural:"), value)
        if format_spec == "digits":  # a number's "+" is not a digit to say
            return " ".join(str(value).lstrip("+"))
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

    def _plural(self, key: str, count: Any) -> str:
        """A count with its noun in the form the language's plural rules ask for."""
        forms = self.script.plurals.get(key, {}).get(self.language)
        if not forms:
            return str(count)
        try:
            n = int(count)
        except (TypeError, ValueError):
            return str(count)
        form = forms.get(plural_category(self.language, n)) or forms.get("other") or ""
        return form.format(n=n)

    def _duration(self, minutes: int) -> str:
        if minutes % 60 == 0 and minutes >= 60:
            return self._counted("hours", "hour", minutes // 60)
        return self._counted("minutes", "minute", minutes)

    def _counted(self, key: str, singular: str, n: int) -> str:
        """n hours / minutes: the script's plural forms, else its words for one and many."""
        if key in self.script.plurals:
            return self._plural(key, n)
        w = self.script.words.get(singular if n == 1 else key)
        return f"{n} {w[self.language] if w else key}"


def _locale(language: str) -> Locale:
    return cldr.locale(language)


def plural_categories(language: str) -> frozenset[str]:
    """The CLDR plural categories a language uses ('one', 'many', ..., always 'other')."""
    return frozenset(_locale(language).plural_form.tags) | {"other"}


def plural_category(language: str, n: int) -> str:
    """Which plural form a language uses for the count n."""
    return str(_locale(language).plural_form(n))


def duration(script: Script, language: str, minutes: int) -> str:
    """Minutes as said in the language: "1 minute", "5 minuti", "2 jam"."""
    return _Formatter(script, language)._duration(minutes)


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
