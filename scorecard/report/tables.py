"""The annual-report tables, laid out as in the partnership's 2022/23 annual report.

Each public table function is a pure function of the metrics (and scorecard) frames and
returns a :class:`ReportTable`: the unrounded figures in ``.frame`` (a polars DataFrame with
readable headings, label columns first) plus what disclosure control needs to know about
its structure (which cells are counts, which are worked out from others, which row is a
total or average). :meth:`ReportTable.suppressed_with` applies :mod:`scorecard.report.sdc`
and :meth:`ReportTable.published` gives the text that is published (``c`` for hidden cells).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from ..periods import Period, parse_period
from . import sdc

__all__ = ["ReportTable", "MetricValues", "PRIMARY_NEED_LABELS", "CP_CATEGORY_LABELS",
           "REFERRAL_SOURCE_GROUPS", "annual_period", "period_kind", "format_value",
           "referral_sources", "cin_by_month",
           "cin_by_primary_need", "cp_by_latest_category", "cp_per_month", "missing_by_month",
           "rhi_by_month", "contacts_24h_by_month", "all_tables"]

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

#: How each kind of column is written: counts whole, the rest to one decimal place.
KINDS = ("count", "percent", "mean", "rate")


@dataclass(frozen=True)
class ReportTable:
    """One published table: figures plus the structure disclosure control needs.

    ``frame``: label columns (Utf8) then value columns (Float64, ``None`` = not available).
    ``kinds``: value column -> ``count | percent | mean | rate``.
    ``derived``: value column -> the columns of the same row it is calculated from.
    ``over_total``: value column -> the column whose total-row cell is its denominator
    (a share of the year's total).
    ``total_row``: index of the row that aggregates the others (a total or an average)
    in the ``additive`` columns. ``suppressed``: the cells published as ``c``.
    ``keys``: the metrics row each cell shows, as (metric_id, period, breakdown), so other
    outputs can hide exactly what the table hides.
    """

    name: str
    title: str
    frame: pl.DataFrame
    labels: tuple[str, ...]
    kinds: dict[str, str]
    metric_ids: tuple[str, ...]
    source: str
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)
    over_total: dict[str, str] = field(default_factory=dict)
    keys: dict[sdc.Cell, tuple[str, str, str]] = field(default_factory=dict)
    total_row: int | None = None
    additive: tuple[str, ...] = ()
    suppressed: frozenset[sdc.Cell] = frozenset()
    threshold: int = sdc.DEFAULT_THRESHOLD
    provisional: bool = False

    @property
    def value_columns(self) -> list[str]:
        """The columns holding figures (everything but the labels)."""
        return [c for c in self.frame.columns if c not in self.labels]

    def cells(self) -> dict[sdc.Cell, float | None]:
        """Every value cell's figure."""
        return {(i, c): v for c in self.value_columns
                for i, v in enumerate(self.frame.get_column(c).to_list())}

    def lines(self) -> list[sdc.Line]:
        """The additive lines: each additive column's rows with its total-row cell."""
        if self.total_row is None:
            return []
        rows = [i for i in range(self.frame.height) if i != self.total_row]
        return [sdc.Line(tuple((i, c) for i in rows), (self.total_row, c)) for c in self.additive]

    def suppressed_with(self, threshold: int = sdc.DEFAULT_THRESHOLD) -> "ReportTable":
        """This table with disclosure control applied at ``threshold``."""
        values = self.cells()
        counts = [cell for cell in values if self.kinds[cell[1]] == "count"]
        derived: dict[sdc.Cell, tuple[sdc.Cell, ...]] = {}
        for i in range(self.frame.height):
            for c, sources in self.derived.items():
                derived[(i, c)] = tuple((i, s) for s in sources)
            if self.total_row is not None:
                for c, den in self.over_total.items():
                    derived[(i, c)] = derived.get((i, c), ()) + ((self.total_row, den),)
        hidden = sdc.suppress(values, counts=counts, derived=derived, lines=self.lines(),
                              threshold=threshold)
        return replace(self, suppressed=hidden, threshold=threshold)

    def hidden_keys(self) -> set[tuple[str, str, str]]:
        """The metrics rows (metric_id, period, breakdown) this table hides."""
        return {self.keys[c] for c in self.suppressed if c in self.keys}

    def is_hidden(self, row: int, column: str) -> bool:
        """True when the cell is published as ``c``."""
        return (row, column) in self.suppressed

    def text(self, row: int, column: str) -> str:
        """The published text of one cell."""
        value = self.frame.get_column(column)[row]
        if column in self.labels:
            return "" if value is None else str(value)
        if (row, column) in self.suppressed:
            return sdc.SUPPRESSED
        return format_value(value, self.kinds[column])

    def published(self) -> pl.DataFrame:
        """The table as published: every column text, hidden cells ``c``, blanks not available."""
        return pl.DataFrame({c: [self.text(i, c) for i in range(self.frame.height)]
                             for c in self.frame.columns}, schema={c: pl.Utf8 for c in self.frame.columns})

    @property
    def note(self) -> str:
        """Source, suppression and status note printed under the table or chart."""
        parts = [f"Source: {self.source}.", sdc.rule_note(self.threshold),
                 "Blank = not available."]
        if self.provisional:
            parts.insert(0, "PROVISIONAL: data checks of severity error failed for figures in "
                            "this table; see the data-quality panel of the scorecard.")
        return " ".join(parts)


def format_value(value: float | None, kind: str) -> str:
    """A figure as published: counts whole, percentages, means and rates to 1 d.p."""
    if value is None:
        return ""
    if kind == "count":
        return f"{value:.0f}"
    return f"{value:.1f}"


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


def _pct(num: float | None, den: float | None) -> float | None:
    return None if num is None or not den else num / den * 100


def _source(la_name: str, *years: Period) -> str:
    labels = " and ".join(y.label for y in sorted(years))
    return f"{la_name} children's social care records, {labels} (scorecard metrics)"


def referral_sources(metrics: pl.DataFrame, scorecard: pl.DataFrame, *, period: str,
                     la_code: int, la_name: str) -> ReportTable:
    """Referral source as % of total referrals: this year, last year, SN and England."""
    fy = annual_period(period)
    this, prev = fy.label, fy.previous().label
    mv = MetricValues(metrics, la_code)
    bench = {b: (sn, eng, bp) for b, sn, eng, bp in scorecard.filter(
        (pl.col("metric_id") == "referral_source_pct") & (pl.col("period") == this)
        & (pl.col("la_code") == la_code)).select(
        "breakdown", "sn_mean", "england", "benchmark_period").iter_rows()}
    bp_counts = Counter(bp for _, _, bp in bench.values() if bp)
    bp = f" {bp_counts.most_common(1)[0][0]}" if bp_counts else ""
    label = "Referral source"
    cols = {y: (f"{la_name} {y} %", f"{la_name} {y} number") for y in (this, prev)}
    sn_col, eng_col = f"Statistical neighbours{bp} %", f"England{bp} %"
    present = set(mv.breakdowns("referral_source_pct", this)) | set(
        mv.breakdowns("referral_source_pct", prev))
    groups = list(REFERRAL_SOURCE_GROUPS) + sorted(present - set(REFERRAL_SOURCE_GROUPS))
    rows, keys = [], {}
    for i, g in enumerate(groups):
        row = {label: g, sn_col: bench.get(g, (None,) * 3)[0], eng_col: bench.get(g, (None,) * 3)[1]}
        for y, (pc, nc) in cols.items():
            row[pc] = mv.value("referral_source_pct", y, g)
            row[nc] = mv.numerator("referral_source_pct", y, g)
            keys[(i, pc)] = keys[(i, nc)] = ("referral_source_pct", y, g)
        rows.append(row)
    total = {label: "All referrals"}
    for y, (pc, nc) in cols.items():
        keys[(len(groups), nc)] = ("referrals", y, "")
        n = mv.value("referrals", y)
        if n is None:
            n = next((d for g in groups if (d := mv.denominator("referral_source_pct", y, g))
                      is not None), None)
        total[nc], total[pc] = n, (100.0 if n else None)
    rows.append(total)
    order = [cols[this][0], cols[this][1], cols[prev][0], cols[prev][1], sn_col, eng_col]
    kinds = {c: ("count" if c.endswith("number") else "percent") for c in order}
    bench_src = sorted({s for s in scorecard.filter(
        pl.col("metric_id") == "referral_source_pct").get_column("source").to_list() if s})
    source = _source(la_name, fy.previous(), fy) + "".join(f"; {s}" for s in bench_src)
    return ReportTable(
        "referral_sources", f"Referral source as % of total referrals, {this}",
        _frame(rows, [label], order), (label,), kinds, ("referral_source_pct", "referrals"),
        source, derived={cols[y][0]: (cols[y][1],) for y in (this, prev)},
        over_total={cols[y][0]: cols[y][1] for y in (this, prev)}, keys=keys,
        total_row=len(rows) - 1, additive=(cols[this][1], cols[prev][1]))


def _two_year_monthly(metric_id: str, name: str, title: str, *, metrics: pl.DataFrame,
                      period: str, la_code: int, la_name: str, kind: str = "count",
                      average: str | None = None) -> ReportTable:
    """Months April to March down the side, previous and this year across."""
    fy = annual_period(period)
    years = (fy.previous(), fy)
    mv = MetricValues(metrics, la_code)
    rows, keys = [], {}
    for i, m in enumerate(fy.months()):
        row = {"Month": m.start.strftime("%B")}
        for y in years:
            row[y.label] = mv.value(metric_id, y.months()[i].label)
            keys[(i, y.label)] = (metric_id, y.months()[i].label, "")
        rows.append(row)
    total_row = None
    if average:
        rows.append({"Month": "Average per month"}
                    | {y.label: mv.value(average, y.label) for y in years})
        total_row = len(rows) - 1
        keys |= {(total_row, y.label): (average, y.label, "") for y in years}
    ids = (metric_id,) + ((average,) if average else ())
    return ReportTable(name, title, _frame(rows, ["Month"], [y.label for y in years]),
                       ("Month",), {y.label: kind for y in years}, ids,
                       _source(la_name, *years),
                       keys=keys, total_row=total_row,
                       additive=tuple(y.label for y in years) if average else ())


def cin_by_month(metrics: pl.DataFrame, *, period: str, la_code: int, la_name: str) -> ReportTable:
    """Number of children in need at the end of each month, two years side by side."""
    fy = annual_period(period)
    return _two_year_monthly("cin_open_month_end", "cin_by_month",
                             f"Number of children in need at the end of each month, "
                             f"{fy.previous().label} and {fy.label}",
                             metrics=metrics, period=period, la_code=la_code, la_name=la_name)


def cp_per_month(metrics: pl.DataFrame, *, period: str, la_code: int, la_name: str) -> ReportTable:
    """Children with a child protection plan at each month end, and the average per month."""
    fy = annual_period(period)
    return _two_year_monthly("cpp_open_month_end", "cp_per_month",
                             f"Children subject to a child protection plan at the end of each "
                             f"month, {fy.previous().label} and {fy.label}",
                             metrics=metrics, period=period, la_code=la_code, la_name=la_name,
                             average="cpp_avg_open_per_month")


def _categories(metric_id: str, labels: dict[str, str], years: list[Period], mv: MetricValues,
                code_heading: str, label_heading: str
                ) -> tuple[list[dict], int, dict[sdc.Cell, tuple[str, str, str]]]:
    present = set().union(*(mv.breakdowns(metric_id, y.label) for y in years))
    codes = list(labels) + sorted(present - set(labels))
    rows = [{code_heading: c, label_heading: labels.get(c, "Unrecognised code")}
            | {y.label: mv.value(metric_id, y.label, c) for y in years} for c in codes]
    total = {code_heading: "", label_heading: "Total"}
    for y in years:
        vals = [r[y.label] for r in rows if r[y.label] is not None]
        total[y.label] = sum(vals) if vals else None
    rows.append(total)
    keys = {(i, y.label): (metric_id, y.label, c) for i, c in enumerate(codes) for y in years}
    return rows, len(rows) - 1, keys


def cin_by_primary_need(metrics: pl.DataFrame, *, period: str, la_code: int,
                        la_name: str) -> ReportTable:
    """Children in need episodes open in the year by primary need, two years."""
    fy = annual_period(period)
    years = [fy.previous(), fy]
    rows, total_row, keys = _categories("cin_by_primary_need", PRIMARY_NEED_LABELS, years,
                                  MetricValues(metrics, la_code), "Code", "Primary need")
    cols = [y.label for y in years]
    return ReportTable("cin_by_primary_need",
                       f"Children in need episodes by primary need, {years[0].label} and {fy.label}",
                       _frame(rows, ["Code", "Primary need"], cols), ("Code", "Primary need"),
                       {c: "count" for c in cols}, ("cin_by_primary_need",),
                       _source(la_name, *years), keys=keys,
                       total_row=total_row, additive=tuple(cols))


def cp_by_latest_category(metrics: pl.DataFrame, *, period: str, la_code: int,
                          la_name: str) -> ReportTable:
    """Child protection plans open in the year by latest category (at close or year end)."""
    fy = annual_period(period)
    rows, total_row, keys = _categories("cpp_by_latest_category", CP_CATEGORY_LABELS, [fy],
                                  MetricValues(metrics, la_code), "Code",
                                  "Latest category (at close/end of period)")
    return ReportTable("cp_by_latest_category",
                       f"Child protection plans by latest category, {fy.label}",
                       _frame(rows, ["Code", "Latest category (at close/end of period)"],
                              [fy.label]),
                       ("Code", "Latest category (at close/end of period)"),
                       {fy.label: "count"}, ("cpp_by_latest_category",), _source(la_name, fy),
                       keys=keys, total_row=total_row, additive=(fy.label,))


def _one_year_monthly(name: str, title: str, columns: dict[str, tuple[str, str, str]], *,
                      metrics: pl.DataFrame, period: str, la_code: int, la_name: str,
                      additive: tuple[str, ...], derived: dict[str, tuple[str, ...]]
                      ) -> ReportTable:
    """Months of one year down the side and a year row; ``columns`` maps heading ->
    (metric_id, field, kind) where field is ``value``, ``numerator`` or ``denominator``."""
    fy = annual_period(period)
    mv = MetricValues(metrics, la_code)
    rows, keys = [], {}
    periods = [(m, m.start.strftime("%B %Y")) for m in fy.months()] + [(fy, f"Year {fy.label}")]
    for i, (p, label) in enumerate(periods):
        rows.append({"Month": label} | {h: getattr(mv, f)(mid, p.label)
                                        for h, (mid, f, _) in columns.items()})
        keys |= {(i, h): (mid, p.label, "") for h, (mid, _, _) in columns.items()}
    ids = tuple(dict.fromkeys(mid for mid, _, _ in columns.values()))
    return ReportTable(name, title, _frame(rows, ["Month"], list(columns)), ("Month",),
                       {h: k for h, (_, _, k) in columns.items()}, ids, _source(la_name, fy),
                       derived=derived, keys=keys, total_row=len(rows) - 1, additive=additive)


def missing_by_month(metrics: pl.DataFrame, *, period: str, la_code: int,
                     la_name: str) -> ReportTable:
    """Children missing from home: individual young people and reports received by month.

    Monthly counts of individual young people do not add up to the year's (a child can go
    missing in several months), so only the reports column is additive.
    """
    fy = annual_period(period)
    return _one_year_monthly(
        "missing_by_month", f"Children missing from home, {fy.label}",
        {"Individual young people": ("missing_children", "value", "count"),
         "Reports received": ("missing_episodes", "value", "count")},
        metrics=metrics, period=period, la_code=la_code, la_name=la_name,
        additive=("Reports received",), derived={})


def rhi_by_month(metrics: pl.DataFrame, *, period: str, la_code: int, la_name: str) -> ReportTable:
    """Return home interviews accepted and completed within 72 hours, by month, with %."""
    fy = annual_period(period)
    acc, done, pct = ("RHIs accepted", "RHIs completed within 72 hours",
                      "% completed within 72 hours")
    return _one_year_monthly(
        "rhi_by_month", f"Return home interviews accepted and completed within 72 hours, {fy.label}",
        {acc: ("rhi_accepted", "value", "count"), done: ("rhi_completed_72h", "value", "count"),
         pct: ("rhi_completed_72h_pct", "value", "percent")},
        metrics=metrics, period=period, la_code=la_code, la_name=la_name,
        additive=(acc, done), derived={pct: (done, acc)})


def contacts_24h_by_month(metrics: pl.DataFrame, *, period: str, la_code: int,
                          la_name: str) -> ReportTable:
    """Contacts and contacts concluded within 24 hours, by month, with %."""
    fy = annual_period(period)
    n, done, pct = "Contacts", "Concluded within 24 hours", "% concluded within 24 hours"
    return _one_year_monthly(
        "contacts_24h_by_month", f"Contacts concluded within 24 hours, {fy.label}",
        {n: ("contacts", "value", "count"),
         done: ("contacts_concluded_24h_pct", "numerator", "count"),
         pct: ("contacts_concluded_24h_pct", "value", "percent")},
        metrics=metrics, period=period, la_code=la_code, la_name=la_name,
        additive=(n, done), derived={pct: (done, n)})


def all_tables(metrics: pl.DataFrame, scorecard: pl.DataFrame, *, period: str, la_code: int,
               la_name: str, threshold: int = sdc.DEFAULT_THRESHOLD,
               provisional_metrics: frozenset[str] = frozenset()) -> list[ReportTable]:
    """Every annual-report table, suppressed at ``threshold``, in report order.

    A table showing any metric in ``provisional_metrics`` is marked provisional.
    """
    kw = {"period": period, "la_code": la_code, "la_name": la_name}
    tables = [referral_sources(metrics, scorecard, **kw)] + [
        f(metrics, **kw) for f in (cin_by_month, cin_by_primary_need, cp_by_latest_category,
                                   cp_per_month, missing_by_month, rhi_by_month,
                                   contacts_24h_by_month)]
    return [replace(t.suppressed_with(threshold),
                    provisional=bool(set(t.metric_ids) & provisional_metrics)) for t in tables]


#: First characters that make a spreadsheet treat a CSV cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula (OWASP: prefix ')."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(table: ReportTable, path: Path) -> Path:
    """Write the published table as CSV; label text that looks like a formula is defused."""
    pub = table.published().with_columns(
        [pl.col(c).map_elements(csv_safe, return_dtype=pl.Utf8) for c in table.labels])
    path.parent.mkdir(parents=True, exist_ok=True)
    pub.write_csv(path, line_terminator="\n")
    return path


def write_index(tables: Iterable[ReportTable], path: Path) -> Path:
    """``index.csv``: each table's file, title, status and note (source and suppression)."""
    rows = [{"file": f"{t.name}.csv", "title": csv_safe(t.title),
             "status": "provisional" if t.provisional else "final", "note": csv_safe(t.note)}
            for t in tables]
    pl.DataFrame(rows, schema={"file": pl.Utf8, "title": pl.Utf8, "status": pl.Utf8,
                               "note": pl.Utf8}).write_csv(path, line_terminator="\n")
    return path
