"""Parse and validate call scripts, naming the file, line and step of every problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import glossary
from .checks import check_script
from .model import STEP_TYPES, Header, Script
from .problems import Lines, Problem, ScriptError, load_yaml, pydantic_problems

__all__ = ["SCRIPTS_DIR", "Problem", "ScriptError", "load_file", "parse", "shipped_scripts"]

SCRIPTS_DIR = Path(__file__).parent / "scripts"


def parse(text: str, source: str = "<script>", check_words: bool = True) -> Script:
    """Parse YAML text into a validated Script, or raise ScriptError listing every problem.

    check_words: hold the text to the glossary (a new text; not a version already published,
    which live calls must still be able to read)."""
    data, lines = load_yaml(text, source, "a script with 'steps'")

    problems: list[Problem] = []
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, dict) or not raw_steps:
        problems.append(Problem(source, lines.of("steps"), None, "'steps' must name the steps"))
        raw_steps = {}
    header_data = {k: v for k, v in data.items() if k != "steps"}
    header: Header | None = None
    try:
        header = Header.model_validate(header_data)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, source, lines, (), None))

    steps = _steps(raw_steps, source, lines, problems)

    if header is not None:
        problems.extend(check_script(header, steps, raw_steps, source, lines))
    if check_words:  # one word per thing, in every script
        problems.extend(glossary.problems(text, source))
    if problems:
        raise ScriptError(problems)
    assert header is not None
    return Script(**header.model_dump(by_alias=True), source=source, steps=steps)


def _steps(raw_steps: dict[Any, Any], source: str, lines: Lines,
           problems: list[Problem]) -> dict[str, Any]:
    """Each step validated by the model of its type; what is wrong goes to ``problems``."""
    steps: dict[str, Any] = {}
    for name, raw in raw_steps.items():
        name = str(name)
        if not isinstance(raw, dict):
            problems.append(Problem(source, lines.of("steps", name), name, "a step is a mapping"))
            continue
        kind = raw.get("type")
        model = STEP_TYPES.get(kind) if isinstance(kind, str) else None
        if model is None:
            expected = ", ".join(STEP_TYPES)
            problems.append(Problem(source, lines.of("steps", name, "type"), name,
                                    f"unknown step type {kind!r} (expected one of: {expected})"))
            continue
        try:
            steps[name] = model.model_validate(raw)
        except ValidationError as exc:
            problems.extend(pydantic_problems(exc, source, lines, ("steps", name), name))
    return steps


def load_file(path: str | Path) -> Script:
    """Load and validate a script file."""
    path = Path(path)
    return parse(path.read_text(encoding="utf-8"), source=path.name)


def shipped_scripts() -> dict[str, Path]:
    """The scripts that ship with the project, by script name (file stem)."""
    return {p.stem: p for p in sorted(SCRIPTS_DIR.glob("*.yaml"))}
