"""Reading what the caller did: a language or menu choice, a yes or a no, a validated answer.

Plain functions of the script, the call's language and fields, and the caller's input.
"""

from __future__ import annotations

from typing import Any

from . import phones
from .actions import Input
from .fields import said
from .model import AskStep, MenuStep, Script
from .phones import DialRule


def language_choice(script: Script, event: Input) -> str | None:
    """The language picked by its key (1, 2, ...) or by saying its name."""
    codes = list(script.languages)
    digit = event.digits or ""  # one key: "12" is not a choice of language 1
    spoken = (event.speech or "").strip().lower()
    chosen = None
    if digit.isdigit() and 1 <= int(digit) <= len(codes):
        chosen = codes[int(digit) - 1]
    for code, info in script.languages.items():
        if spoken and info.label.lower() in spoken:
            chosen = code
    return chosen


def country_language(script: Script, number: Any) -> tuple[str, str] | None:
    """The language the caller's country speaks (by the script's ``countries``) and the
    country, from their number; None when the number names no such country."""
    region = phones.region_of(number) if isinstance(number, str) else None
    if region is None:
        return None
    code = next((c for c, info in script.languages.items() if region in info.countries), None)
    return (code, region) if code else None


def switched_language(script: Script, language: str, event: Input) -> str | None:
    """The other language a key offered by ``offer_languages`` switches to, or whose name
    alone the caller said ("English"), if it is one."""
    spoken = (event.speech or "").strip(" .,!?").lower()
    return next((code for code, info in script.languages.items()
                 if code != language and info.switch_key and (
                     event.digits == info.switch_key
                     or (spoken and not event.digits and spoken == info.label.lower()))),
                None)


def menu_choice(step: MenuStep, event: Input, language: str) -> str | None:
    """The menu option picked by its key or by one of its words."""
    if event.digits:  # the whole of what was keyed: "100200" is not option 1
        return event.digits if event.digits in step.options else None
    spoken = (event.speech or "").lower()
    for key, option in step.options.items():
        if any(said(w, spoken) for w in option.words.get(language, [])):
            return key
    return None


def skipped(step: AskStep, event: Input, language: str) -> bool:
    """Whether the caller skipped a question: its skip key, or its skip words said ("I don't
    know")."""
    if event.digits:
        return bool(step.skip_key) and event.digits == step.skip_key
    spoken = event.speech or ""
    return any(said(w, spoken) for w in step.skip_words.get(language, []))


def may_be_wrong(script: Script, event: Input) -> bool:
    """Whether an answer is worth reading back: speech heard with low (or no) confidence, or
    a long keyed entry. A short keyed entry or clear speech is taken as given."""
    if event.digits:
        return len(event.digits) >= script.defaults.read_back_digits
    return event.confidence is None or event.confidence < script.defaults.read_back_below


def yes_no(script: Script, language: str, event: object) -> bool | None:
    """1 or "yes" is True, 2 or "no" is False; anything else None."""
    if not isinstance(event, Input):
        return None
    if event.digits:
        return {"1": True, "2": False}.get(event.digits)
    spoken = event.speech or ""  # as Twilio gives it: "Yes." (whole words, any case)
    for word, meaning in (("yes", True), ("no", False)):
        w = script.words.get(word)
        if w and said(w[language], spoken):
            return meaning
    return None


def yes_no_hints(script: Script, language: str) -> str | None:
    """The words "yes" and "no" in the call's language, for the speech recogniser."""
    words = [script.words[w][language] for w in ("yes", "no") if w in script.words]
    return ", ".join(words) or None


def validate(script: Script, fields: dict[str, Any], step: AskStep, event: Input,
             dialling: DialRule | None = None) -> tuple[Any, str | None]:
    """The answer as the step's rule reads it, or None and why it is refused (a phone
    number: one the line may call under ``dialling``)."""
    rule = step.validate_
    raw = (event.digits if event.digits else event.speech or "").strip()
    if rule.kind == "digits":
        if not raw.isdigit():
            return None, f"not digits: {raw!r}"
    if rule.kind == "phone":
        region = fields.get("caller_region") or script.defaults.phone_region
        return phones.callable_number(raw, region, dialling or DialRule())
    if rule.kind == "speech" and event.confidence is not None \
            and event.confidence < rule.min_confidence:
        return None, f"unclear speech (confidence {event.confidence:.2f}): {raw!r}"
    if not rule.min_length <= len(raw) <= rule.max_length:
        return None, f"wrong length ({len(raw)}): {raw!r}"
    return raw, None
