"""Charts: every chart written as PNG and SVG, suppressed values drawn as gaps marked c,
accessible styling, provisional marking, byte-identical re-runs."""
from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
from tests.test_report_tables import KW, synthetic_frames

from scorecard.report import charts, palette, tables

EXPECTED = {"trend_cin_open_month_end", "trend_cpp_open_month_end", "trend_missing_episodes",
            "trend_missing_children", "trend_rhi_completed_72h_pct",
            "trend_contacts_concluded_24h_pct", "referral_sources", "cin_by_primary_need",
            "cp_by_latest_category", "benchmark_referrals_rate_per_10k",
            "benchmark_rereferrals_12m_pct", "benchmark_cin_rate_per_10k",
            "benchmark_cpp_rate_per_10k", "benchmark_cpp_second_or_subsequent_pct"}


def _draw(out: Path, provisional=frozenset()):
    f = synthetic_frames()
    this = tables.all_tables(f["metrics"], f["scorecard"], **KW, provisional_metrics=provisional)
    last = tables.all_tables(f["metrics"], f["scorecard"], period="2021-22", la_code=370,
                             la_name="Barnsley")
    return charts.all_charts(out, this, previous_tables=last, metrics=f["metrics"],
                             scorecard=f["scorecard"], catalogue=f["catalogue"],
                             period="2022-23", la_code=370, la_name="Barnsley", threshold=5,
                             provisional_metrics=provisional)


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    out = tmp_path_factory.mktemp("charts")
    return out, _draw(out, frozenset({"rhi_completed_72h_pct", "cpp_rate_per_10k"}))


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _png_text_chunks(path: Path) -> list[bytes]:
    data, pos, out = path.read_bytes(), 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind in (b"tEXt", b"iTXt", b"zTXt"):
            out.append(data[pos + 8:pos + 8 + length])
        pos += 12 + length
    return out


def test_every_chart_in_png_and_svg(drawn):
    out, files = drawn
    names = {p.stem for p in files}
    assert names == EXPECTED
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in files)
    for p in files:
        assert p.stat().st_size > 2000
        if p.suffix == ".png":
            w, h = _png_size(p)
            assert w == 1350 and h >= 450           # 9 in at 150 dpi
        else:
            assert p.read_text().lstrip().startswith("<?xml")


def test_no_dates_or_versions_in_metadata(drawn):
    out, _ = drawn
    for p in out.glob("*.svg"):
        text = p.read_text()
        assert "<dc:date>" not in text and "Matplotlib v" not in text
    for p in out.glob("*.png"):
        assert not any(b"matplotlib" in c.lower() or b"date" in c.lower()
                       for c in _png_text_chunks(p))


def test_svg_text_is_text_with_a_font_fallback(drawn):
    """SVG labels are <text> (searchable, read aloud), not glyph outlines, in DejaVu Sans with
    fallbacks of the same or narrower width; the PNG is still drawn at 150 dpi."""
    out, _ = drawn
    svg = (out / "referral_sources.svg").read_text(encoding="utf-8")
    assert "<text " in svg and "<use xlink:href=\"#DejaVuSans" not in svg
    texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)
    assert "Per cent" in texts and any(t.startswith("Source:") for t in texts)
    assert "font-family: 'DejaVu Sans', 'Verdana', 'Arial', 'Helvetica', sans-serif" in svg
    assert (out / "referral_sources.svg").stat().st_size < (out / "referral_sources.png").stat().st_size


def test_byte_identical_rerun(tmp_path):
    s = charts.Series("2022-23", (1.0, 5.0, None, 7.0), (False, True, False, False))
    written = []
    for run in ("a", "b"):
        fig = charts.bar_chart(["w", "x", "y", "z"], [s, s], title="T", kind="count", note="N")
        written.append(charts.save_chart(fig, tmp_path / run, "chart"))
    for a, b in zip(*written):
        assert a.read_bytes() == b.read_bytes(), a.name




def test_charts_drawn_by_the_helper_process_are_the_same_bytes(drawn, tmp_path):
    """save_all hands every other chart to a helper process: the same files, byte for byte, as
    drawing them all here; a helper that fails is an error."""
    out, files = drawn
    f = synthetic_frames()
    this = tables.all_tables(f["metrics"], f["scorecard"], **KW,
                             provisional_metrics=frozenset({"rhi_completed_72h_pct", "cpp_rate_per_10k"}))
    last = tables.all_tables(f["metrics"], f["scorecard"], period="2021-22", la_code=370, la_name="Barnsley")
    specs = charts.chart_specs(this, previous_tables=last, metrics=f["metrics"], scorecard=f["scorecard"],
                               catalogue=f["catalogue"], period="2022-23", la_code=370, la_name="Barnsley",
                               threshold=5, provisional_metrics=frozenset({"rhi_completed_72h_pct",
                                                                           "cpp_rate_per_10k"}))
    assert len(specs) >= charts.PARALLEL_FROM
    serial = charts.save_all(tmp_path / "one", specs, jobs=1)
    both = charts.save_all(tmp_path / "two", specs, jobs=2)
    assert [p.name for p in both] == [p.name for p in serial]
    assert all((tmp_path / "two" / p.name).read_bytes() == p.read_bytes() for p in serial)
    assert all((out / p.name).read_bytes() == p.read_bytes() for p in serial)
    bad = charts.ChartSpec(name="bad", kind="trend", title="t", unit="count", categories=("a",),
                           series=("not a series",), note="")
    # this process draws the good ones, the helper the bad one
    with pytest.raises(RuntimeError, match="drawing charts failed"):
        charts.save_all(tmp_path / "three", [specs[0], bad, specs[1], bad, specs[2], bad], jobs=2)


def test_suppressed_values_are_gaps_marked_c():
    f = synthetic_frames()
    t = tables.rhi_by_month(f["metrics"], **KW).suppressed_with(5)
    s = charts.series_from(t, "% completed within 72 hours", range(12), "2022-23")
    assert s.hidden[4] and s.values[4] is not None      # August hidden but value known
    fig = charts.trend_chart([s], ["m"] * 12, title="T", kind="percent", note="N")
    line = fig.axes[0].lines[0]
    ys = line.get_ydata()
    assert ys[4] != ys[4]                                 # NaN: a gap, not the hidden value
    assert [tx.get_text() for tx in fig.axes[0].texts].count("c") == sum(s.hidden)
    assert all((y != y) == h for y, h in zip(ys, s.hidden))  # gaps exactly where hidden


def test_bar_chart_hides_suppressed_bars_and_labels_values():
    s = charts.Series("LA", (10.0, 3.0, None), (False, True, False))
    fig = charts.bar_chart(["a", "b", "c"], [s], title="T", kind="count", note="N")
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
    fig = charts.trend_chart(s, [str(i) for i in range(12)], title="Children in need",
                             kind="count", note=t.note, provisional=True)
    texts = [x.get_text() for x in fig.texts]
    assert any(x.startswith("PROVISIONAL: Children in need") for x in texts)
    assert any("Source:" in x and "c = suppressed" in x for x in texts)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Month" and ax.get_ylabel() == "Number"
    assert ax.get_legend() is not None


def test_provisional_charts_marked(drawn, tmp_path):
    out, _ = drawn
    clean = _draw(tmp_path)
    by = {p.name: p for p in clean}
    # the provisional title changes the picture only for the affected charts
    changed = {p.stem for p in out.glob("*.svg") if p.read_bytes() != by[p.name].read_bytes()}
    assert changed == {"trend_rhi_completed_72h_pct", "benchmark_cpp_rate_per_10k"}


def test_matplotlib_not_imported_by_package_import():
    import subprocess
    import sys
    code = ("import sys, scorecard.report, scorecard.report.charts; "
            "print('matplotlib' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


def _specs(period="2022-23", validation=None):
    from scorecard.report.status import Marks
    from scorecard.validate.lineage import affects_frame

    f = synthetic_frames()
    v = f["validation"] if validation is None else validation
    marks = Marks(affects_frame(v))
    kw = dict(la_code=370, la_name="Barnsley", marks=marks)
    this = tables.all_tables(f["metrics"], f["scorecard"], period=period, **kw)
    last = tables.all_tables(f["metrics"], f["scorecard"], period="2021-22", **kw)
    return charts.chart_specs(this, previous_tables=last, metrics=f["metrics"],
                              scorecard=f["scorecard"], catalogue=f["catalogue"], period=period,
                              la_code=370, la_name="Barnsley", threshold=5,
                              provisional_metrics=frozenset(), marks=marks)


def test_every_series_in_every_chart_is_drawn_in_its_palette_colour():
    from matplotlib.colors import to_hex

    specs = _specs()
    assert {s.name for s in specs} == EXPECTED
    drawn_roles: dict[str, set[str]] = {}
    for spec in specs:
        fig = charts.draw(spec)
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


def test_roles_follow_meaning_not_position():
    by = {s.name: s for s in _specs()}
    rs = by["referral_sources"]
    assert [s.role for s in rs.series] == ["this_year", "last_year", "neighbours", "england"]
    bench = by["benchmark_rereferrals_12m_pct"]
    assert [s.role for s in bench.series] == ["this_year", "last_year", "neighbours", "england"]
    need = by["cin_by_primary_need"]
    assert [(s.label, s.role) for s in need.series] == [("2022-23", "this_year"),
                                                         ("2021-22", "last_year")]
    trend = by["trend_cin_open_month_end"]
    assert [(s.label, s.role) for s in trend.series] == [("2022-23", "this_year"),
                                                          ("2021-22", "last_year")]


def test_alt_text_on_every_chart_file(drawn):
    out, files = drawn
    for p in files:
        if p.suffix == ".svg":
            text = p.read_text()
            assert 'role="img"' in text and "<desc" in text and "<title" in text, p.name
        else:
            assert any(c.startswith(b"Description") for c in _png_text_chunks(p)), p.name


def test_a_possibly_incomplete_month_is_marked_on_its_monthly_charts(tmp_path):
    import polars as pl

    gap = pl.DataFrame([{"check_id": "volume.monthly_gap", "table": "missing_episodes",
                         "severity": "warning", "record_id": "", "period": "2022-07",
                         "message": "a month with under half the records"}],
                       schema={c: pl.Utf8 for c in ("check_id", "table", "severity",
                                                    "record_id", "period", "message")})
    specs = {s.name: s for s in _specs(validation=gap)}
    ep = specs["trend_missing_episodes"]
    assert ep.incomplete == {3: "July 2022 possibly incomplete: far below neighbouring months"}
    assert "July 2022 possibly incomplete: far below neighbouring months." in ep.alt
    assert ep.note.startswith("July 2022 possibly incomplete")
    assert not specs["trend_cin_open_month_end"].incomplete      # other records: unmarked
    fig = charts.draw(ep)
    shaded = [a for a in fig.axes[0].get_children() if a.get_gid() == "incomplete-3"]
    assert len(shaded) == 1
    assert "possibly\nincomplete" in [t.get_text() for t in fig.axes[0].texts]
    files = charts.save_all(tmp_path, [ep])
    assert 'id="incomplete-3"' in files[1].read_text()


def test_month_build_charts_name_the_span_and_stop_at_the_month():
    specs = {s.name: s for s in _specs(period="2022-10")}
    trend = specs["trend_missing_episodes"]
    assert trend.title.endswith("2021-22 and 2022-23 to October")
    this = trend.series[0]
    assert this.label == "2022-23 to October" and this.values[7:] == (None,) * 5
    assert all(v is not None for v in this.values[:7])
    # no year-to-date row in the scorecard: no benchmark chart claims a year figure
    assert not [n for n in specs if n.startswith("benchmark_")]
