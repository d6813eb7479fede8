"""The monthly build: load -> validate -> metrics -> benchmarks -> reports.

``build()`` is what ``scorecard build`` runs. Exit codes follow ``shared/spec/outputs.md``:
0 built; 1 built but ``error`` checks failed (outputs written and marked); 2 nothing built
(bad arguments or unreadable input; the database is exactly as it was).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from . import db as dbmod
from .config import Settings, pseudonym_key
from .errors import ConfigError, ScorecardError
from .load import LoadReport, load
from .periods import Period, latest_complete, parse_period

__all__ = ["build", "BuildResult", "census_period", "latest_data_date", "write_csv"]

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    """What a build did. ``exit_code`` as in the spec."""

    exit_code: int
    period: str = ""
    la_code: int = 0
    out_dir: Path | None = None
    files: list[Path] = field(default_factory=list)
    load: LoadReport | None = None
    errors: int = 0
    warnings: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    message: str = ""


def write_csv(frame: pl.DataFrame, path: Path) -> Path:
    """Write a frame as CSV deterministically (UTF-8, LF, fixed float format)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(path, line_terminator="\n", float_precision=None, null_value="")
    return path


def latest_data_date(con: duckdb.DuckDBPyConnection, *, date_floor: dt.date | None = None,
                     extract_date: dt.date | None = None) -> dt.date | None:
    """The latest record date in staging among the dates that pass their checks: after the
    date floor, not a placeholder date, and not after the extract date (default: the day of
    the latest load). The data's reach (:func:`data_reach`)."""
    return data_reach(con, date_floor=date_floor, extract_date=extract_date).last


def data_reach(con: duckdb.DuckDBPyConnection, *, date_floor: dt.date | None = None,
               extract_date: dt.date | None = None):
    """How far each extract reaches, from the dates that pass their checks
    (:class:`scorecard.metrics.reach.Reach`)."""
    from .metrics.reach import data_reach as reach_of
    from .validate.checks import DATE_FLOOR, detect_extract_date, placeholder_dates

    floor = date_floor or DATE_FLOOR
    return reach_of(con, date_floor=floor, extract_date=extract_date or detect_extract_date(con),
                    placeholders=placeholder_dates(floor))


def census_period(con: duckdb.DuckDBPyConnection) -> Period | None:
    """The census year of the latest CIN census return loaded (its ``ReferenceDate``, else its
    ``Year``), or None when no census file says which year it is."""
    from .load import file_facts

    years = [f["census_year"] for f in file_facts(con) if f["census_year"]]
    return parse_period(max(years)) if years else None


def _default_period(con: duckdb.DuckDBPyConnection, date_floor: dt.date | None = None,
                    last: dt.date | None = None) -> Period:
    # a census return says which year it is: its dates (some may be wrong) do not decide
    census = census_period(con)
    if census is not None:
        return census
    last = last or latest_data_date(con, date_floor=date_floor)
    if last is None:
        raise ScorecardError("no dated records were loaded, so there is no period to report")
    # the data of a year's last day is usually extracted a little later: treat data reaching
    # at least 31 March as covering that year
    return latest_complete(last)


@dataclass
class _Run:
    """One build's state, handed from step to step (load, marts, validate, metrics,
    benchmarks, reports): its inputs, then what each step produced."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    key: bytes
    la_name: str
    requested: Period | None
    say: Callable[[str], None]
    run_id: int = 0
    started: dt.datetime = field(default_factory=dt.datetime.now)
    timings: dict[str, float] = field(default_factory=dict)
    loaded: LoadReport | None = None
    period: Period | None = None
    validation: Any = None  # scorecard.validate.ValidationResult
    metrics: pl.DataFrame | None = None
    catalogue: pl.DataFrame | None = None
    scorecard: pl.DataFrame | None = None
    reconciliation: pl.DataFrame | None = None
    targets: Any = None  # scorecard.report.targets.Targets
    unavailable: list = field(default_factory=list)  # scorecard.metrics.availability.Unavailable
    history: Any = None  # scorecard.history.Kept
    docs_worker: Any = None  # scorecard.validate.docs.DocsWorker
    base_metrics: pl.DataFrame | None = None  # the impact's baseline, computed once (recompute)
    all_metrics: pl.DataFrame | None = None   # every metric of every year (all_figures)
    kept: dict = field(default_factory=dict)   # all_figures' grouped counts (compute's kept)
    reach: Any = None  # scorecard.metrics.reach.Reach

    @property
    def raw_dir(self) -> Path:
        return Path(self.settings.raw_dir)

    @property
    def out_dir(self) -> Path:
        return Path(self.settings.out_dir)

    @contextlib.contextmanager
    def step(self, name: str, message: str) -> Iterator[None]:
        """Announce a step and time it into ``timings[name]``."""
        self.say(message)
        t0 = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - t0, 3)

    def all_figures(self) -> pl.DataFrame:
        """Every metric for every year the data reaches (``metrics.csv``), computed once: the
        impact's baseline is a part of it."""
        if self.all_metrics is None:
            from .metrics import availability, compute

            # a metric whose inputs no loaded file supplied is left out, never reported as zero
            self.all_metrics = availability.drop(compute(self.con, self.period.label,
                                                         la_code=self.settings.la_code,
                                                         reach=self.reach, kept=self.kept),
                                                 self.unavailable)
        return self.all_metrics

    def recompute(self, exclude: dict[str, set[str]]) -> pl.DataFrame:
        """The metrics without the records in ``exclude`` (for the validation impact: the
        build's year and the year before, as the page shows them).

        Work done once: the metrics of all records are computed once, and without some records
        only the metrics whose marts read their tables are computed again; the others are the
        same values. A mart record-local in the table is not built again: its figures are
        those of all records less what the left-out records counted (``metrics/delta.py``)."""
        from .metrics import METRICS, availability, compute
        from .metrics.definitions import source_metric
        from .metrics.marts import mart_sources
        from .metrics.reach import build_periods

        if self.base_metrics is None:
            # each period's figures do not depend on which other periods are computed: the two
            # years' figures are those of every year's, for those two years' periods
            labels = [p.label for p in build_periods(self.period.label, self.reach, years=2)]
            self.base_metrics = self.all_figures().filter(pl.col("period").is_in(labels))
        if not exclude:
            return self.base_metrics
        reads = mart_sources()
        ids = [m.id for m in METRICS
               if reads[source_metric(m).mart] & set(exclude)]
        if not ids:
            return self.base_metrics
        part = availability.drop(compute(self.con, self.period.label, la_code=self.settings.la_code,
                                         exclude=exclude, metric_ids=ids, reach=self.reach, years=2,
                                         kept=self.kept),
                                 self.unavailable)
        return pl.concat([self.base_metrics.filter(~pl.col("metric_id").is_in(ids)), part])


def build(settings: Settings, *, period: str | None = None, wait: float = 0.0,
          progress: Callable[[str], None] | None = None) -> BuildResult:
    """Run the whole monthly build and write every output under ``settings.out_dir``.

    :param settings: paths, LA code and options (:func:`scorecard.config.settings`).
    :param period: ``2022-23`` or ``2022-07``; default: the latest complete financial year in the data.
    :param wait: seconds to wait for another build holding the database before refusing.
    :param progress: called with a short message at each step.
    """
    from . import reference

    requested = parse_period(period) if period else None  # ValueError -> exit 2 in the CLI
    la_name = reference.la_name(settings.la_code)  # ConfigError for an unknown LA
    if settings.suppress_below < 1:
        raise ConfigError("the suppression threshold must be at least 1")
    raw_dir = Path(settings.raw_dir)
    out_dir = Path(settings.out_dir)
    if raw_dir.resolve() == out_dir.resolve() or raw_dir.resolve() in out_dir.resolve().parents:
        raise ConfigError(f"{out_dir}: the output folder must not be inside the raw folder {raw_dir}")
    key = pseudonym_key(settings.key_file)
    from .report.targets import find_targets, load_targets

    found = find_targets(settings.targets, raw_dir)   # a bad targets file: exit 2, nothing built
    targets = load_targets(found) if found is not None else None

    with dbmod.exclusive(settings.db, wait=wait):
        con = dbmod.connect(settings.db)
        try:
            run = _Run(con, settings, key, la_name, requested, progress or (lambda msg: log.info(msg)),
                       targets=targets)
            return _build(run)
        finally:
            con.close()


def _build(run: _Run) -> BuildResult:
    con = run.con
    run.run_id = con.execute("select coalesce(max(run_id), 0) + 1 from meta.runs").fetchall()[0][0]
    # Everything that changes the database is one transaction, committed only once every
    # output is written: any failure before that (bad input, an unwritable output folder)
    # leaves the database exactly as it was, as exit status 2 promises.
    con.execute("begin transaction").fetchall()
    # the Data Docs worker imports Great Expectations while this process loads and validates
    from .validate.docs import DocsWorker

    run.docs_worker = DocsWorker.start()
    try:
        _load_step(run)
        _validate_step(run)
        _metrics_step(run)
        _benchmarks_step(run)
        _history_step(run)
        _report_step(run)
        exit_code = 1 if run.validation.errors else 0
        outcome = "built with errors" if exit_code else "built"
        con.execute(
            "insert into meta.runs values ($id, 'build', $args, $start, current_timestamp, $outcome, $code, $msg)",
            {"id": run.run_id, "args": json.dumps({"raw": str(run.raw_dir), "out": str(run.out_dir),
                                                   "period": run.period.label, "la": run.settings.la_code}),
             "start": run.started, "outcome": outcome, "code": exit_code,
             "msg": run.loaded.summary()}).fetchall()
        con.execute("commit").fetchall()
    except OSError as exc:
        run.docs_worker.cancel()
        con.execute("rollback").fetchall()
        raise ScorecardError(f"{exc.filename or run.out_dir}: cannot write the outputs: "
                             f"{exc.strerror or exc}; nothing was built") from None
    except BaseException:
        con.execute("rollback").fetchall()
        run.docs_worker.cancel()
        raise
    _write_run_log(run, exit_code)
    files = sorted(p for p in run.out_dir.rglob("*") if p.is_file())
    return BuildResult(exit_code, run.period.label, run.settings.la_code, run.out_dir, files,
                       run.loaded, run.validation.errors, run.validation.warnings, run.timings,
                       outcome)


def _load_step(run: _Run) -> None:
    """Load the raw folder (inside the caller's transaction), build the marts, fix the period,
    and find the metrics that cannot be computed from what was loaded."""
    from .metrics import availability, build_marts

    with run.step("load", "load: reading extracts"):
        run.loaded = load(run.con, run.raw_dir, key=run.key, mappings=run.settings.mappings,
                          run_id=run.run_id, progress=lambda f: run.say(f"load: {f}"),
                          transaction=False, la_code=run.settings.la_code)
    run.say(f"load: {run.loaded.summary()}")
    for f in run.loaded.files:
        if f.status == "skipped":
            run.say(f"load: skipped {f.file}: {f.message}")
    t0 = time.perf_counter()
    dbmod.set_parameter(run.con, "missing_match_tolerance_hours", run.settings.missing_match_hours)
    build_marts(run.con)
    run.timings["marts"] = round(time.perf_counter() - t0, 3)
    run.reach = data_reach(run.con, date_floor=run.settings.date_floor)
    _record_reach(run)
    run.period = run.requested or _default_period(run.con, run.settings.date_floor, run.reach.last)
    run.unavailable = availability.unavailable(run.con)
    if run.unavailable:
        run.say(f"load: {len(run.unavailable)} metric(s) cannot be computed from what was loaded "
                "(see validation_summary.md)")


def _validate_step(run: _Run) -> None:
    from .validate import validate

    with run.step("validate", "validate: running expectation suites and cross-table checks"):
        from .metrics import availability

        run.validation = validate(run.con, None, recompute=run.recompute, period=run.period.label,
                                  date_floor=run.settings.date_floor,
                                  unavailable=availability.describe(run.con, run.unavailable),
                                  docs_worker=run.docs_worker,
                                  # what the impact's recomputed metrics also depend on
                                  cache={"la_code": run.settings.la_code,
                                         "missing_match_hours": run.settings.missing_match_hours})
    run.say(f"validate: {run.validation.errors} error(s), {run.validation.warnings} warning(s)")


def _metrics_step(run: _Run) -> None:
    from .metrics import catalogue

    with run.step("metrics", f"metrics: computing {run.period.label}"):
        # every year the data reaches (computed already when the validation impact needed
        # its baseline)
        run.metrics = run.all_figures()
        run.catalogue = catalogue()


def _benchmarks_step(run: _Run) -> None:
    from . import benchmarks

    with run.step("benchmarks", "benchmarks: comparing with England, region and statistical neighbours"):
        from .benchmarks.months import month_rows

        fy = run.period.financial_year.label
        years = benchmarks.compare(run.metrics, la_code=run.settings.la_code, period=fy,
                                   grouping=run.settings.sn_grouping, catalogue=run.catalogue)
        # a month build names its month: rows for the month come first
        region = years["region_name"].drop_nulls().first() if years.height else None
        months = month_rows(run.metrics, run.catalogue, la_code=run.settings.la_code,
                            period=run.period.label, la_name=run.la_name, region_name=region)
        run.scorecard = pl.concat([months, years]) if months.height else years
        run.reconciliation = benchmarks.reconcile(run.metrics, la_code=run.settings.la_code, period=fy)


def _history_step(run: _Run) -> None:
    from .history.hook import history_step

    with run.step("history", "history: keeping the figures, comparing with the last build"):
        run.history = history_step(run)


def _report_step(run: _Run) -> None:
    from . import report

    with run.step("reports", "reports: writing tables, charts, workbook and scorecard page"):
        out_dir = run.out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        write_csv(run.metrics, out_dir / "metrics.csv")
        scorecard = run.scorecard if run.targets is None else run.targets.annotate(run.scorecard)
        write_csv(scorecard, out_dir / "scorecard.csv")
        write_csv(run.reconciliation, out_dir / "reconciliation.csv")
        run.history.write(out_dir)
        write_csv(run.reach.frame(), out_dir / "data_reach.csv")
        from .report.chart_cache import ChartCache
        from .report.trends import extras

        sections, charts = extras(metrics=run.metrics, scorecard=run.scorecard,
                                  period=run.period.label, la_code=run.settings.la_code,
                                  la_name=run.la_name, threshold=run.settings.suppress_below,
                                  reach=run.reach.frame(), affects=run.validation.affects)
        report.render_all(out_dir, metrics=run.metrics, scorecard=run.scorecard,
                          validation=run.validation.rows, impact=run.validation.impact,
                          affects=run.validation.affects,
                          catalogue=run.catalogue, period=run.period.label,
                          la_code=run.settings.la_code, la_name=run.la_name,
                          threshold=run.settings.suppress_below,
                          errors_failed=run.validation.errors > 0, targets=run.targets,
                          sections=[run.history.section, *sections], charts=charts,
                          chart_cache=ChartCache(run.con, run.run_id))
    # last: the Data Docs were rendered by another process while the charts were drawn
    with run.step("docs", "reports: validation outputs and Data Docs"):
        # validation_summary.md also says how far each extract reaches
        run.validation.summary_text = (run.validation.summary_text.rstrip("\n") + "\n\n"
                                       + run.reach.markdown(run.period))
        run.validation.write(run.out_dir)


def _record_reach(run: _Run) -> None:
    """Keep how far each extract reaches in ``meta.data_reach`` (inside the build's transaction)."""
    from .metrics.reach import record_reach

    record_reach(run.con, run.reach, run.run_id)


def _write_run_log(run: _Run, exit_code: int) -> None:
    """``run.log``: the one output allowed to differ between identical runs (timestamps)."""
    lines = [
        f"started: {run.started.isoformat(timespec='seconds')}",
        f"finished: {dt.datetime.now().isoformat(timespec='seconds')}",
        f"period: {run.period.label}", f"la_code: {run.settings.la_code}",
        f"load: {run.loaded.summary()}",
        *(f"skipped: {f.file}: {f.message}" for f in run.loaded.files if f.status == "skipped"),
        f"validation: {run.validation.errors} error(s), {run.validation.warnings} warning(s)",
        "timings (s): " + ", ".join(f"{k} {v}" for k, v in run.timings.items()),
        f"exit status: {exit_code}",
    ]
    (run.out_dir / "run.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
