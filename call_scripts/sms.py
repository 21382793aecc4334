"""SMS texts to callers, per language, from YAML (``call_scripts/messages/sms.yaml``): parsed
and checked like prompts (every message in every language, only the placeholders the line
fills, those it must say present), and filled in. Pure: the line chooses the values."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import glossary
from .problems import Problem, ScriptError, load_yaml, placeholders

SHIPPED = Path(__file__).parent / "messages" / "sms.yaml"

# Each message: the placeholders the line fills, and those the text must use.
MESSAGES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    name: (frozenset(allowed.split()), frozenset(required.split()))
    for name, allowed, required in [
        # after intake: the ticket(s) opened, how to ask for their status
        ("intake", "helpdesk tickets line access", "tickets line access"),
        ("ticket_line", "number priority respond_by", "number priority respond_by"),
        ("ticket_line_plain", "number priority", "number priority"),
        ("and", "", ""),
        ("access_on_file", "", ""),  # the caller's number is on file: no PIN needed
        ("access_pin", "", ""),  # the PIN was said on the call; it is never texted
        ("callback_booked", "helpdesk ticket time", "ticket time"),
        ("callback_in_line", "helpdesk ticket", "ticket"),  # as soon as an analyst is free
        ("callback_missed", "helpdesk ticket time next", "time next"),
        ("callback_missed_final", "helpdesk ticket time line", "time line"),
        ("ticket_resolved", "helpdesk ticket", "ticket"),  # a survey call is announced
        ("ticket_resolved_no_call", "helpdesk ticket line", "ticket"),
        ("help", "helpdesk line", "line"),  # the answer to HELP
        # a major incident the caller was linked to is fixed (the resolution note as written)
        ("incident_fixed", "helpdesk service note ticket line", "service ticket"),
    ]}


# The messages sent as they are; the others are parts of them.
WHOLE = frozenset({"intake", "callback_booked", "callback_in_line", "callback_missed",
                   "callback_missed_final", "ticket_resolved", "ticket_resolved_no_call",
                   "help", "incident_fixed"})


@dataclass(frozen=True)
class SmsTexts:
    languages: tuple[str, ...]
    default_language: str
    texts: dict[str, dict[str, str]]  # message -> language -> text

    def language_for(self, language: str | None) -> str:
        """The caller's language if there are texts in it (en-GB takes en-US), else the
        default."""
        if language in self.languages:
            return language
        base = (language or "").split("-")[0].lower()
        return next((lang for lang in self.languages if lang.split("-")[0].lower() == base),
                    self.default_language)

    def render(self, name: str, language: str | None, **values: Any) -> str:
        """A message in the caller's language with its placeholders filled (a whole message
        starts with a capital; a part of one, such as ``when``, as written)."""
        text = self.texts[name][self.language_for(language)].format_map(values)
        return text[:1].upper() + text[1:] if name in WHOLE else text


def parse_sms(text: str, source: str = "sms.yaml", check_words: bool = True) -> SmsTexts:
    """Parse and check an SMS texts file; ScriptError lists every problem with its line
    (check_words: hold it to the glossary, as the scripts and hold policies are: a text says
    "analista" as the call did, not "tecnico")."""
    data, lines = load_yaml(text, source, "an SMS texts file")
    problems: list[Problem] = glossary.problems(text, source) if check_words else []
    languages = data.get("languages")
    if not isinstance(languages, list) or not languages or \
            not all(isinstance(lang, str) for lang in languages):
        raise ScriptError([Problem(source, lines.of("languages"), None,
                                   "languages: a list of language codes, e.g. [en-US, it-IT]")])
    default = data.get("default_language", languages[0])
    if default not in languages:
        problems.append(Problem(source, lines.of("default_language"), None,
                                f"default_language {default!r} is not one of the languages"))
    messages = data.get("messages")
    if not isinstance(messages, dict):
        raise ScriptError([Problem(source, lines.of("messages"), None,
                                   "messages: a mapping of message name to its texts")])
    for name in sorted(set(messages) - set(MESSAGES)):
        problems.append(Problem(source, lines.of("messages", name), None,
                                f"unknown message {name!r} (known: {', '.join(MESSAGES)})"))
    texts: dict[str, dict[str, str]] = {}
    for name, (allowed, required) in MESSAGES.items():
        given = messages.get(name)
        if not isinstance(given, dict):
            problems.append(Problem(source, lines.of("messages"), None,
                                    f"message {name!r} is missing (one text per language)"))
            continue
        texts[name] = {}
        for lang in languages:
            line = lines.of("messages", name, lang)
            value = given.get(lang)
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(source, lines.of("messages", name), None,
                                        f"message {name!r} has no {lang} text"))
                continue
            wrong = _placeholder_problems(value, allowed, required)
            problems.extend(Problem(source, line, None, f"message {name!r} ({lang}){what}")
                            for what in wrong)
            if not wrong:
                texts[name][lang] = value.strip()
        for extra in sorted(set(given) - set(languages)):
            problems.append(Problem(source, lines.of("messages", name, extra), None,
                                    f"message {name!r}: {extra} is not one of the languages"))
    if problems:
        raise ScriptError(problems)
    return SmsTexts(tuple(languages), str(default), texts)


def _placeholder_problems(value: str, allowed: frozenset[str],
                          required: frozenset[str]) -> list[str]:
    """What is wrong with a text's placeholders (each said after the message's name)."""
    try:
        used = set(placeholders(value))
    except ValueError as exc:
        return [f": {exc}"]
    return [f": unknown placeholder {{{unknown}}} (it may use "
            f"{', '.join(sorted(allowed)) or 'none'})" for unknown in sorted(used - allowed)] + \
        [f" must say {{{missing}}}" for missing in sorted(required - used)]


def shipped_sms() -> SmsTexts:
    return parse_sms(SHIPPED.read_text(encoding="utf-8"), SHIPPED.name)
