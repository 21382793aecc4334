"""Babel's locales (CLDR) holding only what a call is said with: plural rules, and the days,
months, times and patterns of its moments.

Babel keeps every locale it loads whole, merged with its parents (names of every language,
territory, currency and unit...), and reads its global data to find a locale's parent: about
6 MB in each web worker for the three shipped languages, of which the line reads a few
hundred KB (issue 13). A locale made here reads the same CLDR files, inheriting the same way,
and keeps only the parts below; what it says is the same as Babel's whole locale
(tests/call_scripts/test_cldr.py).
"""

from __future__ import annotations

import pickle
from functools import lru_cache
from typing import Any

from babel import Locale, localedata
from babel.core import parse_locale

KEPT = frozenset({  # no time zone names: no pattern said to a caller shows a zone
    "plural_form", "ordinal_form",
    "date_fields", "date_formats", "datetime_formats", "datetime_formats_relative",
    "datetime_skeletons", "time_formats",
    "days", "months", "quarters", "eras", "day_periods", "day_period_rules", "week_data",
    "number_symbols", "numbering_systems", "decimal_formats",
})
ONLY = {"date_fields": ("day",)}  # of these, only the entries named: CLDR's "today", "tomorrow"


# CLDR's parents that are not the identifier minus its last part (en_IN's is en_001), copied
# from Babel's global data, whose reading costs a worker about 2 MB; tests/call_scripts/test_cldr.py
# checks the copy against Babel's.
PARENTS = {  # parent: its children (Babel's 'parent_exceptions')
    "en_001": (
        "en_150 en_AG en_AI en_AU en_BB en_BM en_BS en_BW en_BZ en_CC en_CK en_CM en_CX "
        "en_CY en_DG en_DM en_ER en_FJ en_FK en_FM en_GB en_GD en_GG en_GH en_GI en_GM "
        "en_GS en_GY en_HK en_ID en_IE en_IL en_IM en_IN en_IO en_JE en_JM en_KE en_KI "
        "en_KN en_KY en_LC en_LR en_LS en_MG en_MO en_MS en_MT en_MU en_MV en_MW en_MY "
        "en_NA en_NF en_NG en_NR en_NU en_NZ en_PG en_PK en_PN en_PW en_RW en_SB en_SC "
        "en_SD en_SG en_SH en_SL en_SS en_SX en_SZ en_TC en_TK en_TO en_TT en_TV en_TZ "
        "en_UG en_VC en_VG en_VU en_WS en_ZA en_ZM en_ZW"
    ),
    "en_150": (
        "en_AT en_BE en_CH en_CZ en_DE en_DK en_EE en_ES en_FI en_FR en_GE en_HU en_IT "
        "en_LT en_LV en_NL en_NO en_PL en_PT en_RO en_SE en_SI en_SK en_UA"
    ),
    "en_IN": (
        "hi_Latn"
    ),
    "es_419": (
        "es_AR es_BO es_BR es_BZ es_CL es_CO es_CR es_CU es_DO es_EC es_GT es_HN es_JP "
        "es_MX es_NI es_PA es_PE es_PR es_PY es_SV es_US es_UY es_VE"
    ),
    "no": (
        "nb nn no_NO"
    ),
    "pt_PT": (
        "pt_AO pt_CH pt_CV pt_FR pt_GQ pt_GW pt_LU pt_MO pt_MZ pt_ST pt_TL"
    ),
    "zh_Hant_HK": (
        "zh_Hant_MO"
    ),
}
_PARENT_OF = {child: parent for parent, children in PARENTS.items() for child in children.split()}


class SpokenLocale(Locale):
    """A Babel locale whose data is only the parts KEPT (else Babel's whole data, for the
    rare locale whose parent this module does not work out itself)."""

    @property
    def _data(self) -> localedata.LocaleDataDict:
        return _data_of(str(self)) or super()._data


def locale(tag: str) -> Locale:
    """The locale of a language tag ("it-IT" or "it_IT"); Babel's errors for an unknown one."""
    return _locale(tag.replace("-", "_"))


@lru_cache(maxsize=32)
def _locale(identifier: str) -> Locale:
    return SpokenLocale.parse(identifier)


@lru_cache(maxsize=32)
def _data_of(name: str) -> localedata.LocaleDataDict | None:
    chain = _chain(name)
    if chain is None:
        return None
    data: dict[str | int | None, Any] = {}
    for part in chain:  # root first, then each child over its parent, as Babel merges them
        with open(localedata.resolve_locale_filename(part), "rb") as file:
            whole = pickle.load(file)
        kept = {key: whole[key] for key in KEPT if key in whole}
        for key, entries in ONLY.items():
            if isinstance(kept.get(key), dict):
                kept[key] = {entry: kept[key][entry] for entry in entries if entry in kept[key]}
        localedata.merge(data, kept)
    return localedata.LocaleDataDict(data)


def _chain(name: str) -> list[str] | None:
    """root, ..., name: the locales NAME inherits from, as Babel finds them; None for a name
    with a script (Babel's rule for those needs its likely subtags: its own data is used)."""
    if parse_locale(name)[2]:
        return None
    chain = [name]
    while chain[0] != "root":
        parent = _PARENT_OF.get(chain[0])
        if not parent:
            parts = chain[0].split("_")
            parent = "root" if len(parts) == 1 else "_".join(parts[:-1])
        chain.insert(0, parent)
    return chain
