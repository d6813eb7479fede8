"""The DfE series behind the metrics the whole CIN census opens (docs/metrics-extensions.md).

Kept apart from :mod:`.series` and :mod:`.refresh`, which merge these tables into theirs:
section 47 enquiries and initial child protection conferences (LAIT, from the DfE's table
C4), CP plan starts per 10,000 (table D3 over the ONS population), CP plans at 31 March by
duration (table D5), CP reviews (LAIT ``RevCP``, table D6) and children in need by duration
(LAIT ``CINTime*`` and ``CINCease*``, tables B4 and B5).
"""
from __future__ import annotations

import polars as pl

from ..metrics.child_protection_extra import CPP_DURATION_BANDS
from ..metrics.children_in_need_extra import CIN_DURATION_BANDS
from ..metrics.definitions import METRICS

__all__ = ["COMPARATORS", "D5_COLUMNS", "DERIVED", "FALLBACK_CATALOGUE", "LAIT_SERIES",
           "NOT_PUBLISHED_NOTE", "RATES", "SERIES", "derived"]

_CPP_AT31 = tuple(f"cpp_at31_d{i}_pct" for i in range(1, 6))
_CIN_AT31 = tuple(f"cin_at31_d{i}_pct" for i in range(1, 6))
_CIN_ENDED = tuple(f"cin_end_d{i}_pct" for i in range(1, 6))

#: series -> (title, unit)
SERIES: dict[str, tuple[str, str]] = {
    "s47_rate_per_10k": ("Section 47 enquiries starting in the year per 10,000 children",
                         "rate_per_10k"),
    "icpc_rate_per_10k": ("Initial child protection conferences per 10,000 children",
                          "rate_per_10k"),
    "icpc_within_15wd_pct": ("Initial child protection conferences within 15 working days of "
                             "the strategy discussion (%)", "percent"),
    "icpc_per_s47_pct": ("Initial child protection conferences per 100 section 47 enquiries "
                         "(derived)", "percent"),
    "cpp_starts_rate_per_10k": ("Child protection plans starting in the year per 10,000 "
                                "children aged 0-17", "rate_per_10k"),
    **{s: (f"Children on a plan at 31 March: {b} (%)", "percent")
       for s, b in zip(_CPP_AT31, CPP_DURATION_BANDS, strict=True)},
    "cpp_reviewed_on_time_pct": ("Child protection cases reviewed within timescales (%)",
                                 "percent"),
    **{s: (f"Children in need at 31 March: {b} (%)", "percent")
       for s, b in zip(_CIN_AT31, CIN_DURATION_BANDS, strict=True)},
    **{s: (f"Children ceasing to be in need: {b} (%)", "percent")
       for s, b in zip(_CIN_ENDED, CIN_DURATION_BANDS, strict=True)},
}

#: rates computed from a published count and the ONS 0-17 population (as in :mod:`.series`)
RATES = {"cpp_starts_rate_per_10k": "cpp_starts"}

#: the DfE table D5 column of each band's percentage
D5_COLUMNS: dict[str, tuple[str, ...]] = dict(zip(_CPP_AT31, (
    ("3_months_or_less_percent",), ("more_than_3_months_6_months_percent",),
    ("more_than_6_months_less_than_1_year_percent",), ("1_year_less_than_2_years_percent",),
    ("2_years_or_more_percent",)), strict=True))

#: LAIT indicator (``Short Desc``) -> series
LAIT_SERIES: dict[str, str] = {
    "Section_47": "s47_rate_per_10k",
    "ISCP_Conf": "icpc_rate_per_10k",
    "CP_conf_15days": "icpc_within_15wd_pct",
    "RevCP": "cpp_reviewed_on_time_pct",
    **dict(zip(("CINTime3months", "CINTime3-6", "CINTime6-1", "CINTime1-2", "CINTime2more"),
               _CIN_AT31, strict=True)),
    **dict(zip(("CINCease3months", "CINCease3-6", "CINCease6-1", "CINCease1-2",
                "CINCease2more"), _CIN_ENDED, strict=True)),
}

#: series computed from two others: series -> (numerator series, denominator series, words)
DERIVED = {"icpc_per_s47_pct": ("icpc_rate_per_10k", "s47_rate_per_10k",
                                "ISCP_Conf / Section_47 x 100")}

#: (metric_id, breakdown) -> series, for the scorecard (None: the DfE files used have none)
COMPARATORS: dict[tuple[str, str], str | None] = {
    ("s47_rate_per_10k", ""): "s47_rate_per_10k",
    ("icpc_rate_per_10k", ""): "icpc_rate_per_10k",
    ("icpc_within_15wd_pct", ""): "icpc_within_15wd_pct",
    ("s47_led_to_icpc_pct", ""): "icpc_per_s47_pct",
    ("cpp_starts_rate_per_10k", ""): "cpp_starts_rate_per_10k",
    **{("cpp_at_31_march_by_duration", b): s
       for b, s in zip(CPP_DURATION_BANDS, _CPP_AT31, strict=True)},
    **{("cpp_ended_by_duration", b): ("cpp_ended_2yrs_plus_pct" if b == "2 years or more"
                                      else None) for b in CPP_DURATION_BANDS},
    ("cpp_reviewed_on_time_pct", ""): "cpp_reviewed_on_time_pct",
    **{("cin_at_31_march_by_duration", b): s
       for b, s in zip(CIN_DURATION_BANDS, _CIN_AT31, strict=True)},
    **{("cin_ended_by_duration", b): s
       for b, s in zip(CIN_DURATION_BANDS, _CIN_ENDED, strict=True)},
}

#: metric_id -> (title, unit, polarity), from the declarations themselves
FALLBACK_CATALOGUE = {m: (METRICS[m].title, METRICS[m].unit, METRICS[m].polarity)
                      for m, _ in COMPARATORS}

NOT_PUBLISHED_NOTE = (
    "Child protection plans ending by duration: the DfE's table D7 was not among the files "
    "supplied; LAIT publishes only its 2 years or more share (CPPlans2yrs), so only that band "
    "of `cpp_ended_by_duration` has comparators. Section 47 enquiries that led to a "
    "conference: the DfE publishes no such percentage; `icpc_per_s47_pct` is derived as "
    "conferences held in the year per 100 enquiries started in the year (LAIT ISCP_Conf / "
    "Section_47, both per 10,000 of the same population), which counts conferences, not "
    "enquiries that led to one.")


def derived(tidy: pl.DataFrame) -> pl.DataFrame:
    """The :data:`DERIVED` series from the tidy values (``series, year, code, value,
    status``): numerator / denominator x 100, rounded to 6 places; where either is missing
    the value is blank and ``status`` carries the missing one's marker."""
    out = []
    for name, (num, den, _) in DERIVED.items():
        a = tidy.filter(pl.col("series") == num).select(
            "year", "code", pl.col("value").alias("a"), pl.col("status").alias("sa"))
        b = tidy.filter(pl.col("series") == den).select(
            "year", "code", pl.col("value").alias("b"), pl.col("status").alias("sb"))
        joined = a.join(b, on=["year", "code"], how="inner")
        ok = pl.col("a").is_not_null() & pl.col("b").is_not_null() & (pl.col("b") != 0)
        out.append(joined.select(
            pl.lit(name).alias("series"), "year", "code",
            pl.when(ok).then((pl.col("a") / pl.col("b") * 100).round(6)).alias("value"),
            pl.when(ok).then(pl.lit(""))
            .when(pl.col("a").is_null()).then(pl.col("sa"))
            .when(pl.col("b").is_null()).then(pl.col("sb"))
            .otherwise(pl.lit("x")).alias("status")))
    return pl.concat(out) if out else tidy.clear()
