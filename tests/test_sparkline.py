"""Sparklines: segments split at hidden or missing points and where the series changes,
rings on possibly incomplete months, words for every point."""
from __future__ import annotations

from scorecard.report import palette, sparkline as sp


def test_sparkline_geometry():
    s = sp.sparkline([("a", 1.0, False), ("b", 3.0, False), ("c", 2.0, True),
                        ("d", None, False), ("e", 5.0, False)], unit="count", width=100, height=20)
    assert len(s["segments"]) == 2 and s["singles"] == [s["last"]]
    assert len(s["gaps"]) == 1 and "c c" in s["desc"] and "b 3" in s["desc"]
    assert s["segments"][0].startswith("4.0,16.0")         # lowest value at the bottom
    assert sp.sparkline([], unit="count")["empty"]


def test_last_year_and_this_year_are_drawn_in_their_palette_colours():
    s = sp.sparkline([("a", 1.0, False), ("b", 2.0, False), ("c", 3.0, False), ("d", 4.0, False)],
                     unit="percent", roles=["last_year", "last_year", "this_year", "this_year"],
                     incomplete=[2])
    assert [seg["colour"] for seg in s["styled"]] == [palette.SERIES["last_year"].colour,
                                                      palette.SERIES["this_year"].colour]
    assert s["styled"][0]["dash"] and not s["styled"][1]["dash"]
    assert len(s["rings"]) == 1 and "c 3.0% (possibly incomplete" in s["desc"]


def test_counts_are_formatted_without_decimals():
    assert sp.format_metric(1234.0, "count") == "1,234"
    assert sp.format_metric(20.55, "percent") == "20.6%" and sp.format_metric(None, "count") == "–"
