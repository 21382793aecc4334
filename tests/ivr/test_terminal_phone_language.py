"""The terminal phone's --lang, as a developer trying the line uses it: it answers the language
menu, or the other languages offered to a caller from a country of a language; it never takes a
key of a question in the language the line already speaks."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("number", "lang", "pressed"), [
    ("+12025550147", "it", "(pressing 2 for it)"),  # the language menu
    ("+393331119999", "en", "(pressing 7 for en)"),  # Italian at once: English offered by key
    ("+393331119999", "it", None),  # Italian already: nothing pressed for it
])
def test_lang_answers_the_language_offered_and_nothing_else(app, clock, number, lang, pressed):
    result = app.test_cli_runner().invoke(
        args=["ivr", "call", "--in-process", "--from", number, "--lang", lang], input="q\n")
    assert result.exit_code == 0, result.output
    if pressed:
        assert pressed in result.output
    else:
        assert "(pressing" not in result.output
        assert "Per lo stato di un ticket, prema 1." in result.output
