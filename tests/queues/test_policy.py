"""Hold policies: the YAML schema, its errors with line numbers, routing rules and hours."""

import textwrap
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from call_scripts import ScriptError
from call_scripts.policy import (
    REQUIRED_MESSAGES,
    HoldPolicy,
    is_within_hours,
    next_opening,
    parse_policy,
)

POLICIES = Path(__file__).resolve().parents[2] / "call_scripts" / "policies"
ROME = ZoneInfo("Europe/Rome")
KL = ZoneInfo("Asia/Kuala_Lumpur")


def policy_text(extra: str = "", hours: str | None = None, languages="[en-US, it-IT]",
                skip: tuple = ()) -> str:
    """A small valid policy (every required message in en-US and it-IT), plus ``extra``."""
    messages = "\n".join(
        f"  {key}: {{en-US: 'Say {key} {{minutes}}', it-IT: 'Dire {key}'}}"
        for key in REQUIRED_MESSAGES if key not in skip)
    if hours is None:
        hours = """\
            hours:
              timezone: Europe/Rome
              weekly:
                mon: ["08:00-12:30", "13:30-18:00"]
                tue: ["08:00-18:00"]
                wed: ["08:00-18:00"]
                thu: ["08:00-18:00"]
                fri: ["08:00-17:00"]
              holidays: [2026-12-25, 2026-12-26]
              emergency_labels: [enterprise_failure]"""
    head = textwrap.dedent(f"""\
        name: test
        languages: {languages}
        routing:
          default_tier: 1
          rules:
            - {{priority: enterprise_failure, tier: 2}}
            - {{priority: critical_situation, category: network, tier: 2}}
            - {{category: security, tier: 3}}
        """)
    return head + textwrap.dedent(hours) + "\n" + extra + "messages:\n" + messages + "\n"


def problems(text: str) -> list:
    with pytest.raises(ScriptError) as info:
        parse_policy(text, "test.yaml")
    return info.value.problems


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_shipped_policies_are_valid():
    shipped = sorted(POLICIES.glob("*.yaml"))
    assert [p.stem for p in shipped] == ["default"]
    for path in shipped:
        policy = parse_policy(path.read_text(encoding="utf-8"), path.name)
        assert policy.languages == ["en-US", "it-IT", "ms-MY"]
        assert set(REQUIRED_MESSAGES) <= set(policy.messages)
        assert policy.hours.timezone == "UTC"
        assert policy.start_tier("enterprise_failure", "network") == 2
        assert policy.start_tier("regular_service", "software") == 1


def test_a_valid_policy_parses_with_defaults():
    policy = parse_policy(policy_text(), "test.yaml")
    assert isinstance(policy, HoldPolicy)
    assert policy.announce_position == "first_n"
    assert policy.hours.weekly["mon"] == [(480, 750), (810, 1080)]
    assert policy.hours.holidays == [date(2026, 12, 25), date(2026, 12, 26)]


def test_start_tier_by_priority_and_category():
    policy = parse_policy(policy_text(), "test.yaml")
    assert policy.start_tier("enterprise_failure", None) == 2
    assert policy.start_tier("critical_situation", "network") == 2
    assert policy.start_tier("critical_situation", "software") == 1
    assert policy.start_tier("regular_service", "security") == 3
    assert policy.start_tier("planned_event", None) == 1


def test_bad_yaml_names_its_line():
    text = policy_text().replace("default_tier: 1", "default_tier: [1")
    (problem,) = problems(text)
    assert "not valid YAML" in problem.message
    assert problem.line is not None and problem.line >= line_of(text, "default_tier")


def test_schema_errors_carry_line_numbers():
    text = policy_text(extra="check_back_seconds: soon\nbogus_knob: 3\n")
    found = {p.line: p.message for p in problems(text)}
    assert any("check_back_seconds" in m for m in found.values())
    assert line_of(text, "check_back_seconds") in found
    assert line_of(text, "bogus_knob") in found
    assert all(p.source == "test.yaml" for p in problems(text))


def test_bad_routing_tier_names_its_line():
    text = policy_text().replace("{category: security, tier: 3}", "{category: security, tier: 7}")
    (problem,) = problems(text)
    assert problem.line == line_of(text, "tier: 7")
    assert "tier" in problem.message


def test_missing_language_is_an_error_on_the_message_line():
    text = policy_text().replace("  late: {en-US: 'Say late {minutes}', it-IT: 'Dire late'}",
                                 "  late: {en-US: 'Say late {minutes}'}")
    (problem,) = problems(text)
    assert "messages.late is missing language(s): it-IT" in problem.message
    assert problem.line == line_of(text, "  late:")


def test_missing_message_and_unknown_placeholder():
    text = policy_text(skip=("check_back",)).replace("Say position {minutes}",
                                                     "Say {place}")
    messages = sorted(p.message for p in problems(text))
    assert any("messages.check_back is missing" in m for m in messages)
    assert any("unknown placeholder(s) place" in m for m in messages)


def test_unknown_time_zone_names_its_line():
    text = policy_text().replace("timezone: Europe/Rome", "timezone: Europe/Atlantis")
    (problem,) = problems(text)
    assert "unknown time zone 'Europe/Atlantis'" in problem.message
    assert problem.line == line_of(text, "timezone:")


@pytest.mark.parametrize("bad", ["18:00-08:00", "08:00-08:00", "8:00-12:00", "08:60-12:00",
                                 "25:00-26:00", "08:00"])
def test_bad_opening_times_name_their_line(bad):
    text = policy_text().replace('tue: ["08:00-18:00"]', f'tue: ["{bad}"]')
    (problem,) = problems(text)
    assert problem.line == line_of(text, "tue:")
    assert "hours.weekly.tue.0" in problem.message


def test_overlapping_ranges_are_an_error():
    text = policy_text().replace('"08:00-12:30", "13:30-18:00"', '"08:00-12:30", "12:00-18:00"')
    (problem,) = problems(text)
    assert "overlap" in problem.message


def test_hours_in_the_policy_time_zone():
    policy = parse_policy(policy_text(), "test.yaml")
    # Monday 23 November 2026. Rome is UTC+1 in November.
    assert policy.is_within_hours(datetime(2026, 11, 23, 8, 0, tzinfo=ROME))
    assert not policy.is_within_hours(datetime(2026, 11, 23, 7, 59, tzinfo=ROME))
    assert policy.is_within_hours(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))  # 08:00 in Rome
    assert not policy.is_within_hours(datetime(2026, 11, 23, 17, 0, tzinfo=UTC))  # 18:00 Rome
    # Lunch break on Mondays.
    assert not policy.is_within_hours(datetime(2026, 11, 23, 13, 0, tzinfo=ROME))
    # Kuala Lumpur is UTC+8: 15:00 there is 08:00 in Rome.
    assert policy.is_within_hours(datetime(2026, 11, 23, 15, 0, tzinfo=KL))
    assert not policy.is_within_hours(datetime(2026, 11, 23, 14, 59, tzinfo=KL))
    # Weekend.
    assert not policy.is_within_hours(datetime(2026, 11, 21, 10, 0, tzinfo=ROME))


def test_holidays_are_local_dates():
    policy = parse_policy(policy_text(), "test.yaml")
    # Christmas Day in Rome, seen from UTC: 23:30 UTC on the 24th is already the 25th there.
    assert not policy.is_within_hours(datetime(2026, 12, 25, 10, 0, tzinfo=ROME))
    assert not policy.is_within_hours(datetime(2026, 12, 24, 23, 30, tzinfo=UTC))
    # ... and the 24th, in Rome office hours, is open.
    assert policy.is_within_hours(datetime(2026, 12, 24, 9, 0, tzinfo=UTC))


def test_naive_datetimes_are_refused():
    policy = parse_policy(policy_text(), "test.yaml")
    with pytest.raises(ValueError, match="naive"):
        policy.is_within_hours(datetime(2026, 11, 23, 10, 0))


def test_next_opening():
    policy = parse_policy(policy_text(), "test.yaml")
    open_now = datetime(2026, 11, 23, 10, 0, tzinfo=ROME)
    assert policy.next_opening(open_now) == open_now
    # Monday lunch -> 13:30 the same day.
    assert policy.next_opening(datetime(2026, 11, 23, 12, 45, tzinfo=ROME)) == \
        datetime(2026, 11, 23, 13, 30, tzinfo=ROME)
    # Friday evening -> Monday 08:00, given in the policy's zone.
    monday = policy.next_opening(datetime(2026, 11, 27, 19, 0, tzinfo=UTC))
    assert monday == datetime(2026, 11, 30, 8, 0, tzinfo=ROME)
    assert monday.tzinfo == ROME
    # Early morning, seen from Kuala Lumpur (already 14:00 there): 08:00 Rome.
    assert policy.next_opening(datetime(2026, 11, 24, 14, 0, tzinfo=KL)) == \
        datetime(2026, 11, 24, 8, 0, tzinfo=ROME)
    # Christmas Eve after hours: the 25th and 26th are holidays, the 27th/28th a weekend.
    assert policy.next_opening(datetime(2026, 12, 24, 18, 30, tzinfo=ROME)) == \
        datetime(2026, 12, 28, 8, 0, tzinfo=ROME)


def test_next_opening_across_a_daylight_saving_change():
    policy = parse_policy(policy_text(), "test.yaml")
    # Saturday 28 March 2026, Rome moves to UTC+2 on Sunday 29 March.
    opening = policy.next_opening(datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    assert opening == datetime(2026, 3, 30, 8, 0, tzinfo=ROME)
    assert opening.astimezone(UTC).hour == 6


def test_module_functions_and_always_open():
    policy = parse_policy(policy_text(hours=""), "test.yaml")
    at = datetime(2026, 12, 25, 3, 0, tzinfo=UTC)
    assert policy.hours is None
    assert policy.is_within_hours(at) and policy.next_opening(at) == at
    assert is_within_hours(None, at)
    shipped = parse_policy(policy_text(), "test.yaml").hours
    assert not is_within_hours(shipped, at)
    assert next_opening(shipped, at) == datetime(2026, 12, 28, 8, 0, tzinfo=ROME)


def test_whole_day_opening():
    text = policy_text().replace('tue: ["08:00-18:00"]', 'tue: ["00:00-24:00"]')
    policy = parse_policy(text, "test.yaml")
    assert policy.is_within_hours(datetime(2026, 11, 24, 23, 59, 59, tzinfo=ROME))
    assert policy.is_within_hours(datetime(2026, 11, 24, 0, 0, tzinfo=ROME))
