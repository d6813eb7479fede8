"""The DfE children in need (CIN) census validation rules.

Every rule of the DfE's 2022-23 rule set (105: 81 errors, 24 queries) and the later years'
changes is one declaration in ``sql/rules/*.sql`` (:mod:`.declarations`): its DfE code, type,
message, the census elements it reads, the census years it applies to, and one SQL query over
the *census frame* (:mod:`.frame`), the staged tables reshaped as census returns. Each loaded
census file is a return judged by its own header's ``ReferenceDate``; everything else is one
return for the build's period. The rules run in DuckDB (:mod:`.engine`); their findings become
``validation.csv`` rows, the ``cin_census`` Great Expectations suite in the Data Docs and
``cin_census_errors.csv`` (:mod:`.outputs`).

>>> from scorecard.validate.cin_rules import rule_set
>>> len(rule_set(2023)), len(rule_set(2025))
(105, 109)
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

import duckdb
import polars as pl

from ...periods import Period, financial_year, latest_complete, parse_period
from .declarations import Rule, rule_set, rules, year_label
from .engine import RuleRun, run_rules
from .frame import CensusReturn, build_frame, create_frame
from .outputs import ERROR_COLUMNS, SUITE_NAME, errors_frame, gx_frame, suite, validation_rows

__all__ = ["ERROR_COLUMNS", "SUITE_NAME", "CensusCheck", "CensusReturn", "Rule", "census_returns",
           "check", "create_frame", "rule_set", "rules", "run_rules"]


@dataclass
class CensusCheck:
    """The outcome of :func:`check`."""

    returns: list[CensusReturn]
    run: RuleRun
    rows: list[dict[str, str]]          # validation.csv rows
    errors: pl.DataFrame                # cin_census_errors.csv
    gx_frame: object                    # pandas frame for the cin_census suite
    suite: dict
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _period(con: duckdb.DuckDBPyConnection, period: str | None, extract_date: date) -> Period:
    """The build's period, else the latest complete financial year of the data (as a build
    would default), never later than the extract date."""
    if period:
        return parse_period(period)
    from ..checks import PRIMARY_DATE

    parts = [f"select max(cast({c} as date)) as d from staging.{t} where cast({c} as date) <= $x"
             for t, c in PRIMARY_DATE.items()]
    last = con.execute(f"select max(d) from ({' union all '.join(parts)})", {"x": extract_date}).fetchone()[0]
    return latest_complete(last or extract_date)


def _skipped_notes(run: RuleRun) -> list[str]:
    """The rules not checked, one line per reason."""
    by_reason: dict[str, list[str]] = {}
    for key, why in run.skipped.items():
        by_reason.setdefault(why, []).append(key)
    return [f"DfE rules not checked ({why}): {', '.join(keys)}." for why, keys in sorted(by_reason.items())]


def census_returns(con: duckdb.DuckDBPyConnection, period: Period) -> tuple[list[CensusReturn], dict[str, int]]:
    """The returns to check and the census files' returns: one per loaded CIN census file
    (``meta.file_facts``), then the period return (id 0) for every other record."""
    try:
        facts = con.execute("""
            select f.source_file, f.reference_date, f.collection_year, f.census_year
            from meta.file_facts as f
            join meta.loads as l on l.source_file = f.source_file and l.sha256 = f.sha256 and l.status = 'loaded'
            where f.format = 'cin_census'
            group by all
            order by f.source_file""").fetchall()
    except duckdb.Error:
        facts = []
    returns, files = [], {}
    for i, (source_file, reference_date, collection_year, census_year) in enumerate(facts, start=1):
        year = int(collection_year) if str(collection_year or "").strip().isdigit() else None
        rd = reference_date or (date(year, 3, 31) if year else period.financial_year.end)
        label = census_year or year_label(financial_year(rd.year - (rd.month < 4)).end.year)
        returns.append(CensusReturn(i, "census", rd, source_file, reference_date, year, label))
        files[source_file] = i
    returns.append(CensusReturn(0, "period", period.end, "", None, None, period.label))
    return returns, files


def check(con: duckdb.DuckDBPyConnection, *, period: str | None = None,
          extract_date: date | None = None) -> CensusCheck:
    """Build the census frame from ``staging``, run every applicable rule, and gather the outputs.

    :param period: the build's period (the period return's reference date is its last day);
        default: the latest complete financial year of the data.
    :param extract_date: bounds the default period (default: today).
    """
    start = time.perf_counter()
    the_period = _period(con, period, extract_date or date.today())
    returns, files = census_returns(con, the_period)
    build_frame(con, returns, files)
    if not con.execute("select count(*) from cin_details where return_id = 0").fetchone()[0]:
        # no CIN records outside the census files: there is no period return to check
        con.execute("delete from cin_return where return_id = 0").fetchall()
        returns = [r for r in returns if r.return_id != 0]
    run = run_rules(con)
    rows = validation_rows(con)
    errors = errors_frame(con)
    notes = []
    census = [r for r in returns if r.kind == "census"]
    if census:
        notes.append("DfE CIN census rules checked " + "; ".join(
            f"{r.source_file} as the {r.label} census (reference date {r.reference_date.isoformat()})"
            for r in census) + ".")
    period_return = next((r for r in returns if r.kind == "period"), None)
    if period_return is not None:
        notes.append(f"DfE CIN census rules checked the CIN records of the other extracts as the census "
                     f"return for {period_return.label} would hold them (collection "
                     f"{period_return.collection_start.isoformat()} to {period_return.reference_date.isoformat()}).")
    elif not census:
        notes.append(f"DfE CIN census rules: no CIN records for {the_period.label}, nothing to check.")
    notes += _skipped_notes(run)
    return CensusCheck(returns, run, rows, errors, gx_frame(con), suite(set(run.ran)), notes,
                       time.perf_counter() - start)
