"""The DfE series the package ships and what each metric is compared or reconciled with.

One place for the series catalogue, shared by :mod:`.refresh` (which builds the series),
:mod:`.compare` and :mod:`.reconcile` (which read them).
"""
from __future__ import annotations

import math

import polars as pl

from ..errors import ConfigError
from ..metrics.front_door import SOURCE_GROUPS  # one definition of the source groups
from ..reference import ReferenceData
from . import census_series

__all__ = [
    "COMPARATORS", "FALLBACK_CATALOGUE", "NOT_PUBLISHED", "RATES", "RECONCILED", "SERIES",
    "catalogue_of", "own_values", "source_text",
]

#: Rate series computed from a count series and the ONS 0–17 population.
RATES = {
    "referrals_rate_per_10k": "referrals",
    "cin_rate_per_10k": "cin_at_31_march",
    "cpp_rate_per_10k": "cpp_at_31_march",
}

#: Series: (title, unit). Order is the order of the data files.
SERIES = {
    "referrals": ("Referrals in the year", "count"),
    "referrals_rate_per_10k": ("Referrals per 10,000 children aged 0-17", "rate_per_10k"),
    "rereferrals_pct": ("Re-referrals within 12 months (% of referrals)", "percent"),
    "referrals_nfa_pct": ("Referrals closed with no further action (%)", "percent"),
    "cin_at_31_march": ("Children in need at 31 March", "count"),
    "cin_rate_per_10k": ("Children in need at 31 March per 10,000 children aged 0-17",
                         "rate_per_10k"),
    "cpp_at_31_march": ("Children on a child protection plan at 31 March", "count"),
    "cpp_rate_per_10k": ("Child protection plans at 31 March per 10,000 children aged 0-17",
                         "rate_per_10k"),
    "cpp_starts": ("Child protection plans starting in the year", "count"),
    "cpp_second_or_subsequent_pct": ("Plans starting that were a second or subsequent plan (%)",
                                     "percent"),
    "cpp_ended_2yrs_plus_pct": ("Plans ending in the year that lasted 2 years or more (%)",
                                "percent"),
    "assessments_45wd_pct": ("Assessments completed within 45 working days (%)", "percent"),
    "referral_source_police_pct": ("Referrals by source: Police (%)", "percent"),
    "referral_source_schools_pct": ("Referrals by source: Schools (%)", "percent"),
    "referral_source_health_pct": ("Referrals by source: Health services (%)", "percent"),
    **census_series.SERIES,
    "population": ("Children aged 0-17, ONS mid-year estimate (populations.csv)", "count"),
}
RATES.update(census_series.RATES)

#: (metric_id, breakdown) -> series, for the metrics compared in the scorecard, in order.
COMPARATORS: dict[tuple[str, str], str | None] = {
    ("referrals_rate_per_10k", ""): "referrals_rate_per_10k",
    ("rereferrals_12m_pct", ""): "rereferrals_pct",
    ("referrals_nfa_pct", ""): "referrals_nfa_pct",
    **{("referral_source_pct", g): s for g, s in zip(SOURCE_GROUPS, (
        "referral_source_police_pct", "referral_source_schools_pct",
        "referral_source_health_pct", None, None, None, None), strict=True)},
    ("assessments_within_45wd_pct", ""): "assessments_45wd_pct",
    ("cin_rate_per_10k", ""): "cin_rate_per_10k",
    ("cpp_rate_per_10k", ""): "cpp_rate_per_10k",
    ("cpp_second_or_subsequent_pct", ""): "cpp_second_or_subsequent_pct",
    ("cpp_ended_2yrs_plus_pct", ""): "cpp_ended_2yrs_plus_pct",
    **census_series.COMPARATORS,   # the whole CIN census (docs/metrics-extensions.md)
}

#: (metric_id, breakdown) -> series for which the DfE published the LA's own figure.
RECONCILED: dict[tuple[str, str], str] = {
    ("referrals", ""): "referrals",
    ("cin_at_31_march", ""): "cin_at_31_march",
    ("cpp_at_31_march", ""): "cpp_at_31_march",
    ("cpp_starts", ""): "cpp_starts",
    **{k: v for k, v in COMPARATORS.items() if v is not None},
}

NOT_PUBLISHED = ("not published in the DfE files used: LAIT publishes referrals by source "
                 "at LA level only for Police, Schools and Health services")

#: Used when ``scorecard.metrics.catalogue()`` is not available (polarity from interface 3).
FALLBACK_CATALOGUE = {
    "referrals": ("Referrals", "count", "neutral"),
    "referrals_rate_per_10k": ("Referrals per 10,000 children", "rate_per_10k", "neutral"),
    "rereferrals_12m_pct": ("Re-referrals within 12 months (%)", "percent", "lower"),
    "referrals_nfa_pct": ("Referrals with no further action (%)", "percent", "neutral"),
    "referral_source_pct": ("Referrals by source (%)", "percent", "neutral"),
    "assessments_within_45wd_pct": ("Assessments within 45 working days (%)", "percent",
                                    "higher"),
    "cin_at_31_march": ("Children in need at 31 March", "count", "neutral"),
    "cin_rate_per_10k": ("Children in need per 10,000 children", "rate_per_10k", "neutral"),
    "cpp_at_31_march": ("Child protection plans at 31 March", "count", "neutral"),
    "cpp_rate_per_10k": ("Child protection plans per 10,000 children", "rate_per_10k",
                         "neutral"),
    "cpp_starts": ("Child protection plans starting", "count", "neutral"),
    "cpp_second_or_subsequent_pct": ("Second or subsequent child protection plans (%)",
                                     "percent", "lower"),
    "cpp_ended_2yrs_plus_pct": ("Plans ended that lasted 2 years or more (%)", "percent",
                                "lower"),
    **census_series.FALLBACK_CATALOGUE,
}


def source_text(ref: ReferenceData, series: str, year: int) -> str:
    """The release(s) behind ``series`` for DfE year ``year``, for a ``source`` column."""
    meta = ref.series_meta(RATES.get(series, series))
    text = f"{meta['release']} ({meta['file']}: {meta['column']})"
    if series in RATES:
        pop = ref.series_meta("population")
        text += (f" per 10,000 children; ONS mid-{year - 1} population estimate, children "
                 f"aged 0-17 ({pop['file']})")
    return text


def own_values(metrics: pl.DataFrame, la_code: int) -> dict[tuple[str, str, str], float]:
    """(metric_id, period, breakdown) -> value for the LA, from a metrics frame (interface 2)."""
    if not isinstance(metrics, pl.DataFrame):
        raise ConfigError("metrics must be a polars DataFrame (the metrics frame)")
    need = {"metric_id", "period", "breakdown", "value"}
    if missing := need - set(metrics.columns):
        raise ConfigError(f"metrics frame lacks column(s) {', '.join(sorted(missing))}")
    frame = metrics
    if "la_code" in frame.columns:
        frame = frame.filter(pl.col("la_code").cast(pl.Int64, strict=False) == la_code)
    frame = frame.select(pl.col("metric_id").cast(pl.Utf8), pl.col("period").cast(pl.Utf8),
                         pl.col("breakdown").cast(pl.Utf8).fill_null(""),
                         pl.col("value").cast(pl.Float64, strict=False))
    out = {}
    for metric_id, period, breakdown, value in frame.iter_rows():
        if value is not None and math.isfinite(value):
            out[(metric_id, period, breakdown)] = value
    return out


def catalogue_of(catalogue: pl.DataFrame | None) -> dict[str, tuple[str, str, str]]:
    """metric_id -> (title, unit, polarity) from the catalogue frame (interface 3)."""
    if catalogue is None:
        from ..metrics import catalogue as metric_catalogue

        catalogue = metric_catalogue()
    need = {"metric_id", "title", "unit", "polarity"}
    if missing := need - set(catalogue.columns):
        raise ConfigError(f"catalogue lacks column(s) {', '.join(sorted(missing))}")
    out = dict(FALLBACK_CATALOGUE)
    for metric_id, title, unit, polarity in catalogue.select(
            "metric_id", "title", "unit", "polarity").iter_rows():
        if polarity not in ("higher", "lower", "neutral"):
            raise ConfigError(f"catalogue polarity {polarity!r} of {metric_id} is not "
                              "higher, lower or neutral")
        out[metric_id] = (title, unit, polarity)
    return out
