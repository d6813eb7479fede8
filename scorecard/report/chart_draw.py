"""Drawing a described chart (:class:`.chart_spec.ChartSpec`) as a matplotlib figure: monthly
trends against the previous year, small multiples, and horizontal bars (category breakdowns and
benchmark comparisons).

Colours, hatches, line styles and markers come from the one palette
(:mod:`scorecard.report.palette`) by role, so a colour means the same series in every chart, on
the page and in the workbook. Accessibility: colour-blind-safe colours and never colour alone
(markers, dashes, hatches, value labels); every chart has a title, axis labels, a source,
suppression and status note. A suppressed value is a gap (no point, no bar) labelled ``c``; a
month a volume check found far below its neighbours is shaded and labelled "possibly
incomplete"; a provisional chart's title says so in the provisional colour.

matplotlib is imported when a chart is drawn, not when this module is imported.
"""
from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import sdc
from .chart_spec import ChartSpec, Series, format_chart_value, kind_label
from .palette import STATUS, series_style

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["RC", "trend_chart", "bar_chart", "panel_chart", "draw"]

#: SVG text is text (``svg.fonttype: none``), not glyph outlines: searchable, selectable, read
#: by screen readers, half the size, and a third of the time to write. It is laid out in DejaVu
#: Sans (shipped with matplotlib, so the PNG is the same everywhere); a viewer without it falls
#: back to Verdana (DejaVu's metrics, as both come from Bitstream Vera), then Arial or Helvetica
#: (narrower, so text still fits its place), and every label is anchored (start, middle, end)
#: at its position, so a fallback font cannot shift it off its tick or bar.
#: The PNG's text is rasterised without hinting (``text.hinting: no_hinting``): FreeType's
#: hinting of every glyph was about a fifth of all drawing time, and at 150 dpi the letters
#: look the same; the SVG's text layout never used hinting, so the SVGs are unchanged by it.
RC = {"svg.hashsalt": "scorecard", "svg.fonttype": "none", "font.size": 10,
      "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans", "Verdana", "Arial", "Helvetica"],
      "axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 100,
      "text.hinting": "no_hinting",
      # every chart is laid out in inches: a user's matplotlibrc asking for "tight" would crop
      # the charts differently from run to run and machine to machine
      "savefig.bbox": "standard"}


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
    ax.set_ylabel(kind_label(kind))
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
                ax.text(v + top * 0.01, y, format_chart_value(v, kind), va="center", ha="left", fontsize=8)
    ax.set_yticks(range(len(categories)), list(categories))
    if one_bar_per_category:
        for i, tick in enumerate(ax.get_yticklabels()):
            tick.set_fontweight("bold" if i == 0 else "normal")
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.18)
    ax.set_xlabel(kind_label(kind))
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
            ax.set_ylabel(kind_label(spec.unit), fontsize=9)
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
