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

Rows are compared by their row hashes when both builds have them made the same way
(:func:`.store.hash_tables`); when they have not (a build made before ``hash_scheme`` against a
build made since with no MD5 hashes kept, or a DuckDB that hashes differently), a changed row
cannot be seen: ``records removed or changed`` then counts the removed records only, and
:func:`revisions` logs a warning saying so.
"""
from __future__ import annotations

import logging

import duckdb
import polars as pl

from ..metrics.definitions import METRICS, Metric
from ..periods import parse_period
from .store import Build, hash_tables, metric_dates, period_span, source_metric, table_of_key

log = logging.getLogger(__name__)

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


def _member(kind: str, start: str, end: str | None, prefix: str, i: int) -> str:
    """Whether a key's dates (columns ``prefix + name``) put it in the period ``p.s<i>`` to
    ``p.e<i>`` (as ``compute._condition``; a blank date is in no period, a blank end is open)."""
    s = f'"{prefix}{start}"'
    if kind == "flow":
        cond = f"{s} between p.s{i} and p.e{i}"
    else:
        e = f"coalesce(\"{prefix}{end}\", date '9999-12-31')" if end else "date '9999-12-31'"
        cond = f"{s} <= p.e{i} and " + (f"{e} > p.e{i}" if kind == "open_at_end" else f"{e} >= p.s{i}")
    return f"coalesce({cond}, false)"


def _mart_reasons(con: duckdb.DuckDBPyConnection, old: int, new: int, mart: str, dates: list[str],
                  key_table: str | None, pairs: list[tuple[tuple[str, str], Metric]],
                  tables: tuple[str, str] | None = ("history.records", "history.records")
                  ) -> dict[tuple[str, str], tuple[int, int, int]]:
    """Records added, removed or changed, and now failing, for each (metric, period) of one
    mart, in one query. A key whose row is the same in both builds and that no check newly
    names counts for no reason, so only the other keys (usually few) are put in periods.

    As kept: a key's row hash is its last row's (by position), its dates the latest of its rows'.
    ``tables``: where each build's comparable row hashes are (:func:`.store.hash_tables`); None:
    none are, so only the keys are compared."""
    def pivot(prefix: str) -> str:  # one column per date column, named prefix + its name
        return ", ".join(f"max(value) filter (where column_name = '{c}') as \"{prefix}{c}\"" for c in dates)

    fails = ("select distinct record_id as k from history.failures where build_id = $b{} and table_name = $t"
             if key_table else "select null::varchar as k where false")
    groups: dict[tuple[str, str, str | None], list[int]] = {}
    for i, (_, m) in enumerate(pairs):
        groups.setdefault((m.kind, m.date_column, m.end_column), []).append(i)
    selects = []
    for g, (kind, start, end) in enumerate(groups):
        if start not in dates:  # no dates kept for the column: the metric puts no record anywhere
            continue
        was, now = _member(kind, start, end, "o_", g), _member(kind, start, end, "n_", g)
        selects.append(
            f"select p.i{g} as i, count(*) filter (where {now} and a) as added, "
            f"count(*) filter (where ({was} and c1) or (({was} or {now}) and c2)) as changed, "
            f"count(*) filter (where ({was} or {now}) and f) as failing "
            f"from c cross join (select unnest($i{g}) as i{g}, unnest($s{g}) as s{g}, unnest($e{g}) as e{g}) as p "
            f"group by p.i{g}")
    if not selects:
        return {}
    old_table, new_table = tables or ("history.records", "history.records")
    hashed = "arg_max(row_hash, rowid)" if tables else "null::ubigint"
    sql = f"""
        with ho as (select record_key as k, {hashed} as h from {old_table}
                    where build_id = $b0 and mart = $m group by record_key),
        hn as (select record_key as k, {hashed} as h from {new_table}
               where build_id = $b1 and mart = $m group by record_key),
        fo as ({fails.format(0)}),
        fn as ({fails.format(1)}),
        diff as (
            select coalesce(ho.k, hn.k) as k, ho.k is null as a, hn.k is null as c1,
                   coalesce(ho.h <> hn.h, false) as c2, false as f
            from ho full join hn on ho.k = hn.k
            where ho.k is null or hn.k is null or ho.h <> hn.h
            union all
            select k, false, false, false, true from (select k from fn except select k from fo)),
        cand as (select k, bool_or(a) as a, bool_or(c1) as c1, bool_or(c2) as c2, bool_or(f) as f
                 from diff group by k),
        dold as (select record_key as k, {pivot("o_")} from history.record_dates
                 where build_id = $b0 and mart = $m and record_key in (select k from cand) group by record_key),
        dnew as (select record_key as k, {pivot("n_")} from history.record_dates
                 where build_id = $b1 and mart = $m and record_key in (select k from cand) group by record_key),
        c as (select cand.*, dold.* exclude (k), dnew.* exclude (k)
              from cand left join dold on dold.k = cand.k left join dnew on dnew.k = cand.k)
        {" union all ".join(selects)}"""
    params: dict = {"b0": old, "b1": new, "m": mart}
    if key_table:
        params["t"] = key_table
    for g, (kind, start, end) in enumerate(groups):
        if start not in dates:
            continue
        spans = [period_span(pairs[i][0][1]) for i in groups[(kind, start, end)]]
        params.update({f"i{g}": groups[(kind, start, end)], f"s{g}": [s for s, _ in spans],
                       f"e{g}": [e for _, e in spans]})
    rows = con.execute(sql, params).fetchall()
    return {pairs[i][0]: (added, changed, failing) for i, added, changed, failing in rows}


def _reasons(con: duckdb.DuckDBPyConnection, old: Build, new: Build, wanted: list[tuple[str, str]]
             ) -> dict[tuple[str, str], tuple[str, int, int, int]]:
    """The reason and its counts for each (metric, period) in ``wanted``, worked out in DuckDB
    from the evidence kept with both builds."""
    by_mart: dict[str, list[tuple[tuple[str, str], Metric]]] = {}
    for mid, period in wanted:
        if mid in METRICS:
            m = source_metric(METRICS[mid])
            by_mart.setdefault(m.mart, []).append(((mid, period), m))
    dates = metric_dates()
    tables = hash_tables(con, old, new) if by_mart else None
    if by_mart and tables is None:
        log.warning("builds %s and %s hashed their rows differently (%s, %s): a changed record cannot be "
                    "seen, so 'records removed or changed' counts the removed records only", old.label,
                    new.label, old.hash_scheme or "md5", new.hash_scheme or "md5")
    counts: dict[tuple[str, str], tuple[int, int, int]] = {}
    for mart, pairs in by_mart.items():
        counts.update(_mart_reasons(con, old.build_id, new.build_id, mart, dates.get(mart, []),
                                    _key_table(con, mart), pairs, tables))
    out = {}
    for pair in wanted:
        found = counts.get(pair, (0, 0, 0))
        out[pair] = ("; ".join(text for text, n in zip(REASONS, found) if n), *found)
    return out


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
    reasons = _reasons(con, old, new, list(dict.fromkeys(
        zip(moved["metric_id"].to_list(), moved["period"].to_list()))))
    rows = []
    order = {mid: i for i, mid in enumerate(METRICS.ids)}
    for r in moved.iter_rows(named=True):
        why, added, changed, failing = reasons[(r["metric_id"], r["period"])]
        prev, cur = r["previous_value"], r["new_value"]
        rows.append({"metric_id": r["metric_id"], "period": r["period"], "breakdown": r["breakdown"] or "",
                     "previous_value": prev, "new_value": cur,
                     "difference": None if prev is None or cur is None else cur - prev,
                     "previous_build": old.label, "build": new.label, "reason": why,
                     "records_added": added, "records_removed_or_changed": changed,
                     "records_now_failing": failing, **{k: r[k] for k in _SIZES}})
    frame = pl.DataFrame(rows, schema={**REVISIONS_SCHEMA, **_SIZES})
    return frame.with_columns(pl.col("metric_id").replace_strict(order, default=len(order)).alias("_o")) \
        .sort(["_o", "period", "breakdown"]).drop("_o")


_KEY_TABLES: dict[str, str | None] = {}


def _key_table(con: duckdb.DuckDBPyConnection, mart: str) -> str | None:
    if mart not in _KEY_TABLES:
        try:
            first = con.execute(f'describe marts."{mart}"').fetchall()[0][0]
        except duckdb.Error:
            return None
        _KEY_TABLES[mart] = table_of_key(mart, first)
    return _KEY_TABLES[mart]


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
