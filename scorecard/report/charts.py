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

This module says which charts a build has (:func:`chart_specs`); :mod:`.chart_spec` holds what
a chart is and its alt text, :mod:`.chart_draw` the drawing (matplotlib is imported when a
chart is drawn, not when a module is imported) and :mod:`.chart_files` the writing.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from . import sdc
from .chart_draw import bar_chart, draw, panel_chart, trend_chart
from .chart_files import PARALLEL_FROM, save_all, save_chart
from .chart_spec import ChartSpec, Series, alt_text, series_from
from .coverage import Coverage, coverage, month_name
from .palette import OKABE_ITO
from .status import Marks
from .tables import ReportTable
from .wording import GAP_WORDS

__all__ = ["Series", "ChartSpec", "OKABE_ITO", "series_from", "trend_chart", "bar_chart",
           "panel_chart", "PARALLEL_FROM",
           "save_chart", "save_all", "chart_specs", "draw", "all_charts", "alt_text"]


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
