"""Working days: England and Wales bank holidays (from the ``holidays`` library) checked
against the dates published on gov.uk/bank-holidays, and the start-day-is-day-0 count."""
from __future__ import annotations

from datetime import date

import pytest

from scorecard.metrics.workdays import bank_holidays, is_working_day, working_days

D = date

#: gov.uk/bank-holidays, England and Wales, the weekday holidays of each year (substitute
#: days included; 2022 had the Platinum Jubilee and the State Funeral, 2023 the Coronation).
PUBLISHED = {
    2022: {D(2022, 1, 3), D(2022, 4, 15), D(2022, 4, 18), D(2022, 5, 2), D(2022, 6, 2),
           D(2022, 6, 3), D(2022, 8, 29), D(2022, 9, 19), D(2022, 12, 26), D(2022, 12, 27)},
    2023: {D(2023, 1, 2), D(2023, 4, 7), D(2023, 4, 10), D(2023, 5, 1), D(2023, 5, 8),
           D(2023, 5, 29), D(2023, 8, 28), D(2023, 12, 25), D(2023, 12, 26)},
}


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_weekday_bank_holidays_match_the_published_list(year):
    weekday_holidays = {d for d in bank_holidays([year]) if d.isoweekday() < 6}
    assert weekday_holidays == PUBLISHED[year]


def test_scottish_only_holidays_are_working_days_in_england():
    assert is_working_day(D(2022, 8, 1))     # Scotland's summer bank holiday
    assert is_working_day(D(2022, 11, 30))   # St Andrew's Day
    assert is_working_day(D(2023, 1, 3))     # Scotland's 2 January substitute
    assert not is_working_day(D(2022, 9, 19))
    assert not is_working_day(D(2022, 12, 24))  # a Saturday


@pytest.mark.parametrize("start, end, expected", [
    (D(2022, 6, 1), D(2022, 6, 1), 0),        # same day: day 0
    (D(2022, 6, 7), D(2022, 6, 8), 1),
    (D(2022, 6, 1), D(2022, 6, 2), 0),        # 2 June 2022: the moved Spring bank holiday
    (D(2022, 12, 23), D(2022, 12, 28), 1),    # Fri -> Wed: 24-27 are weekend and holidays
    (D(2022, 12, 23), D(2023, 1, 3), 4),      # 28, 29, 30 Dec and 3 Jan (2 Jan substitute)
    (D(2022, 12, 23), D(2023, 3, 1), 45),     # the 45th working day
    (D(2023, 4, 6), D(2023, 4, 11), 1),       # Easter 2023: only Tue 11 April counts
    (D(2023, 4, 6), D(2023, 4, 10), 0),       # Maundy Thursday to Easter Monday
    (D(2022, 6, 4), D(2022, 6, 6), 1),        # a Saturday start: Monday is day 1
    (D(2022, 5, 27), D(2022, 6, 6), 4),       # 30, 31 May, 1 Jun, (2, 3 Jun holidays), 6 Jun
])
def test_working_days(start, end, expected):
    assert working_days(start, end) == expected


def test_end_before_start_is_refused():
    with pytest.raises(ValueError, match="before start"):
        working_days(D(2022, 6, 2), D(2022, 6, 1))
