"""The monthly build: load -> validate -> metrics -> benchmarks -> reports.

``build()`` is what ``scorecard build`` runs. Exit codes follow ``shared/spec/outputs.md``:
0 built; 1 built but ``error`` checks failed (outputs written and marked); 2 nothing built
(bad arguments or unreadable input; the database is exactly as it was).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import polars as pl

from . import db as dbmod
from .config import Settings, pseudonym_key
from .errors import ConfigError, ScorecardError
from .load import LoadReport, load
from .periods import Period, latest_complete, parse_period
from .schema import TABLES

__all__ = ["build", "BuildResult", "latest_data_date", "write_csv"]

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


def latest_data_date(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The latest plausible record date in staging (ignoring dates in the future)."""
    parts = [f"select max(cast({t.date_column} as date)) as d from staging.{t.name} "
             f"where cast({t.date_column} as date) <= current_date"
             for t in TABLES.values() if t.date_column]
    return con.execute(f"select max(d) from ({' union all '.join(parts)})").fetchall()[0][0]


def _default_period(con: duckdb.DuckDBPyConnection) -> Period:
    last = latest_data_date(con)
    if last is None:
        raise ScorecardError("no dated records were loaded, so there is no period to report")
    # the data of a year's last day is usually extracted a little later: treat data reaching
    # at least 31 March as covering that year
    return latest_complete(last)


def build(settings: Settings, *, period: str | None = None, wait: float = 0.0,
          progress: Callable[[str], None] | None = None) -> BuildResult:
    """Run the whole monthly build and write every output under ``settings.out_dir``.

    :param settings: paths, LA code and options (:func:`scorecard.config.settings`).
    :param period: ``2022-23`` or ``2022-07``; default: the latest complete financial year in the data.
    :param wait: seconds to wait for another build holding the database before refusing.
    :param progress: called with a short message at each step.
    """
    say = progress or (lambda msg: log.info(msg))
    timings: dict[str, float] = {}
    started = dt.datetime.now()

    def step(name: str, t0: float) -> None:
        timings[name] = round(time.perf_counter() - t0, 3)

    from . import benchmarks

    requested = parse_period(period) if period else None  # ValueError -> exit 2 in the CLI
    la_name = benchmarks.la_name(settings.la_code)  # ConfigError for an unknown LA
    if settings.suppress_below < 1:
        raise ConfigError("the suppression threshold must be at least 1")
    raw_dir = Path(settings.raw_dir)
    out_dir = Path(settings.out_dir)
    if raw_dir.resolve() == out_dir.resolve() or raw_dir.resolve() in out_dir.resolve().parents:
        raise ConfigError(f"{out_dir}: the output folder must not be inside the raw folder {raw_dir}")
    key = pseudonym_key(settings.key_file)

    with dbmod.exclusive(settings.db, wait=wait):
        con = dbmod.connect(settings.db)
        try:
            return _build(con, settings, requested, la_name, key, raw_dir, out_dir, say, timings, step,
                          started)
        finally:
            con.close()


def _build(con, settings, requested, la_name, key, raw_dir, out_dir, say, timings, step, started):
    from . import report

    run_id = con.execute("select coalesce(max(run_id), 0) + 1 from meta.runs").fetchall()[0][0]
    # Everything that changes the database is one transaction, committed only once every
    # output is written: any failure before that (bad input, an unwritable output folder)
    # leaves the database exactly as it was, as exit status 2 promises.
    con.execute("begin transaction").fetchall()
    try:
        loaded, per, result, metrics, catalogue, scorecard, reconciliation = _compute(
            con, settings, requested, key, raw_dir, run_id, say, timings, step)

        t0 = time.perf_counter()
        say("reports: writing tables, charts, workbook and scorecard page")
        out_dir.mkdir(parents=True, exist_ok=True)
        write_csv(metrics, out_dir / "metrics.csv")
        write_csv(scorecard, out_dir / "scorecard.csv")
        write_csv(reconciliation, out_dir / "reconciliation.csv")
        result.write(out_dir)
        report.render_all(out_dir, metrics=metrics, scorecard=scorecard, validation=result.rows,
                          impact=result.impact, catalogue=catalogue, period=per.label,
                          la_code=settings.la_code, la_name=la_name,
                          threshold=settings.suppress_below, errors_failed=result.errors > 0)
        step("reports", t0)

        exit_code = 1 if result.errors else 0
        outcome = "built with errors" if exit_code else "built"
        con.execute(
            "insert into meta.runs values ($id, 'build', $args, $start, current_timestamp, $outcome, $code, $msg)",
            {"id": run_id, "args": json.dumps({"raw": str(raw_dir), "out": str(out_dir), "period": per.label,
                                               "la": settings.la_code}),
             "start": started, "outcome": outcome, "code": exit_code, "msg": loaded.summary()}).fetchall()
        con.execute("commit").fetchall()
    except OSError as exc:
        con.execute("rollback").fetchall()
        raise ScorecardError(f"{exc.filename or out_dir}: cannot write the outputs: {exc.strerror or exc}; "
                             "nothing was built") from None
    except BaseException:
        con.execute("rollback").fetchall()
        raise
    _write_run_log(out_dir, started, per, settings, loaded, result, timings, exit_code)
    files = sorted(p for p in out_dir.rglob("*") if p.is_file())
    return BuildResult(exit_code, per.label, settings.la_code, out_dir, files, loaded, result.errors,
                       result.warnings, timings, outcome)


def _compute(con, settings, requested, key, raw_dir, run_id, say, timings, step):
    """Load, marts, validation, metrics and benchmarks (inside the caller's transaction)."""
    from . import benchmarks
    from .metrics import build_marts, catalogue as metric_catalogue, compute
    from .validate import validate

    t0 = time.perf_counter()
    say("load: reading extracts")
    loaded = load(con, raw_dir, key=key, mappings=settings.mappings, run_id=run_id,
                  progress=lambda f: say(f"load: {f}"), transaction=False)
    step("load", t0)
    say(f"load: {loaded.summary()}")

    t0 = time.perf_counter()
    build_marts(con)
    step("marts", t0)
    per = requested or _default_period(con)

    def recompute(exclude: dict[str, set[str]]) -> pl.DataFrame:
        return compute(con, per.label, la_code=settings.la_code,
                                     population=benchmarks.population, exclude=exclude)

    t0 = time.perf_counter()
    say("validate: running expectation suites and cross-table checks")
    result = validate(con, None, recompute=recompute, period=per.label)
    step("validate", t0)
    say(f"validate: {result.errors} error(s), {result.warnings} warning(s)")

    t0 = time.perf_counter()
    say(f"metrics: computing {per.label}")
    metrics = compute(con, per.label, la_code=settings.la_code,
                                    population=benchmarks.population)
    catalogue = metric_catalogue()
    step("metrics", t0)

    t0 = time.perf_counter()
    say("benchmarks: comparing with England, region and statistical neighbours")
    fy = per.financial_year.label
    scorecard = benchmarks.compare(metrics, la_code=settings.la_code, period=fy,
                                   grouping=settings.sn_grouping, catalogue=catalogue)
    reconciliation = benchmarks.reconcile(metrics, la_code=settings.la_code, period=fy)
    step("benchmarks", t0)
    return loaded, per, result, metrics, catalogue, scorecard, reconciliation


def _write_run_log(out_dir: Path, started, per, settings, loaded, result, timings, exit_code) -> None:
    """``run.log``: the one output allowed to differ between identical runs (timestamps)."""
    lines = [
        f"started: {started.isoformat(timespec='seconds')}",
        f"finished: {dt.datetime.now().isoformat(timespec='seconds')}",
        f"period: {per.label}", f"la_code: {settings.la_code}", f"load: {loaded.summary()}",
        f"validation: {result.errors} error(s), {result.warnings} warning(s)",
        "timings (s): " + ", ".join(f"{k} {v}" for k, v in timings.items()),
        f"exit status: {exit_code}",
    ]
    (out_dir / "run.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
