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
List 5 (section 47 enquiries)   s47_enquiries        strategy discussion (S47 start), ICPC
                                                     deemed unnecessary, ICPC date
List 6 (children in need)       cin_episodes
List 7 (child protection)       cp_plans
``Missing episodes``            missing_episodes     not an Ofsted list, see below
``Return interviews``           return_interviews    not an Ofsted list, see below
``Children``                    children             not an Ofsted list, see below
every list above                children             Gender, Ethnicity, Date of Birth
==============================  ===================  =====================================

List 5: one row per strategy discussion that initiated a section 47 enquiry
(``Strategy discussion initiating Section 47 Enquiry Start Date``), with ``Was an Initial Child
Protection Conference deemed unnecessary?`` (-> ``icpc_not_required``) and ``Date of Initial
Child Protection Conference``; its other columns (the conference's outcome, team, worker) are not
read. Lists 2 and 8-11 (early help, looked after, care leavers, adoption) are not read.

The LA: a sheet that is not a list (a cover or front sheet) may name the authority's DfE code in
a cell headed ``LA code`` (also ``Local authority code``, ``LA number``, ``DfE LA code``), with the
code in the next cell to the right; it is the file's fact ``la_code`` and a build for another LA
refuses the workbook. The writer (:mod:`scorecard.formats.annex_a_write`) adds such a ``Front
sheet`` when given ``la_code``.

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
list). The writer adds a ``Children`` sheet (``Child Unique ID``, ``Gender``, ``Ethnicity``,
``Date of Birth``) only for children of the ``children`` table who appear in no list, so a round
trip keeps them.

Record ids: Annex A has none, so each record gets ``derive_id(prefix, child id, key date)``
(``AA1-``, ``AA3-``, ``AA4-``, ``AA5-``, ``AA6-``, ``AA7-``, ``AAM-``, ``AAR-``; a second record of the same
child on the same date adds its occurrence number). Optional id columns (``Contact ID``,
``Referral ID``, ``Assessment ID``, ``CIN episode ID``, ``CP plan ID``, ...) and ``Source system``
/ ``Legacy ID`` are used when present; the writer writes them so a round trip is exact.

Code spellings (:mod:`scorecard.formats.annex_a_codes`): Annex A drop-down answers
(``a) 1A: Individual``, ``N1 - Abuse or neglect``, ``a) Neglect``, ``a) Yes``, ``a) Male``,
``a) WBRI``) become canonical codes (``1A``, ``N1``,
``NEG``, ``Y``, ``M``, ``WBRI``); plain canonical codes and the DfE labels are accepted too;
``c) Unknown`` for a yes/no question becomes blank (unknown). Anything else is passed through
untouched so validation can flag it. Sex codes are ``M``, ``F``, ``U`` (not stated/recorded),
``I`` (neither/indeterminate).
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from .. import schema
from ..errors import StructuralError
from ..frames import Frame
from . import build_frame, cell_text, derive_id, normalise_heading
from .annex_a_codes import translate

__all__ = ["HEADINGS", "LISTS", "ListSpec", "read", "sniff"]

#: How many rows from the top of a sheet are searched for the heading row.
HEADER_SEARCH_ROWS = 30

#: Headings per canonical column; the first is what the writer uses. Matching is tolerant.
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
    # List 5
    "s47_id": ("Section 47 enquiry ID", "S47 enquiry ID", "S47 ID", "Enquiry ID"),
    "s47_start_date": ("Strategy discussion initiating Section 47 Enquiry Start Date",
                       "Section 47 enquiry start date", "S47 start date", "Date of strategy discussion",
                       "Strategy discussion date"),
    "icpc_not_required": ("Was an Initial Child Protection Conference deemed unnecessary?",
                          "ICPC deemed unnecessary", "ICPC not required",
                          "Initial Child Protection Conference not required"),
    "icpc_date": ("Date of Initial Child Protection Conference", "ICPC date",
                  "Initial child protection conference date", "Date of ICPC"),
    "icpc_target_date": ("Target date for Initial Child Protection Conference", "ICPC target date"),
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
    ListSpec("5", "List 5 - Section 47 enquiries", "s47_enquiries", "AA5", "s47_start_date"),
    ListSpec("6", "List 6 - Children in need", "cin_episodes", "AA6", "cin_start_date"),
    ListSpec("7", "List 7 - Child protection", "cp_plans", "AA7", "cp_plan_start_date"),
    ListSpec("missing", "Missing episodes", "missing_episodes", "AAM", "missing_start_datetime"),
    ListSpec("rhi", "Return interviews", "return_interviews", "AAR", "rhi_offered_date",
             links=("missing_start_datetime",)),
    ListSpec("children", "Children", "children", "", "date_of_birth"),
)}

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


#: headings of the cell next to which a front sheet gives the LA's DfE code
LA_HEADINGS = ("la code", "local authority code", "la number", "dfe la code", "la dfe code")
_FRONT_ROWS, _FRONT_COLUMNS = 30, 10


def _front_sheet_la(wb, names: list[str]) -> tuple[str, str] | None:
    """(sheet, code) for the first sheet that is not a list and names the LA's code."""
    for name in names:
        ws = wb[name]
        for row in ws.iter_rows(max_row=_FRONT_ROWS, max_col=_FRONT_COLUMNS, values_only=True):
            cells = list(row)
            for i, cell in enumerate(cells):
                if cell is None or normalise_heading(cell) not in LA_HEADINGS:
                    continue
                value = next((cell_text(v) for v in cells[i + 1:] if cell_text(v) is not None), None)
                if value is not None:
                    return name, value
    return None


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
        front = _front_sheet_la(wb, [name for name, key in specs if key is None])
        if front is not None:
            facts = {"format": "annex_a", "la_code": front[1],
                     "facts": {"sheet": front[0], "la_code": front[1]}, "notes": []}
            for f in frames:
                f.facts = facts
        return frames
    finally:
        wb.close()
