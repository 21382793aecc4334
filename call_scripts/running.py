"""What the interpreter's run offers the parts mixed into it (``choices.Choosing``,
``asking.Asking``): its script, state and actions, and the moves every step makes."""

from __future__ import annotations

from typing import Any

from .actions import Input, Say, Turn
from .model import MenuStep, Prompt, Script
from .phones import DialRule


class RunBase:
    """The interpreter's run as its parts see it (``interpreter._Run`` fills it in)."""

    script: Script
    state: dict[str, Any]
    actions: list[Any]
    dialling: DialRule

    @property
    def fields(self) -> dict[str, Any]:
        return self.state["fields"]

    def by_voice(self, step: Any) -> bool:
        """Whether a step is asked without its keys: it listens for speech, the caller's last
        answer was said, and it is asked for the first time (asked again, the keys)."""
        return "speech" in getattr(step, "input", "") and bool(self.state.get("spoke")) \
            and not self.state["tries"]

    def say(self, prompt: Prompt) -> Say:
        raise NotImplementedError

    def log(self, kind: str, text: str, /, **data: Any) -> None:
        raise NotImplementedError

    def goto(self, name: str) -> None:
        raise NotImplementedError

    def run(self) -> Turn:
        raise NotImplementedError

    def gather(self, step: Any, prefix: tuple[Say, ...] = ()) -> None:
        raise NotImplementedError

    def choose(self, step: MenuStep, event: Input) -> Turn:
        raise NotImplementedError

    def fail(self, step: Any, reason: str, event: Input | None,
             sorry: Prompt | None = None) -> Turn:
        raise NotImplementedError
