"""What period each output covers: a year, or April up to a month, named as such."""
from __future__ import annotations

import pytest

from scorecard.report.coverage import coverage, parse_span, span_label


def test_a_year_build_covers_its_twelve_months():
    c = coverage("2022-23")
    assert not c.is_month and len(c.months) == 12
    assert (c.name, c.span, c.year_heading, c.title_span, c.span_label) == (
        "2022-23", "April 2022 to March 2023", "2022-23", "2022-23", "2022-23")
    assert c.previous.name == "2021-22"
    assert c.year_column(set()).label == "2022-23"
    assert c.previous_column(set()).heading == "2021-22"


def test_a_month_build_covers_april_to_that_month_and_says_so():
    c = coverage("2023-01")
    assert c.is_month and [m.label for m in c.months][0] == "2022-04"
    assert c.months[-1].label == "2023-01" and len(c.months) == 10
    assert c.name == "January 2023" and c.span == "April 2022 to January 2023"
    assert c.year_heading == "2022-23 to January" and c.span_label == "2022-04/2023-01"
    assert c.covers("2022-12") and not c.covers("2023-02")
    assert c.previous.name == "January 2022"
    # April itself: a span of one month
    assert coverage("2022-04").span == "April 2022 to April 2022"


@pytest.mark.parametrize("label", ["2022-04/2023-01", "2022-04..2023-01", "2022-04 to 2023-01"])
def test_year_to_date_is_read_under_any_span_spelling(label):
    c = coverage("2023-01")
    col = c.year_column({"2022-23", label, "2023-01"})
    assert (col.label, col.heading) == (label, "April 2022 to January 2023")


def test_month_build_never_reads_the_whole_year_as_this_year():
    c = coverage("2023-01")
    assert c.year_column({"2022-23", "2023-01"}).label is None      # not available
    prev = c.previous_column({"2021-22"})
    assert (prev.label, prev.heading) == ("2021-22", "2021-22 (whole year)")
    prev = c.previous_column({"2021-22", "2021-04/2022-01"})
    assert (prev.label, prev.heading) == ("2021-04/2022-01", "April 2021 to January 2022")


def test_span_labels_round_trip_and_reject_other_text():
    c = coverage("2022-09")
    assert parse_span(span_label(c.months[0], c.months[-1])) == ("2022-04", "2022-09")
    assert parse_span("2022-23") is None and parse_span("") is None
    with pytest.raises(ValueError):
        coverage("2022-13")
