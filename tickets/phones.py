"""Phone numbers on tickets and in logs. The rules themselves live in ``call_scripts.phones``,
shared with the script interpreter."""

from __future__ import annotations

from call_scripts import phones

dialable = phones.dialable
region_of = phones.region_of


def to_e164(raw: str | None, region: str = "US") -> str | None:
    """A number that names a line (caller ID, an analyst's phone, a search) in E.164, or None
    when it is missing, anonymous or not a number."""
    return phones.possible(raw, region)


def keyed_to_e164(raw: str | None, caller: str | None) -> str | None:
    """A number a caller keyed for the line to call, read the way the caller's own number
    reads (their country), in E.164; None unless it is a valid number."""
    number, _why = phones.dialable(raw, region_of(caller) or "US")
    return number


def mask_phone(number: str | None) -> str:
    """A phone number fit for logs: the last three digits only."""
    if not number:
        return "-"
    return "*" * max(len(number) - 3, 0) + number[-3:]
