"""What every reader hands the core loader."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

__all__ = ["Frame", "ROW"]

#: Name of the column holding the row number a person would see in the source file
#: (spreadsheet row, CSV line, XML element ordinal), used in every message.
ROW = "_row"


@dataclass
class Frame:
    """Rows for one canonical table read from one file (or one sheet / element group).

    ``data``: polars DataFrame whose columns are all ``pl.Utf8`` (blank/None = unknown),
    named with the canonical lower-case names of ``scorecard.schema.TABLES[table]`` (extra
    columns allowed, kept but unused), plus ``_row`` (``pl.Int64``) and optionally
    ``_extras`` (a JSON object per row of what the record holds beyond the canonical columns;
    merged with any other extra columns into ``raw.<table>._extras``).
    Dates may be ISO ``YYYY-MM-DD``, UK ``DD/MM/YYYY`` or Excel serials; readers that know a
    cell is a date should emit ISO text. ``location`` names the file (and sheet) for messages.
    ``source`` says who reported the rows (``case_management`` for the case-management system's
    own extracts, ``ssda903`` for the 903 return, ``police``, ...); the ledger records it and
    missing episodes reported by several sources are matched on it (``docs/missing_matching.md``).

    Reserved columns a reader may add: ``_reject_column``, ``_reject_value`` and
    ``_reject_reason`` quarantine the row with that reason (for values the format itself rules
    out, e.g. a code outside a closed list); they are never stored.
    """

    table: str
    data: pl.DataFrame
    location: str
    #: what the file says about itself (a CIN census header: collection year, reference date,
    #: LA ...), the same dict on every frame of the file; the loader records it in
    #: ``meta.file_facts`` (``None``: the format says nothing about itself)
    facts: dict[str, Any] | None = None
    source: str = "case_management"
