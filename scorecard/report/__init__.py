"""What the partnership publishes: annual-report tables (CSV and Excel), charts and the
one-page HTML scorecard, all with statistical disclosure control (:mod:`.sdc`).

:func:`render_all` is the entry point the build calls. The sub-modules (and matplotlib,
xlsxwriter, Jinja2) are imported when it runs, not when this package is imported.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from ..errors import ConfigError, ScorecardError
from ..periods import parse_period

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
               errors_failed: bool = False) -> list[Path]:
    """Write ``tables/*.csv``, ``tables/annual_report_tables.xlsx``, ``charts/*.png|svg`` and
    ``scorecard.html`` under ``out_dir``; returns the files written, sorted.

    Small numbers are suppressed at ``threshold`` (counts 1 to threshold-1 shown as ``c``).
    When ``errors_failed``, every table, chart and scorecard figure that a failing
    error-severity check affects (per ``impact``) is marked provisional; if the impact frame
    attributes no error to a figure, everything is marked. Output is byte-identical for the
    same inputs.
    """
    from . import charts, excel, html, tables

    _check_frames({"metrics": metrics, "scorecard": scorecard, "validation": validation,
                   "impact": impact, "catalogue": catalogue})
    if threshold < 1:
        raise ConfigError(f"suppression threshold must be at least 1, not {threshold}")
    try:
        fy = tables.annual_period(period)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    provisional: frozenset[str] = frozenset()
    if errors_failed:
        provisional = frozenset(impact.filter(pl.col("severity") == "error")["metric_id"])
        if not provisional:
            provisional = frozenset(metrics["metric_id"]) | frozenset(catalogue["metric_id"])
    out_dir = Path(out_dir)
    kw = {"la_code": la_code, "la_name": la_name, "threshold": threshold,
          "provisional_metrics": provisional}
    this_year = tables.all_tables(metrics, scorecard, period=period, **kw)
    last_year = tables.all_tables(metrics, scorecard, period=fy.previous().label, **kw)

    written = [tables.write_csv(t, out_dir / "tables" / f"{t.name}.csv") for t in this_year]
    written.append(tables.write_index(this_year, out_dir / "tables" / "index.csv"))
    end = fy.end if tables.period_kind(period) == "year" else parse_period(period).end
    written.append(excel.write_workbook(
        out_dir / "tables" / "annual_report_tables.xlsx", this_year,
        title=f"{la_name} safeguarding annual report tables, {fy.label}",
        created=datetime(end.year, end.month, end.day)))
    written += charts.all_charts(out_dir / "charts", this_year, previous_tables=last_year,
                                 metrics=metrics, scorecard=scorecard, catalogue=catalogue,
                                 period=period, la_code=la_code, la_name=la_name,
                                 threshold=threshold, provisional_metrics=provisional)
    written.append(html.render_html(out_dir / "scorecard.html", metrics=metrics,
                                    scorecard=scorecard, validation=validation, impact=impact,
                                    catalogue=catalogue, period=period, la_code=la_code,
                                    la_name=la_name, threshold=threshold,
                                    errors_failed=errors_failed, tables=this_year,
                                    provisional_metrics=provisional))
    return sorted(written)
