"""Annex A code spellings: the drop-down answers of the Ofsted template (``a) 1A: Individual``,
``N1 - Abuse or neglect``, ``a) Neglect``, ``a) Yes``) and the canonical codes they stand for.

:func:`translate` reads an answer (also a plain canonical code or the DfE label; anything else
comes back untouched so validation can flag it); :func:`spelling` writes one.
"""
from __future__ import annotations

import re
from typing import Any

from . import normalise_heading

__all__ = ["CODES", "spelling", "translate"]

_YES_NO = {"Y": "a) Yes", "N": "b) No"}
_SEX = {"M": "a) Male", "F": "b) Female", "U": "c) Not stated/recorded", "I": "d) Neither"}
_SOURCES = {
    "1A": "a) 1A: Individual", "1B": "b) 1B: Individual", "1C": "c) 1C: Individual",
    "1D": "d) 1D: Individual", "2A": "e) 2A: Schools", "2B": "f) 2B: Education services",
    "3A": "g) 3A: Health services", "3B": "h) 3B: Health services",
    "3C": "i) 3C: Health services", "3D": "j) 3D: Health services",
    "3E": "k) 3E: Health services", "3F": "l) 3F: Health services", "4": "m) 4: Housing",
    "5A": "n) 5A: LA services", "5B": "o) 5B: LA services", "5C": "p) 5C: LA services",
    "5D": "p1) 5D: LA services", "6": "q) 6: Police", "7": "r) 7: Other legal agency",
    "8": "s) 8: Other", "9": "t) 9: Anonymous", "10": "u) 10: Unknown",
}
_SOURCE_WORDS = {"schools": "2A", "education services": "2B", "housing": "4", "police": "6",
                 "other legal agency": "7", "other": "8", "anonymous": "9", "unknown": "10",
                 "gp": "3A", "health visitor": "3B", "school nurse": "3C", "early help": "5D"}
_NEED = {
    "N0": "N0 - Not stated", "N1": "N1 - Abuse or neglect", "N2": "N2 - Child's disability",
    "N3": "N3 - Parental disability or illness", "N4": "N4 - Family in acute stress",
    "N5": "N5 - Family dysfunction", "N6": "N6 - Socially unacceptable behaviour",
    "N7": "N7 - Low income", "N8": "N8 - Absent parenting",
    "N9": "N9 - Cases other than children in need",
}
_CLOSURE = {
    "RC1": "RC1 - Adopted", "RC2": "RC2 - Died", "RC3": "RC3 - Child arrangements order",
    "RC4": "RC4 - Special guardianship order",
    "RC5": "RC5 - Transferred to services of another local authority",
    "RC6": "RC6 - Transferred to adult social care services",
    "RC7": "RC7 - Services ceased for any other reason, including child no longer in need",
    "RC8": "RC8 - Case closed after assessment, no further action",
    "RC9": "RC9 - Case closed after assessment, referred to early help",
}
_CATEGORY = {"NEG": "a) Neglect", "PHY": "b) Physical abuse", "SAB": "c) Sexual abuse",
             "EMO": "d) Emotional abuse", "MUL": "e) Multiple/not recommended"}
_CATEGORY_WORDS = {"multiple": "MUL", "physical": "PHY", "sexual": "SAB", "emotional": "EMO"}
_ETHNICITIES = ("WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND",
                "APKN", "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT")
_ETHNICITY = {code: f"{chr(ord('a') + i)}) {code}" for i, code in enumerate(_ETHNICITIES)}
_MISSING = {"M": "a) Missing", "A": "b) Away from placement without authorisation"}
_MISSING_WORDS = {"absent": "A", "away": "A", "away from placement": "A"}

#: canonical column -> (canonical code -> Annex A spelling, extra words -> code)
CODES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "sex": (_SEX, {"not stated": "U", "not recorded": "U", "indeterminate": "I", "unknown": "U"}),
    "ethnicity": (_ETHNICITY, {}),
    "contact_source": (_SOURCES, _SOURCE_WORDS),
    "referral_source": (_SOURCES, _SOURCE_WORDS),
    "referral_nfa": (_YES_NO, {"unknown": ""}),
    "primary_need_code": (_NEED, {}),
    "reason_for_closure": (_CLOSURE, {}),
    "initial_category": (_CATEGORY, _CATEGORY_WORDS),
    "latest_category": (_CATEGORY, _CATEGORY_WORDS),
    "missing_type": (_MISSING, _MISSING_WORDS),
    "looked_after": (_YES_NO, {"unknown": ""}),
    "rhi_accepted": (_YES_NO, {"unknown": ""}),
    "icpc_not_required": (_YES_NO, {"unknown": ""}),
}
_ANSWER_PREFIX = re.compile(r"^\s*[a-z]{1,2}\d?\)\s*", re.IGNORECASE)
_CODE_SPLIT = re.compile(r"\s*(?::|\s[-\u2013]\s)\s*")


def _lookup(column: str) -> tuple[dict[str, str], set[str]]:
    """Normalised spelling -> canonical code, and the set of canonical codes, for a column."""
    spellings, words = CODES[column]
    table: dict[str, str] = {normalise_heading(k): v for k, v in words.items()}
    for code, spelling in spellings.items():
        table[normalise_heading(spelling)] = code
        label = _CODE_SPLIT.split(_ANSWER_PREFIX.sub("", spelling), maxsplit=1)[-1]
        table.setdefault(normalise_heading(label), code)
    if spellings is _YES_NO:
        table.update({"yes": "Y", "y": "Y", "no": "N", "n": "N"})
    return table, set(spellings)


_LOOKUPS = {column: _lookup(column) for column in CODES}


def translate(column: str, value: str | None) -> str | None:
    """The canonical code for an Annex A answer in ``column``; unknown values come back as
    they are (validation flags them), and ``c) Unknown`` to a yes/no question becomes blank."""
    if value is None or column not in _LOOKUPS:
        return value
    table, codes = _LOOKUPS[column]
    for candidate in (value, _ANSWER_PREFIX.sub("", value)):
        hit = table.get(normalise_heading(candidate))
        if hit is not None:
            return hit or None
        token = _CODE_SPLIT.split(candidate.strip(), maxsplit=1)[0].upper()
        if token in codes:
            return token
    return value


def spelling(column: str, value: Any) -> Any:
    """The Annex A spelling of a canonical value (unknown values are written as they are)."""
    if isinstance(value, bool):
        value = "Y" if value else "N"
    if isinstance(value, str) and column in CODES:
        return CODES[column][0].get(value.strip().upper(), value)
    return value
