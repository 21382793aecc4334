"""Pure rules for outbound calls: where the line may call, and when. No I/O."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_zones

from call_scripts.hours import Hours, next_opening
from tickets import phones

# Why the line must not call a number it holds, or None: checked before a callback is promised
# (the queue, the way out, the incident list) and again before it is dialled.
destination_refusal = phones.destination_refusal


def callee_zones(number: str, customer_zone: str | None, fallback: str) -> list[ZoneInfo]:
    """The time zones the callee may be in: the customer record's, else the number's own
    (a country spanning several zones gives several), else the help desk's."""
    names: list[str] = [customer_zone] if customer_zone else []
    if not names and number:
        try:
            names = [z for z in number_zones.time_zones_for_number(phonenumbers.parse(number))
                     if z != "Etc/Unknown"]
        except phonenumbers.NumberParseException:
            names = []
    zones = []
    for name in names or [fallback]:
        try:
            zones.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return zones or [ZoneInfo("UTC")]


def _in_window(local: datetime, window: tuple[int, int]) -> bool:
    minute = local.hour * 60 + local.minute
    return window[0] <= minute < window[1]


def is_allowed_time(at: datetime, zones: list[ZoneInfo], window: tuple[int, int]) -> bool:
    """Is it within the allowed window (minutes of the day) in every zone the callee may be in?"""
    return all(_in_window(at.astimezone(zone), window) for zone in zones)


def _openings(at: datetime, zones: list[ZoneInfo], window: tuple[int, int]) -> list[datetime]:
    start = time(window[0] // 60, window[0] % 60)
    return sorted(
        datetime.combine(at.astimezone(zone).date() + timedelta(days=d), start, tzinfo=zone)
        .astimezone(UTC)
        for zone in zones for d in range(0, 3))


def next_allowed_time(at: datetime, zones: list[ZoneInfo],
                      window: tuple[int, int]) -> datetime | None:
    """The first moment at or after ``at`` inside the window in every zone (None if the
    zones share no such moment in the next days)."""
    if is_allowed_time(at, zones, window):
        return at
    return next((c for c in _openings(at, zones, window)
                 if c >= at and is_allowed_time(c, zones, window)), None)


def calling_zones(at: datetime, zones: list[ZoneInfo],
                  window: tuple[int, int]) -> list[ZoneInfo]:
    """The zones whose window a call must respect: all of them when they share a moment in
    the window, else the first (a window too narrow for a country this wide)."""
    return zones if next_allowed_time(at, zones, window) is not None else zones[:1]


def backoff_seconds(failures: int, base: float = 5.0, cap: float = 300.0) -> float:
    """Wait before retrying the Twilio API after this many failures in a row (exponential)."""
    return min(cap, base * 2 ** max(failures - 1, 0))


def caller_zone(number: str | None, customer_zone: str | None, fallback: str) -> ZoneInfo:
    """The one time zone a caller is told times in: the customer record's, else the first of
    the number's own (phonenumbers' timezone data), else the help desk's."""
    return callee_zones(number or "", customer_zone, fallback)[0]


def earliest_call(at: datetime, hours: Hours | None, zones: list[ZoneInfo],
                  window: tuple[int, int]) -> datetime:
    """The first moment at or after ``at`` when the help desk is open (its hours and
    holidays) and the callee is within their calling window: when a callback "as soon as
    possible" is placed."""
    moment = at
    for _ in range(60):  # each turn moves to a later opening or window: a fortnight at most
        moment = next_opening(hours, moment)
        allowed = next_allowed_time(moment, zones, window)
        if allowed is None or allowed == moment:
            return moment
        moment = allowed
    return next_opening(hours, at)
