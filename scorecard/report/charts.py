"""Charts a report author can paste: monthly trends against the previous year, benchmark
comparisons (LA against statistical neighbours and England) and category breakdowns.

Every chart is drawn from figures that have already been through disclosure control (the
published tables, or a benchmark row whose count was checked), so a chart never shows a
value its table hides: a suppressed value is a gap (no point, no bar) labelled ``c``.

Accessibility: Okabe-Ito colours (safe for colour-blind readers), and never colour alone:
line series differ by marker and dash, bars carry their value as a label and the LA's bar
is hatched as well as coloured. Every chart has a title, axis labels and a source and
suppression note. Output is PNG (150 dpi) and SVG, byte-identical on re-run (fixed SVG
hash salt, no dates or software versions in the metadata).

matplotlib is imported when a chart is drawn, not when this module is imported.
"""
from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from . import sdc
from .tables import ReportTable, annual_period, format_value

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["Series", "OKABE_ITO", "series_from", "trend_chart", "bar_chart", "save_chart",
           "all_charts"]

#: Okabe-Ito colour-blind-safe palette.
OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
             "vermillion": "#D55E00", "purple": "#CC79A7", "yellow": "#F0E442",
             "grey": "#6E6E6E", "black": "#000000"}
#: (colour, hatch) for successive bar series; the first is the LA.
BAR_STYLES = [(OKABE_ITO["blue"], "//"), (OKABE_ITO["orange"], ""), (OKABE_ITO["grey"], ".."),
              (OKABE_ITO["sky"], "\\\\")]
#: (colour, linestyle, marker) for successive line series; the first is this year.
LINE_STYLES = [(OKABE_ITO["blue"], "-", "o"), (OKABE_ITO["orange"], "--", "s")]

_RC = {"svg.hashsalt": "scorecard", "svg.fonttype": "path", "font.size": 10,
       "axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 100}
_UNIT_LABELS = {"count": "Number", "percent": "Per cent", "rate": "Rate per 10,000 children",
                "rate_per_10k": "Rate per 10,000 children", "mean": "Average number"}


@dataclass(frozen=True)
class Series:
    """One plotted series: a value per position, and which positions are suppressed."""

    label: str
    values: tuple[float | None, ...]
    hidden: tuple[bool, ...]


def series_from(table: ReportTable, column: str, rows: Sequence[int], label: str) -> Series:
    """The published values of ``column`` at ``rows`` of a suppressed table."""
    col = table.frame.get_column(column).to_list()
    return Series(label, tuple(col[i] for i in rows),
                  tuple(table.is_hidden(i, column) for i in rows))


def _kind_label(kind: str) -> str:
    return _UNIT_LABELS.get(kind, kind)


def _fmt(value: float, kind: str) -> str:
    text = format_value(value, "count" if kind == "count" else "percent")
    return text + "%" if kind == "percent" else text


def _figure(title: str, note: str, provisional: bool, height: float = 4.8,
            left: float = 0.9) -> tuple["Figure", "Axes"]:
    """A 9-inch-wide figure with the title above and the source note below the axes.

    Margins are in inches (``left`` for the category labels) so tall and short charts keep
    the same spacing."""
    from matplotlib.figure import Figure

    width = 9.0
    if provisional:
        title = "PROVISIONAL: " + title
    title_lines = textwrap.wrap(title, 85)
    note_lines = textwrap.wrap(note, 150)
    top = 0.25 + 0.24 * len(title_lines)
    bottom = 0.75 + 0.15 * len(note_lines)
    height = max(height, top + bottom + 1.6)
    fig = Figure(figsize=(width, height))
    fig.text(0.1 / width, 1 - 0.12 / height, "\n".join(title_lines), ha="left", va="top",
             fontsize=12, fontweight="bold",
             color=OKABE_ITO["vermillion"] if provisional else "black")
    fig.text(0.1 / width, 0.08 / height, "\n".join(note_lines), fontsize=7.5, va="bottom",
             ha="left", color="#333333")
    ax = fig.add_axes((left / width, bottom / height, 1 - (left + 0.35) / width,
                       1 - (top + bottom) / height))
    return fig, ax


def _legend(ax: "Axes", series: Sequence[Series], styles: Sequence[tuple[str, str]]) -> None:
    """Legend with one swatch (colour and hatch) per bar series."""
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(facecolor=c, hatch=h, edgecolor="#222222", label=s.label)
                       for s, (c, h) in zip(series, styles)],
              loc="best", frameon=True, framealpha=0.9, edgecolor="#cccccc", fontsize=8)


def trend_chart(series: Sequence[Series], months: Sequence[str], *, title: str, kind: str,
                note: str, provisional: bool = False) -> "Figure":
    """Monthly line chart, one line per year; suppressed months are gaps marked ``c``."""
    fig, ax = _figure(title, note, provisional)
    x = list(range(len(months)))
    top = max([v for s in series for v, h in zip(s.values, s.hidden) if v is not None and not h],
              default=1.0)
    for k, (s, (colour, dash, marker)) in enumerate(zip(series, LINE_STYLES)):
        y = [None if h or v is None else v for v, h in zip(s.values, s.hidden)]
        ax.plot(x, [float("nan") if v is None else v for v in y], color=colour, linestyle=dash,
                marker=marker, linewidth=2, markersize=5, label=s.label)
        for i, h in enumerate(s.hidden):
            if h:
                ax.annotate(sdc.SUPPRESSED, (i, 0), xytext=(0, 4 + 12 * k),
                            textcoords="offset points",
                            ha="center", color=colour, fontsize=10, fontweight="bold")
    ax.set_xticks(x, list(months))
    ax.set_xlabel("Month")
    ax.set_ylabel(_kind_label(kind))
    ax.set_ylim(0, top * 1.15 if top > 0 else 1)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.legend(loc="best", frameon=True, framealpha=0.9, edgecolor="#cccccc")
    return fig


def bar_chart(categories: Sequence[str], series: Sequence[Series], *, title: str, kind: str,
              note: str, provisional: bool = False) -> "Figure":
    """Horizontal grouped bars, first series styled as the LA; values labelled on the bars;
    suppressed bars are absent and labelled ``c``."""
    height = 2.2 + 0.22 * len(categories) * max(1, len(series))
    fig, ax = _figure(title, note, provisional, height, left=2.4)
    n = len(series)
    width = 0.8 / max(n, 1)
    shown = [v for s in series for v, h in zip(s.values, s.hidden) if v is not None and not h]
    top = max(shown, default=1.0) or 1.0
    for k, (s, (colour, hatch)) in enumerate(zip(series, BAR_STYLES)):
        ys = [i + (k - (n - 1) / 2) * width for i in range(len(categories))]
        for y, v, h in zip(ys, s.values, s.hidden):
            if h:
                ax.text(top * 0.01, y, sdc.SUPPRESSED, va="center", ha="left",
                        fontweight="bold", color=colour)
            elif v is not None:
                ax.barh(y, v, height=width * 0.9, color=colour, hatch=hatch,
                        edgecolor="white" if not hatch else "#222222", linewidth=0.4)
                ax.text(v + top * 0.01, y, _fmt(v, kind), va="center", ha="left", fontsize=8)
    ax.set_yticks(range(len(categories)), list(categories))
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.18)
    ax.set_xlabel(_kind_label(kind))
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    if n > 1:
        _legend(ax, series, BAR_STYLES)
    return fig


def save_chart(fig: "Figure", out_dir: Path, name: str) -> list[Path]:
    """Write ``name.png`` (150 dpi) and ``name.svg`` without dates or versions."""
    import matplotlib

    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{name}.png", out_dir / f"{name}.svg"
    with matplotlib.rc_context(_RC):
        fig.savefig(png, dpi=150, metadata={"Software": None})
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return [png, svg]


def _benchmark_rows(scorecard: pl.DataFrame, metrics: pl.DataFrame, *, period: str,
                    la_code: int, threshold: int) -> list[dict]:
    """Scorecard rows (no breakdown) with a comparator, and whether the LA figure is hidden."""
    rows = scorecard.filter((pl.col("period") == period) & (pl.col("la_code") == la_code)
                            & (pl.col("breakdown").fill_null("") == "")
                            & (pl.col("england").is_not_null() | pl.col("sn_mean").is_not_null())
                            ).sort("metric_id").to_dicts()
    counts = {(m, p): n if n is not None else v for m, p, n, v in metrics.filter(
        (pl.col("la_code") == la_code) & (pl.col("breakdown").fill_null("") == "")).select(
        "metric_id", "period", "numerator", "value").iter_rows()}
    for r in rows:
        r["hidden"] = sdc.is_primary(counts.get((r["metric_id"], period)), threshold)
        r["prev_hidden"] = sdc.is_primary(
            counts.get((r["metric_id"], annual_period(period).previous().label)), threshold)
    return rows


def all_charts(out_dir: Path, tables: Sequence[ReportTable], *, metrics: pl.DataFrame,
               scorecard: pl.DataFrame, catalogue: pl.DataFrame, previous_tables:
               Sequence[ReportTable], period: str, la_code: int, la_name: str,
               threshold: int, provisional_metrics: frozenset[str]) -> list[Path]:
    """Draw and save every chart; returns the files written.

    ``tables`` are this year's suppressed tables and ``previous_tables`` the same tables for
    the previous year (for trends of the one-year tables).
    """
    from matplotlib import rc_context

    fy = annual_period(period)
    this, prev = fy.label, fy.previous().label
    by_name = {t.name: t for t in tables}
    prev_by_name = {t.name: t for t in previous_tables}
    months = [m.start.strftime("%b") for m in fy.months()]
    titles = dict(catalogue.select("metric_id", "title").iter_rows())
    units = dict(catalogue.select("metric_id", "unit").iter_rows())
    written: list[Path] = []

    def emit(fig: "Figure", name: str) -> None:
        written.extend(save_chart(fig, out_dir, name))

    with rc_context(_RC):
        # monthly trends: (chart name, table, column, kind, metric for the title)
        for name, table, column, kind, metric_id in [
            ("trend_cin_open_month_end", "cin_by_month", None, "count", "cin_open_month_end"),
            ("trend_cpp_open_month_end", "cp_per_month", None, "count", "cpp_open_month_end"),
            ("trend_missing_episodes", "missing_by_month", "Reports received", "count",
             "missing_episodes"),
            ("trend_missing_children", "missing_by_month", "Individual young people", "count",
             "missing_children"),
            ("trend_rhi_completed_72h_pct", "rhi_by_month", "% completed within 72 hours",
             "percent", "rhi_completed_72h_pct"),
            ("trend_contacts_concluded_24h_pct", "contacts_24h_by_month",
             "% concluded within 24 hours", "percent", "contacts_concluded_24h_pct"),
        ]:
            t = by_name[table]
            if column is None:   # two years side by side in one table
                series = [series_from(t, this, range(12), this), series_from(t, prev, range(12), prev)]
            else:
                series = [series_from(t, column, range(12), this),
                          series_from(prev_by_name[table], column, range(12), prev)]
            emit(trend_chart(series, months, kind=kind, note=t.note, provisional=t.provisional,
                             title=f"{titles.get(metric_id, column or metric_id)}, {la_name}, "
                                   f"{prev} and {this}"), name)

        # category breakdowns from the tables
        rs = by_name["referral_sources"]
        n = rs.frame.height - 1   # without the "All referrals" row
        cols = rs.value_columns
        emit(bar_chart(rs.frame["Referral source"].to_list()[:n],
                       [series_from(rs, c, range(n), c.removesuffix(" %"))
                        for c in (cols[0], cols[2], cols[4], cols[5])],
                       title=rs.title, kind="percent", note=rs.note,
                       provisional=rs.provisional), "referral_sources")
        for name, label_col in (("cin_by_primary_need", "Primary need"),
                                ("cp_by_latest_category", "Latest category (at close/end of period)")):
            t = by_name[name]
            n = t.frame.height - 1   # without the total row
            series = [series_from(t, c, range(n), c) for c in reversed(t.value_columns)]
            emit(bar_chart(t.frame[label_col].to_list()[:n], series, title=t.title,
                           kind="count", note=t.note, provisional=t.provisional), name)

        # benchmark comparisons: LA (this year, last year) vs SN mean vs England
        for r in _benchmark_rows(scorecard, metrics, period=this, la_code=la_code,
                                 threshold=threshold):
            mid = r["metric_id"]
            kind = {"rate_per_10k": "rate"}.get(r["unit"] or units.get(mid, ""), r["unit"] or "")
            bp = r["benchmark_period"] or ""
            cats = [f"{la_name} {this}", f"{la_name} {prev}",
                    f"Statistical neighbours (mean) {bp}".strip(), f"England {bp}".strip()]
            vals = (r["value"], r["previous_value"], r["sn_mean"], r["england"])
            hidden = (r["hidden"], r["prev_hidden"], False, False)
            note = (f"Source: {la_name} children's social care records; {r['source']}. "
                    f"Statistical neighbours: DfE grouping {r['sn_grouping'] or 'in force'}. "
                    + sdc.rule_note(threshold))
            fig = _benchmark_figure(cats, vals, hidden, kind=kind, note=note,
                                    provisional=mid in provisional_metrics,
                                    title=f"{titles.get(mid, r['title'])}: {la_name} compared "
                                          f"with statistical neighbours and England")
            emit(fig, f"benchmark_{mid}")
    return written


def _benchmark_figure(categories: list[str], values: Sequence[float | None],
                      hidden: Sequence[bool], *, kind: str, note: str, title: str,
                      provisional: bool) -> "Figure":
    """One bar per comparator; the LA's bars coloured and hatched, comparators plain."""
    fig, ax = _figure(title, note, provisional, 3.6, left=2.9)
    shown = [v for v, h in zip(values, hidden) if v is not None and not h]
    top = max(shown, default=1.0) or 1.0
    styles = [BAR_STYLES[0], (OKABE_ITO["sky"], "//"), BAR_STYLES[1], BAR_STYLES[2]]
    for y, (v, h, (colour, hatch)) in enumerate(zip(values, hidden, styles)):
        if h:
            ax.text(top * 0.01, y, sdc.SUPPRESSED, va="center", fontweight="bold", color=colour)
        elif v is not None:
            ax.barh(y, v, height=0.7, color=colour, hatch=hatch, edgecolor="#222222",
                    linewidth=0.4)
            ax.text(v + top * 0.01, y, _fmt(v, kind), va="center", fontsize=9)
    ax.set_yticks(range(len(categories)), categories)
    for i, tick in enumerate(ax.get_yticklabels()):
        tick.set_fontweight("bold" if i == 0 else "normal")
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.18)
    ax.set_xlabel(_kind_label(kind))
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    return fig
