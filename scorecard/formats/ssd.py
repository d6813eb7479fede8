"""The Standard Safeguarding Dataset (SSD), version 1.4.5, as CSV files.

The SSD is data-to-insight's set of ``ssd_*`` tables that a local authority builds in its own
database by running the shipped extract script for its case-management system (Mosaic,
LiquidLogic/SystemC, Eclipse, ...). Column names and types are those of the v1.4.5 table
specification (``data-to-insight/ssd-data-model``: the object specifications under
``data/objects/`` and the deployment scripts under ``deployment_extracts/``; see
``docs/ssd.md``). The SSD defines no file layout, so the scorecard reads one CSV file per
table, exported as it is (``ssd_person.csv``, ``ssd_missing.csv``, monthly
``ssd_missing_2023-01.csv``, ...). A file is an SSD table when its name says so or when its
columns carry one table's four-letter prefix (``miss_table_id``, ``miss_person_id``, ...).

What is read (v1.4.5 names; older and per-system names are accepted, see ``RENAMES``):

==========================  ==========================================================
SSD table                   canonical tables
==========================  ==========================================================
ssd_person                  children (+ disabilities from ssd_disability)
ssd_contacts                contacts (the SSD has no decision time)
ssd_cin_episodes            referrals, and cin_episodes for rows that carry episode data
                            (+ icpc_date from conferences with no S47 enquiry)
ssd_cin_assessments         assessments (+ assessment_factors from ssd_assessment_factors)
ssd_cin_plans               cin_plans
ssd_s47_enquiry             s47_enquiries (+ conference dates from ssd_initial_cp_conference)
ssd_cp_plans                cp_plans (category words become NEG/EMO/PHY/SAB/MUL)
ssd_cp_reviews              cp_reviews
ssd_missing                 missing_episodes (+ looked_after from ssd_cla_episodes), and
                            return_interviews from the RHI flags
==========================  ==========================================================

Companion tables (``COMPANION_OF``: ssd_disability, ssd_assessment_factors,
ssd_initial_cp_conference, ssd_cla_episodes) have no canonical table of their own: they are read
with the table they complete, from files named after them in the same folder, and a change to
one reloads that table. On its own a companion file is reported as skipped. The SSD's CIN episode
is its referral row, so every link to a CIN episode (``cin_episode_id``) is a referral id.

Values: SQL Server datetimes (``2024-12-10 00:00:00.000``) and the literal ``NULL`` read as
they should; CP categories spelled as words (SystemC, Eclipse) become the DfE codes; missing
types spelled as words become ``M``/``A``; ``NA`` flags are unknown. Anything not recognised is
passed through for validation to flag. Every SSD column with no canonical column is kept as
an extra column, except the identifying ones each table lists as ``dropped`` (forename,
surname, NHS number), which never reach the database.

Return home interviews: the SSD carries only ``miss_missing_rhi_offered`` and
``miss_missing_rhi_accepted`` (Y/N/NA) on the missing row, no dates. A row with either flag
gives one ``return_interviews`` row (id ``SSDRHI-<miss_table_id>``, ``rhi_accepted`` from the
accepted flag, or N when the interview was not offered); the offered flag is kept as an extra
column. Metrics that need RHI dates cannot be computed from the SSD alone (the validation
summary says so); a return-interview extract with dates supplies them.

Looked after: ``ssd_missing`` has no looked-after flag. With ``ssd_cla_episodes`` files beside
it, an episode is of a looked-after child when its start date falls in one of the child's care
episodes (start <= missing start < ceased, or not ceased); without them ``looked_after`` is not
supplied.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import StructuralError
from ..frames import Frame
from ..schema import COMMON_COLUMNS, TABLES, extract_name
from . import Skip, build_frame, normalise_heading
from .csvfile import header, read_rows
from .ssd_spec import COMPANION_OF, KNOWN_UNUSED, RENAMES, SSD_TABLES, SSD_VERSION, SsdTable

__all__ = ["COMPANION_OF", "KNOWN_UNUSED", "RENAMES", "SSD_TABLES", "SSD_VERSION", "SsdTable",
           "companions", "detect", "read"]

SOURCE = "case_management"


# --------------------------------------------------------------------------- recognition


def table_from_name(path: Path) -> str | None:
    """The SSD table a file is named after (``ssd_missing_2023-01.csv`` -> ``ssd_missing``)."""
    name = extract_name(Path(path).stem)
    return name if name.startswith("ssd_") else None


def table_from_columns(headings: list[str] | None) -> str | None:
    """The SSD table whose columns a heading line has: at least two of its v1.4.5 (or older)
    column names, and at least half of the headings carrying its column prefix; else ``None``.
    (A bespoke export that happens to use a prefix, such as TED's ``MISS_ID``, is not one.)"""
    if not headings:
        return None
    names = [RENAMES.get(h.strip().lower(), h.strip().lower()) for h in headings if h.strip()]
    best, best_exact = None, 0
    for table in SSD_TABLES.values():
        exact = sum(1 for n in names if n in table.columns)
        prefixed = sum(1 for n in names if n.split("_", 1)[0] == table.prefix)
        if exact >= 2 and 2 * prefixed >= len(names) and exact > best_exact:
            best, best_exact = table.name, exact
    return best


def detect(path: Path, headings: list[str] | None) -> tuple[str | None, str | None]:
    """``(table by file name, table by columns)`` for a file (either may be ``None``);
    ``headings`` is the CSV heading line (``None`` for other files)."""
    return table_from_name(path), table_from_columns(headings)


def companions(path: Path, table: str | None = None) -> list[Path]:
    """The companion files read together with ``path`` (an SSD ``table``, by default the one
    it is named after): the CSV files beside it named after a table of ``COMPANION_OF`` that
    serves ``table`` (``ssd_cla_episodes*.csv`` beside ``ssd_missing.csv``, ...)."""
    table = table or table_from_name(path)
    wanted = {c for c, users in COMPANION_OF.items() if table in users}
    if not wanted:
        return []
    folder = Path(path).parent
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() == ".csv" and table_from_name(p) in wanted)


# --------------------------------------------------------------------------- values

_SEX = {"m": "M", "male": "M", "1": "M", "f": "F", "female": "F", "2": "F",
        "u": "U", "unknown": "U", "not known": "U", "not stated": "U", "not recorded": "U",
        "0": "U", "i": "I", "indeterminate": "I", "neither": "I", "9": "I"}
_CATEGORIES = {"neg": "NEG", "neglect": "NEG", "emo": "EMO", "emotional abuse": "EMO",
               "emotional": "EMO", "phy": "PHY", "physical abuse": "PHY", "physical": "PHY",
               "sab": "SAB", "sexual abuse": "SAB", "sexual": "SAB", "mul": "MUL",
               "multiple": "MUL"}
_MISSING_TYPES = {"m": "M", "missing": "M", "missing from care": "M", "missing from home": "M",
                  "a": "A", "absent": "A", "away": "A", "away absent": "A", "absent away": "A",
                  "away from placement": "A", "absent from placement": "A",
                  "away from placement without authorisation": "A"}
#: DfE referral-source labels (CIN census guidance wording and common CMS spellings).
_SOURCES = {
    "family member relative carer": "1A", "individual family member relative carer": "1A",
    "acquaintance": "1B", "self": "1C", "other individual": "1D", "schools": "2A",
    "school": "2A", "education services": "2B", "gp": "3A", "health visitor": "3B",
    "school nurse": "3C", "other primary health services": "3D", "a e": "3E",
    "a and e": "3E", "accident and emergency": "3E", "other health services": "3F",
    "housing": "4", "la social care": "5A", "la services social care": "5A",
    "other la services": "5B", "other internal la services": "5B",
    "another local authority": "5C", "external la services": "5C", "early help": "5D",
    "police": "6", "other legal agency": "7", "other": "8", "anonymous": "9", "unknown": "10"}
_YES = {"y", "yes", "true", "1"}
_NO = {"n", "no", "false", "0"}
_NOT_APPLICABLE = {"na", "n a", "not applicable"}


def _lookup(table: dict[str, str], value: str | None, *, prefix_multiple: bool = False) -> str | None:
    """A word or code -> the canonical code; unknown values are passed through."""
    if value is None:
        return None
    key = normalise_heading(value)
    if key in table:
        return table[key]
    if prefix_multiple and key.startswith("multiple"):
        return "MUL"
    return value


def _flag(value: str | None) -> str | None:
    """SSD Y/N/NA flags: NA (not applicable) is unknown; anything else passes through."""
    if value is None:
        return None
    key = normalise_heading(value)
    if key in _YES:
        return "Y"
    if key in _NO:
        return "N"
    return None if key in _NOT_APPLICABLE else value


_DFE_SOURCE = re.compile(r"^(1[ABCD]|2[AB]|3[A-F]|4|5[A-D]|6|7|8|9|10)$", re.IGNORECASE)


def _source(code: str | None, desc: str | None) -> str | None:
    """Referral/contact source: the code column when it holds a DfE code, else the DfE code its
    words (or the description's) name, else whatever was given (validation flags it)."""
    for value in (code, desc):
        if value is None:
            continue
        if _DFE_SOURCE.match(value.strip()):
            return value.strip().upper()
        word = _lookup(_SOURCES, value)
        if word is not None and _DFE_SOURCE.match(word):
            return word
    return code if code is not None else desc


def _day(value: str | None) -> dt.date | None:
    """The date of an SSD date-time text (ISO, with or without time, or DD/MM/YYYY)."""
    if value is None:
        return None
    text = value.strip()
    for pattern, length in (("%Y-%m-%d", 10), ("%d/%m/%Y", 10)):
        try:
            return dt.datetime.strptime(text[:length], pattern).date()
        except ValueError:
            continue
    return None


# --------------------------------------------------------------------------- reading

Record = dict[str, "str | None"]

#: SSD table -> canonical table -> canonical column -> the SSD columns it is read from (the
#: first that holds a value; a later one is a fallback, and is also kept as an extra column)
_SUPPLIES: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "ssd_person": {"children": {
        "child_id": ("pers_person_id",), "date_of_birth": ("pers_dob",),
        "sex": ("pers_sex", "pers_gender"), "ethnicity": ("pers_ethnicity",),
        "legacy_id": ("pers_legacy_id",), "upn": ("pers_upn",),
        "upn_unknown": ("pers_upn_unknown",), "expected_date_of_birth": ("pers_expected_dob",),
        "date_of_death": ("pers_death_date",)}},
    "ssd_contacts": {"contacts": {
        "contact_id": ("cont_contact_id",), "child_id": ("cont_person_id",),
        "contact_datetime": ("cont_contact_date",),
        "contact_source": ("cont_contact_source_code", "cont_contact_source_desc"),
        "contact_outcome": ("cont_contact_outcome_json",)}},
    "ssd_cin_episodes": {
        "referrals": {"referral_id": ("cine_referral_id",), "child_id": ("cine_person_id",),
                      "referral_date": ("cine_referral_date",),
                      "referral_source": ("cine_referral_source_code", "cine_referral_source_desc"),
                      "referral_nfa": ("cine_referral_nfa",)},
        "cin_episodes": {"cin_episode_id": ("cine_referral_id",), "child_id": ("cine_person_id",),
                         "referral_id": ("cine_referral_id",),
                         "cin_start_date": ("cine_referral_date",),
                         "cin_closure_date": ("cine_close_date",),
                         "reason_for_closure": ("cine_close_reason",),
                         "primary_need_code": ("cine_cin_primary_need_code",),
                         "referral_nfa": ("cine_referral_nfa",)}},
    "ssd_cin_assessments": {"assessments": {
        "assessment_id": ("cina_assessment_id",), "child_id": ("cina_person_id",),
        "referral_id": ("cina_referral_id",), "cin_episode_id": ("cina_referral_id",),
        "assessment_start_date": ("cina_assessment_start_date",),
        "assessment_authorised_date": ("cina_assessment_auth_date",)}},
    "ssd_cin_plans": {"cin_plans": {
        "cin_plan_id": ("cinp_cin_plan_id",), "child_id": ("cinp_person_id",),
        "cin_episode_id": ("cinp_referral_id",), "cin_plan_start_date": ("cinp_cin_plan_start_date",),
        "cin_plan_end_date": ("cinp_cin_plan_end_date",)}},
    "ssd_s47_enquiry": {"s47_enquiries": {
        "s47_id": ("s47e_s47_enquiry_id",), "child_id": ("s47e_person_id",),
        "cin_episode_id": ("s47e_referral_id",), "s47_start_date": ("s47e_s47_start_date",)}},
    "ssd_cp_plans": {"cp_plans": {
        "cp_plan_id": ("cppl_cp_plan_id",), "child_id": ("cppl_person_id",),
        "cp_plan_start_date": ("cppl_cp_plan_start_date",),
        "cp_plan_end_date": ("cppl_cp_plan_end_date",),
        "initial_category": ("cppl_cp_plan_initial_category",),
        "latest_category": ("cppl_cp_plan_latest_category",),
        "cin_episode_id": ("cppl_referral_id",)}},
    "ssd_cp_reviews": {"cp_reviews": {
        "cp_review_id": ("cppr_cp_review_id",), "child_id": ("cppr_person_id",),
        "cp_plan_id": ("cppr_cp_plan_id",), "cp_review_date": ("cppr_cp_review_date",)}},
    "ssd_missing": {
        "missing_episodes": {
            "missing_episode_id": ("miss_table_id",), "child_id": ("miss_person_id",),
            "missing_start_datetime": ("miss_missing_episode_start_date",),
            "missing_end_datetime": ("miss_missing_episode_end_date",),
            "missing_type": ("miss_missing_episode_type",)},
        "return_interviews": {
            "rhi_id": ("miss_table_id",), "missing_episode_id": ("miss_table_id",),
            "child_id": ("miss_person_id",),
            "rhi_accepted": ("miss_missing_rhi_accepted", "miss_missing_rhi_offered")}},
}

_EPISODE_DATA = ("cine_cin_primary_need_code", "cine_close_date", "cine_close_reason")


def _finish(canonical: str, rec: Record, r: Record) -> Record | None:
    """A canonical record read from SSD row ``r``: codes and words translated; ``None`` when
    the row gives no record of ``canonical`` (see the module docstring)."""
    if canonical == "children":
        rec["sex"] = _lookup(_SEX, rec.get("sex"))
    elif canonical in ("contacts", "referrals"):
        prefix = "cont_contact" if canonical == "contacts" else "cine_referral"
        column = "contact_source" if canonical == "contacts" else "referral_source"
        rec[column] = _source(r.get(f"{prefix}_source_code"), r.get(f"{prefix}_source_desc"))
    if canonical in ("referrals", "cin_episodes") and "referral_nfa" in rec:
        rec["referral_nfa"] = _flag(rec["referral_nfa"])
    if canonical == "cin_episodes" and all(r.get(c) is None for c in _EPISODE_DATA):
        return None   # a referral that opened no episode (the referral row is loaded)
    if canonical == "cp_plans":
        for c in ("initial_category", "latest_category"):
            rec[c] = _lookup(_CATEGORIES, rec.get(c), prefix_multiple=True)
    elif canonical == "missing_episodes":
        rec["missing_type"] = _lookup(_MISSING_TYPES, rec.get("missing_type"))
    elif canonical == "return_interviews":
        offered = _flag(r.get("miss_missing_rhi_offered"))
        accepted = _flag(r.get("miss_missing_rhi_accepted"))
        if offered is None and accepted is None:
            return None
        rec["rhi_id"] = f"SSDRHI-{r.get('miss_table_id') or ''}"
        rec["rhi_accepted"] = accepted if accepted is not None else ("N" if offered == "N" else None)
    return rec


def _headings(path: Path, table: SsdTable, raw: list[str]) -> list[str]:
    """File headings as v1.4.5 names; StructuralError for a repeated or missing column."""
    names: list[str] = []
    seen: dict[str, str] = {}
    for h in raw:
        name = RENAMES.get(h.strip().lower(), h.strip().lower())
        if name and name in seen:
            raise StructuralError(path, f"column appears twice ({seen[name]!r} and {h!r})", column=name)
        seen[name] = h
        names.append(name)
    for need in table.needs:
        if need not in seen:
            older = [old for old, new in RENAMES.items() if new == need]
            also = f" (or {', '.join(repr(o) for o in older)})" if older else ""
            raise StructuralError(path, f"missing column of SSD table {table.name} "
                                        f"(v{SSD_VERSION}){also}", column=need)
    return names


def _table_rows(path: Path, table: str) -> tuple[list[str], list[tuple[int, Record]]]:
    """An SSD table file's v1.4.5 headings and (line, record) rows."""
    raw, rows = read_rows(path)
    names = _headings(path, SSD_TABLES[table], raw)
    return names, [(line, {n: (cells[i] if i < len(cells) else None) for i, n in enumerate(names) if n})
                   for line, cells in rows]


def _companion_rows(path: Path, owner: str, table: str) -> list[Record] | None:
    files = [f for f in companions(path, owner) if table_from_name(f) == table]
    if not files:
        return None
    return [r for f in files for _, r in _table_rows(f, table)[1]]


def _codes(value: str | None) -> list[str]:
    """Codes from an SSD code cell: a JSON array (``["1A","2B"]``), a JSON object of
    code -> yes/no (``{"1A":"Yes"}``), or plain text (kept for the loader to read)."""
    if value is None:
        return []
    try:
        parsed = json.loads(value)
    except ValueError:
        return [value]
    if isinstance(parsed, list):
        return [str(v) for v in parsed if v is not None and str(v).strip()]
    if isinstance(parsed, dict):
        return [str(k) for k, v in parsed.items() if v is True or normalise_heading(str(v)) in _YES]
    return [str(parsed)]


Derived = dict[str, dict[str, Callable[[Record], "str | None"]]]


def _derived(path: Path, table: str) -> Derived:
    """Canonical columns filled from companion files: canonical table -> column -> value of
    an SSD row. Empty when the companion files are not there."""
    out: Derived = {}
    if table == "ssd_person" and (rows := _companion_rows(path, table, "ssd_disability")) is not None:
        codes: dict[str, list[str]] = {}
        for r in rows:
            if r.get("disa_person_id") and r.get("disa_disability_code"):
                codes.setdefault(r["disa_person_id"].strip(), []).append(r["disa_disability_code"])
        out["children"] = {"disabilities": lambda r: " ".join(codes.get((r.get("pers_person_id") or "").strip(), [])) or None}
    if table == "ssd_cin_assessments" and (rows := _companion_rows(path, table, "ssd_assessment_factors")) is not None:
        factors: dict[str, list[str]] = {}
        for r in rows:
            if r.get("cinf_assessment_id"):
                factors.setdefault(r["cinf_assessment_id"].strip(), []).extend(_codes(r.get("cinf_assessment_factors_json")))
        out["assessments"] = {"assessment_factors": lambda r: " ".join(factors.get((r.get("cina_assessment_id") or "").strip(), [])) or None}
    if table in ("ssd_s47_enquiry", "ssd_cin_episodes") and \
            (rows := _companion_rows(path, table, "ssd_initial_cp_conference")) is not None:
        by_s47: dict[str, Record] = {}
        by_referral: dict[str, Record] = {}
        for r in sorted(rows, key=lambda r: (_day(r.get("icpc_icpc_date")) or dt.date.max)):
            s47, referral = r.get("icpc_s47_enquiry_id"), r.get("icpc_referral_id")
            if s47:
                by_s47.setdefault(s47.strip(), r)    # the first conference of the enquiry
            elif referral:
                by_referral.setdefault(referral.strip(), r)
        if table == "ssd_s47_enquiry":
            def conf(r: Record) -> Record:
                return by_s47.get((r.get("s47e_s47_enquiry_id") or "").strip(), {})
            out["s47_enquiries"] = {"icpc_target_date": lambda r: conf(r).get("icpc_icpc_target_date"),
                                    "icpc_date": lambda r: conf(r).get("icpc_icpc_date")}
        else:
            out["cin_episodes"] = {"icpc_date": lambda r: by_referral.get(
                (r.get("cine_referral_id") or "").strip(), {}).get("icpc_icpc_date")}
    if table == "ssd_missing" and (rows := _companion_rows(path, table, "ssd_cla_episodes")) is not None:
        spans: dict[str, list[tuple[dt.date | None, dt.date | None]]] = {}
        for r in rows:
            if r.get("clae_person_id"):
                spans.setdefault(r["clae_person_id"].strip(), []).append(
                    (_day(r.get("clae_cla_episode_start_date")), _day(r.get("clae_cla_episode_ceased_date"))))

        def looked_after(r: Record) -> str | None:
            day, person = _day(r.get("miss_missing_episode_start_date")), r.get("miss_person_id")
            if person is None or day is None:
                return None
            return "Y" if any(s is not None and s <= day and (e is None or day < e)
                              for s, e in spans.get(person.strip(), ())) else "N"
        out["missing_episodes"] = {"looked_after": looked_after}
    return out


def read(path: Path, table: str | None = None) -> list[Frame]:
    """Read one SSD table file into canonical frames (see the module docstring).

    :param table: the SSD table (default: from the file name, else its columns)
    :raises Skip: for a table read only as a companion of another
    :raises StructuralError: a missing column, or a file that is not an SSD table we read
    """
    path = Path(path)
    table = table or table_from_name(path) or table_from_columns(header(path))
    if table not in SSD_TABLES:
        raise StructuralError(path, f"not an SSD table the scorecard reads ({table or 'unknown'})")
    names, rows = _table_rows(path, table)
    if table in COMPANION_OF:
        users = " and ".join(COMPANION_OF[table])
        raise Skip(f"SSD table {table}: read with {users} from the same folder ({len(rows)} rows; "
                   f"the file must be named {table}[...].csv to be found)")
    present = set(names)
    supplies = _SUPPLIES[table]
    derived = _derived(path, table)
    # a column read only as a fallback (a description beside its code) is also kept as an extra
    used = {sources[0] for spec in supplies.values() for sources in spec.values()}
    extension = [c for c in COMMON_COLUMNS if c in present]
    extras = [n for n in names if n and n not in used and n not in SSD_TABLES[table].dropped
              and n not in extension]
    outs: dict[str, _Out] = {}
    for i, (canonical, spec) in enumerate(supplies.items()):
        cols = [c for c, sources in spec.items() if present & set(sources)]
        cols += [c for c in derived.get(canonical, {}) if c not in cols]
        cols += [c for c in extension if c not in cols]
        if i == 0:
            cols += [_extra_name(x, canonical) for x in extras]
        outs[canonical] = _Out(canonical, cols)
    first = next(iter(outs))
    for line, record in rows:
        for canonical, spec in supplies.items():
            rec: Record = {c: next((record[s] for s in sources if record.get(s) is not None), None)
                           for c, sources in spec.items()}
            for column, value in derived.get(canonical, {}).items():
                rec[column] = value(record)
            for c in extension:
                rec.setdefault(c, record.get(c))
            if canonical == first:
                rec.update({_extra_name(x, canonical): record.get(x) for x in extras})
            finished = _finish(canonical, rec, record)
            if finished is not None:
                outs[canonical].rows.append(finished)
                outs[canonical].lines.append(line)
    return [_frame(o, path, table) for o in outs.values()]


@dataclass
class _Out:
    """Rows for one canonical table being read from one SSD file."""

    table: str
    columns: list[str]
    rows: list[Record] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


def _extra_name(column: str, table: str) -> str:
    """An extra column's name: its own, unless that is a canonical column of ``table``."""
    return f"extra_{column}" if column in TABLES[table].column_names else column


def _frame(out: _Out, path: Path, table: str) -> Frame:
    frame = build_frame(out.table, out.columns, out.rows, out.lines,
                        f"{path.name} (SSD {table})")
    frame.source = SOURCE
    return frame
