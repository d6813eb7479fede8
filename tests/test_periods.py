import datetime as dt

import pytest

from scorecard.periods import latest_complete, parse_period


def test_financial_year_runs_april_to_march_and_has_twelve_months():
    p = parse_period("2022-23")
    assert (p.start, p.end, p.kind) == (dt.date(2022, 4, 1), dt.date(2023, 3, 31), "year")
    assert [m.label for m in p.months()][:2] == ["2022-04", "2022-05"] and len(p.months()) == 12
    assert p.previous().label == "2021-22"


def test_month_period_and_its_financial_year():
    p = parse_period("2023-02")
    assert (p.start, p.end) == (dt.date(2023, 2, 1), dt.date(2023, 2, 28))
    assert p.financial_year.label == "2022-23" and p.previous().label == "2022-02"
    assert parse_period("1999-00").label == "1999-00"


@pytest.mark.parametrize("text", ["2022", "2022-24", "2022-13", "22-23", "", "abcd-ef"])
def test_bad_periods_are_refused_with_the_text(text):
    with pytest.raises(ValueError, match="neither a financial year"):
        parse_period(text)


def test_latest_complete_year_and_month():
    assert latest_complete(dt.date(2023, 3, 31)).label == "2022-23"
    assert latest_complete(dt.date(2023, 3, 30)).label == "2021-22"
    assert latest_complete(dt.date(2023, 3, 30), "month").label == "2023-02"
    assert latest_complete(dt.date(2023, 3, 31), "month").label == "2023-03"
