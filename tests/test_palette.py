"""The one palette: every series has its own colour, hatch, line style and marker, and the
CSS the page uses is generated from it."""
from __future__ import annotations

import re

import pytest

from scorecard.report import palette


def test_the_five_series_of_the_issue_each_have_one_distinct_style():
    assert list(palette.SERIES) == ["this_year", "last_year", "neighbours", "england", "region"]
    styles = list(palette.SERIES.values())
    for attr in ("colour", "hatch", "marker", "meaning"):
        assert len({getattr(s, attr) for s in styles}) == len(styles), attr
    assert len({str(s.linestyle) for s in styles}) == len(styles)
    # colour-blind safe: every series colour is an Okabe-Ito colour (or its grey)
    assert {s.colour for s in styles} <= set(palette.OKABE_ITO.values())
    # statuses never reuse a series colour for another meaning
    assert not {palette.STATUS["incomplete"], palette.STATUS["provisional"]} & {
        s.colour for s in styles}


def test_unknown_series_is_an_error_not_a_new_colour():
    assert palette.series_style("england").colour == palette.OKABE_ITO["grey"]
    with pytest.raises(ValueError, match="no series 'lastyear'"):
        palette.series_style("lastyear")


def test_css_variables_carry_every_series_and_status():
    css = palette.css_variables()
    for key, style in palette.SERIES.items():
        assert f"--{key}: {style.colour};" in css
    for key, colour in palette.STATUS.items():
        assert f"--{key}: {colour};" in css
    assert all(re.fullmatch(r"#[0-9A-Fa-f]{6}", c) for c in re.findall(r": (#\w+);", css))
