"""The SSDA903 return (children looked after), as the CSV tables LAs and the DfE's validator
use.

The 903 return is submitted to the DfE as XML, but every LA also holds it as one CSV table per
903 table (the form the DfE's 903 validation tool reads). The DfE fixes no file names, so, as
that tool does, a table is recognised by its columns, whatever the file is called:

=============  ==========================================  ===================================
903 table      columns                                     canonical table
=============  ==========================================  ===================================
Missing        CHILD, DOB, MISSING, MIS_START, MIS_END     missing_episodes (looked_after = Y)
Header         CHILD, SEX, DOB, ETHNIC, UPN, MOTHER,       children (with upn)
               MC_DOB
=============  ==========================================  ===================================

The other 903 tables (Episodes, Reviews, UASC, OC2, OC3, AD1, PlacedAdoption, PrevPerm,
SWEpisodes, DoLo) are recognised and reported as skipped: the canonical layout has no table for
them. Column names are matched ignoring case and surrounding spaces.

Missing: every 903 missing row is of a looked-after child (``looked_after`` = Y). ``MISSING``
is ``M`` (missing from care) or ``A`` (away from placement without authorisation); lower case
and the words Missing / Away / Absent are accepted; any other value is quarantined with the
reason (the 903 has a closed code list). ``MIS_START``/``MIS_END`` are dates (DD/MM/YYYY; the
903 holds no time of day, so they load as 00:00); a blank ``MIS_END`` means still missing. The
903 has no episode id: ids are derived from the child, the start date and its occurrence
(``903M-`` + a keyed hash). ``DOB`` is kept as the extra column ``dob``. The 903 has no return
home interview data at all.

Header: ``SEX`` 1/2 becomes M/F; ``UPN`` is the canonical ``upn``; ``MC_DOB`` (the date of
birth of the young person's own child: another child's personal data, with no canonical column)
is never loaded; ``MOTHER`` is kept as an extra column.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import polars as pl

from ..errors import StructuralError
from ..frames import Frame
from ..schema import MISSING_TYPES
from . import Skip, build_frame, derive_id, normalise_heading
from .csvfile import read_rows

__all__ = ["TABLES_903", "detect", "read", "write"]

SOURCE = "ssda903"

#: 903 table -> (columns that identify it beside CHILD, its columns in the DfE order)
TABLES_903: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "Missing": (frozenset({"MISSING", "MIS_START", "MIS_END"}),
                ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END")),
    "Header": (frozenset({"ETHNIC", "MC_DOB", "MOTHER"}),
               ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")),
    "Episodes": (frozenset({"DECOM", "RNE", "PLACE_PROVIDER"}), ()),
    "Reviews": (frozenset({"REVIEW", "REVIEW_CODE"}), ()),
    "UASC": (frozenset({"DUC"}), ()),
    "OC2": (frozenset({"SDQ_SCORE", "CONVICTED", "HEALTH_CHECK"}), ()),
    "OC3": (frozenset({"IN_TOUCH", "ACTIV", "ACCOM"}), ()),
    "AD1": (frozenset({"DATE_INT", "DATE_MATCH", "NB_ADOPTR"}), ()),
    "PlacedAdoption": (frozenset({"DATE_PLACED", "DATE_PLACED_CEASED"}), ()),
    "PrevPerm": (frozenset({"PREV_PERM", "DATE_PERM"}), ()),
    "SWEpisodes": (frozenset({"SW_ID", "SW_DECOM"}), ()),
    "DoLo": (frozenset({"DOLO_START", "DOLO_END"}), ()),
}
#: the columns each table read needs (DOB on the Missing table is only a cross-check)
_NEEDS = {"Missing": ("CHILD", "MISSING", "MIS_START", "MIS_END"), "Header": ("CHILD",)}
_DROPPED = {"MC_DOB"}
_TYPES = {"m": "M", "missing": "M", "a": "A", "away": "A", "absent": "A"}
_SEX = {"1": "M", "2": "F"}


def detect(headings: list[str] | None) -> str | None:
    """The 903 table a CSV heading line belongs to (``"Missing"``, ``"Header"``, ...), else
    ``None``: a ``CHILD`` column and at least one column only that table has."""
    if not headings:
        return None
    names = {h.strip().upper() for h in headings}
    if "CHILD" not in names:
        return None
    for table, (marks, _) in TABLES_903.items():
        if names & marks:
            return table
    return None


def _iso(text: str | None) -> str | None:
    """A 903 date (DD/MM/YYYY, or ISO) as ISO text; other text unchanged."""
    if text is None:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), pattern).date().isoformat()
        except ValueError:
            continue
    return text


def read(path: Path, table: str | None = None) -> list[Frame]:
    """Read a 903 table file (see the module docstring).

    :raises Skip: for a 903 table the scorecard does not use
    :raises StructuralError: a missing column, or not a 903 table
    """
    path = Path(path)
    raw, rows = read_rows(path)
    table = table or detect(raw)
    if table is None:
        raise StructuralError(path, "not an SSDA903 table (no CHILD column with a 903 table's columns)")
    if table not in _NEEDS:
        raise Skip(f"SSDA903 {table} table: not used by the scorecard ({len(rows)} rows)")
    names = [h.strip().upper() for h in raw]
    seen: dict[str, str] = {}
    for h, n in zip(raw, names):
        if n and n in seen:
            raise StructuralError(path, f"column appears twice ({seen[n]!r} and {h!r})", column=n)
        seen[n] = h
    for need in _NEEDS[table]:
        if need not in seen:
            raise StructuralError(path, f"missing column of the SSDA903 {table} table", column=need)
    known = set(TABLES_903[table][1])
    extras = [n for n in names if n and n not in known]
    records, lines = [], []
    occurrences: dict[tuple[str, str], int] = {}
    for line, cells in rows:
        r = {n: (cells[i] if i < len(cells) else None) for i, n in enumerate(names) if n}
        if table == "Missing":
            rec = _missing(r, occurrences)
            rec["dob"] = r.get("DOB")
        else:
            rec = {"child_id": r.get("CHILD"), "date_of_birth": r.get("DOB"),
                   "sex": _SEX.get((r.get("SEX") or "").strip(), r.get("SEX")),
                   "ethnicity": r.get("ETHNIC"), "upn": r.get("UPN"), "mother": r.get("MOTHER")}
        rec.update({_extra(x): r.get(x) for x in extras if x not in _DROPPED})
        records.append(rec)
        lines.append(line)
    if table == "Missing":
        columns = ["missing_episode_id", "child_id", "missing_start_datetime", "missing_end_datetime",
                   "missing_type", "looked_after", "_reject_column", "_reject_value", "_reject_reason"]
        columns += ["dob"] if "DOB" in seen else []
        canonical = "missing_episodes"
    else:
        columns = ["child_id"] + [c for c, src in (("date_of_birth", "DOB"), ("sex", "SEX"),
                                                   ("ethnicity", "ETHNIC"), ("upn", "UPN"),
                                                   ("mother", "MOTHER")) if src in seen]
        canonical = "children"
    columns += [_extra(x) for x in extras if x not in _DROPPED]
    frame = build_frame(canonical, columns, records, lines, f"{path.name} (SSDA903 {table})")
    frame.source = SOURCE
    return [frame]


def _extra(name: str) -> str:
    return "extra_" + name.lower() if name.lower() in {"dob", "mother"} else name.lower()


def _missing(r: dict[str, str | None], occurrences: dict[tuple[str, str], int]) -> dict:
    child, start = r.get("CHILD"), r.get("MIS_START")
    key = ((child or "").strip(), _iso(start) or "")
    occurrences[key] = n = occurrences.get(key, 0) + 1
    code = r.get("MISSING")
    mtype = None if code is None else _TYPES.get(normalise_heading(code), code)
    rec = {"missing_episode_id": derive_id("903M", *key) if n == 1 else derive_id("903M", *key, n),
           "child_id": child, "missing_start_datetime": start, "missing_end_datetime": r.get("MIS_END"),
           "missing_type": mtype, "looked_after": "Y"}
    if mtype is not None and mtype not in MISSING_TYPES:
        rec.update(_reject_column="missing_type", _reject_value=code,
                   _reject_reason=f"unknown MISSING code {code!r} (SSDA903 codes: M missing from "
                                  "care, A away from placement without authorisation)")
    return rec


# --------------------------------------------------------------------------- writing

def _date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.strftime("%d/%m/%Y")


def write(tables: dict[str, pl.DataFrame], folder: Path) -> list[Path]:
    """Write the 903 Header and Missing tables for the looked-after children's missing
    episodes (``ssda903_header.csv``, ``ssda903_missing.csv``; dates DD/MM/YYYY, as the 903
    validator reads them). The 903 cannot hold times of day, episode ids, unknown sex (written
    blank), return interviews or episodes of children who are not looked after."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    missing = tables["missing_episodes"].filter(pl.col("looked_after").fill_null(False))
    children = tables["children"].filter(pl.col("child_id").is_in(missing["child_id"].unique().implode()))
    dob = dict(zip(children["child_id"], children["date_of_birth"]))
    sex = {v: k for k, v in _SEX.items()}
    header_rows = [[r["child_id"], sex.get(r.get("sex"), ""), _date(r.get("date_of_birth")),
                    r.get("ethnicity") or "", r.get("upn") or "", "", ""]
                   for r in children.iter_rows(named=True)]
    missing_rows = [[r["child_id"], _date(dob.get(r["child_id"])), r.get("missing_type") or "",
                     _date(r.get("missing_start_datetime")), _date(r.get("missing_end_datetime"))]
                    for r in missing.iter_rows(named=True)]
    out = []
    for name, table, body in (("ssda903_header.csv", "Header", header_rows),
                              ("ssda903_missing.csv", "Missing", missing_rows)):
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(TABLES_903[table][1])
        w.writerows(body)
        path = folder / name
        path.write_text(buf.getvalue(), encoding="utf-8")
        out.append(path)
    return out
