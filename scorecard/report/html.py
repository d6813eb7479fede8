"""``scorecard.html``: the one-page scorecard.

Self-contained (inline CSS and inline SVG sparklines; no fonts, scripts or images are
fetched), so it opens with no network. Every metric in the catalogue appears, grouped as the
catalogue groups it, with its value for the period, a sparkline, its benchmark position
(England, statistical-neighbour mean, quartile, rank) and RAG status as colour *and* text.
A data-quality panel lists failing checks by severity and the figures they move (the impact
frame). Jinja2 autoescaping is on, so text from data is always shown as text.

Disclosure control follows :mod:`scorecard.report.sdc`: anything a published table hides is
hidden here too, counts of 1 to threshold-1 (and ratios resting on them) are ``c``, months
of an additive count are protected against recovery from the year total, and breakdowns
against recovery from their total.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import polars as pl

from . import sdc
from .tables import (CP_CATEGORY_LABELS, PRIMARY_NEED_LABELS, REFERRAL_SOURCE_GROUPS,
                     MetricValues, ReportTable, annual_period, period_kind)

__all__ = ["render_html", "hidden_metric_values", "sparkline", "NOT_ADDITIVE"]

#: Monthly counts of distinct children, or month-end snapshots, do not add up to the year's
#: figure, so they form no line with it.
NOT_ADDITIVE = frozenset({"missing_children", "cin_open_month_end", "cpp_open_month_end"})

#: Readable names (and display order) of breakdown categories.
_CATEGORY_NAMES = {**{c: f"{c} {t}" for c, t in PRIMARY_NEED_LABELS.items()},
                   **{c: f"{t} ({c})" for c, t in CP_CATEGORY_LABELS.items()},
                   **{g: g for g in REFERRAL_SOURCE_GROUPS}}
_CATEGORY_ORDER = {c: i for i, c in enumerate(_CATEGORY_NAMES)}
_RAG_TEXT = {"green": "Green", "amber": "Amber", "red": "Red"}
#: Direction of travel. Improving/worsening already say good or bad, so they carry no arrow
#: (an upward arrow for a falling "lower is better" figure would mislead); neutral metrics
#: say only which way the figure moved.
_DIRECTION = {"improving": "Improving", "worsening": "Worsening", "no change": "No change",
              "up": "▲ Up", "down": "▼ Down"}
Key = tuple[str, str, str]


def format_metric(value: float | None, unit: str) -> str:
    """A metric value as shown on the scorecard."""
    if value is None:
        return "–"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "percent":
        return f"{value:.1f}%"
    return f"{value:,.1f}"


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


def sparkline(points: Sequence[tuple[str, float | None, bool]], *, unit: str,
              width: int = 150, height: int = 34) -> dict:
    """Geometry of an inline SVG sparkline: segments split at missing or hidden points.

    ``points``: (label, value, hidden) in time order. Returns the polyline segments, the
    last shown point, gap markers for hidden points and an accessible description.
    """
    shown = [v for _, v, h in points if v is not None and not h]
    pad = 4
    lo, hi = (min(shown), max(shown)) if shown else (0.0, 1.0)
    span = (hi - lo) or 1.0
    step = (width - 2 * pad) / max(len(points) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return (round(pad + i * step, 1), round(height - pad - (v - lo) / span * (height - 2 * pad), 1))

    segments, current, gaps, last = [], [], [], None
    for i, (_, v, h) in enumerate(points):
        if v is None or h:
            if h:
                gaps.append(round(pad + i * step, 1))
            if current:
                segments.append(current)
            current = []
            continue
        current.append(xy(i, v))
        last = xy(i, v)
    if current:
        segments.append(current)
    desc = "; ".join(f"{lab} {sdc.SUPPRESSED if h else format_metric(v, unit)}"
                     for lab, v, h in points)
    return {"width": width, "height": height,
            "segments": [" ".join(f"{x},{y}" for x, y in s) for s in segments],
            "singles": [s[0] for s in segments if len(s) == 1], "last": last, "gaps": gaps,
            "desc": desc, "empty": not shown}


def _bench_text(value: float | None, unit: str) -> str:
    return "" if value is None else format_metric(value, unit)


def _metric_card(meta: dict, mv: MetricValues, bench: dict[tuple[str, str], dict],
                 hidden: set[Key], impact_ids: dict[str, str], *, period: str) -> dict:
    """Everything the template shows for one catalogue metric."""
    mid, unit = meta["metric_id"], meta["unit"]
    fy = annual_period(period)
    target, at = period, ""
    if mv.value(mid, period) is None and "year" not in (meta["periods"] or "").split(","):
        # a month-only metric on a year's scorecard: the last month of the year that has data
        for m in reversed(fy.months()):
            if mv.value(mid, m.label) is not None:
                target, at = m.label, f"at end of {m.start.strftime('%B %Y')}"
                break

    def shown(key_period: str, breakdown: str = "") -> tuple[float | None, bool]:
        return mv.value(mid, key_period, breakdown), (mid, key_period, breakdown) in hidden

    value, is_hidden = shown(target)
    if breakdowns_only := (value is None and bool(mv.breakdowns(mid, target))):
        pts, spark_label = [], "By category, below"
    elif "month" in (meta["periods"] or "").split(","):
        months = fy.previous().months() + fy.months()
        pts = [(m.start.strftime("%b %Y"), *shown(m.label)) for m in months]
        spark_label = f"Monthly, {fy.previous().label} and {fy.label}"
    else:
        years = sorted({y for y in mv.periods(mid, "year") if y <= fy.label}
                       | {fy.previous().label, fy.label})
        pts = [(y, *shown(y)) for y in years]
        spark_label = "By year"
    b = bench.get((mid, ""), {})
    breakdowns = []
    for br in sorted(mv.breakdowns(mid, target),
                     key=lambda c: (_CATEGORY_ORDER.get(c, len(_CATEGORY_ORDER)), c)):
        v, h = shown(target, br)
        bb = bench.get((mid, br), {})
        breakdowns.append({"label": _CATEGORY_NAMES.get(br, f"{br} (unrecognised code)"), "value": sdc.SUPPRESSED if h else format_metric(v, unit),
                           "england": _bench_text(bb.get("england"), unit),
                           "sn": _bench_text(bb.get("sn_mean"), unit),
                           "rank": _rank(bb)})
    rag = (b.get("rag") or "").lower()
    return {
        "id": mid, "title": meta["title"], "description": meta["description"] or "",
        "value": sdc.SUPPRESSED if is_hidden else (
            "" if breakdowns_only else format_metric(value, unit)),
        "at": at, "unit": unit, "polarity": meta["polarity"],
        "previous": (sdc.SUPPRESSED if (mid, fy.previous().label, "") in hidden
                     else _bench_text(mv.value(mid, fy.previous().label), unit))
        if target == fy.label else "",
        "spark": sparkline(pts, unit=unit) if pts else None, "spark_label": spark_label,
        "england": _bench_text(b.get("england"), unit), "sn": _bench_text(b.get("sn_mean"), unit),
        "quartile": f"Q{b['quartile']}" if b.get("quartile") is not None else "",
        "rank": _rank(b), "benchmark_period": b.get("benchmark_period") or "",
        "rag": rag if rag in _RAG_TEXT else "none", "rag_text": _RAG_TEXT.get(rag, "Not rated"),
        "direction": _DIRECTION.get(b.get("direction") or "", ""),
        "breakdowns": breakdowns, "affected": impact_ids.get(mid, ""),
    }


def _rank(b: dict) -> str:
    if b.get("rank") is None:
        return ""
    return f"{b['rank']} of {b['rank_of']}" if b.get("rank_of") is not None else str(b["rank"])


def _quality(validation: pl.DataFrame, impact: pl.DataFrame, titles: dict[str, str],
             units: dict[str, str], *, period: str, threshold: int) -> list[dict]:
    """Failing checks, errors first, each with the figures it moves in this period."""
    checks = (validation.group_by("severity", "check_id", "table")
              .agg(pl.len().alias("records"), pl.col("message").sort().first().alias("message"))
              .with_columns((pl.col("severity") != "error").alias("_order"))
              .sort("_order", "check_id", "table").drop("_order"))
    in_period = impact.filter(pl.col("period") == period).sort(
        "check_id", "metric_id", "breakdown")
    out = []
    for sev, check_id, table, records, message in checks.iter_rows():
        affected = []
        for r in in_period.filter(pl.col("check_id") == check_id).iter_rows(named=True):
            unit = units.get(r["metric_id"], "")
            hide_v = unit == "count" and sdc.is_primary(r["value"], threshold)
            hide_w = unit == "count" and sdc.is_primary(r["value_without"], threshold)
            change = r["change"]
            affected.append({
                "title": titles.get(r["metric_id"], r["metric_id"]), "breakdown": r["breakdown"] or "",
                "value": sdc.SUPPRESSED if hide_v else format_metric(r["value"], unit),
                "without": sdc.SUPPRESSED if hide_w else format_metric(r["value_without"], unit),
                "change": sdc.SUPPRESSED if hide_v or hide_w else (
                    "–" if change is None else f"{change:+,.1f}" + ("%" if unit == "percent" else "")),
            })
        elsewhere = impact.filter((pl.col("check_id") == check_id)
                                  & (pl.col("period") != period)).select("period").n_unique()
        out.append({"severity": sev, "check_id": check_id, "table": table, "records": records,
                    "message": message, "affected": affected, "other_periods": elsewhere})
    return out


def render_html(path: Path, *, metrics: pl.DataFrame, scorecard: pl.DataFrame,
                validation: pl.DataFrame, impact: pl.DataFrame, catalogue: pl.DataFrame,
                period: str, la_code: int, la_name: str, threshold: int, errors_failed: bool,
                tables: Sequence[ReportTable] = (),
                provisional_metrics: frozenset[str] = frozenset()) -> Path:
    """Write ``scorecard.html`` for ``period`` to ``path``.

    ``tables``: the suppressed annual-report tables (what they hide is hidden here too);
    ``provisional_metrics``: metrics to mark provisional (failing error checks).
    """
    import jinja2

    units = dict(catalogue.select("metric_id", "unit").iter_rows())
    titles = dict(catalogue.select("metric_id", "title").iter_rows())
    mv = MetricValues(metrics, la_code)
    hidden = hidden_metric_values(metrics, units, la_code=la_code, threshold=threshold,
                                  tables=tables)
    sc = scorecard.filter((pl.col("la_code") == la_code) & (pl.col("period") == period))
    bench = {(r["metric_id"], r["breakdown"] or ""): r for r in sc.iter_rows(named=True)}
    error_impact = impact.filter(pl.col("severity") == "error")
    impact_ids: dict[str, str] = {}
    for mid, check_ids in (impact.group_by("metric_id")
                           .agg(pl.col("check_id").unique().sort()).iter_rows()):
        errors = set(error_impact.filter(pl.col("metric_id") == mid)["check_id"].to_list())
        impact_ids[mid] = ("error" if errors else "warning") + ":" + ", ".join(check_ids)
    groups: dict[str, list[dict]] = {}
    for meta in catalogue.iter_rows(named=True):
        groups.setdefault(meta["group"] or "Other", []).append(
            _metric_card(meta, mv, bench, hidden, impact_ids, period=period)
            | {"provisional": meta["metric_id"] in provisional_metrics})
    env = jinja2.Environment(loader=jinja2.PackageLoader("scorecard.report", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    page = env.get_template("scorecard.html.j2").render(
        la_name=la_name, la_code=la_code, period=period, errors_failed=errors_failed,
        groups=list(groups.items()), threshold=threshold, rule=sdc.rule_note(threshold),
        checks=_quality(validation, impact, titles, units, period=period, threshold=threshold),
        sources=sorted({s for s in sc.get_column("source").to_list() if s})
        if "source" in sc.columns else [])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8", newline="\n")
    return path
