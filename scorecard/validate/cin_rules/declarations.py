"""The DfE CIN census rules as declarations, read from the ``.sql`` files in ``sql/rules/``.

Each rule is one block of a rules file: a header of ``-- key: value`` lines, then one SQL
query. The header names the DfE code, its type, the DfE's message, the census elements it
reads, the census years it applies to and the census block whose records it flags::

    -- rule: 8630
    -- type: error
    -- years: 2022-23
    -- level: details
    -- fields: CINreferralDate, CINclosureDate
    -- message: CIN Closure Date is before CIN Referral Date for the same CIN episode
    -- checks: the closure date is before the referral date (the same day is allowed).
    -- note: (optional) where and why this differs from the reference validator
    -- needs: (optional) census elements the records must carry for the rule to mean anything
    --   (outside a census file an extract may lack a column), or staging columns (table.column)
    select ...

``years`` is the first census year the version applies to, optionally ``..`` and the last
(``2022-23..2023-24``); a rule changed in a later year has one block per version. The query
reads the census frame (``frame.py``) and returns the failing locations by name:
``return_id, error_key, row_key, field, value`` and optionally ``context`` (true: a location
shown for reference, not at fault). Locations sharing ``error_key`` are one error.
Return-level rules (``level: return``) give ``row_key`` null and report once per return.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["LEVELS", "FIRST_YEAR", "LAST_YEAR", "Rule", "RuleFileError", "rules", "rule_set",
           "year_label", "parse"]

#: census years are named by the year their 31 March falls in: 2023 = 2022-23
FIRST_YEAR, LAST_YEAR = 2023, 2026

#: level -> the frame table whose rows the rule flags (``None``: the whole return)
LEVELS: dict[str, str | None] = {
    "return": None, "child": "cin_child", "details": "cin_details", "assessment": "cin_assessment",
    "cin_plan": "cin_plan", "s47": "cin_s47", "cpp": "cin_cpp", "review": "cin_review",
}
_KEYS = ("rule", "type", "years", "level", "fields", "message", "checks", "note", "table", "needs")
_REQUIRED = ("rule", "type", "years", "level", "fields", "message", "checks")
_HEADER = re.compile(r"^--\s*(\w+):\s?(.*)$")
_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


class RuleFileError(ValueError):
    """A rules file that does not parse (a packaging fault, caught by the tests)."""


def year_label(end_year: int) -> str:
    """``2023`` -> ``'2022-23'``."""
    return f"{end_year - 1}-{end_year % 100:02d}"


def _end_year(label: str, where: str) -> int:
    m = _YEAR.match(label.strip())
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise RuleFileError(f"{where}: census year {label!r} is not like 2022-23")
    return int(m.group(1)) + 1


@dataclass(frozen=True)
class Rule:
    """One version of one DfE CIN census rule."""

    code: str            # the DfE code, "Q" suffix for queries: "8630", "8569Q"
    type: str            # "error" | "query"
    first_year: int      # census end year: 2023 = 2022-23
    last_year: int
    level: str           # a key of LEVELS
    fields: tuple[str, ...]
    message: str
    checks: str
    note: str
    sql: str
    source: str          # "child.sql" etc.
    table: str = ""      # validation.csv table for a return-level rule
    needs: tuple[str, ...] = ()   # elements, or staging table.column, it cannot run without

    @property
    def severity(self) -> str:
        """``error`` for a DfE error, ``warning`` for a DfE query."""
        return "error" if self.type == "error" else "warning"

    @property
    def check_id(self) -> str:
        return f"cin.{self.code}"

    @property
    def key(self) -> str:
        """Unique per version: ``8630``, or ``4180/2024-25`` for a later version."""
        return self.code if self.first_year == FIRST_YEAR else f"{self.code}/{year_label(self.first_year)}"

    @property
    def years(self) -> str:
        last = "" if self.last_year == LAST_YEAR else year_label(self.last_year)
        return f"{year_label(self.first_year)}..{last}" if last or self.first_year != FIRST_YEAR \
            else f"{year_label(self.first_year)}.."

    def applies_to(self, end_year: int) -> bool:
        """Whether this version is in the rule set of the census ending 31 March ``end_year``
        (years before the first known set use it; years after the last known set use that)."""
        y = min(max(end_year, FIRST_YEAR), LAST_YEAR)
        return self.first_year <= y <= self.last_year


def parse(text: str, source: str) -> list[Rule]:
    """The rules declared in one rules file."""
    out: list[Rule] = []
    blocks = re.split(r"(?m)^(?=--\s*rule:)", text)
    for block in blocks:
        if not re.match(r"--\s*rule:", block):
            continue  # the file's own leading comment
        header: dict[str, str] = {}
        lines = block.splitlines()
        i, last_key = 0, ""
        while i < len(lines) and lines[i].startswith("--"):
            m = _HEADER.match(lines[i])
            if m and m.group(1) in _KEYS:
                key = m.group(1)
                header[key] = (header[key] + " " if key in header else "") + m.group(2).strip()
                last_key = key
            elif lines[i].startswith("--   ") and header:
                header[last_key] += " " + lines[i][2:].strip()   # continuation line
            else:
                raise RuleFileError(f"{source}: unexpected header line {lines[i]!r}")
            i += 1
        sql = "\n".join(lines[i:]).strip().rstrip(";").strip()
        where = f"{source} rule {header.get('rule', '?')}"
        missing = [k for k in _REQUIRED if not header.get(k)]
        if missing:
            raise RuleFileError(f"{where}: missing {', '.join(missing)}")
        if header["type"] not in ("error", "query"):
            raise RuleFileError(f"{where}: type must be error or query")
        if header["level"] not in LEVELS:
            raise RuleFileError(f"{where}: unknown level {header['level']!r}")
        if header["rule"].endswith("Q") != (header["type"] == "query"):
            raise RuleFileError(f"{where}: a query's code ends in Q, an error's does not")
        if not sql:
            raise RuleFileError(f"{where}: no SQL")
        first, _, last = header["years"].partition("..")
        out.append(Rule(
            code=header["rule"], type=header["type"], first_year=_end_year(first, where),
            last_year=_end_year(last, where) if last.strip() else LAST_YEAR, level=header["level"],
            fields=tuple(f.strip() for f in header["fields"].split(",") if f.strip()),
            message=header["message"], checks=header["checks"], note=header.get("note", ""),
            sql=sql, source=source, table=header.get("table", ""),
            needs=tuple(n.strip() for n in header.get("needs", "").split(",") if n.strip())))
    return out


@cache
def rules() -> tuple[Rule, ...]:
    """Every declared rule version, in code order."""
    folder = resources.files("scorecard.validate.cin_rules").joinpath("sql", "rules")
    found: list[Rule] = []
    for f in sorted(folder.iterdir(), key=lambda p: p.name):
        if f.name.endswith(".sql"):
            found += parse(f.read_text(encoding="utf-8"), f.name)
    seen: dict[str, Rule] = {}
    for r in found:
        if r.key in seen:
            raise RuleFileError(f"rule {r.key} declared twice ({seen[r.key].source}, {r.source})")
        seen[r.key] = r
    for code in {r.code for r in found}:
        versions = sorted((r for r in found if r.code == code), key=lambda r: r.first_year)
        for a, b in zip(versions, versions[1:]):
            if a.last_year >= b.first_year:
                raise RuleFileError(f"rule {code}: versions {a.key} and {b.key} overlap in years")
    return tuple(sorted(found, key=lambda r: (_code_order(r.code), r.first_year)))


def _code_order(code: str) -> tuple[int, str]:
    return int(code.rstrip("Q")), code


def rule_set(end_year: int) -> tuple[Rule, ...]:
    """The rules of the census ending 31 March ``end_year`` (one version per code)."""
    return tuple(r for r in rules() if r.applies_to(end_year))
