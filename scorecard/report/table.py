"""One published table: :class:`ReportTable` (its figures, what disclosure control needs to
know about its structure, its status and notes), the text it is published as, and writing it
(CSV, ``index.csv``).

``frame`` holds the unrounded figures (a polars DataFrame with readable headings, label
columns first); :meth:`ReportTable.suppressed_with` applies :mod:`scorecard.report.sdc` and
:meth:`ReportTable.published` gives the text that is published (``c`` for hidden cells, a
``Note`` column where a row rests on a possibly incomplete month).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from ..periods import parse_period
from . import sdc
from .coverage import month_name
from .wording import GAP_WORDS

__all__ = ["KINDS", "NOTE_COLUMN", "INDEX_COLUMNS", "ReportTable", "format_value", "csv_safe",
           "write_csv", "write_index"]

#: How each kind of column is written: counts whole, the rest to one decimal place.
KINDS = ("count", "percent", "mean", "rate")


@dataclass(frozen=True)
class ReportTable:
    """One published table: figures plus the structure disclosure control needs.

    ``frame``: label columns (Utf8) then value columns (Float64, ``None`` = not available).
    ``kinds``: value column -> ``count | percent | mean | rate``.
    ``derived``: value column -> the columns of the same row it is calculated from.
    ``over_total``: value column -> the column whose total-row cell is its denominator
    (a share of the year's total).
    ``total_row``: index of the row that aggregates the others (a total or an average)
    in the ``additive`` columns. ``suppressed``: the cells published as ``c``.
    ``keys``: the metrics row each cell shows, as (metric_id, period, breakdown), so other
    outputs can hide exactly what the table hides.
    """

    name: str
    title: str
    frame: pl.DataFrame
    labels: tuple[str, ...]
    kinds: dict[str, str]
    metric_ids: tuple[str, ...]
    source: str
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)
    over_total: dict[str, str] = field(default_factory=dict)
    keys: dict[sdc.Cell, tuple[str, str, str]] = field(default_factory=dict)
    total_row: int | None = None
    additive: tuple[str, ...] = ()
    suppressed: frozenset[sdc.Cell] = frozenset()
    threshold: int = sdc.DEFAULT_THRESHOLD
    provisional: bool = False
    #: value column -> the series it shows (a key of ``palette.SERIES``)
    roles: dict[str, str] = field(default_factory=dict)
    #: what the table covers, as data (``2022-23`` or ``2022-04/2023-01``) and in words
    period: str = ""
    covers: str = ""
    #: the failing error checks that touch the table (words with the id behind), why it
    #: is provisional
    reasons: tuple[str, ...] = ()
    #: row -> words for a row resting on a possibly incomplete month
    notes: dict[int, str] = field(default_factory=dict)
    #: the months shown that are possibly incomplete (labels)
    incomplete: tuple[str, ...] = ()

    @property
    def value_columns(self) -> list[str]:
        """The columns holding figures (everything but the labels)."""
        return [c for c in self.frame.columns if c not in self.labels]

    def cells(self) -> dict[sdc.Cell, float | None]:
        """Every value cell's figure."""
        return {(i, c): v for c in self.value_columns
                for i, v in enumerate(self.frame.get_column(c).to_list())}

    def lines(self) -> list[sdc.Line]:
        """The additive lines: each additive column's rows with its total-row cell."""
        if self.total_row is None:
            return []
        rows = [i for i in range(self.frame.height) if i != self.total_row]
        return [sdc.Line(tuple((i, c) for i in rows), (self.total_row, c)) for c in self.additive]

    def suppressed_with(self, threshold: int = sdc.DEFAULT_THRESHOLD) -> "ReportTable":
        """This table with disclosure control applied at ``threshold``."""
        values = self.cells()
        counts = [cell for cell in values if self.kinds[cell[1]] == "count"]
        derived: dict[sdc.Cell, tuple[sdc.Cell, ...]] = {}
        for i in range(self.frame.height):
            for c, sources in self.derived.items():
                derived[(i, c)] = tuple((i, s) for s in sources)
            if self.total_row is not None:
                for c, den in self.over_total.items():
                    derived[(i, c)] = derived.get((i, c), ()) + ((self.total_row, den),)
        hidden = sdc.suppress(values, counts=counts, derived=derived, lines=self.lines(),
                              threshold=threshold)
        return replace(self, suppressed=hidden, threshold=threshold)

    def hidden_keys(self) -> set[tuple[str, str, str]]:
        """The metrics rows (metric_id, period, breakdown) this table hides."""
        return {self.keys[c] for c in self.suppressed if c in self.keys}

    def is_hidden(self, row: int, column: str) -> bool:
        """True when the cell is published as ``c``."""
        return (row, column) in self.suppressed

    def text(self, row: int, column: str) -> str:
        """The published text of one cell."""
        value = self.frame.get_column(column)[row]
        if column in self.labels:
            return "" if value is None else str(value)
        if (row, column) in self.suppressed:
            return sdc.SUPPRESSED
        return format_value(value, self.kinds[column])

    def published(self) -> pl.DataFrame:
        """The table as published: every column text, hidden cells ``c``, blanks not available;
        a ``Note`` column last when a row rests on a possibly incomplete month."""
        data = {c: [self.text(i, c) for i in range(self.frame.height)] for c in self.frame.columns}
        if self.notes:
            data[NOTE_COLUMN] = [self.notes.get(i, "") for i in range(self.frame.height)]
        return pl.DataFrame(data, schema={c: pl.Utf8 for c in data})

    @property
    def status(self) -> str:
        """``provisional`` or ``final``."""
        return "provisional" if self.provisional else "final"

    @property
    def status_note(self) -> str:
        """Why the table is provisional ("" when final)."""
        if not self.provisional:
            return ""
        why = "; ".join(self.reasons) if self.reasons else "data checks of severity error failed"
        return (f"PROVISIONAL: figures in this table may change once these records are "
                f"corrected: {why}.")

    @property
    def warning_note(self) -> str:
        """Months the table carries that are possibly incomplete ("" when none)."""
        if not self.incomplete:
            return ""
        names = ", ".join(month_name(parse_period(m)) for m in self.incomplete)
        verb = "is" if len(self.incomplete) == 1 else "are"
        return f"Note: {names} {verb} {GAP_WORDS}; the figures resting on it say so."

    @property
    def source_note(self) -> str:
        return f"Source: {self.source}."

    @property
    def suppression_note(self) -> str:
        return f"{sdc.rule_note(self.threshold)} Blank = not available."

    @property
    def note(self) -> str:
        """Status, incomplete months, source and suppression: printed under the table or chart."""
        parts = [self.status_note, self.warning_note, self.source_note, self.suppression_note]
        return " ".join(p for p in parts if p)


#: the column a published table gains when a row rests on a possibly incomplete month
NOTE_COLUMN = "Note"


def format_value(value: float | None, kind: str) -> str:
    """A figure as published: counts whole, percentages, means and rates to 1 d.p."""
    if value is None:
        return ""
    if kind == "count":
        return f"{value:.0f}"
    return f"{value:.1f}"


#: First characters that make a spreadsheet treat a CSV cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula (OWASP: prefix ')."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(table: ReportTable, path: Path) -> Path:
    """Write the published table as CSV; label text that looks like a formula is defused."""
    pub = table.published().with_columns(
        [pl.col(c).map_elements(csv_safe, return_dtype=pl.Utf8) for c in table.labels])
    path.parent.mkdir(parents=True, exist_ok=True)
    pub.write_csv(path, line_terminator="\n")
    return path


#: ``index.csv`` columns: file, title, the period covered (as data and in words), status
#: (``final`` or ``provisional``), why (the failing checks, in words with their ids), months
#: possibly incomplete, and the full note printed under the table.
INDEX_COLUMNS = ("file", "title", "period", "covers", "status", "status_reason", "warnings",
                 "note")


def write_index(tables: Iterable[ReportTable], path: Path) -> Path:
    """``index.csv``: one row per table (:data:`INDEX_COLUMNS`)."""
    rows = [{"file": f"{t.name}.csv", "title": csv_safe(t.title), "period": t.period,
             "covers": t.covers, "status": t.status,
             "status_reason": csv_safe("; ".join(t.reasons)),
             "warnings": csv_safe(t.warning_note), "note": csv_safe(t.note)}
            for t in tables]
    pl.DataFrame(rows, schema={c: pl.Utf8 for c in INDEX_COLUMNS}).write_csv(
        path, line_terminator="\n")
    return path
