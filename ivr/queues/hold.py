"""What a holding caller hears next: pure decisions for Twilio's ``waitUrl`` loop.

Twilio fetches the ``waitUrl`` each time the hold document ends. Each fetch asks
``next_hold_step`` with the state remembered on the queue entry and gets one step (music, or
one message then music) and the state to store. At most one message per fetch, and never two
within ``min_gap_seconds`` of each other: between messages there is always music.

Due messages, most important first:

1. ``max_wait``: the caller has waited ``max_wait_seconds`` since first joining. Offer a
   callback or voicemail (never drop them); repeated every ``check_back_seconds`` after that,
   in place of the check-back.
2. ``late``: the wait has passed the announced one by ``late_after_seconds``. Apologise, give
   a new estimate (which becomes the announced one) and offer the callback again.
3. ``check_back``: ``check_back_seconds`` since the last check-back (or apology, or since the
   estimate was announced): "we haven't forgotten you".
4. ``position``: the caller moved up since the position they were last told (and the policy
   tells positions at this place in line).

Times are epoch seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

MINUTE = 60.0


@dataclass(frozen=True)
class HoldState:
    """What the queue entry remembers between ``waitUrl`` fetches."""

    joined_at: float
    announced_wait: float | None
    announced_at: float | None
    last_message_at: float | None
    last_position_told: int | None
    last_check_back_at: float | None
    late_apologies: int = 0


@dataclass(frozen=True)
class HoldStep:
    """One pass of the hold loop: an optional message, then music."""

    kind: str  # "music" | "check_back" | "late" | "position" | "max_wait"
    say: str | None  # message key of the policy; None for music only
    new_estimate: float | None  # seconds, for "late" (the new announced wait)
    offer_callback: bool
    position: int | None  # for "position"


MUSIC = HoldStep("music", None, None, False, None)


def initial_offer(policy: Any, free_fitting_agent: bool, estimate: float, position: int) -> str:
    """"connect" when a fitting agent is free for this caller now, else "ask_consent".

    A free agent that a caller ahead will take first (``position > 1`` with a positive
    estimate) does not count.
    """
    if free_fitting_agent and (position <= 1 or estimate <= 0):
        return "connect"
    return "ask_consent"


def should_tell_position(policy: Any, position: int) -> bool:
    """Does the policy tell a caller this place in line (yes / no / only within the first N)?"""
    if policy.announce_position == "yes":
        return position >= 1
    if policy.announce_position == "first_n":
        return 1 <= position <= policy.position_first_n
    return False


def announced_minutes(estimate: float) -> float:
    """An estimate as the caller hears it: whole minutes, rounded up, at least one (in s)."""
    return max(1.0, math.ceil(estimate / MINUTE - 1e-9)) * MINUTE


def next_hold_step(policy: Any, state: HoldState, now: float,
                   position: int | Callable[[], int],
                   estimate: float | Callable[[], float]) -> tuple[HoldStep, HoldState]:
    """The next step of the hold loop, and the state to remember after it. ``position`` and
    ``estimate`` may be given as functions, asked only by a step that needs them (at most
    one of the two: most passes need neither, and reading them costs a fetch's main work)."""
    if state.last_message_at is not None and now - state.last_message_at < policy.min_gap_seconds:
        return MUSIC, state
    told = replace(state, last_message_at=now)
    waited = now - state.joined_at
    checked = state.last_check_back_at

    max_at = state.joined_at + policy.max_wait_seconds
    if waited >= policy.max_wait_seconds and (
            checked is None or checked < max_at
            or now - checked >= policy.check_back_seconds):
        return (HoldStep("max_wait", "max_wait", None, True, None),
                replace(told, last_check_back_at=now))

    if state.announced_wait is not None:
        since = state.announced_at if state.announced_at is not None else state.joined_at
        if now - since >= state.announced_wait + policy.late_after_seconds:
            new = announced_minutes(estimate() if callable(estimate) else estimate)
            return (HoldStep("late", "late", new, True, None),
                    replace(told, announced_wait=new, announced_at=now, last_check_back_at=now,
                            late_apologies=state.late_apologies + 1))

    since_check = next(t for t in (checked, state.announced_at, state.joined_at)
                       if t is not None)
    if now - since_check >= policy.check_back_seconds:
        return (HoldStep("check_back", "check_back", None,
                         bool(getattr(policy, "check_back_offers_callback", True)), None),
                replace(told, last_check_back_at=now))

    if callable(position):
        position = position()
    if should_tell_position(policy, position) and (
            state.last_position_told is None or position < state.last_position_told):
        return (HoldStep("position", "position", None, False, position),
                replace(told, last_position_told=position))

    return MUSIC, state
