"""What a chart shows, before it is drawn: :class:`ChartSpec` (its series, each with a *role*
such as this year, last year, statistical neighbours, England; its title, note and status) and
its alt text (:func:`alt_text`: the chart in words, for the SVG, the PNG and the Word pack).

Drawing is :mod:`.chart_draw`, writing the files :mod:`.chart_files`; which charts a build has
is :mod:`.charts`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from . import sdc
from .tables import ReportTable, format_value

__all__ = ["Series", "ChartSpec", "series_from", "alt_text", "kind_label", "format_chart_value"]

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


def kind_label(kind: str) -> str:
    return _UNIT_LABELS.get(kind, kind)


def format_chart_value(value: float, kind: str) -> str:
    text = format_value(value, "count" if kind == "count" else "percent")
    return text + "%" if kind == "percent" else text


def _described(values: Sequence[tuple[str, float | None, bool]], kind: str) -> str:
    shown = [(c, v) for c, v, h in values if v is not None and not h]
    hidden = [c for c, v, h in values if h]
    parts = []
    if shown:
        hi = max(shown, key=lambda cv: cv[1])
        lo = min(shown, key=lambda cv: cv[1])
        parts.append(f"from {format_chart_value(shown[0][1], kind)} ({shown[0][0]}) to "
                     f"{format_chart_value(shown[-1][1], kind)} ({shown[-1][0]}), highest "
                     f"{format_chart_value(hi[1], kind)} ({hi[0]}), lowest {format_chart_value(lo[1], kind)} ({lo[0]})")
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
                    f"{spec.title}. {kind_label(spec.unit)} by {by}."]
        else:
            text = [f"Line chart: {spec.title}. {kind_label(spec.unit)} by {by}."]
        for panel, series in spec.panel_series():
            if panel:
                text.append(f"{panel}.")
            for s in series:
                points = list(zip(spec.categories, s.values, s.hidden))
                text.append(f"{s.label}: {_described(points, spec.unit)}.")
    else:
        text = [f"Bar chart: {spec.title}."]
        for s in spec.series:
            items = [f"{c} {sdc.SUPPRESSED if h else ('not available' if v is None else format_chart_value(v, spec.unit))}"
                     for c, v, h in zip(spec.categories, s.values, s.hidden)]
            text.append(f"{s.label}: {'; '.join(items)}.")
    for _, words in sorted(spec.incomplete.items()):
        text.append(f"{words[:1].upper()}{words[1:]}.")
    if spec.provisional:
        text.append("Provisional: failing data checks touch these figures.")
    return " ".join(text)
