"""Reading a canonical extract file (CSV, Parquet, Excel; or a bespoke format through
:mod:`scorecard.formats`) into the temp view ``_in`` (over temp table ``_in_file``) that
:mod:`scorecard.ingest` takes in, every column as text, with each record's row number; and
finding the files of a raw folder and their digests.

CSV and Parquet are read by DuckDB; a CSV holding no quote and none of the characters another
dialect would use (``"``, ``;``, tab, ``|``, ``'``, ``\\``) is read as plain comma-separated text
without DuckDB's dialect sniffing, which costs more than reading a small file (a monthly drop).
Such a file reads the same whatever quote and escape are given, because it has none; a file
with a quote is sniffed as before, since the sniffer may take a stray ``"`` for an ordinary
character, or see no quote in its sample."""
from __future__ import annotations

import codecs
import contextlib
import hashlib
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

import duckdb
import polars as pl
import pyarrow as pa

from .errors import ScorecardError, StructuralError
from .frames import ROW, Frame
from .schema import TABLES, Table, extract_name

__all__ = ["DATA_SUFFIXES", "CASE_MANAGEMENT", "MAX_ROW_BYTES", "discover", "digest", "scan", "frames_for",
           "drop_input", "read_canonical_xlsx", "run", "quote"]

#: file types the loader reads; anything else under the raw folder is reported as skipped
DATA_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".parquet", ".xml")
#: who reported the rows of a canonical file (see ``scorecard.frames.Frame.source``)
CASE_MANAGEMENT = "case_management"


def run(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> None:
    """Execute a statement and consume its result (DuckDB 2 refuses new work on a
    connection while a result is pending)."""
    con.execute(sql, params).fetchall()


def quote(name: str) -> str:
    """Quote an identifier taken from a file header."""
    return '"' + name.replace('"', '""') + '"'


def discover(raw_dir: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Data files under ``raw_dir`` (sorted, recursive), and what was skipped with the reason:
    files of other types, and folders named like data files (``referrals.csv/``), which a
    person would take for an extract."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise ScorecardError(f"{raw_dir}: raw folder does not exist")
    data: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for p in sorted(raw_dir.rglob("*")):
        if any(part.startswith(".") for part in p.relative_to(raw_dir).parts):
            continue
        if p.is_dir():
            if p.suffix.lower() in DATA_SUFFIXES:
                skipped.append((p, f"a folder named like a {p.suffix.lower()} file, not a file: not read "
                                   "(files inside it are read as usual)"))
            continue
        if not p.is_file() or p.name.startswith("~$") or p.name.lower().startswith("readme"):
            continue
        if p.suffix.lower() in DATA_SUFFIXES:
            data.append(p)
        else:
            skipped.append((p, "not an extract file type"))
    return data, skipped


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


#: bytes a quote, another delimiter or an escape would use: a file without any of them is read
#: without DuckDB's dialect sniffing. The double quote is among them: the sniffer may read a file
#: with an unbalanced or stray ``"`` with no quote character at all, or see no quote in the rows
#: it samples, so only a file with none reads the same whatever quote is given
_DIALECT_BYTES = (b'"', b";", b"\t", b"|", b"'", b"\\")
#: comma-separated, given outright (a file with none of :data:`_DIALECT_BYTES` has no quote or
#: escape for the quote and escape settings to act on)
_PLAIN_CSV = ", delim = ',', quote = '\"', escape = '\"'"
#: a file that may quote is sniffed over all its rows (from its first 20,480 only, a file whose
#: first quoted value comes later is read with no quote, splitting a quoted line break into two
#: records) and read on one thread (DuckDB's parallel reader stops on a quoted line break when
#: rows are padded)
_SNIFFED_CSV = ", parallel = false, sample_size = -1"


#: an empty line, in a file with Unix, Windows or old Mac line ends
_EMPTY_LINES = (b"\n\n", b"\n\r\n", b"\r\r")


def _empty_line_in(chunk: bytes) -> int | None:
    """Where the first of :data:`_EMPTY_LINES` is in ``chunk``, or None. With numpy: every
    line ends in a line break, so ``bytes.find`` of two breaks stops at each line (about a
    millisecond a megabyte for each pattern), where comparing the bytes as an array does not."""
    import numpy as np

    a = np.frombuffer(chunk, np.uint8)
    lf = a == 10
    hits = lf[1:] & lf[:-1]                          # \n\n
    if b"\r" in chunk:
        cr = a == 13
        hits |= cr[1:] & cr[:-1]                     # \r\r
        hits[:-1] |= lf[:-2] & cr[1:-1] & lf[2:]     # \n\r\n
    return int(hits.argmax()) if hits.any() else None


def scan(path: Path) -> tuple[str, str | None, bool]:
    """The file's SHA-256, what text it is, and whether it may hold an empty line before its
    last line of text, from one read of it. The text is ``"plain"`` (UTF-8 holding no quote and
    none of :data:`_DIALECT_BYTES`), ``"utf8"`` (other UTF-8) or None (not UTF-8). An empty line
    may also be inside a quoted value: :func:`_spreadsheet_rows` tells them apart."""
    h = hashlib.sha256()
    dec = codecs.getincrementaldecoder("utf-8")()
    utf8 = plain = True
    first_empty = None     # where the first empty line may be
    text_end = offset = 0  # where the last line of text ends
    tail = b""
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            if utf8:
                try:
                    dec.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            if plain and any(b in chunk for b in _DIALECT_BYTES):
                plain = False
            if first_empty is None:
                # an empty line across two chunks, then one inside this chunk
                joined = tail + chunk[:2]
                found = [offset - len(tail) + i for i in (joined.find(b) for b in _EMPTY_LINES) if i >= 0]
                inside = _empty_line_in(chunk)
                if inside is not None:
                    found.append(offset + inside)
                first_empty = min(found) if found else None
            end = len(chunk)
            while end and chunk[end - 1] in b"\r\n":   # the line ends after the chunk's last text
                end -= 1
            if end:
                text_end = offset + end
            tail = chunk[-2:]
            offset += len(chunk)
    if utf8:
        try:
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return (h.hexdigest(), (("plain" if plain else "utf8") if utf8 else None),
            first_empty is not None and first_empty < text_end)


# --------------------------------------------------------------------------- readers

def _csv_to_temp(con: duckdb.DuckDBPyConnection, path: Path, label: str, tmp: Path,
                 utf8: str | None, empty_lines: bool = True) -> None:
    """Read a canonical CSV (UTF-8 with/without BOM or Windows-1252) into ``_in``.

    :param utf8: what text the file is (:func:`scan` found it with the file's digest): a
        ``"plain"`` file is read as comma-separated, double-quoted text, any other is sniffed.
    :param empty_lines: whether the file may hold an empty line (:func:`scan`): DuckDB skips
        them, so the records after one are numbered from the file (:func:`_spreadsheet_rows`).
    """
    if path.stat().st_size == 0:
        raise StructuralError(label, "file is empty")
    source = path
    if not utf8:
        try:
            text = path.read_bytes().decode("cp1252")
        except UnicodeDecodeError as exc:
            raise StructuralError(label, f"not UTF-8 or Windows-1252 text (byte {exc.start})") from None
        source = tmp / (path.stem + ".utf8.csv")
        source.write_text(text, encoding="utf-8")
    _check_csv_header(source, label)
    options = _PLAIN_CSV if utf8 == "plain" else _SNIFFED_CSV
    rows = _spreadsheet_rows(con, source, options) if empty_lines else None
    try:
        _numbered(con, "select * from read_csv($p, all_varchar = true, header = true, null_padding = true, "
                       f"auto_detect = true{options})", {"p": str(source)}, rows=rows)
    except duckdb.Error as exc:
        raise _csv_problem(source, label, exc) from None


@contextlib.contextmanager
def _csv_reader(source: Path, **dialect) -> Iterator[Iterator[list[str]]]:
    """The csv module's records of ``source`` (UTF-8, with or without a BOM), a field of any
    size allowed (the module's own limit is 128 KB)."""
    import csv
    import sys

    old_limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        with open(source, encoding="utf-8-sig", newline="") as fh:
            yield csv.reader(fh, **dialect)
    finally:
        csv.field_size_limit(old_limit)


class _Rows(NamedTuple):
    """Each record's spreadsheet row and its first value, as the csv module read the file."""
    rows: list[int]
    firsts: list[str]


def _spreadsheet_rows(con: duckdb.DuckDBPyConnection, source: Path, options: str) -> _Rows | None:
    """Each record's row as a spreadsheet shows the file (the header is row 1, an empty line is
    a row of its own, a quoted line break stays inside its row), read with the csv module in the
    dialect DuckDB reads the file in (``options``, sniffed as DuckDB sniffs it), when an empty
    line comes before a record; None when none does (the records' positions are their rows), or
    when the csv module cannot read the file in that dialect. :func:`_numbered` uses the rows
    only if DuckDB read the same records (the same first value of each, in order)."""
    import csv

    try:
        delim, quote, escape = con.execute(
            f"select Delimiter, Quote, Escape from sniff_csv($p, header = true{options})", {"p": str(source)}
        ).fetchall()[0] if options == _SNIFFED_CSV else (",", '"', '"')
    except duckdb.Error:
        return None   # DuckDB reports the file's fault when it reads it
    quote, escape = ("" if q == "(empty)" else q for q in (quote, escape))
    if len(delim) != 1 or len(quote) > 1 or len(escape) > 1:
        return None
    dialect = {"delimiter": delim, "quotechar": quote or None,
               "quoting": csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE,
               "doublequote": escape in ("", quote), "escapechar": None if escape in ("", quote) else escape}
    found = _Rows([], [])
    shifted = header = after_empty = False
    try:
        with _csv_reader(source, **dialect) as records:
            for row, record in enumerate(records, start=1):
                if not record:
                    after_empty = header  # an empty line before the header is refused
                elif not header:
                    header = True
                else:
                    shifted = shifted or after_empty
                    found.rows.append(row)
                    found.firsts.append(record[0])
    except (csv.Error, UnicodeDecodeError, TypeError):
        return None
    return found if shifted else None


#: the longest CSV row DuckDB reads (its ``max_line_size`` default); no case record comes near it
MAX_ROW_BYTES = 2_097_152


def _csv_problem(source: Path, label: str, exc: duckdb.Error) -> StructuralError:
    """The error for a CSV DuckDB could not read, naming the real row and column where it can.

    DuckDB numbers lines from its last buffer and puts the row's text in its message (which
    may hold personal data), so only its first line is kept, and an over-long row -- its most
    common failure on real exports -- is found again here, by record, with the csv module."""
    import csv

    try:
        with _csv_reader(source) as reader:
            header = next(reader, [])
            for row_number, record in enumerate(reader, start=2):
                size = sum(len(v.encode("utf-8")) for v in record) + len(record)
                if size > MAX_ROW_BYTES:
                    widest = max(range(len(record)), key=lambda i: len(record[i]))
                    column = header[widest].strip().lower() if widest < len(header) else f"column {widest + 1}"
                    return StructuralError(
                        label, f"the row is too long to read: {size / 1_048_576:.1f} MB, of which this "
                        f"column holds {len(record[widest].encode('utf-8')) / 1_048_576:.1f} MB (a row "
                        f"may hold at most {MAX_ROW_BYTES // 1_048_576} MB)", row=row_number, column=column)
    except (csv.Error, UnicodeDecodeError):
        pass
    first = str(exc).strip().splitlines()[0]
    return StructuralError(label, f"cannot read as CSV: {first}")


def _check_csv_header(source: Path, label: str) -> None:
    """Refuse a header that names a column twice (DuckDB would silently rename the copy), and
    a file whose first line is empty (DuckDB would read its header as a record)."""
    with _csv_reader(source) as records:
        header = next(records, None)
    if header == []:
        raise StructuralError(label, "the first line is empty: the column names must be on the first line",
                              row=1)
    header = header or []
    seen: dict[str, str] = {}
    for h in header:
        n = h.strip().lower()
        if n and n in seen:
            raise StructuralError(label, f"column appears twice ({seen[n]!r} and {h!r})", column=n)
        seen[n] = h


#: the spreadsheet row number of a record read in file order (header is row 1): an empty
#: OVER clause keeps DuckDB's scan order, so this numbers the file's records without a sort (but
#: on one thread: see :func:`_numbered`)
_ROW_NUMBER = f"row_number() over () + 1 as {ROW}"


def _same_records(con: duckdb.DuckDBPyConnection, firsts: list[str]) -> bool:
    """Whether ``_in_file`` holds, in order, records whose first values are ``firsts``."""
    if con.execute("select count(*) from _in_file").fetchall()[0][0] != len(firsts):
        return False
    first = con.execute("select * from _in_file limit 0").description[0][0]
    got = con.execute(f"select coalesce({quote(first)}, '') from _in_file").fetchall()
    return [g[0] for g in got] == firsts


def _numbered(con: duckdb.DuckDBPyConnection, select: str, params: dict,
              rows: _Rows | None = None) -> None:
    """Fill ``_in`` with the records of ``select`` (a file read in order) and their row numbers.

    The records are stored as they are read, in file order (DuckDB keeps the insertion order of
    a ``create table as``, on both cores), in temp table ``_in_file``; ``_in`` is a view adding
    the row number (the header is row 1) from the record's position, ``rowid`` (which starts at
    an offset inside a transaction, so counted from the first). Numbering while reading, with
    ``row_number() over ()``, runs the whole read on one thread. A file with a column named
    ``rowid`` (which would hide the position), or positions that are not one run, is numbered
    while reading, as before.

    ``rows``, when given, are the records' rows as a spreadsheet shows them (:func:`_spreadsheet_rows`:
    a file with empty lines, which DuckDB skips), paired with DuckDB's records in order when they
    are the same records (the same first value of each); otherwise the records are numbered by
    position, as without them."""
    run(con, f"create or replace temp table _in_file as {select}", params)
    if rows is not None and _same_records(con, rows.firsts):
        con.register("_rows", pa.table({"r": pa.array(rows.rows, pa.int64())}))
        try:
            run(con, "create or replace temp table _in_rows as select r from _rows")
        finally:
            con.unregister("_rows")
        run(con, f"create or replace temp view _in as select _in_rows.r as {ROW}, _in_file.* "
                 "from _in_rows positional join _in_file")
        return
    named_rowid = con.execute("select count(*) from duckdb_columns() where database_name = 'temp' "
                              "and table_name = '_in_file' and lower(column_name) = 'rowid'").fetchall()[0][0]
    first, last, n = con.execute("select min(rowid), max(rowid), count(*) from _in_file").fetchall()[0] \
        if not named_rowid else (None, None, None)
    if named_rowid or (n and last - first + 1 != n):
        run(con, f"create or replace temp table _in_file as select {_ROW_NUMBER}, * from ({select})", params)
        run(con, "create or replace temp view _in as select * from _in_file")
    else:
        run(con, f"create or replace temp view _in as select rowid - {int(first or 0)} + 2 as {ROW}, * "
                 "from _in_file")


def drop_input(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what a reader filled (temp table ``_in_file`` and view ``_in``)."""
    run(con, "drop view if exists _in; drop table if exists _in_file; drop table if exists _in_rows")


#: DuckDB types a Parquet date or date-time column may have (besides text, parsed as in CSV)
_DATE_TYPES = ("DATE", "TIMESTAMP")


def _parquet_to_temp(con: duckdb.DuckDBPyConnection, path: Path, label: str, table: Table) -> None:
    """Read a canonical Parquet file into ``_in`` (:func:`_numbered`), every column as text.

    A date or date-time column must be a Parquet DATE or TIMESTAMP, or text in a form
    ``extracts.md`` allows. A numeric column there is refused (exit 2): days since 1970 and
    Excel serial days cannot be told apart, so no number is guessed to be a date.
    """
    try:
        desc = con.execute("describe select * from read_parquet($p)", {"p": str(path)}).fetchall()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise StructuralError(label, f"cannot read as Parquet: {first}") from None
    kinds = {c.name: c.kind for c in table.columns}
    for name, dtype, *_ in desc:
        kind = kinds.get(name.strip().lower())
        if kind in ("date", "datetime") and not (dtype.startswith(_DATE_TYPES) or dtype == "VARCHAR"):
            raise StructuralError(
                label, f"a {kind} column stored as {dtype} numbers: store dates in Parquet as DATE or "
                "TIMESTAMP (or as text such as 2023-01-31); numbers are not read as dates, because days "
                "since 1970 and Excel serial days cannot be told apart", column=name)
    try:
        cols = ", ".join(f"cast({quote(c[0])} as varchar) as {quote(c[0])}" for c in desc)
        _numbered(con, f"select {cols} from read_parquet($p)", {"p": str(path)})
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise StructuralError(label, f"cannot read as Parquet: {first}") from None


def read_canonical_xlsx(path: Path, label: str, extract: str) -> Frame:
    """A canonical-layout workbook: the sheet named after the extract, else the first sheet;
    the header is the first non-empty row."""
    import openpyxl

    from .formats import cell_text

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise StructuralError(label, f"cannot open as an Excel workbook: {exc}") from None
    try:
        names = {n.strip().lower(): n for n in wb.sheetnames}
        ws = wb[names.get(extract, wb.sheetnames[0])]
        rows = ws.iter_rows(values_only=True)
        header, header_row = None, 0
        for header_row, values in enumerate(rows, start=1):
            if any(v is not None and str(v).strip() for v in values):
                header = [("" if v is None else str(v)) for v in values]
                break
        if header is None:
            raise StructuralError(label, f"sheet {ws.title!r} is empty")
        cols: list[list[str | None]] = [[] for _ in header]
        row_numbers: list[int] = []
        for n, values in enumerate(rows, start=header_row + 1):
            if not any(v is not None and str(v).strip() for v in values):
                continue
            row_numbers.append(n)
            for i in range(len(header)):
                cols[i].append(cell_text(values[i]) if i < len(values) else None)
    finally:
        wb.close()
    data = {h if h else f"column_{i + 1}": c for i, (h, c) in enumerate(zip(header, cols))}
    df = pl.DataFrame({**data, ROW: row_numbers}, schema={**{k: pl.Utf8 for k in data}, ROW: pl.Int64})
    return Frame(extract, df, f"{label} sheet {ws.title!r}")


def _frame_to_temp(con: duckdb.DuckDBPyConnection, frame: Frame) -> None:
    arrow: pa.Table = frame.data.to_arrow()
    con.register("_frame", arrow)
    try:
        run(con, "create or replace temp table _in_file as select * from _frame")
        run(con, "create or replace temp view _in as select * from _in_file")
    finally:
        con.unregister("_frame")


def frames_for(con, path: Path, rel: str, mappings, tmp: Path, key: bytes, *, utf8: str | None = "",
               empty_lines: bool = True) -> tuple[list[tuple[str, Callable[[], None], str, str]], dict | None]:
    """How to read ``path``: a list of (table, function filling temp table ``_in``, location,
    source), and what the file says about itself (:attr:`Frame.facts`, or None);
    :class:`scorecard.formats.Skip` for a file recognised but not used.

    :param utf8: what text a CSV is (:func:`scan`), when the caller has read it; ``""``: not
        known yet, found when the file is read (with ``empty_lines``).
    :param empty_lines: whether a CSV may hold an empty line (:func:`scan`), when ``utf8`` is given."""
    from . import formats  # local: format readers pull in XML/Excel machinery

    reader = formats.reader_for(path, mappings)
    if reader is not None:
        try:
            with formats.id_key(key):
                frames = reader(path)
        except (StructuralError, formats.Skip):
            raise
        except Exception as exc:  # a reader bug or unexpected content must not be a traceback
            raise StructuralError(rel, f"cannot read: {exc}") from None
        for f in frames:
            if f.table not in TABLES:
                raise StructuralError(f.location, f"reader produced unknown table {f.table!r}")
        facts = next((f.facts for f in frames if f.facts is not None), None)
        return [(f.table, (lambda f=f: _frame_to_temp(con, f)), f.location, f.source) for f in frames], facts
    extract = extract_name(path.stem)
    if extract not in TABLES:
        raise StructuralError(rel, f"unknown extract {extract!r} (file names start with one of: "
                                   f"{', '.join(TABLES)}; or add a mapping file for this export)")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        # a load knows whether the file is UTF-8 from its digest's read; whois reads it here
        def read() -> None:
            text, empty = (scan(path)[1:] if utf8 == "" else (utf8, empty_lines))
            _csv_to_temp(con, path, rel, tmp, text, empty)
        return [(extract, read, rel, CASE_MANAGEMENT)], None
    if suffix == ".parquet":
        return [(extract, lambda: _parquet_to_temp(con, path, rel, TABLES[extract]), rel, CASE_MANAGEMENT)], None
    if suffix in (".xlsx", ".xlsm"):
        return [(extract, lambda: _frame_to_temp(con, read_canonical_xlsx(path, rel, extract)), rel,
                 CASE_MANAGEMENT)], None
    raise StructuralError(rel, f"no reader for {suffix} files named like an extract")


def digest(path: Path) -> tuple[str, str | None, bool]:
    """The file's SHA-256, with the files read together with it (see
    :func:`scorecard.formats.companions`) folded in, so that a change to one reloads it; and
    what text the file itself is and whether it may hold an empty line (:func:`scan`, found in
    the same read)."""
    from . import formats

    found, utf8, empty = scan(path)
    extra = formats.companions(path)
    if not extra:
        return found, utf8, empty
    h = hashlib.sha256(found.encode())
    for other in extra:
        h.update(f"\x1f{other.name}\x1f{_sha256(other)}".encode())
    return h.hexdigest(), utf8, empty

