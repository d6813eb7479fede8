"""The status of each published figure: final, provisional (a failing error check touches it)
or possibly incomplete (a month a volume check found far below its neighbours).

Built from the ``affects`` frame (:func:`scorecard.validate.lineage.affects_frame`: which
metrics each failing check touches, by lineage) and the validation frame. A check about
records touches a metric in every period; a check about a month touches that month and any
year or span that contains it.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from ..periods import parse_period
from .coverage import month_name, parse_span
from .wording import GAP_WORDS, check_words

__all__ = ["Flag", "Marks", "GAP_CHECK"]

#: the check whose findings are months that are possibly incomplete
GAP_CHECK = "volume.monthly_gap"


@dataclass(frozen=True, order=True)
class Flag:
    """One failing check as it bears on a figure."""

    severity: str
    check_id: str
    table: str
    period: str   # "" = every period, else the month the check is about

    @property
    def words(self) -> str:
        """The check in plain words."""
        return check_words(self.check_id, self.table)

    @property
    def cited(self) -> str:
        """The words with the id behind them in brackets (for notes in CSV and Word)."""
        return f"{self.words} [{self.check_id}]"

    @property
    def is_gap(self) -> bool:
        return self.check_id == GAP_CHECK and bool(self.period)


def _months_of(label: str) -> set[str] | None:
    """The month labels a period covers (None when it is not a period)."""
    span = parse_span(label)
    try:
        if span:
            first, last = parse_period(span[0]), parse_period(span[1])
            return {m.label for m in first.financial_year.months() + last.financial_year.months()
                    if first.start <= m.start <= last.start}
        p = parse_period(label)
    except ValueError:
        return None
    return {m.label for m in p.months()}


class Marks:
    """Failing checks by the metric they touch."""

    def __init__(self, affects: pl.DataFrame | None):
        self._flags: dict[str, list[Flag]] = defaultdict(list)
        if affects is not None and not affects.is_empty():
            for r in affects.iter_rows(named=True):
                self._flags[r["metric_id"]].append(
                    Flag(r["severity"], r["check_id"], r["table"], r["period"] or ""))
        for flags in self._flags.values():
            flags.sort()

    def flags(self, metric_ids: Iterable[str], periods: Iterable[str] | None = None,
              severity: str | None = None) -> list[Flag]:
        """Flags touching any of ``metric_ids`` in any of ``periods`` (all periods: None)."""
        wanted = None
        if periods is not None:
            wanted = set()
            for p in periods:
                wanted |= _months_of(p) or {p}
        out: set[Flag] = set()
        for m in metric_ids:
            for f in self._flags.get(m, ()):
                if severity and f.severity != severity:
                    continue
                if f.period and wanted is not None and f.period not in wanted:
                    continue
                out.add(f)
        return sorted(out, key=lambda f: (f.severity != "error", f.check_id, f.table, f.period))

    def errors(self, metric_ids: Iterable[str], periods: Iterable[str] | None = None) -> list[Flag]:
        """Failing error checks touching the figures: they make the figures provisional."""
        return self.flags(metric_ids, periods, "error")

    def gaps(self, metric_ids: Iterable[str], periods: Iterable[str] | None = None) -> list[str]:
        """The months (labels, sorted) found possibly incomplete among ``periods``."""
        return sorted({f.period for f in self.flags(metric_ids, periods, "warning") if f.is_gap})

    def gap_note(self, metric_ids: Iterable[str], period: str) -> str:
        """Words for a figure of ``period`` resting on a possibly incomplete month, or ""."""
        months = self.gaps(metric_ids, [period])
        if not months:
            return ""
        names = ", ".join(month_name(parse_period(m)) for m in months)
        if months == [period]:
            return f"{names} {GAP_WORDS}"
        return f"Includes {names}, {GAP_WORDS}"

    @property
    def metric_ids(self) -> set[str]:
        return set(self._flags)
