"""Figures over time: what each build published, and what has changed since.

Each build keeps its published figures and the record-level evidence behind them in the
database (:mod:`.store`, schema ``history``), compares them with the last build of the same LA
(:mod:`.compare`), writes ``revisions.csv``, raises a ``revisions.month_moved`` warning for a
month whose figure moved by more than the revision threshold, and gives the page its "changed
since the last build" panel (:mod:`.panel`). ``scorecard history`` lists the builds and compares
any two.

>>> kept = keep(con, facts, threshold_pct=5.0, titles=titles)   # doctest: +SKIP
>>> kept.revisions, kept.warnings, kept.section                  # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from .compare import REASONS, REVISIONS_SCHEMA, moved_months, revisions
from .store import MD5_SCHEME, Build, BuildFacts, base_build, builds, get_build, hash_tables, keep_md5_hashes, record

__all__ = ["BuildFacts", "Build", "Kept", "REASONS", "REVISIONS_SCHEMA", "CHECK_ID", "DEFAULT_THRESHOLD",
           "keep", "builds", "get_build", "compare_builds", "revisions", "moved_months", "warning_rows"]

#: the validation check a month moved by more than the threshold raises
CHECK_ID = "revisions.month_moved"
#: per cent of the earlier value a month's figure may move by before it is a warning
DEFAULT_THRESHOLD = 5.0


@dataclass
class Kept:
    """What :func:`keep` did for one build: the build, the build it was compared with (None for
    the first), the revisions, and the validation rows it adds."""

    build: Build
    base: Build | None
    revisions: pl.DataFrame
    warnings: list[dict] = field(default_factory=list)
    threshold_pct: float = DEFAULT_THRESHOLD
    #: the page panel (:func:`.panel.panel_section`), set by the build
    section: Any = None

    def write(self, out_dir: Path) -> Path:
        """Write ``revisions.csv`` (header only when nothing changed or there is no earlier build)."""
        path = Path(out_dir) / "revisions.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.revisions.select(list(REVISIONS_SCHEMA)).write_csv(
            path, line_terminator="\n", float_precision=None, null_value="")
        return path


def _fmt(value: float | None, unit: str, threshold: int) -> str:
    """A figure in a warning's words: ``c`` for a small count, as the page shows it otherwise."""
    from ..report.sparkline import format_metric

    if value is not None and unit == "count" and 0 < abs(value) < threshold:
        return "c"
    return format_metric(value, unit, "blank")


def warning_rows(moved: pl.DataFrame, *, titles: dict[str, tuple[str, str]], threshold_pct: float,
                 suppress_below: int = 5) -> list[dict]:
    """Validation rows (``check_id, table, severity, record_id, period, message``) for the month
    figures that moved by more than the threshold. ``titles``: metric id -> (title, unit)."""
    rows = []
    for r in moved.iter_rows(named=True):
        title, unit = titles.get(r["metric_id"], (r["metric_id"], "count"))
        what = f"{title} ({r['breakdown']})" if r["breakdown"] else title
        prev, new = r["previous_value"], r["new_value"]
        if prev not in (None, 0) and new is not None:
            by = f"{100 * (new - prev) / abs(prev):+.1f}%"
        else:
            by = "from zero or blank"
        rows.append({"check_id": CHECK_ID, "table": "", "severity": "warning", "record_id": "",
                     "period": r["period"],
                     "message": (f"{what} for {r['period']} moved from {_fmt(prev, unit, suppress_below)} to "
                                 f"{_fmt(new, unit, suppress_below)} ({by}, more than {threshold_pct:g}%) "
                                 f"since build {r['previous_build']}: {r['reason'] or 'reason not known'}")})
    return rows


def keep(con: duckdb.DuckDBPyConnection, facts: BuildFacts, *, threshold_pct: float = DEFAULT_THRESHOLD,
         titles: dict[str, tuple[str, str]] | None = None, suppress_below: int = 5) -> Kept:
    """Record this build in ``history`` (inside the caller's transaction), compare it with the
    last build of the same LA, and find the months that moved by more than ``threshold_pct``."""
    build = record(con, facts)
    base = base_build(con, build)
    if base is not None and (base.hash_scheme or MD5_SCHEME) == MD5_SCHEME and hash_tables(con, base, build) is None:
        keep_md5_hashes(con, build)  # the base was made before hash_scheme: compare the old way, once
    if base is None:
        revised = pl.DataFrame(schema=REVISIONS_SCHEMA)
        return Kept(build, None, revised, [], threshold_pct)
    revised = revisions(con, base, build)
    rows = warning_rows(moved_months(revised, threshold_pct), titles=titles or {},
                        threshold_pct=threshold_pct, suppress_below=suppress_below)
    return Kept(build, base, revised, rows, threshold_pct)


def compare_builds(con: duckdb.DuckDBPyConnection, old: str | int, new: str | int) -> pl.DataFrame:
    """The revisions between two kept builds, by id or label (``REVISIONS_SCHEMA``).

    :raises KeyError: naming a build the database does not hold.
    """
    found = []
    for ref in (old, new):
        b = get_build(con, ref)
        if b is None:
            ids = [str(x.build_id) for x in builds(con)]
            known = ", ".join(ids if len(ids) <= 10 else [*ids[:3], "...", *ids[-3:]]) or "none"
            raise KeyError(f"no build {str(ref)!r} in the database (builds kept: {known}); "
                           "scorecard history lists them")
        found.append(b)
    return revisions(con, found[0], found[1]).select(list(REVISIONS_SCHEMA))
