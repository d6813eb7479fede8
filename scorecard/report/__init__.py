"""What the partnership publishes: annual-report tables (CSV and Excel), charts, the
one-page HTML scorecard and the Word report pack, all with statistical disclosure control
(:mod:`.sdc`), each naming the period it covers (:mod:`.coverage`) and its status (:mod:`.status`:
provisional where a failing error check touches a figure; months possibly incomplete).

:func:`render_all` is the entry point the build calls. The sub-modules (and matplotlib,
xlsxwriter, Jinja2) are imported when it runs, not when this package is imported.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ..errors import ConfigError, ScorecardError

if TYPE_CHECKING:  # pragma: no cover
    from .chart_cache import ChartCache
    from .charts import ChartSpec
    from .html import PageSection
    from .targets import Targets

__all__ = ["render_all", "REQUIRED_COLUMNS"]

#: Columns each input frame must have (interfaces 2-5 of the shared contract).
REQUIRED_COLUMNS = {
    "metrics": ("metric_id", "period", "breakdown", "la_code", "value", "numerator",
                "denominator"),
    "scorecard": ("metric_id", "title", "unit", "period", "breakdown", "la_code", "value",
                  "previous_value", "england", "sn_mean", "sn_grouping", "quartile", "rank",
                  "rank_of", "rag", "direction", "benchmark_period", "source"),
    "validation": ("check_id", "table", "severity", "record_id", "period", "message"),
    "impact": ("check_id", "severity", "table", "records", "metric_id", "period", "breakdown",
               "value", "value_without", "change"),
    "catalogue": ("metric_id", "title", "description", "unit", "polarity", "periods", "group",
                  "benchmark"),
}


def _check_frames(frames: dict[str, pl.DataFrame]) -> None:
    for name, cols in REQUIRED_COLUMNS.items():
        missing = [c for c in cols if c not in frames[name].columns]
        if missing:
            raise ScorecardError(f"cannot write reports: the {name} frame lacks column(s) "
                                 f"{', '.join(missing)}")


def render_all(out_dir: Path, *, metrics: pl.DataFrame, scorecard: pl.DataFrame,
               validation: pl.DataFrame, impact: pl.DataFrame, catalogue: pl.DataFrame,
               period: str, la_code: int, la_name: str, threshold: int = 5,
               errors_failed: bool = False, affects: pl.DataFrame | None = None,
               targets: "Targets | None" = None, sections: Sequence["PageSection"] = (),
               charts: Sequence["ChartSpec"] = (),
               chart_cache: "ChartCache | None" = None) -> list[Path]:
    """Write ``tables/*.csv``, ``tables/annual_report_tables.xlsx``, ``charts/*.png|svg``,
    ``scorecard.html`` and ``report_pack.docx`` under ``out_dir``; returns the files
    written, sorted.

    Small numbers are suppressed at ``threshold`` (counts 1 to threshold-1 shown as ``c``).
    Every table, chart and figure that a failing error check touches is marked provisional,
    with the check named; the link from checks to figures is ``affects`` (by lineage,
    :func:`scorecard.validate.lineage.affects_frame`; derived from ``validation`` when not
    given), ``impact`` gives the size of each effect. Months a volume check found far below
    their neighbours are called possibly incomplete wherever they are shown. ``targets``
    (:mod:`.targets`) adds the partnership's own targets beside the DfE-based RAG. Every
    output names the period it covers (a month build: April to that month). Output is
    byte-identical for the same inputs.

    ``sections`` (:class:`.html.PageSection`) and ``charts`` (:class:`.charts.ChartSpec`) add
    page sections and charts (e.g. five-year trends, revisions): each chart is drawn with the
    others, with alt text, and goes into the Word pack after the table it names (at the end
    when it names none). ``chart_cache`` (:class:`.chart_cache.ChartCache`, the build's
    database) writes a chart drawn before from the same figures by the same code from its
    stored bytes instead of drawing it again.
    """
    from . import chart_files, charts as charts_mod, excel, html, pack, tables
    from .coverage import coverage
    from .status import Marks

    _check_frames({"metrics": metrics, "scorecard": scorecard, "validation": validation,
                   "impact": impact, "catalogue": catalogue})
    if threshold < 1:
        raise ConfigError(f"suppression threshold must be at least 1, not {threshold}")
    try:
        cov = coverage(period)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if affects is None:
        from ..validate.lineage import affects_frame

        affects = affects_frame(validation)
    marks = Marks(affects)
    out_dir = Path(out_dir)
    kw = {"la_code": la_code, "la_name": la_name, "threshold": threshold, "marks": marks}
    this_year = tables.all_tables(metrics, scorecard, period=period, **kw)
    last_year = tables.all_tables(metrics, scorecard, period=cov.year.previous().label, **kw)

    extra_charts = charts
    specs = charts_mod.chart_specs(this_year, previous_tables=last_year, metrics=metrics,
                               scorecard=scorecard, catalogue=catalogue, period=period,
                               la_code=la_code, la_name=la_name, threshold=threshold,
                               provisional_metrics=frozenset(), marks=marks)
    from .measure_charts import duration_specs

    specs += duration_specs(metrics=metrics, scorecard=scorecard, catalogue=catalogue,
                            period=period, la_code=la_code, la_name=la_name,
                            threshold=threshold, marks=marks)
    specs += list(extra_charts)
    # the chart helper process starts first and draws while this process writes the tables,
    # the workbook, the page and the Word pack but for its pictures (none of which needs a
    # chart), then draws its own share
    drawing = chart_files.start(out_dir / "charts", specs, cache=chart_cache)
    try:
        written = [tables.write_csv(t, out_dir / "tables" / f"{t.name}.csv") for t in this_year]
        written.append(tables.write_index(this_year, out_dir / "tables" / "index.csv"))
        end = cov.period.end
        created = datetime(end.year, end.month, end.day)
        written.append(excel.write_workbook(
            out_dir / "tables" / "annual_report_tables.xlsx", this_year,
            title=f"{la_name} safeguarding annual report tables, {cov.title_span}",
            created=created))
        written.append(html.render_html(out_dir / "scorecard.html", metrics=metrics,
                                        scorecard=scorecard, validation=validation, impact=impact,
                                        catalogue=catalogue, period=period, la_code=la_code,
                                        la_name=la_name, threshold=threshold,
                                        errors_failed=errors_failed, tables=this_year,
                                        marks=marks, affects=affects, targets=targets,
                                        sections=sections))
        # the Word pack but for its pictures, while the helper is still drawing
        draft = pack.start_pack(this_year, specs, la_name=la_name, period=period,
                                created=created, errors_failed=errors_failed)
        written += drawing.finish()
    finally:
        drawing.cancel()
    written.append(draft.finish(out_dir / "report_pack.docx", out_dir / "charts"))
    return sorted(written)
