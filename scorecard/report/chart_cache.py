"""Charts drawn once: a chart whose inputs did not change is not drawn again.

A chart's files (PNG and SVG) depend only on its description (:class:`.chart_spec.ChartSpec`: every
value, label, note and alt text), on the code that draws it (the package's chart modules) and
on the drawing libraries (matplotlib, Pillow). The digest of all three keys the
``meta.chart_cache`` table of the build's database; a hit writes the stored bytes, which are
the bytes drawing it would write (charts are byte-identical on re-run), so a re-run, the next
month's build and the demo's later builds draw only the charts that changed. A fresh database
draws everything.

Each entry remembers the last build that used it; entries no build among the last :data:`KEEP`
used are deleted, so the table holds about :data:`KEEP` builds' charts at most.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata, resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

    from .chart_spec import ChartSpec

__all__ = ["KEEP", "CODE_FILES", "ChartCache", "code_version", "digest"]

#: builds whose charts are kept (an entry no build among the last KEEP used is deleted)
KEEP = 3
#: the package files a chart's bytes depend on: the drawing code, every report module it
#: imports (styling, number formats, ``c``, words), and where ``format_value`` is defined
CODE_FILES = ("report/charts.py", "report/chart_spec.py", "report/chart_draw.py",
              "report/chart_files.py", "report/palette.py", "report/table.py", "report/tables.py",
              "report/sdc.py", "report/coverage.py", "report/status.py", "report/wording.py",
              "report/chart_cache.py")
#: the libraries whose version changes the bytes drawn
_LIBRARIES = ("matplotlib", "pillow", "numpy")

_CODE: str | None = None


def code_version() -> str:
    """Digest of the chart code and the drawing libraries' versions."""
    global _CODE
    if _CODE is None:
        h = hashlib.sha256()
        root = resources.files("scorecard")
        for name in CODE_FILES:
            h.update(name.encode() + b"\0" + root.joinpath(name).read_bytes() + b"\0")
        for lib in _LIBRARIES:
            h.update(f"{lib}=={metadata.version(lib)}\0".encode())
        _CODE = h.hexdigest()
    return _CODE


def digest(spec: "ChartSpec", code: str | None = None) -> str:
    """The cache key of ``spec``: its full description (``repr`` of the frozen dataclass: every
    value exactly, as floats repr round-trip) and :func:`code_version` (or ``code``)."""
    h = hashlib.sha256()
    h.update((code if code is not None else code_version()).encode())
    h.update(repr(spec).encode("utf-8"))
    return h.hexdigest()


@dataclass
class ChartCache:
    """The ``meta.chart_cache`` table of a database, used by build ``run_id``.

    ``hits`` and ``drawn`` count what :func:`.chart_files.save_all` found and drew."""

    con: "duckdb.DuckDBPyConnection"
    run_id: int
    hits: int = 0
    drawn: int = 0
    _ready: bool = field(default=False, repr=False)

    def _table(self) -> None:
        if not self._ready:
            self.con.execute("create table if not exists meta.chart_cache (key varchar primary key, "
                             "png blob, svg blob, used_run bigint)").fetchall()
            self._ready = True

    def get(self, keys: Iterable[str]) -> dict[str, tuple[bytes, bytes]]:
        """The stored ``(png, svg)`` of each key found (marked used by this build)."""
        self._table()
        keys = sorted(set(keys))
        if not keys:
            return {}
        rows = self.con.execute("select key, png, svg from meta.chart_cache where list_contains($k, key)",
                                {"k": keys}).fetchall()
        self.con.execute("update meta.chart_cache set used_run = $r where list_contains($k, key)",
                         {"r": self.run_id, "k": keys}).fetchall()
        found = {k: (bytes(p), bytes(s)) for k, p, s in rows}
        self.hits += len(found)
        return found

    def put(self, entries: Sequence[tuple[str, bytes, bytes]]) -> None:
        """Store ``(key, png, svg)`` entries drawn by this build; forget entries no build among
        the last :data:`KEEP` used."""
        self._table()
        for key, png, svg in entries:
            self.con.execute("insert or replace into meta.chart_cache values ($k, $p, $s, $r)",
                             {"k": key, "p": png, "s": svg, "r": self.run_id}).fetchall()
        self.drawn += len(entries)
        self.con.execute("delete from meta.chart_cache where used_run <= $r",
                         {"r": self.run_id - KEEP}).fetchall()
