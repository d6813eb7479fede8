"""Working days in England: weekends and England and Wales bank holidays excluded.

Bank holidays come from the maintained ``holidays`` library (substitute days and one-off
holidays such as the 2022 State Funeral included), never from a hand-typed list. The start
day is day 0: the working days from ``start`` to ``end`` are the working days strictly after
``start`` up to and including ``end``.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

__all__ = ["bank_holidays", "is_working_day", "working_days"]


def bank_holidays(years: Iterable[int]) -> dict[date, str]:
    """England and Wales bank holidays (date -> name) in the given calendar years.

    :param years: calendar years, e.g. ``range(2021, 2024)``
    """
    import holidays  # imported here: building the calendar is the only user

    return dict(sorted(holidays.country_holidays("GB", subdiv="ENG", years=list(years)).items()))


def is_working_day(day: date, holidays_: dict[date, str] | None = None) -> bool:
    """Whether ``day`` is a weekday that is not an England and Wales bank holiday.

    :param day: the date
    :param holidays_: bank holidays to use (default: those of ``day``'s year)
    """
    hols = bank_holidays([day.year]) if holidays_ is None else holidays_
    return day.isoweekday() < 6 and day not in hols


def working_days(start: date, end: date) -> int:
    """Working days from ``start`` (day 0) to ``end``: those after ``start`` up to ``end``.

    :param start: the start date (day 0)
    :param end: the end date, on or after ``start``
    :raises ValueError: when ``end`` is before ``start``

    >>> working_days(date(2022, 12, 23), date(2022, 12, 28))  # Fri -> Wed over Christmas
    1
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    hols = bank_holidays(range(start.year, end.year + 1))
    return sum(is_working_day(start + timedelta(days=i), hols)
               for i in range(1, (end - start).days + 1))
