"""Monthly drops: synthetic extracts as they arrive month by month, with late and corrected records.

A partnership rarely receives a year's extract in one go: each month the case-management system
sends the records of that month (``referrals_2023-01.csv``, ...), and sometimes a record arrives
a month late, or an earlier record is sent again corrected. :func:`write_drops` writes such a
series from generated tables:

- ``<table>.csv``: every record dated before the first drop month (the history already held),
  and ``children.csv`` (the child details, one file);
- ``<table>_<YYYY-MM>.csv``: the records dated in that month (by the record's main date, as
  ``split_monthly`` does);
- in each month of ``revise_in`` (default every drop month after the first), one referral of the
  month before arrives late (it is moved into this month's drop; only a referral no assessment or
  CIN episode refers to, so a small month may have none), and one referral of two months
  before is sent again, corrected: its referral date was a month too early (so one month loses a
  referral and the next gains one).

:meth:`Drops.stage` copies the files that had arrived by a month into a raw folder, so a build of
each month sees what it would have seen then. Every late and corrected record is listed in
:attr:`Drops.events` (the answer key of the revisions).
"""
from __future__ import annotations

import io
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ..periods import month, parse_period
from .generate import SynthArgumentError
from .writers import _as_text, month_of

__all__ = ["DropEvent", "Drops", "write_drops"]


@dataclass(frozen=True)
class DropEvent:
    """A record that arrived late (``kind="late"``) or was sent again corrected
    (``kind="corrected"``): its table, record id, the month it is dated in and the drop it
    arrived in; ``detail`` says what changed."""

    kind: str
    table: str
    record_id: str
    dated: str
    arrived: str
    detail: str = ""


@dataclass
class Drops:
    """What :func:`write_drops` wrote: the folder, the drop months in order, and the events."""

    folder: Path
    months: list[str]
    events: list[DropEvent] = field(default_factory=list)

    def files_through(self, through: str) -> list[Path]:
        """The files that had arrived by the end of month ``through`` (base files included)."""
        out = []
        for p in sorted(self.folder.glob("*.csv")):
            stem = p.stem
            tail = stem.rsplit("_", 1)[-1]
            if len(tail) == 7 and tail[4] == "-" and tail.replace("-", "").isdigit():
                if tail > through:
                    continue
            out.append(p)
        return out

    def stage(self, dest: Path, through: str) -> list[Path]:
        """Copy the files that had arrived by month ``through`` into ``dest`` (created; files
        already there are kept, so a folder can grow month by month)."""
        parse_period(through)
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        copied = []
        for p in self.files_through(through):
            target = dest / p.name
            if not target.exists() or target.read_bytes() != p.read_bytes():
                shutil.copyfile(p, target)
            copied.append(target)
        return copied


def _write(df: pl.DataFrame, table: str, path: Path) -> Path:
    buf = io.StringIO()
    _as_text(df, table, "iso", "YN").write_csv(buf)
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return path


def _months(first: str, last: str) -> list[str]:
    a, b = parse_period(first), parse_period(last)
    if a.kind != "month" or b.kind != "month" or b.start < a.start:
        raise SynthArgumentError(f"drop months must run from one month to a later one, not {first}..{last}")
    out, p = [], a
    while p.start <= b.start:
        out.append(p.label)
        p = month(p.end.year + (p.end.month == 12), p.end.month % 12 + 1)
    return out


def _pick(candidates: pl.DataFrame, referenced: set[str], taken: set[str]) -> str | None:
    """The first referral (by id) no event has taken and, if given, no other record refers to
    (a referral arriving late must not leave an assessment pointing at nothing)."""
    ids = sorted(str(i) for i in candidates["referral_id"].to_list())
    free = [i for i in ids if i not in referenced and i not in taken]
    return free[0] if free else None


def _a_month_later(d):
    """The same day a month later (the 28th at most, so every month has it)."""
    y, m = d.year + (d.month == 12), d.month % 12 + 1
    return d.replace(year=y, month=m, day=min(d.day, 28))


def write_drops(tables: dict[str, pl.DataFrame], out: str | Path, *, first: str, last: str,
                revise_in: tuple[str, ...] | None = None) -> Drops:
    """Write ``tables`` (from :func:`scorecard.synth.generate` with ``out_dir=None``) as monthly
    drops from month ``first`` to month ``last`` into ``out``.

    :param revise_in: the drop months that carry a late referral (of the month before) and a
        corrected one (of two months before) (default: every drop month after the first).
    :raises SynthArgumentError: for months that are not ``YYYY-MM`` or run backwards.
    """
    months = _months(first, last)
    revise = months[1:] if revise_in is None else list(revise_in)
    bad = [m for m in revise if m not in months[1:]]
    if bad:
        raise SynthArgumentError(f"revise_in month(s) {', '.join(bad)} are not drop months after the first")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    referrals = tables["referrals"].with_columns(
        month_of(tables["referrals"], "referrals", tables).alias("__m"))
    referenced = {str(i) for t in ("assessments", "cin_episodes") if t in tables
                  for i in tables[t]["referral_id"].drop_nulls().to_list()}
    events: list[DropEvent] = []
    late: dict[str, str] = {}             # referral id -> drop month it arrives in
    corrected: dict[str, list[str]] = {}  # drop month -> referral ids re-sent corrected
    taken: set[str] = set()
    for m in revise:
        i = months.index(m)
        before = months[i - 1]
        rid = _pick(referrals.filter(pl.col("__m") == before), referenced, taken)
        if rid is not None:
            taken.add(rid)
            late[rid] = m
            events.append(DropEvent("late", "referrals", rid, before, m,
                                    f"referral dated in {before} first sent in the {m} drop"))
        earlier = parse_period(before).start.replace(day=1)
        two_before = month(earlier.year - (earlier.month == 1), (earlier.month - 2) % 12 + 1).label
        rid = _pick(referrals.filter(pl.col("__m") == two_before), referenced, taken) or \
            _pick(referrals.filter(pl.col("__m") == two_before), set(), taken)
        if rid is not None:
            taken.add(rid)
            corrected.setdefault(m, []).append(rid)
            was = referrals.filter(pl.col("referral_id").cast(pl.Utf8) == rid)["referral_date"][0]
            events.append(DropEvent("corrected", "referrals", rid, two_before, m,
                                    f"referral date {was} corrected to {_a_month_later(was)}"))
    for table, df in tables.items():
        if table == "children":
            _write(df, table, out / "children.csv")
            continue
        if df.height == 0:
            continue
        tagged = df.with_columns(month_of(df, table, tables).fill_null(months[-1]).alias("__m"))
        if table == "referrals":
            arrive = pl.col("referral_id").cast(pl.Utf8).replace_strict(late, default=None)
            tagged = tagged.with_columns(pl.coalesce(arrive, pl.col("__m")).alias("__m"))
        tagged = tagged.with_columns(
            pl.when(pl.col("__m") > months[-1]).then(pl.lit(months[-1])).otherwise(pl.col("__m")).alias("__m"))
        base = tagged.filter(pl.col("__m") < months[0])
        if base.height:
            _write(base.drop("__m"), table, out / f"{table}.csv")
        for m in months:
            part = tagged.filter(pl.col("__m") == m).drop("__m")
            if table == "referrals" and m in corrected:
                again = df.filter(pl.col("referral_id").cast(pl.Utf8).is_in(corrected[m]))
                again = again.with_columns(pl.col("referral_date").map_elements(
                    _a_month_later, return_dtype=again.schema["referral_date"]))
                part = pl.concat([part, again.select(part.columns)])
            if part.height:
                _write(part, table, out / f"{table}_{m}.csv")
    return Drops(out, months, events)
