"""Reading delimited text exports for the format readers (SSD tables, SSDA903 tables).

Exports from SQL Server Management Studio, Excel and case-management report tools arrive as
UTF-8 (with or without a byte-order mark) or Windows-1252, sometimes with the literal text
``NULL`` for an empty cell. :func:`read_rows` gives the headings and, for each non-blank record,
the line number a person would see in the file and its cells; :func:`header` reads only the
heading line (to recognise a file by its columns).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import StructuralError

__all__ = ["NULL_WORDS", "decode", "header", "null", "read_rows"]

#: Cell texts that mean "no value" in database exports.
NULL_WORDS = frozenset({"NULL"})
_NULL_LENGTHS = frozenset(len(w) for w in NULL_WORDS)

_SNIFF_BYTES = 64 * 1024


def decode(data: bytes) -> str:
    """Text of an export: UTF-8 (a byte-order mark is dropped), else Windows-1252.

    :raises UnicodeDecodeError: when it is neither
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def header(path: Path) -> list[str] | None:
    """The stripped headings on the first line of a CSV file, or ``None`` when the file cannot
    be read as text (recognition then falls back to the file name)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError:
        return None
    try:
        text = decode(head)
    except UnicodeDecodeError:
        return None
    first = next(csv.reader(io.StringIO(text, newline="")), None)
    return [h.strip() for h in first] if first else None


def null(value: str | None) -> str | None:
    """A cell's text, stripped; blank and ``NULL`` become ``None``."""
    if not value:
        return None
    text = value.strip()
    if not text or (len(text) in _NULL_LENGTHS and text.upper() in NULL_WORDS):
        return None
    return text


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str | None]]]]:
    """Headings (stripped) and ``(line number, cells)`` of every non-blank record.

    Cells are passed through :func:`null`. A record may span several lines (a quoted line
    break); its number is the line it starts on.

    :raises StructuralError: unreadable, empty, not text, or not CSV
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise StructuralError(path, f"cannot read the file ({exc.strerror or exc})") from None
    if not data.strip():
        raise StructuralError(path, "file is empty")
    try:
        text = decode(data)
    except UnicodeDecodeError as exc:
        raise StructuralError(path, f"not UTF-8 or Windows-1252 text (byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    headings: list[str] | None = None
    rows: list[tuple[int, list[str | None]]] = []
    line = 1
    try:
        for cells in reader:
            if headings is None:
                headings = [c.strip() for c in cells]
            elif any(c.strip() for c in cells):
                rows.append((line, [null(c) for c in cells]))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise StructuralError(path, f"not a readable CSV file ({exc})", row=reader.line_num) from None
    if not headings or not any(headings):
        raise StructuralError(path, "file has no heading line", row=1)
    return headings, rows
