"""Loading extracts into the store: raw -> quarantine -> staging, atomically.

Every file under the raw folder is read (never written), turned into canonical rows,
checked cell by cell, pseudonymised and inserted into ``raw.<table>``; cells that cannot be
parsed go to ``quarantine.rejected_rows`` (and their row is kept out of staging); every file
is recorded in the ``meta.loads`` ledger. The whole load is one transaction: a structural
problem anywhere (unreadable file, missing required column, unknown extract) rolls back
everything and the database is exactly as it was.
"""
from __future__ import annotations

import codecs
import hashlib
import hmac
import json
import logging
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import duckdb
import polars as pl
import pyarrow as pa

from .db import sql_text
from .errors import ScorecardError, StructuralError
from .frames import ROW, Frame
from .schema import TABLES, Table, extract_name

__all__ = ["load", "LoadReport", "FileResult", "discover", "file_facts", "pseudonymise", "DATA_SUFFIXES"]

log = logging.getLogger(__name__)

#: file types the loader reads; anything else under the raw folder is reported as skipped
DATA_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".parquet", ".xml")
#: who reported the rows of a canonical file (see ``scorecard.frames.Frame.source``)
CASE_MANAGEMENT = "case_management"
#: columns a reader may add to reject a row (``scorecard.frames.Frame``); never stored
REJECT_COLUMNS = ("_reject_column", "_reject_value", "_reject_reason")

_REASONS = {
    "date": "unparseable date (expected YYYY-MM-DD, DD/MM/YYYY or an Excel date)",
    "datetime": "unparseable date-time (expected YYYY-MM-DD HH:MM[:SS] or DD/MM/YYYY HH:MM[:SS])",
    "flag": "unrecognised flag (expected Y/N, Yes/No, 1/0 or True/False)",
}
_PARSER = {"date": "sc_date", "datetime": "sc_datetime", "flag": "sc_flag"}


@dataclass
class FileResult:
    """What happened to one (file, table) pair."""

    file: str
    table: str
    status: str  # loaded | duplicate | skipped
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    message: str = ""


@dataclass
class LoadReport:
    """The outcome of :func:`load`."""

    files: list[FileResult] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def notes(self) -> list[str]:
        """What loaded files said that a person should know (``file: note``), once per file."""
        seen: dict[str, str] = {}
        for f in self.files:
            if f.status == "loaded" and f.message:
                seen.setdefault(f.file, f.message)
        return [f"{file}: {message}" for file, message in seen.items()]

    def summary(self) -> str:
        by = {s: sum(1 for f in self.files if f.status == s) for s in ("loaded", "duplicate", "skipped")}
        text = (f"{by['loaded']} file(s) loaded, {by['duplicate']} already loaded, {by['skipped']} skipped; "
                f"{self.rows_loaded} rows loaded, {self.rows_rejected} rows quarantined")
        return "; ".join([text] + self.notes)


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> None:
    """Execute a statement and consume its result (DuckDB 2 refuses new work on a
    connection while a result is pending)."""
    con.execute(sql, params).fetchall()


def _q(name: str) -> str:
    """Quote an identifier taken from a file header."""
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    """A SQL string literal for a column name (identifiers only, never data values)."""
    return "'" + text.replace("'", "''") + "'"


def pseudonymise(values: Iterable[str], key: bytes) -> dict[str, str]:
    """Keyed pseudonyms (HMAC-SHA256, first 16 hex digits, prefixed ``P``) for child ids.

    The same id always gets the same pseudonym under the same key; ids are trimmed first.
    """
    return {v: "P" + hmac.new(key, v.strip().encode("utf-8"), hashlib.sha256).hexdigest()[:16]
            for v in values}


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


def _scan(path: Path) -> tuple[str, bool]:
    """The file's SHA-256 and whether it is UTF-8 text, from one read of it."""
    h = hashlib.sha256()
    dec = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            if utf8:
                try:
                    dec.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return h.hexdigest(), utf8


# --------------------------------------------------------------------------- readers

def _csv_to_temp(con: duckdb.DuckDBPyConnection, path: Path, label: str, tmp: Path,
                 utf8: bool) -> None:
    """Read a canonical CSV (UTF-8 with/without BOM or Windows-1252) into ``_in``.

    :param utf8: whether the file is UTF-8 (:func:`_scan` found it with the file's digest).
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
    try:
        _run(
            con, f"create or replace temp table _in as select {_ROW_NUMBER}, * from read_csv($p, "
            "all_varchar = true, header = true, null_padding = true, auto_detect = true)",
            {"p": str(source)},
        )
    except duckdb.Error as exc:
        raise _csv_problem(source, label, exc) from None


#: the longest CSV row DuckDB reads (its ``max_line_size`` default); no case record comes near it
MAX_ROW_BYTES = 2_097_152


def _csv_problem(source: Path, label: str, exc: duckdb.Error) -> StructuralError:
    """The error for a CSV DuckDB could not read, naming the real row and column where it can.

    DuckDB numbers lines from its last buffer and puts the row's text in its message (which
    may hold personal data), so only its first line is kept, and an over-long row -- its most
    common failure on real exports -- is found again here, by record, with the csv module."""
    import csv
    import sys

    old_limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        with open(source, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
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
    finally:
        csv.field_size_limit(old_limit)
    first = str(exc).strip().splitlines()[0]
    return StructuralError(label, f"cannot read as CSV: {first}")


def _check_csv_header(source: Path, label: str) -> None:
    """Refuse a header that names a column twice (DuckDB would silently rename the copy)."""
    import csv

    with open(source, encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh), [])
    seen: dict[str, str] = {}
    for h in header:
        n = h.strip().lower()
        if n and n in seen:
            raise StructuralError(label, f"column appears twice ({seen[n]!r} and {h!r})", column=n)
        seen[n] = h


#: the spreadsheet row number of a record read in file order (header is row 1): an empty
#: OVER clause keeps DuckDB's scan order, so this numbers the file's records without a sort
_ROW_NUMBER = f"row_number() over () + 1 as {ROW}"


def drop_input(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what a reader filled (temp table ``_in``)."""
    _run(con, "drop table if exists _in")


#: DuckDB types a Parquet date or date-time column may have (besides text, parsed as in CSV)
_DATE_TYPES = ("DATE", "TIMESTAMP")


def _parquet_to_temp(con: duckdb.DuckDBPyConnection, path: Path, label: str, table: Table) -> None:
    """Read a canonical Parquet file into temp table ``_in``, every column as text.

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
        cols = ", ".join(f"cast({_q(c[0])} as varchar) as {_q(c[0])}" for c in desc)
        _run(con, f"create or replace temp table _in as select {_ROW_NUMBER}, {cols} from read_parquet($p)",
             {"p": str(path)})
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
        _run(con, "create or replace temp table _in as select * from _frame")
    finally:
        con.unregister("_frame")


# --------------------------------------------------------------------------- ingest

def _normalise_columns(con: duckdb.DuckDBPyConnection, table: Table, label: str) -> list[str]:
    """Rename ``_in`` columns to lower-case trimmed names; return the extra (non-canonical) ones."""
    cols = [r[0] for r in con.execute("describe _in").fetchall()]
    seen: dict[str, str] = {}
    for c in cols:
        n = c.strip().lower() if c != ROW else ROW
        if n in seen:
            raise StructuralError(label, f"column appears twice ({seen[n]!r} and {c!r})", column=n)
        seen[n] = c
    missing = [c for c in table.required if c not in seen]
    if missing:
        raise StructuralError(label, f"missing required column for {table.name}", column=missing[0])
    extras = [n for n in seen if n not in (ROW, "_extras") and n not in table.column_names
              and n not in REJECT_COLUMNS]
    select = [f"{_q(seen[ROW])} as {ROW}"]
    for c in table.column_names:
        select.append(f"cast({_q(seen[c])} as varchar) as {_q(c)}" if c in seen else f"null::varchar as {_q(c)}")
    # a reader's own _extras (JSON per row), merged with any other extra columns
    given = f"cast({_q(seen['_extras'])} as varchar)" if "_extras" in seen else None
    if extras:
        pairs = ", ".join(f"{_lit(n)}, {_q(seen[n])}" for n in extras)
        made = f"cast(json_object({pairs}) as varchar)"
        select.append(f"coalesce(cast(json_merge_patch({given}, {made}) as varchar), {made}) as _extras"
                      if given else f"{made} as _extras")
    else:
        select.append(f"{given or 'null::varchar'} as _extras")
    for c in REJECT_COLUMNS:
        select.append(f"cast({_q(seen[c])} as varchar) as {c}" if c in seen else f"null::varchar as {c}")
    _run(con, f"create or replace temp view _norm as select {', '.join(select)} from _in")
    return [c for c in table.column_names if c in seen]


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The HMAC-SHA256 inner and outer pads of ``key`` (RFC 2104), for ``sc_pseudonym``."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def _person_ids(table: Table) -> list[str]:
    """The columns holding a person id, pseudonymised on loading: ``child_id``, and in
    ``children`` the ``legacy_id`` (a person id from the old system)."""
    return ["child_id"] + (["legacy_id"] if table.id_column == "child_id" else [])


def _pseudonyms_for(con: duckdb.DuckDBPyConnection, key: bytes, table: Table) -> None:
    """Add the keyed pseudonym of every person id in ``_norm`` not seen yet in this load to the
    temp table ``_pseud`` (raw id text -> pseudonym, the value :func:`pseudonymise` gives): each
    distinct id is hashed once per load, however many rows and files it appears in."""
    ipad, opad = hmac_pads(key)
    ids = " union all ".join(f"select {c} as k from _norm" for c in _person_ids(table))
    _run(con, f"insert into _pseud select k, sc_pseudonym(k, $ipad, $opad) from (select distinct k from ({ids})) "
              "where sc_blank(k) is not null and k not in (select k from _pseud)", {"ipad": ipad, "opad": opad})


def _ready_view(table: Table, source: str = "_norm", name: str = "_ready", temp_table: bool = False) -> str:
    """``source`` with each person id replaced by its pseudonym from ``_pseud`` (blank stays
    blank), as temp view (or table) ``name``."""
    ids = _person_ids(table)
    # every id that is not blank has its pseudonym in _pseud, so no pseudonym means blank
    replaced = ", ".join(f"coalesce(_p{i}.p, s.{c}) as {c}" for i, c in enumerate(ids))
    joins = " ".join(f"left join _pseud _p{i} on _p{i}.k = s.{c}" for i, c in enumerate(ids))
    kind = "table" if temp_table else "view"
    return f"create or replace temp {kind} {name} as select s.* replace ({replaced}) from {source} as s {joins}"


def _count(con: duckdb.DuckDBPyConnection, table: Table, supplied: list[str]) -> tuple[int, dict[str, int], int]:
    """One pass over ``_norm``: its rows, the values present in each supplied column, and how
    many cells :func:`_checks` would quarantine (each check counted on its own, which DuckDB
    evaluates far faster than one condition per row: a parse failure is a value present that
    does not parse)."""
    exprs = ["count(*)", "count(_reject_reason)"]
    exprs += [f"count(sc_blank({_q(c)}))" for c in supplied]
    kinds = {c.name: c for c in table.columns}
    parsed = [c for c in supplied if kinds[c].kind in _PARSER]
    exprs += [f"count({_PARSER[kinds[c].kind]}({_q(c)}))" for c in parsed]
    conditional = [c for c in supplied if kinds[c].required and kinds[c].blank_when]
    exprs += [f"count(*) filter (where sc_blank({_q(c)}) is null and sc_flag({_q(kinds[c].blank_when)}) is not true)"
              for c in conditional]
    values = list(con.execute(f"select {', '.join(exprs)} from _norm").fetchall()[0])
    read, rejects = values[0], values[1]
    present = dict(zip(supplied, values[2:2 + len(supplied)]))
    rest = values[2 + len(supplied):]
    problems = rejects + sum(present[c] - n for c, n in zip(parsed, rest[:len(parsed)]))
    problems += sum(rest[len(parsed):])
    problems += sum(read - present.get(c.name, 0) for c in table.columns if c.required and not c.blank_when)
    return read, present, problems


def _checks(table: Table) -> list[tuple[str, str]]:
    """What makes a row bad: ``(what is recorded, condition)`` pairs, where what is recorded is
    the select list ``record_id, column_name, raw_value, reason`` of a quarantined cell."""
    rid = f"sc_text({_q(table.id_column)})"
    # rows the reader rejected (a value its format rules out), then cells that cannot be parsed
    out = [(f"{rid} as record_id, _reject_column as column_name, _reject_value as raw_value, "
            f"_reject_reason as reason", "_reject_reason is not null")]
    for c in table.columns:
        col = _q(c.name)
        if c.required:
            # a blank is allowed where the column's blank_when flag is true (an NFA census block)
            allowed = f" and sc_flag({_q(c.blank_when)}) is not true" if c.blank_when else ""
            out.append((f"{rid}, {_lit(c.name)}, {col}, 'blank required value'", f"sc_blank({col}) is null{allowed}"))
        if c.kind in _PARSER:
            out.append((f"{rid}, {_lit(c.name)}, {col}, {_lit(_REASONS[c.kind])}",
                        f"sc_blank({col}) is not null and {_PARSER[c.kind]}({col}) is null"))
    return out


def _problems_sql(table: Table, source: str = "_ready") -> str:
    """Every quarantined cell of ``source`` (one row per problem)."""
    return " union all ".join(f"select {ROW}, {what} from {source} where {cond}" for what, cond in _checks(table))


def _ingest(con: duckdb.DuckDBPyConnection, frame_table: str, label: str, rel: str, key: bytes,
            load_id: int) -> tuple[int, int]:
    """``_in`` -> quarantine + ``raw.<table>``, and the canonical columns the file supplied
    (``meta.load_columns``); returns (rows read, rows rejected).

    Set-based, and the rows are read from ``_in`` a few times but copied once: one pass counts
    rows, bad rows and values present; the bad rows (usually none) are kept aside to be
    quarantined cell by cell; new person ids are hashed into ``_pseud``; and one insert writes
    ``raw.<table>`` in file order with the pseudonyms joined in."""
    table = TABLES[frame_table]
    supplied = _normalise_columns(con, table, label)
    read, present, n_problems = _count(con, table, supplied)
    if supplied:  # what the metrics-availability step reads (scorecard.metrics.availability)
        con.executemany("insert into meta.load_columns values (?, ?, ?, ?)",
                        [(load_id, table.name, c, present[c]) for c in supplied])
    _pseudonyms_for(con, key, table)
    _run(con, _ready_view(table))
    rejected = 0
    if n_problems:
        bad = " or ".join(f"({cond})" for _, cond in _checks(table))
        _run(con, f"create or replace temp table _bad0 as select * from _norm where {bad}")
        _run(con, _ready_view(table, "_bad0", "_bad", temp_table=True))
        _run(con, "drop table _bad0")
        _run(
            con, "insert into quarantine.rejected_rows select $load_id, $file, _row, $table, record_id, "
            f"column_name, raw_value, reason from ({_problems_sql(table, '_bad')}) order by _row, column_name",
            {"load_id": load_id, "file": rel, "table": table.name})
        rejected = con.execute(f"select count(distinct {ROW}) from _bad").fetchall()[0][0]
    flag = f"{ROW} in (select {ROW} from _bad)" if n_problems else "false"
    cols = ", ".join(_q(c) for c in table.column_names)
    _run(
        con, f"insert into raw.{table.name} (load_id, source_file, source_row, _rejected, _extras, {cols}) "
        f"select $load_id, $file, {ROW}, {flag}, _extras, {cols} from _ready order by {ROW}",
        {"load_id": load_id, "file": rel})
    _run(con, "drop view _ready; drop view _norm; drop table if exists _bad")
    drop_input(con)
    return read, rejected


def _frames_for(con, path: Path, rel: str, mappings, tmp: Path, key: bytes, *, utf8: bool | None = None
                ) -> tuple[list[tuple[str, Callable[[], None], str, str]], dict | None]:
    """How to read ``path``: a list of (table, function filling temp table ``_in``, location,
    source), and what the file says about itself (:attr:`Frame.facts`, or None);
    :class:`scorecard.formats.Skip` for a file recognised but not used."""
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
        return [(extract, lambda: _csv_to_temp(con, path, rel, tmp, _scan(path)[1] if utf8 is None else utf8),
                 rel, CASE_MANAGEMENT)], None
    if suffix == ".parquet":
        return [(extract, lambda: _parquet_to_temp(con, path, rel, TABLES[extract]), rel, CASE_MANAGEMENT)], None
    if suffix in (".xlsx", ".xlsm"):
        return [(extract, lambda: _frame_to_temp(con, read_canonical_xlsx(path, rel, extract)), rel,
                 CASE_MANAGEMENT)], None
    raise StructuralError(rel, f"no reader for {suffix} files named like an extract")


def rebuild_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Re-create each ``staging.<table>`` from raw (run inside the load transaction) whose
    inputs changed: a staging table is a function of its model, of the shared macros it calls
    (``macros.sql``) and of the rows of its loads that stand (raw rows never change once
    loaded), so it is rebuilt when the text of its model or of the macros, or its set of
    standing loads, differs from when it was last built (``meta.staging_models``). A re-run
    whose files were all loaded before rebuilds nothing."""
    standing = dict(con.execute(
        "select table_name, list(load_id order by load_id) from meta.loads where status = 'loaded' "
        "group by table_name").fetchall())
    built = dict(con.execute("select table_name, fingerprint from meta.staging_models").fetchall())
    macros = sql_text("macros.sql")
    for name in TABLES:
        model = sql_text("staging", name + ".sql")
        fingerprint = hashlib.sha256(
            f"{model}\x1f{macros}\x1f{standing.get(name) or []}".encode()).hexdigest()
        if built.get(name) == fingerprint:
            continue
        _run(con, f"create or replace table staging.{name} as {model}")
        _run(con, "insert or replace into meta.staging_models values ($t, $f)", {"t": name, "f": fingerprint})


def load(con: duckdb.DuckDBPyConnection, raw_dir: Path, *, key: bytes, mappings: Iterable[Path] = (),
         run_id: int | None = None, progress: Callable[[str], None] | None = None,
         transaction: bool = True, la_code: int | None = None) -> LoadReport:
    """Load every extract file under ``raw_dir`` into the store, in one transaction.

    :param con: a connection from :func:`scorecard.db.connect`.
    :param raw_dir: folder of extract files (read, never written).
    :param key: pseudonymisation key (:func:`scorecard.config.pseudonym_key`).
    :param mappings: extra folders of mapping files for bespoke exports.
    :param run_id: the run this load belongs to (ledger).
    :param progress: called with a short message per file.
    :param transaction: run in a transaction of its own (False: the caller holds one).
    :param la_code: the LA the data must belong to: a file that names another LA (a CIN census
        header's ``LEA``, an Annex A front sheet) stops the load. ``None``: not checked.
    :raises StructuralError: nothing is loaded; the database is unchanged.
    """
    from .formats.mapping import load_mappings

    raw_dir = Path(raw_dir)
    files, skipped = discover(raw_dir)
    if not files:
        raise ScorecardError(f"{raw_dir}: no extract files found (expected .csv, .xlsx, .parquet or .xml)")
    maps = load_mappings(list(mappings))
    report = LoadReport([FileResult(p.relative_to(raw_dir).as_posix() + ("/" if p.is_dir() else ""), "",
                                    "skipped", message=reason) for p, reason in skipped])
    if transaction:
        _run(con, "begin transaction")
    try:
        # the pseudonyms of this load's person ids (made afresh: they are the key's)
        _run(con, "create or replace temp table _pseud (k varchar, p varchar)")
        with tempfile.TemporaryDirectory(prefix="scorecard-") as tmpname:
            tmp = Path(tmpname)
            for path in files:
                rel = path.relative_to(raw_dir).as_posix()
                if progress:
                    progress(rel)
                report.files.extend(_load_file(con, path, rel, key, maps, run_id, tmp, la_code))
        _run(con, "drop table _pseud")
        rebuild_staging(con)
        if transaction:
            _run(con, "commit")
    except BaseException:
        if transaction:
            _run(con, "rollback")
        raise
    return report


def _check_la(rel: str, facts: dict, la_code: int | None) -> None:
    """Stop when a file names an LA other than the build's."""
    named = facts.get("la_code")
    if la_code is None or named is None or str(named).strip() == "":
        return
    text = str(named).strip()
    code = re.match(r"(\d{3})\b", text)   # "370" or "370 Barnsley"
    if not (code and int(code.group(1)) == int(la_code)):
        what = {"cin_census": "CIN census header (LEA)",
                "annex_a": "Annex A front sheet (LA code)"}.get(facts.get("format"), "file")
        raise StructuralError(rel, f"the {what} is for LA {text}, but this build is for LA {int(la_code):03d} "
                                   f"(--la): check that this is the authority's own return")


def _record_facts(con, rel: str, digest: str, facts: dict, run_id) -> None:
    _run(con, "insert into meta.file_facts values ($f, $h, $fmt, $col, $year, $ref, $census, $la, $facts, "
              "$unknown, $run)",
         {"f": rel, "h": digest, "fmt": facts.get("format"), "col": facts.get("collection"),
          "year": facts.get("collection_year"), "ref": facts.get("reference_date"),
          "census": facts.get("census_year"), "la": facts.get("la_code"),
          "facts": json.dumps(facts.get("facts") or {}, ensure_ascii=False, default=str),
          "unknown": int(facts.get("unknown_elements") or 0), "run": run_id})


def file_facts(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The facts of the files currently loaded (``meta.file_facts`` of files whose load is
    ``loaded``), newest reference date first."""
    cur = con.execute(
        "select distinct f.* exclude (facts), f.facts from meta.file_facts f join meta.loads l "
        "on l.source_file = f.source_file and l.sha256 = f.sha256 and l.status = 'loaded' "
        "order by f.reference_date desc nulls last, f.source_file")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _digest(path: Path) -> tuple[str, bool]:
    """The file's SHA-256, with the files read together with it (see
    :func:`scorecard.formats.companions`) folded in, so that a change to one reloads it; and
    whether the file itself is UTF-8 (found in the same read)."""
    from . import formats

    digest, utf8 = _scan(path)
    extra = formats.companions(path)
    if not extra:
        return digest, utf8
    h = hashlib.sha256(digest.encode())
    for other in extra:
        h.update(f"\x1f{other.name}\x1f{_sha256(other)}".encode())
    return h.hexdigest(), utf8


def _load_file(con, path: Path, rel: str, key: bytes, maps, run_id, tmp: Path,
               la_code: int | None = None) -> list[FileResult]:
    from .formats import Skip

    digest, utf8 = _digest(path)
    size = path.stat().st_size
    prior = con.execute(
        "select source_file from meta.loads where sha256 = $h and status = 'loaded' limit 1",
        {"h": digest}).fetchall()
    if prior:
        msg = "already loaded" if prior[0][0] == rel else f"same content as {prior[0][0]}, already loaded"
        _ledger(con, run_id, rel, "", "", size, digest, 0, 0, 0, "duplicate", msg)
        return [FileResult(rel, "", "duplicate", message=msg)]
    # a changed file at a path loaded before supersedes the earlier version
    _run(con, "update meta.loads set status = 'superseded', message = 'replaced by a newer version of the file' "
                "where source_file = $f and status = 'loaded'", {"f": rel})
    try:
        items, facts = _frames_for(con, path, rel, maps, tmp, key, utf8=utf8)
    except Skip as exc:
        _ledger(con, run_id, rel, "", path.suffix.lower().lstrip("."), size, digest, 0, 0, 0,
                "skipped", str(exc))
        log.info("skipped %s: %s", rel, exc)
        return [FileResult(rel, "", "skipped", message=str(exc))]
    note = ""
    if facts is not None:
        _check_la(rel, facts, la_code)
        _record_facts(con, rel, digest, facts, run_id)
        note = "; ".join(facts.get("notes") or [])
    results = []
    for table, fill, location, source in items:
        load_id = con.execute("select coalesce(max(load_id), 0) + 1 from meta.loads").fetchall()[0][0]
        fill()
        read, rejected = _ingest(con, table, location, rel, key, load_id)
        _ledger(con, run_id, rel, table, path.suffix.lower().lstrip("."), size, digest, read,
                read - rejected, rejected, "loaded", note, load_id=load_id, source=source)
        results.append(FileResult(rel, table, "loaded", read, read - rejected, rejected, note))
        log.info("loaded %s -> %s: %d rows, %d quarantined", location, table, read, rejected)
    if note:
        log.warning("%s: %s", rel, note)
    return results


def _ledger(con, run_id, rel, table, fmt, size, digest, read, loaded, rejected, status, message,
            load_id: int | None = None, source: str | None = None) -> None:
    if load_id is None:
        load_id = con.execute("select coalesce(max(load_id), 0) + 1 from meta.loads").fetchall()[0][0]
    _run(
        con,         "insert into meta.loads (load_id, run_id, source_file, table_name, format, size_bytes, sha256, "
        "rows_read, rows_loaded, rows_rejected, loaded_at, status, message, source) values ($id, $run, $f, $t, "
        "$fmt, $size, $h, $read, $loaded, $rej, current_timestamp, $status, $msg, $source)",
        {"id": load_id, "run": run_id, "f": rel, "t": table, "fmt": fmt, "size": size, "h": digest,
         "read": read, "loaded": loaded, "rej": rejected, "status": status, "msg": message,
         "source": source})
