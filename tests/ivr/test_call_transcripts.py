"""The whole calls committed under docs/calls/ (made by `make calls` with the terminal phone):
each in one language only, in the glossary's words, thanked once and closed once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from call_scripts import glossary, shipped_scripts

ROOT = Path(__file__).resolve().parents[2]
CALLS = ROOT / "docs" / "calls"
POLICY = ROOT / "call_scripts" / "policies" / "default.yaml"
SAID = re.compile(r"^\[([a-z]{2}-[A-Z]{2})\] (.*)$")
THANKS = {"en-US": "Thank you for calling", "it-IT": "Grazie per aver chiamato",
          "ms-MY": "Terima kasih kerana menghubungi"}


def said(language: str) -> list[tuple[str, str]]:
    """(language, text) of each line the caller heard in the committed call."""
    lines = (CALLS / f"{language}.txt").read_text(encoding="utf-8").splitlines()
    return [m.groups() for line in lines if (m := SAID.match(line))]


def english_phrases() -> set[str]:
    """Every stretch of English text (four words or more) the shipped line can say."""
    texts: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "en-US" and isinstance(value, str):
                    texts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in [*shipped_scripts().values(), POLICY]:
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    phrases = set()
    for text in texts:
        for piece in re.split(r"\{[^}]*\}|[.?!:;,]", text):
            if len(piece.split()) >= 4:
                phrases.add(piece.strip())
    return phrases


@pytest.mark.parametrize("language", list(THANKS))
def test_a_committed_call_is_in_the_callers_language_from_greeting_to_goodbye(language):
    heard = said(language)
    assert len(heard) > 15  # a whole call: intake, ticket, queue, hold, callback
    assert {lang for lang, _ in heard} == {language}
    text = " ".join(t for _, t in heard)
    assert heard[0][1].startswith(THANKS[language]) and text.count(THANKS[language]) == 1
    english = [p for p in english_phrases() if p in text]
    if language == "en-US":
        assert len(english) > 10  # the check finds English where there is some
    else:
        assert not english, f"English in the {language} call: {english}"
    for term in glossary.load()[language]:
        for word in term.avoid:
            assert not re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE), \
                f"{language}: '{word}' where the glossary says '{term.use}'"


def test_the_calls_are_regenerated_by_make_calls():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^calls: .*\n\t.*docs/calls/record\.py", makefile, re.MULTILINE)
    for language in THANKS:
        first = (CALLS / f"{language}.txt").read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("$ flask ivr call --from +")  # the terminal phone made it
