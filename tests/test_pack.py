"""The Word report pack: opens, holds every table and chart in the annual report's order,
with status, source and suppression notes, alt text on every chart; byte-identical re-runs."""
from __future__ import annotations

import zipfile

import docx
import polars as pl
import pytest

from scorecard.report import render_all
from tests.test_report_tables import LA, synthetic_frames


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("pack")
    f = synthetic_frames()
    files = render_all(out, period="2022-23", la_code=LA, la_name="Barnsley", errors_failed=True,
                       **f)
    return out, files


def _headings(d, level):
    return [p.text for p in d.paragraphs if p.style.name == f"Heading {level}"]


def test_pack_opens_with_every_table_and_chart_in_report_order(built):
    out, files = built
    path = out / "report_pack.docx"
    assert path in files
    d = docx.Document(str(path))
    index = pl.read_csv(out / "tables" / "index.csv")
    tables = _headings(d, 1)
    assert [t.split(": ", 1)[1] for t in tables] == index["title"].to_list()
    assert tables[0].startswith("Table 1: Contacts concluded within 24 hours")
    assert len(d.tables) == index.height
    charts = sorted(p.stem for p in (out / "charts").glob("*.png"))
    assert len(d.inline_shapes) == len(charts) == len(_headings(d, 2))
    names = sorted(s._inline.docPr.get("name").split(": ", 1)[1] for s in d.inline_shapes)
    assert names == charts


def test_every_chart_has_alt_text_describing_its_figures(built):
    out, _ = built
    d = docx.Document(str(out / "report_pack.docx"))
    for shape in d.inline_shapes:
        alt = shape._inline.docPr.get("descr")
        assert alt and len(alt) > 60, shape._inline.docPr.get("name")
        assert alt.startswith(("Line chart: ", "Bar chart: "))
        assert shape._inline.docPr.get("title")
    rhi = next(s for s in d.inline_shapes if "trend_rhi" in s._inline.docPr.get("name"))
    alt = rhi._inline.docPr.get("descr")
    assert "2022-23:" in alt and "2021-22:" in alt and "suppressed (c) in Jul, Aug" in alt


def test_each_table_has_status_source_and_suppression_notes(built):
    out, _ = built
    d = docx.Document(str(out / "report_pack.docx"))
    text = [p.text for p in d.paragraphs]
    statuses = [t for t in text if t.startswith("Status: ")]
    assert len(statuses) == len(d.tables) + len(d.inline_shapes)
    assert any("PROVISIONAL" in s and "[rhi_completed_before_return]" in s for s in statuses)
    assert sum(t.startswith("Status: Final") for t in statuses) >= 5
    assert sum(t.startswith("Source: ") for t in text) >= len(d.tables)
    assert sum(t.startswith("c = suppressed") for t in text) >= len(d.tables)
    # the published text, c included, is what the Word table shows
    rhi = d.tables[-1]
    published = pl.read_csv(out / "tables" / "rhi_by_month.csv", infer_schema=False)
    assert [c.text for c in rhi.rows[0].cells] == published.columns
    assert [c.text for c in rhi.rows[5].cells][1:] == ["c", "c", "c"]   # August 2022
    # the header row repeats on every page
    assert rhi.rows[0]._tr.trPr.xml.count("tblHeader") == 1


def test_pack_is_byte_identical_and_dated_by_the_period(built, tmp_path):
    out, _ = built
    f = synthetic_frames()
    render_all(tmp_path, period="2022-23", la_code=LA, la_name="Barnsley", errors_failed=True, **f)
    assert (tmp_path / "report_pack.docx").read_bytes() == (out / "report_pack.docx").read_bytes()
    with zipfile.ZipFile(out / "report_pack.docx") as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    props = docx.Document(str(out / "report_pack.docx")).core_properties
    assert props.created.date().isoformat() == "2023-03-31" and props.author == "scorecard"


def test_month_build_pack_names_its_span(tmp_path):
    f = synthetic_frames()
    render_all(tmp_path, period="2023-01", la_code=LA, la_name="Barnsley", errors_failed=False,
               **f)
    d = docx.Document(str(tmp_path / "report_pack.docx"))
    assert "April 2022 to January 2023" in d.paragraphs[1].text
    assert all("2022-23," not in h or "to January" in h for h in _headings(d, 1))
    assert any(h.endswith("April 2022 to January 2023") for h in _headings(d, 1))


def test_charts_added_by_other_work_are_drawn_and_packed(tmp_path):
    from scorecard.report import html
    from scorecard.report.charts import ChartSpec, Series

    f = synthetic_frames()
    trend = ChartSpec("trend5_rereferrals_12m_pct", "trend", "Re-referrals, five years", "percent",
                      ("2018-19", "2019-20", "2020-21", "2021-22", "2022-23"),
                      (Series("Barnsley", (20.0, 21.0, 19.0, 19.9, 20.6), (False,) * 5, "this_year"),
                       Series("England", (22.6, 22.7, 22.7, 21.5, 22.4), (False,) * 5, "england")),
                      "Source: test.")
    section = html.PageSection("trends", "Trends", "_quality.html.j2", {"checks": []},
                               after="measures")
    files = render_all(tmp_path, period="2022-23", la_code=LA, la_name="Barnsley",
                       errors_failed=False, charts=[trend], sections=[section], **f)
    assert tmp_path / "charts" / "trend5_rereferrals_12m_pct.svg" in files
    d = docx.Document(str(tmp_path / "report_pack.docx"))
    assert "Further charts" in _headings(d, 1)
    last = d.inline_shapes[len(d.inline_shapes) - 1]._inline.docPr
    assert last.get("title") == "Re-referrals, five years" and "England: from 22.6%" in last.get("descr")
    page = (tmp_path / "scorecard.html").read_text()
    assert page.index('data-section="trends"') > page.index('data-section="measures"')


def test_pack_members_are_what_python_docx_saves(tmp_path, monkeypatch):
    """The members taken from python-docx's package writer are the names, order and bytes
    ``Document.save`` writes; with a writer of another shape the pack falls back to saving
    and reading back, with the same result."""
    import io

    from PIL import Image

    from scorecard.report import pack

    png = tmp_path / "p.png"
    Image.new("RGB", (30, 20), "white").save(png)
    d = docx.Document()
    d.add_heading("Title", 1)
    d.add_paragraph("text")
    d.add_picture(str(png))
    d.add_picture(str(png))   # the same picture twice: one media member
    buffer = io.BytesIO()
    d.save(buffer)
    with zipfile.ZipFile(buffer) as z:
        saved = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    assert [n for n, _ in saved if n.startswith("word/media/")] == ["word/media/image1.png"]
    assert pack._entries(d) == saved
    # a python-docx whose package writer asks for what the stand-in lacks
    monkeypatch.delattr(pack._Members, "write")
    assert pack._entries(d) == saved


def test_each_picture_is_its_figure_after_its_heading_and_status(built):
    """The pictures, added once the charts are drawn, sit each in its own place: after its
    figure heading and status, before its note, numbered as the heading is, and each is the
    PNG drawn for that chart."""
    out, _ = built
    d = docx.Document(str(out / "report_pack.docx"))
    paragraphs = d.paragraphs
    pictures = [i for i, p in enumerate(paragraphs) if p._p.xpath(".//pic:pic")]
    assert len(pictures) == len(d.inline_shapes) > 5
    for i in pictures:
        heading, status = paragraphs[i - 2], paragraphs[i - 1]
        assert heading.style.name == "Heading 2" and status.text.startswith("Status: ")
        name = paragraphs[i]._p.xpath(".//wp:docPr")[0].get("name")   # Figure n: chart
        number, chart = name.removeprefix("Figure ").split(": ", 1)
        assert heading.text.startswith(f"Figure {number}: ")
        blip = paragraphs[i]._p.xpath(".//a:blip")[0]
        rid = blip.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed")
        assert d.part.related_parts[rid].blob == (out / "charts" / f"{chart}.png").read_bytes()
        assert paragraphs[i + 1].runs[0].font.italic   # the chart's note
