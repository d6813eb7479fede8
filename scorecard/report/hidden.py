"""What the page hides: the metric values shown as ``c`` (:mod:`scorecard.report.sdc`'s rule
applied to the metrics frame, on top of what the published tables hide)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import polars as pl

from . import sdc
from .tables import ReportTable, annual_period, period_kind

__all__ = ["NOT_ADDITIVE", "Key", "hidden_metric_values"]

Key = tuple[str, str, str]

#: Monthly counts of distinct children, or month-end snapshots, do not add up to the year's
#: figure, so they form no line with it.
NOT_ADDITIVE = frozenset({"missing_children", "cin_open_month_end", "cpp_open_month_end"})


def hidden_metric_values(metrics: pl.DataFrame, units: dict[str, str], *, la_code: int,
                         threshold: int, tables: Iterable[ReportTable] = ()) -> set[Key]:
    """The (metric_id, period, breakdown) values that must be shown as ``c``.

    Union of: what the published tables hide; counts of 1 to threshold-1 and ratios whose
    numerator or denominator is such a count; secondary suppression of additive monthly
    counts (and ratio numerators) against the year's figure, and of each breakdown against
    its total.
    """
    hidden: set[Key] = set().union(*(t.hidden_keys() for t in tables))
    rows = metrics.filter(pl.col("la_code") == la_code).select(
        "metric_id", "period", "breakdown", "value", "numerator", "denominator").iter_rows()
    counts: dict[Key, float | None] = {}
    for m, p, b, v, n, d in rows:
        key = (m, p, b or "")
        counts[key] = n if n is not None else (v if units.get(m) == "count" else None)
        if sdc.is_primary(counts[key], threshold) or sdc.is_primary(d, threshold):
            hidden.add(key)
    # months against their year
    by_year: dict[Key, list[Key]] = defaultdict(list)
    for key in sorted(counts):
        m, p, b = key
        if m in NOT_ADDITIVE or b or period_kind(p) != "month":
            continue
        year_key = (m, annual_period(p).label, b)
        if year_key in counts:
            by_year[year_key].append(key)
    for year_key, month_keys in sorted(by_year.items()):
        cells = {(i, "v"): counts[k] for i, k in enumerate(month_keys)} | {(-1, "v"): counts[year_key]}
        index = {(i, "v"): k for i, k in enumerate(month_keys)} | {(-1, "v"): year_key}
        done = sdc.suppress(cells, counts=cells, threshold=threshold,
                            lines=[sdc.Line(tuple((i, "v") for i in range(len(month_keys))),
                                            (-1, "v"))],
                            initial=[c for c, k in index.items() if k in hidden])
        hidden |= {index[c] for c in done}
    # breakdowns against their total
    groups: dict[tuple[str, str], dict[str, float | None]] = defaultdict(dict)
    for (m, p, b), n in counts.items():
        if b:
            groups[(m, p)][b] = n
    for (m, p), cats in sorted(groups.items()):
        hidden |= {(m, p, b) for b in sdc.suppress_breakdown(cats, threshold=threshold)}
    return hidden
