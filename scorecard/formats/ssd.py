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

=========================  ===========================================================
SSD table                  canonical tables
=========================  ===========================================================
ssd_person                 children
ssd_contacts               contacts (the SSD has no decision time)
ssd_cin_episodes           referrals, and cin_episodes for rows that carry episode data
ssd_cin_assessments        assessments
ssd_cp_plans               cp_plans (category words become NEG/EMO/PHY/SAB/MUL)
ssd_missing                missing_episodes, and return_interviews from the RHI flags
ssd_cla_episodes           read with ssd_missing to set ``looked_after``
=========================  ===========================================================

Values: SQL Server datetimes (``2024-12-10 00:00:00.000``) and the literal ``NULL`` read as
they should; CP categories spelled as words (SystemC, Eclipse) become the DfE codes; missing
types spelled as words become ``M``/``A``; ``NA`` flags are unknown. Anything not recognised is
passed through for validation to flag. Every SSD column with no canonical column is kept as
an extra column, except the identifying ones in ``DROPPED`` (names, UPN, NHS number), which
never reach the database.

Return home interviews: the SSD carries only ``miss_missing_rhi_offered`` and
``miss_missing_rhi_accepted`` (Y/N/NA) on the missing row, no dates. A row with either flag
gives one ``return_interviews`` row (id ``SSDRHI-<miss_table_id>``, ``rhi_accepted`` from the
accepted flag, or N when the interview was not offered); the offered flag is kept as an extra
column. Metrics that need RHI dates cannot be computed from the SSD alone (the validation
summary says so); a return-interview extract with dates supplies them.

Looked after: ``ssd_missing`` has no looked-after flag. When ``ssd_cla_episodes`` files sit in
the same folder, an episode is of a looked-after child when its start date falls in one of the
child's care episodes (start <= missing start < ceased, or not ceased); without them
``looked_after`` is not supplied. The care-episode files are companions: a change to them
reloads ``ssd_missing``.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import polars as pl

from ..errors import StructuralError
from ..frames import Frame
from ..schema import COMMON_COLUMNS, TABLES, extract_name
from . import Skip, build_frame, normalise_heading
from .csvfile import read_rows

__all__ = ["KNOWN_UNUSED", "RENAMES", "SSD_TABLES", "SSD_VERSION", "SsdTable", "companions",
           "detect", "read", "write"]

SSD_VERSION = "1.4.5"
SOURCE = "case_management"


@dataclass(frozen=True)
class SsdTable:
    """One SSD table the scorecard reads.

    ``columns``: the v1.4.5 columns in specification order (what :func:`write` writes).
    ``needs``: the columns a file must have (a missing one stops the load).
    ``dropped``: identifying columns never loaded.
    """

    name: str
    columns: tuple[str, ...]
    needs: tuple[str, ...]
    dropped: tuple[str, ...] = ()

    @property
    def prefix(self) -> str:
        return self.columns[0].split("_", 1)[0]


def _t(name: str, columns: str, needs: str, dropped: str = "") -> SsdTable:
    split = lambda s: tuple(c.strip() for c in s.split(",") if c.strip())  # noqa: E731
    return SsdTable(name, split(columns), split(needs), split(dropped))


#: The tables read, with their v1.4.5 columns (``docs/ssd.md`` lists the source).
SSD_TABLES: dict[str, SsdTable] = {t.name: t for t in (
    _t("ssd_person",
       "pers_legacy_id, pers_person_id, pers_upn, pers_forename, pers_surname, pers_sex, "
       "pers_gender, pers_ethnicity, pers_dob, pers_single_unique_id, pers_upn_unknown, "
       "pers_send_flag, pers_expected_dob, pers_death_date, pers_is_mother, pers_nationality",
       "pers_person_id", "pers_upn, pers_forename, pers_surname, pers_single_unique_id"),
    _t("ssd_contacts",
       "cont_contact_id, cont_person_id, cont_contact_date, cont_contact_source_code, "
       "cont_contact_source_desc, cont_contact_outcome_json",
       "cont_contact_id, cont_person_id, cont_contact_date"),
    _t("ssd_cin_episodes",
       "cine_referral_id, cine_person_id, cine_referral_date, cine_cin_primary_need_code, "
       "cine_referral_source_code, cine_referral_source_desc, cine_referral_outcome_json, "
       "cine_referral_nfa, cine_close_reason, cine_close_date, cine_referral_team, "
       "cine_referral_worker_id",
       "cine_referral_id, cine_person_id, cine_referral_date, cine_cin_primary_need_code, "
       "cine_close_reason, cine_close_date"),
    _t("ssd_cin_assessments",
       "cina_assessment_id, cina_person_id, cina_referral_id, cina_assessment_start_date, "
       "cina_assessment_child_seen, cina_assessment_auth_date, cina_assessment_outcome_json, "
       "cina_assessment_outcome_nfa, cina_assessment_team, cina_assessment_worker_id",
       "cina_assessment_id, cina_person_id, cina_assessment_start_date, cina_assessment_auth_date"),
    _t("ssd_cp_plans",
       "cppl_cp_plan_id, cppl_referral_id, cppl_icpc_id, cppl_person_id, cppl_cp_plan_start_date, "
       "cppl_cp_plan_end_date, cppl_cp_plan_ola, cppl_cp_plan_initial_category, "
       "cppl_cp_plan_latest_category",
       "cppl_cp_plan_id, cppl_person_id, cppl_cp_plan_start_date, cppl_cp_plan_end_date, "
       "cppl_cp_plan_initial_category"),
    _t("ssd_missing",
       "miss_table_id, miss_person_id, miss_missing_episode_start_date, miss_missing_episode_type, "
       "miss_missing_episode_end_date, miss_missing_rhi_offered, miss_missing_rhi_accepted",
       "miss_table_id, miss_person_id, miss_missing_episode_start_date, "
       "miss_missing_episode_end_date"),
    _t("ssd_cla_episodes",
       "clae_cla_episode_id, clae_person_id, clae_cla_placement_id, clae_cla_episode_start_date, "
       "clae_cla_episode_start_reason, clae_cla_primary_need_code, clae_cla_episode_ceased_date, "
       "clae_cla_episode_ceased_reason, clae_cla_id, clae_referral_id, "
       "clae_cla_last_iro_contact_date, clae_entered_care_date",
       "clae_person_id, clae_cla_episode_start_date, clae_cla_episode_ceased_date"),
)}

#: Column names of other SSD versions and extract scripts -> the v1.4.5 name.
RENAMES: dict[str, str] = {
    "pers_common_child_id": "pers_single_unique_id",
    "pers_send": "pers_send_flag",
    "cine_cin_primary_need": "cine_cin_primary_need_code",
    "cine_referral_source": "cine_referral_source_code",
    "cin_referral_nfa": "cine_referral_nfa",   # Mosaic extract script
    "cinp_cin_plan_start": "cinp_cin_plan_start_date",
    "cinp_cin_plan_end": "cinp_cin_plan_end_date",
    "cppl_initial_cp_conference_id": "cppl_icpc_id",
    "miss_missing_episode_start": "miss_missing_episode_start_date",
    "miss_missing_episode_end": "miss_missing_episode_end_date",
    "clae_cla_episode_start": "clae_cla_episode_start_date",
    "clae_cla_episode_ceased": "clae_cla_episode_ceased_date",
    "clae_cla_episode_cease_reason": "clae_cla_episode_ceased_reason",
    "clae_cla_primary_need": "clae_cla_primary_need_code",
}

#: SSD tables the scorecard recognises but does not read (the canonical layout has no table
#: for them); a file of one is reported as skipped, not loaded.
KNOWN_UNUSED = frozenset(f"ssd_{n}" for n in (
    "address", "api_data_staging", "assessment_factors", "care_leavers", "cin_plans",
    "cin_visits", "cla_care_plan", "cla_convictions", "cla_health", "cla_immunisations",
    "cla_placement", "cla_previous_permanence", "cla_reviews", "cla_substance_misuse",
    "cla_visits", "cp_reviews", "cp_visits", "department", "disability",
    "early_help_episodes", "ehcp_active_plans", "ehcp_assessment", "ehcp_named_plan",
    "ehcp_requests", "family", "immigration_status", "initial_cp_conference", "involvements",
    "legal_status", "linked_identifiers", "mother", "permanence", "pre_proceedings",
    "professionals", "s251_finance", "s47_enquiry", "sdq_scores", "send", "sen_need",
    "version_log", "voice_of_child"))

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


def companions(path: Path) -> list[Path]:
    """Files read together with ``path``: the ``ssd_cla_episodes`` CSV files beside an
    ``ssd_missing`` file (they decide ``looked_after``)."""
    folder = Path(path).parent
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() == ".csv"
                  and table_from_name(p) == "ssd_cla_episodes")


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
    """Referral/contact source: the code column when it holds a DfE code, else the
    description's DfE code, else whatever was given (validation flags it)."""
    if code is not None and _DFE_SOURCE.match(code.strip()):
        return code.strip().upper()
    from_desc = _lookup(_SOURCES, desc) if desc is not None else None
    if from_desc is not None and _DFE_SOURCE.match(from_desc):
        return from_desc
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


@dataclass
class _Out:
    """Rows for one canonical table being read from one SSD file."""

    table: str
    columns: list[str]
    rows: list[Record] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


def _cin_rows(r: Record) -> dict[str, Record]:
    out = {"referrals": {
        "referral_id": r.get("cine_referral_id"), "child_id": r.get("cine_person_id"),
        "referral_date": r.get("cine_referral_date"),
        "referral_source": _source(r.get("cine_referral_source_code"),
                                   r.get("cine_referral_source_desc")),
        "referral_nfa": _flag(r.get("cine_referral_nfa"))}}
    episode = ("cine_cin_primary_need_code", "cine_close_date", "cine_close_reason")
    if any(r.get(c) is not None for c in episode):
        out["cin_episodes"] = {
            "cin_episode_id": r.get("cine_referral_id"), "child_id": r.get("cine_person_id"),
            "referral_id": r.get("cine_referral_id"), "cin_start_date": r.get("cine_referral_date"),
            "cin_closure_date": r.get("cine_close_date"),
            "reason_for_closure": r.get("cine_close_reason"),
            "primary_need_code": r.get("cine_cin_primary_need_code")}
    return out


def _missing_rows(r: Record, looked_after: Callable[[str | None, str | None], str | None] | None
                  ) -> dict[str, Record]:
    episode = {
        "missing_episode_id": r.get("miss_table_id"), "child_id": r.get("miss_person_id"),
        "missing_start_datetime": r.get("miss_missing_episode_start_date"),
        "missing_end_datetime": r.get("miss_missing_episode_end_date"),
        "missing_type": _lookup(_MISSING_TYPES, r.get("miss_missing_episode_type"))}
    if looked_after is not None:
        episode["looked_after"] = looked_after(r.get("miss_person_id"),
                                               r.get("miss_missing_episode_start_date"))
    out = {"missing_episodes": episode}
    offered, accepted = _flag(r.get("miss_missing_rhi_offered")), _flag(r.get("miss_missing_rhi_accepted"))
    if offered is not None or accepted is not None:
        out["return_interviews"] = {
            "rhi_id": f"SSDRHI-{r.get('miss_table_id') or ''}",
            "missing_episode_id": r.get("miss_table_id"), "child_id": r.get("miss_person_id"),
            "rhi_accepted": accepted if accepted is not None else ("N" if offered == "N" else None)}
    return out


#: canonical table -> canonical column -> the SSD columns it is read from (any present)
_SUPPLIES: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "ssd_person": {"children": {
        "child_id": ("pers_person_id",), "date_of_birth": ("pers_dob",),
        "sex": ("pers_sex", "pers_gender"), "ethnicity": ("pers_ethnicity",),
        "legacy_id": ("pers_legacy_id",)}},
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
                         "primary_need_code": ("cine_cin_primary_need_code",)}},
    "ssd_cin_assessments": {"assessments": {
        "assessment_id": ("cina_assessment_id",), "child_id": ("cina_person_id",),
        "referral_id": ("cina_referral_id",),
        "assessment_start_date": ("cina_assessment_start_date",),
        "assessment_authorised_date": ("cina_assessment_auth_date",)}},
    "ssd_cp_plans": {"cp_plans": {
        "cp_plan_id": ("cppl_cp_plan_id",), "child_id": ("cppl_person_id",),
        "cp_plan_start_date": ("cppl_cp_plan_start_date",),
        "cp_plan_end_date": ("cppl_cp_plan_end_date",),
        "initial_category": ("cppl_cp_plan_initial_category",),
        "latest_category": ("cppl_cp_plan_latest_category",)}},
    "ssd_missing": {
        "missing_episodes": {
            "missing_episode_id": ("miss_table_id",), "child_id": ("miss_person_id",),
            "missing_start_datetime": ("miss_missing_episode_start_date",),
            "missing_end_datetime": ("miss_missing_episode_end_date",),
            "missing_type": ("miss_missing_episode_type",)},
        "return_interviews": {
            "rhi_id": ("miss_table_id",), "missing_episode_id": ("miss_table_id",),
            "child_id": ("miss_person_id",), "rhi_accepted": ("miss_missing_rhi_accepted",
                                                              "miss_missing_rhi_offered")}},
}


def _simple(table: str, ssd: str) -> Callable[[Record], dict[str, Record]]:
    spec = _SUPPLIES[ssd][table]

    def convert(r: Record) -> dict[str, Record]:
        rec: Record = {}
        for column, sources in spec.items():
            rec[column] = next((r[s] for s in sources if r.get(s) is not None), None)
        if table == "children":
            rec["sex"] = _lookup(_SEX, rec["sex"])
        elif table == "contacts":
            rec["contact_source"] = _source(r.get("cont_contact_source_code"),
                                            r.get("cont_contact_source_desc"))
        elif table == "cp_plans":
            for c in ("initial_category", "latest_category"):
                rec[c] = _lookup(_CATEGORIES, rec[c], prefix_multiple=True)
        return {table: rec}
    return convert


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


def _care_episodes(path: Path) -> Callable[[str | None, str | None], str | None] | None:
    """``looked_after(person, missing start)`` from the care-episode files beside ``path``."""
    files = companions(path)
    if not files:
        return None
    spans: dict[str, list[tuple[dt.date | None, dt.date | None]]] = {}
    for f in files:
        raw, rows = read_rows(f)
        names = _headings(f, SSD_TABLES["ssd_cla_episodes"], raw)
        pos = {n: i for i, n in enumerate(names)}
        for _, cells in rows:
            get = lambda c: cells[pos[c]] if pos[c] < len(cells) else None  # noqa: E731
            person = get("clae_person_id")
            if person is not None:
                spans.setdefault(person.strip(), []).append(
                    (_day(get("clae_cla_episode_start_date")), _day(get("clae_cla_episode_ceased_date"))))

    def looked_after(person: str | None, start: str | None) -> str | None:
        day = _day(start)
        if person is None or day is None:
            return None
        return "Y" if any(s is not None and s <= day and (e is None or day < e)
                          for s, e in spans.get(person.strip(), ())) else "N"
    return looked_after


def read(path: Path, table: str | None = None) -> list[Frame]:
    """Read one SSD table file into canonical frames (see the module docstring).

    :param table: the SSD table (default: from the file name, else its columns)
    :raises Skip: for ``ssd_cla_episodes`` (read with ``ssd_missing``)
    :raises StructuralError: a missing column, or a file that is not an SSD table we read
    """
    path = Path(path)
    raw, rows = read_rows(path)
    table = table or table_from_name(path) or table_from_columns(raw)
    if table not in SSD_TABLES:
        raise StructuralError(path, f"not an SSD table the scorecard reads ({table or 'unknown'})")
    spec = SSD_TABLES[table]
    names = _headings(path, spec, raw)
    if table == "ssd_cla_episodes":
        raise Skip(f"SSD care episodes: read with ssd_missing to set looked_after "
                   f"({len(rows)} rows; the scorecard has no looked-after table)")
    present = set(names)
    supplies = _SUPPLIES[table]
    if table == "ssd_cin_episodes":
        convert: Callable[[Record], dict[str, Record]] = _cin_rows
    elif table == "ssd_missing":
        looked_after = _care_episodes(path)
        convert = lambda r: _missing_rows(r, looked_after)  # noqa: E731
    else:
        convert = _simple(next(iter(supplies)), table)
    # a column read only as a fallback (a description beside its code) is also kept as an extra
    used = {sources[0] for spec_ in supplies.values() for sources in spec_.values()}
    extension = [c for c in COMMON_COLUMNS if c in present]
    extras = [n for n in names if n and n not in used and n not in spec.dropped
              and n not in extension]
    outs = {}
    for i, (canonical, spec_) in enumerate(supplies.items()):
        cols = [c for c, sources in spec_.items() if present & set(sources)]
        if canonical == "missing_episodes" and table == "ssd_missing" and companions(path):
            cols.append("looked_after")
        cols += [c for c in extension if c not in cols]
        if i == 0:
            cols += [_extra_name(x, canonical) for x in extras]
        outs[canonical] = _Out(canonical, cols)
    first = next(iter(outs))
    for line, cells in rows:
        record = {n: (cells[i] if i < len(cells) else None) for i, n in enumerate(names) if n}
        for canonical, rec in convert(record).items():
            for c in extension:
                rec.setdefault(c, record.get(c))
            if canonical == first:
                rec.update({_extra_name(x, canonical): record.get(x) for x in extras})
            outs[canonical].rows.append(rec)
            outs[canonical].lines.append(line)
    return [_frame(o, path, table) for o in outs.values() if o.rows]


def _extra_name(column: str, table: str) -> str:
    """An extra column's name: its own, unless that is a canonical column of ``table``."""
    return f"extra_{column}" if column in TABLES[table].column_names else column


def _frame(out: _Out, path: Path, table: str) -> Frame:
    frame = build_frame(out.table, out.columns, out.rows, out.lines,
                        f"{path.name} (SSD {table})")
    frame.source = SOURCE
    return frame


# --------------------------------------------------------------------------- writing

_CATEGORY_WORDS = {"NEG": "Neglect", "EMO": "Emotional abuse", "PHY": "Physical abuse",
                   "SAB": "Sexual abuse", "MUL": "Multiple"}
_TYPE_WORDS = {"M": "Missing", "A": "Away"}


def _text(value) -> str:
    """A value as an SQL Server export cell: ``NULL``, ``Y``/``N``, datetimes with .000."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.000")
    if isinstance(value, dt.date):
        return f"{value.isoformat()} 00:00:00.000"
    return str(value)


def _write_table(folder: Path, table: str, rows: list[dict], extension: tuple[str, ...]) -> Path:
    columns = list(SSD_TABLES[table].columns) + list(extension)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_text(row.get(c)) for c in columns])
    path = folder / f"{table}.csv"
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))
    return path


def write(tables: dict[str, pl.DataFrame], folder: Path) -> list[Path]:
    """Write canonical tables as SSD v1.4.5 CSV files (SQL Server style: UTF-8 with a
    byte-order mark, CRLF, ``NULL``, ``.000`` datetimes, category and missing-type words).

    Every file also has ``source_system`` and ``legacy_id`` columns (not SSD columns; the reader
    keeps them), so a round trip keeps the migration columns. What the SSD cannot hold is lost:
    contact decision times, CIN episode ids (the episode is the referral row), return interview
    ids and dates. ``ssd_cla_episodes`` gets one open care episode per looked-after child with
    a missing episode, starting on the day of the child's first one.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ext = COMMON_COLUMNS
    empty = pl.DataFrame()

    def rows(name: str) -> list[dict]:
        return tables.get(name, empty).to_dicts() if name in tables else []

    def common(r: dict) -> dict:
        return {c: r.get(c) for c in ext}

    out = []
    out.append(_write_table(folder, "ssd_person", [
        {"pers_person_id": r["child_id"], "pers_legacy_id": r.get("legacy_id"), "pers_sex": r.get("sex"),
         "pers_gender": r.get("sex"), "pers_ethnicity": r.get("ethnicity"), "pers_dob": r.get("date_of_birth"),
         "source_system": r.get("source_system")} for r in rows("children")], ext))
    out.append(_write_table(folder, "ssd_contacts", [
        {"cont_contact_id": r["contact_id"], "cont_person_id": r["child_id"],
         "cont_contact_date": r.get("contact_datetime"), "cont_contact_source_code": r.get("contact_source"),
         "cont_contact_outcome_json": r.get("contact_outcome"), **common(r)} for r in rows("contacts")], ext))
    episodes = {r["referral_id"]: r for r in rows("cin_episodes") if r.get("referral_id") is not None}
    referral_ids = {r["referral_id"] for r in rows("referrals")}
    cine = []
    for r in rows("referrals"):
        e = episodes.get(r["referral_id"], {})
        cine.append({"cine_referral_id": r["referral_id"], "cine_person_id": r["child_id"],
                     "cine_referral_date": r.get("referral_date"),
                     "cine_cin_primary_need_code": e.get("primary_need_code"),
                     "cine_referral_source_code": r.get("referral_source"),
                     "cine_referral_nfa": r.get("referral_nfa"),
                     "cine_close_reason": e.get("reason_for_closure"),
                     "cine_close_date": e.get("cin_closure_date"), **common(r)})
    for e in rows("cin_episodes"):   # an episode without a referral row: its own row
        if e.get("referral_id") not in referral_ids:
            cine.append({"cine_referral_id": e["cin_episode_id"], "cine_person_id": e["child_id"],
                         "cine_referral_date": e.get("cin_start_date"),
                         "cine_cin_primary_need_code": e.get("primary_need_code"),
                         "cine_close_reason": e.get("reason_for_closure"),
                         "cine_close_date": e.get("cin_closure_date"), **common(e)})
    out.append(_write_table(folder, "ssd_cin_episodes", cine, ext))
    out.append(_write_table(folder, "ssd_cin_assessments", [
        {"cina_assessment_id": r["assessment_id"], "cina_person_id": r["child_id"],
         "cina_referral_id": r.get("referral_id"), "cina_assessment_start_date": r.get("assessment_start_date"),
         "cina_assessment_auth_date": r.get("assessment_authorised_date"), **common(r)}
        for r in rows("assessments")], ext))
    out.append(_write_table(folder, "ssd_cp_plans", [
        {"cppl_cp_plan_id": r["cp_plan_id"], "cppl_person_id": r["child_id"],
         "cppl_cp_plan_start_date": r.get("cp_plan_start_date"), "cppl_cp_plan_end_date": r.get("cp_plan_end_date"),
         "cppl_cp_plan_initial_category": _CATEGORY_WORDS.get(r.get("initial_category"), r.get("initial_category")),
         "cppl_cp_plan_latest_category": _CATEGORY_WORDS.get(r.get("latest_category"), r.get("latest_category")),
         **common(r)} for r in rows("cp_plans")], ext))
    rhis = {r["missing_episode_id"]: r for r in rows("return_interviews")}
    missing, first_start = [], {}
    for r in rows("missing_episodes"):
        h = rhis.get(r["missing_episode_id"])
        missing.append({
            "miss_table_id": r["missing_episode_id"], "miss_person_id": r["child_id"],
            "miss_missing_episode_start_date": r.get("missing_start_datetime"),
            "miss_missing_episode_type": _TYPE_WORDS.get(r.get("missing_type"), r.get("missing_type")),
            "miss_missing_episode_end_date": r.get("missing_end_datetime"),
            "miss_missing_rhi_offered": None if h is None else h.get("rhi_offered_date") is not None,
            "miss_missing_rhi_accepted": None if h is None else h.get("rhi_accepted"), **common(r)})
        start = r.get("missing_start_datetime")
        if r.get("looked_after") and start is not None:
            day = start.date() if isinstance(start, dt.datetime) else start
            first_start[r["child_id"]] = min(day, first_start.get(r["child_id"], day))
    out.append(_write_table(folder, "ssd_missing", missing, ext))
    out.append(_write_table(folder, "ssd_cla_episodes", [
        {"clae_cla_episode_id": f"CLA-{i:06d}", "clae_person_id": child, "clae_cla_episode_start_date": day,
         "clae_entered_care_date": day}
        for i, (child, day) in enumerate(sorted(first_start.items()), start=1)], ()))
    return out
