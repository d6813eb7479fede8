"""``scorecard`` command line: a thin layer over the library.

Each command parses its options, calls one library function and turns a
:class:`~scorecard.errors.ScorecardError` into one line on stderr and its exit status.
"""
from __future__ import annotations

import functools
import logging
import sys
import time
from pathlib import Path

import click

from .config import settings as make_settings
from .errors import ScorecardError

__all__ = ["main"]


class Progress:
    """Step messages: a live status line on a terminal, plain timestamped lines otherwise."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self._status = None
        self._t0 = time.perf_counter()

    def __enter__(self) -> "Progress":
        if self.tty and not self.quiet:
            from rich.console import Console

            self._status = Console(stderr=True).status("starting")
            self._status.__enter__()
        return self

    def __call__(self, message: str) -> None:
        if self.quiet:
            return
        if self._status is not None:
            self._status.update(message)
            if not message.startswith("load: ") or "file(s)" in message:
                self._status.console.log(message)
        else:
            click.echo(f"[{time.perf_counter() - self._t0:7.1f}s] {message}", err=True)

    def __exit__(self, *exc) -> None:
        if self._status is not None:
            self._status.__exit__(*exc)


def _fail(message: str, code: int) -> None:
    click.echo(f"scorecard: error: {message}", err=True)
    sys.exit(code)


def handled(fn):
    """Run a command, turning user errors into one clear line and an exit status (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        debug = kwargs.pop("debug", False)
        try:
            return fn(*args, **kwargs)
        except ScorecardError as exc:
            if debug:
                raise
            _fail(str(exc), exc.exit_code)
        except (ValueError, KeyError) as exc:
            if debug:
                raise
            _fail(str(exc).strip("'\""), 2)
        except KeyboardInterrupt:
            _fail("interrupted; the database is as it was before the run", 2)
        except Exception as exc:  # an internal fault: say so plainly, keep the traceback for --debug
            if debug:
                raise
            _fail(f"internal error ({type(exc).__name__}: {exc}); nothing was built — rerun with --debug "
                  "and report it", 2)

    return click.option("--debug", is_flag=True, hidden=True, help="Show tracebacks.")(wrapper)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="scorecard")
def main() -> None:
    """Safeguarding partnership scorecard: load, validate, compute, benchmark, publish."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


_db_option = click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
                          help="DuckDB database [default: data/processed/scorecard.duckdb].")
_la_option = click.option("--la", "la_code", type=int, default=None, help="DfE LA code [default: 370 Barnsley].")


@main.command()
@click.option("--raw", "raw_dir", required=True, type=click.Path(path_type=Path), help="Folder of extract files (read-only).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write outputs to.")
@click.option("--period", default=None, help="Financial year (2022-23) or month (2022-07) [default: latest complete year].")
@_la_option
@_db_option
@click.option("--mappings", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Extra folder of mapping files for bespoke exports (repeatable).")
@click.option("--suppress-below", type=int, default=None, help="Publish counts below this as 'c' [default: 5].")
@click.option("--sn-grouping", type=click.Choice(["april_2021", "may_2025"]), default=None,
              help="Statistical-neighbour grouping [default: the one in force for the period].")
@click.option("--targets", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The partnership's own targets (TOML or CSV) [default: targets.toml in the raw folder, if any].")
@click.option("--missing-match-hours", type=float, default=None,
              help="Missing episodes of a child reported by two sources (LA, 903, police) up to this many "
                   "hours apart are one episode [default: 24].")
@click.option("--date-floor", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="A date on or before this is not a real date (an error) [default: 1900-01-01].")
@click.option("--wait", type=float, default=0.0, show_default=True,
              help="Seconds to wait for another build using the same database before refusing.")
@click.option("--revision-threshold", type=float, default=None,
              help="A month's figure moving by more than this per cent since the last build is a warning [default: 5].")
@click.option("--quiet", is_flag=True, help="No progress output.")
@handled
def build(raw_dir, out_dir, period, la_code, db, mappings, suppress_below, sn_grouping, targets,
          missing_match_hours, date_floor, wait, revision_threshold, quiet):
    """Run the monthly build: load, validate, compute, benchmark and write every output.

    Exit status: 0 built; 1 built but error checks failed; 2 nothing built.

    Example: scorecard build --raw data/raw --out reports/2022-23 --period 2022-23
    """
    from .build import build as run_build

    s = make_settings(la_code=la_code, db=db, raw_dir=raw_dir, out_dir=out_dir,
                      mappings=tuple(mappings) or None, suppress_below=suppress_below, sn_grouping=sn_grouping,
                      targets=targets, missing_match_hours=missing_match_hours,
                      date_floor=date_floor.date() if date_floor else None,
                      revision_threshold=revision_threshold)
    with Progress(quiet) as progress:
        result = run_build(s, period=period, wait=wait, progress=progress)
    _summarise(result)
    sys.exit(result.exit_code)


def _summarise(result) -> None:
    click.echo(f"{result.message}: {result.period} for LA {result.la_code}; "
               f"{result.errors} error check(s), {result.warnings} warning(s)")
    click.echo(f"outputs in {result.out_dir}: scorecard.html, report_pack.docx, scorecard.csv, metrics.csv, "
               "validation.csv, revisions.csv, tables/, charts/")


@main.command()
@click.option("--raw", "raw_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("data/raw/demo"),
              show_default=True, help="Where the synthetic extracts are written.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports/demo"),
              show_default=True, help="Where the reports are written.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=Path("data/processed/demo.duckdb"),
              show_default=True, help="Demo database (rebuilt from scratch).")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--quiet", is_flag=True, help="No progress output.")
@handled
def demo(raw_dir, out_dir, db, seed, quiet):
    """Generate synthetic Barnsley-like data and run a full build on it.

    The demo data carries a few migration artefacts on purpose, so the build reports failing
    checks; the command still exits 0 once everything is built.

    Example: scorecard demo
    """
    from .demo import run_demo

    with Progress(quiet) as progress:
        result = run_demo(raw_dir=raw_dir, out_dir=out_dir, db=db, seed=seed, progress=progress)
    _summarise(result)
    if result.exit_code == 1:
        click.echo("the demo data has migration artefacts switched on on purpose: see validation_summary.md")
    click.echo(f"open {Path(result.out_dir) / 'scorecard.html'} in a browser")


@main.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the synthetic extracts to.")
@click.option("--scale", type=float, default=1.0, show_default=True, help="Volume multiplier (1 = a Barnsley-sized LA).")
@click.option("--years", type=int, default=2, show_default=True, help="Number of financial years.")
@click.option("--start-year", type=int, default=2021, show_default=True, help="First financial year (2021 = 2021-22).")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same files.")
@_la_option
@click.option("--artefact", "artefacts", multiple=True, help="Migration artefact to inject (repeatable).")
@click.option("--cutover", default="2022-07-01", show_default=True, help="TED -> Mosaic cut-over date.")
@click.option("--format", "formats", multiple=True, default=("csv",), show_default=True,
              help="csv, xlsx, parquet, annex_a, cin_census, ssd or ssda903 (repeatable; several go to sub-folders).")
@click.option("--encoding", default="utf-8", show_default=True, help="CSV encoding: utf-8, utf-8-sig or cp1252.")
@click.option("--date-style", default="iso", show_default=True, help="CSV dates: iso or uk (DD/MM/YYYY).")
@click.option("--flag-style", default="YN", show_default=True, help="CSV flags: YN, YesNo, 10 or TrueFalse.")
@click.option("--split-monthly", is_flag=True, help="One file per extract per month (referrals_2022-04.csv ...).")
@click.option("--answer-key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to save the artefact answer key (JSON; never inside --out).")
@handled
def synth(out_dir, scale, years, start_year, seed, la_code, artefacts, cutover, formats, encoding, date_style,
          flag_style, split_monthly, answer_key):
    """Generate synthetic extracts (no real child's data) for demos, tests and benchmarks.

    Artefacts: cutover_gap, duplicate_migration, placeholder_dates, end_before_start,
    overlapping_plans, orphan_rhi, mismatched_rhi, rhi_completed_not_accepted,
    rhi_completed_before_return, invalid_codes, code_drift, discontinued_code,
    unparseable_dates, future_dates.

    Example: scorecard synth --out data/raw/synthetic --artefact duplicate_migration --answer-key key.json
    """
    from .synth import describe, generate

    result = generate(out_dir, la_code=la_code or make_settings().la_code, start_year=start_year,
                      years=years, seed=seed, scale=scale, artefacts=tuple(artefacts), cutover=cutover,
                      formats=tuple(formats), encoding=encoding, date_style=date_style, flag_style=flag_style,
                      split_monthly=split_monthly, answer_key_path=answer_key)
    click.echo(describe(result))


@main.command()
@click.option("--raw", "raw_dir", required=True, type=click.Path(path_type=Path), help="Folder of extract files (read-only).")
@_db_option
@click.option("--mappings", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Extra folder of mapping files (repeatable).")
@click.option("--wait", type=float, default=0.0, show_default=True, help="Seconds to wait for another build.")
@_la_option
@handled
def load(raw_dir, db, mappings, wait, la_code):
    """Load extracts into the database (atomic; files already loaded are recognised and skipped).
    A file that names another LA (a CIN census header) stops the load.

    Example: scorecard load --raw data/raw
    """
    from . import db as dbmod
    from .config import pseudonym_key
    from .load import load as run_load

    s = make_settings(db=db, **({"la_code": la_code} if la_code is not None else {}))
    key = pseudonym_key(s.key_file)
    with dbmod.exclusive(s.db, wait=wait):
        con = dbmod.connect(s.db)
        try:
            report = run_load(con, raw_dir, key=key, mappings=tuple(mappings), la_code=s.la_code)
        finally:
            con.close()
    for f in report.files:
        extra = f" ({f.message})" if f.message else ""
        click.echo(f"{f.status:9} {f.file} {f.table} {f.rows_loaded} loaded, {f.rows_rejected} quarantined{extra}")
    click.echo(report.summary())


@main.command(name="validate")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write validation.csv, cin_census_errors.csv, validation_summary.md and the Data Docs here.")
@click.option("--period", default=None,
              help="Period of the records outside census files [default: latest complete year in the data].")
@_la_option
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Load into this database [default: a temporary one in memory].")
@click.option("--mappings", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Extra folder of mapping files (repeatable).")
@click.option("--dfe-only", is_flag=True,
              help="Only the DfE CIN census rules and the load's checks (fast; no Data Docs).")
@handled
def validate_cmd(path, out_dir, period, la_code, db, mappings, dfe_only):
    """Validate a CIN census XML file or a folder of extracts without building reports.

    The file is loaded into a temporary database (or --db), checked like a build checks it,
    including every DfE CIN census rule of the census's year, and summarised here.
    Exit status: 0 no errors; 1 checks of severity error failed; 2 the file could not be read.

    Example: scorecard validate census_2023.xml --out reports/census-check
    """
    from .config import pseudonym_key
    from .validate.files import validate_path

    s = make_settings(db=db, **({"la_code": la_code} if la_code is not None else {}))
    checked = validate_path(path, key=pseudonym_key(s.key_file), out_dir=out_dir, db=db or ":memory:",
                            la_code=s.la_code, period=period, mappings=tuple(mappings), dfe_only=dfe_only)
    click.echo(checked.load.summary())
    _summarise_validation(checked.result)
    if out_dir is not None:
        click.echo(f"written to {out_dir}: validation.csv, cin_census_errors.csv, validation_summary.md"
                   + ("" if dfe_only else ", validation/ (Data Docs)"))
    sys.exit(checked.exit_code)


def _summarise_validation(result, top: int = 12) -> None:
    rows = result.rows
    click.echo(f"{result.errors} error(s), {result.warnings} warning(s)")
    if rows.height:
        import polars as pl

        counts = (rows.group_by("check_id", "severity").agg(pl.len().alias("n"), pl.col("message").first())
                  .sort(["severity", "n", "check_id"], descending=[False, True, False]))
        for r in counts.head(top).iter_rows(named=True):
            click.echo(f"  {r['severity']:7} {r['check_id']:42} {r['n']:6}  {r['message'][:90]}")
        if counts.height > top:
            click.echo(f"  ... and {counts.height - top} more check(s)")
    for note in result.notes:
        if note.startswith("DfE"):
            click.echo(note)


@main.command()
@click.argument("pseudonyms", nargs=-1, required=True)
@click.option("--raw", "raw_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The raw folder the data was loaded from.")
@click.option("--mappings", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Extra folder of mapping files (repeatable).")
@handled
def whois(pseudonyms, raw_dir, mappings):
    """Print the case id behind a pseudonym, for someone who holds the raw files and the key.

    Reads the raw files again with the pseudonymisation key; prints each match (case id, file
    and row) on the terminal and writes nothing.

    Example: scorecard whois P3f2a9c0d1e2b4a5c --raw data/raw
    """
    from .config import pseudonym_key
    from .whois import whois as find

    matches = find(pseudonyms, raw_dir, key=pseudonym_key(make_settings().key_file), mappings=tuple(mappings))
    for m in matches:
        click.echo(f"{m.pseudonym}  {m.column} {m.case_id!r}  {m.file} row {m.row} ({m.table})")
    missing = sorted(set(p.strip() for p in pseudonyms) - {m.pseudonym for m in matches})
    for p in missing:
        click.echo(f"{p}  not found in {raw_dir} with this key")
    sys.exit(1 if missing else 0)


@main.command(name="history")
@_db_option
@_la_option
@click.option("--compare", nargs=2, default=None, metavar="OLD NEW",
              help="Show the revisions between two builds (ids or labels from the list).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write CSV to this file instead of printing a table.")
@handled
def history_cmd(db, la_code, compare, out):
    """List the builds kept in the database, or the figures that changed between two of them.

    Example: scorecard history --db data/processed/demo.duckdb --compare 1 2
    """
    from .history.cli_view import history_command

    s = make_settings(db=db)
    sys.exit(history_command(s.db, la_code=la_code, compare=compare, out=out, echo=click.echo))


@main.command(name="metrics")
@click.option("--period", required=True, help="Financial year (2022-23) or month (2022-07).")
@click.option("--metric", "metric_ids", multiple=True, help="Only these metric ids (repeatable).")
@_la_option
@_db_option
@handled
def metrics_cmd(period, metric_ids, la_code, db):
    """Print metric values from an already loaded database as CSV.

    Example: scorecard metrics --period 2022-23 --metric rereferrals_12m_pct
    """
    from .api import metrics as api_metrics

    frame = api_metrics(period=period, metric=list(metric_ids) or None, la_code=la_code, db=db)
    click.echo(frame.write_csv(), nl=False)


@main.group()
def benchmarks() -> None:
    """Benchmark data shipped with the package (DfE and ONS releases)."""


@benchmarks.command()
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write [default: the package's own benchmark data].")
@handled
def refresh(src, dest):
    """Rebuild benchmark data from newly published DfE CSV files in SRC.

    Example: scorecard benchmarks refresh ~/Downloads/dfe-cin-2025
    """
    from .benchmarks import refresh as run_refresh

    for p in run_refresh(src, dest):
        click.echo(f"wrote {p}")


if __name__ == "__main__":  # pragma: no cover
    main()
