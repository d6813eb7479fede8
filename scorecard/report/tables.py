"""The annual-report tables, laid out as in the partnership's 2022/23 annual report.

Each public table function is a pure function of the metrics (and scorecard) frames and
returns a :class:`~scorecard.report.table.ReportTable` (``table.py``: the figures, what
disclosure control needs to know about their structure, status and notes, and writing them).
A build period names what each table covers (:mod:`.coverage`): a month build's tables run
from April to that month. :func:`all_tables` gives every table in the annual report's order,
suppressed and with its status (:mod:`.status`).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import replace

import polars as pl

from ..periods import Period, parse_period
from . import sdc
from .coverage import ColumnPeriod, Coverage, coverage, month_name
from .status import Marks
from .table import (INDEX_COLUMNS, KINDS, NOTE_COLUMN, ReportTable, csv_safe, format_value,
                    write_csv, write_index)

__all__ = ["ReportTable", "MetricValues", "PRIMARY_NEED_LABELS", "CP_CATEGORY_LABELS",
           "REFERRAL_SOURCE_GROUPS", "TABLE_ORDER", "NOTE_COLUMN", "annual_period",
           "period_kind", "format_value", "referral_sources", "cin_by_month",
           "cin_by_primary_need", "cp_by_latest_category", "cp_per_month", "missing_by_month",
           "rhi_by_month", "contacts_24h_by_month", "all_tables", "csv_safe", "write_csv",
           "write_index", "INDEX_COLUMNS", "KINDS"]

#: DfE primary need codes, in code order, with the annual report's wording.
PRIMARY_NEED_LABELS = {
    "N0": "Not stated", "N1": "Abuse or neglect", "N2": "Child's disability",
    "N3": "Parental disability or illness", "N4": "Family in acute stress",
    "N5": "Family dysfunction", "N6": "Socially unacceptable behaviour", "N7": "Low income",
    "N8": "Absent parenting", "N9": "Cases other than children in need",
}
#: CP categories in the annual report's order.
CP_CATEGORY_LABELS = {"NEG": "Neglect", "EMO": "Emotional abuse", "MUL": "Multiple",
                      "SAB": "Sexual abuse", "PHY": "Physical abuse"}
#: Referral source groups (``referral_source_pct`` breakdowns) in the annual report's order.
REFERRAL_SOURCE_GROUPS = ("Police", "Schools/Education", "Health", "Other", "Family/Friend",
                          "Local Authority", "Legal Agency")

class MetricValues:
    """Look-up of one LA's rows of the metrics frame by (metric_id, period, breakdown)."""

    def __init__(self, metrics: pl.DataFrame, la_code: int):
        rows = metrics.filter(pl.col("la_code") == la_code).select(
            "metric_id", "period", "breakdown", "value", "numerator", "denominator").iter_rows()
        self._rows = {(m, p, b or ""): (v, n, d) for m, p, b, v, n, d in rows}

    def value(self, metric_id: str, period: str, breakdown: str = "") -> float | None:
        """The metric's value (``None`` when not computed)."""
        return self._rows.get((metric_id, period, breakdown), (None, None, None))[0]

    def numerator(self, metric_id: str, period: str, breakdown: str = "") -> float | None:
        """The numerator of a ratio metric (``None`` for plain counts)."""
        return self._rows.get((metric_id, period, breakdown), (None, None, None))[1]

    def denominator(self, metric_id: str, period: str, breakdown: str = "") -> float | None:
        """The denominator of a ratio metric."""
        return self._rows.get((metric_id, period, breakdown), (None, None, None))[2]

    def count(self, metric_id: str, period: str, breakdown: str = "") -> float | None:
        """The count a figure rests on: the numerator of a ratio, else the value itself."""
        n = self.numerator(metric_id, period, breakdown)
        return n if n is not None else self.value(metric_id, period, breakdown)

    def periods(self, metric_id: str, kind: str) -> list[str]:
        """The periods of ``kind`` (``year`` or ``month``) the metric has values for, sorted."""
        found = {p for m, p, _ in self._rows if m == metric_id}
        return sorted(p for p in found if period_kind(p) == kind)

    def breakdowns(self, metric_id: str, period: str) -> list[str]:
        """The non-blank breakdowns present for a metric and period, sorted."""
        return sorted(b for m, p, b in self._rows if m == metric_id and p == period and b)


def period_kind(period: str) -> str | None:
    """``year`` or ``month`` for a period label, ``None`` when it is neither."""
    try:
        return parse_period(period).kind
    except ValueError:
        return None


def annual_period(period: str) -> Period:
    """The financial year the annual-report tables cover for a build ``period``."""
    p = parse_period(period)
    return p if p.kind == "year" else p.financial_year


def _frame(rows: list[dict], labels: Iterable[str], values: Iterable[str]) -> pl.DataFrame:
    labels, values = list(labels), list(values)
    schema = {c: pl.Utf8 for c in labels} | {c: pl.Float64 for c in values}
    return pl.DataFrame([{c: r.get(c) for c in schema} for r in rows], schema=schema,
                        orient="row")


def _source(la_name: str, *spans: str) -> str:
    return f"{la_name} children's social care records, {' and '.join(spans)} (scorecard metrics)"


def _periods(metrics: pl.DataFrame, la_code: int) -> set[str]:
    return set(metrics.filter(pl.col("la_code") == la_code).get_column("period").unique().to_list())


def _columns(cov: Coverage, metrics: pl.DataFrame, la_code: int) -> tuple[ColumnPeriod, ColumnPeriod]:
    """(this year, last year) columns of a table of yearly figures."""
    periods = _periods(metrics, la_code)
    return cov.year_column(periods), cov.previous_column(periods)


def referral_sources(metrics: pl.DataFrame, scorecard: pl.DataFrame, *, period: str,
                     la_code: int, la_name: str) -> ReportTable:
    """Referral source as % of total referrals: this year, last year, SN and England.

    In a month build, this year is the year to date (blank when the metrics carry none)."""
    cov = coverage(period)
    this_col, prev_col = _columns(cov, metrics, la_code)
    this, prev = this_col.label, prev_col.label
    mv = MetricValues(metrics, la_code)
    bench = {b: (sn, eng, bp) for b, sn, eng, bp in scorecard.filter(
        (pl.col("metric_id") == "referral_source_pct") & (pl.col("period") == cov.year.label)
        & (pl.col("la_code") == la_code)).select(
        "breakdown", "sn_mean", "england", "benchmark_period").iter_rows()}
    bp_counts = Counter(bp for _, _, bp in bench.values() if bp)
    bp = f" {bp_counts.most_common(1)[0][0]}" if bp_counts else ""
    label = "Referral source"
    cols = {this_col: (f"{la_name} {this_col.heading} %", f"{la_name} {this_col.heading} number"),
            prev_col: (f"{la_name} {prev_col.heading} %", f"{la_name} {prev_col.heading} number")}
    sn_col, eng_col = f"Statistical neighbours{bp} %", f"England{bp} %"
    present = (set(mv.breakdowns("referral_source_pct", this)) if this else set()) | (
        set(mv.breakdowns("referral_source_pct", prev)) if prev else set())
    groups = list(REFERRAL_SOURCE_GROUPS) + sorted(present - set(REFERRAL_SOURCE_GROUPS))
    rows, keys = [], {}
    for i, g in enumerate(groups):
        row = {label: g, sn_col: bench.get(g, (None,) * 3)[0], eng_col: bench.get(g, (None,) * 3)[1]}
        for c, (pc, nc) in cols.items():
            row[pc] = mv.value("referral_source_pct", c.label, g) if c.label else None
            row[nc] = mv.numerator("referral_source_pct", c.label, g) if c.label else None
            if c.label:
                keys[(i, pc)] = keys[(i, nc)] = ("referral_source_pct", c.label, g)
        rows.append(row)
    total = {label: "All referrals"}
    for c, (pc, nc) in cols.items():
        n = None
        if c.label:
            keys[(len(groups), nc)] = ("referrals", c.label, "")
            n = mv.value("referrals", c.label)
            if n is None:
                n = next((d for g in groups if (d := mv.denominator("referral_source_pct", c.label, g))
                          is not None), None)
        total[nc], total[pc] = n, (100.0 if n else None)
    rows.append(total)
    order = [cols[this_col][0], cols[this_col][1], cols[prev_col][0], cols[prev_col][1], sn_col,
             eng_col]
    kinds = {c: ("count" if c.endswith("number") else "percent") for c in order}
    bench_src = sorted({s for s in scorecard.filter(
        pl.col("metric_id") == "referral_source_pct").get_column("source").to_list() if s})
    source = _source(la_name, prev_col.heading, this_col.heading) + "".join(f"; {s}" for s in bench_src)
    roles = {cols[this_col][0]: "this_year", cols[this_col][1]: "this_year",
             cols[prev_col][0]: "last_year", cols[prev_col][1]: "last_year",
             sn_col: "neighbours", eng_col: "england"}
    return ReportTable(
        "referral_sources", f"Referral source as % of total referrals, {cov.title_span}",
        _frame(rows, [label], order), (label,), kinds, ("referral_source_pct", "referrals"),
        source, derived={cols[c][0]: (cols[c][1],) for c in cols},
        over_total={cols[c][0]: cols[c][1] for c in cols}, keys=keys,
        total_row=len(rows) - 1, additive=(cols[this_col][1], cols[prev_col][1]), roles=roles,
        period=cov.span_label, covers=cov.span)


def _two_year_monthly(metric_id: str, name: str, title: str, *, metrics: pl.DataFrame,
                      period: str, la_code: int, la_name: str, kind: str = "count",
                      average: str | None = None) -> ReportTable:
    """Months April to March down the side, previous and this year across; in a month
    build this year stops at the build's month (later months blank)."""
    cov = coverage(period)
    fy = cov.year
    years = ((fy.previous(), fy.previous().label, cov.previous.year.months()),
             (fy, cov.year_heading, cov.months))
    mv = MetricValues(metrics, la_code)
    rows, keys = [], {}
    for i, m in enumerate(fy.months()):
        row = {"Month": m.start.strftime("%B")}
        for y, heading, covered in years:
            month = y.months()[i]
            if month in covered:
                row[heading] = mv.value(metric_id, month.label)
                keys[(i, heading)] = (metric_id, month.label, "")
            else:
                row[heading] = None
        rows.append(row)
    total_row = None
    if average:
        this_col, prev_col = _columns(cov, metrics, la_code)
        label = "Average per month" + (f" ({cov.span} for {fy.label})" if cov.is_month else "")
        avg = {"Month": label}
        for (y, heading, _), col in zip(years, (prev_col, this_col)):
            avg[heading] = mv.value(average, col.label) if col.label else None
            if col.label:
                keys[(12, heading)] = (average, col.label, "")
        rows.append(avg)
        total_row = len(rows) - 1
    ids = (metric_id,) + ((average,) if average else ())
    headings = [h for _, h, _ in years]
    return ReportTable(name, title, _frame(rows, ["Month"], headings),
                       ("Month",), {h: kind for h in headings}, ids,
                       _source(la_name, fy.previous().label, cov.title_span),
                       keys=keys, total_row=total_row,
                       additive=tuple(headings) if average else (),
                       roles={headings[0]: "last_year", headings[1]: "this_year"},
                       period=span_both(cov),
                       covers=f"{month_name(cov.previous.year.months()[0])} to "
                              f"{month_name(cov.months[-1])}")


def span_both(cov: Coverage) -> str:
    """The months of a two-year table as data: ``2021-04/2023-01``."""
    return f"{cov.previous.year.months()[0].label}/{cov.months[-1].label}"


def cin_by_month(metrics: pl.DataFrame, *, period: str, la_code: int, la_name: str) -> ReportTable:
    """Number of children in need at the end of each month, two years side by side."""
    cov = coverage(period)
    return _two_year_monthly("cin_open_month_end", "cin_by_month",
                             f"Number of children in need at the end of each month, "
                             f"{cov.year.previous().label} and {cov.year_heading}",
                             metrics=metrics, period=period, la_code=la_code, la_name=la_name)


def cp_per_month(metrics: pl.DataFrame, *, period: str, la_code: int, la_name: str) -> ReportTable:
    """Children with a child protection plan at each month end, and the average per month."""
    cov = coverage(period)
    return _two_year_monthly("cpp_open_month_end", "cp_per_month",
                             f"Children subject to a child protection plan at the end of each "
                             f"month, {cov.year.previous().label} and {cov.year_heading}",
                             metrics=metrics, period=period, la_code=la_code, la_name=la_name,
                             average="cpp_avg_open_per_month")


def _categories(metric_id: str, labels: dict[str, str], columns: list[ColumnPeriod],
                mv: MetricValues, code_heading: str, label_heading: str
                ) -> tuple[list[dict], int, dict[sdc.Cell, tuple[str, str, str]]]:
    present = set().union(*(mv.breakdowns(metric_id, c.label) for c in columns if c.label))
    codes = list(labels) + sorted(present - set(labels))
    rows = [{code_heading: c, label_heading: labels.get(c, "Unrecognised code")}
            | {col.heading: mv.value(metric_id, col.label, c) if col.label else None
               for col in columns} for c in codes]
    total = {code_heading: "", label_heading: "Total"}
    for col in columns:
        vals = [r[col.heading] for r in rows if r[col.heading] is not None]
        total[col.heading] = sum(vals) if vals else None
    rows.append(total)
    keys = {(i, col.heading): (metric_id, col.label, c) for i, c in enumerate(codes)
            for col in columns if col.label}
    return rows, len(rows) - 1, keys


def cin_by_primary_need(metrics: pl.DataFrame, *, period: str, la_code: int,
                        la_name: str) -> ReportTable:
    """Children in need episodes open in the year by primary need, two years."""
    cov = coverage(period)
    this_col, prev_col = _columns(cov, metrics, la_code)
    columns = [prev_col, this_col]
    rows, total_row, keys = _categories("cin_by_primary_need", PRIMARY_NEED_LABELS, columns,
                                        MetricValues(metrics, la_code), "Code", "Primary need")
    cols = [c.heading for c in columns]
    return ReportTable("cin_by_primary_need",
                       f"Children in need episodes by primary need, {prev_col.heading} and "
                       f"{this_col.heading}",
                       _frame(rows, ["Code", "Primary need"], cols), ("Code", "Primary need"),
                       {c: "count" for c in cols}, ("cin_by_primary_need",),
                       _source(la_name, *cols), keys=keys,
                       total_row=total_row, additive=tuple(cols),
                       roles={cols[0]: "last_year", cols[1]: "this_year"},
                       period=cov.span_label, covers=cov.span)


def cp_by_latest_category(metrics: pl.DataFrame, *, period: str, la_code: int,
                          la_name: str) -> ReportTable:
    """Child protection plans open in the year by latest category (at close or year end)."""
    cov = coverage(period)
    this_col, _ = _columns(cov, metrics, la_code)
    heading = "Latest category (at close/end of period)"
    rows, total_row, keys = _categories("cpp_by_latest_category", CP_CATEGORY_LABELS, [this_col],
                                        MetricValues(metrics, la_code), "Code", heading)
    return ReportTable("cp_by_latest_category",
                       f"Child protection plans by latest category, {this_col.heading}",
                       _frame(rows, ["Code", heading], [this_col.heading]), ("Code", heading),
                       {this_col.heading: "count"}, ("cpp_by_latest_category",),
                       _source(la_name, this_col.heading), keys=keys, total_row=total_row,
                       additive=(this_col.heading,), roles={this_col.heading: "this_year"},
                       period=cov.span_label, covers=cov.span)


def _one_year_monthly(name: str, title: str, columns: dict[str, tuple[str, str, str]], *,
                      metrics: pl.DataFrame, period: str, la_code: int, la_name: str,
                      additive: tuple[str, ...], derived: dict[str, tuple[str, ...]]
                      ) -> ReportTable:
    """The covered months down the side and a row for the year (or the year to date);
    ``columns`` maps heading -> (metric_id, field, kind) where field is ``value``,
    ``numerator`` or ``denominator``."""
    cov = coverage(period)
    this_col, _ = _columns(cov, metrics, la_code)
    mv = MetricValues(metrics, la_code)
    rows, keys = [], {}
    year_label = f"Year {cov.year.label}" if not cov.is_month else f"Year to date ({cov.span})"
    periods = [(m.label, m.start.strftime("%B %Y")) for m in cov.months] + [
        (this_col.label, year_label)]
    for i, (p, label) in enumerate(periods):
        rows.append({"Month": label} | {h: getattr(mv, f)(mid, p) if p else None
                                        for h, (mid, f, _) in columns.items()})
        if p:
            keys |= {(i, h): (mid, p, "") for h, (mid, _, _) in columns.items()}
    ids = tuple(dict.fromkeys(mid for mid, _, _ in columns.values()))
    return ReportTable(name, title, _frame(rows, ["Month"], list(columns)), ("Month",),
                       {h: k for h, (_, _, k) in columns.items()}, ids,
                       _source(la_name, cov.title_span),
                       derived=derived, keys=keys, total_row=len(rows) - 1, additive=additive,
                       roles={h: "this_year" for h in columns}, period=cov.span_label,
                       covers=cov.span)


def missing_by_month(metrics: pl.DataFrame, *, period: str, la_code: int,
                     la_name: str) -> ReportTable:
    """Children missing from home: individual young people and reports received by month.

    Monthly counts of individual young people do not add up to the year's (a child can go
    missing in several months), so only the reports column is additive.
    """
    cov = coverage(period)
    return _one_year_monthly(
        "missing_by_month", f"Children missing from home, {cov.title_span}",
        {"Individual young people": ("missing_children", "value", "count"),
         "Reports received": ("missing_episodes", "value", "count")},
        metrics=metrics, period=period, la_code=la_code, la_name=la_name,
        additive=("Reports received",), derived={})


def rhi_by_month(metrics: pl.DataFrame, *, period: str, la_code: int, la_name: str) -> ReportTable:
    """Return home interviews accepted and completed within 72 hours, by month, with %."""
    cov = coverage(period)
    acc, done, pct = ("RHIs accepted", "RHIs completed within 72 hours",
                      "% completed within 72 hours")
    return _one_year_monthly(
        "rhi_by_month",
        f"Return home interviews accepted and completed within 72 hours, {cov.title_span}",
        {acc: ("rhi_accepted", "value", "count"), done: ("rhi_completed_72h", "value", "count"),
         pct: ("rhi_completed_72h_pct", "value", "percent")},
        metrics=metrics, period=period, la_code=la_code, la_name=la_name,
        additive=(acc, done), derived={pct: (done, acc)})


def contacts_24h_by_month(metrics: pl.DataFrame, *, period: str, la_code: int,
                          la_name: str) -> ReportTable:
    """Contacts and contacts concluded within 24 hours, by month, with %."""
    cov = coverage(period)
    n, done, pct = "Contacts", "Concluded within 24 hours", "% concluded within 24 hours"
    return _one_year_monthly(
        "contacts_24h_by_month", f"Contacts concluded within 24 hours, {cov.title_span}",
        {n: ("contacts", "value", "count"),
         done: ("contacts_concluded_24h_pct", "numerator", "count"),
         pct: ("contacts_concluded_24h_pct", "value", "percent")},
        metrics=metrics, period=period, la_code=la_code, la_name=la_name,
        additive=(n, done), derived={pct: (done, n)})


#: The tables in the order the partnership's 2022/23 annual report shows them: contacts
#: concluded within 24 hours (the JTAI recommendation 2 section), then the safeguarding data
#: section (referral sources, children in need by month and by type, child protection by
#: category and per month, missing from home, return home interviews).
TABLE_ORDER = (contacts_24h_by_month, referral_sources, cin_by_month, cin_by_primary_need,
               cp_by_latest_category, cp_per_month, missing_by_month, rhi_by_month)


def _marked(t: ReportTable, marks: Marks | None, provisional_metrics: frozenset[str]) -> ReportTable:
    """The table with its status (failing error checks on its figures) and notes (rows
    resting on a possibly incomplete month)."""
    by_row: dict[int, list[tuple[str, str]]] = {}
    for (i, _), (m, p, _) in t.keys.items():
        by_row.setdefault(i, []).append((m, p))
    reasons: tuple[str, ...] = ()
    notes: dict[int, str] = {}
    incomplete: set[str] = set()
    if marks is not None:
        pairs_all = {mp for v in by_row.values() for mp in v}
        errors = {f for m, p in pairs_all for f in marks.errors([m], [p])}
        reasons = tuple(f.cited for f in sorted(errors))
        for i, pairs in sorted(by_row.items()):
            words = sorted({n for m, p in pairs if (n := marks.gap_note([m], p))})
            if words:
                notes[i] = "; ".join(words)
        incomplete = {g for m, p in pairs_all for g in marks.gaps([m], [p])}
    provisional = bool(reasons) or bool(set(t.metric_ids) & provisional_metrics)
    return replace(t, provisional=provisional, reasons=reasons, notes=notes,
                   incomplete=tuple(sorted(incomplete)))


def all_tables(metrics: pl.DataFrame, scorecard: pl.DataFrame, *, period: str, la_code: int,
               la_name: str, threshold: int = sdc.DEFAULT_THRESHOLD,
               provisional_metrics: frozenset[str] = frozenset(),
               marks: Marks | None = None) -> list[ReportTable]:
    """Every annual-report table, suppressed at ``threshold``, in the annual report's order.

    A table is provisional when a failing error check touches a figure it shows (``marks``)
    or it shows a metric in ``provisional_metrics``; a row resting on a possibly incomplete
    month carries a note saying so.
    """
    kw = {"period": period, "la_code": la_code, "la_name": la_name}
    tables = [f(metrics, scorecard, **kw) if f is referral_sources else f(metrics, **kw)
              for f in TABLE_ORDER]
    return [_marked(t.suppressed_with(threshold), marks, provisional_metrics) for t in tables]
