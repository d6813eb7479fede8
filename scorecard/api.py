"""The analyst API: metric values and benchmark comparisons as DataFrames.

>>> import scorecard
>>> scorecard.metrics("2022-23", metric="rereferrals_12m_pct")          # doctest: +SKIP
>>> scorecard.compare("2022-23", as_pandas=True)                          # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import polars as pl

from .config import settings as make_settings

__all__ = ["metrics", "compare", "open_db"]


def open_db(db: str | Path | None = None):
    """A connection to the scorecard database (default ``data/processed/scorecard.duckdb``)."""
    from .db import connect

    return connect(db or make_settings().db)


def _as_list(v: str | Iterable[str] | None) -> list[str] | None:
    return [v] if isinstance(v, str) else (list(v) if v is not None else None)


def _filter(frame: pl.DataFrame, metric, period, breakdown) -> pl.DataFrame:
    for col, wanted in (("metric_id", metric), ("period", period), ("breakdown", breakdown)):
        values = _as_list(wanted)
        if values is not None:
            frame = frame.filter(pl.col(col).is_in(values))
    return frame


def metrics(period: str, *, metric: str | Iterable[str] | None = None, breakdown: str | Iterable[str] | None = None,
            only_period: str | Iterable[str] | None = None, la_code: int | None = None,
            db: str | Path | None = None, con=None, as_pandas: bool = False):
    """Metric values for ``period`` from the loaded database: every complete financial year the
    data covers up to it, their months, and for a month the year to date (``2022-04/2023-01``)
    -- the periods a build reports (``docs/periods.md``).

    :param period: financial year ``2022-23`` or month ``2022-07``.
    :param metric: one metric id or several (default: all).
    :param breakdown: keep only these breakdown values (``""`` = rows without a breakdown).
    :param only_period: keep only these periods (e.g. ``"2022-23"`` without its months).
    :param la_code: DfE LA code (default from configuration: 370).
    :param db: database path; or pass an open ``con``.
    :param as_pandas: return a pandas DataFrame instead of polars.
    """
    from .metrics import availability, build_marts, compute

    s = make_settings(la_code=la_code)
    own = con is None
    con = con or open_db(db)
    try:
        build_marts(con)
        frame = compute(con, period, la_code=s.la_code, metric_ids=_as_list(metric))
        # a metric whose inputs no loaded file supplied is left out, never reported as zero
        frame = availability.drop(frame, availability.unavailable(con, _as_list(metric)))
    finally:
        if own:
            con.close()
    frame = _filter(frame, metric, only_period, breakdown)
    return frame.to_pandas() if as_pandas else frame


def compare(period: str, *, metric: str | Iterable[str] | None = None, breakdown: str | Iterable[str] | None = None,
            la_code: int | None = None, grouping: str | None = None, db: str | Path | None = None, con=None,
            as_pandas: bool = False):
    """The benchmark comparison (``scorecard.csv`` rows) for a financial year.

    Same filters as :func:`metrics`; ``grouping`` is ``"april_2021"`` or ``"may_2025"``
    (default: the statistical-neighbour grouping in force for the period).
    """
    from . import benchmarks
    from .metrics import catalogue
    from .periods import parse_period

    s = make_settings(la_code=la_code)
    fy = parse_period(period).financial_year.label
    values = metrics(fy, la_code=s.la_code, db=db, con=con)
    frame = benchmarks.compare(values, la_code=s.la_code, period=fy, grouping=grouping, catalogue=catalogue())
    frame = _filter(frame, metric, None, breakdown)
    return frame.to_pandas() if as_pandas else frame
