"""The canonical extract layout (``shared/spec/extracts.md``) as data.

Every loader ends in these tables. Each column has a kind that says how its raw text
is parsed:

``id``        free text identifier (never parsed; ``child_id`` is pseudonymised)
``text``      free text
``code``      a code from a DfE list (kept as text, trimmed and upper-cased)
``date``      a date (YYYY-MM-DD, DD/MM/YYYY, Excel serial or Excel date cell)
``datetime``  a date-time (as above plus HH:MM[:SS]; a bare date means 00:00)
``flag``      Y/N, Yes/No, 1/0, True/False -> boolean
``code_list`` several codes from one DfE list in one cell, written space-separated
              (``AUT MOB``); commas, semicolons and ``|`` are read as separators too; kept as
              text, upper-cased, separators made single spaces (repeats are kept)

A required column must be present in every file; a blank value in it quarantines the row,
except where the column names a flag (``blank_when``) that is true on that row: a CIN census
block with ``ReferralNFA`` true needs no primary need code.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Column", "Table", "TABLES", "COMMON_COLUMNS", "table", "extract_name"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # id | text | code | code_list | date | datetime | flag
    required: bool = False
    #: a flag column of the same table; where it is true, a blank in this required column is allowed
    blank_when: str | None = None


@dataclass(frozen=True)
class Table:
    name: str
    id_column: str
    columns: tuple[Column, ...]
    optional_table: bool = False
    #: the date that places a record in a month (its creation in the case-management system)
    date_column: str | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _columns(spec: str, blank_when: dict[str, str]) -> list[Column]:
    cols = []
    for part in spec.split(","):
        if not part.strip():
            continue
        part = part.strip()
        req = part.startswith("*")
        col, kind = part.lstrip("*").split(":")
        cols.append(Column(col, kind, req, blank_when.get(col)))
    return cols


def _t(name: str, id_column: str, spec: str, optional: bool = False, date: str | None = None,
       blank_when: dict[str, str] | None = None, extension: str = "") -> Table:
    """Build a table from ``"*col:kind, col:kind"`` (``*`` = required). ``extension``: columns
    added to an extracts.md table later (docs/extracts-extensions.md), kept after the
    migration columns so the original layout's column order is unchanged."""
    cols = _columns(spec, blank_when or {})
    # every table may carry the migration columns
    cols += [Column("source_system", "code"), Column("legacy_id", "id")]
    cols += _columns(extension, blank_when or {})
    return Table(name, id_column, tuple(cols), optional, date)


#: Columns every table may carry (used by the migration checks).
COMMON_COLUMNS = ("source_system", "legacy_id")

TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        _t("contacts", "contact_id",
           "*contact_id:id, *child_id:id, *contact_datetime:datetime, contact_source:code, "
           "decision_datetime:datetime, contact_outcome:text", optional=True, date="contact_datetime"),
        _t("referrals", "referral_id",
           "*referral_id:id, *child_id:id, *referral_date:date, *referral_source:code, "
           "referral_nfa:flag", date="referral_date"),
        _t("assessments", "assessment_id",
           "*assessment_id:id, *child_id:id, referral_id:id, *assessment_start_date:date, "
           "assessment_authorised_date:date", optional=True, date="assessment_start_date",
           extension="cin_episode_id:id, assessment_internal_review_date:date, assessment_factors:code_list"),
        _t("cin_episodes", "cin_episode_id",
           "*cin_episode_id:id, *child_id:id, referral_id:id, *cin_start_date:date, "
           "cin_closure_date:date, reason_for_closure:code, *primary_need_code:code", date="cin_start_date",
           extension="referral_nfa:flag, icpc_date:date", blank_when={"primary_need_code": "referral_nfa"}),
        _t("cp_plans", "cp_plan_id",
           "*cp_plan_id:id, *child_id:id, *cp_plan_start_date:date, cp_plan_end_date:date, "
           "*initial_category:code, latest_category:code", date="cp_plan_start_date",
           extension="cin_episode_id:id, number_of_previous_cpp:text"),
        _t("missing_episodes", "missing_episode_id",
           "*missing_episode_id:id, *child_id:id, *missing_start_datetime:datetime, "
           "missing_end_datetime:datetime, missing_type:code, looked_after:flag", date="missing_start_datetime"),
        _t("return_interviews", "rhi_id",
           "*rhi_id:id, *missing_episode_id:id, *child_id:id, rhi_offered_date:date, "
           "*rhi_accepted:flag, rhi_completed_datetime:datetime", date="rhi_offered_date"),
        _t("children", "child_id",
           "*child_id:id, date_of_birth:date, sex:code, ethnicity:code", optional=True,
           extension="upn:text, former_upn:text, upn_unknown:code, expected_date_of_birth:date, "
                     "date_of_death:date, disabilities:code_list"),
        # extensions for the whole CIN census (docs/extracts-extensions.md)
        _t("s47_enquiries", "s47_id",
           "*s47_id:id, *child_id:id, cin_episode_id:id, *s47_start_date:date, icpc_target_date:date, "
           "icpc_date:date, icpc_not_required:flag", optional=True, date="s47_start_date"),
        _t("cin_plans", "cin_plan_id",
           "*cin_plan_id:id, *child_id:id, cin_episode_id:id, *cin_plan_start_date:date, "
           "cin_plan_end_date:date", optional=True, date="cin_plan_start_date"),
        _t("cp_reviews", "cp_review_id",
           "*cp_review_id:id, *child_id:id, cp_plan_id:id, *cp_review_date:date",
           optional=True, date="cp_review_date"),
    ]
}

#: DfE code lists used by loaders, validation and reports.
REFERRAL_SOURCES = ("1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F",
                    "4", "5A", "5B", "5C", "5D", "6", "7", "8", "9", "10")
PRIMARY_NEED_CODES = tuple(f"N{i}" for i in range(10))
CP_CATEGORIES = ("NEG", "EMO", "PHY", "SAB", "MUL")
REASONS_FOR_CLOSURE = tuple(f"RC{i}" for i in range(1, 10))
MISSING_TYPES = ("M", "A")
#: children.sex: M male, F female, U not stated/recorded/unborn, I indeterminate (the CIN
#: census GenderCurrent 1/2/0/9 until 2023-24; its Sex element from 2024-25 has M/F/U)
SEX_CODES = ("M", "F", "U", "I")
ETHNICITY_CODES = ("WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND",
                   "APKN", "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT")
#: children.upn_unknown: why a child has no UPN (UN1 not of school age ... UN7 referral with NFA)
UPN_UNKNOWN_CODES = tuple(f"UN{i}" for i in range(1, 8))
#: children.disabilities (a code_list)
DISABILITY_CODES = ("NONE", "MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON",
                    "AUT", "DDA")
#: assessments.assessment_factors (a code_list): the CIN census factors identified at
#: assessment, every code any census year from 2022-23 accepts (the census year decides)
ASSESSMENT_FACTORS = ("1A", "1B", "1C", "2A", "2B", "2C", "3A", "3B", "3C", "4A", "4B", "4C",
                      "5A", "5B", "5C", "6A", "6B", "6C", "7A", "8B", "8C", "8D", "8E", "8F", "9A",
                      "10A", "11A", "12A", "13A", "14A", "15A", "16A", "17A", "18A", "18B", "18C",
                      "19A", "19B", "19C", "20", "21", "22A", "23A", "24A")


def table(name: str) -> Table:
    """The canonical table called ``name`` (KeyError with the known names otherwise)."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown extract {name!r}; expected one of {', '.join(TABLES)}") from None


def extract_name(file_stem: str) -> str:
    """The extract a file belongs to: the prefix before the first ``_2``/``-2`` date part.

    >>> extract_name("referrals_2023-01")
    'referrals'
    >>> extract_name("CIN_Episodes")
    'cin_episodes'
    """
    stem = file_stem.strip().lower()
    for i in range(1, len(stem)):
        if stem[i] == "2" and stem[i - 1] in "_-":
            return stem[: i - 1]
    return stem
