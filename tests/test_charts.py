"""Charts: every chart written as PNG and SVG, suppressed values drawn as gaps marked c,
accessible styling, provisional marking, byte-identical re-runs."""
from __future__ import annotations

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


def test_byte_identical_rerun(tmp_path):
    s = charts.Series("2022-23", (1.0, 5.0, None, 7.0), (False, True, False, False))
    written = []
    for run in ("a", "b"):
        fig = charts.bar_chart(["w", "x", "y", "z"], [s, s], title="T", kind="count", note="N")
        written.append(charts.save_chart(fig, tmp_path / run, "chart"))
    for a, b in zip(*written):
        assert a.read_bytes() == b.read_bytes(), a.name




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
