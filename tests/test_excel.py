"""Excel workbook: read back with openpyxl - sheets, cells, types, suppression, escaping."""
from __future__ import annotations

from datetime import datetime

import openpyxl
import polars as pl
import pytest

from scorecard.report import excel, tables
from tests.test_report_tables import KW, _row, synthetic_frames

FORMULA = '=HYPERLINK("http://example.invalid","x")'


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    f = synthetic_frames()
    extra = pl.DataFrame([_row("cin_by_primary_need", "2022-23", 12, FORMULA)],
                         schema=f["metrics"].schema)
    ts = tables.all_tables(pl.concat([f["metrics"], extra]), f["scorecard"], **KW,
                           provisional_metrics=frozenset({"rhi_accepted"}))
    path = tmp_path_factory.mktemp("xl") / "t.xlsx"
    excel.write_workbook(path, ts, title="Barnsley tables", created=datetime(2023, 3, 31))
    return path, ts, openpyxl.load_workbook(path)


def test_contents_then_one_sheet_per_table(book):
    _, ts, wb = book
    assert wb.sheetnames == ["Contents"] + [excel.SHEET_NAMES[t.name] for t in ts]
    c = wb["Contents"]
    assert c["A1"].value == "Barnsley tables"
    assert [c.cell(row=5 + i, column=1).value for i in range(len(ts))] == wb.sheetnames[1:]
    assert c.cell(row=5, column=1).hyperlink.location == "'Contacts within 24h'!A1"
    assert [c.cell(row=4, column=j).value for j in range(1, 7)] == [
        "Sheet", "Table", "Covers", "Status", "Why provisional", "Possibly incomplete months"]
    statuses = {c.cell(row=5 + i, column=1).value: c.cell(row=5 + i, column=4).value
                for i in range(len(ts))}
    assert statuses["RHIs by month"] == "Provisional" and statuses["CIN by month"] == "Final"
    covers = {c.cell(row=5 + i, column=1).value: c.cell(row=5 + i, column=3).value
              for i in range(len(ts))}
    assert covers["RHIs by month"] == "April 2022 to March 2023"
    assert covers["CIN by month"] == "April 2021 to March 2023"


def test_sheet_layout_title_note_header_frozen(book):
    _, ts, wb = book
    for t in ts:
        ws = wb[excel.SHEET_NAMES[t.name]]
        assert ws["A1"].value == t.title and ws["A1"].font.b
        assert "c = suppressed" in ws["A2"].value and "Source:" in ws["A2"].value
        assert [ws.cell(row=4, column=j + 1).value for j in range(len(t.frame.columns))] == \
            t.frame.columns
        assert ws.cell(row=4, column=1).font.b
        assert ws.freeze_panes == f"{openpyxl.utils.get_column_letter(len(t.labels) + 1)}5"
        assert ws.column_dimensions["A"].width >= 8
    rhi = wb["RHIs by month"]
    assert rhi["A2"].value.startswith("PROVISIONAL")


def test_numbers_are_numbers_and_c_is_text(book):
    _, ts, wb = book
    for t in ts:
        ws = wb[excel.SHEET_NAMES[t.name]]
        pub = t.published()
        for i in range(t.frame.height):
            for j, col in enumerate(t.frame.columns):
                cell = ws.cell(row=5 + i, column=j + 1)
                text = pub[col][i]
                if col in t.labels:
                    assert cell.data_type == "s" or cell.value is None
                elif text == "c":
                    assert cell.value == "c" and cell.data_type == "s"
                elif text == "":
                    assert cell.value is None
                else:
                    assert isinstance(cell.value, (int, float)), (t.name, i, col)
                    assert float(text) == pytest.approx(cell.value)
    need = wb["CIN by primary need"]
    low = next(r for r in need.iter_rows(min_row=5) if r[1].value == "Low income")
    assert low[3].value == "c"
    total = next(r for r in need.iter_rows(min_row=5) if r[1].value == "Total")
    assert total[3].font.b


def test_formula_text_from_data_stays_text(book):
    path, _, wb = book
    ws = wb["CIN by primary need"]
    cells = [r[0] for r in ws.iter_rows(min_row=5) if r[0].value == FORMULA]
    assert len(cells) == 1 and cells[0].data_type == "s"
    import zipfile
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any("<f>" in z.read(n).decode() for n in sheets)


def test_created_date_fixed_and_byte_identical(book, tmp_path):
    path, ts, wb = book
    assert wb.properties.created == datetime(2023, 3, 31)
    again = excel.write_workbook(tmp_path / "again.xlsx", ts, title="Barnsley tables",
                                 created=datetime(2023, 3, 31))
    assert again.read_bytes() == path.read_bytes()


def test_series_headers_are_edged_in_the_palette_colour_and_keyed_on_contents(book):
    from scorecard.report import palette

    _, ts, wb = book
    for t in ts:
        ws = wb[excel.SHEET_NAMES[t.name]]
        for j, c in enumerate(t.frame.columns, start=1):
            border = ws.cell(row=4, column=j).border.bottom
            role = t.roles.get(c)
            if role:
                assert border.color.rgb[-6:].upper() == palette.SERIES[role].colour[1:].upper(), c
    contents = wb["Contents"]
    key = [r for r in contents.iter_rows(min_col=2, max_col=2, values_only=True)
           if r[0] in {s.meaning for s in palette.SERIES.values()}]
    assert len(key) == len(palette.SERIES)


def test_a_possibly_incomplete_month_says_so_on_its_sheet(tmp_path):
    from scorecard.report.status import Marks
    from scorecard.validate.lineage import AFFECTS_SCHEMA

    f = synthetic_frames()
    marks = Marks(pl.DataFrame([("volume.monthly_gap", "missing_episodes", "warning",
                                 "missing_episodes", "2022-07")], schema=AFFECTS_SCHEMA,
                               orient="row"))
    ts = tables.all_tables(f["metrics"], f["scorecard"], **KW, marks=marks)
    path = excel.write_workbook(tmp_path / "g.xlsx", ts, title="T", created=datetime(2023, 3, 31))
    ws = openpyxl.load_workbook(path)["Missing by month"]
    assert ws.cell(row=4, column=4).value == "Note"
    notes = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=4).value for r in range(5, 18)}
    assert notes["July 2022"] == "July 2022 possibly incomplete: far below neighbouring months"
    assert notes["Year 2022-23"].startswith("Includes July 2022, possibly incomplete")
    assert notes["June 2022"] is None
    assert "July 2022 is possibly incomplete" in ws["A2"].value
    contents = openpyxl.load_workbook(path)["Contents"]
    row = next(r for r in contents.iter_rows(values_only=True) if r[0] == "Missing by month")
    assert row[3] == "Final" and "July 2022" in row[5]
