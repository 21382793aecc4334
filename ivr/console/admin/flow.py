"""A call script drawn as a graph of steps and branches: Graphviz's dot lays it out as SVG."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from call_scripts.model import (
    ActionStep,
    BranchStep,
    GuessStep,
    HangupStep,
    MenuStep,
    PickStep,
    QueueStep,
    SayStep,
)

SHAPES = {"menu": "diamond", "branch": "diamond", "hangup": "doublecircle", "queue": "house",
          "pick": "diamond", "guess": "diamond"}
COLOURS = {"say": "#e8f0fb", "ask": "#fff6d8", "menu": "#fde3c4", "language": "#fde3c4",
           "branch": "#e6e6e6", "action": "#e6f6ea", "hangup": "#f8c9c9", "queue": "#d9ccf2",
           "pick": "#fde3c4", "guess": "#fde3c4"}


class FlowError(Exception):
    """The picture cannot be drawn (Graphviz missing or failing)."""


def _q(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def edges(step: Any) -> list[tuple[str, str]]:
    """(target, label) for every way out of a step."""
    out: list[tuple[str, str]] = []
    if isinstance(step, MenuStep):
        out.extend((o.next, f"press {key}") for key, o in step.options.items())
    elif isinstance(step, BranchStep):
        for case in step.cases:
            cond = case.when
            test = next((f"{op} {getattr(cond, attr)!r}" for attr, op in (
                ("equals", "="), ("not_equals", "!="), ("in_", "in"), ("present", "present"),
                ("gt", ">")) if getattr(cond, attr) is not None), "")
            out.append((case.next, f"{cond.field} {test}".strip()))
        out.append((step.default, "otherwise"))
    elif isinstance(step, PickStep):
        out.extend(((step.next, "one on file"), (step.other_next, "none of them")))
    elif isinstance(step, GuessStep):
        out.append((step.menu, "refused, or no guess"))  # right: the menu's option's next
    elif not isinstance(step, (HangupStep, QueueStep)):
        out.append((step.next, ""))
    on_fail = getattr(step, "on_fail", None)
    if on_fail:
        out.append((on_fail, "on fail"))
    return out


def to_dot(script: Any) -> str:
    """The script as a Graphviz digraph, start step first."""
    lines = ["digraph script {", "  rankdir=TB; nodesep=0.3; ranksep=0.35;",
             '  node [fontname="Helvetica" fontsize=10 style=filled shape=box];',
             '  edge [fontname="Helvetica" fontsize=9];',
             '  "__start" [label="call" shape=circle fillcolor="#1f3a5f" fontcolor=white];',
             f"  {_q('__start')} -> {_q(script.start)};"]
    for name, step in script.steps.items():
        kind = step.type
        label = f"{name}\\n({kind}{': ' + step.do if isinstance(step, ActionStep) else ''})"
        if isinstance(step, SayStep):
            label = f"{name}\\n(say)"
        lines.append(f"  {_q(name)} [label=\"{label}\" shape={SHAPES.get(kind, 'box')} "
                     f"fillcolor=\"{COLOURS.get(kind, '#ffffff')}\"];")
        for target, text in edges(step):
            lines.append(f"  {_q(name)} -> {_q(target)}"
                         + (f" [label={_q(text)}]" if text else "") + ";")
    lines.append("}")
    return "\n".join(lines)


def to_svg(script: Any, timeout: float = 20.0) -> str:
    """Lay the script out with `dot -Tsvg` and return the SVG document."""
    dot = shutil.which("dot")
    if dot is None:
        raise FlowError("Graphviz is not installed (apt-get install graphviz): no picture")
    try:
        done = subprocess.run([dot, "-Tsvg"], input=to_dot(script), capture_output=True,
                              text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FlowError(f"Graphviz failed: {exc}") from None
    if done.returncode != 0:
        raise FlowError(f"Graphviz failed: {done.stderr.strip()[:200]}")
    svg = done.stdout
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg
