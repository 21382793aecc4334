"""Hold policies: what a queue says while callers wait, its timings, tier rules and hours.

A policy is YAML an admin edits (published and versioned like scripts). ``parse_policy`` checks
it and names the line of every problem, as ``call_scripts.parse`` does for scripts.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import glossary
from .hours import Hours, OpeningRange, is_within_hours, next_opening
from .phones import DEFAULT_COUNTRIES, DEFAULT_TYPES, NUMBER_TYPES, DialRule
from .problems import Lines, Problem, ScriptError, load_yaml, placeholders, pydantic_problems

# Messages the line says; a policy must have each of them in each of its languages.
REQUIRED_MESSAGES = (
    "consent", "consent_menu", "thanks_hold", "connecting", "check_back", "late", "position",
    "max_wait", "callback_offer", "callback_number", "callback_key", "callback_window",
    "callback_confirm", "voicemail", "voicemail_thanks", "after_hours", "after_hours_emergency",
    "nobody_available", "agent_unavailable", "not_understood", "goodbye",
)
# Messages added since policies were first published: one a policy lacks is said as the
# message named here, or where None in the shipped policy's wording (a policy published before
# them keeps working).
OPTIONAL_MESSAGES: dict[str, str | None] = {
    "callback_refused": "not_understood",
    "put_through": "connecting",
    "callback_on": None,  # the number confirmed in intake, read back before the callback offer
    "callback_other": None,  # ... and how to give another one instead
    "callback_at_opening": None,  # after hours: the one callback there is, at the opening
    "callback_at_slot": None,  # ... or later, when the number may first be called ({slot})
    "emergency_no_engineer": None,  # after hours, no engineer on call to put an emergency to
    "emergency_unanswered": None,  # ... or they did not answer
    "emergency_callback": None,  # then: a callback at the earliest moment
    "emergency_no_number": None,  # ... or, with no number to call, when to call again
    "on_hold": "thanks_hold",  # an analyst put the caller on hold (the hold document)
    "escalated": "thanks_hold",  # a cold escalation: to the head of the next tier's line
    "callback_not_arranged_hold": None,  # three answers arranged no callback: back in line
    "callback_not_arranged": None,  # ... or, the desk closed or unstaffed, the ticket to cite
}
# Twilio's own public hold music (the track its <Enqueue> plays by default): a policy without
# a music_url plays this between messages; music_url: "" holds in silence.
DEFAULT_MUSIC_URL = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"
# Values the line fills in; any other {name} in a message is an error.
PLACEHOLDERS = frozenset({"minutes", "wait", "position", "opening", "number", "ticket", "slot"})
class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoutingRule(Strict):
    """Tickets with this priority label and/or category start in this tier."""

    priority: str | None = None
    category: str | None = None
    tier: int = Field(ge=1, le=3)

    def matches(self, priority: str | None, category: str | None) -> bool:
        return ((self.priority is None or self.priority == priority)
                and (self.category is None or self.category == category))


class Routing(Strict):
    """The start tier of a ticket: the first matching rule, else ``default_tier``."""

    default_tier: int = Field(1, ge=1, le=3)
    rules: list[RoutingRule] = []


class SlaTarget(Strict):
    """What a priority label promises: first response, resolution, and status-call cadence."""

    response_minutes: int = Field(ge=1)
    resolution_minutes: int = Field(ge=1)
    update_minutes: int | None = Field(None, ge=5)


class Escalation(Strict):
    """Who may approve taking a ticket beyond tier 3 (to management or a vendor)."""

    approvers: list[str] = []
    beyond_tier_3: str = "management"


class IncidentWatch(Strict):
    """When the team lead's console suggests a possible major incident: this many new tickets
    in one category within this many minutes (a suggestion only, to declare or dismiss)."""

    suggest_after_calls: int = Field(5, ge=2)
    within_minutes: int = Field(15, ge=1, le=24 * 60)


class Outbound(Strict):
    """Rules for calls the line places: when, where, how often, how fast."""

    quiet_hours: OpeningRange = (9 * 60, 20 * 60)  # allowed window in the callee's local time
    # Where the line may call (call_scripts.phones: one rule for keyed numbers and the dialler)
    allowed_countries: list[str] = list(DEFAULT_COUNTRIES)
    allowed_types: list[str] = Field(default_factory=lambda: list(DEFAULT_TYPES), min_length=1)
    max_calls_per_number_per_day: int = Field(3, ge=1)
    max_attempts: int = Field(3, ge=1)
    retry_delay_seconds: int = Field(600, ge=30)
    calls_per_second: float = Field(5.0, gt=0)
    lease_seconds: int = Field(120, ge=10)
    # How long an outbound call rings before it counts as not answered.
    ring_timeout_seconds: int = Field(30, ge=5, le=600)

    @field_validator("allowed_countries")
    @classmethod
    def _iso_codes(cls, codes: list[str]) -> list[str]:
        bad = [c for c in codes if not re.fullmatch(r"[A-Z]{2}", c)]
        if bad:
            raise ValueError(f"not ISO country codes (two capitals, e.g. 'IT'): {bad}")
        return codes

    @field_validator("allowed_types")
    @classmethod
    def _known_types(cls, types: list[str]) -> list[str]:
        bad = [t for t in types if t not in NUMBER_TYPES]
        if bad:
            raise ValueError(f"unknown number types {bad} (known: {', '.join(NUMBER_TYPES)})")
        return types

    def dial_rule(self) -> DialRule:
        """The numbers the line may call under this policy."""
        return DialRule.of(self.allowed_types, self.allowed_countries)


class HoldPolicy(Strict):
    """A queue's hold policy, as written in YAML."""

    name: str
    languages: list[str] = Field(min_length=1)
    messages: dict[str, dict[str, str]]
    music_url: str | None = DEFAULT_MUSIC_URL  # "" or null: silence between messages
    announce_position: Literal["yes", "no", "first_n"] = "first_n"
    position_first_n: int = Field(5, ge=1)
    check_back_seconds: int = Field(120, ge=10)
    check_back_offers_callback: bool = True
    late_after_seconds: int = Field(60, ge=0)
    max_wait_seconds: int = Field(1200, ge=60)
    min_gap_seconds: int = Field(20, ge=1)
    tier_wait_seconds: int = Field(120, ge=0)
    multiply_by_level: bool = True
    skip_empty_tiers: bool = True
    max_no_answer: int = Field(2, ge=1)
    wrap_up_seconds: int = Field(60, ge=0)
    resume_within_seconds: int = Field(300, ge=0)
    routing: Routing = Routing()
    hours: Hours | None = None  # None: always open
    sla: dict[str, SlaTarget] = {}  # by priority label; overrides the intake script's targets
    escalation: Escalation = Escalation()
    outbound: Outbound = Outbound()
    incidents: IncidentWatch = IncidentWatch()
    # The agent console: may an analyst open tickets of tiers other than their own?
    agents_see_other_tiers: bool = False

    def start_tier(self, priority: str | None, category: str | None) -> int:
        """The tier a ticket with this priority label and category starts in."""
        for rule in self.routing.rules:
            if rule.matches(priority, category):
                return rule.tier
        return self.routing.default_tier

    def is_within_hours(self, at: datetime) -> bool:
        """Is the line open at this (time zone aware) moment?"""
        return is_within_hours(self.hours, at)

    def next_opening(self, at: datetime) -> datetime:
        """The first moment at or after ``at`` when the line is open."""
        return next_opening(self.hours, at)


def _check(policy: HoldPolicy, source: str, lines: Lines) -> list[Problem]:
    """Checks across fields: every message in every language, known placeholders."""
    out: list[Problem] = []
    langs = policy.languages
    for key in REQUIRED_MESSAGES:
        if key not in policy.messages:
            out.append(Problem(source, lines.of("messages"), None,
                               f"messages.{key} is missing"))
    for key, texts in policy.messages.items():
        where = lines.of("messages", key)
        missing = [lang for lang in langs if not texts.get(lang)]
        extra = [lang for lang in texts if lang not in langs]
        if missing:
            out.append(Problem(source, where, None,
                               f"messages.{key} is missing language(s): {', '.join(missing)}"))
        if extra:
            out.append(Problem(source, where, None, f"messages.{key} has language(s) not in "
                               f"'languages': {', '.join(extra)}"))
        for lang, text in texts.items():
            try:
                names = placeholders(text)
            except ValueError as exc:
                out.append(Problem(source, lines.of("messages", key, lang), None,
                                   f"messages.{key} ({lang}): {exc}"))
                continue
            unknown = sorted({n for n in names if n not in PLACEHOLDERS})
            if unknown:
                known = ", ".join(sorted(PLACEHOLDERS))
                out.append(Problem(source, lines.of("messages", key, lang), None,
                                   f"messages.{key} ({lang}): unknown placeholder(s) "
                                   f"{', '.join(unknown)} (known: {known})"))
    return out


def parse_policy(text: str, source: str = "<policy>", check_words: bool = True) -> HoldPolicy:
    """Parse YAML text into a validated hold policy, or raise ScriptError listing every
    problem with its line (check_words: hold it to the glossary, as ``parse`` does)."""
    data, lines = load_yaml(text, source, "a hold policy")
    try:
        policy = HoldPolicy.model_validate(data)
    except ValidationError as exc:
        raise ScriptError(pydantic_problems(exc, source, lines, (), None)) from None
    problems = _check(policy, source, lines)
    if check_words:
        problems += glossary.problems(text, source)
    if problems:
        raise ScriptError(problems)
    return policy
