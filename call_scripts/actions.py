"""What goes into the interpreter (events) and what comes out (actions), as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# ---- events (what happened) -------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """The caller pressed keys or spoke."""

    digits: str | None = None
    speech: str | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class Silence:
    """The caller gave no input before the timeout."""


@dataclass(frozen=True)
class Result:
    """The host performed the pending effect; this is what it found."""

    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Recorded:
    """The callee left a recording (after a <Record>)."""

    url: str
    seconds: int = 0


Event = Input | Silence | Result | Recorded


# ---- actions (what to do) ---------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    text: str
    language: str
    voice: str


@dataclass(frozen=True)
class Gather:
    """Wait for the caller, having said the prompts."""

    prompts: tuple[Say, ...]
    input: str
    language: str
    timeout: int
    num_digits: int | None = None
    finish_on_key: str = "#"
    hints: str | None = None


@dataclass(frozen=True)
class Effect:
    """Ask the host for a side effect; always the last action of a turn."""

    name: str
    args: dict[str, Any]
    fields: dict[str, Any]


@dataclass(frozen=True)
class Log:
    """Something worth a line on the ticket's timeline."""

    kind: str
    step: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Record:
    """Say the prompt, then record the callee after a beep."""

    prompt: Say
    max_length: int


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class Queue:
    """Hand the caller to the agent queues; the script's part of the call is over."""

    fields: dict[str, Any]


Action = Say | Gather | Effect | Log | Hangup | Queue | Record


@dataclass(frozen=True)
class Turn:
    actions: tuple[Action, ...]
    state: dict[str, Any]

    @property
    def effect(self) -> Effect | None:
        last = self.actions[-1] if self.actions else None
        return last if isinstance(last, Effect) else None
