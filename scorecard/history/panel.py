"""The page's "changed since the last build" panel, in plain words for a board: what moved, by
how much and why. Nothing to compare on the first build (the panel says so); small counts are
shown as "c", as on the rest of the page."""
from __future__ import annotations

import polars as pl

from ..periods import parse_period
from ..report.html import PageSection
from ..report.sparkline import format_metric
from .compare import REASONS
from .store import period_span

__all__ = ["panel_section", "SHOWN", "REASON_WORDS"]

#: how many changed figures the panel lists (all are in revisions.csv)
SHOWN = 12

#: each reason as a board reads it
REASON_WORDS = {
    REASONS[0]: "records that arrived late were added",
    REASONS[1]: "records were corrected or removed",
    REASONS[2]: "records now fail a data check",
}


def _period_words(label: str) -> str:
    if "/" in label:
        a, b = period_span(label)
        return f"{a:%B %Y} to {b:%B %Y}"
    p = parse_period(label)
    return p.start.strftime("%B %Y") if p.kind == "month" else f"the year {label}"


def _build_words(label: str) -> str:
    period = label.split("@", 1)[0]
    try:
        return f"the build for {_period_words(period).removeprefix('the year ')}"
    except ValueError:
        return f"build {label}"


def _small(value: float | None, threshold: int) -> bool:
    return value is not None and 0 < abs(value) < threshold


def _change(prev: float | None, new: float | None, unit: str) -> str:
    if prev is None or new is None:
        return "–"
    diff = new - prev
    if unit == "percent":
        return f"{diff:+.1f} points"
    text = f"{diff:+,.0f}" if unit == "count" else f"{diff:+,.1f}"
    return text + (f" ({100 * diff / abs(prev):+.1f}%)" if prev else "")


def _why(reason: str) -> str:
    if not reason:
        return "No record-level cause found (for example a changed population estimate)."
    parts = [REASON_WORDS.get(r, r) for r in reason.split("; ")]
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def panel_section(kept, *, titles: dict[str, tuple[str, str]], threshold: int = 5,
                  after: str = "summary") -> PageSection:
    """The panel for a build's :class:`~scorecard.history.Kept` (``titles``: metric id ->
    (title, unit); ``threshold``: the suppression threshold)."""
    ctx: dict = {"first": kept.base is None, "rows": [], "more": 0, "total": 0,
                 "against": _build_words(kept.base.label) if kept.base is not None else "",
                 "label": kept.base.label if kept.base is not None else "",
                 "threshold_pct": f"{kept.threshold_pct:g}", "moved_months": sorted(
                     {w["period"] for w in kept.warnings}), "reasons": []}
    rev: pl.DataFrame = kept.revisions
    if kept.base is not None and not rev.is_empty():
        ctx["total"] = rev.height
        ctx["reasons"] = [REASON_WORDS[r] for r in REASONS
                          if rev["reason"].str.contains(r, literal=True).any()]
        shown = rev.filter(pl.col("breakdown") == "")
        if shown.is_empty():
            shown = rev
        size = (pl.col("difference").abs() / pl.col("previous_value").abs()).fill_nan(None).fill_null(float("inf"))
        shown = shown.with_columns(size.alias("_size")).sort(["_size", "metric_id", "period"],
                                                              descending=[True, False, False])
        for r in shown.head(SHOWN).iter_rows(named=True):
            title, unit = titles.get(r["metric_id"], (r["metric_id"], "count"))
            hidden = any(_small(r[k], threshold) for k in (
                "previous_numerator", "new_numerator", "previous_denominator", "new_denominator")) or (
                unit == "count" and (_small(r["previous_value"], threshold) or _small(r["new_value"], threshold)))
            ctx["rows"].append({
                "title": title, "category": r["breakdown"], "period": _period_words(r["period"]),
                "was": "c" if hidden else format_metric(r["previous_value"], unit, "not shown"),
                "now": "c" if hidden else format_metric(r["new_value"], unit, "not shown"),
                "change": "c" if hidden else _change(r["previous_value"], r["new_value"], unit),
                "why": _why(r["reason"]), "metric_id": r["metric_id"], "reason": r["reason"]})
        ctx["more"] = rev.height - len(ctx["rows"])
    return PageSection("revisions", "Changed since the last build", "_revisions.html.j2", ctx, after=after)
