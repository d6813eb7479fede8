"""``scorecard.html``: the one-page scorecard, for a partnership board.

Self-contained (inline CSS and inline SVG sparklines; no fonts, scripts or images are
fetched), so it opens with no network. The page is a list of *sections* (:class:`PageSection`),
each its own template: a one-screen board summary (figures that are red, that moved most, that
failing checks touch, months possibly incomplete), the full table of every metric in the
catalogue (value for the period, the same period a year earlier, a sparkline, England,
statistical neighbours, quartile, rank, the DfE-based RAG and, beside it, the partnership's
own target), and the data-quality panel. Other sections (a trends chart, a "changed since the
last build" panel) are added by passing more :class:`PageSection` objects; each names the
section it follows.

Words are for a board: definitions in plain English (:mod:`.wording`), each failing check in
words with its id behind them (in a details element), every source once in a numbered
footnote. Jinja2 autoescaping is on, so text from data is always shown as text.

Disclosure control follows :mod:`scorecard.report.sdc`: anything a published table hides is
hidden here too, counts of 1 to threshold-1 (and ratios resting on them) are ``c``, months
of an additive count are protected against recovery from the year total, and breakdowns
against recovery from their total.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from ..periods import parse_period
from . import sdc
from .coverage import Coverage, coverage, month_name
from .hidden import NOT_ADDITIVE, Key, hidden_metric_values
from .measure_charts import BAND_NAMES
from .palette import SERIES, STATUS, css_variables
from .sparkline import format_metric, sparkline
from .status import Flag, Marks
from .tables import (CP_CATEGORY_LABELS, PRIMARY_NEED_LABELS, REFERRAL_SOURCE_GROUPS,
                     MetricValues, ReportTable, period_kind)
from .wording import GAP_WORDS, check_words, metric_definition

if TYPE_CHECKING:  # pragma: no cover
    from .targets import Targets

__all__ = ["render_html", "hidden_metric_values", "sparkline", "NOT_ADDITIVE", "PageSection",
           "format_metric", "source_parts"]

#: Readable names (and display order) of breakdown categories.
_CATEGORY_NAMES = {**{c: f"{c} {t}" for c, t in PRIMARY_NEED_LABELS.items()},
                   **{c: f"{t} ({c})" for c, t in CP_CATEGORY_LABELS.items()},
                   **{g: g for g in REFERRAL_SOURCE_GROUPS}, **BAND_NAMES}
_CATEGORY_ORDER = {c: i for i, c in enumerate(_CATEGORY_NAMES)}
_RAG_TEXT = {"green": "Green", "amber": "Amber", "red": "Red"}
#: Direction of travel. Improving/worsening already say good or bad, so they carry no arrow
#: (an upward arrow for a falling "lower is better" figure would mislead); neutral metrics
#: say only which way the figure moved.
_DIRECTION = {"improving": "Improving", "worsening": "Worsening", "no change": "No change",
              "up": "▲ Up", "down": "▼ Down"}
#: how many figures the summary lists as having moved most
MOVED_MOST = 5


@dataclass(frozen=True)
class PageSection:
    """One section of the page: ``template`` (in ``report/templates``) rendered with
    ``context`` (as ``s``) under heading ``title``; placed after the section ``after``
    (``summary``, ``measures`` or ``quality``; ``""`` = at the end)."""

    id: str
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    after: str = ""


def _change(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "count":
        return f"{value:+,.0f}"
    return f"{value:+,.1f}" + ("%" if unit == "percent" else "")


def source_parts(source: str | None) -> list[str]:
    """The releases a ``source`` text names, each without its file detail."""
    out = []
    for part in (source or "").split(";"):
        part = part.strip()
        if not part or part.lower().startswith(("not published", "no dfe value")):
            continue
        name = part.split(" (", 1)[0].strip().rstrip(".")
        if name.startswith("per 10,000"):
            continue
        out.append(name)
    return out


class _Footnotes:
    """Sources numbered in order of first use, each listed once."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def mark(self, source: str | None) -> list[int]:
        out = []
        for name in source_parts(source):
            if name not in self.items:
                self.items.append(name)
            out.append(self.items.index(name) + 1)
        return sorted(set(out))


def _bench_text(value: float | None, unit: str) -> str:
    return "" if value is None else format_metric(value, unit)


def _rank(b: dict) -> str:
    if b.get("rank") is None:
        return ""
    return f"{b['rank']} of {b['rank_of']}" if b.get("rank_of") is not None else str(b["rank"])


def _flags(flags: Sequence[Flag]) -> list[dict]:
    return [{"words": f.words, "id": f.check_id, "table": f.table,
             "period": month_name(parse_period(f.period)) if f.period else ""}
            for f in flags]


@dataclass
class _Context:
    cov: Coverage
    mv: MetricValues
    bench: dict[tuple[str, str], dict]
    hidden: set[Key]
    marks: Marks
    targets: "Targets | None"
    notes: _Footnotes
    periods: set[str]


def _headline(meta: dict, ctx: _Context) -> tuple[str | None, str, str | None, str]:
    """(period read, words for it, last year's period read, words) for a metric's headline."""
    mid = meta["metric_id"]
    kinds = (meta["periods"] or "").split(",")
    cov = ctx.cov
    if cov.is_month:
        if "month" in kinds:
            return (cov.label, "", cov.previous.label, "")
        this, prev = cov.year_column(ctx.periods), cov.previous_column(ctx.periods)
        return (this.label, "year to date" if this.label else "yearly measure: no year-to-date "
                "figure in this build", prev.label, prev.heading)
    if ctx.mv.value(mid, cov.label) is None and "year" not in kinds:
        # a month-only metric on a year's scorecard: the last month of the year that has data
        for m in reversed(cov.year.months()):
            if ctx.mv.value(mid, m.label) is not None:
                return (m.label, f"at end of {month_name(m)}", m.previous().label, "")
    return (cov.label, "", cov.year.previous().label, "")


def _metric_card(meta: dict, ctx: _Context) -> dict:
    """Everything the template shows for one catalogue metric."""
    mid, unit = meta["metric_id"], meta["unit"]
    cov = ctx.cov
    target, at, prev_period, prev_words = _headline(meta, ctx)

    def shown(key_period: str | None, breakdown: str = "") -> tuple[float | None, bool]:
        if not key_period:
            return None, False
        return ctx.mv.value(mid, key_period, breakdown), (mid, key_period, breakdown) in ctx.hidden

    value, is_hidden = shown(target)
    kinds = (meta["periods"] or "").split(",")
    incomplete_idx: list[int] = []
    roles = None
    if breakdowns_only := (value is None and target and bool(ctx.mv.breakdowns(mid, target))):
        pts, spark_label = [], "By category, below"
    elif "month" in kinds:
        months = cov.previous.year.months() + cov.months
        pts = [(m.start.strftime("%b %Y"), *shown(m.label)) for m in months]
        roles = ["last_year"] * 12 + ["this_year"] * len(cov.months)
        gaps = set(ctx.marks.gaps([mid], [m.label for m in months]))
        incomplete_idx = [i for i, m in enumerate(months) if m.label in gaps]
        spark_label = f"Monthly, {month_name(months[0])} to {month_name(months[-1])}"
    else:
        years = sorted({y for y in ctx.mv.periods(mid, "year") if y <= cov.year.label
                        and (y < cov.year.label or not cov.is_month)}
                       | {cov.year.previous().label} | ({cov.year.label} if not cov.is_month else set()))
        pts = [(y, *shown(y)) for y in years]
        spark_label = "By year" + (" (complete years)" if cov.is_month else "")
    b = ctx.bench.get((mid, ""), {})
    foot = ctx.notes.mark(b.get("source")) if (b.get("england") is not None
                                                or b.get("sn_mean") is not None) else []
    breakdowns = []
    for br in sorted(ctx.mv.breakdowns(mid, target) if target else [],
                     key=lambda c: (_CATEGORY_ORDER.get(c, len(_CATEGORY_ORDER)), c)):
        v, h = shown(target, br)
        bb = ctx.bench.get((mid, br), {})
        tgt = ctx.targets.get(mid, br) if ctx.targets is not None else None
        breakdowns.append({"label": _CATEGORY_NAMES.get(br, f"{br} (unrecognised code)"),
                           "value": sdc.SUPPRESSED if h else format_metric(v, unit),
                           "england": _bench_text(bb.get("england"), unit),
                           "sn": _bench_text(bb.get("sn_mean"), unit),
                           "rank": _rank(bb), "target": _target(tgt, None if h else v, unit, cov,
                                                                target)})
    rag = (b.get("rag") or "").lower()
    periods = [target] if target else []
    errors = ctx.marks.errors([mid], periods)
    warnings = [f for f in ctx.marks.flags([mid], periods, "warning") if not f.is_gap]
    gap_note = ctx.marks.gap_note([mid], target) if target else ""
    prev_value = None
    if prev_period:
        pv, ph = shown(prev_period)
        prev_value = sdc.SUPPRESSED if ph else _bench_text(pv, unit)
    tgt = ctx.targets.get(mid) if ctx.targets is not None else None
    return {
        "id": mid, "title": meta["title"],
        "description": metric_definition(mid, meta["description"] or ""),
        "value": sdc.SUPPRESSED if is_hidden else (
            "" if breakdowns_only else format_metric(value, unit)),
        "raw": None if is_hidden else value, "raw_previous": None if not prev_period
        or shown(prev_period)[1] else shown(prev_period)[0],
        "at": at, "unit": unit, "polarity": meta["polarity"],
        "previous": prev_value or "", "previous_words": prev_words,
        "spark": sparkline(pts, unit=unit, roles=roles, incomplete=incomplete_idx) if pts else None,
        "spark_label": spark_label,
        "england": _bench_text(b.get("england"), unit), "sn": _bench_text(b.get("sn_mean"), unit),
        "footnotes": foot,
        "quartile": f"Q{b['quartile']}" if b.get("quartile") is not None else "",
        "rank": _rank(b), "benchmark_period": b.get("benchmark_period") or "",
        "rag": rag if rag in _RAG_TEXT else "none", "rag_text": _RAG_TEXT.get(rag, "Not rated"),
        "target": _target(tgt, None if is_hidden else value, unit, cov, target),
        "direction": _DIRECTION.get(b.get("direction") or "", ""),
        "breakdowns": breakdowns, "errors": _flags(errors), "warnings": _flags(warnings),
        "provisional": bool(errors), "gap_note": gap_note,
        "incomplete": [pts[i][0] for i in incomplete_idx],
    }


def _target(t, value: float | None, unit: str, cov: Coverage, period: str | None) -> dict | None:
    if t is None or not period:
        return None
    kind = "month" if period_kind(period) == "month" else "year"
    if not t.applies(kind):
        return None
    rag = t.rag(value)
    return {"value": format_metric(t.target, unit), "rag": rag or "none",
            "text": _RAG_TEXT.get(rag, "Not rated"), "note": t.note,
            "tolerance": format_metric(t.tolerance, unit) if t.tolerance else "",
            "better": t.better}


def _summary(groups: list[tuple[str, list[dict]]], ctx: _Context, checks: list[dict]) -> dict:
    """The board summary: red figures, biggest moves, figures touched by failing checks,
    months possibly incomplete."""
    cards = [c for _, cs in groups for c in cs]
    red = [c for c in cards if c["rag"] == "red"]
    red_target = [c for c in cards if c["target"] and c["target"]["rag"] == "red"]
    moved = []
    for c in cards:
        v, p = c["raw"], c["raw_previous"]
        if v is None or p is None or not p or c["value"] == sdc.SUPPRESSED:
            continue
        moved.append((abs(v - p) / abs(p), c, v - p))
    moved.sort(key=lambda x: (-x[0], x[1]["id"]))
    provisional = [c for c in cards if c["provisional"]]
    by_check: dict[tuple[str, str], dict] = {}
    for c in provisional:
        for f in c["errors"]:
            entry = by_check.setdefault((f["id"], f["table"]), {**f, "figures": []})
            entry["figures"].append({"id": c["id"], "title": c["title"]})
    incomplete = [{"check": ch, "months": ch["months"]} for ch in checks if ch["months"]]
    gap_months: dict[str, list[str]] = defaultdict(list)
    for ch in checks:
        for m in ch["months"]:
            gap_months[m].append(ch["table_words"].lower())
    return {
        "red": red, "red_target": red_target,
        "moved": [{"card": c, "pct": f"{share * 100:.0f}%", "change": _change(delta, c["unit"]),
                   "up": delta > 0} for share, c, delta in moved[:MOVED_MOST]],
        "checks": sorted(by_check.values(), key=lambda e: (e["words"], e["id"])),
        "incomplete": [{"month": m, "tables": sorted(set(t))} for m, t in
                       sorted(gap_months.items(), key=lambda kv: kv[0])],
        "any_incomplete": bool(incomplete),
    }


def _quality(validation: pl.DataFrame, impact: pl.DataFrame,
             titles: dict[str, str], units: dict[str, str], *, cov: Coverage,
             threshold: int, affects_frame: pl.DataFrame | None) -> list[dict]:
    """Failing checks, errors first, each in words with its id behind, the figures it feeds
    (by lineage) and, where measured, how much they move without its records."""
    from .wording import record_words

    checks = (validation.group_by("severity", "check_id", "table")
              .agg(pl.len().alias("records"), pl.col("message").sort().first().alias("message"),
                   pl.col("period").filter(pl.col("record_id") == "").unique().sort()
                   .alias("periods"))
              .with_columns((pl.col("severity") != "error").alias("_order"))
              .sort("_order", "check_id", "table").drop("_order"))
    wanted = {m.label for m in cov.months} | {cov.label, cov.year.label, cov.span_label}
    in_period = impact.filter(pl.col("period").is_in(sorted(wanted))).sort(
        "check_id", "metric_id", "period", "breakdown")
    out = []
    for sev, check_id, table, records, message, periods in checks.iter_rows():
        affected = []
        for r in in_period.filter((pl.col("check_id") == check_id)
                                  & (pl.col("table") == table)).iter_rows(named=True):
            unit = units.get(r["metric_id"], "")
            hide_v = unit == "count" and sdc.is_primary(r["value"], threshold)
            hide_w = unit == "count" and sdc.is_primary(r["value_without"], threshold)
            period = r["period"]
            affected.append({
                "title": titles.get(r["metric_id"], r["metric_id"]),
                "period": month_name(parse_period(period)) if period_kind(period) == "month"
                else period,
                "breakdown": r["breakdown"] or "",
                "value": sdc.SUPPRESSED if hide_v else format_metric(r["value"], unit),
                "without": sdc.SUPPRESSED if hide_w else format_metric(r["value_without"], unit),
                "change": sdc.SUPPRESSED if hide_v or hide_w else _change(r["change"], unit),
            })
        feeds = []
        if affects_frame is not None and not affects_frame.is_empty():
            ids = affects_frame.filter((pl.col("check_id") == check_id)
                                       & (pl.col("table") == table))["metric_id"].to_list()
            feeds = [titles.get(m, m) for m in dict.fromkeys(ids) if m in titles]
        months = []
        if check_id == "volume.monthly_gap":
            months = [month_name(parse_period(p)) for p in periods
                      if p and period_kind(p) == "month" and p in wanted | {
                          m.label for m in cov.previous.year.months()}]
        out.append({"severity": sev, "check_id": check_id, "table": table,
                    "table_words": record_words(table) if table else "Records",
                    "words": check_words(check_id, table), "records": int(records),
                    "message": message, "affected": affected[:40],
                    "more": max(len(affected) - 40, 0), "feeds": feeds, "months": months,
                    "whole_period": bool([p for p in periods if p])})
    return out


def render_html(path: Path, *, metrics: pl.DataFrame, scorecard: pl.DataFrame,
                validation: pl.DataFrame, impact: pl.DataFrame, catalogue: pl.DataFrame,
                period: str, la_code: int, la_name: str, threshold: int, errors_failed: bool,
                tables: Sequence[ReportTable] = (),
                provisional_metrics: frozenset[str] = frozenset(),
                marks: Marks | None = None, affects: pl.DataFrame | None = None,
                targets: "Targets | None" = None,
                sections: Sequence[PageSection] = ()) -> Path:
    """Write ``scorecard.html`` for ``period`` to ``path``.

    ``tables``: the suppressed annual-report tables (what they hide is hidden here too);
    ``marks``: failing checks by the figures they touch (built from ``affects``, or from
    ``validation`` by lineage, when not given); ``provisional_metrics``: further metrics to
    mark provisional; ``targets``: the partnership's own targets; ``sections``: more page
    sections (e.g. trends, revisions).
    """
    import jinja2

    cov = coverage(period)
    units = dict(catalogue.select("metric_id", "unit").iter_rows())
    titles = dict(catalogue.select("metric_id", "title").iter_rows())
    if affects is None:
        from ..validate.lineage import affects_frame

        affects = affects_frame(validation)
    if marks is None:
        marks = Marks(affects)
    if provisional_metrics:
        extra = pl.DataFrame([{"check_id": "provisional", "table": "", "severity": "error",
                               "metric_id": m, "period": ""} for m in sorted(provisional_metrics)],
                             schema=affects.schema)
        affects = pl.concat([affects, extra])
        marks = Marks(affects)
    mv = MetricValues(metrics, la_code)
    hidden = hidden_metric_values(metrics, units, la_code=la_code, threshold=threshold,
                                  tables=tables)
    periods = set(metrics.filter(pl.col("la_code") == la_code)["period"].unique().to_list())
    heads = {cov.label, cov.year.label} | ({cov.year_column(periods).label} - {None})
    sc = scorecard.filter((pl.col("la_code") == la_code) & pl.col("period").is_in(sorted(heads)))
    bench: dict[tuple[str, str], dict] = {}
    # the row of the headline period wins; a month build's yearly comparators give context
    for r in sorted(sc.iter_rows(named=True), key=lambda r: r["period"] == cov.label):
        bench[(r["metric_id"], r["breakdown"] or "")] = r
    if cov.is_month:
        for key, r in list(bench.items()):
            if r["period"] != cov.label and r["period"] != cov.year_column(periods).label:
                bench[key] = {k: r.get(k) for k in ("england", "sn_mean", "benchmark_period",
                                                    "source")}
    notes = _Footnotes()
    notes.items.append(f"{la_name} children's social care records, as loaded by this build")
    ctx = _Context(cov, mv, bench, hidden, marks, targets, notes, periods)
    groups: dict[str, list[dict]] = {}
    for meta in catalogue.iter_rows(named=True):
        groups.setdefault(meta["group"] or "Other", []).append(_metric_card(meta, ctx))
    group_list = list(groups.items())
    checks = _quality(validation, impact, titles, units, cov=cov, threshold=threshold,
                      affects_frame=affects)
    summary = _summary(group_list, ctx, checks)
    prev = cov.previous
    base = [
        PageSection("summary", "Summary for the board", "_summary.html.j2", {"summary": summary}),
        PageSection("measures", "All measures", "_measures.html.j2", {"groups": group_list}),
        PageSection("quality", "Data quality", "_quality.html.j2", {"checks": checks}),
    ]
    ordered = list(base)
    for extra in sections:
        anchor = next((i for i, s in enumerate(ordered) if s.id == extra.after), len(ordered) - 1)
        ordered.insert(anchor + 1, extra)
    env = jinja2.Environment(loader=jinja2.PackageLoader("scorecard.report", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    page = env.get_template("scorecard.html.j2").render(
        la_name=la_name, la_code=la_code, cov=cov, period=period, errors_failed=errors_failed,
        this_heading=cov.name, prev_heading=prev.name if cov.is_month else prev.year.label,
        sections=ordered, threshold=threshold, rule=sdc.rule_note(threshold),
        footnotes=notes.items, palette=css_variables(), series=SERIES, status=STATUS,
        targets=targets, targets_file=Path(targets.source).name if targets is not None else "",
        gap_words=GAP_WORDS)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8", newline="\n")
    return path
