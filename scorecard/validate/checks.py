"""The DuckDB side of validation: the frames Great Expectations validates.

Per-table checks that need more than one row or table (overlaps, orphans, migration copies,
discontinued codes) are SQL files in ``sql/`` returning ``record_id, detail``; each becomes a
``chk_<name>`` column (the detail, or null) on the table's frame, and the table's suite expects
it to be null. Whole-period checks become their own frames (``monthly_volumes``,
``code_shares``). SQL files only take schema identifiers as placeholders; values (the extract
date, the cut-over) are bound as parameters.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from importlib import resources

import duckdb
import pandas as pd

from ..schema import PERSONAL_COLUMNS, TABLES

__all__ = [
    "CODED_COLUMNS",
    "DATE_FLOOR",
    "DISCONTINUED_CODES",
    "PLACEHOLDER_DATES",
    "PRIMARY_DATE",
    "DerivedCheck",
    "code_shares_frame",
    "derived_checks",
    "detect_cutover",
    "detect_extract_date",
    "quarantine_rows",
    "table_frame",
    "table_sql",
    "placeholder_dates",
    "position_order",
    "volumes_frame",
]

#: the date that places a record in a month (volume and cut-over checks)
PRIMARY_DATE: dict[str, str] = {t.name: t.date_column for t in TABLES.values() if t.date_column}

#: coded columns watched for drift and discontinued codes around the cut-over
CODED_COLUMNS: dict[str, tuple[str, ...]] = {
    "contacts": ("contact_source",),
    "referrals": ("referral_source",),
    "cin_episodes": ("primary_need_code", "reason_for_closure"),
    "cp_plans": ("initial_category", "latest_category"),
    "missing_episodes": ("missing_type",),
}

#: dates systems write when the real one is unknown (never plausible for a case record)
PLACEHOLDER_DATES = tuple(date.fromisoformat(d) for d in (
    "1900-01-01", "1899-12-30", "1899-12-31", "1901-01-01", "1970-01-01",
    "2099-12-31", "2999-12-31", "3000-01-01", "9999-12-31"))
#: the default date floor: a date on or before it is not a real date (``--date-floor``)
DATE_FLOOR = date(1900, 1, 1)


def placeholder_dates(date_floor: date = DATE_FLOOR) -> list[date]:
    """The placeholder dates after ``date_floor`` (those on or before it fail the floor check)."""
    return [d for d in PLACEHOLDER_DATES if d > date_floor]


#: codes the new case-management system no longer offers: records dated on or after the
#: cut-over should not carry them. MUL ("multiple", which the DfE list marks as not
#: recommended) is not offered by Mosaic; extend this for other local changes.
DISCONTINUED_CODES: dict[tuple[str, str], tuple[str, ...]] = {
    ("cp_plans", "initial_category"): ("MUL",),
    ("cp_plans", "latest_category"): ("MUL",),
}

#: columns never handed to Great Expectations (their values would appear in Data Docs)
_PRIVATE = {"date_of_birth"}


def _sql(name: str) -> str:
    return resources.files("scorecard.validate").joinpath("sql", name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class DerivedCheck:
    """A SQL check whose result becomes column ``column`` on ``table``'s frame."""

    table: str
    column: str
    sql: str
    needs_cutover: bool = False


def _content(table: str) -> list[str]:
    """The columns that make a record's content: all but its id and where it came from."""
    t = TABLES[table]
    return [c for c in t.column_names if c not in (t.id_column, "source_system", "legacy_id")]


def _content_columns(table: str) -> str:
    return ", ".join(f"t.{c}" for c in _content(table))


def _same_content(table: str) -> str:
    return " and ".join(f"t.{c} is not distinct from r.{c}" for c in _content(table))


def derived_checks(cutover: date | None) -> list[DerivedCheck]:
    """Every SQL record-level check, with its placeholders filled from the schema."""
    out: list[DerivedCheck] = []
    for name, t in TABLES.items():
        ids = {"table": name, "id": t.id_column}
        out.append(DerivedCheck(name, "chk_legacy_copy", _sql("legacy_copy.sql").format(**ids)))
        if name in PRIMARY_DATE:
            out.append(DerivedCheck(name, "chk_same_content", _sql("same_content.sql").format(
                content=_content_columns(name), same=_same_content(name), date=PRIMARY_DATE[name],
                **ids)))
        for tname, col in DISCONTINUED_CODES:
            if tname == name:
                out.append(DerivedCheck(name, f"chk_discontinued_{col}", _sql("discontinued_code.sql").format(
                    date=PRIMARY_DATE[name], column=col, **ids), needs_cutover=True))
    out.append(DerivedCheck("cin_episodes", "chk_overlap", _sql("overlap.sql").format(
        table="cin_episodes", id="cin_episode_id", start="cin_start_date", end="cin_closure_date",
        same_day="false")))
    out.append(DerivedCheck("cp_plans", "chk_overlap", _sql("overlap.sql").format(
        table="cp_plans", id="cp_plan_id", start="cp_plan_start_date", end="cp_plan_end_date",
        same_day="true")))
    for check in ("rhi_orphan", "rhi_child_mismatch", "rhi_completed_not_accepted",
                  "rhi_completed_before_return"):
        out.append(DerivedCheck("return_interviews", "chk_" + check.removeprefix("rhi_"),
                                _sql(check + ".sql")))
    out.append(DerivedCheck("children", "chk_date_of_birth", _sql("children_dob.sql")))
    return [c for c in out if cutover is not None or not c.needs_cutover]


def table_frame(con: duckdb.DuckDBPyConnection, table: str, columns: set[str],
                checks: list[DerivedCheck], *, extract_date: date,
                cutover: date | None, date_floor: date = DATE_FLOOR) -> pd.DataFrame:
    """The frame GX validates for ``table``: the columns ``columns`` of ``staging.<table>``
    (typed as staged), plus
    ``days_after_birth_<col>`` (days from the child's birth, never the birth date itself)
    and the ``chk_*`` detail columns of ``checks``."""
    sql, params = table_sql(table, columns, checks, extract_date=extract_date, cutover=cutover,
                            date_floor=date_floor)
    return con.execute(sql, params).df()


#: each child's date of birth (the earliest, if a child has several records)
DATES_OF_BIRTH = ("select child_id, min(date_of_birth) as date_of_birth "
                  "from staging.children group by child_id")


def table_sql(table: str, columns: set[str], checks: list[DerivedCheck], *, extract_date: date,
              cutover: date | None, date_floor: date = DATE_FLOOR,
              position: bool = False, births: str | None = None) -> tuple[str, dict]:
    """The query of :func:`table_frame` and its parameters; with ``position``, unordered, with
    the columns :func:`position_order` puts in the frame's order (the DuckDB engine's relation).
    ``births``: a relation holding :data:`DATES_OF_BIRTH` (made once for every table),
    default that query."""
    t = TABLES[table]
    select, joins, params = [f"t.{t.id_column}"], [], {}
    for col in sorted(columns - {t.id_column}):
        if col.startswith("days_after_birth_"):
            base = col.removeprefix("days_after_birth_")
            # only for plausible dates: an impossible one is reported once, by its own check
            day = f"cast(t.{base} as date)"
            select.append(f"case when {day} > $date_floor and not list_contains(cast($placeholder_dates as date[]), "
                          f"{day}) then date_diff('day', dob.date_of_birth, {day}) end as {col}")
        elif col in t.column_names and col not in _PRIVATE:
            select.append(f"t.{col}")
    if any(c.startswith("days_after_birth_") for c in columns):
        joins.append(f"left join {births or '(' + DATES_OF_BIRTH + ')'} as dob "
                     "on dob.child_id = t.child_id")
    wanted = [c for c in checks if c.table == table and c.column in columns]
    for i, c in enumerate(wanted):
        select.append(f"c{i}.detail as {c.column}")
        joins.append(f"left join (select record_id, string_agg(distinct detail, '; ' order by detail) as detail "
                     f"from ({c.sql}) group by record_id) as c{i} on c{i}.record_id = t.{t.id_column}")
    # a fixed row order, so the Data Docs (which list failing row positions) are reproducible
    order = f"t.source_file, t.source_row, t.{t.id_column}"
    if position:   # the frame order, numbered only for the rows reported (position_order)
        select += ["t.source_file as _pos_file", "t.source_row as _pos_row"]
    sql = (f"select {', '.join(select)} from staging.{table} as t {' '.join(joins)}"
           + ("" if position else f" order by {order}"))
    values = {"extract_date": extract_date, "cutover": cutover, "date_floor": date_floor,
              "placeholder_dates": placeholder_dates(date_floor),
              "codes": [c for (tn, _), cs in DISCONTINUED_CODES.items() if tn == table for c in cs]}
    for name, value in values.items():
        if re.search(r"\$" + name + r"\b", sql):
            params[name] = value
    return sql, params


def position_order(table: str) -> str:
    """The ORDER BY of :func:`table_sql`'s rows (with ``position``) giving the frame's order."""
    return f"_pos_file, _pos_row, {TABLES[table].id_column}"


def volumes_frame(con: duckdb.DuckDBPyConnection, extract_date: date) -> pd.DataFrame:
    """Records per month per table with the neighbours' median (``monthly_volumes.sql``)."""
    parts = [_sql("monthly_volumes.sql").format(table=t, date=d) for t, d in PRIMARY_DATE.items()]
    sql = " union all ".join(f"select * from ({p})" for p in parts) + " order by table_name, period"
    return con.execute(sql, {"extract_date": extract_date}).df()


def code_shares_frame(con: duckdb.DuckDBPyConnection, cutover: date) -> pd.DataFrame:
    """Each code's share before and after the cut-over (``code_shares.sql``)."""
    parts = [_sql("code_shares.sql").format(table=t, date=PRIMARY_DATE[t], column=c)
             for t, cols in CODED_COLUMNS.items() for c in cols]
    sql = (" union all ".join(f"select * from ({p})" for p in parts)
           + " order by table_name, column_name, code")
    return con.execute(sql, {"cutover": cutover}).df()


def detect_extract_date(con: duckdb.DuckDBPyConnection) -> date:
    """The day of the latest load in ``meta.loads``, else today."""
    try:
        row = con.execute("select max(loaded_at)::date from meta.loads").fetchone()
    except duckdb.Error:
        row = None
    return row[0] if row and row[0] else date.today()


def detect_cutover(con: duckdb.DuckDBPyConnection, extract_date: date) -> tuple[date | None, str]:
    """The first record date of the newest source system, and how it was found.

    Each system's first date is taken over its own records (not those carrying a
    ``legacy_id``, which were migrated with their old dates), ignoring placeholder and future
    dates; the system that started last is the new one. ``(None, reason)`` when fewer than two
    systems are present.
    """
    parts = [f"select source_system, {d}::date as d from staging.{t} where legacy_id is null "
             f"and source_system is not null" for t, d in PRIMARY_DATE.items()]
    rows = con.execute(
        f"select source_system, min(d) as first_date from ({' union all '.join(parts)}) "
        "where d >= date '1990-01-01' and d <= $extract_date group by all order by first_date, source_system",
        {"extract_date": extract_date}).fetchall()
    if len(rows) < 2:
        return None, ("no cut-over detected (fewer than two source systems in source_system); "
                      "the cut-over checks were skipped")
    system, first = rows[-1]
    return first, f"cut-over detected: first record of {system} on {first.isoformat()}"


_LOAD_REASONS = {
    "unparseable date-time": "unparseable_datetime",
    "unparseable date": "unparseable_date",
    "unrecognised flag": "unrecognised_flag",
    "blank required value": "blank_required",
}
_PSEUDONYM = re.compile(r"^P[0-9a-f]{16}$")


def _load_check_id(reason: str) -> str:
    low = (reason or "").lower()
    for prefix, slug in _LOAD_REASONS.items():
        if low.startswith(prefix):
            return "load." + slug
    return "load." + (re.sub(r"[^a-z0-9]+", "_", low.split("(")[0]).strip("_") or "rejected")


def quarantine_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, str]]:
    """Validation rows for cells the loader quarantined (the rows are not in staging).

    Raw values are quoted except for ``child_id`` and ``date_of_birth`` (personal data);
    a children record id is kept only when it is a pseudonym.
    """
    try:
        data = con.execute(
            "select table_name, record_id, column_name, raw_value, reason, source_file, source_row "
            "from quarantine.rejected_rows").fetchall()
    except duckdb.Error:
        return []
    out = []
    for table, record_id, column, raw, reason, file, row in data:
        rid = record_id or ""
        if table == "children" and not _PSEUDONYM.match(rid):
            rid = ""
        value = "" if column in PERSONAL_COLUMNS or raw is None else f" {raw!r}"
        out.append({
            "check_id": _load_check_id(reason), "table": table or "", "severity": "error",
            "record_id": rid, "period": "",
            "message": f"not loaded: {file} row {row}, column {column}{value}: {reason}",
        })
    return out
