"""Compute registered metrics for a period set: one grouped query per mart and period rule.

``compute(con, "2022-23")`` returns the metrics frame (``metrics.csv``): every metric for
every complete financial year the data covers up to the period (at most ten), their complete
months, and for a month (``2023-01``) the year to date (``2022-04/2023-01``) and the same span a
year earlier -- never a month after the period, nor a year the data does not reach the end of
(:mod:`.reach`). Monthly-only metrics get month rows, yearly-only metrics year (and year to
date) rows.

Coverage: a period appears for a metric only when it overlaps the dates present in the
metric's mart (so a year before the first record reads as absent, not as zero). Inside that
span an empty period is a real zero. A percentage whose denominator is zero, and a rate whose
population is unknown, is absent: never a wrong number.
"""
from __future__ import annotations

import contextlib
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from ..errors import ConfigError
from .. import reference
from ..periods import Period, parse_period
from ..schema import TABLES
from . import (  # noqa: F401 (register)
    child_protection, child_protection_extra, children_in_need, children_in_need_extra, front_door,
    missing)
from . import delta
from .definitions import METRICS, Metric
from .marts import build_marts, build_models, mart_models, mart_sources, quote, record_local
from .reach import Reach, build_periods, data_reach, year_from

__all__ = ["CATALOGUE_SCHEMA", "METRICS_SCHEMA", "catalogue", "compute", "period_set",
           "timed_compute"]

#: Interface 2: the metrics frame.
METRICS_SCHEMA = {"metric_id": pl.Utf8, "period": pl.Utf8, "breakdown": pl.Utf8,
                  "la_code": pl.Int64, "value": pl.Float64, "numerator": pl.Float64,
                  "denominator": pl.Float64}
#: Interface 3: the catalogue frame.
CATALOGUE_SCHEMA = {"metric_id": pl.Utf8, "title": pl.Utf8, "description": pl.Utf8,
                    "unit": pl.Utf8, "polarity": pl.Utf8, "periods": pl.Utf8, "group": pl.Utf8,
                    "benchmark": pl.Utf8}

Population = Callable[[int, int], "int | None"]
_PERIODS_VIEW = "_scorecard_metric_periods"


def catalogue() -> pl.DataFrame:
    """Every registered metric: id, title, description, unit, polarity, periods, group and
    benchmark series (interface 3), in registration order."""
    return pl.DataFrame(
        [{"metric_id": m.id, "title": m.title, "description": m.description, "unit": m.unit,
          "polarity": m.polarity, "periods": ",".join(m.periods), "group": m.group,
          "benchmark": m.benchmark} for m in METRICS],
        schema=CATALOGUE_SCHEMA,
    )


def period_set(period: str) -> list[Period]:
    """The two years every build of ``period`` covers: its financial year and that year's
    months, then the previous financial year and its months. (What :func:`compute` reports
    is :func:`.reach.build_periods`: only complete periods, more years, the year to date.)

    :raises ConfigError: when ``period`` is neither ``YYYY-YY`` nor ``YYYY-MM``
    """
    try:
        fy = parse_period(period).financial_year
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    prev = fy.previous()
    return [fy, *fy.months(), prev, *prev.months()]


def _select(metric_ids: Iterable[str] | None) -> list[Metric]:
    if metric_ids is None:
        return list(METRICS)
    ids = [metric_ids] if isinstance(metric_ids, str) else list(metric_ids)
    unknown = [i for i in ids if i not in METRICS]
    if unknown:
        raise ConfigError(f"unknown metric id(s): {', '.join(unknown)}; "
                          f"known: {', '.join(METRICS.ids)}")
    return [m for m in METRICS if m.id in ids]


def _existing_marts(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("select table_name from duckdb_tables() "
                       "where schema_name = 'marts' and database_name = current_database()"
                       ).fetchall()
    return {r[0] for r in rows}


def _ensure_marts(con: duckdb.DuckDBPyConnection) -> None:
    if not set(mart_models()) <= _existing_marts(con):
        build_marts(con)


def _left_out(con: duckdb.DuckDBPyConnection, exclude: Mapping[str, Iterable[str]], prefix: str,
              created: list[str]) -> dict[str, str]:
    """The ids of ``exclude`` as temporary tables of ``record_id``, ``{table: relation}``."""
    unknown = sorted(set(exclude) - set(TABLES))
    if unknown:
        raise ConfigError(f"cannot exclude records of unknown table(s): {', '.join(unknown)}")
    out = {}
    for table, ids in exclude.items():
        out[table] = quote("temp", "main", f"{prefix}ids_{table}")
        created.append(("table", out[table]))
        con.execute(f"create temporary table {out[table]} as "
                    f"select unnest(cast($ids as varchar[])) as record_id",
                    {"ids": sorted({str(i) for i in ids})}).fetchall()
    return out


def _excluded_marts(con: duckdb.DuckDBPyConnection, left_out: Mapping[str, str],
                    prefix: str, created: list[str]) -> dict[str, str]:
    """Build, as temporary tables named ``prefix...``, staging copies without the records of
    ``left_out`` (``{table: relation of their ids}``) and the marts that read them; other
    marts are read from ``marts``.

    Temporary tables are allowed inside the caller's open transaction and never touch the
    database file. Returns {mart: relation} for every mart; appends each temporary relation to
    ``created`` (as ``(kind, relation)``, kind ``table`` or ``view``) before making it, so the
    caller can drop them whatever happens."""
    sources = {}
    for table, ids in left_out.items():
        sources[table] = quote("temp", "main", f"{prefix}staging_{table}")
        # a view, not a copy: no whole copy of the table is written per check; each mart that
        # reads the table applies the anti-join itself (a few marts read the same table)
        created.append(("view", sources[table]))
        con.execute(
            f"create temporary view {sources[table]} as "
            f"select s.* from {quote('staging', table)} as s "
            f"anti join {ids} as x on s.{quote(TABLES[table].id_column)} = x.record_id"
        ).fetchall()
    affected = {m for m, reads in mart_sources().items() if reads & set(left_out)}
    relations = {m: quote("temp", "main", f"{prefix}marts_{m}") if m in affected
                 else quote("marts", m) for m in mart_models()}
    # a mart record-local in the one table it loses records of is the mart less their rows:
    # a view of it, not built again (the marts that read it are)
    local = {m for m in affected if _local_in(m, left_out) is not None}
    for m in sorted(local):
        table, column = record_local()[m]
        created.append(("view", relations[m]))
        con.execute(f"create temporary view {relations[m]} as select m.* from {quote('marts', m)} as m "
                    f"anti join {left_out[table]} as x on m.{quote(column)} = x.record_id").fetchall()
    created += [("table", relations[m]) for m in mart_models() if m in affected - local]
    build_models(con, relations, sources=sources, reuse=set(mart_models()) - (affected - local),
                 temporary=True)
    return relations


def _condition(kind: str, start: str, end: str | None) -> str:
    """The join condition putting mart row ``m`` in period ``p`` (a blank end is open; it is
    written with ``coalesce`` so that DuckDB can use a range join)."""
    s = f"m.{quote(start)}"
    if kind == "flow":
        return f"{s} between p.start_date and p.end_date"
    e = f"coalesce(m.{quote(end)}, date '9999-12-31')"
    if kind == "open_at_end":
        return f"{s} <= p.end_date and {e} > p.end_date"
    return f"{s} <= p.end_date and {e} >= p.start_date"


def _span(start: str, end: str | None) -> str:
    """The select list of a mart's (``m``) first and last date."""
    s = f"m.{quote(start)}"
    last = f"greatest({s}, coalesce(m.{quote(end)}, {s}))" if end else s
    return f"min({s}), max({last})"


def _coverage(con, relation: str, start: str, end: str | None) -> tuple[date | None, date | None]:
    return con.execute(f"select {_span(start, end)} from {relation} as m").fetchall()[0]


def _expressions(metrics: list[Metric]) -> tuple[list[str], list[str]]:
    """The aggregate expressions (the row count always among them) and breakdown columns."""
    exprs = list(dict.fromkeys([x for m in metrics for x in (m.numerator, m.denominator) if x]
                               + [delta.ROWS]))
    return exprs, list(dict.fromkeys(m.breakdown for m in metrics if m.breakdown))


def _initial(metrics: list[Metric]) -> set[tuple[str, str]]:
    """The (breakdown column, category) groups a covered period has even without rows."""
    return {(m.breakdown, cat) for m in metrics for cat in m.breakdown_values}


def _query_group(con, relation: str, kind: str, start: str, end: str | None,
                 metrics: list[Metric], periods: list[Period],
                 kept: delta.Kept | None = None) -> list[dict]:
    """Evaluate every expression of ``metrics`` (all on one mart and one period rule) for
    every period, overall and by each breakdown column, in one grouped query.

    Returns records {period, column, category, values: {expression: value}} where
    ``column`` is "" for the whole period. ``kept``: filled with the mart's span and the
    groups (for :func:`.delta.query_group`)."""
    exprs, breakdowns = _expressions(metrics)
    first, last = _coverage(con, relation, start, end)
    if kept is not None:
        kept.first, kept.last = first, last
    if first is None:
        return []
    covered = {p.label for p in periods if p.start <= last and p.end >= first}
    aggs = ", ".join(f"{x} as e{i}" for i, x in enumerate(exprs))
    cats, sets = delta.grouping_sql(breakdowns)
    rows = con.execute(
        f"select p.label{cats}, {aggs} from {relation} as m "
        f"join {_PERIODS_VIEW} as p on {_condition(kind, start, end)} "
        f"group by grouping sets ({sets})"
    ).fetchall()
    empty = con.execute(f"select {aggs} from {relation} as m where false").fetchall()[0]
    out: dict[tuple[str, str, str], dict[str, object]] = {}
    for label in covered:  # an empty period is the aggregates' value over no rows
        out[(label, "", "")] = dict(zip(exprs, empty))
        for m in metrics:
            for cat in m.breakdown_values:
                out[(label, m.breakdown, cat)] = dict(zip(exprs, empty))
    for row in rows:
        group, values = delta.group_of(row, breakdowns)
        if group[0] in covered:
            out[group] = dict(zip(exprs, values))
    if kept is not None:
        kept.values = out
        kept.periods, kept.breakdowns = frozenset(p.label for p in periods), frozenset(breakdowns)
    return [{"period": k[0], "column": k[1], "category": k[2], "values": v}
            for k, v in out.items()]


def _local_in(mart: str, tables: Iterable[str]) -> tuple[str, str] | None:
    """``(table, id column)`` when ``mart`` reads one of ``tables`` (those losing records) and is
    record-local in it (:func:`.marts.record_local`): it is then the mart less their rows."""
    local = record_local().get(mart)
    return local if local is not None and mart_sources()[mart] & set(tables) == {local[0]} else None


def _local(group: tuple, metrics: list[Metric], exclude: Mapping[str, Iterable[str]],
           kept: dict | None, periods: list[Period]) -> tuple[str, str] | None:
    """``(table, id column)`` when the figures of ``metrics`` (``group``: their mart and period
    rule) without ``exclude`` can be worked out from ``kept`` (:mod:`.delta`): the mart reads
    one excluded table and is record-local in it, every expression is a count, and the earlier
    call kept them all, for these periods and breakdowns."""
    local = _local_in(group[0], exclude)
    if kept is None or group not in kept or local is None:
        return None
    exprs, breakdowns = _expressions(metrics)
    if delta.counted(exprs) is None:
        return None
    if not ({p.label for p in periods} <= kept[group].periods and set(breakdowns) <= kept[group].breakdowns):
        return None
    values = next(iter(kept[group].values.values()), None)
    if values is not None and not set(exprs) <= set(values):
        return None
    return local


def _reported(metric: Metric, kind: str) -> bool:
    """Whether ``metric`` is reported for a period of ``kind`` (a year to date: the yearly
    metrics other than figures at 31 March and rates, which exist only for a whole year)."""
    if kind == "span":
        return ("year" in metric.periods and metric.kind != "open_at_end"
                and metric.unit != "rate_per_10k")
    return kind in metric.periods


@dataclass(frozen=True)
class _Since:
    """From when a metric's figures rest on full-volume data (:mod:`.reach`): ``year`` the
    first period start it is reported for, ``full_from`` the first full-volume month of the
    tables it reads (for a look-back); None: no limit."""

    year: date | None = None
    full_from: date | None = None

    def allows(self, metric: Metric, start: date) -> bool:
        if self.year is not None and start < self.year:
            return False
        return not (metric.lookback_days and self.full_from is not None
                    and (start - self.full_from).days < metric.lookback_days)


def _since(metric: Metric, reach: Reach, build_year: Period) -> _Since:
    full_from = reach.start_of(mart_sources()[metric.mart])
    if full_from is None:
        return _Since()
    # never later than the year before the build's, which a build always reports
    return _Since(min(year_from(full_from).start, build_year.previous().start), full_from)


def _rows_for(metric: Metric, groups: list[dict], kinds: dict[str, str], la_code: int,
              population: Population | None, starts: dict[str, date] | None = None,
              since: _Since = _Since()) -> list[dict]:
    totals = {g["period"]: g["values"] for g in groups if g["column"] == ""}
    rows = []
    for g in groups:
        if not _reported(metric, kinds[g["period"]]):
            continue
        if starts and not since.allows(metric, starts[g["period"]]):
            continue  # before the data of the tables it reads is at full volume
        if g["column"] != (metric.breakdown or ""):
            continue
        num = g["values"][metric.numerator]
        den = None
        if metric.unit == "percent":
            den = totals[g["period"]][metric.denominator] if metric.breakdown else \
                g["values"][metric.denominator]
            if not den:
                continue
            value = 100.0 * num / den
        elif metric.unit == "rate_per_10k":
            den = population(la_code, int(g["period"][:4])) if population else None
            if not den:
                continue
            value = 10_000.0 * num / den
        else:
            value = num
        rows.append({"metric_id": metric.id, "period": g["period"], "breakdown": g["category"],
                     "la_code": la_code, "value": value, "numerator": num if den else None,
                     "denominator": den})
    return rows


def _means(metric: Metric, monthly: list[dict], periods: list[Period], la_code: int) -> list[dict]:
    values = {r["period"]: r["value"] for r in monthly if r["breakdown"] == ""}
    rows = []
    for p in periods:
        if p.kind not in ("year", "span"):
            continue
        months = [values.get(m.label) for m in p.months()]
        if any(v is None for v in months):
            continue  # a month outside the data: no mean rather than a wrong one
        rows.append({"metric_id": metric.id, "period": p.label, "breakdown": "",
                     "la_code": la_code, "value": sum(months) / len(months),
                     "numerator": float(sum(months)), "denominator": float(len(months))})
    return rows


def compute(con: duckdb.DuckDBPyConnection, period: str, *, la_code: int = 370,
            population: Population | None = None,
            exclude: Mapping[str, Iterable[str]] | None = None,
            metric_ids: Iterable[str] | None = None,
            reach: Reach | None = None, years: int | None = None,
            kept: dict | None = None) -> pl.DataFrame:
    """Compute metrics for the complete years and months up to ``period`` (and its year to
    date), as :func:`.reach.build_periods` gives them.

    :param con: a connection with ``staging.*`` loaded; the marts are built if missing (the
        build step should call :func:`build_marts` after every load so they are fresh)
    :param period: ``YYYY-YY`` or ``YYYY-MM``
    :param la_code: the LA code written in the ``la_code`` column
    :param population: ``population(la_code, calendar_year) -> int | None``, the 0-17
        population used for rates (default: ``scorecard.reference.population``); when it is
        unknown the rate row is absent
    :param exclude: records to leave out, ``{staging table: {record id}}``; staging and the
        marts are not touched (the affected marts are rebuilt as temporary tables, dropped
        afterwards)
    :param metric_ids: metrics to compute (default: all)
    :param reach: how far the data reaches (default: :func:`.reach.data_reach` of ``con``
        with the default date floor and no placeholder dates; the build passes its own)
    :param years: compute at most this many financial years, the period's included (default:
        every year the data covers, up to :data:`.reach.MAX_YEARS`)
    :param kept: without ``exclude``, filled with what each grouped query found (a dict the
        caller keeps); with ``exclude``, what an earlier call with every record and the same
        ``period``, ``la_code``, ``population`` and ``reach`` kept in it, so that a mart
        record-local in the excluded table (:func:`.marts.record_local`) is not built again:
        its figures are those figures less what the excluded records counted (:mod:`.delta`)
    :returns: the metrics frame (interface 2), ordered by metric, period and breakdown
    :raises ConfigError: on a bad period, metric id or table name
    """
    try:
        parse_period(period)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    wanted = _select(metric_ids)
    needed = list(dict.fromkeys(
        [METRICS[m.of] for m in wanted if m.of] + [m for m in wanted if not m.of]))
    if population is None:
        population = reference.population
    _ensure_marts(con)
    reach = reach if reach is not None else data_reach(con)
    periods = build_periods(period, reach, years=years)
    starts = {p.label: p.start for p in periods}
    build_year = parse_period(period).financial_year
    if not periods:
        return pl.DataFrame(schema=METRICS_SCHEMA)
    grouped: dict[tuple, list[Metric]] = defaultdict(list)
    for m in needed:
        grouped[(m.mart, m.kind, m.date_column, m.end_column)].append(m)
    local = {g: _local(g, ms, exclude, kept, periods) for g, ms in grouped.items()} if exclude else {}
    created: list[tuple[str, str]] = []
    try:
        relations = {m: quote("marts", m) for m in mart_models()}
        if exclude:
            prefix = f"_scorecard_exclude_{uuid.uuid4().hex[:12]}_"
            left_out = _left_out(con, exclude, prefix, created)
            if any(local[g] is None and mart_sources()[g[0]] & set(exclude) for g in grouped):
                relations = _excluded_marts(con, left_out, prefix, created)
        con.register(_PERIODS_VIEW, pl.DataFrame(
            [{"label": p.label, "kind": p.kind, "start_date": p.start, "end_date": p.end}
             for p in periods]).to_arrow())
        kinds = {p.label: p.kind for p in periods}
        by_id: dict[str, list[dict]] = {}
        for (mart, kind, start, end), ms in grouped.items():
            if local.get((mart, kind, start, end)) is not None:
                table, column = local[(mart, kind, start, end)]
                exprs, breakdowns = _expressions(ms)
                groups = delta.query_group(
                    con, relation=quote("marts", mart), ids=left_out[table], id_column=column,
                    condition=_condition(kind, start, end), periods_view=_PERIODS_VIEW,
                    coverage=_span(start, end), exprs=exprs, breakdowns=breakdowns,
                    initial=_initial(ms), periods=periods, kept=kept[(mart, kind, start, end)])
            else:
                store = delta.Kept(None, None) if kept is not None and not exclude else None
                groups = _query_group(con, relations[mart], kind, start, end, ms, periods, store)
                if store is not None:
                    kept[(mart, kind, start, end)] = store
            for m in ms:
                by_id[m.id] = _rows_for(m, groups, kinds, la_code, population, starts,
                                        _since(m, reach, build_year))
        for m in wanted:
            if m.of:
                by_id[m.id] = _means(m, by_id[m.of], periods, la_code)
    finally:
        # after a failed statement the caller's transaction may be aborted, so clean-up is
        # best effort; temporary tables go with the connection in any case
        with contextlib.suppress(duckdb.Error):
            con.unregister(_PERIODS_VIEW)
            for kind, relation in reversed(created):
                con.execute(f"drop {kind} if exists {relation}").fetchall()
    order = {p.label: i for i, p in enumerate(periods)}
    rows = [r for m in wanted for r in sorted(
        by_id[m.id], key=lambda r, m=m: (order[r["period"]], _category_rank(m, r["breakdown"])))]
    return pl.DataFrame(rows, schema=METRICS_SCHEMA)


def timed_compute(con: duckdb.DuckDBPyConnection, period: str,
                  **kwargs) -> tuple[pl.DataFrame, dict[str, float]]:
    """Rebuild the marts, then compute every metric, timing each step (for benchmarks).

    :param con: a connection with ``staging.*`` loaded
    :param period: as for :func:`compute`; ``kwargs`` are passed on to it
    :param years: compute at most this many financial years, the period's included (default:
        every year the data covers, up to :data:`.reach.MAX_YEARS`)
    :returns: the metrics frame and ``{"marts": s, "compute": s, "total": s}`` in seconds

    >>> frame, seconds = timed_compute(con, "2022-23")  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    build_marts(con)
    t1 = time.perf_counter()
    frame = compute(con, period, **kwargs)
    t2 = time.perf_counter()
    return frame, {"marts": t1 - t0, "compute": t2 - t1, "total": t2 - t0}


def _category_rank(metric: Metric, category: str) -> tuple[int, str]:
    values = metric.breakdown_values
    return (values.index(category), "") if category in values else (len(values), category)
