"""A moment as the caller hears it (Babel), and SLA time counted in business hours."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from call_scripts.hours import Hours, add_open_minutes, open_minutes_between
from call_scripts.moments import say_moment

NOW = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # a Friday
ROME, NEW_YORK, KL = ZoneInfo("Europe/Rome"), ZoneInfo("America/New_York"), ZoneInfo(
    "Asia/Kuala_Lumpur")


@pytest.mark.parametrize(("at", "zone", "language", "said"), [
    (datetime(2026, 11, 27, 17, 0, tzinfo=UTC), ROME, "it-IT", "oggi alle ore 18:00"),
    (datetime(2026, 11, 28, 8, 0, tzinfo=UTC), ROME, "it-IT", "domani alle ore 09:00"),
    (datetime(2026, 11, 30, 8, 0, tzinfo=UTC), ROME, "it-IT",
     "lunedì 30 novembre alle ore 09:00"),
    (datetime(2026, 11, 30, 14, 0, tzinfo=UTC), NEW_YORK, "en-US",
     "Monday, November 30 at 9:00 AM"),
    (datetime(2026, 11, 30, 8, 0, tzinfo=UTC), KL, "ms-MY", "Isnin, 30 November pada 4:00 PTG"),
    # 16:00 UTC on Friday is already Saturday in Kuala Lumpur: Sunday there is "tomorrow"
    (datetime(2026, 11, 29, 1, 0, tzinfo=UTC), KL, "ms-MY", "esok pada 9:00 PG"),
])
def test_a_moment_is_said_with_its_day_in_the_zone_and_language(at, zone, language, said):
    assert say_moment(at, NOW, zone, language) == said


def test_no_weekday_or_time_is_left_in_english_in_another_language():
    said = say_moment(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), NOW, ROME, "it-IT")
    assert said == "martedì 1 dicembre alle ore 10:00"
    assert not any(word in said for word in ("Tuesday", "December", "at", "AM"))


WEEKDAYS = {d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def hours(**extra) -> Hours:
    return Hours.model_validate({"timezone": "Europe/Rome", "weekly": WEEKDAYS, **extra})


def test_open_minutes_skip_nights_weekends_and_holidays():
    h = hours(holidays=["2026-12-25"])
    thursday_evening = datetime(2026, 12, 24, 16, 30, tzinfo=UTC)  # 17:30 in Rome
    # 30 minutes on Thursday, Christmas is a holiday, then the weekend: Monday 08:30 in Rome
    assert add_open_minutes(h, thursday_evening, 60) == datetime(2026, 12, 28, 7, 30, tzinfo=UTC)
    assert open_minutes_between(h, thursday_evening,
                                datetime(2026, 12, 28, 7, 30, tzinfo=UTC)) == 60


def test_a_clock_started_while_closed_starts_at_the_opening():
    sunday_night = datetime(2026, 11, 29, 3, 57, tzinfo=UTC)
    assert add_open_minutes(hours(), sunday_night, 0) == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    assert add_open_minutes(None, sunday_night, 60) == datetime(2026, 11, 29, 4, 57, tzinfo=UTC)


def test_open_minutes_follow_the_local_clock_across_a_daylight_saving_change():
    # Rome leaves summer time on Sunday 25 October 2026: Friday 17:00 + 2 h -> Monday 09:00
    friday = datetime(2026, 10, 23, 15, 0, tzinfo=UTC)  # 17:00 in Rome (UTC+2)
    assert add_open_minutes(hours(), friday, 120) == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
