"""Compare the LA's figures with England, its region and its statistical neighbours.

RAG rule (metrics with a polarity; neutral metrics get no RAG)
--------------------------------------------------------------
- green: the LA's value is at least as good as the statistical-neighbour mean;
- amber: worse than the statistical-neighbour mean but at least as good as England;
- red: worse than both the statistical-neighbour mean and England.
Where only one of the two comparators is published, green when at least as good as it, red
otherwise. No RAG when the LA has no value or neither comparator is published.

Quartile and rank
-----------------
The LA's own (package-computed) value is placed among the other English LAs' published values
for the benchmark year. ``rank`` = 1 + the number of other LAs with a strictly better value
(ties share the best rank); ``rank_of`` = the number of LAs with a value (the others, plus the
LA itself when it has a value); ``quartile`` = ``floor(4 * (rank - 1) / rank_of) + 1`` (1 = best).
"Better" follows the metric's polarity: higher for ``higher``, lower for ``lower``; for
``neutral`` metrics rank 1 and quartile 1 are the *lowest* value (not a judgement).
"""
from __future__ import annotations

import re
import statistics

import polars as pl

from ..errors import ConfigError
from ..reference import ENGLAND, ReferenceData, grouping_for_period, parse_year
from .series import (COMPARATORS, FALLBACK_CATALOGUE, NOT_PUBLISHED, catalogue_of, own_values,
                     source_text)

__all__ = ["SCORECARD_COLUMNS", "compare", "direction", "rag", "rank"]

SCORECARD_COLUMNS = {
    "metric_id": pl.Utf8, "title": pl.Utf8, "unit": pl.Utf8, "polarity": pl.Utf8,
    "period": pl.Utf8, "breakdown": pl.Utf8, "la_code": pl.Int64, "la_name": pl.Utf8,
    "value": pl.Float64, "previous_value": pl.Float64, "england": pl.Float64,
    "region": pl.Float64, "region_name": pl.Utf8, "sn_mean": pl.Float64,
    "sn_median": pl.Float64, "sn_grouping": pl.Utf8, "quartile": pl.Int64, "rank": pl.Int64,
    "rank_of": pl.Int64, "rag": pl.Utf8, "direction": pl.Utf8, "benchmark_period": pl.Utf8,
    "source": pl.Utf8,
}

_EPS = 1e-9
_FY = re.compile(r"^\d{4}-\d{2}$")


def compare(ref: ReferenceData, metrics: pl.DataFrame, *, la_code: int = 370,
            period: str = "2022-23", grouping: str | None = None,
            catalogue: pl.DataFrame | None = None) -> pl.DataFrame:
    """The scorecard frame (interface 4) for ``period``, the previous year and every earlier
    year ``metrics`` carries a compared value for (the trend).

    One row per compared metric, breakdown and period (the requested financial year
    first, then the previous one, then each earlier year), for every metric in
    :data:`COMPARATORS`: the spec's
    list plus ``referrals_nfa_pct`` and every ``referral_source_pct`` group. ``value`` and
    ``previous_value`` come from ``metrics`` (the package's own values; blank when absent);
    England, region and statistical-neighbour mean and median come from the DfE data for
    the benchmark year (each row's own year, or the latest published before it — see
    ``benchmark_period``), so every year of a trend is compared with that year's figures;
    the statistical neighbours are the same LAs (the build year's grouping) in every year. Quartile, rank, RAG and direction follow the module docstring.
    Source groups the DfE does not publish get a row with blank comparators and a
    ``source`` saying so. ``grouping`` defaults to the grouping in force for the period.
    """
    fy = parse_year(period)
    if fy.kind != "year":
        raise ConfigError(f"benchmarks are annual: give a financial year such as "
                          f"{fy.financial_year.label!r}, not the month {period!r}")
    grouping = grouping or grouping_for_period(fy.label)
    area = ref.area(la_code)
    neighbours = ref.statistical_neighbours(la_code, grouping)
    own = own_values(metrics, la_code)
    cat = catalogue_of(catalogue)
    rows = []
    for label, before in _years(fy, own):
        year = int(label[:4]) + 1
        for (metric_id, breakdown), series in COMPARATORS.items():
            title, unit, polarity = cat.get(metric_id, FALLBACK_CATALOGUE[metric_id])
            row = {
                "metric_id": metric_id, "title": title, "unit": unit, "polarity": polarity,
                "period": label, "breakdown": breakdown, "la_code": la_code,
                "la_name": area["name"], "value": own.get((metric_id, label, breakdown)),
                "previous_value": own.get((metric_id, before, breakdown)),
                "region_name": area["region_name"], "sn_grouping": grouping,
                "benchmark_period": "", "source": NOT_PUBLISHED,
            }
            if series is not None:
                row.update(_comparators(ref, series, year, area, neighbours, row["value"],
                                        polarity))
            row["rag"] = rag(row["value"], row.get("sn_mean"), row.get("england"), polarity)
            row["direction"] = direction(row["value"], row["previous_value"], polarity)
            rows.append(row)
    return pl.DataFrame(rows, schema=SCORECARD_COLUMNS)


def _years(fy, own: dict) -> list[tuple[str, str]]:
    """(year, the year before) for the build year, the previous year and each earlier
    financial year the metrics carry a compared value for, newest first."""
    compared = {m for m, _ in COMPARATORS}
    prev = fy.previous()
    earlier = sorted({p for (m, p, _) in own if m in compared and _FY.match(p)
                      and p[5:] == f"{(int(p[:4]) + 1) % 100:02d}" and p < prev.label},
                     reverse=True)
    years = [fy, prev] + [parse_year(p) for p in earlier]
    return [(p.label, p.previous().label) for p in years]


def _comparators(ref: ReferenceData, series: str, year: int, area: dict, neighbours: list[int],
                 own: float | None, polarity: str) -> dict:
    used = ref.latest_year(series, year)
    if used is None:
        return {"source": f"no DfE value for {year - 1}-{year % 100:02d} or earlier"}
    values = ref.year_values(series, used).filter(pl.col("value").is_not_null())
    by_code = dict(values.select("code", "value").iter_rows())
    sn = [by_code[f"{c:03d}"] for c in neighbours if f"{c:03d}" in by_code]
    others = values.filter(pl.col("code").str.contains(r"^\d{3}$")
                           & (pl.col("code") != area["code"]))["value"].to_list()
    position, rank_of, quartile = rank(own, others, polarity)
    return {
        "england": by_code.get(ENGLAND), "region": by_code.get(area["region_code"]),
        "sn_mean": round(statistics.fmean(sn), 6) if sn else None,
        "sn_median": round(statistics.median(sn), 6) if sn else None,
        "rank": position, "rank_of": rank_of, "quartile": quartile,
        "benchmark_period": f"{used - 1}-{used % 100:02d}",
        "source": source_text(ref, series, used),
    }


def _better(a: float, b: float, polarity: str) -> bool:
    """True when ``a`` is strictly better than ``b`` (neutral: lower counts as 'better')."""
    return a > b + _EPS if polarity == "higher" else a < b - _EPS


def rank(own: float | None, others: list[float],
          polarity: str) -> tuple[int | None, int, int | None]:
    """(rank, rank_of, quartile) of ``own`` among ``others`` (see module docstring)."""
    if own is None:
        return None, len(others), None
    rank = 1 + sum(_better(v, own, polarity) for v in others)
    rank_of = len(others) + 1
    return rank, rank_of, (rank - 1) * 4 // rank_of + 1


def rag(value: float | None, sn_mean: float | None, england: float | None,
         polarity: str) -> str:
    """green / amber / red (see module docstring); "" for neutral metrics or no comparator."""
    if polarity == "neutral" or value is None or (sn_mean is None and england is None):
        return ""
    worse_than_sn = sn_mean is not None and _better(sn_mean, value, polarity)
    worse_than_eng = england is not None and _better(england, value, polarity)
    if sn_mean is None or england is None:
        return "red" if (worse_than_sn or worse_than_eng) else "green"
    if not worse_than_sn:
        return "green"
    return "red" if worse_than_eng else "amber"


def direction(value: float | None, previous: float | None, polarity: str) -> str:
    """Direction of travel against the previous year, using the metric's polarity."""
    if value is None or previous is None:
        return ""
    if abs(value - previous) <= _EPS:
        return "no change"
    up = value > previous
    if polarity == "neutral":
        return "up" if up else "down"
    return "improving" if up == (polarity == "higher") else "worsening"
