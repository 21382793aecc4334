"""Where, when and how fast the line may call: pure rules, no database."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from call_scripts.policy import Outbound
from ivr.outbound.pacing import RateLimiter
from ivr.outbound.rules import (
    backoff_seconds,
    callee_zones,
    calling_zones,
    destination_refusal,
    is_allowed_time,
    next_allowed_time,
)

WINDOW = (9 * 60, 20 * 60)
RULE = Outbound().dial_rule()  # the default policy's: fixed line, mobile, toll free; 5 countries


@pytest.mark.parametrize(("number", "refused"), [
    ("+12025550147", None),
    ("+393331234567", None),  # Italian mobile
    ("+390612345678", None),  # Rome fixed line
    ("+60123456789", None),
    ("+442071234567", None),  # London
    ("+18005551234", None),  # toll free
    ("+15551230001", "not a valid phone number"),  # fictional 555-01xx (demo data)
    ("+19005551234", "premium-rate numbers are never called"),
    ("+447012345678", "personal numbers are never called"),  # UK 070
    ("+447640123456", "pager numbers are never called"),  # UK 076
    ("+391781234567", "personal numbers are never called"),  # Italian 178
    ("+39199123456", "personal numbers are never called"),  # Italian 199
    ("+39848123456", "shared-cost numbers are never called"),
    ("+447700900123", "not a valid phone number"),  # plausible, but not a valid UK number
    ("+33612345678", "FR is not among the countries"),
    ("+1202", "not a valid phone number"),
    ("call me", "not a phone number"),
])
def test_destinations(number, refused):
    reason = destination_refusal(number, RULE)
    if refused is None:
        assert reason is None
    else:
        assert refused in reason
    assert "202" not in (reason or "") and "39" not in (reason or "")  # never quotes it


def test_the_policy_names_the_types_and_countries_it_calls():
    from call_scripts.phones import DialRule

    fixed_only = DialRule.of(["fixed_line"], ["GB"])
    assert destination_refusal("+442071234567", fixed_only) is None
    assert "mobile numbers are never called" in destination_refusal("+447400123456", fixed_only)
    assert "US is not among" in destination_refusal("+12025550147", fixed_only)
    with pytest.raises(ValueError, match="unknown number types"):
        Outbound(allowed_types=["landline"])


def test_zones_come_from_the_customer_record_first_then_the_number():
    assert callee_zones("+393331234567", None, "UTC")[0] == ZoneInfo("Europe/Rome")
    assert callee_zones("+393331234567", "Asia/Tokyo", "UTC") == [ZoneInfo("Asia/Tokyo")]
    assert callee_zones("+15551230001", None, "Europe/Rome") == [ZoneInfo("Europe/Rome")]
    assert len(callee_zones("+19005551234", None, "UTC")) > 5  # a non-geographic US number


def test_window_in_every_zone_the_callee_may_be_in():
    zones = [ZoneInfo("America/New_York"), ZoneInfo("America/Los_Angeles")]
    at = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 10:00 New York, 07:00 Los Angeles
    assert not is_allowed_time(at, zones, WINDOW)
    assert next_allowed_time(at, zones, WINDOW) == datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def test_a_window_across_midnight_utc_and_daylight_saving():
    kl = [ZoneInfo("Asia/Kuala_Lumpur")]  # UTC+8
    assert next_allowed_time(datetime(2026, 11, 23, 13, 0, tzinfo=UTC), kl, WINDOW) == \
        datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    rome = [ZoneInfo("Europe/Rome")]  # 29 March 2026: clocks go forward at 02:00
    assert next_allowed_time(datetime(2026, 3, 29, 5, 0, tzinfo=UTC), rome, WINDOW) == \
        datetime(2026, 3, 29, 7, 0, tzinfo=UTC)


def test_zones_that_never_share_the_window_fall_back_to_the_first():
    zones = [ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Pacific/Pago_Pago")]  # 25 h apart
    at = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert calling_zones(at, zones, (9 * 60, 10 * 60)) == zones[:1]
    assert calling_zones(at, zones, WINDOW) == zones


def test_backoff_doubles_up_to_a_cap():
    assert [backoff_seconds(n) for n in range(1, 9)] == [5, 10, 20, 40, 80, 160, 300, 300]


def test_rate_limiter_spaces_calls_evenly():
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds):
        slept.append(round(seconds, 3))
        now[0] += seconds

    limiter = RateLimiter(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        limiter.wait()
    assert slept == [0.25, 0.25, 0.25, 0.25]
    assert now[0] == pytest.approx(1.0)
