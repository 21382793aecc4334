"""Parse and validate call scripts, naming the file, line and step of every problem."""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .model import (
    EFFECTS,
    INPUT_STEPS,
    PURE_ACTIONS,
    STEP_TYPES,
    WAITING_STEPS,
    ActionStep,
    AskStep,
    Header,
    LanguageStep,
    MenuStep,
    Script,
    prompts,
    targets,
)

SCRIPTS_DIR = Path(__file__).parent / "scripts"


@dataclass(frozen=True)
class Problem:
    source: str
    line: int | None
    step: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        step = f" step '{self.step}':" if self.step else ""
        return f"{where}:{step} {self.message}"


class ScriptError(Exception):
    """A script that cannot be used, with every problem found in it."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _Lines:
    """Line numbers of YAML nodes, looked up by their path of keys and indexes."""

    def __init__(self, root: yaml.Node | None):
        self.root = root

    def of(self, *path: Any) -> int | None:
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for key in path:
            if isinstance(node, yaml.MappingNode):
                found = None
                for k, v in node.value:
                    if k.value == str(key):
                        found = (k, v)
                        break
                if found is None:
                    return line
                line = found[0].start_mark.line + 1
                node = found[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
                if key >= len(node.value):
                    return line
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                return line
        return line


def _pydantic_problems(
    exc: ValidationError, source: str, lines: _Lines, prefix: tuple, step: str | None
) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.endswith("]")))
        field = ".".join(str(p) for p in loc)
        message = f"{field}: {err['msg']}" if field else err["msg"]
        out.append(Problem(source, lines.of(*prefix, *loc), step, message))
    return out


def load_yaml(text: str, source: str, what: str) -> tuple[dict, _Lines]:
    """The YAML mapping in text and its line numbers, or ScriptError naming the bad line."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ScriptError([Problem(source, line, None, f"not valid YAML: {exc}")]) from None
    if not isinstance(data, dict):
        raise ScriptError([Problem(source, 1, None, f"{what} is a YAML mapping")])
    return data, _Lines(root)


def parse(text: str, source: str = "<script>") -> Script:
    """Parse YAML text into a validated Script, or raise ScriptError listing every problem."""
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
        problems.extend(_pydantic_problems(exc, source, lines, (), None))

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
            problems.append(
                Problem(
                    source,
                    lines.of("steps", name, "type"),
                    name,
                    f"unknown step type {kind!r} (expected one of: {expected})",
                )
            )
            continue
        try:
            steps[name] = model.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(exc, source, lines, ("steps", name), name))

    if header is not None:
        problems.extend(_check(header, steps, raw_steps, source, lines))
    if problems:
        raise ScriptError(problems)
    assert header is not None
    return Script(**header.model_dump(by_alias=True), source=source, steps=steps)


def _placeholders(text: str) -> list[str]:
    try:
        return [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        raise ValueError(f"bad placeholder: {exc}") from None


def _check(
    header: Header, steps: dict[str, Any], raw_steps: dict, source: str, lines: _Lines
) -> list[Problem]:
    """Checks across steps: links, reachability, languages, loops, priority."""
    out: list[Problem] = []
    langs = list(header.languages)

    def problem(step: str | None, message: str, *path: Any) -> None:
        where = lines.of("steps", step, *path) if step else lines.of(*path)
        out.append(Problem(source, where, step, message))

    if header.default_language not in header.languages:
        problem(None, f"default_language {header.default_language!r} is not in languages",
                "default_language")

    def check_prompt(step: str | None, what: str, prompt: dict, *path: Any) -> None:
        missing = [lang for lang in langs if not prompt.get(lang)]
        extra = [lang for lang in prompt if lang not in header.languages]
        if missing:
            problem(step, f"{what} is missing language(s): {', '.join(missing)}", *path)
        if extra:
            problem(step, f"{what} has language(s) not in 'languages': {', '.join(extra)}", *path)
        for lang, text in prompt.items():
            try:
                _placeholders(text)
            except ValueError as exc:
                problem(step, f"{what} ({lang}): {exc}", *path)

    for key in ("reprompt", "no_input", "confirm"):
        check_prompt(None, f"defaults.{key}", getattr(header.defaults, key), "defaults", key)
    for word, prompt in header.words.items():
        check_prompt(None, f"words.{word}", prompt, "words", word)

    if header.start not in steps and header.start not in raw_steps:
        problem(None, f"start step {header.start!r} does not exist", "start")
    if header.defaults.on_fail and header.defaults.on_fail not in raw_steps:
        problem(None, f"defaults.on_fail names a step that does not exist: "
                f"{header.defaults.on_fail!r}", "defaults", "on_fail")

    for name, step in steps.items():
        for target in targets(step):
            if target not in raw_steps:
                problem(name, f"'next' names a step that does not exist: {target!r}",
                        *_path_to(raw_steps[name], target))
        for attr, prompt in prompts(step):
            check_prompt(name, attr, prompt, attr)
        if isinstance(step, INPUT_STEPS) and not (step.on_fail or header.defaults.on_fail):
            problem(name, "no way out: set on_fail here or in defaults")
        if isinstance(step, MenuStep):
            for key, option in step.options.items():
                if key not in set("0123456789*#"):
                    problem(name, f"option {key!r} is not a single keypad key", "options", key)
                for lang in option.words:
                    if lang not in header.languages:
                        problem(name, f"option {key!r} has words for unknown language {lang!r}",
                                "options", key)
        if isinstance(step, AskStep) and step.input != "speech" and step.skip_key == "#":
            problem(name, "skip_key '#' ends keypad input; use '*'", "skip_key")
        if isinstance(step, ActionStep) and step.do not in EFFECTS | PURE_ACTIONS:
            known = ", ".join(sorted(EFFECTS | PURE_ACTIONS))
            problem(name, f"unknown action {step.do!r} (expected one of: {known})", "do")
        if isinstance(step, ActionStep) and step.do == "assess_priority" and not header.priority:
            problem(name, "assess_priority needs a 'priority' section")
    if isinstance(header.languages, dict) and any(
        isinstance(s, LanguageStep) for s in steps.values()
    ) and len(langs) > 9:
        problem(None, "at most 9 languages fit on the keypad", "languages")

    # Reachability from start.
    seen: set[str] = set()
    todo = [header.start]
    fail = header.defaults.on_fail
    if fail:
        todo.append(fail)
    while todo:
        name = todo.pop()
        if name in seen or name not in raw_steps:
            continue
        seen.add(name)
        if name in steps:
            todo.extend(targets(steps[name]))
    if len(steps) == len(raw_steps):
        for name in raw_steps:
            if name not in seen:
                problem(name, "unreachable: no step leads here from start")

    # Loops that never take input: cycles among steps that do not wait for the caller.
    passive = {n: s for n, s in steps.items() if not isinstance(s, WAITING_STEPS)}
    for cycle in _cycles(passive):
        problem(cycle[0], "loop that never takes input: " + " -> ".join([*cycle, cycle[0]]))

    if header.priority:
        pr = header.priority
        for label in (pr.planned_label, pr.default_label):
            if label not in pr.labels:
                problem(None, f"priority label {label!r} is not in priority.labels", "priority")
        for impact, row in pr.matrix.items():
            for urgency, label in row.items():
                if label not in pr.labels:
                    problem(None, f"priority.matrix[{impact}][{urgency}] names unknown label "
                            f"{label!r}", "priority", "matrix", impact, urgency)
        urgencies = {u for row in pr.matrix.values() for u in row}
        for impact, row in pr.matrix.items():
            for urgency in sorted(urgencies - set(row)):
                problem(None, f"priority.matrix[{impact}] has no entry for {urgency!r}",
                        "priority", "matrix", impact)
        for key, label in pr.labels.items():
            check_prompt(None, f"priority.labels.{key}.name", label.name,
                         "priority", "labels", key, "name")
    return out


def _path_to(raw: Any, target: str) -> tuple:
    """Where in a raw step a link to target is written (for its line number)."""
    if isinstance(raw, dict):
        items = list(raw.items())
    elif isinstance(raw, list):
        items = list(enumerate(raw))
    else:
        return ()
    for key, value in items:
        if value == target and key in ("next", "default", "on_fail"):
            return (key,)
        found = _path_to(value, target)
        if found:
            return (key, *found)
    return ()


def _cycles(graph: dict[str, Any]) -> list[list[str]]:
    """Cycles in the graph of passive steps (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def edges(n: str) -> list[str]:
        return [t for t in targets(graph[n]) if t in graph]

    def visit(n: str) -> None:
        index[n] = low[n] = counter[0]
        counter[0] += 1
        stack.append(n)
        on_stack.add(n)
        for t in edges(n):
            if t not in index:
                visit(t)
                low[n] = min(low[n], low[t])
            elif t in on_stack:
                low[n] = min(low[n], index[t])
        if low[n] == index[n]:
            component = []
            while True:
                m = stack.pop()
                on_stack.discard(m)
                component.append(m)
                if m == n:
                    break
            if len(component) > 1 or n in edges(n):
                found.append(sorted(component))

    for n in graph:
        if n not in index:
            visit(n)
    return found


def load_file(path: str | Path) -> Script:
    """Load and validate a script file."""
    path = Path(path)
    return parse(path.read_text(encoding="utf-8"), source=path.name)


def shipped_scripts() -> dict[str, Path]:
    """The scripts that ship with the project, by script name (file stem)."""
    return {p.stem: p for p in sorted(SCRIPTS_DIR.glob("*.yaml"))}
