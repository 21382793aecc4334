"""Opening hours: when the line is staffed (``Hours``, part of a hold policy), and time counted
in open minutes only (business-hours SLA clocks, "we open tomorrow at 08:00")."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_HHMM = re.compile(r"(\d{2}):(\d{2})")


def _minute_of_day(text: str) -> int:
    match = _HHMM.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a time as HH:MM")
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"{text!r} is not a time of day (00:00 to 24:00)")
    return hours * 60 + minutes


def _opening_range(value: Any) -> Any:
    """'08:00-12:30' -> (480, 750), minutes of the day; open must come before close."""
    if not isinstance(value, str) or value.count("-") != 1:
        raise ValueError(f"an opening range is written 'HH:MM-HH:MM', not {value!r}")
    start, end = (_minute_of_day(part) for part in value.split("-"))
    if start >= end:
        raise ValueError(f"{value!r}: opening time must come before closing time")
    return (start, end)


OpeningRange = Annotated[tuple[int, int], BeforeValidator(_opening_range)]


class Hours(BaseModel):
    """When the line is staffed, in its own time zone; closed on holidays."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = "UTC"
    weekly: dict[Weekday, list[OpeningRange]] = Field(min_length=1)
    holidays: list[date] = []
    emergency_labels: list[str] = []  # priority labels put through to the on-call path

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r} (use an IANA name such as "
                             "'Europe/Rome')") from None
        return name

    @field_validator("weekly")
    @classmethod
    def _no_overlap(cls, weekly: dict[str, list[tuple[int, int]]]) -> dict:
        for day, ranges in weekly.items():
            ordered = sorted(ranges)
            for (_, end), (start, _) in zip(ordered, ordered[1:], strict=False):
                if start < end:
                    raise ValueError(f"{day}: opening ranges overlap")
        return weekly

    @property
    def zone(self) -> tzinfo:
        return ZoneInfo(self.timezone)


def _local(hours: Hours, at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("naive datetime given; opening hours need a time zone aware one")
    return at.astimezone(hours.zone)


def _second_of_day(local: datetime) -> float:
    return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6


def is_within_hours(hours: Hours | None, at: datetime) -> bool:
    """Is the line open at ``at`` (aware datetime), in the hours' own time zone?"""
    if hours is None:
        return True
    local = _local(hours, at)
    if local.date() in hours.holidays:
        return False
    now = _second_of_day(local)
    return any(start * 60 <= now < end * 60
               for start, end in hours.weekly.get(WEEKDAYS[local.weekday()]) or ())


def next_opening(hours: Hours | None, at: datetime) -> datetime:
    """The first moment at or after ``at`` when the line is open: ``at`` itself when open now,
    else the next opening time, in the hours' time zone."""
    if hours is None or is_within_hours(hours, at):
        return at
    zone = hours.zone
    local = _local(hours, at)
    now = _second_of_day(local)
    for offset in range(0, 8 + len(hours.holidays)):
        day = local.date() + timedelta(days=offset)
        if day in hours.holidays:
            continue
        for start, _end in sorted(hours.weekly.get(WEEKDAYS[day.weekday()]) or ()):
            if offset == 0 and start * 60 <= now:
                continue
            opening = datetime.combine(day, time(start // 60, start % 60), tzinfo=zone)
            # A wall-clock time skipped by a daylight-saving jump normalises forward.
            return opening.astimezone(UTC).astimezone(zone)
    raise ValueError("the opening hours never open")  # only with every open day a holiday


def _open_spans(hours: Hours, first: date, days: int) -> list[tuple[datetime, datetime]]:
    """The open periods (UTC, in order) of ``days`` local days from ``first``."""
    zone = hours.zone
    spans = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day in hours.holidays:
            continue
        for begin, end in sorted(hours.weekly.get(WEEKDAYS[day.weekday()]) or ()):
            opens = datetime.combine(day, time(begin // 60, begin % 60), tzinfo=zone)
            closes = (datetime.combine(day, time(end // 60, end % 60), tzinfo=zone) if end < 1440
                      else datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone))
            spans.append((opens.astimezone(UTC), closes.astimezone(UTC)))
    return spans


def add_open_minutes(hours: Hours | None, start: datetime, minutes: float) -> datetime:
    """When ``minutes`` of open time have passed from ``start``: an SLA clock that runs only
    in business hours (the weekly hours, never on holidays), as ITSM tools count it. From a
    closed moment it starts at the next opening. Without hours: plain clock time."""
    if hours is None:
        return start + timedelta(minutes=minutes)
    left = timedelta(minutes=max(minutes, 0))
    cursor = start.astimezone(UTC)
    first = _local(hours, start).date()
    for week in range(60):  # over a year: only hours whose every open day is a holiday end it
        for opens, closes in _open_spans(hours, first + timedelta(days=7 * week), 7):
            begin = max(opens, cursor)
            if closes <= begin:
                continue
            if begin + left <= closes:
                return (begin + left).astimezone(start.tzinfo)
            left -= closes - begin
            cursor = closes
    raise ValueError("the opening hours never open")


def open_minutes_between(hours: Hours | None, start: datetime, end: datetime) -> float:
    """Minutes of open time from ``start`` to ``end`` (plain minutes without hours)."""
    if end <= start:
        return 0.0
    if hours is None:
        return (end - start).total_seconds() / 60
    total = timedelta()
    first = _local(hours, start).date()
    for opens, closes in _open_spans(hours, first, (end - start).days + 2):
        begin, finish = max(opens, start), min(closes, end)
        if finish > begin:
            total += finish - begin
    return total.total_seconds() / 60
