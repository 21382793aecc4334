"""Phone numbers as the line reads them (pure: the phonenumbers library only).

One rule for a number a person gives the line to call (keyed or said in a script, keyed while
holding): it must be a valid number of its country, since the line will dial it. Numbers that
name someone already on a line (Twilio's caller ID, an analyst's phone, a search) are read
more loosely, as merely possible numbers: they identify, they are not checked for dialling
(the demo's fictional 555-01xx numbers are possible but not valid).
"""

from __future__ import annotations

import phonenumbers


def dialable(raw: str | None, region: str) -> tuple[str | None, str | None]:
    """A number a caller gave, in E.164, or None and why it is not one."""
    raw = (raw or "").strip()
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None, f"not a phone number: {raw!r}"
    if not phonenumbers.is_valid_number(number):
        return None, f"not a valid phone number: {raw!r}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def possible(raw: str | None, region: str = "US") -> str | None:
    """A number that names a line (caller ID, an analyst's phone) in E.164, or None when it is
    missing, anonymous or not a number."""
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_of(e164: str | None) -> str | None:
    """The ISO country of an E.164 number (for reading keyed-in numbers the caller's way)."""
    if not e164:
        return None
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return None
