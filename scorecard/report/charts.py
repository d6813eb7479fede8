"""Charts a report author can paste: monthly trends against the previous year, benchmark
comparisons (LA against statistical neighbours and England) and category breakdowns.

Every chart is drawn from figures that have already been through disclosure control (the
published tables, or a benchmark row whose count was checked), so a chart never shows a
value its table hides: a suppressed value is a gap (no point, no bar) labelled ``c``.

Each chart is first described (:class:`ChartSpec`: its series, each with a *role* such as
this year, last year, statistical neighbours, England), then drawn. Colours, hatches, line
styles and markers come from the one palette (:mod:`scorecard.report.palette`) by role, so a
colour means the same series in every chart, on the page and in the workbook. Accessibility:
colour-blind-safe colours and never colour alone (markers, dashes, hatches, value labels);
every chart has a title, axis labels, a source, suppression and status note, and alt text
(in the SVG's ``<title>``/``<desc>``, the PNG's Description and the Word pack). A month a
volume check found far below its neighbours is shaded and labelled "possibly incomplete".
Output is PNG (150 dpi) and SVG, byte-identical on re-run (fixed SVG hash salt, no dates or
software versions in the metadata).

matplotlib is imported when a chart is drawn, not when this module is imported.
"""
from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import polars as pl

from . import sdc
from .coverage import Coverage, coverage, month_name
from .palette import OKABE_ITO, STATUS, series_style
from .status import Marks
from .tables import ReportTable, format_value
from .wording import GAP_WORDS

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .chart_cache import ChartCache

__all__ = ["Series", "ChartSpec", "OKABE_ITO", "series_from", "trend_chart", "bar_chart",
           "panel_chart",
           "save_chart", "save_all", "chart_specs", "draw", "all_charts", "alt_text"]

#: SVG text is text (``svg.fonttype: none``), not glyph outlines: searchable, selectable, read
#: by screen readers, half the size, and a third of the time to write. It is laid out in DejaVu
#: Sans (shipped with matplotlib, so the PNG is the same everywhere); a viewer without it falls
#: back to Verdana (DejaVu's metrics, as both come from Bitstream Vera), then Arial or Helvetica
#: (narrower, so text still fits its place), and every label is anchored (start, middle, end)
#: at its position, so a fallback font cannot shift it off its tick or bar.
_RC = {"svg.hashsalt": "scorecard", "svg.fonttype": "none", "font.size": 10,
       "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans", "Verdana", "Arial", "Helvetica"],
       "axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 100}
#: zlib level of the PNGs: 3 makes files the size level 6 (Pillow's default) does, in half the time
_PNG_COMPRESS = 3
_UNIT_LABELS = {"count": "Number", "percent": "Per cent", "rate": "Rate per 10,000 children",
                "rate_per_10k": "Rate per 10,000 children", "mean": "Average number"}


@dataclass(frozen=True)
class Series:
    """One plotted series: a value per position, which positions are suppressed, and its
    role in the palette (``this_year``, ``last_year``, ``neighbours``, ``england``, ``region``)."""

    label: str
    values: tuple[float | None, ...]
    hidden: tuple[bool, ...]
    role: str = "this_year"


@dataclass(frozen=True)
class ChartSpec:
    """Everything about one chart but the drawing: what it shows and how it is described."""

    name: str
    kind: str          # trend (by month) | years (by financial year) | bars | benchmark
    title: str
    unit: str          # count | percent | rate | mean
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    note: str
    provisional: bool = False
    #: the annual-report table it belongs with (the Word pack places it after that table)
    table: str = ""
    #: category positions found possibly incomplete -> words
    incomplete: dict[int, str] = field(default_factory=dict)
    status_note: str = ""
    #: small multiples: one panel per label (e.g. a duration band), all on one scale; the
    #: series are given panel by panel, ``len(series) // len(panels)`` to a panel
    panels: tuple[str, ...] = ()

    def panel_series(self) -> list[tuple[str, tuple[Series, ...]]]:
        """Each panel's label and series (one unnamed panel when the chart has none)."""
        if not self.panels:
            return [("", self.series)]
        k = len(self.series) // len(self.panels)
        return [(label, self.series[i * k:(i + 1) * k]) for i, label in enumerate(self.panels)]

    @property
    def alt(self) -> str:
        """Alt text (public sector accessibility: what the chart shows, in words)."""
        return alt_text(self)


def series_from(table: ReportTable, column: str, rows: Sequence[int], label: str,
                role: str | None = None) -> Series:
    """The published values of ``column`` at ``rows`` of a suppressed table."""
    col = table.frame.get_column(column).to_list()
    return Series(label, tuple(col[i] for i in rows),
                  tuple(table.is_hidden(i, column) for i in rows),
                  role or table.roles.get(column, "this_year"))


def _kind_label(kind: str) -> str:
    return _UNIT_LABELS.get(kind, kind)


def _fmt(value: float, kind: str) -> str:
    text = format_value(value, "count" if kind == "count" else "percent")
    return text + "%" if kind == "percent" else text


def _described(values: Sequence[tuple[str, float | None, bool]], kind: str) -> str:
    shown = [(c, v) for c, v, h in values if v is not None and not h]
    hidden = [c for c, v, h in values if h]
    parts = []
    if shown:
        hi = max(shown, key=lambda cv: cv[1])
        lo = min(shown, key=lambda cv: cv[1])
        parts.append(f"from {_fmt(shown[0][1], kind)} ({shown[0][0]}) to "
                     f"{_fmt(shown[-1][1], kind)} ({shown[-1][0]}), highest "
                     f"{_fmt(hi[1], kind)} ({hi[0]}), lowest {_fmt(lo[1], kind)} ({lo[0]})")
    else:
        parts.append("no figures shown")
    if hidden:
        parts.append(f"suppressed (c) in {', '.join(hidden)}")
    return "; ".join(parts)


def alt_text(spec: ChartSpec) -> str:
    """The chart in words: its kind, title, every series' values (or range), gaps marked."""
    if spec.kind in ("trend", "years"):
        by = "financial year" if spec.kind == "years" else "month"
        if spec.panels:
            text = [f"Line charts, one for each of {len(spec.panels)} groups on the same scale: "
                    f"{spec.title}. {_kind_label(spec.unit)} by {by}."]
        else:
            text = [f"Line chart: {spec.title}. {_kind_label(spec.unit)} by {by}."]
        for panel, series in spec.panel_series():
            if panel:
                text.append(f"{panel}.")
            for s in series:
                points = list(zip(spec.categories, s.values, s.hidden))
                text.append(f"{s.label}: {_described(points, spec.unit)}.")
    else:
        text = [f"Bar chart: {spec.title}."]
        for s in spec.series:
            items = [f"{c} {sdc.SUPPRESSED if h else ('not available' if v is None else _fmt(v, spec.unit))}"
                     for c, v, h in zip(spec.categories, s.values, s.hidden)]
            text.append(f"{s.label}: {'; '.join(items)}.")
    for _, words in sorted(spec.incomplete.items()):
        text.append(f"{words[:1].upper()}{words[1:]}.")
    if spec.provisional:
        text.append("Provisional: failing data checks touch these figures.")
    return " ".join(text)


def _figure(title: str, note: str, provisional: bool, height: float = 4.8,
            left: float = 0.9) -> tuple["Figure", "Axes"]:
    """A 9-inch-wide figure with the title above and the source note below the axes.

    Margins are in inches (``left`` for the category labels) so tall and short charts keep
    the same spacing."""
    fig, top, bottom = _frame(title, note, provisional, height, 1.6)
    width, height = fig.get_size_inches()
    ax = fig.add_axes((left / width, bottom / height, 1 - (left + 0.35) / width,
                       1 - (top + bottom) / height))
    return fig, ax


def _frame(title: str, note: str, provisional: bool, height: float,
           inner: float) -> tuple["Figure", float, float]:
    """A 9-inch-wide figure with the title at the top and the note at the foot, at least
    ``height`` tall and with ``inner`` inches between them; returns it with the inches the
    title (top) and the note (bottom) take."""
    from matplotlib.figure import Figure

    width = 9.0
    if provisional:
        title = "PROVISIONAL: " + title
    title_lines = textwrap.wrap(title, 85)
    note_lines = textwrap.wrap(note, 150)
    top = 0.25 + 0.24 * len(title_lines)
    bottom = 0.75 + 0.15 * len(note_lines)
    height = max(height, top + bottom + inner)
    fig = Figure(figsize=(width, height))
    fig.text(0.1 / width, 1 - 0.12 / height, "\n".join(title_lines), ha="left", va="top",
             fontsize=12, fontweight="bold",
             color=STATUS["provisional"] if provisional else "black")
    fig.text(0.1 / width, 0.08 / height, "\n".join(note_lines), fontsize=7.5, va="bottom",
             ha="left", color="#333333")
    return fig, top, bottom


def _legend(ax: "Axes", series: Sequence[Series]) -> None:
    """Legend with one swatch (colour and hatch) per bar series."""
    from matplotlib.patches import Patch

    handles = []
    for s in series:
        st = series_style(s.role)
        handles.append(Patch(facecolor=st.colour, hatch=st.hatch, edgecolor=st.edge,
                             label=s.label))
    ax.legend(handles=handles, loc="best", frameon=True, framealpha=0.9, edgecolor="#cccccc",
              fontsize=8)


def _mark_incomplete(ax: "Axes", positions: dict[int, str], horizontal: bool = False) -> None:
    """Shade each possibly incomplete position and say so in words."""
    for i in sorted(positions):
        if horizontal:
            ax.axhspan(i - 0.5, i + 0.5, color=STATUS["incomplete"], alpha=0.12, linewidth=0,
                       gid=f"incomplete-{i}")
        else:
            ax.axvspan(i - 0.5, i + 0.5, color=STATUS["incomplete"], alpha=0.15, linewidth=0,
                       gid=f"incomplete-{i}")
            ax.annotate("possibly\nincomplete", (i, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(0, -2), textcoords="offset points", ha="center", va="top",
                        fontsize=7, color=STATUS["incomplete"], fontweight="bold")


def trend_chart(series: Sequence[Series], months: Sequence[str], *, title: str, kind: str,
                note: str, provisional: bool = False,
                incomplete: dict[int, str] | None = None) -> "Figure":
    """Monthly line chart, one line per year; suppressed months are gaps marked ``c``."""
    fig, ax = _figure(title, note, provisional)
    x = list(range(len(months)))
    top = max([v for s in series for v, h in zip(s.values, s.hidden) if v is not None and not h],
              default=1.0)
    _lines(ax, series, x)
    _mark_incomplete(ax, incomplete or {})
    ax.set_xticks(x, list(months))
    ax.set_xlabel("Month")
    ax.set_ylabel(_kind_label(kind))
    ax.set_ylim(0, top * 1.22 if top > 0 else 1)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.legend(loc="lower left", frameon=True, framealpha=0.9, edgecolor="#cccccc")
    return fig


def bar_chart(categories: Sequence[str], series: Sequence[Series], *, title: str, kind: str,
              note: str, provisional: bool = False, one_bar_per_category: bool = False) -> "Figure":
    """Horizontal grouped bars styled by role; values labelled on the bars; suppressed bars
    are absent and labelled ``c``. ``one_bar_per_category``: one series per category (a
    benchmark chart: the LA, the LA last year, neighbours, England)."""
    n = 1 if one_bar_per_category else len(series)
    height = (2.2 + 0.22 * len(categories) * max(1, n)) if not one_bar_per_category else 3.6
    fig, ax = _figure(title, note, provisional, height,
                      left=2.9 if one_bar_per_category else 2.4)
    width = 0.8 / max(n, 1) if not one_bar_per_category else 0.7
    shown = [v for s in series for v, h in zip(s.values, s.hidden) if v is not None and not h]
    top = max(shown, default=1.0) or 1.0
    for k, s in enumerate(series):
        st = series_style(s.role)
        if one_bar_per_category:
            ys = [k]
        else:
            ys = [i + (k - (n - 1) / 2) * width for i in range(len(categories))]
        for j, (y, v, h) in enumerate(zip(ys, s.values, s.hidden)):
            if h:
                ax.text(top * 0.01, y, sdc.SUPPRESSED, va="center", ha="left",
                        fontweight="bold", color=st.colour)
            elif v is not None:
                ax.barh(y, v, height=width * (1 if one_bar_per_category else 0.9),
                        color=st.colour, hatch=st.hatch, edgecolor=st.edge, linewidth=0.4,
                        gid=f"series-{s.role}-{k}-{j}")
                ax.text(v + top * 0.01, y, _fmt(v, kind), va="center", ha="left", fontsize=8)
    ax.set_yticks(range(len(categories)), list(categories))
    if one_bar_per_category:
        for i, tick in enumerate(ax.get_yticklabels()):
            tick.set_fontweight("bold" if i == 0 else "normal")
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.18)
    ax.set_xlabel(_kind_label(kind))
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    if n > 1:
        _legend(ax, series)
    return fig


def _lines(ax: "Axes", series: Sequence[Series], x: Sequence[int], *, suffix: str = "",
           fontsize: float = 10) -> None:
    """Each series a line in its palette style; a suppressed position is a gap marked ``c``."""
    for k, s in enumerate(series):
        st = series_style(s.role)
        y = [float("nan") if h or v is None else v for v, h in zip(s.values, s.hidden)]
        ax.plot(x, y, color=st.colour, linestyle=st.linestyle, marker=st.marker, linewidth=2,
                markersize=5, label=s.label, gid=f"series-{s.role}-{k}{suffix}")
        for i, h in enumerate(s.hidden):
            if h:
                ax.annotate(sdc.SUPPRESSED, (i, 0), xytext=(0, 4 + 12 * k),
                            textcoords="offset points", ha="center", color=st.colour,
                            fontsize=fontsize, fontweight="bold")


#: small multiples: panels side by side, each this many inches tall
_PANEL_COLUMNS, _PANEL_HEIGHT = 2, 2.1


def panel_chart(spec: ChartSpec) -> "Figure":
    """Small multiples of a ``years`` or ``trend`` chart: a panel per label (e.g. a duration
    band), two to a row, every panel on the same scale so the panels compare at a glance;
    one legend for all (in the empty cell, else in the first panel)."""
    import math

    n = len(spec.panels)
    cols = min(_PANEL_COLUMNS, n)
    rows = math.ceil(n / cols)
    left, right, gap_x, gap_y = 0.9, 0.35, 0.55, 0.75
    fig, top, bottom = _frame(spec.title, spec.note, spec.provisional, 0,
                              rows * _PANEL_HEIGHT + (rows - 1) * gap_y + 0.3)
    top += 0.3   # the first row's panel titles
    width, height = fig.get_size_inches()
    panel_w = (width - left - right - (cols - 1) * gap_x) / cols
    panel_h = (height - top - bottom - (rows - 1) * gap_y) / rows
    x = list(range(len(spec.categories)))
    shown = [v for s in spec.series for v, h in zip(s.values, s.hidden) if v is not None and not h]
    hi = max(shown, default=1.0)
    axes = []
    for j, (label, series) in enumerate(spec.panel_series()):
        r, c = divmod(j, cols)
        ax = fig.add_axes(((left + c * (panel_w + gap_x)) / width,
                           (bottom + (rows - 1 - r) * (panel_h + gap_y)) / height,
                           panel_w / width, panel_h / height))
        _lines(ax, series, x, suffix=f"-p{j}", fontsize=9)
        ax.set_title(label, fontsize=9.5, fontweight="bold", loc="left")
        ax.set_xticks(x, list(spec.categories), fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
        ax.set_ylim(0, hi * 1.22 if hi > 0 else 1)
        ax.grid(axis="y", color="#dddddd", linewidth=0.8)
        if c == 0:
            ax.set_ylabel(_kind_label(spec.unit), fontsize=9)
        axes.append(ax)
    handles, labels = axes[0].get_legend_handles_labels()
    if n < rows * cols:   # the empty cell holds the legend
        r, c = divmod(n, cols)
        ax = fig.add_axes(((left + c * (panel_w + gap_x)) / width,
                           (bottom + (rows - 1 - r) * (panel_h + gap_y)) / height,
                           panel_w / width, panel_h / height))
        ax.axis("off")
        ax.legend(handles, labels, loc="center left", frameon=False, fontsize=9)
    else:
        axes[0].legend(loc="lower left", frameon=True, framealpha=0.9, edgecolor="#cccccc",
                       fontsize=8)
    by = "Financial year" if spec.kind == "years" else "Month"
    fig.text((left + (width - left - right) / 2) / width, (bottom - 0.4) / height, by,
             ha="center", va="top", fontsize=10)
    return fig


def draw(spec: ChartSpec) -> "Figure":
    """Draw a described chart."""
    if spec.panels:
        return panel_chart(spec)
    if spec.kind in ("trend", "years"):
        fig = trend_chart(spec.series, spec.categories, title=spec.title, kind=spec.unit,
                          note=spec.note, provisional=spec.provisional,
                          incomplete=spec.incomplete)
        if spec.kind == "years":   # one point per financial year (report/trends.py)
            fig.axes[0].set_xlabel("Financial year")
        return fig
    return bar_chart(spec.categories, spec.series, title=spec.title, kind=spec.unit,
                     note=spec.note, provisional=spec.provisional,
                     one_bar_per_category=spec.kind == "benchmark")


_SVG_OPEN = re.compile(r"(<svg\b[^>]*>)")


def save_chart(fig: "Figure", out_dir: Path, name: str, alt: str = "") -> list[Path]:
    """Write ``name.png`` (150 dpi) and ``name.svg`` without dates or versions; ``alt`` goes
    into the PNG's Description and the SVG's ``<title>``/``<desc>`` (with ``role="img"``)."""
    import matplotlib

    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{name}.png", out_dir / f"{name}.svg"
    with matplotlib.rc_context(_RC):
        meta = {"Software": None}
        if alt:
            meta["Description"] = alt
        fig.savefig(png, dpi=150, metadata=meta, pil_kwargs={"compress_level": _PNG_COMPRESS})
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    if alt:
        title = escape(alt.split(". ", 1)[0].removeprefix("Line chart: ").removeprefix("Bar chart: "))
        text = _SVG_OPEN.sub(lambda m: m.group(1).replace("<svg ", '<svg role="img" aria-labelledby="t d" ', 1)
                             + f'\n <title id="t">{title}</title>\n <desc id="d">{escape(alt)}</desc>',
                             text, count=1)
    svg.write_bytes(text.encode("utf-8"))
    return [png, svg]


def _benchmark_rows(scorecard: pl.DataFrame, metrics: pl.DataFrame, *, period: str,
                    previous: str, la_code: int, threshold: int) -> list[dict]:
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
        r["prev_hidden"] = sdc.is_primary(counts.get((r["metric_id"], previous)), threshold)
    return rows


#: benchmark charts go with the table of their service area in the Word pack
_GROUP_TABLE = {"Front door": "referral_sources", "Children in need": "cin_by_primary_need",
                "Child protection": "cp_per_month",
                "Missing and return home interviews": "rhi_by_month"}


def _incomplete(cov: Coverage, marks: Marks | None, metric_ids: Sequence[str]) -> dict[int, str]:
    """Positions (month index from April) of this year's months found possibly incomplete."""
    if marks is None:
        return {}
    gaps = set(marks.gaps(metric_ids, [m.label for m in cov.months]))
    return {i: f"{month_name(m)} {GAP_WORDS}" for i, m in enumerate(cov.year.months())
            if m.label in gaps}


def chart_specs(tables: Sequence[ReportTable], *, metrics: pl.DataFrame,
                scorecard: pl.DataFrame, catalogue: pl.DataFrame,
                previous_tables: Sequence[ReportTable], period: str, la_code: int,
                la_name: str, threshold: int, provisional_metrics: frozenset[str],
                marks: Marks | None = None) -> list[ChartSpec]:
    """Every chart, described, in the order of the annual report's tables."""
    cov = coverage(period)
    fy = cov.year
    this, prev = cov.year_heading, fy.previous().label
    by_name = {t.name: t for t in tables}
    prev_by_name = {t.name: t for t in previous_tables}
    months = [m.start.strftime("%b") for m in fy.months()]
    titles = dict(catalogue.select("metric_id", "title").iter_rows())
    units = dict(catalogue.select("metric_id", "unit").iter_rows())
    groups = dict(catalogue.select("metric_id", "group").iter_rows())
    specs: list[ChartSpec] = []

    def status(metric_ids: Sequence[str], shown: Sequence[str]) -> tuple[bool, str]:
        flags = marks.errors(metric_ids, shown) if marks is not None else []
        provisional = bool(flags) or bool(set(metric_ids) & provisional_metrics)
        if not provisional:
            return False, ""
        why = "; ".join(f.cited for f in flags) or "data checks of severity error failed"
        return True, f"PROVISIONAL: these figures may change once these records are corrected: {why}."

    # monthly trends: (chart name, table, column, kind, metric for the title)
    for name, table, column, kind, metric_id in [
        ("trend_contacts_concluded_24h_pct", "contacts_24h_by_month",
         "% concluded within 24 hours", "percent", "contacts_concluded_24h_pct"),
        ("trend_cin_open_month_end", "cin_by_month", None, "count", "cin_open_month_end"),
        ("trend_cpp_open_month_end", "cp_per_month", None, "count", "cpp_open_month_end"),
        ("trend_missing_episodes", "missing_by_month", "Reports received", "count",
         "missing_episodes"),
        ("trend_missing_children", "missing_by_month", "Individual young people", "count",
         "missing_children"),
        ("trend_rhi_completed_72h_pct", "rhi_by_month", "% completed within 72 hours",
         "percent", "rhi_completed_72h_pct"),
    ]:
        t = by_name[table]
        if column is None:   # two years side by side in one table
            h_prev, h_this = t.value_columns
            series = [series_from(t, h_this, range(12), this, "this_year"),
                      series_from(t, h_prev, range(12), prev, "last_year")]
        else:
            n = len(cov.months)
            s_this = series_from(t, column, range(n), this, "this_year")
            pad = 12 - n   # months after the build's month are not in the table
            s_this = Series(s_this.label, s_this.values + (None,) * pad,
                            s_this.hidden + (False,) * pad, "this_year")
            p = prev_by_name[table]
            series = [s_this, series_from(p, column, range(12), prev, "last_year")]
        shown = [m.label for m in cov.previous.year.months() + cov.months]
        provisional, status_note = status([metric_id], shown)
        incomplete = _incomplete(cov, marks, [metric_id])
        note = " ".join(x for x in (status_note, " ".join(
            w[:1].upper() + w[1:] + "." for w in incomplete.values()), t.source_note,
            t.suppression_note) if x)
        specs.append(ChartSpec(
            name, "trend", f"{titles.get(metric_id, column or metric_id)}, {la_name}, "
                           f"{prev} and {this}", kind, tuple(months), tuple(series), note,
            provisional, table, incomplete, status_note))

    # category breakdowns from the tables
    rs = by_name["referral_sources"]
    n = rs.frame.height - 1   # without the "All referrals" row
    cols = rs.value_columns
    specs.append(ChartSpec(
        "referral_sources", "bars", rs.title, "percent", tuple(rs.frame["Referral source"].to_list()[:n]),
        tuple(series_from(rs, c, range(n), c.removesuffix(" %"))
              for c in (cols[0], cols[2], cols[4], cols[5])),
        rs.note, rs.provisional, "referral_sources", {}, rs.status_note))
    for name, label_col in (("cin_by_primary_need", "Primary need"),
                            ("cp_by_latest_category", "Latest category (at close/end of period)")):
        t = by_name[name]
        n = t.frame.height - 1   # without the total row
        series = tuple(series_from(t, c, range(n), c) for c in reversed(t.value_columns))
        specs.append(ChartSpec(name, "bars", t.title, "count",
                               tuple(t.frame[label_col].to_list()[:n]), series, t.note,
                               t.provisional, name, {}, t.status_note))

    # benchmark comparisons: LA (this year, last year) vs SN mean vs England; a month build
    # has them only for a year-to-date row of the scorecard
    periods = set(scorecard.get_column("period").unique().to_list()) if scorecard.height else set()
    this_col = cov.year_column(periods)
    prev_col = cov.previous_column(set(metrics.get_column("period").unique().to_list()))
    if this_col.label:
        for r in _benchmark_rows(scorecard, metrics, period=this_col.label,
                                 previous=prev_col.label or "", la_code=la_code,
                                 threshold=threshold):
            mid = r["metric_id"]
            kind = {"rate_per_10k": "rate"}.get(r["unit"] or units.get(mid, ""), r["unit"] or "")
            bp = r["benchmark_period"] or ""
            cats = (f"{la_name} {this_col.heading}", f"{la_name} {prev_col.heading}",
                    f"Statistical neighbours (mean) {bp}".strip(), f"England {bp}".strip())
            roles = ("this_year", "last_year", "neighbours", "england")
            vals = (r["value"], r["previous_value"], r["sn_mean"], r["england"])
            hidden = (r["hidden"], r["prev_hidden"], False, False)
            series = tuple(Series(c, (v,), (h,), role)
                           for c, v, h, role in zip(cats, vals, hidden, roles))
            provisional, status_note = status([mid], [this_col.label, prev_col.label or ""])
            note = " ".join(x for x in (
                status_note,
                f"Source: {la_name} children's social care records; {r['source']}.",
                f"Statistical neighbours: DfE grouping {r['sn_grouping'] or 'in force'}.",
                sdc.rule_note(threshold)) if x)
            specs.append(ChartSpec(
                f"benchmark_{mid}", "benchmark",
                f"{titles.get(mid, r['title'])}: {la_name} compared with statistical "
                f"neighbours and England", kind, cats, series, note, provisional,
                _GROUP_TABLE.get(groups.get(mid, ""), "referral_sources"), {}, status_note))
    return specs


def all_charts(out_dir: Path, tables: Sequence[ReportTable], *, metrics: pl.DataFrame,
               scorecard: pl.DataFrame, catalogue: pl.DataFrame, previous_tables:
               Sequence[ReportTable], period: str, la_code: int, la_name: str,
               threshold: int, provisional_metrics: frozenset[str],
               marks: Marks | None = None) -> list[Path]:
    """Draw and save every chart; returns the files written.

    ``tables`` are this year's suppressed tables and ``previous_tables`` the same tables for
    the previous year (for trends of the one-year tables).
    """
    specs = chart_specs(tables, metrics=metrics, scorecard=scorecard, catalogue=catalogue,
                        previous_tables=previous_tables, period=period, la_code=la_code,
                        la_name=la_name, threshold=threshold,
                        provisional_metrics=provisional_metrics, marks=marks)
    return save_all(out_dir, specs)


#: fewer charts than this are drawn in this process only (a helper costs a start-up)
PARALLEL_FROM = 6


def save_all(out_dir: Path, specs: Sequence[ChartSpec], *, jobs: int | None = None,
             cache: "ChartCache | None" = None) -> list[Path]:
    """Draw and save described charts (PNG and SVG, with alt text); returns the files.

    With ``cache`` (:class:`.chart_cache.ChartCache`), a chart drawn before from the same
    description by the same code is written from its stored bytes, and the charts drawn are
    stored. With ``jobs`` 2 (default: 2 when the machine has two cores or more) and at least
    :data:`PARALLEL_FROM` charts to draw, a helper process (``python -m scorecard.report.charts``)
    draws every other chart while this one draws the rest: drawing is most of a build's
    report time, and the files are the same bytes whichever process draws them."""
    specs = list(specs)
    files = [out_dir / f"{spec.name}.{ext}" for spec in specs for ext in ("png", "svg")]
    if cache is None:
        _draw_all(out_dir, specs, jobs)
        return files
    from .chart_cache import code_version, digest

    code = code_version()
    keys = [digest(spec, code) for spec in specs]
    stored = cache.get(keys)
    out_dir.mkdir(parents=True, exist_ok=True)
    for spec, key in zip(specs, keys):
        if key in stored:
            png, svg = stored[key]
            (out_dir / f"{spec.name}.png").write_bytes(png)
            (out_dir / f"{spec.name}.svg").write_bytes(svg)
    missing = [(spec, key) for spec, key in zip(specs, keys) if key not in stored]
    _draw_all(out_dir, [spec for spec, _ in missing], jobs)
    drawn = {key: spec for spec, key in missing}
    cache.put([(key, (out_dir / f"{spec.name}.png").read_bytes(),
                (out_dir / f"{spec.name}.svg").read_bytes()) for key, spec in drawn.items()])
    return files


def _draw_all(out_dir: Path, specs: list[ChartSpec], jobs: int | None) -> None:
    """Draw ``specs`` here, or here and in a helper process (see :func:`save_all`)."""
    import os

    jobs = jobs if jobs is not None else min(2, os.cpu_count() or 1)
    if jobs < 2 or len(specs) < PARALLEL_FROM:
        _save_serial(out_dir, specs)
        return
    import pickle
    import subprocess
    import sys
    import tempfile

    theirs, mine = specs[1::2], specs[0::2]
    with tempfile.NamedTemporaryFile(suffix=".pickle") as handover:
        pickle.dump((str(out_dir), theirs), handover)
        handover.flush()
        helper = subprocess.Popen([sys.executable, "-m", "scorecard.report.charts", handover.name],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _save_serial(out_dir, mine)
        except BaseException:
            helper.kill()
            helper.wait()
            raise
        _, err = helper.communicate()
    if helper.returncode != 0:
        raise RuntimeError("drawing charts failed: " + err.decode("utf-8", "replace").strip()[-500:])


def _save_serial(out_dir: Path, specs: Sequence[ChartSpec]) -> list[Path]:
    if not specs:
        return []
    from matplotlib import rc_context

    written: list[Path] = []
    with rc_context(_RC):
        for spec in specs:
            written.extend(save_chart(draw(spec), out_dir, spec.name, spec.alt))
    return written


if __name__ == "__main__":   # the helper of save_all: draw the charts handed over
    import pickle
    import sys

    with open(sys.argv[1], "rb") as f:
        folder, handed = pickle.load(f)
    _save_serial(Path(folder), handed)
