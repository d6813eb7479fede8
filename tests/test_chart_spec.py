"""What a chart shows, in words (report/chart_spec.py): the alt text of line, bar and
small-multiple charts, suppressed and missing values, provisional charts; published values
read from a suppressed table."""
from __future__ import annotations

from tests.test_report_tables import KW, synthetic_frames

from scorecard.report import tables
from scorecard.report.chart_spec import ChartSpec, Series, alt_text, format_chart_value, series_from


def test_a_line_chart_in_words_names_its_range_and_its_suppressed_months():
    spec = ChartSpec("t", "trend", "Children in need", "count", ("Apr", "May", "Jun"),
                     (Series("2022-23", (10.0, 3.0, 30.0), (False, True, False)),
                      Series("2021-22", (None, None, None), (False, False, False), "last_year")),
                     "Source: x.")
    text = alt_text(spec)
    assert text.startswith("Line chart: Children in need. Number by month.")
    assert ("2022-23: from 10 (Apr) to 30 (Jun), highest 30 (Jun), lowest 10 (Apr); "
            "suppressed (c) in May.") in text
    assert "2021-22: no figures shown." in text
    assert "3" not in text.split("2022-23:")[1].split(";")[0].replace("30", "")   # a hidden value is never told
    assert "Provisional" not in text and spec.alt == text


def test_a_bar_chart_in_words_lists_every_bar_with_c_and_not_available():
    spec = ChartSpec("b", "bars", "Referral sources", "percent", ("Police", "Schools", "Health"),
                     (Series("2022-23", (41.5, 2.0, None), (False, True, False)),), "N",
                     provisional=True, incomplete={1: "july 2022 possibly incomplete"})
    text = alt_text(spec)
    assert text.startswith("Bar chart: Referral sources.")
    assert "2022-23: Police 41.5%; Schools c; Health not available." in text
    assert "July 2022 possibly incomplete." in text
    assert text.endswith("Provisional: failing data checks touch these figures.")


def test_small_multiples_in_words_name_each_panel():
    s = Series("Barnsley", (1.0, 2.0), (False, False))
    spec = ChartSpec("p", "years", "Plans by length", "percent", ("2021-22", "2022-23"),
                     (s, s), "N", panels=("Under 3 months", "2 years or more"))
    assert spec.panel_series() == [("Under 3 months", (s,)), ("2 years or more", (s,))]
    text = alt_text(spec)
    assert text.startswith("Line charts, one for each of 2 groups on the same scale: Plans by length.")
    assert "Under 3 months. Barnsley: from 1.0% (2021-22) to 2.0% (2022-23)" in text
    assert "2 years or more. Barnsley:" in text


def test_series_from_a_suppressed_table_keeps_the_value_and_marks_it_hidden():
    f = synthetic_frames()
    t = tables.rhi_by_month(f["metrics"], **KW).suppressed_with(5)
    s = series_from(t, "% completed within 72 hours", range(12), "2022-23")
    assert s.role == "this_year" and len(s.values) == len(s.hidden) == 12
    assert s.hidden[4] and s.values[4] is not None
    assert [t.is_hidden(i, "% completed within 72 hours") for i in range(12)] == list(s.hidden)


def test_chart_values_are_formatted_by_unit():
    assert format_chart_value(1234.0, "count") == "1234"
    assert format_chart_value(12.345, "percent") == "12.3%"
