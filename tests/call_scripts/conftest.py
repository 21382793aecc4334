"""Fixtures for call-script tests: small inline scripts, and the shipped intake."""

import textwrap

import pytest

import call_scripts
from call_scripts import load_file, parse, shipped_scripts

# What each test language needs: its entry under `languages` and the three default prompts.
LANGUAGES = {
    "en-US": {
        "voice": "Polly.Joanna",
        "label": "English",
        "select": "For English, press 1.",
        "reprompt": "Sorry, I did not understand that.",
        "no_input": "Sorry, I did not hear anything.",
        "confirm": "If that is right, press 1. To try again, press 2.",
    },
    "it-IT": {
        "voice": "Polly.Bianca",
        "label": "Italiano",
        "select": "Per l'italiano, premi 2.",
        "reprompt": "Scusi, non ho capito.",
        "no_input": "Scusi, non ho sentito nulla.",
        "confirm": "Se è giusto, premi 1. Per riprovare, premi 2.",
    },
}

# A whole call in two steps: say hello, hang up.
HELLO_STEPS = """
hello:
  type: say
  prompt: {en-US: Hello.}
  next: bye
bye:
  type: hangup
  prompt: {en-US: Goodbye.}
"""


def build_script_text(
    steps: str = HELLO_STEPS,
    *,
    languages: tuple[str, ...] = ("en-US",),
    start: str = "hello",
    on_fail: str | None = "bye",
    extra: str = "",
) -> str:
    """A minimal valid script's YAML; each argument changes one thing about it."""
    lines = ["name: test", f"start: {start}", f"default_language: {languages[0]}", "languages:"]
    for code in languages:
        lang = LANGUAGES[code]
        lines += [f"  {code}:"] + [f"    {k}: {lang[k]}" for k in ("voice", "label", "select")]
    lines += ["defaults:", "  retries: 2"]
    if on_fail:
        lines.append(f"  on_fail: {on_fail}")
    for key in ("reprompt", "no_input", "confirm"):
        lines += [f"  {key}:"] + [f"    {code}: {LANGUAGES[code][key]}" for code in languages]
    text = "\n".join(lines) + "\n"
    if extra:
        text += textwrap.dedent(extra).strip("\n") + "\n"
    text += "steps:\n" + textwrap.indent(textwrap.dedent(steps).strip("\n"), "  ") + "\n"
    return text


@pytest.fixture
def script_text():
    """Build a minimal script's YAML text (see build_script_text)."""
    return build_script_text


@pytest.fixture
def make_script():
    """Parse a minimal script built from the given steps and options into a Script."""

    def make(steps: str = HELLO_STEPS, **options) -> call_scripts.Script:
        return parse(build_script_text(steps, **options), source="test.yaml")

    return make


@pytest.fixture(scope="session")
def intake() -> call_scripts.Script:
    """The shipped intake script."""
    return load_file(shipped_scripts()["intake"])
