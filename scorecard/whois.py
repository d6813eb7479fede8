"""Who is behind a pseudonym: for someone who holds the raw files and the key.

Outputs name children only by pseudonym (``P`` + 16 hex digits, a keyed hash of the case
management id). :func:`whois` reads the raw files again exactly as the loader reads them,
derives the pseudonym of every child id with the key, and returns the matches: the case id,
file and row. Nothing is written anywhere; the CLI prints the answer on the terminal.
"""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .errors import ScorecardError

__all__ = ["Match", "whois"]

_PSEUDONYM = re.compile(r"^P[0-9a-f]{16}$")


@dataclass(frozen=True)
class Match:
    pseudonym: str
    case_id: str          # the raw id as written in the file
    file: str
    table: str
    row: int
    column: str           # child_id, or legacy_id (an id in the previous system)


def whois(pseudonyms: Iterable[str], raw_dir: str | Path, *, key: bytes,
          mappings: Iterable[Path] = ()) -> list[Match]:
    """Every place in ``raw_dir`` whose child id has one of ``pseudonyms`` under ``key``.

    :raises ScorecardError: a pseudonym that is not ``P`` + 16 hex digits.
    """
    from .db import connect
    from .formats.mapping import load_mappings
    # the loader's own readers, so a file is read here exactly as it was loaded
    from .formats import Skip
    from .canonical import discover, drop_input, frames_for
    from .ingest import hmac_pads

    wanted = sorted({p.strip() for p in pseudonyms})
    bad = [p for p in wanted if not _PSEUDONYM.match(p)]
    if bad:
        raise ScorecardError(f"{bad[0]!r} is not a pseudonym (P and 16 hex digits, as in the outputs)")
    raw_dir = Path(raw_dir)
    files, _ = discover(raw_dir)
    maps = load_mappings(list(mappings))
    ipad, opad = hmac_pads(key)
    con = connect(":memory:")
    out: list[Match] = []
    try:
        with tempfile.TemporaryDirectory(prefix="scorecard-whois-") as tmp:
            for path in files:
                rel = path.relative_to(raw_dir).as_posix()
                try:
                    readers, _ = frames_for(con, path, rel, maps, Path(tmp), key)
                except Skip:   # recognised, but nothing the scorecard loads
                    continue
                for table, fill, _location, _source in readers:
                    fill()
                    out += _matches(con, wanted, rel, table, ipad, opad)
                    drop_input(con)
    finally:
        con.close()
    return sorted(out, key=lambda m: (m.pseudonym, m.file, m.row, m.column))


def _matches(con, wanted: list[str], rel: str, table: str, ipad: bytes, opad: bytes) -> list[Match]:
    columns = {c.strip().lower(): c for (c, *_rest) in con.execute("describe _in").fetchall()}
    ids = [c for c in ("child_id", "legacy_id") if c in columns and (c == "child_id" or table == "children")]
    found = []
    for name in ids:
        col = '"' + columns[name].replace('"', '""') + '"'
        rows = con.execute(
            f"select p, trim({col}), _row from (select sc_pseudonym(trim(cast({col} as varchar)), $i, $o) as p, "
            f"{col}, _row from _in where sc_blank(cast({col} as varchar)) is not null) where p in (select unnest($w))",
            {"i": ipad, "o": opad, "w": wanted}).fetchall()
        found += [Match(p, str(raw), rel, table, int(row), name) for p, raw, row in rows]
    return found
