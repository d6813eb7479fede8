"""Drawing charts (report/chart_draw.py): suppressed values drawn as gaps marked c, hidden bars
absent, accessible styling, titles, axes and notes, every series in its palette colour."""
from __future__ import annotations

import pytest
from tests.test_charts import _specs, EXPECTED
from tests.test_report_tables import KW, synthetic_frames

from scorecard.report import chart_draw, charts, palette, tables


def test_suppressed_values_are_gaps_marked_c():
    f = synthetic_frames()
    t = tables.rhi_by_month(f["metrics"], **KW).suppressed_with(5)
    s = charts.series_from(t, "% completed within 72 hours", range(12), "2022-23")
    assert s.hidden[4] and s.values[4] is not None      # August hidden but value known
    fig = chart_draw.trend_chart([s], ["m"] * 12, title="T", kind="percent", note="N")
    line = fig.axes[0].lines[0]
    ys = line.get_ydata()
    assert ys[4] != ys[4]                                 # NaN: a gap, not the hidden value
    assert [tx.get_text() for tx in fig.axes[0].texts].count("c") == sum(s.hidden)
    assert all((y != y) == h for y, h in zip(ys, s.hidden))  # gaps exactly where hidden


def test_bar_chart_hides_suppressed_bars_and_labels_values():
    s = charts.Series("LA", (10.0, 3.0, None), (False, True, False))
    fig = chart_draw.bar_chart(["a", "b", "c"], [s], title="T", kind="count", note="N")
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert widths == [10.0]                               # only the shown bar is drawn
    texts = [t.get_text() for t in ax.texts]
    assert "10" in texts and "c" in texts and "3" not in texts


def test_accessible_styles():
    # colour-blind-safe palette and never colour alone: series differ by marker/dash/hatch
    styles = list(palette.SERIES.values())
    for attr in ("colour", "hatch", "marker"):
        assert len({getattr(s, attr) for s in styles}) == len(styles), attr
    assert len({str(s.linestyle) for s in styles}) == len(styles)
    assert {s.colour for s in styles} <= set(charts.OKABE_ITO.values())
    with pytest.raises(ValueError, match="no series"):
        palette.series_style("orange")


def test_titles_axes_and_source_notes():
    f = synthetic_frames()
    t = tables.cin_by_month(f["metrics"], **KW).suppressed_with(5)
    s = [charts.series_from(t, "2022-23", range(12), "2022-23")]
    fig = chart_draw.trend_chart(s, [str(i) for i in range(12)], title="Children in need",
                             kind="count", note=t.note, provisional=True)
    texts = [x.get_text() for x in fig.texts]
    assert any(x.startswith("PROVISIONAL: Children in need") for x in texts)
    assert any("Source:" in x and "c = suppressed" in x for x in texts)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Month" and ax.get_ylabel() == "Number"
    assert ax.get_legend() is not None


def test_every_series_in_every_chart_is_drawn_in_its_palette_colour():
    from matplotlib.colors import to_hex

    specs = _specs()
    assert {s.name for s in specs} == EXPECTED
    drawn_roles: dict[str, set[str]] = {}
    for spec in specs:
        fig = chart_draw.draw(spec)
        ax = fig.axes[0]
        artists = [a for a in ax.get_children() if (a.get_gid() or "").startswith("series-")]
        assert artists, spec.name
        roles = {a.get_gid().split("-")[1] for a in artists}
        assert roles == {s.role for s in spec.series if any(
            v is not None and not h for v, h in zip(s.values, s.hidden))}, spec.name
        for a in artists:
            role = a.get_gid().split("-")[1]
            colour = a.get_color() if hasattr(a, "get_linestyle") and not hasattr(
                a, "get_width") else a.get_facecolor()
            assert to_hex(colour) == palette.SERIES[role].colour.lower(), (spec.name, role)
            drawn_roles.setdefault(role, set()).add(to_hex(colour))
    # one colour per meaning across all the charts, and the LA this year and last year and
    # both comparators all appear
    assert all(len(c) == 1 for c in drawn_roles.values())
    assert {"this_year", "last_year", "neighbours", "england"} <= set(drawn_roles)


def test_png_text_is_drawn_without_hinting_and_the_svg_does_not_depend_on_it(tmp_path, monkeypatch):
    """Hinting is off for speed (chart_draw.RC): it changes only the PNG's pixels, never the SVG."""
    from scorecard.report import chart_files

    assert chart_draw.RC["text.hinting"] == "no_hinting"
    spec = _specs()[0]
    chart_files.save_all(tmp_path / "off", [spec], jobs=1)
    import matplotlib

    hinted = dict(chart_draw.RC, **{"text.hinting": "default"})
    monkeypatch.setattr(chart_files, "RC", hinted)
    with matplotlib.rc_context(hinted):   # as chart_files draws: inside its settings
        chart_files.save_chart(chart_draw.draw(spec), tmp_path / "on", spec.name, spec.alt)
    svg, png = f"{spec.name}.svg", f"{spec.name}.png"
    assert (tmp_path / "off" / svg).read_bytes() == (tmp_path / "on" / svg).read_bytes()
    assert (tmp_path / "off" / png).read_bytes() != (tmp_path / "on" / png).read_bytes()
