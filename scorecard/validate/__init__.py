"""Validation: prove the staged data is sound, or say exactly where it is not.

Great Expectations suites (``expectations/*.json``, one per staged table plus
``monthly_volumes`` and ``code_shares``) run on frames read from DuckDB; the cross-table and
migration checks are DuckDB SQL (``sql/``) whose results reach GX as derived columns and
frames. Quarantined load rows join the same report. Nothing here changes or drops data.

>>> from scorecard.validate import validate          # doctest: +SKIP
>>> result = validate(con, out_dir)                  # doctest: +SKIP
>>> result.errors, result.warnings                   # doctest: +SKIP
"""
from __future__ import annotations

import datetime

import resource
import shutil
import tempfile
import time
import weakref
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl

from ..schema import TABLES
from . import checks
from .lineage import affects_frame
from .report import ValidationResult, impact_frame, summary_text, validation_frame

__all__ = ["ValidationResult", "measure", "validate"]

_BIRTHS = "_scorecard_validation_births"
_VOLUME_INDEX = ["table_name", "period", "records", "neighbour_level"]
_SHARES_INDEX = ["table_name", "column_name", "code", "period", "share_before_pct", "share_after_pct"]


def validate(con: duckdb.DuckDBPyConnection, out_dir: Path | None = None, *,
             extract_date: date | None = None, cutover: date | None = None,
             recompute: Callable[[dict[str, set[str]]], pl.DataFrame] | None = None,
             period: str | None = None, date_floor: date | None = None,
             unavailable: list[str] | None = None, engine: str = "duckdb",
             docs_worker=None, cache: dict | None = None) -> ValidationResult:
    """Validate ``staging.*`` and report ``quarantine.rejected_rows``.

    :param con: a connection to the scorecard database (``scorecard.db.connect``).
    :param out_dir: when given, ``validation.csv``, ``validation_summary.md`` and
        ``validation/`` (GX Data Docs) are written there.
    :param extract_date: nothing may be dated after it; default: the day of the latest load
        in ``meta.loads``, else today.
    :param cutover: the day the new case-management system started; default: detected from
        ``source_system`` (the first record of the newest system), else none and the
        cut-over checks are skipped (the summary says so).
    :param recompute: ``{table: {record_id, ...}} -> metrics frame`` without those records;
        when given, the impact of each failing check on the metrics is measured.
    :param period: limit the impact to this period (and its months, for a year).
    :param date_floor: a date on or before it is not a real date (an error in every date
        column); default :data:`checks.DATE_FLOOR` (1900-01-01).
    :param unavailable: lines naming the metrics that cannot be computed from what was loaded
        (``scorecard.metrics.availability.describe``), for the summary.
    :param engine: ``duckdb`` (default): the suites are evaluated in DuckDB (``engine.py``) and
        the Data Docs rendered by Great Expectations from its results in another process;
        ``gx``: Great Expectations evaluates them on pandas frames (the reference).
    :param docs_worker: a :class:`docs.DocsWorker` already started (a build starts it early so
        that importing GX overlaps loading), given the results to render at once; default: the
        Data Docs are rendered when the result is written.
    :param cache: when given (with the DuckDB engine), an outcome stored in
        ``meta.validation_cache`` for the same data, rules and parameters (these, plus the
        items of ``cache``: whatever else ``recompute`` depends on, such as the LA) is reused
        instead of validating again (``cache.py``); ``result.cached`` says whether it was.
    """
    if engine not in ("duckdb", "gx"):
        raise ValueError(f"unknown validation engine {engine!r} (duckdb or gx)")
    extract_date = extract_date or checks.detect_extract_date(con)
    if cutover is None:
        cutover, cutover_note = checks.detect_cutover(con, extract_date)
    else:
        cutover_note = f"cut-over given: {cutover.isoformat()}"
    date_floor = date_floor or checks.DATE_FLOOR
    run_time = datetime.datetime.combine(extract_date, datetime.time(), datetime.timezone.utc)
    key = stored = None
    if cache is not None and engine == "duckdb":
        from . import cache as cachemod

        key = cachemod.digest(con, {**cache, "extract_date": extract_date, "cutover": cutover,
                                    "cutover_note": cutover_note, "date_floor": date_floor,
                                    "period": period, "recompute": recompute is not None,
                                    "unavailable": unavailable})
        stored = cachemod.get(con, key)
    hit = stored is not None
    if stored is None:
        stored = _evaluate(con, engine, extract_date=extract_date, cutover=cutover,
                           cutover_note=cutover_note, date_floor=date_floor, period=period,
                           recompute=recompute, unavailable=unavailable)
        if key is not None:
            cachemod.put(con, key, stored)
    docs = Path(tempfile.mkdtemp(prefix="scorecard-validation-"))
    result = ValidationResult(stored["rows"], stored["impact"], stored["text"], extract_date, cutover, docs,
                              stored["notes"], affects=stored["affects"], census_errors=stored["census_errors"])
    result.cached = hit
    if engine == "gx":
        shutil.copytree(stored["docs"], docs, dirs_exist_ok=True)
        _remove(stored["docs"])
    else:
        from .docs import PendingDocs, StoredDocs

        archive = cachemod.get_docs(con, key) if hit else None
        if archive is not None:      # rendered by an earlier build from the same results
            if docs_worker is not None:
                docs_worker.cancel()
            result.docs_job = StoredDocs(docs, archive)
        elif docs_worker is not None:  # started early by the caller: it renders now
            docs_worker.render(docs, run_time, stored["results"])
            result.docs_job = docs_worker
        else:                        # rendered only if written
            result.docs_job = PendingDocs(docs, run_time, stored["results"])
        if key is not None and archive is None:
            result.on_docs = _keep_docs(con, key)
    weakref.finalize(result, _remove, docs)
    if out_dir is not None:
        result.write(Path(out_dir))
    return result


def _keep_docs(con: duckdb.DuckDBPyConnection, key: str) -> Callable[[Path], None]:
    """Keep the written Data Docs with the cached outcome, so a re-run unpacks them."""
    def keep(folder: Path) -> None:
        from . import cache as cachemod
        from .docs import pack

        try:
            cachemod.put_docs(con, key, pack(folder))
        except duckdb.Error:
            pass  # the connection is closed: a re-run renders them again
    return keep


def _evaluate(con: duckdb.DuckDBPyConnection, engine: str, *, extract_date: date, cutover: date | None,
              cutover_note: str, date_floor: date, period: str | None,
              recompute: Callable[[dict[str, set[str]]], pl.DataFrame] | None,
              unavailable: list[str] | None) -> dict:
    """Run every check: the outcome (rows, impact, summary, notes, affects, census errors, and
    the engine's results for the Data Docs, or the GX Data Docs folder)."""
    from .suites import load_suite, suite_columns

    notes: list[str] = []
    params = {"extract_end": pd.Timestamp(extract_date) + pd.Timedelta(days=1, microseconds=-1),
              "first_plausible": pd.Timestamp(date_floor) + pd.Timedelta(days=1),
              # a placeholder on or before the floor is reported once, by the floor check
              "placeholder_dates": [pd.Timestamp(d) for d in checks.placeholder_dates(date_floor)]}
    if engine == "gx":
        from .suites import GXRunner

        docs = Path(tempfile.mkdtemp(prefix="scorecard-validation-"))
        runner = GXRunner(docs, run_time=datetime.datetime.combine(extract_date, datetime.time(),
                                                                   datetime.timezone.utc))
    else:
        from .runner import DuckDBRunner

        runner = DuckDBRunner(con)
    derived = checks.derived_checks(cutover)
    rows: list[dict[str, str]] = checks.quarantine_rows(con)
    skipped: list[str] = []
    if engine != "gx":   # every table's frame reads the dates of birth: worked out once
        con.execute(f"create or replace temp table {_BIRTHS} as {checks.DATES_OF_BIRTH}").fetchall()
    try:
        for name, table in TABLES.items():
            suite = load_suite(name)
            spec = dict(table=name, columns=suite_columns(suite), checks=derived,
                        extract_date=extract_date, cutover=cutover, date_floor=date_floor)
            if engine == "gx":
                run = runner.run(suite, checks.table_frame(con, **spec), table_of=name,
                                 index_columns=[table.id_column], parameters=params)
            else:
                run = runner.run_sql(suite, *checks.table_sql(**spec, position=True, births=_BIRTHS),
                                     table_of=name, index_columns=[table.id_column],
                                     parameters=params, order=checks.position_order(name))
            rows += run.rows
            skipped += run.skipped
            notes += [f"check could not run: {b}" for b in run.broken]
    finally:
        if engine != "gx":
            con.execute(f"drop table if exists {_BIRTHS}").fetchall()
    census = _census_rules(con, runner, period=period, extract_date=extract_date, params=params)
    rows += census.rows
    notes += census.notes
    run = runner.run(load_suite("monthly_volumes"), checks.volumes_frame(con, extract_date),
                     table_of=None, index_columns=_VOLUME_INDEX, parameters=params)
    rows += run.rows
    if cutover is not None:
        run = runner.run(load_suite("code_shares"), checks.code_shares_frame(con, cutover),
                         table_of=None, index_columns=_SHARES_INDEX, parameters=params)
        rows += run.rows
    else:
        skipped.append("migration.code_drift")
    if skipped:
        notes.append("skipped (no cut-over): " + ", ".join(sorted(set(skipped))))
    notes.append("Great Expectations Data Docs for this run are in validation/ (open index.html).")

    frame = validation_frame(rows)
    impact = impact_frame(frame, recompute, period)
    affects = affects_frame(frame)
    text = summary_text(frame, impact, extract_date=extract_date, cutover_note=cutover_note,
                        notes=notes, recompute_given=recompute is not None, affects=affects,
                        unavailable=unavailable)
    out = {"rows": frame, "impact": impact, "text": text, "notes": notes, "affects": affects,
           "census_errors": census.errors}
    if engine == "gx":
        out["docs"] = docs
    else:
        out["results"] = runner.results
    return out


def _census_rules(con: duckdb.DuckDBPyConnection, runner, *, period: str | None, extract_date: date,
                  params: dict):
    """The DfE CIN census rules (``cin_rules``): findings from DuckDB SQL, and the ``cin_census``
    suite run over them so each rule appears in the Data Docs with the records it flags."""
    from .cin_rules import check

    census = check(con, period=period, extract_date=extract_date)
    if census.suite["expectations"]:
        runner.run(census.suite, census.gx_frame, table_of=None,
                   index_columns=["table_name", "record_id", "period"], parameters=params)
    return census


def _remove(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def measure(con: duckdb.DuckDBPyConnection, out_dir: Path | None = None, **kwargs) -> dict[str, float]:
    """Run :func:`validate` and report ``seconds`` (wall time), ``peak_rss_mb`` (peak resident
    memory of this process so far, Linux ``ru_maxrss``), ``records`` (staged rows),
    ``errors`` and ``warnings``: the numbers the benchmark script prints."""
    records = sum(con.execute(f"select count(*) from staging.{t}").fetchone()[0] for t in TABLES)
    start = time.perf_counter()
    result = validate(con, out_dir, **kwargs)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_rss_mb": peak, "records": float(records),
            "errors": float(result.errors), "warnings": float(result.warnings)}
