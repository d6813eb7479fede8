"""Declarative mapping files for bespoke exports (Mosaic reports, legacy TED, ...).

A mapping file is TOML (read with the standard library's ``tomllib``) describing one or more
exports; ``docs/mappings.md`` explains how to write one. Each ``[[export]]`` says:

``files``        glob(s) on the file name (case-insensitive), e.g. ``"mosaic_referrals*.csv"``
``table``        the canonical table the export feeds
``encoding``     text encoding of CSV files (default ``utf-8-sig``; e.g. ``cp1252``)
``delimiter``    CSV delimiter (default ``,``)
``sheet``        worksheet of an ``.xlsx`` export (default: the first sheet)
``header_row``   row holding the headings, counted from 1 (default 1)
``columns``      export heading -> canonical column (headings matched ignoring case,
                 spaces and punctuation); only the columns listed are read
``codes``        per canonical column, export value -> canonical code (values matched the same
                 tolerant way; ``""`` means blank); a value not listed is kept as it is so
                 validation can flag it; in a code-list column (``disabilities``) each item of
                 a cell separated by ``,`` ``;`` or ``|`` is translated
``dates``        per canonical column, one or more ``strptime`` patterns; a value that matches
                 becomes ISO text, one that does not is kept as it is (the core loader then
                 quarantines it)
``constants``    canonical column -> value for every row (e.g. ``source_system = "TED"``)
``derive_id``    canonical columns to hash into the record id when the export has no id column
``extras``       headings with no canonical column to keep as extra columns (named by the
                 heading in lower case with ``_`` for spaces); other unmapped columns are not read

A mapping file may also say at the top who reports the rows it reads (``source``: e.g.
``"police"``; default ``"case_management"``): the ledger records it, and missing episodes
reported by several sources are matched on it (``docs/missing_matching.md``).

Reading never parses anything else and never drops a row; the core loader does the rest.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import fnmatch
import io
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import tomllib

from .. import schema
from ..errors import StructuralError
from ..frames import Frame
from . import build_frame, cell_text, derive_id, normalise_heading

__all__ = ["PACKAGE_MAPPINGS", "Mapping", "load_mapping_file", "load_mappings"]

_EXPORT_KEYS = {"name", "files", "table", "encoding", "delimiter", "sheet", "header_row",
                "columns", "codes", "dates", "constants", "derive_id", "extras"}
_FILE_KEYS = {"name", "description", "export", "source"}
_SOURCE = re.compile(r"^[a-z][a-z0-9_]*$")
_ID_PREFIX = {"contacts": "CON", "referrals": "REF", "assessments": "ASM", "cin_episodes": "CIN",
              "cp_plans": "CPP", "missing_episodes": "MIS", "return_interviews": "RHI",
              "children": "CHD"}
_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
#: separators between the codes of a code-list cell in an export ("Autism; Mobility")
_LIST_SEPARATOR = re.compile(r"\s*[,;|]\s*")
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}


def _package_mappings() -> Path:
    return Path(str(resources.files("scorecard") / "mappings"))


#: The folder of mapping files shipped with the package (always loaded).
PACKAGE_MAPPINGS = _package_mappings()


@dataclass
class Mapping:
    """One export described by a mapping file (see the module docstring for the fields)."""

    source: Path
    name: str
    files: tuple[str, ...]
    table: str
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    sheet: str | None = None
    header_row: int = 1
    columns: dict[str, str] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    dates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    derive_id: tuple[str, ...] = ()
    #: canonical column -> canonical code -> the export's own spelling (the first one listed)
    spellings: dict[str, dict[str, str]] = field(default_factory=dict)
    extras: tuple[str, ...] = ()
    reported_by: str = "case_management"

    def matches(self, path: Path) -> bool:
        """True when the file name matches one of the ``files`` globs (case-insensitive)."""
        name = Path(path).name.lower()
        return any(fnmatch.fnmatchcase(name, pattern.lower()) for pattern in self.files)

    @property
    def label(self) -> str:
        return f"mapping {self.source.name} export {self.name!r}"

    # ----------------------------------------------------------------- reading

    def read(self, path: Path) -> list[Frame]:
        """Read ``path`` through this mapping into one frame of ``table``."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix in _CSV_SUFFIXES:
            headings, rows, where = self._csv_rows(path)
        elif suffix in _XLSX_SUFFIXES:
            headings, rows, where = self._xlsx_rows(path)
        else:
            raise StructuralError(path, f"{self.label} matched this file, but only CSV and "
                                        f"XLSX exports can be mapped (not {suffix or 'no suffix'})")
        positions = self._positions(path, headings)
        extra_positions = self._extra_positions(headings)
        table = schema.TABLES[self.table]
        id_column = table.id_column
        columns = [c for c in table.column_names
                   if c in positions or c in self.constants
                   or (c == id_column and self.derive_id)] + list(extra_positions)
        records, numbers = [], []
        occurrences: dict[tuple, int] = {}
        for number, cells in rows:
            record: dict[str, str | None] = {}
            for column, pos in positions.items():
                raw = cells[pos] if pos < len(cells) else None
                record[column] = self._convert(column, raw)
            record.update(self.constants)
            for name, pos in extra_positions.items():
                record[name] = cell_text(cells[pos] if pos < len(cells) else None)
            if self.derive_id and not record.get(id_column):
                key = tuple(record.get(c) or "" for c in self.derive_id)
                occurrences[key] = n = occurrences.get(key, 0) + 1
                prefix = f"{self.source.stem.upper()}-{_ID_PREFIX[self.table]}"
                record[id_column] = derive_id(prefix, *key) if n == 1 else \
                    derive_id(prefix, *key, n)
            records.append(record)
            numbers.append(number)
        frame = build_frame(self.table, columns, records, numbers,
                            f"{where} (read with {self.label})")
        frame.source = self.reported_by
        return [frame]

    def _extra_positions(self, headings: list[Any]) -> dict[str, int]:
        """Extra column name -> position, for the ``extras`` headings present in the file."""
        found = {normalise_heading(h): i for i, h in reversed(list(enumerate(headings)))
                 if h is not None and str(h).strip()}
        out = {}
        for heading in self.extras:
            key = normalise_heading(heading)
            if key in found:
                name = key.replace(" ", "_")
                out[f"extra_{name}" if name in schema.TABLES[self.table].column_names else name] = found[key]
        return out

    def _convert(self, column: str, raw: Any) -> str | None:
        """Cell -> canonical text: code translation, then date patterns; else untouched."""
        kind = schema.TABLES[self.table].column(column).kind
        text = cell_text(raw, kind)
        if text is None:
            return None
        if kind == "code_list" and column in self.codes and _LIST_SEPARATOR.search(text):
            # several codes in one cell ("Autism; Mobility"): each translated
            items = [self._convert_code(column, t) for t in _LIST_SEPARATOR.split(text) if t.strip()]
            return " ".join(i for i in items if i) or None
        if column in self.codes:
            hit = self.codes[column].get(normalise_heading(text))
            if hit is not None:
                text = hit or None
                if text is None:
                    return None
        if column in self.dates:
            for pattern in self.dates[column]:
                try:
                    value = dt.datetime.strptime(text, pattern)
                except ValueError:
                    continue
                return value.date().isoformat() if kind == "date" else \
                    value.strftime("%Y-%m-%d %H:%M:%S")
        return text

    def _convert_code(self, column: str, text: str) -> str | None:
        hit = self.codes[column].get(normalise_heading(text))
        return text.strip() if hit is None else (hit or None)

    # ----------------------------------------------------------------- writing

    def write(self, df: Any, path: Path) -> Path:
        """Write canonical rows (a polars frame) as this export: a CSV file in the export's
        encoding and delimiter with its headings, codes in its own spelling, dates in its first
        pattern; the constants and any column it does not map are left out (its reading gives
        them back). Used by the synthetic data generator; returns ``path``."""
        path = Path(path)
        table = schema.TABLES[self.table]
        out = io.StringIO()
        writer = csv.writer(out, delimiter=self.delimiter, lineterminator="\r\n")
        pairs = [(h, c) for h, c in self.columns.items() if c in df.columns]
        writer.writerow([h for h, _ in pairs])
        for row in df.iter_rows(named=True):
            writer.writerow([self._spell(c, table.column(c).kind, row[c]) for _, c in pairs])
        path.write_bytes(out.getvalue().encode(self.encoding))
        return path

    def _spell(self, column: str, kind: str, value: Any) -> str:
        if value is None:
            return ""
        spell = self.spellings.get(column, {})
        if isinstance(value, bool):
            code = "Y" if value else "N"
            return spell.get(code, "Yes" if value else "No")
        if isinstance(value, (dt.date, dt.datetime)):
            pattern = (self.dates.get(column) or ("%Y-%m-%d" if kind == "date" else "%Y-%m-%d %H:%M:%S",))[0]
            return value.strftime(pattern)
        text = str(value)
        if kind == "code_list":
            return "; ".join(spell.get(c, c) for c in text.split())
        return spell.get(text, text)

    def _positions(self, path: Path, headings: list[Any]) -> dict[str, int]:
        """Canonical column -> position of its heading in the file; StructuralError when a
        heading mapped to a required column is not there."""
        found = {normalise_heading(h): i for i, h in reversed(list(enumerate(headings)))
                 if h is not None and str(h).strip()}
        required = set(schema.TABLES[self.table].required)
        positions: dict[str, int] = {}
        for heading, column in self.columns.items():
            pos = found.get(normalise_heading(heading))
            if pos is not None:
                positions[column] = pos
            elif column in required:
                raise StructuralError(
                    path, f"{self.label}: no column {heading!r} (needed for {column}) in the "
                          f"heading row {self.header_row}", row=self.header_row, column=heading)
        return positions

    def _csv_rows(self, path: Path) -> tuple[list[Any], list[tuple[int, list[str]]], str]:
        """Headings and (line number, cells) of a CSV export in the mapping's encoding."""
        try:
            text = path.read_bytes().decode(self.encoding)
        except OSError as exc:
            raise StructuralError(path, f"cannot read the file ({exc.strerror or exc})") from None
        except UnicodeDecodeError as exc:
            raise StructuralError(path, f"{self.label}: not valid {self.encoding} text "
                                        f"(byte {exc.start}); check the mapping's encoding") \
                from None
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter)
        headings: list[Any] | None = None
        rows: list[tuple[int, list[str]]] = []
        try:
            line = 1
            for cells in reader:
                if headings is None:
                    if reader.line_num >= self.header_row:
                        headings = cells
                elif any(c.strip() for c in cells):
                    rows.append((line, cells))
                line = reader.line_num + 1
        except csv.Error as exc:
            raise StructuralError(path, f"not a readable CSV file ({exc})",
                                  row=reader.line_num) from None
        if headings is None:
            raise StructuralError(path, f"{self.label}: the file has no heading row "
                                        f"{self.header_row} (it is empty or shorter)",
                                  row=self.header_row)
        return headings, rows, path.name

    def _xlsx_rows(self, path: Path) -> tuple[list[Any], list[tuple[int, tuple]], str]:
        """Headings and (row number, cells) of the mapping's worksheet."""
        import zipfile

        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
            raise StructuralError(path, f"cannot open as an Excel workbook ({exc})") from None
        try:
            if self.sheet is None:
                ws = wb[wb.sheetnames[0]]
            else:
                names = {normalise_heading(n): n for n in wb.sheetnames}
                name = names.get(normalise_heading(self.sheet))
                if name is None:
                    raise StructuralError(path, f"{self.label}: no sheet {self.sheet!r} "
                                                f"(sheets: {', '.join(wb.sheetnames)})",
                                          column=self.sheet)
                ws = wb[name]
            headings: list[Any] | None = None
            rows: list[tuple[int, tuple]] = []
            for number, cells in enumerate(ws.iter_rows(values_only=True), start=1):
                if number == self.header_row:
                    headings = list(cells)
                elif number > self.header_row and any(
                        c is not None and str(c).strip() for c in cells):
                    rows.append((number, cells))
            if headings is None:
                raise StructuralError(path, f"{self.label}: sheet {ws.title!r} has no heading "
                                            f"row {self.header_row}", row=self.header_row)
            return headings, rows, f"{path.name}, sheet {ws.title!r}"
        finally:
            wb.close()


# --------------------------------------------------------------------------- loading

def _fail(source: Path, key: str, message: str) -> StructuralError:
    return StructuralError(source, f"malformed mapping file: {message}", column=key)


def _strings(source: Path, key: str, value: Any) -> tuple[str, ...]:
    """A string or a non-empty list of strings."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) and v.strip()
                                                           for v in items):
        raise _fail(source, key, "expected a text value or a list of text values")
    return tuple(items)


def _table_of_text(source: Path, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _fail(source, key, "expected a table of  name = \"value\"  lines")
    out = {}
    for k, v in value.items():
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise _fail(source, f"{key}.{k}", "expected a text value")
        out[str(k)] = str(v)
    return out


def _canonical(source: Path, key: str, table: schema.Table, column: str) -> str:
    if column not in table.column_names:
        raise _fail(source, key, f"{column!r} is not a column of {table.name} "
                                 f"(columns: {', '.join(table.column_names)})")
    return column


def _export(source: Path, index: int, spec: Any, reported_by: str = "case_management") -> Mapping:
    """Validate one ``[[export]]`` table into a :class:`Mapping`."""
    where = f"export[{index}]"
    if not isinstance(spec, dict):
        raise _fail(source, where, "each [[export]] must be a table")
    for key in spec:
        if key not in _EXPORT_KEYS:
            raise _fail(source, f"{where}.{key}",
                        f"unknown key (expected one of {', '.join(sorted(_EXPORT_KEYS))})")
    for key in ("files", "table"):
        if key not in spec:
            raise _fail(source, f"{where}.{key}", "required key is missing")
    if spec["table"] not in schema.TABLES:
        raise _fail(source, f"{where}.table", f"unknown table {spec['table']!r} "
                                              f"(expected one of {', '.join(schema.TABLES)})")
    table = schema.TABLES[spec["table"]]
    name = str(spec.get("name", f"{table.name} #{index}"))
    encoding = str(spec.get("encoding", "utf-8-sig"))
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise _fail(source, f"{where}.encoding", f"unknown encoding {encoding!r}") from None
    delimiter = spec.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise _fail(source, f"{where}.delimiter", "expected a single character")
    header_row = spec.get("header_row", 1)
    if isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1:
        raise _fail(source, f"{where}.header_row", "expected a whole number from 1")
    sheet = spec.get("sheet")
    if sheet is not None and not isinstance(sheet, str):
        raise _fail(source, f"{where}.sheet", "expected a sheet name")
    columns = _table_of_text(source, f"{where}.columns", spec.get("columns", {}))
    for heading, column in columns.items():
        _canonical(source, f"{where}.columns.{heading}", table, column)
    targets = list(columns.values())
    if dup := next((c for c in targets if targets.count(c) > 1), None):
        raise _fail(source, f"{where}.columns", f"two headings are mapped to {dup!r}")
    codes_spec = spec.get("codes", {})
    if not isinstance(codes_spec, dict):
        raise _fail(source, f"{where}.codes", "expected [export.codes.<column>] tables")
    codes, spellings = {}, {}
    for column, table_ in codes_spec.items():
        _canonical(source, f"{where}.codes.{column}", table, column)
        values = _table_of_text(source, f"{where}.codes.{column}", table_)
        codes[column] = {normalise_heading(k): v.strip() for k, v in values.items()}
        spellings[column] = {}
        for k, v in values.items():
            if v.strip():
                spellings[column].setdefault(v.strip(), k)
    dates_spec = spec.get("dates", {})
    if not isinstance(dates_spec, dict):
        raise _fail(source, f"{where}.dates", "expected column = \"pattern\" lines")
    dates = {}
    for column, patterns in dates_spec.items():
        key = f"{where}.dates.{column}"
        _canonical(source, key, table, column)
        if table.column(column).kind not in ("date", "datetime"):
            raise _fail(source, key, f"{column} is not a date or datetime column")
        dates[column] = _strings(source, key, patterns)
        if bad := next((p for p in dates[column] if "%" not in p), None):
            raise _fail(source, key, f"{bad!r} is not a strptime pattern (e.g. \"%d-%b-%Y\")")
    constants = _table_of_text(source, f"{where}.constants", spec.get("constants", {}))
    for column in constants:
        _canonical(source, f"{where}.constants.{column}", table, column)
        if column in targets:
            raise _fail(source, f"{where}.constants.{column}",
                        "this column is also mapped from a heading")
    derive = ()
    if "derive_id" in spec:
        derive = _strings(source, f"{where}.derive_id", spec["derive_id"])
        for column in derive:
            _canonical(source, f"{where}.derive_id", table, column)
    extras: tuple[str, ...] = ()
    if "extras" in spec:
        extras = _strings(source, f"{where}.extras", spec["extras"])
        mapped = {normalise_heading(h) for h in columns}
        if dup := next((h for h in extras if normalise_heading(h) in mapped), None):
            raise _fail(source, f"{where}.extras", f"{dup!r} is also mapped to a column")
    covered = set(targets) | set(constants) | ({table.id_column} if derive else set())
    if missing := [c for c in table.required if c not in covered]:
        raise _fail(source, f"{where}.columns",
                    f"{table.name} needs {', '.join(missing)}: map a heading to "
                    f"{'it' if len(missing) == 1 else 'each'}"
                    f"{' (or list columns in derive_id)' if table.id_column in missing else ''}")
    return Mapping(source=source, name=name, files=_strings(source, f"{where}.files",
                                                              spec["files"]),
                   table=table.name, encoding=encoding, delimiter=delimiter, sheet=sheet,
                   header_row=header_row, columns=columns, codes=codes, dates=dates,
                   constants=constants, derive_id=derive, spellings=spellings, extras=extras,
                   reported_by=reported_by)


def load_mapping_file(source: Path) -> list[Mapping]:
    """The exports described by one mapping file; StructuralError naming the file and key."""
    source = Path(source)
    try:
        with open(source, "rb") as fh:
            doc = tomllib.load(fh)
    except OSError as exc:
        raise StructuralError(source, f"cannot read mapping file ({exc.strerror or exc})") \
            from None
    except tomllib.TOMLDecodeError as exc:
        raise StructuralError(source, f"malformed mapping file: not valid TOML ({exc})") from None
    for key in doc:
        if key not in _FILE_KEYS:
            raise _fail(source, key, f"unknown key (expected {', '.join(sorted(_FILE_KEYS))})")
    exports = doc.get("export")
    if not isinstance(exports, list) or not exports:
        raise _fail(source, "export", "no [[export]] tables")
    reported_by = doc.get("source", "case_management")
    if not isinstance(reported_by, str) or not _SOURCE.match(reported_by):
        raise _fail(source, "source", "expected a lower-case word such as \"police\" "
                                      "(letters, digits and _)")
    return [_export(source, i, spec, reported_by) for i, spec in enumerate(exports, start=1)]


def load_mappings(dirs: list[Path] | tuple[Path, ...] = ()) -> list[Mapping]:
    """Every export in the ``*.toml`` files of ``dirs`` (a mapping file may be named directly),
    then those shipped in ``scorecard/mappings/``; earlier ones win when several match a file.
    """
    files: list[Path] = []
    for entry in [*map(Path, dirs), PACKAGE_MAPPINGS]:
        if entry.is_file():
            candidates = [entry]
        elif entry.is_dir():
            candidates = sorted(entry.glob("*.toml"))
        else:
            raise StructuralError(entry, "mapping folder or file not found")
        for candidate in candidates:
            if candidate.resolve() not in {f.resolve() for f in files}:
                files.append(candidate)
    return [m for f in files for m in load_mapping_file(f)]
