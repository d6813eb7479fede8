"""Five-year trends beside the benchmarks, and how far the data reaches, for the page,
the charts and the Word pack.

For every benchmarked figure (a ``scorecard.csv`` row with an England or statistical-neighbour
value) the trend shows, for each of the last :data:`TREND_YEARS` financial years the LA has a
figure for, the LA's value beside England and the statistical-neighbour mean *of that year*
(``scorecard.csv`` gives each year its own year's DfE figures). The LA's line is this
authority's colour, the comparators theirs (:mod:`.palette`). A value resting on a count the
published tables would hide (1 to threshold-1) is a gap marked ``c``, as everywhere else.

:func:`extras` gives the page sections (trends, data reach) and the charts the build passes to
:func:`scorecard.report.render_all`; the charts go into ``charts/`` and the Word pack.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from . import sdc
from .charts import ChartSpec, Series
from .coverage import coverage
from .html import PageSection
from .palette import SERIES
from .sparkline import format_metric
from .status import Marks
from .wording import record_words

__all__ = ["TREND_YEARS", "Trend", "trends", "trend_specs", "trend_section", "reach_section",
           "extras"]

#: how many financial years a trend shows
TREND_YEARS = 5
_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
#: the lines of a trend: (scorecard column, palette role, label)
_LINES = (("value", "this_year", None), ("sn_mean", "neighbours", "Statistical neighbours (mean)"),
          ("england", "england", "England"))


def _is_year(label: str | None) -> bool:
    m = _YEAR.match(label or "")
    return bool(m) and int(m.group(2)) == (int(m.group(1)) + 1) % 100


@dataclass(frozen=True)
class Trend:
    """One benchmarked figure over the years: the LA beside its comparators, year by year."""

    metric_id: str
    breakdown: str
    title: str
    unit: str
    years: tuple[str, ...]
    la: tuple[float | None, ...]
    la_hidden: tuple[bool, ...]
    neighbours: tuple[float | None, ...]
    england: tuple[float | None, ...]
    benchmark_periods: tuple[str, ...]
    source: str
    grouping: str

    @property
    def name(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "_", self.breakdown.lower()).strip("_")
        return f"trend_years_{self.metric_id}" + (f"_{slug}" if slug else "")

    @property
    def heading(self) -> str:
        return f"{self.title}: {self.breakdown}" if self.breakdown else self.title


def trends(scorecard: pl.DataFrame, metrics: pl.DataFrame, *, la_code: int, period: str,
           threshold: int, years: int = TREND_YEARS) -> list[Trend]:
    """The trend of every benchmarked figure over the last ``years`` financial years up to the
    build's year that the LA has figures for (in ``scorecard``'s order)."""
    cov = coverage(period)
    rows = scorecard.filter((pl.col("la_code") == la_code)
                            & pl.col("period").map_elements(_is_year, return_dtype=pl.Boolean)
                            & (pl.col("period") <= cov.year.label))
    with_value = sorted(set(rows.filter(pl.col("value").is_not_null())["period"].to_list()))
    shown = with_value[-years:]
    if not shown:
        return []
    counts = {(m, p, b or ""): n if n is not None else v for m, p, b, n, v in metrics.filter(
        pl.col("la_code") == la_code).select("metric_id", "period", "breakdown", "numerator",
                                             "value").iter_rows()}
    by_key: dict[tuple[str, str], dict[str, dict]] = {}
    for r in rows.filter(pl.col("period").is_in(shown)).iter_rows(named=True):
        by_key.setdefault((r["metric_id"], r["breakdown"] or ""), {})[r["period"]] = r
    out = []
    for (mid, bd), per_year in by_key.items():
        if not any(r["england"] is not None or r["sn_mean"] is not None for r in per_year.values()):
            continue  # not benchmarked
        got = [per_year.get(y, {}) for y in shown]
        latest = next((r for r in reversed(got) if r.get("source")), got[-1])
        out.append(Trend(
            mid, bd, latest.get("title") or mid, latest.get("unit") or "", tuple(shown),
            tuple(r.get("value") for r in got),
            tuple(sdc.is_primary(counts.get((mid, y, bd)), threshold) for y in shown),
            tuple(r.get("sn_mean") for r in got), tuple(r.get("england") for r in got),
            tuple(r.get("benchmark_period") or "" for r in got), latest.get("source") or "",
            latest.get("sn_grouping") or ""))
    return out


def _kind(unit: str) -> str:
    return {"rate_per_10k": "rate"}.get(unit, unit)


def trend_specs(items: Sequence[Trend], *, la_name: str, threshold: int,
                marks: Marks | None = None, period: str | None = None) -> list[ChartSpec]:
    """One line chart per trend: the LA, the statistical neighbours and England by year (a
    month build's titles say which month the complete years are as at). A figure split into
    bands or sources (two or more trends of one metric with a breakdown) is one chart of small
    multiples, a panel per band on one scale (``trend_years_<metric>``), where it first
    appears."""
    cov = coverage(period) if period else None
    at = f" (complete years, as at {cov.name})" if cov is not None and cov.is_month else ""
    groups: dict[str, list[Trend]] = {}
    for t in items:
        if t.breakdown:
            groups.setdefault(t.metric_id, []).append(t)
    specs, done = [], set()
    for t in items:
        group = groups.get(t.metric_id, []) if t.breakdown else []
        if len(group) < 2:
            specs.append(_spec([t], t.name, t.heading, la_name=la_name, threshold=threshold,
                               marks=marks, at=at))
        elif t.metric_id not in done:
            done.add(t.metric_id)
            specs.append(_spec(group, f"trend_years_{t.metric_id}", t.title, la_name=la_name,
                               threshold=threshold, marks=marks, at=at))
    return specs


def _spec(group: Sequence[Trend], name: str, heading: str, *, la_name: str, threshold: int,
          marks: Marks | None, at: str) -> ChartSpec:
    """The chart of one trend, or of a figure's bands (a panel each, by its breakdown)."""
    t = group[0]
    series: tuple[Series, ...] = ()
    for b in group:
        series += (Series(la_name, b.la, b.la_hidden, "this_year"),
                   Series("Statistical neighbours (mean)", b.neighbours, (False,) * len(b.years),
                          "neighbours"),
                   Series("England", b.england, (False,) * len(b.years), "england"))
    flags = marks.errors([t.metric_id], list(t.years)) if marks is not None else []
    status = ("PROVISIONAL: these figures may change once these records are corrected: "
              + "; ".join(f.cited for f in flags) + ".") if flags else ""
    note = " ".join(x for x in (
        status, f"Source: {la_name} children's social care records; "
                f"{_sources([b.source for b in group])}.",
        "Each year is compared with the DfE's figures for that year.",
        f"Statistical neighbours: DfE grouping {t.grouping or 'in force'}, the same LAs "
        "in every year.", sdc.rule_note(threshold)) if x)
    return ChartSpec(
        name, "years", f"{heading}, {la_name} compared with statistical neighbours "
                       f"and England, {t.years[0]} to {t.years[-1]}{at}",
        _kind(t.unit), t.years, series, note, bool(flags), "", {}, status,
        tuple(b.breakdown for b in group) if len(group) > 1 else ())


_SOURCE = re.compile(r"^(.*\([^():]+: )([^()]+)\)$")


def _sources(sources: Sequence[str]) -> str:
    """The bands' sources in one sentence: one release's columns listed once under it
    (``LAIT ... (file: A, B, C)``)."""
    by_release: dict[str, list[str]] = {}
    for src in dict.fromkeys(x for x in sources if x):
        m = _SOURCE.match(src)
        prefix, column = (m.group(1), m.group(2)) if m else (src, "")
        by_release.setdefault(prefix, []).append(column)
    return "; ".join(f"{p}{', '.join(c)})" if c[0] else p for p, c in by_release.items())


def _svg(t: Trend, la_name: str, width: int = 320, height: int = 130) -> dict:
    """Geometry of an inline SVG line chart of one trend (the page's own small chart)."""
    pad_l, pad_r, pad_t, pad_b = 8, 8, 10, 22
    values = [v for s in (t.la, t.neighbours, t.england) for v in s if v is not None]
    values += [] if not values else [0.0]
    hi = max(values, default=1.0) or 1.0
    step = (width - pad_l - pad_r) / max(len(t.years) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return (round(pad_l + i * step, 1),
                round(height - pad_b - v / (hi * 1.1) * (height - pad_t - pad_b), 1))

    lines = []
    for column, role, label in _LINES:
        vals = {"value": t.la, "sn_mean": t.neighbours, "england": t.england}[column]
        hidden = t.la_hidden if column == "value" else (False,) * len(vals)
        style = SERIES[role]
        pts = [xy(i, v) if v is not None and not h else None for i, (v, h) in enumerate(zip(vals, hidden))]
        segments, cur = [], []
        for p in pts:
            if p is None:
                if cur:
                    segments.append(cur)
                cur = []
            else:
                cur.append(p)
        if cur:
            segments.append(cur)
        lines.append({"label": label or la_name, "colour": style.colour,
                      "dash": "" if style.linestyle == "-" else ("2,3" if style.linestyle == ":" else "6,3"),
                      "segments": [" ".join(f"{x},{y}" for x, y in s) for s in segments],
                      "points": [p for p in pts if p is not None],
                      "marker": style.marker,
                      "gaps": [round(pad_l + i * step, 1) for i, h in enumerate(hidden) if h]})
    ticks = [{"x": round(pad_l + i * step, 1), "label": y} for i, y in enumerate(t.years)]
    top = xy(0, hi)[1]
    return {"width": width, "height": height, "lines": lines, "ticks": ticks,
            "axis_y": height - pad_b, "grid_y": top, "grid_label": format_metric(hi, t.unit)}


def _describe(t: Trend, la_name: str) -> str:
    """Alt text: every line's value in every year."""
    parts = [f"Line chart: {t.heading}, {la_name} compared with statistical neighbours and "
             f"England, {t.years[0]} to {t.years[-1]}, by financial year."]
    for column, _, label in _LINES:
        vals = {"value": t.la, "sn_mean": t.neighbours, "england": t.england}[column]
        hidden = t.la_hidden if column == "value" else (False,) * len(vals)
        items = [f"{y} {sdc.SUPPRESSED if h else ('not available' if v is None else format_metric(v, t.unit))}"
                 for y, v, h in zip(t.years, vals, hidden)]
        parts.append(f"{label or la_name}: {'; '.join(items)}.")
    return " ".join(parts)


def trend_section(items: Sequence[Trend], *, la_name: str) -> PageSection:
    """The page section: a small chart and a table of values per benchmarked figure."""
    cards = []
    for t in items:
        rows = []
        for i, y in enumerate(t.years):
            la = sdc.SUPPRESSED if t.la_hidden[i] else format_metric(t.la[i], t.unit)
            rows.append({"year": y, "la": la, "sn": format_metric(t.neighbours[i], t.unit),
                         "england": format_metric(t.england[i], t.unit),
                         "release": t.benchmark_periods[i]})
        cards.append({"id": t.name, "title": t.heading, "svg": _svg(t, la_name),
                      "desc": _describe(t, la_name), "rows": rows})
    years = f"{items[0].years[0]} to {items[0].years[-1]}" if items else ""
    return PageSection("trends", "Trends against the benchmarks", "_trends.html.j2",
                       {"cards": cards, "years": years, "la_name": la_name,
                        "n": len(items[0].years) if items else 0},
                       after="measures")


def reach_section(reach: pl.DataFrame, *, period: str) -> PageSection:
    """The page section naming how far each extract reaches (``data_reach.csv``)."""
    cov = coverage(period)
    rows, overall = [], None
    for r in reach.iter_rows(named=True):
        entry = {"table": r["table"] if r["table"] == "all extracts" else record_words(r["table"]),
                 "first": _day(r["first_date"]), "last": _day(r["last_date"]),
                 "month": r["complete_to_month"], "year": r["complete_to_year"]}
        if r["table"] == "all extracts":
            overall = entry
        else:
            rows.append(entry)
    last = reach.filter(pl.col("table") == "all extracts")["last_date"]
    reached = last.item() if last.len() else None
    # a month build's yearly figures are the year to date even when the data holds the year
    complete = reached is not None and reached >= cov.year.end and cov.period.end >= cov.year.end
    return PageSection("reach", "How far the data reaches", "_reach.html.j2",
                       {"rows": rows, "overall": overall, "year": cov.year.label,
                        "complete": complete, "is_month": cov.is_month, "span": cov.span},
                       after="quality")


def _day(d: date | None) -> str:
    return "" if d is None else f"{d.day} {d.strftime('%B %Y')}"


def extras(*, metrics: pl.DataFrame, scorecard: pl.DataFrame, period: str, la_code: int,
           la_name: str, threshold: int, reach: pl.DataFrame | None = None,
           affects: pl.DataFrame | None = None) -> tuple[list[PageSection], list[ChartSpec]]:
    """The page sections and charts this module adds to a build's reports."""
    items = trends(scorecard, metrics, la_code=la_code, period=period, threshold=threshold)
    marks = Marks(affects) if affects is not None else None
    sections = [trend_section(items, la_name=la_name)] if items else []
    if reach is not None and reach.height:
        sections.append(reach_section(reach, period=period))
    return sections, trend_specs(items, la_name=la_name, threshold=threshold, marks=marks,
                                 period=period)
