"""Readers (and writers) for the non-canonical extract formats.

The core loader (``scorecard.load``) asks :func:`reader_for` which reader handles a file:

1. a declarative mapping whose ``files`` glob matches the file name (``scorecard/mappings/*.toml``
   plus any folders the user names) -- see ``docs/mappings.md``;
2. a Standard Safeguarding Dataset table (``ssd.py``): a CSV named ``ssd_<table>`` or whose
   columns carry an SSD table's prefix -- see ``docs/ssd.md``;
3. an SSDA903 table (``ssda903.py``): a CSV whose columns are a 903 table's -- see
   ``docs/ssda903.md``;
4. the DfE CIN census XML (any ``.xml`` file; a non-census XML file is a structural error);
5. an Ofsted ILACS Annex A workbook (``.xlsx``/``.xlsm`` whose sheets look like Annex A lists);
6. otherwise ``None``: the file is canonical CSV/XLSX/Parquet and the core loader reads it.

A file that two of these recognise (an SSD or 903 table that a mapping's glob also matches, or
that is named after a canonical extract; a file named as one SSD table with another's columns;
an SSD-named file with a 903 table's columns) is a structural error naming both, never a guess.

Every reader returns ``list[scorecard.frames.Frame]``: all-text columns with canonical names plus
``_row``. Readers never parse or drop values beyond what their format needs (a code spelled the
format's way becomes the canonical code, a date cell becomes ISO text); everything else is left
for the core loader to check and quarantine. Readers never modify the input file. A reader
raises :class:`Skip` for a file it recognises but the scorecard has no table for; the loader
records it as skipped, with the reason.

Importing this package is cheap: the format modules are imported only when needed.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..schema import TABLES, extract_name

if TYPE_CHECKING:  # pragma: no cover - typing only
    from ..errors import StructuralError
    from ..frames import Frame
    from .mapping import Mapping

__all__ = ["Skip", "build_frame", "cell_text", "companions", "derive_id", "id_key",
           "normalise_heading", "reader_for"]

Reader = Callable[[Path], "list[Frame]"]

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


class Skip(Exception):
    """A file a reader recognises but the scorecard does not read (e.g. an SSD table with no
    canonical table); the loader records it as skipped with this message."""


def normalise_heading(text: object) -> str:
    """A heading reduced for tolerant matching: lower case, every run of spaces, line breaks
    and punctuation made one space. ``"Referral\\nNFA?"`` -> ``"referral nfa"``."""
    return _NON_ALNUM.sub(" ", str(text).lower()).strip()


#: Key for derived ids, set by the loader (:func:`id_key`) so that a derived id, which hashes
#: the raw child id, cannot be reversed by guessing ids and dates.
_ID_KEY: contextvars.ContextVar[bytes] = contextvars.ContextVar("scorecard_id_key", default=b"")


@contextlib.contextmanager
def id_key(key: bytes) -> Iterator[None]:
    """Derive record ids with ``key`` (the pseudonymisation key) inside this block."""
    token = _ID_KEY.set(key)
    try:
        yield
    finally:
        _ID_KEY.reset(token)


def derive_id(prefix: str, *parts: object) -> str:
    """A deterministic record id for formats that carry none: ``prefix`` + 12 hex digits of
    HMAC-SHA256 over the parts (e.g. list, child id, date, occurrence), keyed with the
    pseudonymisation key while the loader reads (so the id reveals nothing about the child)."""
    mac = _keyed(_ID_KEY.get()).copy()   # the keyed state, computed once per key
    mac.update("\x1f".join(str(p) for p in parts).encode())
    return f"{prefix}-{mac.hexdigest()[:12]}"


@functools.lru_cache(maxsize=4)
def _keyed(key: bytes) -> hmac.HMAC:
    return hmac.new(key, digestmod=hashlib.sha256)


def _round_second(value: dt.datetime) -> dt.datetime:
    """Excel stores times as fractions of a day; undo float noise (09:14:59.9999 -> 09:15:00)."""
    if value.microsecond >= 500_000:
        value += dt.timedelta(seconds=1)
    return value.replace(microsecond=0)


def cell_text(value: Any, kind: str = "text") -> str | None:
    """Text for a spreadsheet cell value, as the core loader expects it.

    ``None``/blank -> ``None``; an Excel date cell -> ISO ``YYYY-MM-DD`` for ``date`` columns and
    ``YYYY-MM-DD HH:MM:SS`` otherwise; a whole number stored as float -> ``"12345"``;
    booleans -> ``"Y"``/``"N"``; text is stripped of surrounding spaces but otherwise untouched.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, dt.datetime):
        value = _round_second(value)
        if kind == "date":
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat() if kind == "date" else f"{value.isoformat()} 00:00:00"
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def build_frame(table: str, columns: Sequence[str], rows: list[dict[str, str | None]],
                row_numbers: list[int], location: str) -> Frame:
    """A :class:`~scorecard.frames.Frame` of Utf8 ``columns`` (in that order) plus ``_row``."""
    import polars as pl

    from ..frames import ROW, Frame

    data = pl.from_dicts(rows, schema={c: pl.Utf8 for c in columns}) if rows else \
        pl.DataFrame(schema={c: pl.Utf8 for c in columns})
    data = data.with_columns(pl.Series(ROW, row_numbers, dtype=pl.Int64))
    return Frame(table=table, data=data, location=location)


def _skip(message: str) -> Reader:
    def skip(path: Path) -> list[Frame]:
        raise Skip(message)
    return skip


def _conflict(path: Path, first: str, second: str) -> StructuralError:
    from ..errors import StructuralError

    return StructuralError(path, f"matches two formats: {first} and {second}; rename the file "
                                 f"or change its columns so that it matches one")


def companions(path: Path) -> list[Path]:
    """Other files a reader reads together with ``path`` (their content is part of what was
    loaded, so a change to one reloads ``path``): an SSD table's companion tables, e.g. the
    care episodes beside ``ssd_missing`` (see :mod:`scorecard.formats.ssd`)."""
    from . import ssd

    path = Path(path)
    if path.suffix.lower() == ".csv":
        from .csvfile import header

        name, columns = ssd.detect(path, header(path))
        if name or columns:
            return ssd.companions(path, name or columns)
    return []


def reader_for(path: Path, mappings: Iterable[Mapping] | None = None) -> Reader | None:
    """The reader for ``path``, or ``None`` when the core loader should read it as canonical.

    Order (see the module docstring): the exports of the first mapping file with an export
    whose ``files`` glob matches (all its matching exports are read and their frames
    concatenated, so one file may feed several tables; ``mappings`` lists user mapping files
    before the shipped ones), then SSD and SSDA903 tables, then CIN census XML for ``.xml``,
    then Annex A for workbooks that sniff as Annex A and are not named after a canonical
    extract (``missing_episodes.xlsx`` stays canonical).

    :raises StructuralError: when two formats recognise the file
    """
    from ..errors import StructuralError
    from . import ssd, ssda903
    from .csvfile import header

    path = Path(path)
    suffix = path.suffix.lower()
    matched = [m for m in (mappings or ()) if m.matches(path)]
    headings = header(path) if suffix == ".csv" else None
    ssd_name, ssd_columns = ssd.detect(path, headings)
    table_903 = ssda903.detect(headings)
    claims: list[str] = []
    if matched:
        claims.append(f"{matched[0].label} (by its file name)")
    if ssd_name and ssd_columns and ssd_name != ssd_columns:
        raise StructuralError(path, f"named as SSD table {ssd_name} but its columns are those of "
                                    f"SSD table {ssd_columns}; rename the file or fix its columns")
    if ssd_name or ssd_columns:
        claims.append(f"SSD table {ssd_name or ssd_columns} (by its "
                      f"{'file name' if ssd_name else 'columns'})")
    if table_903:
        claims.append(f"the SSDA903 {table_903} table (by its columns)")
    if (ssd_columns or table_903) and extract_name(path.stem) in TABLES:
        claims.append(f"the canonical {extract_name(path.stem)} extract (by its file name)")
    if (ssd_name or ssd_columns or table_903) and len(claims) > 1:
        raise _conflict(path, claims[0], claims[1])
    if ssd_name or ssd_columns:
        table = ssd_name or ssd_columns
        if suffix != ".csv":
            raise StructuralError(path, f"SSD tables are read from CSV files; save {table} as "
                                        f"{table}.csv")
        if table in ssd.KNOWN_UNUSED:
            return _skip(f"SSD table {table}: not used by the scorecard (no canonical table)")
        if table not in ssd.SSD_TABLES:
            raise StructuralError(path, f"unknown SSD table {table!r} (tables read: "
                                        f"{', '.join(ssd.SSD_TABLES)})")
        return lambda p: ssd.read(p, table)
    if table_903:
        return lambda p: ssda903.read(p, table_903)
    if matched:
        # only the first mapping file that matches: a user's mapping overrides a shipped one
        matched = [m for m in matched if m.source == matched[0].source]
        def read_mapped(p: Path) -> list[Frame]:
            return [frame for m in matched for frame in m.read(p)]
        return read_mapped
    if suffix == ".xml":
        from . import cin_census
        if _is_903_xml(path):
            raise StructuralError(path, "an SSDA903 XML return: export its Missing and Header "
                                        "tables as CSV files to load them (see docs/ssda903.md)")
        return cin_census.read
    if suffix in (".xlsx", ".xlsm") and extract_name(path.stem) not in TABLES:
        # a workbook named after a canonical extract is canonical, whatever its sheets say
        from . import annex_a
        if annex_a.sniff(path):
            return annex_a.read
    return None


def _is_903_xml(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", "replace")
    except OSError:
        return False
    return bool(re.search(r"<(?:\w+:)?EXPSSDA903\b", head, re.IGNORECASE))
