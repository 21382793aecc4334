"""Phone numbers on tickets and in logs. The rules themselves live in ``call_scripts.phones``,
shared with the script interpreter."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

from call_scripts import phones
from call_scripts.phones import DialRule

region_of = phones.region_of
is_mobile = phones.is_mobile

# A "+" (or its URL encoding) and digits, or a bare run of seven or more digits that is not
# part of a longer word (so a CallSid's hexadecimal digits are left alone).
PHONE_NUMBER = re.compile(r"(?:(?:\+|%2[Bb])\d{4,}|(?<![\w+])\d{7,})(?!\w)")


def to_e164(raw: str | None, region: str = "US") -> str | None:
    """A number that names a line (caller ID, an analyst's phone, a search) in E.164, or None
    when it is missing, anonymous or not a number."""
    return phones.possible(raw, region)


def keyed_number(raw: str | None, caller: str | None,
                 rule: DialRule) -> tuple[str | None, str | None]:
    """A number a caller keyed for the line to call, read the way the caller's own number
    reads (their country), in E.164; or None and why the line will not call it."""
    return phones.callable_number(raw, region_of(caller) or "US", rule)


@lru_cache(maxsize=256)
def destination_refusal(number: str, rule: DialRule) -> str | None:
    """Why the line must not call this number (one it holds in E.164: a caller ID, a ticket's
    callback number, a booking's), or None when it may: the rule that refused it when it was
    keyed, checked again before any callback is promised and before it is dialled.

    About 70 us a number (its type and country from phonenumbers' metadata), asked for the
    same numbers several times a call (the caller's, those on file, at the queue, for the
    callback): the last answers are kept, in memory only, by number and rule."""
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return "not a phone number"
    return phones.refusal(parsed, rule)


def callable_number(raw: str | None, region: str,
                    rule: DialRule) -> tuple[str | None, str | None]:
    """A number given for the line to call (read the way numbers are written in ``region``),
    in E.164, or None and why the line will not call it."""
    return phones.callable_number(raw, region, rule)


def mask_phone(number: str | None) -> str:
    """A phone number fit for logs: the last three digits only."""
    if not number:
        return "-"
    return "*" * max(len(number) - 3, 0) + number[-3:]


def mask_numbers(text: str) -> str:
    """The text with every phone-number-like string reduced to its last three digits."""
    return PHONE_NUMBER.sub(lambda m: "*" * (len(m[0]) - 3) + m[0][-3:], text)
