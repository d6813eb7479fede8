"""Scorecard rows for a month (``scorecard build --period 2023-01``).

The DfE publishes its children in need and child protection statistics for whole years, so a
month has no England or statistical-neighbour comparator. A month build's ``scorecard.csv``
still names the month it is for: one row per metric with a value for the month (no
breakdown), the LA's value beside the same month a year earlier (``previous_value``) and the
direction of travel between them; comparators, quartile, rank and RAG are blank and
``source`` says why. These rows come before the year rows :func:`.compare.compare` gives.
"""
from __future__ import annotations

import polars as pl

from ..periods import parse_period
from .compare import SCORECARD_COLUMNS, direction

__all__ = ["NO_MONTHLY_COMPARATOR", "month_rows"]

NO_MONTHLY_COMPARATOR = ("no DfE comparator for a month: the DfE publishes these statistics "
                         "for whole years")


def month_rows(metrics: pl.DataFrame, catalogue: pl.DataFrame, *, la_code: int, period: str,
               la_name: str, region_name: str | None = None) -> pl.DataFrame:
    """The scorecard rows for month ``period`` (empty for a year)."""
    p = parse_period(period)
    if p.kind != "month":
        return pl.DataFrame(schema=SCORECARD_COLUMNS)
    before = p.previous().label
    own = {(m, q): v for m, q, b, v in metrics.filter(pl.col("la_code") == la_code).select(
        "metric_id", "period", "breakdown", "value").iter_rows() if not b}
    rows = []
    for meta in catalogue.iter_rows(named=True):
        mid = meta["metric_id"]
        if (mid, period) not in own:
            continue
        value, previous = own[(mid, period)], own.get((mid, before))
        rows.append({
            "metric_id": mid, "title": meta["title"], "unit": meta["unit"],
            "polarity": meta["polarity"], "period": period, "breakdown": "", "la_code": la_code,
            "la_name": la_name, "value": value, "previous_value": previous,
            "region_name": region_name, "rag": "",
            "direction": direction(value, previous, meta["polarity"]),
            "benchmark_period": "", "source": NO_MONTHLY_COMPARATOR,
        })
    return pl.DataFrame(rows, schema=SCORECARD_COLUMNS)
