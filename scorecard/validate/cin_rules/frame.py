"""The census frame: what the DfE rules read.

The staged tables are reshaped into the blocks of a DfE CIN census return, as connection-local
temporary tables (nothing is written to the database): ``cin_return`` (one row per return, with
its census-year window), ``cin_child``, ``cin_disability``, ``cin_details`` (CINdetails),
``cin_assessment``, ``cin_factor`` (assessment factors), ``cin_plan`` (CIN plans),
``cin_s47``, ``cin_cpp`` (CP plans) and ``cin_review`` (CP plan reviews). Every row carries a
frame-wide ``row_key``, its ``return_id``, the staging table and record id it came from, the
pseudonymised ``child_id`` and its source file and row (an XML line for a census file).

Returns:

* each loaded CIN census file is a return of its own; its window comes from its header's
  ``ReferenceDate`` (RD): the collection runs from the day after RD one year earlier (1 April)
  to RD, and nothing may be dated after RD, whatever today's date is;
* everything else (canonical extracts, Annex A, mapped exports) is one *period return* for the
  build's period: RD is the period's last day (31 March for a financial year, the month's last
  day for a month), the collection starts on 1 April of its financial year, and it holds the
  records active in that window (dated on or before RD and not ended before the start).

The rule set is chosen by each return's census year (the financial year holding RD).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from datetime import date, timedelta
from importlib import resources

import duckdb

from ...periods import financial_year_of

__all__ = ["FRAME_TABLES", "STAGING_READS", "CensusReturn", "build_frame", "create_frame",
           "frame_sql", "working_day_cutoff", "last_working_day_before"]

_COMMON = ("row_key bigint, return_id integer, src_table varchar, record_id varchar, child_id varchar, "
           "source_file varchar, source_row bigint")

#: the frame tables and their columns, in fill order (cin_return is filled from Python)
FRAME_TABLES: dict[str, str] = {
    "cin_return": ("return_id integer, kind varchar, label varchar, end_year integer, source_file varchar, "
                   "header_reference_date date, header_year integer, cs date, rd date, "
                   "nfa_cutoff date, wd45_cutoff date, wd15_cutoff date"),
    "cin_details": _COMMON + (", episode varchar, referral_date date, referral_source varchar, "
                              "primary_need varchar, closure_date date, reason_for_closure varchar, "
                              "icpc_date date, referral_nfa boolean, referral_linked boolean"),
    "cin_child": _COMMON + (", upn varchar, former_upn varchar, upn_unknown varchar, birth_date date, "
                            "expected_birth_date date, sex varchar, ethnicity varchar, death_date date, "
                            "id_length integer, id_alphanumeric boolean, disability_codes varchar[]"),
    "cin_disability": _COMMON + ", parent_key bigint, position integer, disability varchar",
    "cin_assessment": _COMMON + ", episode varchar, start_date date, authorisation_date date, factor_codes varchar[]",
    "cin_factor": _COMMON + ", parent_key bigint, position integer, episode varchar, factor varchar",
    "cin_plan": _COMMON + ", episode varchar, start_date date, end_date date",
    "cin_s47": _COMMON + (", episode varchar, start_date date, icpc_target_date date, icpc_date date, "
                          "icpc_not_required boolean"),
    "cin_cpp": _COMMON + (", episode varchar, start_date date, end_date date, initial_category varchar, "
                          "latest_category varchar, previous_cpp varchar"),
    "cin_review": _COMMON + ", parent_key bigint, episode varchar, cp_plan varchar, review_date date",
}

#: the staging columns the frame reads (name -> type); a column a staged table lacks reads as null
STAGING_READS: dict[str, dict[str, str]] = {
    "children": {"child_id": "varchar", "upn": "varchar", "former_upn": "varchar", "upn_unknown": "varchar",
                 "date_of_birth": "date", "expected_date_of_birth": "date", "sex": "varchar",
                 "ethnicity": "varchar", "date_of_death": "date", "disabilities": "varchar",
                 "child_id_length": "integer", "child_id_alphanumeric": "boolean"},
    "referrals": {"referral_id": "varchar", "child_id": "varchar", "referral_date": "date",
                  "referral_source": "varchar", "referral_nfa": "boolean"},
    "cin_episodes": {"cin_episode_id": "varchar", "child_id": "varchar", "referral_id": "varchar",
                     "cin_start_date": "date", "cin_closure_date": "date", "reason_for_closure": "varchar",
                     "primary_need_code": "varchar", "referral_nfa": "boolean", "icpc_date": "date"},
    "assessments": {"assessment_id": "varchar", "child_id": "varchar", "referral_id": "varchar",
                    "cin_episode_id": "varchar", "assessment_start_date": "date",
                    "assessment_authorised_date": "date", "assessment_factors": "varchar"},
    "cin_plans": {"cin_plan_id": "varchar", "child_id": "varchar", "cin_episode_id": "varchar",
                  "cin_plan_start_date": "date", "cin_plan_end_date": "date"},
    "s47_enquiries": {"s47_id": "varchar", "child_id": "varchar", "cin_episode_id": "varchar",
                      "s47_start_date": "date", "icpc_target_date": "date", "icpc_date": "date",
                      "icpc_not_required": "boolean"},
    "cp_plans": {"cp_plan_id": "varchar", "child_id": "varchar", "cin_episode_id": "varchar",
                 "cp_plan_start_date": "date", "cp_plan_end_date": "date", "initial_category": "varchar",
                 "latest_category": "varchar", "number_of_previous_cpp": "varchar"},
    "cp_reviews": {"cp_review_id": "varchar", "child_id": "varchar", "cp_plan_id": "varchar",
                   "cp_review_date": "date"},
}
_PROVENANCE = {"source_file": "varchar", "source_row": "bigint"}



@dataclass(frozen=True)
class CensusReturn:
    """One return the rules check."""

    return_id: int
    kind: str                      # "census" (a census file) | "period"
    reference_date: date           # RD used for the windows
    source_file: str = ""
    header_reference_date: date | None = None
    header_year: int | None = None
    label: str = ""                # the census year, e.g. 2022-23 (or the period label)

    @property
    def collection_start(self) -> date:
        """The day after RD a year earlier: 1 April for a 31 March RD (for a month period,
        1 April of its financial year)."""
        if self.kind == "period":
            return financial_year_of(self.reference_date).start
        rd = self.reference_date
        try:
            year_before = rd.replace(year=rd.year - 1)
        except ValueError:          # 29 February
            year_before = rd.replace(year=rd.year - 1, day=28)
        return year_before + timedelta(days=1)

    @property
    def end_year(self) -> int:
        """The census year's end year (2023 for 2022-23): the financial year holding RD."""
        return financial_year_of(self.reference_date).end.year


@cache
def _holidays(years: range) -> frozenset[date]:
    """England and Wales bank holidays, from the ``holidays`` library as in
    :mod:`scorecard.metrics.workdays` (imported directly: the metrics package is slow to import)."""
    from holidays.countries.united_kingdom import UnitedKingdom

    return frozenset(UnitedKingdom(subdiv="ENG", years=list(years)))


def working_day_cutoff(rd: date, days: int) -> date:
    """The earliest start date with at most ``days`` working days from it (day 0) to ``rd``:
    a start before it is *more than* ``days`` working days before ``rd`` (the working-day
    convention of :mod:`scorecard.metrics.workdays`)."""
    hols = _holidays(range(rd.year - 1, rd.year + 1))
    count, d = 0, rd
    while True:
        if d.isoweekday() < 6 and d not in hols:
            count += 1          # d is a working day counted for any start before it
        if count > days:
            return d
        d -= timedelta(days=1)


def last_working_day_before(day: date) -> date:
    """The last working day strictly before ``day``."""
    hols = _holidays(range(day.year - 1, day.year + 1))
    d = day - timedelta(days=1)
    while d.isoweekday() >= 6 or d in hols:
        d -= timedelta(days=1)
    return d


def _sql(name: str) -> str:
    return resources.files("scorecard.validate.cin_rules").joinpath("sql", name).read_text(encoding="utf-8")


def frame_sql() -> dict[str, str]:
    """The fill query of every frame table but ``cin_return`` (``sql/frame.sql``), by name."""
    text = _sql("frame.sql")
    out = {}
    for block in re.split(r"(?m)^-- name: ", text)[1:]:
        name, _, body = block.partition("\n")
        out[name.strip()] = body.strip()
    return out


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> None:
    con.execute(sql, params).fetchall()


def create_frame(con: duckdb.DuckDBPyConnection, returns: list[CensusReturn] = ()) -> None:
    """(Re)create the empty frame tables and macros, and fill ``cin_return`` from ``returns``."""
    _run(con, _sql("macros.sql"))
    for name, columns in FRAME_TABLES.items():
        _run(con, f"create or replace temp table {name} ({columns})")
    rows = []
    for r in returns:
        rd = r.reference_date
        rows.append((r.return_id, r.kind, r.label or f"{rd.year - 1}-{rd.year % 100:02d}", r.end_year,
                     r.source_file, r.header_reference_date, r.header_year, r.collection_start, rd,
                     last_working_day_before(r.collection_start), working_day_cutoff(rd, 45),
                     working_day_cutoff(rd, 15)))
    if rows:
        con.executemany("insert into cin_return values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _staging_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for table, column in con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'staging'").fetchall():
        out.setdefault(table, set()).add(column)
    return out


def _source_views(con: duckdb.DuckDBPyConnection) -> None:
    """``_cin_stg_<table>``: the staging columns the frame reads, null where absent."""
    present = _staging_columns(con)
    for table, columns in STAGING_READS.items():
        have = present.get(table, set())
        cols = [f"cast({c} as {t}) as {c}" if c in have else f"null::{t} as {c}"
                for c, t in {**columns, **_PROVENANCE}.items()]
        source = f"staging.{table}" if have else "(select 1) as none where false"
        _run(con, f"create or replace temp view _cin_stg_{table} as select {', '.join(cols)} from {source}")


def build_frame(con: duckdb.DuckDBPyConnection, returns: list[CensusReturn],
                files: dict[str, int] | None = None) -> None:
    """Fill the frame from ``staging``.

    :param returns: the returns to check (return id 0 is the period return).
    :param files: census source file -> its return id; other records go to return 0.
    """
    create_frame(con, returns)
    _run(con, "create or replace temp table _cin_files (source_file varchar, return_id integer)")
    if files:
        con.executemany("insert into _cin_files values (?, ?)", list(files.items()))
    _source_views(con)
    offset = 0
    for name, sql in frame_sql().items():
        offset += 1
        # row keys are unique across the frame and follow file order, so outputs are stable;
        # rows with no file position (or several blocks of one record) are ordered by their
        # whole content, never left to the order a parallel scan happens to give
        key = "return_id, source_file, source_row, record_id" + (
            ", position" if "position integer" in FRAME_TABLES[name] else "")
        _run(con, _numbered_insert(name, sql, key, offset))


def _numbered_insert(name: str, sql: str, key: str, offset: int) -> str:
    """The insert filling frame table ``name`` from ``sql``, each row numbered by its rank in
    ``key`` order, rows with the same key (rare) then by their whole content as text.

    One sort does it: with ``order by key``, ``rank()`` is where a row's group of equal keys
    starts and ``count(*)`` (the default frame takes in the peers) where it ends, so a row
    alone in its group has its number; only the rows of a group of two or more are numbered
    again within their group, from the group's start (writing every row out as text to sort
    by it, or counting every group in a second window, was most of the frame's cost)."""
    base = f"{offset} * 1000000000000"
    keys = [k.strip() for k in key.split(",")]
    same = " and ".join(f"s.{k} is not distinct from _frame_row.{k}" for k in keys)
    return (f"insert into {name} by name "
            f"with _numbered as materialized ("
            f"select *, rank() over _w as _first, count(*) over _w as _last "
            f"from ({sql}) as _frame_row window _w as (order by {key})), "
            f"_starts as (select {key}, min(_first) as _first from _numbered "
            f"where _first <> _last group by all) "
            f"select {base} + _first as row_key, * exclude (_first, _last) from _numbered "
            f"where _first = _last "
            f"union all "
            f"select {base} + s._first - 1 + row_number() over (partition by s._first "
            f"order by _frame_row::varchar) as row_key, _frame_row.* "
            f"from (select * exclude (_first, _last) from _numbered where _first <> _last) as _frame_row "
            f"join _starts as s on {same}")
