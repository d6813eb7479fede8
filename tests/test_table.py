"""One published table: its text, its notes (status, possibly incomplete months, source,
suppression), CSV and index writing."""
from __future__ import annotations

from dataclasses import replace

import polars as pl
import pytest

from scorecard.report import tables
from scorecard.report.table import NOTE_COLUMN
from tests.test_report_tables import KW, _row, synthetic_frames


@pytest.fixture(scope="module")
def frames():
    return synthetic_frames()


def test_csv_written_with_formula_text_defused(frames, tmp_path):
    formula = '=HYPERLINK("http://example.invalid","x")'
    extra = pl.DataFrame([_row("cin_by_primary_need", "2022-23", 12, formula)],
                         schema=frames["metrics"].schema)
    t = tables.cin_by_primary_need(pl.concat([frames["metrics"], extra]), **KW).suppressed_with(5)
    path = tables.write_csv(t, tmp_path / "t.csv")
    back = pl.read_csv(path, infer_schema=False)
    assert back.columns == t.frame.columns
    assert "'" + formula in back["Code"].to_list()
    assert back.filter(pl.col("Primary need") == "Low income")["2022-23"][0] == "c"
    assert tables.csv_safe("-1") == "'-1" and tables.csv_safe("Police") == "Police"
    index = tables.write_index([t], tmp_path / "index.csv")
    assert pl.read_csv(index)["status"].to_list() == ["final"]


def test_note_puts_status_then_incomplete_months_then_source_and_suppression(frames):
    t = tables.missing_by_month(frames["metrics"], **KW).suppressed_with(5)
    assert t.status == "final" and t.status_note == "" and t.warning_note == ""
    assert t.note.startswith("Source: ") and "c = suppressed" in t.note
    marked = replace(t, provisional=True, reasons=("Missing episodes x [missing_episodes.duplicate_id]",),
                     notes={3: "July 2022 possibly incomplete: far below neighbouring months"},
                     incomplete=("2022-07",))
    assert marked.status == "provisional"
    assert marked.note.index("PROVISIONAL") < marked.note.index("Note: July 2022 is possibly") \
        < marked.note.index("Source:") < marked.note.index("c = suppressed")
    assert "[missing_episodes.duplicate_id]" in marked.status_note
    pub = marked.published()
    assert pub.columns[-1] == NOTE_COLUMN and pub[NOTE_COLUMN][3].startswith("July 2022")
    assert pub[NOTE_COLUMN][0] == "" and NOTE_COLUMN not in t.published().columns


def test_index_names_period_status_reason_and_warnings(frames, tmp_path):
    t = tables.rhi_by_month(frames["metrics"], period="2023-01", la_code=370,
                            la_name="Barnsley").suppressed_with(5)
    t = replace(t, provisional=True, reasons=("=bad [x]",))
    path = tables.write_index([t], tmp_path / "index.csv")
    row = pl.read_csv(path, infer_schema=False).row(0, named=True)
    assert list(row) == list(tables.INDEX_COLUMNS)
    assert (row["period"], row["covers"], row["status"]) == (
        "2022-04/2023-01", "April 2022 to January 2023", "provisional")
    assert row["status_reason"] == "'=bad [x]"            # defused as a formula
