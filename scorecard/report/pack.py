"""``report_pack.docx``: one Word document a report author can paste from.

Every annual-report table and chart, in the order the partnership's 2022/23 annual report
shows them (:data:`scorecard.report.tables.TABLE_ORDER`), each chart after the table it
belongs with. Each item has its title, its status (final or provisional, and which failing
checks make it provisional, in words with their ids), any month possibly incomplete, its
source note and the suppression note. Every chart carries alt text (the picture's
description, as public sector accessibility rules ask) under a numbered figure heading. Tables are real Word
tables (a header row that repeats across pages, figures right-aligned), not pictures.

Written with python-docx; the file is byte-identical on re-run (fixed document dates, zip
entries with a fixed time stamp).
"""
from __future__ import annotations

import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from . import sdc
from .charts import ChartSpec
from .coverage import coverage
from .tables import NOTE_COLUMN, ReportTable

__all__ = ["write_pack", "start_pack", "Draft", "PACK_NAME"]

PACK_NAME = "report_pack.docx"
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _small(paragraph, size: float = 8.5, italic: bool = False, colour: str | None = None):
    from docx.shared import Pt, RGBColor

    for run in paragraph.runs:
        run.font.size = Pt(size)
        run.font.italic = italic
        if colour:
            run.font.color.rgb = RGBColor.from_string(colour.lstrip("#"))
    return paragraph


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _table(doc, t: ReportTable) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    pub = t.published()
    cols = pub.columns
    table = doc.add_table(rows=1 + pub.height, cols=len(cols))
    table.style = "Table Grid"
    # each row's cells once (``table.rows[i].cells`` walks the whole table every time)
    rows = [row.cells for row in table.rows]
    for j, c in enumerate(cols):
        cell = rows[0][j]
        cell.text = c
        run = cell.paragraphs[0].runs[0]
        run.font.bold = True
        run.font.size = Pt(9)
    _repeat_header(table.rows[0])
    values = set(t.value_columns)
    for i, row in enumerate(pub.iter_rows(), start=1):
        for j, (c, text) in enumerate(zip(cols, row)):
            cell = rows[i][j]
            cell.text = text or ""
            para = cell.paragraphs[0]
            if c in values:
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            for run in para.runs:
                run.font.size = Pt(9)
                run.font.bold = (i - 1) == t.total_row
                run.font.italic = c == NOTE_COLUMN


def _status(doc, provisional: bool, status_note: str) -> None:
    p = doc.add_paragraph()
    run = p.add_run("Status: ")
    run.font.bold = True
    if provisional:
        r = p.add_run(status_note or "Provisional.")
        r.font.bold = True
        from docx.shared import RGBColor

        r.font.color.rgb = RGBColor(0xB2, 0x18, 0x2B)
    else:
        p.add_run("Final: no failing data check touches these figures.")
    _small(p, 9)


def _picture(run, spec: ChartSpec, png: Path, number: int) -> None:
    from docx.shared import Inches

    shape = run.add_picture(str(png), width=Inches(6.3))
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", spec.alt)        # alt text
    doc_pr.set("title", spec.title)
    doc_pr.set("name", f"Figure {number}: {spec.name}")


class Draft:
    """The Word pack written but for its pictures (:func:`start_pack`): the tables, headings
    and notes do not need a chart, so they are written while the charts are drawn;
    :meth:`finish` puts each chart's picture in its place and writes the file."""

    def __init__(self, doc, places: list[tuple[object, ChartSpec, int]]):
        #: the document, and each picture's place (an empty run), chart and figure number
        self.doc, self.places = doc, places

    def finish(self, path: Path, chart_dir: Path) -> Path:
        """Add the pictures (``chart_dir/<name>.png``) and write the pack to ``path``."""
        for run, spec, number in self.places:
            _picture(run, spec, Path(chart_dir) / f"{spec.name}.png", number)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_zip(path, _entries(self.doc))
        return path


def write_pack(path: Path, tables: Sequence[ReportTable], charts: Sequence[ChartSpec], *,
               chart_dir: Path, la_name: str, period: str, created: datetime,
               errors_failed: bool) -> Path:
    """Write the Word pack to ``path`` (charts read from ``chart_dir/<name>.png``)."""
    return start_pack(tables, charts, la_name=la_name, period=period, created=created,
                      errors_failed=errors_failed).finish(path, chart_dir)


def start_pack(tables: Sequence[ReportTable], charts: Sequence[ChartSpec], *, la_name: str,
               period: str, created: datetime, errors_failed: bool) -> Draft:
    """The Word pack without its pictures (:class:`Draft`): :meth:`Draft.finish` adds them
    once the charts are drawn and writes the file, the same bytes :func:`write_pack` writes."""
    import docx
    from docx.shared import Cm, Pt

    cov = coverage(period)
    doc = docx.Document()
    section = doc.sections[0]
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin = section.bottom_margin = Cm(2)
    doc.styles["Normal"].font.size = Pt(10.5)
    props = doc.core_properties
    props.title = f"{la_name} safeguarding annual report tables and charts, {cov.title_span}"
    props.author = "scorecard"
    props.last_modified_by = "scorecard"
    props.comments = "Small numbers suppressed for publication"
    props.created = props.modified = props.last_printed = created
    props.revision = 1

    doc.add_heading(f"{la_name} safeguarding data: tables and charts for the annual report", 0)
    if cov.is_month:
        intro = (f"Figures for {cov.name}, with the year to date ({cov.span}). Months after "
                 f"{cov.name} are not part of this pack.")
    else:
        intro = f"Figures for the financial year {cov.name} ({cov.span})."
    doc.add_paragraph(intro + " Tables and charts follow the order of the partnership's "
                      "2022/23 annual report; each has its source, its status and the "
                      "suppression note.")
    doc.add_paragraph(sdc.rule_note(tables[0].threshold if tables else sdc.DEFAULT_THRESHOLD)
                      + " Blank = not available.")
    if errors_failed:
        p = doc.add_paragraph("Some data checks failed for this build. Tables and charts marked "
                              "provisional rest on records that failed a check and may change "
                              "once they are corrected; the others are final.")
        _small(p, 10, colour="#B2182B")

    places: list[tuple[object, ChartSpec, int]] = []

    def chart(spec: ChartSpec) -> None:
        number = len(places) + 1
        doc.add_heading(f"Figure {number}: {spec.title}", level=2)
        _status(doc, spec.provisional, spec.status_note)
        # the picture's place: the paragraph and run ``Document.add_picture`` would add
        places.append((doc.add_paragraph().add_run(), spec, number))
        _small(doc.add_paragraph(spec.note), italic=True)

    by_table: dict[str, list[ChartSpec]] = {}
    for spec in charts:
        by_table.setdefault(spec.table, []).append(spec)
    for n, t in enumerate(tables, start=1):
        doc.add_heading(f"Table {n}: {t.title}", level=1)
        _status(doc, t.provisional, t.status_note)
        if t.warning_note:
            _small(doc.add_paragraph(t.warning_note), 9, colour="#6B2D5C")
        _table(doc, t)
        _small(doc.add_paragraph(t.source_note), italic=True)
        _small(doc.add_paragraph(t.suppression_note), italic=True)
        for spec in by_table.get(t.name, []):
            chart(spec)
    others = [spec for spec in charts if spec.table not in {t.name for t in tables}]
    if others:
        doc.add_heading("Further charts", level=1)
    for spec in others:
        chart(spec)
    return Draft(doc, places)


class _Members:
    """Stands in for python-docx's zip writer while it serialises a document: keeps each
    member's name and bytes, in python-docx's order, instead of compressing them."""

    def __init__(self) -> None:
        self.items: list[tuple[str, bytes]] = []

    def write(self, pack_uri, blob: bytes) -> None:
        self.items.append((pack_uri.membername, blob))

    def close(self) -> None:
        pass


def _entries(doc) -> list[tuple[str, bytes]]:
    """The members of ``doc``'s .docx (name, bytes), in the order ``Document.save`` writes
    them.

    ``save`` deflates every member, the pictures too, and the pack is then written again
    with fixed times and the pictures stored (:func:`_write_zip`): so the members are taken
    from python-docx's package writer directly, without its zip file (a fifth of the pack's
    time). Should python-docx's writer not have that shape, the document is saved to memory
    and read back: the same members."""
    import io

    try:
        from docx.opc.pkgwriter import PackageWriter

        package = doc.part.package
        for part in package.parts:
            part.before_marshal()
        members = _Members()
        PackageWriter._write_content_types_stream(members, package.parts)
        PackageWriter._write_pkg_rels(members, package.rels)
        PackageWriter._write_parts(members, package.parts)
        return members.items
    except (AttributeError, TypeError):   # another python-docx: save and read back
        buffer = io.BytesIO()
        doc.save(buffer)
        with zipfile.ZipFile(buffer) as zin:
            return [(i.filename, zin.read(i.filename)) for i in zin.infolist()]


def _write_zip(path: Path, entries: list[tuple[str, bytes]]) -> None:
    """Write the .docx zip with a fixed time stamp on every entry (byte-identical re-runs)."""
    tmp = path.with_suffix(".docx.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
            # pictures are PNG, compressed already: stored as they are, not deflated again
            info.compress_type = (zipfile.ZIP_STORED if name.startswith("word/media/")
                                  and name.endswith(".png") else zipfile.ZIP_DEFLATED)
            info.external_attr = 0o644 << 16
            zout.writestr(info, data)
    tmp.replace(path)
