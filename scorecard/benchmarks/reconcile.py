"""Reconcile the package's own figures with what the DfE published for the LA itself.

Local and statutory counts differ (census rules, late recording, migration): the
reconciliation says by how much, for every series in :data:`.series.RECONCILED`.
"""
from __future__ import annotations

import polars as pl

from ..errors import ConfigError
from ..reference import ReferenceData, parse_year
from .series import FALLBACK_CATALOGUE, RECONCILED, catalogue_of, own_values, source_text

__all__ = ["RECONCILE_COLUMNS", "reconcile"]

RECONCILE_COLUMNS = {
    "metric_id": pl.Utf8, "title": pl.Utf8, "unit": pl.Utf8, "period": pl.Utf8,
    "breakdown": pl.Utf8, "la_code": pl.Int64, "la_name": pl.Utf8, "value": pl.Float64,
    "published": pl.Float64, "published_status": pl.Utf8, "difference": pl.Float64,
    "pct_difference": pl.Float64, "benchmark_period": pl.Utf8, "source": pl.Utf8,
}


def reconcile(ref: ReferenceData, metrics: pl.DataFrame, *, la_code: int = 370,
              period: str = "2022-23") -> pl.DataFrame:
    """The package's values beside the figures the DfE published for the LA itself.

    One row per metric in :data:`RECONCILED` for ``period``: ``value`` (package),
    ``published`` (DfE; rates are the DfE count over the named ONS population),
    ``published_status`` (a DfE marker when suppressed), ``difference`` = value −
    published and ``pct_difference`` = difference / published × 100, with the source.
    Local and statutory counts differ (census rules, late recording, migration), so this
    says by how much.
    """
    fy = parse_year(period)
    if fy.kind != "year":
        raise ConfigError(f"DfE figures are annual: give a financial year such as "
                          f"{fy.financial_year.label!r}, not the month {period!r}")
    area = ref.area(la_code)
    own = own_values(metrics, la_code)
    cat = catalogue_of(None)
    year = fy.end.year
    rows = []
    for (metric_id, breakdown), series in RECONCILED.items():
        title, unit, _ = cat.get(metric_id, FALLBACK_CATALOGUE[metric_id])
        hit = ref.year_values(series, year).filter(pl.col("code") == area["code"])
        published = hit["value"][0] if hit.height else None
        status = hit["status"][0] if hit.height else "not published"
        value = own.get((metric_id, fy.label, breakdown))
        diff = value - published if value is not None and published is not None else None
        rows.append({
            "metric_id": metric_id, "title": title, "unit": unit, "period": fy.label,
            "breakdown": breakdown, "la_code": la_code, "la_name": area["name"],
            "value": value, "published": published, "published_status": status,
            "difference": diff,
            "pct_difference": diff / published * 100 if diff is not None and published
            else None,
            "benchmark_period": fy.label if hit.height else "",
            "source": source_text(ref, series, year),
        })
    return pl.DataFrame(rows, schema=RECONCILE_COLUMNS)
