"""The build's history step: keep this build's figures, compare with the last build, add the
revision warnings to validation and give the page its panel. ``scorecard.build`` calls
:func:`history_step` between benchmarks and reports, with its run state."""
from __future__ import annotations

from typing import Any

import polars as pl

from . import BuildFacts, Kept, keep, moved_months
from .panel import panel_section

__all__ = ["history_step"]


def _titles(catalogue: pl.DataFrame) -> dict[str, tuple[str, str]]:
    return {r["metric_id"]: (r["title"], r["unit"]) for r in catalogue.iter_rows(named=True)}


def add_warnings(validation: Any, rows: list[dict], moved: pl.DataFrame | None = None) -> None:
    """Add revision warnings to a :class:`scorecard.validate.ValidationResult`: its rows, its
    summary, and (from ``moved``, the month revisions behind them) the figures each touches, so
    the page names them."""
    if not rows:
        return
    from ..validate.lineage import AFFECTS_SCHEMA
    from ..validate.report import VALIDATION_COLUMNS

    extra = pl.DataFrame(rows, schema={c: pl.Utf8 for c in VALIDATION_COLUMNS})
    validation.rows = pl.concat([validation.rows.select(VALIDATION_COLUMNS), extra]).unique().sort(VALIDATION_COLUMNS)
    if moved is not None and validation.affects is not None:
        touched = moved.select(pl.lit(rows[0]["check_id"]).alias("check_id"), pl.lit("").alias("table"),
                               pl.lit("warning").alias("severity"), "metric_id", "period").unique()
        validation.affects = pl.concat([validation.affects.select(list(AFFECTS_SCHEMA)),
                                        touched.cast(AFFECTS_SCHEMA)]).unique(maintain_order=True)
    lines = ["## Figures revised since the last build", "",
             f"{len(rows)} month figure(s) moved by more than the revision threshold (warning "
             "`revisions.month_moved`; every revision is in revisions.csv):", ""]
    lines += [f"- {r['message']}" for r in sorted(rows, key=lambda r: (r["period"], r["message"]))]
    validation.summary_text = validation.summary_text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"


def history_step(run: Any) -> Kept:
    """Keep the build (``run``: the build's ``_Run``), add warnings, attach ``section`` (the
    page panel) to the returned :class:`Kept`."""
    s = run.settings
    titles = _titles(run.catalogue)
    facts = BuildFacts(build_id=run.run_id, la_code=s.la_code, period=run.period, built_at=run.started,
                       metrics=run.metrics, validation=run.validation.rows,
                       settings={"missing_match_hours": s.missing_match_hours, "date_floor": s.date_floor})
    kept = keep(run.con, facts, threshold_pct=s.revision_threshold, titles=titles,
                suppress_below=s.suppress_below)
    add_warnings(run.validation, kept.warnings, moved_months(kept.revisions, kept.threshold_pct))
    kept.section = panel_section(kept, titles=titles, threshold=s.suppress_below)
    return kept
