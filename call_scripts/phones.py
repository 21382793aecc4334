"""Phone numbers as the line reads them (pure: the phonenumbers library only).

One rule for a number the line will call (keyed or said in a script, keyed while holding, and
again by the dispatcher before it dials): ``callable_number`` / ``refusal`` with a ``DialRule``,
the policy's allowed number types and countries. Only a valid number of its country, of an
allowed type (by default fixed line, mobile or toll free: never premium rate, shared cost,
personal numbers, pagers, UAN or VoIP), in an allowed country, is ever dialled.

Numbers that name someone already on a line (Twilio's caller ID, an analyst's phone, a search)
are read more loosely, as merely possible numbers: they identify, they are not checked for
dialling (the demo's fictional 555-01xx numbers are possible but not valid).

Reasons never quote the number: they end up in logs and on timelines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberType

# The number types a policy may allow, by the name it writes them with.
NUMBER_TYPES: dict[str, frozenset[int]] = {
    "fixed_line": frozenset({PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}),
    "mobile": frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}),
    "toll_free": frozenset({PhoneNumberType.TOLL_FREE}),
    "premium_rate": frozenset({PhoneNumberType.PREMIUM_RATE}),
    "shared_cost": frozenset({PhoneNumberType.SHARED_COST}),
    "voip": frozenset({PhoneNumberType.VOIP}),
    "personal_number": frozenset({PhoneNumberType.PERSONAL_NUMBER}),
    "pager": frozenset({PhoneNumberType.PAGER}),
    "uan": frozenset({PhoneNumberType.UAN}),
    "voicemail": frozenset({PhoneNumberType.VOICEMAIL}),
}
# How a refused type is named in a reason.
TYPE_NAMES = {
    PhoneNumberType.PREMIUM_RATE: "premium-rate", PhoneNumberType.SHARED_COST: "shared-cost",
    PhoneNumberType.VOIP: "VoIP", PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager", PhoneNumberType.UAN: "UAN",
    PhoneNumberType.VOICEMAIL: "voicemail-access", PhoneNumberType.TOLL_FREE: "toll-free",
    PhoneNumberType.MOBILE: "mobile", PhoneNumberType.FIXED_LINE: "fixed-line",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed-line or mobile",
}
DEFAULT_TYPES = ("fixed_line", "mobile", "toll_free")
DEFAULT_COUNTRIES = ("US", "CA", "GB", "IT", "MY")


@dataclass(frozen=True)
class DialRule:
    """Where the line may call: valid numbers of these types, in these countries (ISO codes).
    Built from the policy (``Outbound.dial_rule()``); kept in a call's state as plain data."""

    types: frozenset[str] = frozenset(DEFAULT_TYPES)
    countries: frozenset[str] = frozenset(DEFAULT_COUNTRIES)

    @classmethod
    def of(cls, types: Iterable[str], countries: Iterable[str]) -> DialRule:
        return cls(frozenset(types), frozenset(countries))

    def as_data(self) -> dict[str, list[str]]:
        return {"types": sorted(self.types), "countries": sorted(self.countries)}

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> DialRule:
        """The rule a call's state holds (the default one for a state from before rules)."""
        if not data:
            return cls()
        return cls.of(data.get("types") or DEFAULT_TYPES,
                      data.get("countries") or DEFAULT_COUNTRIES)

    def allows_type(self, kind: int) -> bool:
        return any(kind in NUMBER_TYPES.get(name, ()) for name in self.types)


def refusal(number: phonenumbers.PhoneNumber, rule: DialRule) -> str | None:
    """Why the line must not call this parsed number, or None when it may."""
    if not phonenumbers.is_valid_number(number):
        return "not a valid phone number"
    kind = phonenumbers.number_type(number)
    if not rule.allows_type(kind):
        return f"{TYPE_NAMES.get(kind, 'unknown-type')} numbers are never called"
    region = phonenumbers.region_code_for_number(number)
    if region not in rule.countries:
        allowed = ", ".join(sorted(rule.countries))
        return f"{region} is not among the countries the line calls ({allowed})"
    return None


def is_mobile(e164: str | None) -> bool:
    """Can the number take a text: a mobile by phonenumbers' number type (a country that
    does not tell mobiles from fixed lines, such as the US, counts as one)?"""
    if not e164:
        return False
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in NUMBER_TYPES["mobile"]


def callable_number(raw: str | None, region: str,
                    rule: DialRule) -> tuple[str | None, str | None]:
    """A number given for the line to call, in E.164 (read the way numbers are written in
    ``region``), or None and why the line will not call it."""
    raw = (raw or "").strip()
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None, "not a phone number"
    why = refusal(number, rule)
    if why:
        return None, why
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


# A call's number is read several times (the caller ID at its start, then to find the caller,
# their country, their place in line): the last numbers read are kept, in memory only.
_RECENT = 256


@lru_cache(maxsize=_RECENT)
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


@lru_cache(maxsize=_RECENT)
def region_of(e164: str | None) -> str | None:
    """The ISO country of an E.164 number (for reading keyed-in numbers the caller's way)."""
    if not e164:
        return None
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return None
