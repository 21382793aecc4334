"""One glossary per language, shared by every script and hold policy: the word for an analyst,
a ticket, ... A text that uses another word for the same thing is a problem named by its line.

The check reads the YAML text itself, so it finds the very line an admin wrote: a line belongs
to the language whose key (``it-IT:``) opens it or the block it is indented under; a line with
several languages (``{en-US: ..., it-IT: ...}``) is split at each key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from .problems import Problem, SafeLoader

GLOSSARY_FILE = Path(__file__).parent / "glossary.yaml"
_LANGUAGE_KEY = re.compile(r"""["']?\b([a-z]{2}-[A-Z]{2})["']?\s*:""")


@dataclass(frozen=True)
class Term:
    """What the line talks about (``analyst``), the word to use, and the words not to."""

    idea: str
    use: str
    avoid: tuple[str, ...]


@lru_cache(maxsize=4)
def load(path: Path = GLOSSARY_FILE) -> dict[str, tuple[Term, ...]]:
    """The glossary: its terms by language."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader) or {}
    return {lang: tuple(Term(idea, str(t["use"]), tuple(str(w) for w in t.get("not", [])))
                        for idea, t in terms.items())
            for lang, terms in data.items()}


def _word(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)


def language_lines(text: str) -> list[tuple[int, str, str]]:
    """(line number, language, text) for every piece of the YAML said in a language."""
    out: list[tuple[int, str, str]] = []
    stack: list[tuple[int, str]] = []  # (indent of the language key, language)
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        keys = list(_LANGUAGE_KEY.finditer(line))
        starts_with_key = bool(keys) and keys[0].start() == indent
        while stack and indent <= stack[-1][0]:  # a block's text is indented under its key
            stack.pop()
        head = line[:keys[0].start()] if keys else line
        if stack and head.strip():
            out.append((number, stack[-1][1], head))
        for i, key in enumerate(keys):
            end = keys[i + 1].start() if i + 1 < len(keys) else len(line)
            out.append((number, key.group(1), line[key.end():end]))
        if starts_with_key and len(keys) == 1:
            stack.append((indent, keys[0].group(1)))
    return out


def problems(text: str, source: str,
             glossary: dict[str, tuple[Term, ...]] | None = None) -> list[Problem]:
    """Every word of the text that the glossary of its language says not to use."""
    terms = load() if glossary is None else glossary
    out: list[Problem] = []
    for number, lang, said in language_lines(text):
        for term in terms.get(lang, ()):
            for word in term.avoid:
                if _word(word).search(said):
                    out.append(Problem(source, number, None,
                                       f"{lang}: '{word}' is not the glossary's word for "
                                       f"{term.idea}; say '{term.use}' "
                                       f"(call_scripts/glossary.yaml)"))
    return out
