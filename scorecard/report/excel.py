"""The annual-report tables as one formatted Excel workbook (xlsxwriter).

A contents sheet (each table's sheet, title, the period it covers, its status and why, and
a colour key), then one sheet per table: title row, status, source and suppression note,
styled header (a column showing a series is edged in that series' colour from the one
palette), sensible column widths, frozen panes, numbers written as numbers and suppressed
cells as the text ``c``; a row resting on a possibly incomplete month says so in a ``Note``
column. Text that comes from data is written with
``write_string`` and the workbook is opened with ``strings_to_formulas`` (and URL and number
conversion) off, so a value such as ``=HYPERLINK(...)`` stays text. The document's created
date is fixed (the end of the period) so the file is byte-identical on re-run.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from .palette import SERIES
from .tables import NOTE_COLUMN, ReportTable, format_value

__all__ = ["SHEET_NAMES", "write_workbook"]

#: Sheet name for each table (Excel allows 31 characters).
SHEET_NAMES = {
    "referral_sources": "Referral sources",
    "cin_by_month": "CIN by month",
    "cin_by_primary_need": "CIN by primary need",
    "cp_by_latest_category": "CP by latest category",
    "cp_per_month": "CP per month",
    "missing_by_month": "Missing by month",
    "rhi_by_month": "RHIs by month",
    "contacts_24h_by_month": "Contacts within 24h",
}
_NUMBER_FORMATS = {"count": "#,##0", "percent": "0.0", "mean": "0.0", "rate": "0.0"}
_HEADER_ROW = 3


def _sheet_name(table: ReportTable) -> str:
    return SHEET_NAMES.get(table.name, table.name.replace("_", " ").capitalize())[:31]


def write_workbook(path: Path, tables: Sequence[ReportTable], *, title: str,
                   created: datetime) -> Path:
    """Write every (suppressed) table to ``path`` with a contents sheet first."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False})
    wb.set_properties({"title": title, "author": "scorecard", "created": created,
                       "comments": "Small numbers suppressed for publication"})
    f = {
        "title": wb.add_format({"bold": True, "font_size": 14}),
        "note": wb.add_format({"text_wrap": True, "valign": "top", "font_size": 9,
                               "font_color": "#333333"}),
        "warn": wb.add_format({"text_wrap": True, "valign": "top", "font_size": 9, "bold": True,
                               "font_color": "#B00020"}),
        "header": wb.add_format({"bold": True, "text_wrap": True, "valign": "bottom",
                                 "bg_color": "#DCE6F1", "bottom": 1}),
        "label": wb.add_format({}),
        "label_total": wb.add_format({"bold": True, "top": 1}),
        "c": wb.add_format({"align": "right"}),
        "c_total": wb.add_format({"align": "right", "bold": True, "top": 1}),
        "link": wb.add_format({"font_color": "#0563C1", "underline": 1}),
        "incomplete": wb.add_format({"text_wrap": True, "font_size": 9, "italic": True,
                                     "font_color": "#6B2D5C"}),
    }
    for key, style in SERIES.items():
        f["header_" + key] = wb.add_format({"bold": True, "text_wrap": True, "valign": "bottom",
                                            "bg_color": "#DCE6F1", "bottom": 5,
                                            "bottom_color": style.colour})
        f["swatch_" + key] = wb.add_format({"bg_color": style.colour, "border": 1})
    for kind, num in _NUMBER_FORMATS.items():
        f[kind] = wb.add_format({"num_format": num})
        f[kind + "_total"] = wb.add_format({"num_format": num, "bold": True, "top": 1})

    contents = wb.add_worksheet("Contents")
    contents.write_string(0, 0, title, f["title"])
    contents.write_string(1, 0, "Each table is on its own sheet. c = suppressed to protect "
                                "children's privacy; blank = not available.", f["note"])
    for j, h in enumerate(("Sheet", "Table", "Covers", "Status", "Why provisional",
                           "Possibly incomplete months")):
        contents.write_string(3, j, h, f["header"])
    for j, w in enumerate((24, 70, 26, 13, 60, 40)):
        contents.set_column(j, j, w)
    for i, t in enumerate(tables, start=4):
        name = _sheet_name(t)
        contents.write_url(i, 0, f"internal:'{name}'!A1", f["link"], string=name)
        contents.write_string(i, 1, t.title)
        contents.write_string(i, 2, t.covers)
        contents.write_string(i, 3, "Provisional" if t.provisional else "Final",
                              f["warn"] if t.provisional else f["label"])
        contents.write_string(i, 4, "; ".join(t.reasons), f["note"])
        contents.write_string(i, 5, t.warning_note, f["incomplete"])
    row = 5 + len(tables)
    contents.write_string(row, 0, "Colour key (the same in every chart, the page and this "
                                  "workbook)", f["header"])
    for k, (key, style) in enumerate(SERIES.items(), start=row + 1):
        contents.write_blank(k, 0, None, f["swatch_" + key])
        contents.write_string(k, 1, style.meaning)
    for t in tables:
        _write_table(wb.add_worksheet(_sheet_name(t)), t, f)
    wb.close()
    return path


def _write_table(ws, t: ReportTable, f: dict) -> None:
    """One table on its own sheet."""
    cols = t.frame.columns
    notes = [t.notes.get(i, "") for i in range(t.frame.height)] if t.notes else None
    last = len(cols) - 1 + (1 if notes else 0)
    ws.write_string(0, 0, t.title, f["title"])
    ws.merge_range(1, 0, 1, max(last, 3), "", f["warn" if t.provisional else "note"])
    ws.write_string(1, 0, t.note, f["warn" if t.provisional else "note"])
    ws.set_row(1, 48 + 24 * (len(t.reasons) > 1) + 12 * bool(t.notes))
    ws.set_row(_HEADER_ROW, 45)
    if notes:
        ws.write_string(_HEADER_ROW, len(cols), NOTE_COLUMN, f["header"])
        ws.set_column(len(cols), len(cols), 48)
        for i, n in enumerate(notes):
            if n:
                ws.write_string(_HEADER_ROW + 1 + i, len(cols), n, f["incomplete"])
    for j, c in enumerate(cols):
        role = t.roles.get(c)
        ws.write_string(_HEADER_ROW, j, c, f["header_" + role] if role else f["header"])
        texts = [t.text(i, c) for i in range(t.frame.height)]
        longest_word = max((len(w) for w in c.split()), default=8)
        if c in t.labels:
            width = min(max([len(x) for x in texts] + [longest_word, 8]) + 2, 50)
        else:
            width = min(max(longest_word + 2, 11, len(c) / 2.2), 22)
        ws.set_column(j, j, width)
    for i in range(t.frame.height):
        total = i == t.total_row
        row = _HEADER_ROW + 1 + i
        for j, c in enumerate(cols):
            value = t.frame.get_column(c)[i]
            if c in t.labels:
                ws.write_string(row, j, "" if value is None else str(value),
                                f["label_total" if total else "label"])
            elif t.is_hidden(i, c):
                ws.write_string(row, j, "c", f["c_total" if total else "c"])
            elif value is None:
                ws.write_blank(row, j, None, f["c_total" if total else "c"])
            else:
                kind = t.kinds[c]   # the number as published: rounded as in the CSV
                ws.write_number(row, j, float(format_value(value, kind)),
                                f[kind + "_total" if total else kind])
    ws.freeze_panes(_HEADER_ROW + 1, len(t.labels))
