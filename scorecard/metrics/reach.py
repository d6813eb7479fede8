"""The data's reach, and the periods a build can support.

**Reach.** For each extract table, the earliest and latest record date (the table's main date
column, ``scorecard.schema``) among the dates that pass their checks: after the date floor,
not a placeholder date, and not after the extract date (the day of the latest load). The
data's reach is the latest of those dates over every table.

**Complete.** A period (month or financial year) is complete when the data reaches its last
day: a financial year only when the data reaches 31 March. Only complete periods are computed.

**The periods of a build** (:func:`build_periods`). A build for a year or a month reports:

- every complete financial year from the first year the data reaches back to (at most
  :data:`MAX_YEARS` years, ending with the build's year; always the year before the build's),
  and every complete month of them. The data reaches back to a year when a table holds
  records at full volume from its first month (the first of three months in a row with at
  least half the median monthly count of the last year), and each metric to the first year
  every table it reads does (never later than the year before the build's): an extract
  carries the referral and start dates of long-open cases years before its window, and a
  year counted from those few records alone would be wrong;
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
           "span", "record_reach", "year_from"]

#: the longest history a build computes, in financial years (the build's year included)
MAX_YEARS = 10
#: columns of ``data_reach.csv``
REACH_COLUMNS = {"table": pl.Utf8, "first_date": pl.Date, "last_date": pl.Date,
                 "complete_to_month": pl.Utf8, "complete_to_year": pl.Utf8,
                 "full_volume_from": pl.Utf8}
ALL_TABLES = "all extracts"
#: the default date floor (as ``scorecard.validate.checks.DATE_FLOOR``; the build passes its own)
_FLOOR = date(1900, 1, 1)


@dataclass(frozen=True)
class TableReach:
    """One table's first and last dates passing their checks (None: no such record), and the
    first month from which it holds records at full volume (None: not known)."""

    table: str
    first: date | None
    last: date | None
    full_from: date | None = None


@dataclass(frozen=True)
class Reach:
    """How far the loaded data reaches, per table and overall."""

    tables: tuple[TableReach, ...]
    census_only_from: Period | None = None  # the first year a census-only load reaches back to
    #: the last day the loaded files say they cover: the end of the latest monthly drop's month
    #: (``referrals_2023-01.csv``), a CIN census's ``ReferenceDate`` (None: no file says)
    declared_to: date | None = None

    @property
    def last(self) -> date | None:
        """The data's reach: the latest passing date of any table, or the last day a loaded file
        says it covers when that is later (a month's drop whose last record falls on a Friday
        still covers the weekend after it)."""
        found = max((t.last for t in self.tables if t.last), default=None)
        if self.declared_to is not None and found is not None and self.declared_to > found:
            return self.declared_to
        return found

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
        """The first financial year some table holds at full volume from its start (see
        :func:`_full_from`), or None when that cannot be told (then a build goes back one
        year); a census-only load goes back to the year before its census year. Each metric
        then starts at the first such year of the tables it reads (:meth:`start_of`)."""
        if self.census_only_from is not None:
            return self.census_only_from
        starts = [t.full_from for t in self.tables if t.full_from is not None]
        return year_from(min(starts)) if starts else None

    def start_of(self, tables: set[str] | frozenset[str]) -> date | None:
        """The first month every one of ``tables`` (that can tell) holds at full volume;
        None when none can tell or the load is census-only."""
        if self.census_only_from is not None:
            return None
        starts = [t.full_from for t in self.tables if t.table in tables and t.full_from]
        return max(starts) if starts else None

    def frame(self) -> pl.DataFrame:
        """``data_reach.csv``: one row per table with dated records, then all extracts."""
        def row(name: str, first: date | None, last: date | None, full: str) -> dict:
            r = Reach((TableReach(name, first, last),))
            m, y = r.last_complete_month(), r.last_complete_year()
            return {"table": name, "first_date": first, "last_date": last,
                    "complete_to_month": m.label if m else "",
                    "complete_to_year": y.label if y else "", "full_volume_from": full}
        rows = [row(t.table, t.first, t.last, f"{t.full_from:%Y-%m}" if t.full_from else "")
                for t in self.tables if t.last]
        fy = self.first_year()
        rows.append(row(ALL_TABLES, self.first, self.last, fy.start.strftime("%Y-%m") if fy else ""))
        return pl.DataFrame(rows, schema=REACH_COLUMNS)


    def markdown(self, period: Period | str) -> str:
        """The ``validation_summary.md`` section: how far each extract reaches and what that
        means for the build's period."""
        p = parse_period(period) if isinstance(period, str) else period
        fy = p.financial_year
        lines = ["## How far the data reaches", ""]
        if self.last is None:
            return "\n".join(lines + ["No record has a date that passes its checks.", ""])
        if self.complete(fy) and fy.end <= p.end:
            what = f"{fy.label} is complete: its yearly figures rest on the whole year."
        elif p.kind == "month":
            what = (f"{fy.label} is not over at {p.label}: its yearly figures are for the year "
                    f"to date ({fy.start:%Y-%m}/{p.label}); figures at 31 March and rates per "
                    "10,000 wait for the year to end.")
        else:
            what = (f"The data does not reach the end of {fy.label} (31 March {fy.end.year}): "
                    "no figure for the whole year is reported, only its complete months and "
                    "the year to date.")
        lines += [f"The records reach {self.last.isoformat()} (only dates that pass their checks "
                  f"count). {what}", "",
                  "A year is complete when the records reach its last day (31 March). Each "
                  "figure reaches back to the first year the tables it reads hold at full volume "
                  "(`full volume from`: the first of three months in a row with at least half the "
                  "median month of the last year); earlier dates are long-open cases' histories.",
                  "",
                  "| table | earliest date | latest date | complete to month | complete to year "
                  "| full volume from |", "|---|---|---|---|---|---|"]
        for r in self.frame().iter_rows(named=True):
            lines.append(f"| {r['table']} | {r['first_date'] or ''} | {r['last_date'] or ''} | "
                         f"{r['complete_to_month']} | {r['complete_to_year']} | "
                         f"{r['full_volume_from']} |")
        return "\n".join(lines + [""])


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
    monthly = con.execute(" union all ".join(
        f"select '{t.name}' as t, date_trunc('month', d)::date as m, count(*) as n from "
        f"(select cast({t.date_column} as date) as d from staging.{t.name}) "
        "where d > $floor and d <= $extract "
        "and not list_contains(cast($placeholders as date[]), d) group by all"
        for t in TABLES.values() if t.date_column and t.name in _VOLUME_TABLES), params).fetchall()
    counts: dict[str, dict[date, int]] = {}
    for t, m, n in monthly:
        counts.setdefault(t, {})[m] = n
    tables = tuple(TableReach(t, first, last, _full_from(counts.get(t, {}), last))
                   for t, first, last in rows)
    return Reach(tables, _census_only_from(con), _declared_to(con, extract_date))


#: a monthly drop: ``referrals_2023-01.csv`` holds the records of January 2023
_DROP = r'_(\d{4})-(\d{2})\.[A-Za-z]+$'


def _declared_to(con: duckdb.DuckDBPyConnection, extract_date: date) -> date | None:
    """The last day the files in force say they cover (never after the extract date): the end
    of the latest monthly drop's month, or the latest CIN census ``ReferenceDate``."""
    try:
        row = con.execute("""
            select max(d) from (
                select last_day(make_date(cast(regexp_extract(source_file, $drop, 1) as integer),
                                          cast(regexp_extract(source_file, $drop, 2) as integer), 1)) as d
                from meta.loads
                where status = 'loaded' and regexp_matches(source_file, $drop)
                  and cast(regexp_extract(source_file, $drop, 2) as integer) between 1 and 12
                union all
                select f.reference_date from meta.file_facts as f
                join meta.loads as l using (source_file, sha256)
                where l.status = 'loaded' and f.reference_date is not null
            ) where d <= $extract""", {"drop": _DROP, "extract": extract_date}).fetchall()
    except duckdb.Error:
        return None
    return row[0][0] if row and row[0][0] else None


#: the tables whose volume decides how far back the history reaches (those the metrics read)
_VOLUME_TABLES = ("contacts", "referrals", "assessments", "cin_episodes", "cp_plans",
                  "missing_episodes", "return_interviews")
#: a month is at full volume with at least this share of the median month of the last year
_FULL_SHARE = 0.5
#: ... and when the months after it are too (so one busy month in a thin past is not a start)
_FULL_RUN = 3


def _full_from(counts: dict[date, int], last: date | None) -> date | None:
    """The first month from which a table holds records at full volume: the first of
    :data:`_FULL_RUN` months in a row each with at least half the median monthly count of the
    last twelve complete months. None when the table has under a year of months or too few
    records to tell (fewer than 20 a month)."""
    if last is None or not counts:
        return None
    cutoff = month(last.year, last.month)
    if cutoff.end > last:
        before = cutoff.start - timedelta(days=1)
        cutoff = month(before.year, before.month)
    months = []
    d = min(counts)
    while d <= cutoff.start:
        months.append(d)
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    if len(months) < 12:
        return None
    recent = sorted(counts.get(m, 0) for m in months[-12:])
    median = (recent[5] + recent[6]) / 2
    if median < 20:
        return None
    full = [counts.get(m, 0) >= _FULL_SHARE * median for m in months]
    for i in range(len(months) - _FULL_RUN + 1):
        if all(full[i:i + _FULL_RUN]):
            return months[i]
    return None


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


def year_from(start: date) -> Period:
    """The first financial year covered from its first month by data starting at ``start``."""
    fy = financial_year_of(start)
    return fy if start.month == 4 and start.day == 1 else financial_year(fy.start.year + 1)


def span(first: Period, last: Period) -> Period:
    """The months from ``first`` to ``last`` as one period labelled ``2022-04/2023-01``."""
    return Period(first.start, last.end, f"{first.label}/{last.label}", "span")


def build_periods(period: str | Period, reach: Reach, *, years: int | None = None) -> list[Period]:
    """The periods a build for ``period`` computes (see the module docstring), in order:
    the build's year (or year to date) and its months first, then each earlier year and its
    months, newest first; the year to date a year earlier after its year. ``years`` limits
    the history to that many financial years (the build's included)."""
    p = parse_period(period) if isinstance(period, str) else period
    fy = p.financial_year
    if reach.last is None:
        return []
    # the build's previous year is always computed where the data has records for it
    first = min(reach.first_year() or fy.previous(), fy.previous())
    first_start = max(first.start.year, fy.start.year - min(years or MAX_YEARS, MAX_YEARS) + 1)
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
