"""Delimited exports for the format readers: encodings, NULL, line numbers, bad files."""
from __future__ import annotations

import pytest

from scorecard.errors import StructuralError
from scorecard.formats import csvfile


def test_bom_crlf_null_and_line_numbers(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("\ufeffa , b\r\n1,NULL\r\n\r\n\"two\r\nlines\",null\r\n3, \r\n".encode("utf-8"))
    headings, rows = csvfile.read_rows(path)
    assert headings == ["a", "b"]
    assert rows == [(2, ["1", None]), (4, ["two\r\nlines", None]), (6, ["3", None])]
    assert csvfile.header(path) == ["a", "b"]


def test_windows_1252_is_read(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("name\nZo\xeb\n".encode("latin-1"))
    assert csvfile.read_rows(path)[1] == [(2, ["Zoë"])]


@pytest.mark.parametrize("content, message", [(b"", "file is empty"), (b"  \n", "file is empty"),
                                              (b"\x81\x8d\x8f\x90\x9d", "not UTF-8 or Windows-1252")])
def test_bad_files_are_structural_errors(tmp_path, content, message):
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    with pytest.raises(StructuralError, match=message):
        csvfile.read_rows(path)
    assert csvfile.header(tmp_path / "absent.csv") is None
