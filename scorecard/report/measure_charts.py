"""Charts of the measures by DfE duration band (children in need and child protection plans,
at 31 March and ended in the year), each with this year, last year, the statistical
neighbours' mean and England where the DfE publishes them.

The benchmark charts of :mod:`.charts` cover every measure with one figure; a measure split
into bands needs one chart with a group of bars per band, drawn here so that
:mod:`.charts` stays as it is. :func:`duration_specs` is called by
:func:`scorecard.report.render_all`; the labels of the bands (:data:`BAND_NAMES`) are also
those the HTML page shows.
"""
from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from ..metrics.child_protection_extra import CPP_DURATION_BANDS
from ..metrics.children_in_need_extra import CIN_DURATION_BANDS
from . import sdc
from .charts import ChartSpec, Series
from .coverage import coverage
from .hidden import hidden_metric_values
from .status import Marks

__all__ = ["BAND_NAMES", "DURATION_METRICS", "duration_specs"]

#: metric -> (the annual-report table its chart follows in the Word pack, its bands)
DURATION_METRICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "cin_at_31_march_by_duration": ("cin_by_primary_need", CIN_DURATION_BANDS),
    "cin_ended_by_duration": ("cin_by_primary_need", CIN_DURATION_BANDS),
    "cpp_at_31_march_by_duration": ("cp_per_month", CPP_DURATION_BANDS),
    "cpp_ended_by_duration": ("cp_per_month", CPP_DURATION_BANDS),
}

#: band -> readable name (short enough for a chart's axis), in display order: both lists'
#: shorter bands first, "2 years or more" (in both) last, so each measure's bands sort
#: shortest first
BAND_NAMES: dict[str, str] = {
    **{b: b for b in CIN_DURATION_BANDS[:-1]},
    **dict(zip(CPP_DURATION_BANDS, ("3 months or less", "Over 3 months, up to 6 months",
                                    "Over 6 months, under 1 year", "1 year, under 2 years",
                                    "2 years or more"), strict=True)),
}


def duration_specs(*, metrics: pl.DataFrame, scorecard: pl.DataFrame, catalogue: pl.DataFrame,
                   period: str, la_code: int, la_name: str, threshold: int,
                   marks: Marks | None = None) -> list[ChartSpec]:
    """One bar chart per duration measure with figures for the build's year: a group of bars
    per band (this year, last year, statistical neighbours' mean, England; a comparator the
    DfE does not publish for any band is left out). Values hidden by the suppression rule are
    drawn as ``c``. A month build has none: a position at 31 March is known only for a whole
    year."""
    cov = coverage(period)
    if cov.is_month:
        return []
    this, prev = cov.year.label, cov.year.previous().label
    units = dict(catalogue.select("metric_id", "unit").iter_rows())
    titles = dict(catalogue.select("metric_id", "title").iter_rows())
    hidden = hidden_metric_values(metrics, units, la_code=la_code, threshold=threshold)
    own = {(m, p, b or ""): v for m, p, b, v in metrics.filter(
        pl.col("la_code") == la_code).select("metric_id", "period", "breakdown",
                                             "value").iter_rows()}
    bench = {(r["metric_id"], r["breakdown"] or ""): r for r in scorecard.filter(
        (pl.col("period") == this) & (pl.col("la_code") == la_code)).to_dicts()}
    specs = []
    for mid, (table, bands) in DURATION_METRICS.items():
        if not any((mid, this, b) in own for b in bands):
            continue
        rows = [bench.get((mid, b), {}) for b in bands]
        series = [_own(own, hidden, mid, p, bands, label, role)
                  for p, label, role in ((this, f"{la_name} {this}", "this_year"),
                                         (prev, f"{la_name} {prev}", "last_year"))]
        for column, label, role in (("sn_mean", "Statistical neighbours (mean)", "neighbours"),
                                    ("england", "England", "england")):
            values = tuple(r.get(column) for r in rows)
            if any(v is not None for v in values):
                series.append(Series(_with_year(label, rows), values, (False,) * len(bands),
                                     role))
        flags = marks.errors([mid], [this, prev]) if marks is not None else []
        status_note = ("PROVISIONAL: these figures may change once these records are "
                       f"corrected: {'; '.join(f.cited for f in flags)}.") if flags else ""
        sources = list(dict.fromkeys(r["source"] for r in rows
                                     if r.get("source") and r.get("benchmark_period")))
        note = " ".join(x for x in (
            status_note,
            f"Source: {la_name} children's social care records"
            + (f"; {'; '.join(sources)}" if sources else "") + ".",
            "Bars for a band the DfE does not publish are absent." if len(series) > 2 and any(
                r.get("england") is None for r in rows) else "",
            sdc.rule_note(threshold)) if x)
        specs.append(ChartSpec(
            f"duration_{mid}", "bars",
            f"{titles.get(mid, mid)} (% in each band), {la_name}, {prev} and {this}",
            "percent", tuple(BAND_NAMES[b] for b in bands), tuple(series), note,
            bool(flags), table, {}, status_note))
    return specs


def _own(own: dict, hidden: set, mid: str, period: str, bands: Sequence[str], label: str,
         role: str) -> Series:
    keys = [(mid, period, b) for b in bands]
    return Series(label, tuple(None if k in hidden else own.get(k) for k in keys),
                  tuple(k in hidden for k in keys), role)


def _with_year(label: str, rows: list[dict]) -> str:
    years = sorted({r["benchmark_period"] for r in rows if r.get("benchmark_period")})
    return f"{label} {', '.join(years)}".strip()
