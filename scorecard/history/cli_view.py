"""What ``scorecard history`` shows: the builds kept, or the revisions between two, as a rich
table on a terminal or CSV (``--out``). The command in :mod:`scorecard.cli` only parses options."""
from __future__ import annotations

from pathlib import Path

import polars as pl

from ..errors import ConfigError, ScorecardError
from . import builds, compare_builds

__all__ = ["builds_frame", "history_command"]


def builds_frame(con, la_code: int | None = None) -> pl.DataFrame:
    """One row per kept build: ``build, la_code, period, built_at, label, figures``."""
    from .store import exists

    rows = []
    counts = dict(con.execute("select build_id, count(*) from history.figures group by build_id").fetchall()) \
        if exists(con) else {}
    for b in builds(con, la_code):
        rows.append({"build": b.build_id, "la_code": b.la_code, "period": b.period,
                     "built_at": b.built_at.isoformat(sep=" ", timespec="seconds") if b.built_at else "",
                     "label": b.label, "figures": counts.get(b.build_id, 0)})
    return pl.DataFrame(rows, schema={"build": pl.Int64, "la_code": pl.Int64, "period": pl.Utf8,
                                      "built_at": pl.Utf8, "label": pl.Utf8, "figures": pl.Int64})


def _print(frame: pl.DataFrame, title: str, echo) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:   # piped or captured: wide enough that ids are never cut
        console = Console(width=200)
    table = Table(title=title)
    for c in frame.columns:
        table.add_column(c, justify="right" if frame.schema[c].is_numeric() else "left",
                         no_wrap=c in ("metric", "period", "label", "built_at"))
    for r in frame.iter_rows():
        table.add_row(*["" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v)) for v in r])
    console.print(table)


def history_command(db: Path, *, la_code: int | None, compare: tuple[str, str] | None,
                    out: Path | None, echo) -> int:
    """List the builds in ``db`` or (``compare``) the revisions between two; ``out``: write CSV
    there instead of printing a table. Returns the exit status.

    :raises ScorecardError: no such database, or a build it does not hold (exit 2)."""
    from .. import db as dbmod

    if not Path(db).is_file():
        raise ConfigError(f"{db}: no scorecard database there (give --db)")
    con = dbmod.connect(db, read_only=True)
    note = ""
    try:
        if compare:
            try:
                frame = compare_builds(con, compare[0], compare[1])
            except KeyError as exc:
                raise ScorecardError(str(exc).strip("'\"")) from None
            note = _hash_note(con, *compare)
            title = f"Revisions from build {compare[0]} to build {compare[1]}"
            empty = "no figure changed between the two builds"
        else:
            frame = builds_frame(con, la_code)
            title = f"Builds kept in {db}"
            empty = "no builds kept in this database yet (scorecard build keeps each one)"
    finally:
        con.close()
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        frame.write_csv(out, line_terminator="\n", float_precision=None, null_value="")
        echo(f"{frame.height} row(s) written to {out}")
    elif frame.is_empty():
        echo(empty)
    else:
        shown = frame.select(pl.col("metric_id").alias("metric"), "period", pl.col("breakdown").alias("category"),
                             pl.col("previous_value").alias("was"), pl.col("new_value").alias("now"),
                             pl.col("difference").alias("change"), "reason",
                             pl.col("records_added").alias("added"),
                             pl.col("records_removed_or_changed").alias("changed"),
                             pl.col("records_now_failing").alias("failing")) if compare else frame
        _print(shown, title, echo)
    if note:
        echo(note)
    return 0


def _hash_note(con, old: str, new: str) -> str:
    """What the comparison of two builds cannot see, if their row hashes were made differently."""
    from .store import get_build, hash_tables

    a, b = get_build(con, old), get_build(con, new)
    if hash_tables(con, a, b) is not None:
        return ""
    return (f"note: builds {a.label} and {b.label} hashed their records differently (a build made before "
            "and one made after the change of row hash, with a build between them; or another DuckDB "
            "version), so a changed record cannot be seen: 'changed' counts removed records only")

