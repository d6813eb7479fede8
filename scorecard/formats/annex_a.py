"""Ofsted ILACS Annex A child-level workbooks.

Annex A is the workbook of child-level lists a local authority gives Ofsted before an ILACS
inspection. Each list is a sheet (``List 1``, ``List 3``, ...) with one heading row; headings
follow the Ofsted template (see ``HEADINGS``) but vary between template versions and local
copies, so they are matched tolerantly: case, spaces, punctuation and line breaks are ignored,
a heading may carry a suffix (``Date of referral (DD/MM/YYYY)``) and the heading row need not
be row 1.

What is read (everything else in the workbook is ignored):

==============================  ===================  =====================================
sheet                           canonical table      notes
==============================  ===================  =====================================
List 1 (contacts)               contacts
List 3 (referrals)              referrals
List 4 (assessments)            assessments          continuous assessment start/authorised
List 6 (children in need)       cin_episodes
List 7 (child protection)       cp_plans
``Missing episodes``            missing_episodes     not an Ofsted list, see below
``Return interviews``           return_interviews    not an Ofsted list, see below
``Children``                    children             not an Ofsted list, see below
every list above                children             Gender, Ethnicity, Date of Birth
==============================  ===================  =====================================

List 5 (section 47 enquiries) is recognised but not read: the canonical layout has no section 47
table. Lists 2 and 8-11 (early help, looked after, care leavers, adoption) are not read.

Missing episodes and return home interviews: the Ofsted CLA list (List 8) only holds counts of
missing/absent episodes in the last 12 months and whether the child was offered / accepted a
return interview after the *last* episode, which cannot give episode-level records. So this
module reads two supplementary lists in the same Annex A style, one row per episode / interview:
a sheet whose name contains "missing" (headings ``Missing episode ID``, ``Child Unique ID``,
``Date and time missing episode started``, ``Date and time child returned``,
``Missing or absent``, ``Looked after child``) and a sheet whose name contains "return
interview" (``Return interview ID``, ``Missing episode ID``, ``Child Unique ID``,
``Date return interview offered``, ``Did the child accept a return interview``,
``Date and time return interview completed``). When the interview list has no
``Missing episode ID`` column but has ``Date and time missing episode started``, the episode id
is derived exactly as the missing list derives it.

Children: each child's characteristics come from the first row where the child appears (any
list). :func:`write` adds a ``Children`` sheet (``Child Unique ID``, ``Gender``, ``Ethnicity``,
``Date of Birth``) only for children of the ``children`` table who appear in no list, so a round
trip keeps them.

Record ids: Annex A has none, so each record gets ``derive_id(prefix, child id, key date)``
(``AA1-``, ``AA3-``, ``AA4-``, ``AA6-``, ``AA7-``, ``AAM-``, ``AAR-``; a second record of the same
child on the same date adds its occurrence number). Optional id columns (``Contact ID``,
``Referral ID``, ``Assessment ID``, ``CIN episode ID``, ``CP plan ID``, ...) and ``Source system``
/ ``Legacy ID`` are used when present; :func:`write` writes them so a round trip is exact.

Code spellings: Annex A drop-down answers (``a) 1A: Individual``, ``N1 - Abuse or neglect``,
``a) Neglect``, ``a) Yes``, ``a) Male``, ``a) WBRI``) become canonical codes (``1A``, ``N1``,
``NEG``, ``Y``, ``M``, ``WBRI``); plain canonical codes and the DfE labels are accepted too;
``c) Unknown`` for a yes/no question becomes blank (unknown). Anything else is passed through
untouched so validation can flag it. Sex codes are ``M``, ``F``, ``U`` (not stated/recorded),
``I`` (neither/indeterminate).
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from .. import schema
from ..errors import StructuralError
from ..frames import Frame
from . import build_frame, cell_text, derive_id, normalise_heading

__all__ = ["HEADINGS", "LISTS", "ListSpec", "read", "sniff", "write"]

#: How many rows from the top of a sheet are searched for the heading row.
HEADER_SEARCH_ROWS = 30

#: Headings per canonical column; the first is what :func:`write` uses. Matching is tolerant.
HEADINGS: dict[str, tuple[str, ...]] = {
    "child_id": ("Child Unique ID", "Child ID", "Unique Child ID", "Child Unique Identifier",
                 "LA Child ID", "Child Identifier"),
    "sex": ("Gender", "Sex"),
    "ethnicity": ("Ethnicity", "Ethnic group"),
    "date_of_birth": ("Date of Birth", "DOB", "Birth date"),
    "source_system": ("Source system",),
    "legacy_id": ("Legacy ID",),
    # the child's own migration columns (children table), written after the characteristics
    "child_source_system": ("Child source system",),
    "child_legacy_id": ("Child legacy ID",),
    # List 1
    "contact_id": ("Contact ID",),
    "contact_datetime": ("Date of Contact", "Contact date", "Date and time of contact"),
    "contact_source": ("Contact Source", "Source of contact"),
    "decision_datetime": ("Date of contact decision", "Contact decision date", "Date of decision",
                          "Decision date"),
    "contact_outcome": ("Contact outcome", "Outcome of contact"),
    # List 3
    "referral_id": ("Referral ID",),
    "referral_date": ("Date of referral", "Referral date"),
    "referral_source": ("Referral Source", "Source of referral"),
    "referral_nfa": ("Referral NFA?", "Referral NFA", "Referral resulting in no further action",
                     "NFA"),
    # List 4
    "assessment_id": ("Assessment ID",),
    "assessment_start_date": ("Continuous Assessment Start Date", "Assessment start date",
                              "Date assessment started", "Date of assessment start"),
    "assessment_authorised_date": ("Continuous Assessment Date of Authorisation",
                                   "Date assessment authorised", "Assessment authorisation date",
                                   "Assessment authorised date", "Date of authorisation"),
    # List 6
    "cin_episode_id": ("CIN episode ID", "CIN ID"),
    "cin_start_date": ("CIN Start Date", "Start date of CIN episode", "CIN episode start date"),
    "primary_need_code": ("Primary Need Code", "Primary need", "Category of need"),
    "cin_closure_date": ("CIN Closure Date", "Case closure date", "Closure date",
                         "CIN episode end date"),
    "reason_for_closure": ("Reason for Closure", "Case closure reason", "Closure reason"),
    # List 7
    "cp_plan_id": ("CP plan ID", "Child protection plan ID"),
    "cp_plan_start_date": ("Child Protection Plan Start Date", "CP plan start date",
                           "Date CP plan started"),
    "initial_category": ("Initial Category of Abuse", "Initial category"),
    "latest_category": ("Latest Category of Abuse", "Latest category"),
    "cp_plan_end_date": ("Child Protection Plan End Date", "CP plan end date",
                         "Date CP plan ended"),
    # supplementary missing / return interview lists
    "missing_episode_id": ("Missing episode ID",),
    "missing_start_datetime": ("Date and time missing episode started",
                               "Missing episode start date", "Date went missing",
                               "Date missing from"),
    "missing_end_datetime": ("Date and time child returned", "Missing episode end date",
                             "Date returned", "Return date"),
    "missing_type": ("Missing or absent", "Missing type", "Missing or away from placement"),
    "looked_after": ("Looked after child", "Looked after", "CLA"),
    "rhi_id": ("Return interview ID", "RHI ID"),
    "rhi_offered_date": ("Date return interview offered", "Return interview offered date",
                         "RHI offered date"),
    "rhi_accepted": ("Did the child accept a return interview", "Return interview accepted",
                     "RHI accepted"),
    "rhi_completed_datetime": ("Date and time return interview completed",
                               "Return interview completed date", "RHI completed date"),
}

_CHILD_COLUMNS = ("child_id", "sex", "ethnicity", "date_of_birth")
#: list column -> children column for the child's own source system / legacy id
_CHILD_MIGRATION = {"child_source_system": "source_system", "child_legacy_id": "legacy_id"}


@dataclass(frozen=True)
class ListSpec:
    """One Annex A list read into one canonical table.

    ``key_date``: the column that, with the child id, identifies a record when the list has no
    id column. ``links``: extra (non-output) columns the list may use, e.g. the missing start
    time a return-interview list uses to find its episode.
    """

    key: str
    title: str
    table: str
    prefix: str
    key_date: str
    links: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        """Canonical columns of the table this list can carry (children's columns first)."""
        cols = [c for c in _CHILD_COLUMNS if c != "child_id"] + list(_CHILD_MIGRATION)
        cols += schema.TABLES[self.table].column_names
        return ["child_id"] + [c for c in cols if c != "child_id" and c in HEADINGS]


#: The lists read, by key ("1", "3", ... for Ofsted lists; "missing", "rhi" supplementary).
LISTS: dict[str, ListSpec] = {s.key: s for s in (
    ListSpec("1", "List 1 - Contacts", "contacts", "AA1", "contact_datetime"),
    ListSpec("3", "List 3 - Referrals", "referrals", "AA3", "referral_date"),
    ListSpec("4", "List 4 - Assessments", "assessments", "AA4", "assessment_start_date"),
    ListSpec("6", "List 6 - Children in need", "cin_episodes", "AA6", "cin_start_date"),
    ListSpec("7", "List 7 - Child protection", "cp_plans", "AA7", "cp_plan_start_date"),
    ListSpec("missing", "Missing episodes", "missing_episodes", "AAM", "missing_start_datetime"),
    ListSpec("rhi", "Return interviews", "return_interviews", "AAR", "rhi_offered_date",
             links=("missing_start_datetime",)),
    ListSpec("children", "Children", "children", "", "date_of_birth"),
)}

# --------------------------------------------------------------------------- code spellings

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
_CODES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
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
}
_ANSWER_PREFIX = re.compile(r"^\s*[a-z]{1,2}\d?\)\s*", re.IGNORECASE)
_CODE_SPLIT = re.compile(r"\s*(?::|\s[-\u2013]\s)\s*")


def _lookup(column: str) -> tuple[dict[str, str], set[str]]:
    """Normalised spelling -> canonical code, and the set of canonical codes, for a column."""
    spellings, words = _CODES[column]
    table: dict[str, str] = {normalise_heading(k): v for k, v in words.items()}
    for code, spelling in spellings.items():
        table[normalise_heading(spelling)] = code
        label = _CODE_SPLIT.split(_ANSWER_PREFIX.sub("", spelling), maxsplit=1)[-1]
        table.setdefault(normalise_heading(label), code)
    if spellings is _YES_NO:
        table.update({"yes": "Y", "y": "Y", "no": "N", "n": "N"})
    return table, set(spellings)


_LOOKUPS = {column: _lookup(column) for column in _CODES}


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


# --------------------------------------------------------------------------- sheets

_LIST_NAME = re.compile(r"(?:^| )l(?:ist)? ?0*(\d{1,2})(?: |$)")


def _list_key(sheet_name: str) -> str | None:
    """The list a sheet holds from its name: ``"3"`` for "List 3 - Referrals", ``"missing"``,
    ``"rhi"``; ``None`` when the name says nothing."""
    name = normalise_heading(sheet_name)
    if m := _LIST_NAME.search(name):
        return str(int(m.group(1)))
    if ("return" in name and "interview" in name) or name.startswith("rhi"):
        return "rhi"
    if "missing" in name:
        return "missing"
    if name in ("children", "child characteristics", "child details"):
        return "children"
    return None


def _open(path: Path):
    """The workbook, read-only (never modified); StructuralError when it cannot be opened."""
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise StructuralError(path, f"cannot open as an Excel workbook ({exc})") from None


def sniff(path: Path) -> bool:
    """True when ``path`` is a workbook with at least one sheet named like an Annex A list."""
    try:
        wb = _open(Path(path))
    except StructuralError:
        return False
    try:
        return any(_list_key(name) is not None for name in wb.sheetnames)
    finally:
        wb.close()


def _match_headings(cells: tuple[Any, ...], wanted: list[str]) -> dict[str, int]:
    """Canonical column -> position for the heading cells: exact (normalised) matches first,
    then headings that start with a known variant (``Date of referral (DD/MM/YYYY)``)."""
    heads = [normalise_heading(c) if c is not None else "" for c in cells]
    found: dict[str, int] = {}
    taken: set[int] = set()
    for exact in (True, False):
        for column in wanted:
            if column in found:
                continue
            variants = [normalise_heading(v) for v in HEADINGS[column]]
            for pos, head in enumerate(heads):
                if pos in taken or not head:
                    continue
                if any(head == v if exact else head.startswith(v + " ") for v in variants):
                    found[column] = pos
                    taken.add(pos)
                    break
    return found


def _read_list(path: Path, ws, spec: ListSpec, seen_children: set[str]) -> list[Frame]:
    """The frames (the list's table and children first seen here) for one list sheet."""
    location = f"{path.name}, sheet {ws.title!r}"
    wanted = spec.columns + list(spec.links)
    header: dict[str, int] | None = None
    header_row = 0
    records: list[dict[str, str | None]] = []
    numbers: list[int] = []
    nonblank = False
    for number, cells in enumerate(ws.iter_rows(values_only=True), start=1):
        if header is None:
            if any(c is not None and str(c).strip() for c in cells):
                nonblank = True
            if number > HEADER_SEARCH_ROWS:
                break
            found = _match_headings(cells, wanted)
            if "child_id" in found and len(found) >= 2:
                header, header_row = found, number
            continue
        if not any(c is not None and str(c).strip() for c in cells):
            continue
        kinds = {c: _kind(spec, c) for c in header}
        record = {c: cell_text(cells[pos] if pos < len(cells) else None, kinds[c])
                  for c, pos in header.items()}
        records.append(record)
        numbers.append(number)
    if header is None:
        if not nonblank:
            return []  # an empty list sheet: the authority left this list out
        raise StructuralError(
            path, f"sheet {ws.title!r}: no heading row with {HEADINGS['child_id'][0]!r} and "
                  f"the list's other headings in the first {HEADER_SEARCH_ROWS} rows",
            column=HEADINGS["child_id"][0])
    _check_required(path, ws.title, spec, header, header_row)
    for record in records:
        for column in record:
            record[column] = translate(column, record[column])
    frames = []
    if spec.table != "children":
        _fill_ids(spec, records)
        frames.append(build_frame(spec.table, _table_columns(spec, header), records, numbers,
                                  location))
    if spec.table == "children" or any(c in header for c in ("sex", "ethnicity",
                                                               "date_of_birth")):
        first_rows, first_numbers = [], []
        for record, number in zip(records, numbers):
            child = record.get("child_id")
            if child and child not in seen_children:
                seen_children.add(child)
                first_rows.append({**{c: record.get(c) for c in _CHILD_COLUMNS},
                                   **{to: record.get(c) for c, to in _CHILD_MIGRATION.items()}})
                first_numbers.append(number)
        if first_rows:
            cols = [c for c in _CHILD_COLUMNS if c in header]
            cols += [to for c, to in _CHILD_MIGRATION.items() if c in header]
            frames.append(build_frame("children", cols, first_rows, first_numbers, location))
    return frames


def _kind(spec: ListSpec, column: str) -> str:
    """The schema kind of a column read from this list (children's columns included)."""
    for table in (spec.table, "children", "missing_episodes"):
        try:
            return schema.TABLES[table].column(column).kind
        except KeyError:
            continue
    return "text"


def _table_columns(spec: ListSpec, header: dict[str, int]) -> list[str]:
    """Output columns for the list's table: its canonical columns present in the sheet, plus
    the id column and any id the list derives."""
    table = schema.TABLES[spec.table]
    cols = [c for c in table.column_names if c in header]
    for derived in (table.id_column, "missing_episode_id"):
        if derived in table.column_names and derived not in cols:
            cols.insert(0, derived)
    return cols


def _check_required(path: Path, sheet: str, spec: ListSpec, header: dict[str, int],
                    header_row: int) -> None:
    """StructuralError naming the sheet and heading when a required column cannot be found."""
    table = schema.TABLES[spec.table]
    for column in table.required:
        if column in header or column == table.id_column:
            continue
        if column == "missing_episode_id" and "missing_start_datetime" in header:
            continue
        heading = HEADINGS[column][0]
        raise StructuralError(
            path, f"sheet {sheet!r}: no column for {column} (expected a heading like "
                  f"{heading!r} in row {header_row})", column=heading)


def _fill_ids(spec: ListSpec, records: list[dict[str, str | None]]) -> None:
    """Derive missing record ids (and an interview's episode id) deterministically."""
    id_column = schema.TABLES[spec.table].id_column
    occurrences: dict[tuple, int] = {}
    for record in records:
        key = (record.get("child_id") or "", record.get(spec.key_date) or "")
        occurrences[key] = n = occurrences.get(key, 0) + 1
        if not record.get(id_column):
            record[id_column] = _derived(spec.prefix, key, n)
        if spec.table == "return_interviews" and not record.get("missing_episode_id"):
            start = record.get("missing_start_datetime")
            if start:
                record["missing_episode_id"] = _derived(
                    LISTS["missing"].prefix, (record.get("child_id") or "", start), 1)


def _derived(prefix: str, key: tuple[str, str], occurrence: int) -> str:
    """The derived id of the ``occurrence``-th record of a child on a date."""
    return derive_id(prefix, *key) if occurrence == 1 else derive_id(prefix, *key, occurrence)


def read(path: Path) -> list[Frame]:
    """Read an Annex A workbook into canonical frames (see the module docstring)."""
    path = Path(path)
    wb = _open(path)
    try:
        specs = [(name, _list_key(name)) for name in wb.sheetnames]
        if not any(key is not None for _, key in specs):
            raise StructuralError(
                path, "not an Annex A workbook: no sheet named like 'List 1' ... 'List 7', "
                      "'Missing episodes' or 'Return interviews'")
        frames: list[Frame] = []
        seen_children: set[str] = set()
        for name, key in specs:
            if key in LISTS:
                frames += _read_list(path, wb[name], LISTS[key], seen_children)
        return frames
    finally:
        wb.close()


# --------------------------------------------------------------------------- writer

def _spelling(column: str, value: Any) -> Any:
    """The Annex A spelling of a canonical value (unknown values are written as they are)."""
    if isinstance(value, bool):
        value = "Y" if value else "N"
    if isinstance(value, str) and column in _CODES:
        return _CODES[column][0].get(value.strip().upper(), value)
    return value


def write(tables: dict[str, pl.DataFrame], path: Path) -> Path:
    """Write canonical tables as an Annex A workbook (one sheet per list in ``LISTS``).

    Each list row carries the child's Gender, Ethnicity and Date of Birth from ``children``
    (blank when the child is not there), and the child's ``Child source system`` /
    ``Child legacy ID`` when ``children`` has them. Record ids, ``Referral ID`` links, ``Source system``
    and ``Legacy ID`` are written as extra columns so :func:`read` gives back the same records.
    Dates and datetimes become Excel date cells; text (including unparseable dates) is written
    as text; codes use the Annex A spellings. Returns ``path``.
    """
    import xlsxwriter

    path = Path(path)
    children: dict[str, dict[str, Any]] = {}
    characteristics: list[str] = []
    if "children" in tables and tables["children"].height:
        kids = tables["children"]
        for row in kids.iter_rows(named=True):
            children.setdefault(str(row["child_id"]), row)
        characteristics = list(_CHILD_COLUMNS[1:]) + [
            c for c, to in _CHILD_MIGRATION.items()
            if to in kids.columns and kids[to].null_count() < kids.height]
    wb = xlsxwriter.Workbook(str(path))
    try:
        formats = {"date": wb.add_format({"num_format": "dd/mm/yyyy"}),
                   "datetime": wb.add_format({"num_format": "dd/mm/yyyy hh:mm:ss"}),
                   "heading": wb.add_format({"bold": True, "text_wrap": True})}
        listed: set[str] = set()
        for spec in LISTS.values():
            if spec.table not in tables:
                continue
            frame = tables[spec.table]
            if spec.table == "children":
                frame = frame.filter(~frame["child_id"].cast(pl.Utf8).is_in(list(listed)))
                if not frame.height:
                    continue
            else:
                listed.update(str(c) for c in frame["child_id"].to_list())
            table = schema.TABLES[spec.table]
            own = [c for c in table.column_names if c in frame.columns and c != "child_id"
                   and c in HEADINGS]
            core = [c for c in own if c not in (table.id_column, "referral_id",
                                                "missing_episode_id", *schema.COMMON_COLUMNS)]
            extra = [c for c in own if c not in core]
            columns = ["child_id", *characteristics]
            if spec.table != "children":
                columns += core + extra
            ws = wb.add_worksheet(spec.title)
            for pos, column in enumerate(columns):
                ws.write_string(0, pos, HEADINGS[column][0], formats["heading"])
                ws.set_column(pos, pos, 18)
            for r, row in enumerate(frame.iter_rows(named=True), start=1):
                child = children.get(str(row["child_id"]), {})
                for pos, column in enumerate(columns):
                    if column in _CHILD_MIGRATION:
                        value = child.get(_CHILD_MIGRATION[column])
                    elif column in _CHILD_COLUMNS[1:]:
                        value = child.get(column)
                    else:
                        value = row.get(column)
                    _write_cell(ws, r, pos, _spelling(column, value), formats)
    finally:
        wb.close()
    return path


#: Excel serials before this are ambiguous (the 1900 leap-year bug): such dates are written
#: as ISO text instead of date cells.
_FIRST_SAFE_EXCEL_DAY = dt.date(1900, 3, 1)


def _write_cell(ws, row: int, col: int, value: Any, formats: dict) -> None:
    """One cell: dates as Excel dates, everything else as text (never re-interpreted)."""
    if value is None:
        return
    if isinstance(value, dt.date) and (
            value.date() if isinstance(value, dt.datetime) else value) < _FIRST_SAFE_EXCEL_DAY:
        ws.write_string(row, col, value.isoformat(sep=" ") if isinstance(value, dt.datetime)
                        else value.isoformat())
    elif isinstance(value, dt.datetime):
        ws.write_datetime(row, col, value, formats["datetime"])
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), formats["date"])
    else:
        ws.write_string(row, col, str(value))
