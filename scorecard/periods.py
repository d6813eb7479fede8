"""Reporting periods: financial years (``2022-23``) and calendar months (``2022-07``)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["Period", "parse_period", "financial_year_of"]

_FY = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    """A period with inclusive ``start`` and ``end`` dates."""

    start: date
    end: date
    label: str
    kind: str  # "year" | "month"

    def months(self) -> list["Period"]:
        """The calendar months in this period, in order."""
        out, d = [], self.start
        while d <= self.end:
            out.append(month(d.year, d.month))
            d = (date(d.year + (d.month == 12), d.month % 12 + 1, 1))
        return out

    def previous(self) -> "Period":
        """The same period one year earlier (previous financial year or same month last year)."""
        if self.kind == "year":
            return financial_year(self.start.year - 1)
        return month(self.start.year - 1, self.start.month)

    @property
    def financial_year(self) -> "Period":
        """The financial year this period falls in."""
        return financial_year_of(self.start)


def financial_year(start_year: int) -> Period:
    return Period(date(start_year, 4, 1), date(start_year + 1, 3, 31),
                  f"{start_year}-{(start_year + 1) % 100:02d}", "year")


def month(year: int, m: int) -> Period:
    nxt = date(year + (m == 12), m % 12 + 1, 1)
    return Period(date(year, m, 1), nxt - timedelta(days=1), f"{year}-{m:02d}", "month")


def financial_year_of(d: date) -> Period:
    return financial_year(d.year if d.month >= 4 else d.year - 1)


def parse_period(text: str) -> Period:
    """Parse ``2022-23`` (financial year) or ``2022-07`` (month).

    Text that reads both ways (``2010-11``, ``2011-12``) is the financial year.

    >>> parse_period("2022-23").end
    datetime.date(2023, 3, 31)
    >>> parse_period("2022-07").label
    '2022-07'
    """
    m = _FY.match(text.strip()) if isinstance(text, str) else None
    if not m:
        raise ValueError(f"period {text!r} is neither a financial year (2022-23) nor a month (2022-07)")
    y, tail = int(m.group(1)), int(m.group(2))
    if tail == (y + 1) % 100:
        return financial_year(y)
    if 1 <= tail <= 12:
        return month(y, tail)
    raise ValueError(f"period {text!r} is neither a financial year (2022-23) nor a month (2022-07)")


def latest_complete(last_data_date: date, kind: str = "year") -> Period:
    """The latest complete financial year (or month) ending on or before ``last_data_date``."""
    if kind == "month":
        first = date(last_data_date.year, last_data_date.month, 1)
        p = month(first.year, first.month)
        return p if p.end <= last_data_date else month((first - timedelta(days=1)).year,
                                                        (first - timedelta(days=1)).month)
    fy = financial_year_of(last_data_date)
    return fy if fy.end <= last_data_date else financial_year(fy.start.year - 1)
