"""A moment as a caller hears it: in their own time zone, formatted for their language by
Babel (CLDR), and with its day ("today", "tomorrow", "Monday, November 30") so that no time
is ever said without the day it falls on. Pure: no clock is read, the time zone is given."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime, format_time

from . import cldr

_DAY_SKELETON = "MMMMEd"  # weekday, day and month, in the language's own order


def _locale(language: str) -> Locale:
    try:
        return cldr.locale(language)
    except (UnknownLocaleError, ValueError):
        return cldr.locale("en_US")


def _relative_day(locale: Locale, days: int) -> str | None:
    """CLDR's word for the day this many days from today ("today", "domani"), if it has one."""
    try:
        words = locale._data["date_fields"]["day"]["relative"]
    except KeyError:
        return None
    return words.get(days) if days in (0, 1) else None


def say_day(at: datetime, now: datetime, zone: tzinfo, language: str) -> str:
    """The day of ``at`` in ``zone``: "today", "tomorrow", else the weekday, day and month."""
    locale = _locale(language)
    local, today = at.astimezone(zone), now.astimezone(zone)
    word = _relative_day(locale, (local.date() - today.date()).days)
    if word:
        return word
    skeleton = locale.datetime_skeletons.get(_DAY_SKELETON)
    pattern = re.sub(r"E+", "EEEE", skeleton.pattern if skeleton else "EEEE d MMMM")
    return format_datetime(local, pattern, tzinfo=zone, locale=locale)


def say_moment(at: datetime, now: datetime, zone: tzinfo, language: str) -> str:
    """``at`` with its day and time, as the language joins them ("tomorrow at 9:00 AM",
    "lunedì 30 novembre alle ore 09:00", "Isnin, 30 November pada 9:00 PG")."""
    locale = _locale(language)
    day = say_day(at, now, zone, language)
    clock = format_time(at, "short", tzinfo=zone, locale=locale)
    joined = (locale._data.get("datetime_formats_relative") or {}).get("long") \
        or locale.datetime_formats.get("long") or "{1} {0}"
    pattern = str(getattr(joined, "pattern", joined))
    said = _unquote(pattern).replace("{1}", day).replace("{0}", clock)
    return re.sub(r"[\u00a0\u202f]", " ", said)  # CLDR's no-break spaces: plain ones to say


def _unquote(pattern: str) -> str:
    """A CLDR glue pattern's literal text without its quotes ("{1} 'at' {0}" -> "{1} at {0}")."""
    return re.sub(r"'([^']*)'", r"\1", pattern)
