"""Write canonical tables as an Ofsted Annex A workbook (for synthetic data and round-trip
tests): one sheet per list of :data:`scorecard.formats.annex_a.LISTS`, headings from
:data:`~scorecard.formats.annex_a.HEADINGS`, codes in the template's spellings, so
:func:`scorecard.formats.annex_a.read` gives back the same records.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl

from .. import schema
from .annex_a import _CHILD_COLUMNS, _CHILD_MIGRATION, HEADINGS, LISTS
from .annex_a_codes import spelling

__all__ = ["write"]

def write(tables: dict[str, pl.DataFrame], path: Path, *, la_code: int | None = None) -> Path:
    """Write canonical tables as an Annex A workbook (one sheet per list in ``LISTS``), after a
    ``Front sheet`` naming the LA's code when ``la_code`` is given.

    Each list row carries the child's Gender, Ethnicity and Date of Birth from ``children``
    (blank when the child is not there), and the child's ``Child source system`` /
    ``Child legacy ID`` when ``children`` has them. Record ids, ``Referral ID`` links, ``Source system``
    and ``Legacy ID`` are written as extra columns so :func:`~scorecard.formats.annex_a.read` gives back the same records.
    Dates and datetimes become Excel date cells; text (including unparseable dates) is written
    as text; codes use the Annex A spellings. Returns ``path``.
    """
    import xlsxwriter

    path = Path(path)
    children: dict[str, dict[str, Any]] = {}
    characteristics: list[str] = []
    if "children" in tables and tables["children"].height:
        kids = tables["children"]
        for row in kids.iter_rows(named=True):
            children.setdefault(str(row["child_id"]), row)
        characteristics = list(_CHILD_COLUMNS[1:]) + [
            c for c, to in _CHILD_MIGRATION.items()
            if to in kids.columns and kids[to].null_count() < kids.height]
    wb = xlsxwriter.Workbook(str(path))
    try:
        formats = {"date": wb.add_format({"num_format": "dd/mm/yyyy"}),
                   "datetime": wb.add_format({"num_format": "dd/mm/yyyy hh:mm:ss"}),
                   "heading": wb.add_format({"bold": True, "text_wrap": True})}
        listed: set[str] = set()
        if la_code is not None:
            front = wb.add_worksheet("Front sheet")
            front.write_string(0, 0, "Annex A: child-level data", formats["heading"])
            front.write_string(2, 0, "LA code")
            front.write_string(2, 1, f"{int(la_code):03d}")
        for spec in LISTS.values():
            if spec.table not in tables:
                continue
            frame = tables[spec.table]
            if spec.table == "children":
                frame = frame.filter(~frame["child_id"].cast(pl.Utf8).is_in(list(listed)))
                if not frame.height:
                    continue
            else:
                listed.update(str(c) for c in frame["child_id"].to_list())
            table = schema.TABLES[spec.table]
            own = [c for c in table.column_names if c in frame.columns and c != "child_id"
                   and c in HEADINGS]
            core = [c for c in own if c not in (table.id_column, "referral_id",
                                                "missing_episode_id", *schema.COMMON_COLUMNS)]
            extra = [c for c in own if c not in core]
            columns = ["child_id", *characteristics]
            if spec.table != "children":
                columns += core + extra
            ws = wb.add_worksheet(spec.title)
            for pos, column in enumerate(columns):
                ws.write_string(0, pos, HEADINGS[column][0], formats["heading"])
                ws.set_column(pos, pos, 18)
            for r, row in enumerate(frame.iter_rows(named=True), start=1):
                child = children.get(str(row["child_id"]), {})
                for pos, column in enumerate(columns):
                    if column in _CHILD_MIGRATION:
                        value = child.get(_CHILD_MIGRATION[column])
                    elif column in _CHILD_COLUMNS[1:]:
                        value = child.get(column)
                    else:
                        value = row.get(column)
                    _write_cell(ws, r, pos, spelling(column, value), formats)
    finally:
        wb.close()
    return path


#: Excel serials before this are ambiguous (the 1900 leap-year bug): such dates are written
#: as ISO text instead of date cells.
_FIRST_SAFE_EXCEL_DAY = dt.date(1900, 3, 1)


def _write_cell(ws, row: int, col: int, value: Any, formats: dict) -> None:
    """One cell: dates as Excel dates, everything else as text (never re-interpreted)."""
    if value is None:
        return
    if isinstance(value, dt.date) and (
            value.date() if isinstance(value, dt.datetime) else value) < _FIRST_SAFE_EXCEL_DAY:
        ws.write_string(row, col, value.isoformat(sep=" ") if isinstance(value, dt.datetime)
                        else value.isoformat())
    elif isinstance(value, dt.datetime):
        ws.write_datetime(row, col, value, formats["datetime"])
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), formats["date"])
    else:
        ws.write_string(row, col, str(value))
