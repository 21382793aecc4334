"""The line's CLDR locales (call_scripts.cldr) say what Babel's whole locales say, and a
process that says moments and counts never loads Babel's whole locale or global data."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel.core import get_global

from call_scripts import cldr, load_file, moments, shipped_scripts, speech

ZONES = [ZoneInfo(z) for z in ("Europe/Rome", "America/New_York", "Asia/Kuala_Lumpur", "UTC")]
NOW = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # a Friday
# The shipped scripts' languages, and others a script could add, with CLDR parent exceptions
# among them (en-GB, es-MX, pt-AO, nb) and a script subtag (Babel's own data then).
OTHERS = ["en-GB", "en-IN", "es-MX", "pt-AO", "pt-BR", "fr-CA", "de-DE", "nb", "zh-Hant-TW",
          "ja-JP", "ar-EG", "ru-RU", "pl-PL"]


def languages() -> list[str]:
    shipped = {lang for path in shipped_scripts().values()
               for lang in load_file(path).languages}
    return sorted(shipped) + OTHERS


def babel_locale(tag: str) -> Locale:
    return Locale.parse(tag.replace("-", "_"))


def test_the_copied_parents_are_babels():
    copied = {child: parent for parent, children in cldr.PARENTS.items()
              for child in children.split()}
    assert copied == get_global("parent_exceptions")


@pytest.mark.parametrize("language", languages())
def test_counts_are_said_with_babels_plural_rules(language):
    ours, babel = cldr.locale(language), babel_locale(language)
    assert ours.plural_form.tags == babel.plural_form.tags
    assert [ours.plural_form(n) for n in range(0, 1001)] == \
        [babel.plural_form(n) for n in range(0, 1001)]


@pytest.mark.parametrize("language", languages())
def test_moments_are_said_as_with_babels_whole_locale(language, monkeypatch):
    times = [NOW + timedelta(hours=h, minutes=7 * h) for h in range(0, 24 * 9, 5)]

    def said() -> list[str]:
        return [moments.say_moment(at, NOW, zone, language) for at in times for zone in ZONES]

    ours = said()
    monkeypatch.setattr(cldr, "locale", babel_locale)
    assert ours == said()


def test_saying_moments_and_counts_loads_none_of_babels_whole_data():
    code = (
        "import datetime, zoneinfo\n"
        "import babel.core, babel.localedata\n"
        "from call_scripts import moments, speech\n"
        "now = datetime.datetime(2026, 11, 27, 16, tzinfo=datetime.UTC)\n"
        "for lang in ('en-US', 'it-IT', 'ms-MY', 'en-GB'):\n"
        "    speech.plural_categories(lang)\n"
        "    moments.say_moment(now + datetime.timedelta(days=3), now,\n"
        "                       zoneinfo.ZoneInfo('Europe/Rome'), lang)\n"
        "print(sorted(babel.localedata._cache), babel.core._global_data is None)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[] True"
    assert speech.plural_category("it-IT", 1) == "one"  # and here, in this process, as well
