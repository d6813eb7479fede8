"""Writing charts (report/chart_files.py): every chart written as PNG and SVG with alt text, no
dates or versions, SVG text as text, byte-identical re-runs, the helper process's charts the
same bytes, matplotlib imported only when drawing."""
from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
from tests.test_charts import EXPECTED, _draw
from tests.test_report_tables import KW, synthetic_frames

from scorecard.report import chart_draw, chart_files, charts, tables


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
        fig = chart_draw.bar_chart(["w", "x", "y", "z"], [s, s], title="T", kind="count", note="N")
        written.append(chart_files.save_chart(fig, tmp_path / run, "chart"))
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
    assert len(specs) >= chart_files.PARALLEL_FROM
    serial = chart_files.save_all(tmp_path / "one", specs, jobs=1)
    both = chart_files.save_all(tmp_path / "two", specs, jobs=2)
    assert [p.name for p in both] == [p.name for p in serial]
    assert all((tmp_path / "two" / p.name).read_bytes() == p.read_bytes() for p in serial)
    assert all((out / p.name).read_bytes() == p.read_bytes() for p in serial)
    bad = charts.ChartSpec(name="bad", kind="trend", title="t", unit="count", categories=("a",),
                           series=("not a series",), note="")
    # this process draws the good ones, the helper the bad one
    with pytest.raises(RuntimeError, match="drawing charts failed"):
        chart_files.save_all(tmp_path / "three", [specs[0], bad, specs[1], bad, specs[2], bad], jobs=2)


def test_alt_text_on_every_chart_file(drawn):
    out, files = drawn
    for p in files:
        if p.suffix == ".svg":
            text = p.read_text()
            assert 'role="img"' in text and "<desc" in text and "<title" in text, p.name
        else:
            assert any(c.startswith(b"Description") for c in _png_text_chunks(p)), p.name


def test_matplotlib_not_imported_by_package_import():
    import subprocess
    import sys
    code = ("import sys, scorecard.report, scorecard.report.charts; "
            "print('matplotlib' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


def test_each_process_draws_the_charts_it_claims_until_it_meets_the_other(tmp_path):
    """The helper claims from the last chart back, this process from the first on; each stops at
    the first chart the other claimed, so every chart is drawn exactly once."""
    from tests.test_charts import _specs

    specs = _specs()[:6]
    claims = tmp_path / "claims"
    claims.mkdir()
    for i in (4, 5):                        # the helper's so far
        (claims / str(i)).touch()
    assert chart_files._draw_claimed(tmp_path / "out", specs, str(claims), range(6)) == 4
    assert sorted(p.name for p in claims.iterdir()) == ["0", "1", "2", "3", "4", "5"]
    assert sorted(p.stem for p in (tmp_path / "out").glob("*.png")) == sorted(s.name for s in specs[:4])
    # and from the other end: nothing left to claim, nothing drawn
    assert chart_files._draw_claimed(tmp_path / "out2", specs, str(claims), range(5, -1, -1)) == 0
    assert not (tmp_path / "out2").exists()


def test_charts_started_early_are_the_same_bytes_and_a_cancelled_drawing_stores_nothing(drawn, tmp_path):
    import duckdb

    from scorecard.report import chart_cache
    from tests.test_charts import _specs

    specs = _specs()
    con = duckdb.connect(":memory:")
    con.execute("attach ':memory:' as meta")
    drawing = chart_files.start(tmp_path / "a", specs, jobs=2, cache=chart_cache.ChartCache(con, 1))
    claims = drawing._claims
    assert drawing.helper is not None and Path(claims).is_dir()
    files = drawing.finish()
    drawing.cancel()                                     # after finish: nothing to stop
    assert not Path(claims).exists()                     # the claims are cleaned up
    assert 1 <= drawing.drawn_here <= len(specs)
    assert [p.name for p in files] == [f"{s.name}.{e}" for s in specs for e in ("png", "svg")]
    serial = chart_files.save_all(tmp_path / "b", specs, jobs=1)
    assert all((tmp_path / "a" / p.name).read_bytes() == p.read_bytes() for p in serial)
    assert con.execute("select count(*) from meta.chart_cache").fetchone()[0] == len(specs)
    # a drawing cancelled before finish stops its helper and stores nothing
    cache = chart_cache.ChartCache(con, 2)
    drawing = chart_files.start(tmp_path / "c", _specs(period="2022-10"), jobs=2, cache=cache)
    drawing.cancel()
    assert drawing.helper.poll() is not None and cache.drawn == 0


def _matplotlib_png(fig, path: Path) -> Path:
    """``fig`` as matplotlib's own PNG writer saves it (RGBA), at the charts' settings."""
    import matplotlib

    with matplotlib.rc_context(chart_draw.RC):
        fig.savefig(path, dpi=150, metadata={"Software": None})
    return path


def test_png_is_rgb_with_matplotlibs_pixels(tmp_path):
    """An opaque chart is written as RGB: the same pixels, size and resolution as
    matplotlib's own RGBA PNG of it (the alpha channel it drops is 255 everywhere)."""
    from PIL import Image, ImageChops

    s = charts.Series("2022-23", (1.0, 5.0, None, 7.0), (False, True, False, False))
    fig = chart_draw.bar_chart(["w", "x", "y", "z"], [s], title="T", kind="count", note="N")
    ours = Image.open(chart_files.save_chart(fig, tmp_path, "chart", "Bar chart: T.")[0])
    theirs = Image.open(_matplotlib_png(fig, tmp_path / "theirs.png"))
    assert ours.mode == "RGB" and theirs.mode == "RGBA"
    assert theirs.getextrema()[3] == (255, 255)
    assert ours.size == theirs.size and ours.info["dpi"] == theirs.info["dpi"]
    assert ours.info["Description"] == "Bar chart: T."
    assert ImageChops.difference(ours, theirs.convert("RGB")).getbbox() is None


def test_png_with_transparent_pixels_keeps_its_alpha(tmp_path):
    """A figure whose background is not opaque is written as RGBA, alpha included."""
    from PIL import Image, ImageChops

    s = charts.Series("2022-23", (1.0, 5.0), (False, False))
    fig = chart_draw.bar_chart(["x", "y"], [s], title="T", kind="count", note="N")
    fig.patch.set_alpha(0.4)
    ours = Image.open(chart_files.save_chart(fig, tmp_path, "chart")[0])
    theirs = Image.open(_matplotlib_png(fig, tmp_path / "theirs.png"))
    assert ours.mode == "RGBA" and theirs.getextrema()[3][0] < 255
    assert ImageChops.difference(ours, theirs).getbbox() is None


def test_a_users_tight_bbox_setting_changes_no_chart(tmp_path):
    """A matplotlibrc asking for savefig.bbox "tight" neither breaks the PNG nor crops the
    charts: they are laid out in inches and saved as laid out."""
    import matplotlib
    from PIL import Image

    s = charts.Series("2022-23", (1.0, 5.0), (False, False))
    plain = chart_files.save_chart(chart_draw.bar_chart(["x", "y"], [s], title="T", kind="count", note="N"),
                                   tmp_path / "plain", "chart")
    with matplotlib.rc_context({"savefig.bbox": "tight"}):
        tight = chart_files.save_chart(chart_draw.bar_chart(["x", "y"], [s], title="T", kind="count", note="N"),
                                       tmp_path / "tight", "chart")
    assert Image.open(tight[0]).size == Image.open(plain[0]).size == (1350, Image.open(plain[0]).size[1])
    assert [p.read_bytes() for p in tight] == [p.read_bytes() for p in plain]


def test_a_kept_chart_helper_draws_the_next_build_s_charts_to_the_same_bytes(tmp_path):
    from scorecard.processes import keep_helpers
    from tests.test_charts import _specs

    specs = _specs()
    serial = chart_files.save_all(tmp_path / "serial", specs, jobs=1)
    with keep_helpers():
        first = chart_files.start(tmp_path / "first", _specs(period="2022-10"), jobs=2)
        first.finish()
        first.cancel()                                   # after finish: the helper is kept, not stopped
        assert first.helper.poll() is None
        second = chart_files.start(tmp_path / "second", specs, jobs=2)
        assert second.helper is first.helper             # the same process, matplotlib imported
        files = second.finish()
        assert second.drawn_here < len(specs)            # the kept helper drew some of them
    assert first.helper.proc.wait(timeout=10) is not None
    assert [p.name for p in files] == [p.name for p in serial]
    assert all((tmp_path / "second" / p.name).read_bytes() == p.read_bytes() for p in serial)


def test_a_kept_chart_helper_writes_a_relative_output_folder_where_the_build_means_it(tmp_path, monkeypatch):
    """A helper kept from an earlier build started in that build's working directory."""
    from scorecard.processes import keep_helpers
    from tests.test_charts import _specs

    specs = _specs()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with keep_helpers():
        monkeypatch.chdir(tmp_path / "a")
        chart_files.start(Path("charts"), _specs(period="2022-10"), jobs=2).finish()
        monkeypatch.chdir(tmp_path / "b")
        second = chart_files.start(Path("charts"), specs, jobs=2)
        second.finish()
        assert second.drawn_here < len(specs)
    assert sorted(p.name for p in (tmp_path / "b" / "charts").iterdir()) == sorted(
        f"{s.name}.{e}" for s in specs for e in ("png", "svg"))


def test_a_build_of_an_earlier_version_still_gets_its_charts_drawn(tmp_path):
    """Such a build started the helper with its hand-over file as an argument and waited for it
    to exit (with this process's stdin): the helper draws that drawing and exits."""
    import pickle
    import subprocess

    from scorecard.processes import module_command
    from tests.test_charts import _specs

    specs = _specs()[:3]
    claims = tmp_path / "claims"
    claims.mkdir()
    with (claims / "handover.pickle").open("wb") as f:
        pickle.dump((str(tmp_path / "out"), specs, str(claims)), f)
    command, env = module_command("scorecard.report.chart_files")
    read_end, write_end = __import__("os").pipe()        # a stdin that never ends
    try:
        done = subprocess.run([*command, str(claims / "handover.pickle")], env=env, stdin=read_end,
                              capture_output=True, timeout=120)
    finally:
        __import__("os").close(write_end)
        __import__("os").close(read_end)
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{s.name}.{e}" for s in specs for e in ("png", "svg"))
