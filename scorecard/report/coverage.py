"""What period each output really covers, and how it is named.

A build is for a financial year (``2022-23``) or a month (``2023-01``). A year build's
annual-report tables cover the year; a month build's cover the months of its financial year up
to and including that month (April 2022 to January 2023), never later months, and name that
span. A year figure in a month build is the year to date when the metrics frame carries one,
under a period label giving its span: ``2022-04/2023-01`` (``..`` or `` to `` between the
months is read too); otherwise it is left blank (not available), never filled with the figure
of an unfinished year.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from ..periods import Period, parse_period

__all__ = ["Coverage", "ColumnPeriod", "coverage", "span_label", "parse_span"]

_SPAN = re.compile(r"^\s*(\d{4}-\d{2})\s*(?:/|\.\.|to)\s*(\d{4}-\d{2})\s*$")


def month_name(p: Period) -> str:
    """``January 2023``."""
    return p.start.strftime("%B %Y")


def span_label(first: Period, last: Period) -> str:
    """The period label of a span of months: ``2022-04/2023-01``."""
    return f"{first.label}/{last.label}"


def parse_span(label: str) -> tuple[str, str] | None:
    """(first month, last month) of a span label, or None when ``label`` is not a span."""
    m = _SPAN.match(label or "")
    return (m.group(1), m.group(2)) if m else None


@dataclass(frozen=True)
class ColumnPeriod:
    """One column of a two-year table: the metrics period it reads (None: not available in
    this build) and its heading."""

    label: str | None
    heading: str


@dataclass(frozen=True)
class Coverage:
    """The build's period and everything the outputs say about it."""

    period: Period

    @property
    def is_month(self) -> bool:
        return self.period.kind == "month"

    @property
    def label(self) -> str:
        """The build's period label as given (``2022-23`` or ``2023-01``)."""
        return self.period.label

    @property
    def year(self) -> Period:
        """The financial year the build falls in."""
        return self.period.financial_year

    @cached_property
    def months(self) -> list[Period]:
        """The months covered: the whole year, or April up to the build's month."""
        months = self.year.months()
        if self.is_month:
            months = [m for m in months if m.start <= self.period.start]
        return months

    @property
    def name(self) -> str:
        """``2022-23`` or ``January 2023``."""
        return month_name(self.period) if self.is_month else self.period.label

    @property
    def span(self) -> str:
        """``April 2022 to January 2023`` (``April 2022 to March 2023`` for a year)."""
        return f"{month_name(self.months[0])} to {month_name(self.months[-1])}"

    @property
    def year_heading(self) -> str:
        """The heading of this year's column: ``2022-23`` or ``2022-23 to January``."""
        if not self.is_month:
            return self.year.label
        return f"{self.year.label} to {self.period.start.strftime('%B')}"

    @property
    def span_label(self) -> str:
        """The period of the outputs as data: ``2022-23`` or ``2022-04/2023-01``."""
        return self.year.label if not self.is_month else span_label(self.months[0], self.months[-1])

    @property
    def previous(self) -> "Coverage":
        """The same span a year earlier."""
        return Coverage(self.period.previous())

    @property
    def title_span(self) -> str:
        """What a title says the table covers: ``2022-23`` or ``April 2022 to January 2023``."""
        return self.year.label if not self.is_month else self.span

    def covers(self, label: str) -> bool:
        """Whether a month label is one of the covered months."""
        return label in {m.label for m in self.months}

    def year_column(self, periods: set[str]) -> ColumnPeriod:
        """This year's figure for a yearly measure: the year, or the year to date."""
        if not self.is_month:
            return ColumnPeriod(self.year.label, self.year.label)
        return ColumnPeriod(self._span_in(periods), self.span)

    def previous_column(self, periods: set[str]) -> ColumnPeriod:
        """Last year's figure: the previous year, or the same span a year earlier when the
        metrics carry it (else the whole previous year, saying so)."""
        prev = self.previous
        if not self.is_month:
            return ColumnPeriod(prev.year.label, prev.year.label)
        found = prev._span_in(periods)
        if found is not None:
            return ColumnPeriod(found, prev.span)
        return ColumnPeriod(prev.year.label, f"{prev.year.label} (whole year)")

    def _span_in(self, periods: set[str]) -> str | None:
        """The label in ``periods`` of this coverage's year to date (None when absent)."""
        want = (self.months[0].label, self.months[-1].label)
        for p in sorted(periods):
            if parse_span(p) == want:
                return p
        return None


def coverage(period: str) -> Coverage:
    """The coverage of a build period (``ValueError`` for a label that is not a period)."""
    return Coverage(parse_period(period))
