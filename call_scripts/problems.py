"""What is wrong with a script or a policy, and where: problems named by file, line and step."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

# LibYAML's safe loader where PyYAML was built with it (same data and marks), else PyYAML's own.
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


class Lines:
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


def pydantic_problems(
    exc: ValidationError, source: str, lines: Lines, prefix: tuple, step: str | None
) -> list[Problem]:
    """pydantic's validation errors as problems, each at the line of its field."""
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.endswith("]")))
        field = ".".join(str(p) for p in loc)
        message = f"{field}: {err['msg']}" if field else err["msg"]
        out.append(Problem(source, lines.of(*prefix, *loc), step, message))
    return out


def load_yaml(text: str, source: str, what: str) -> tuple[dict, Lines]:
    """The YAML mapping in text and its line numbers, or ScriptError naming the bad line.

    Parsed once, by LibYAML where PyYAML has it: the pure-Python parser, run twice, left a web
    worker about 3 MB bigger after its first parse of the intake script (issue 13)."""
    loader = SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ScriptError([Problem(source, line, None, f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ScriptError([Problem(source, 1, None, f"{what} is a YAML mapping")])
    return data, Lines(root)


def placeholders(text: str) -> list[str]:
    """The {names} in a prompt or message (ValueError for a malformed one)."""
    try:
        return [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        raise ValueError(f"bad placeholder: {exc}") from None


class ScriptRuntimeError(Exception):
    """The script could not go on (a validated script should never raise this)."""
