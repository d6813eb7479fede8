"""The data's reach, and the periods a build can support.

**Reach.** For each extract table, the earliest and latest record date (the table's main date
column, ``scorecard.schema``) among the dates that pass their checks: after the date floor,
not a placeholder date, and not after the extract date (the day of the latest load). The
data's reach is the latest of those dates over every table.

**Complete.** A period (month or financial year) is complete when the data reaches its last
day: a financial year only when the data reaches 31 March. Only complete periods are computed.

**The periods of a build** (:func:`build_periods`). A build for a year or a month reports:

- every complete financial year from the first year the data reaches back to (at most
  :data:`MAX_YEARS` years, ending with the build's year), and every complete month of them;
  the build's own year only when it is complete and ends on or before the build's period;
- in a month build (or a year build of a year the data does not complete), the **year to
  date**: April of the build's year up to the build's month (or the last complete month),
  labelled ``2022-04/2023-01``, and the same span a year earlier; yearly metrics are
  reported for it except figures at 31 March and rates per 10,000, which exist only for a
  whole year;
- never a month after the build's month.

A CIN census return holds one year of records (and the referral and start dates of episodes
still open); when every file loaded is a census return, the history reaches back only to the
year before the earliest census year loaded, as before this module: earlier years would be
counted from the few long-open episodes alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import polars as pl

from ..periods import Period, financial_year, financial_year_of, month, parse_period
from ..schema import TABLES

__all__ = ["MAX_YEARS", "REACH_COLUMNS", "Reach", "TableReach", "build_periods", "data_reach",
           "span", "record_reach"]

#: the longest history a build computes, in financial years (the build's year included)
MAX_YEARS = 10
#: columns of ``data_reach.csv``
REACH_COLUMNS = {"table": pl.Utf8, "first_date": pl.Date, "last_date": pl.Date,
                 "complete_to_month": pl.Utf8, "complete_to_year": pl.Utf8}
ALL_TABLES = "all extracts"
#: the default date floor (as ``scorecard.validate.checks.DATE_FLOOR``; the build passes its own)
_FLOOR = date(1900, 1, 1)


@dataclass(frozen=True)
class TableReach:
    """One table's first and last dates passing their checks (None: no such record)."""

    table: str
    first: date | None
    last: date | None


@dataclass(frozen=True)
class Reach:
    """How far the loaded data reaches, per table and overall."""

    tables: tuple[TableReach, ...]
    census_only_from: Period | None = None  # the first year a census-only load reaches back to

    @property
    def last(self) -> date | None:
        """The data's reach: the latest passing date of any table."""
        return max((t.last for t in self.tables if t.last), default=None)

    @property
    def first(self) -> date | None:
        return min((t.first for t in self.tables if t.first), default=None)

    def complete(self, period: Period) -> bool:
        """Whether the data reaches the period's last day."""
        return self.last is not None and self.last >= period.end

    def last_complete_month(self) -> Period | None:
        if self.last is None:
            return None
        m = month(self.last.year, self.last.month)
        if m.end <= self.last:
            return m
        before = m.start - timedelta(days=1)
        return month(before.year, before.month)

    def last_complete_year(self) -> Period | None:
        if self.last is None:
            return None
        fy = financial_year_of(self.last)
        return fy if fy.end <= self.last else financial_year(fy.start.year - 1)

    def first_year(self) -> Period | None:
        """The first financial year the history reaches back to."""
        if self.first is None:
            return None
        fy = financial_year_of(self.first)
        if self.census_only_from is not None and self.census_only_from.start > fy.start:
            fy = self.census_only_from
        return fy

    def frame(self) -> pl.DataFrame:
        """``data_reach.csv``: one row per table with dated records, then all extracts."""
        def row(name: str, first: date | None, last: date | None) -> dict:
            r = Reach((TableReach(name, first, last),))
            m, y = r.last_complete_month(), r.last_complete_year()
            return {"table": name, "first_date": first, "last_date": last,
                    "complete_to_month": m.label if m else "",
                    "complete_to_year": y.label if y else ""}
        rows = [row(t.table, t.first, t.last) for t in self.tables if t.last]
        rows.append(row(ALL_TABLES, self.first, self.last))
        return pl.DataFrame(rows, schema=REACH_COLUMNS)


def data_reach(con: duckdb.DuckDBPyConnection, *, date_floor: date | None = None,
               extract_date: date | None = None,
               placeholders: list[date] | tuple[date, ...] = ()) -> Reach:
    """The reach of every staging table with a main date column.

    :param date_floor: a date on or before it is not a real date (default 1900-01-01)
    :param extract_date: a date after it is not a real date (default: the day of the latest
        load in ``meta.loads``, else today)
    :param placeholders: dates systems write when the real one is unknown (never counted)
    """
    if extract_date is None:
        try:
            row = con.execute("select max(loaded_at)::date from meta.loads").fetchall()[0]
        except duckdb.Error:
            row = None
        extract_date = row[0] if row and row[0] else date.today()
    params = {"floor": date_floor or _FLOOR, "extract": extract_date,
              "placeholders": list(placeholders)}
    parts = [f"select '{t.name}' as t, min(d), max(d) from "
             f"(select cast({t.date_column} as date) as d from staging.{t.name}) "
             "where d > $floor and d <= $extract "
             "and not list_contains(cast($placeholders as date[]), d)"
             for t in TABLES.values() if t.date_column]
    rows = con.execute(" union all ".join(parts), params).fetchall()
    tables = tuple(TableReach(t, first, last) for t, first, last in rows)
    return Reach(tables, _census_only_from(con))


def _census_only_from(con: duckdb.DuckDBPyConnection) -> Period | None:
    """The year before the earliest census year, when every loaded file is a CIN census."""
    try:
        loaded, census, first = con.execute(
            "select count(distinct l.source_file), "
            "count(distinct case when f.format = 'cin_census' then l.source_file end), "
            "min(case when f.format = 'cin_census' then f.census_year end) "
            "from meta.loads l left join meta.file_facts f "
            "on f.source_file = l.source_file and f.sha256 = l.sha256 "
            "where l.status = 'loaded'").fetchall()[0]
    except duckdb.Error:
        return None
    if not loaded or loaded != census or not first:
        return None
    return parse_period(first).previous()


def span(first: Period, last: Period) -> Period:
    """The months from ``first`` to ``last`` as one period labelled ``2022-04/2023-01``."""
    return Period(first.start, last.end, f"{first.label}/{last.label}", "span")


def build_periods(period: str | Period, reach: Reach) -> list[Period]:
    """The periods a build for ``period`` computes (see the module docstring), in order:
    the build's year (or year to date) and its months first, then each earlier year and its
    months, newest first; the year to date a year earlier after its year."""
    p = parse_period(period) if isinstance(period, str) else period
    fy = p.financial_year
    if reach.last is None:
        return []
    first = reach.first_year() or fy
    first_start = max(first.start.year, fy.start.year - MAX_YEARS + 1)
    out: list[Period] = []
    ytd_to = _ytd_end(p, reach)
    for year in range(fy.start.year, first_start - 1, -1):
        y = financial_year(year)
        if y.end <= p.end and reach.complete(y):
            out.append(y)
        if ytd_to is not None and year in (fy.start.year, fy.start.year - 1):
            shift = fy.start.year - year
            out.append(span(y.months()[0], _shift(ytd_to, shift)))
        out += [m for m in y.months() if m.end <= p.end and reach.complete(m)]
    return out


def _ytd_end(p: Period, reach: Reach) -> Period | None:
    """The last month of the build year's year to date, or None when none is reported (a
    complete year build)."""
    fy = p.financial_year
    if p.kind == "year" and reach.complete(fy):
        return None
    last = reach.last_complete_month()
    end = p if p.kind == "month" else month(fy.end.year, fy.end.month)
    if last is None or last.start < fy.start:
        return None
    return end if last.end >= end.end else last


def _shift(m: Period, years: int) -> Period:
    return month(m.start.year - years, m.start.month)


def record_reach(con: duckdb.DuckDBPyConnection, reach: Reach, run_id: int) -> None:
    """Keep the reach of build ``run_id`` in ``meta.data_reach`` (one row per table)."""
    con.execute("create table if not exists meta.data_reach (run_id bigint, table_name varchar, "
                "first_date date, last_date date)").fetchall()
    con.execute("delete from meta.data_reach where run_id = $r", {"r": run_id}).fetchall()
    for t in reach.tables:
        con.execute("insert into meta.data_reach values ($r, $t, $f, $l)",
                    {"r": run_id, "t": t.table, "f": t.first, "l": t.last}).fetchall()
