"""Revisions: the figures two builds published for the same period and breakdown that differ,
and why, where the record-level evidence kept with each build (:mod:`.store`) says.

A figure's records are the mart rows its metric puts in the period (by the metric's date
columns, as :mod:`scorecard.metrics.compute` does), in either build. Reasons, in this order:

``records added late``           records now in the period that the earlier build did not have
``records removed or changed``   records of the period the later build no longer has, or whose row
                                 (any column, its dates included) differs
``records now failing a check``  records of the period a check names in the later build, not in
                                 the earlier one

Reasons are found per metric and period, not per category of a breakdown. A figure that moved
with none of these (a population estimate, a change of code) has a blank reason.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import polars as pl

from ..metrics.definitions import METRICS, Metric
from ..periods import parse_period
from .store import Build, metric_dates, period_span, table_of_key

__all__ = ["REVISIONS_SCHEMA", "REASONS", "revisions", "moved_months"]

REVISIONS_SCHEMA = {
    "metric_id": pl.Utf8, "period": pl.Utf8, "breakdown": pl.Utf8, "previous_value": pl.Float64,
    "new_value": pl.Float64, "difference": pl.Float64, "previous_build": pl.Utf8, "build": pl.Utf8,
    "reason": pl.Utf8, "records_added": pl.Int64, "records_removed_or_changed": pl.Int64,
    "records_now_failing": pl.Int64,
}
#: what :func:`revisions` adds for disclosure control on the page (not written to revisions.csv)
_SIZES = {"previous_numerator": pl.Float64, "previous_denominator": pl.Float64,
          "new_numerator": pl.Float64, "new_denominator": pl.Float64}
REASONS = ("records added late", "records removed or changed", "records now failing a check")
#: values closer than this are the same figure (floating-point noise of a mean or a percentage)
TOLERANCE = 1e-9


@dataclass
class _Evidence:
    """One build's records of one mart: key -> row hash, the dates of each key, failing keys."""

    hashes: dict[str, str]
    dates: pl.DataFrame   # record_key + one column per date column
    failing: set[str]


def _evidence(con: duckdb.DuckDBPyConnection, build_id: int, mart: str, dates: list[str]) -> _Evidence:
    hashes = dict(con.execute("select record_key, row_hash from history.records where build_id = $b and mart = $m",
                              {"b": build_id, "m": mart}).fetchall())
    pivot = ", ".join(f"max(value) filter (where column_name = '{c}') as \"{c}\"" for c in dates)
    frame = con.sql(f"select record_key, {pivot} from history.record_dates where build_id = $b and mart = $m "
                    "group by record_key", params={"b": build_id, "m": mart}).pl()
    return _Evidence(hashes, frame, set())


def _failing(con: duckdb.DuckDBPyConnection, build_id: int, table: str | None) -> set[str]:
    if table is None:
        return set()
    return {r[0] for r in con.execute("select distinct record_id from history.failures "
                                      "where build_id = $b and table_name = $t",
                                      {"b": build_id, "t": table}).fetchall()}


def _members(ev: _Evidence, m: Metric, start: dt.date, end: dt.date) -> set[str]:
    """The keys the metric puts in the period (``compute._condition``)."""
    if ev.dates.is_empty() or m.date_column not in ev.dates.columns:
        return set()
    s = pl.col(m.date_column)
    if m.kind == "flow":
        cond = s.is_between(start, end)
    else:
        e = pl.col(m.end_column).fill_null(dt.date(9999, 12, 31))
        cond = (s <= end) & ((e > end) if m.kind == "open_at_end" else (e >= start))
    return set(ev.dates.filter(cond)["record_key"].to_list())


def _figures(con: duckdb.DuckDBPyConnection, build_id: int) -> pl.DataFrame:
    return con.sql("select metric_id, period, breakdown, value, numerator, denominator "
                   "from history.figures where build_id = $b", params={"b": build_id}).pl()


def revisions(con: duckdb.DuckDBPyConnection, old: Build, new: Build) -> pl.DataFrame:
    """Every figure of a period both builds published that differs between them, with the
    reason where the evidence shows one (``REVISIONS_SCHEMA``, then the numerators and
    denominators of both, for disclosure control), ordered by metric (registry order), period
    and breakdown."""
    a, b = _figures(con, old.build_id), _figures(con, new.build_id)
    common = set(a["period"].to_list()) & set(b["period"].to_list())
    key = ["metric_id", "period", "breakdown"]
    joined = (a.filter(pl.col("period").is_in(common)).rename(
                  {"value": "previous_value", "numerator": "previous_numerator", "denominator": "previous_denominator"})
              .join(b.filter(pl.col("period").is_in(common)).rename(
                  {"value": "new_value", "numerator": "new_numerator", "denominator": "new_denominator"}),
                    on=key, how="full", coalesce=True, nulls_equal=True))
    moved = joined.filter(
        ((pl.col("new_value") - pl.col("previous_value")).abs() > TOLERANCE)
        | (pl.col("new_value").is_null() != pl.col("previous_value").is_null()))
    if moved.is_empty():
        return pl.DataFrame(schema={**REVISIONS_SCHEMA, **_SIZES})
    dates = metric_dates()
    cache: dict[tuple[int, str], _Evidence] = {}

    def evidence(build: Build, mart: str) -> _Evidence:
        if (build.build_id, mart) not in cache:
            ev = _evidence(con, build.build_id, mart, dates.get(mart, []))
            ev.failing = _failing(con, build.build_id, _key_table(con, mart))
            cache[(build.build_id, mart)] = ev
        return cache[(build.build_id, mart)]

    reasons: dict[tuple[str, str], tuple[str, int, int, int]] = {}
    rows = []
    order = {mid: i for i, mid in enumerate(METRICS.ids)}
    for r in moved.iter_rows(named=True):
        mid, period = r["metric_id"], r["period"]
        if (mid, period) not in reasons:
            reasons[(mid, period)] = _reason(mid, period, evidence(old, _mart(mid)), evidence(new, _mart(mid)))
        why, added, changed, failing = reasons[(mid, period)]
        prev, cur = r["previous_value"], r["new_value"]
        rows.append({"metric_id": mid, "period": period, "breakdown": r["breakdown"] or "",
                     "previous_value": prev, "new_value": cur,
                     "difference": None if prev is None or cur is None else cur - prev,
                     "previous_build": old.label, "build": new.label, "reason": why,
                     "records_added": added, "records_removed_or_changed": changed,
                     "records_now_failing": failing, **{k: r[k] for k in _SIZES}})
    frame = pl.DataFrame(rows, schema={**REVISIONS_SCHEMA, **_SIZES})
    return frame.with_columns(pl.col("metric_id").replace_strict(order, default=len(order)).alias("_o")) \
        .sort(["_o", "period", "breakdown"]).drop("_o")


def _mart(metric_id: str) -> str:
    m = METRICS[metric_id] if metric_id in METRICS else None
    if m is None:
        return ""
    return (METRICS[m.of] if m.of else m).mart


_KEY_TABLES: dict[str, str | None] = {}


def _key_table(con: duckdb.DuckDBPyConnection, mart: str) -> str | None:
    if mart not in _KEY_TABLES:
        try:
            first = con.execute(f'describe marts."{mart}"').fetchall()[0][0]
        except duckdb.Error:
            return None
        _KEY_TABLES[mart] = table_of_key(mart, first)
    return _KEY_TABLES[mart]


def _reason(metric_id: str, period: str, old: _Evidence, new: _Evidence) -> tuple[str, int, int, int]:
    if metric_id not in METRICS:
        return "", 0, 0, 0
    m = METRICS[metric_id]
    m = METRICS[m.of] if m.of else m
    start, end = period_span(period)
    was, now = _members(old, m, start, end), _members(new, m, start, end)
    added = {k for k in now if k not in old.hashes}
    changed = {k for k in was if k not in new.hashes} | {
        k for k in (was | now) if k in old.hashes and k in new.hashes and old.hashes[k] != new.hashes[k]}
    failing = {k for k in (was | now) if k in new.failing and k not in old.failing}
    found = [text for text, keys in zip(REASONS, (added, changed, failing)) if keys]
    return "; ".join(found), len(added), len(changed), len(failing)


def _is_month(label: str) -> bool:
    try:
        return "/" not in label and parse_period(label).kind == "month"
    except ValueError:
        return False


def moved_months(revised: pl.DataFrame, threshold_pct: float) -> pl.DataFrame:
    """The revisions of month figures that moved by more than ``threshold_pct`` per cent of the
    earlier value (from zero, or to or from blank, always counts)."""
    if revised.is_empty():
        return revised
    labels = [p for p in set(revised["period"].to_list()) if _is_month(p)]
    months = revised.filter(pl.col("period").is_in(labels))
    rel = (pl.col("difference").abs() / pl.col("previous_value").abs()) * 100
    return months.filter(
        pl.col("difference").is_null()
        | ((pl.col("previous_value") == 0) & (pl.col("difference") != 0))
        | ((pl.col("previous_value") != 0) & (rel > threshold_pct)))
