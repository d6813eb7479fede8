"""Taking in a file read into ``_in`` (:mod:`scorecard.canonical`): its columns normalised,
its cells checked, its person ids pseudonymised (each distinct id hashed once per load, in
DuckDB), its bad cells quarantined and its rows inserted into ``raw.<table>``; set-based."""
from __future__ import annotations

import hashlib
import hmac
from typing import Iterable

import duckdb

from .canonical import drop_input, quote, run
from .errors import StructuralError
from .frames import ROW
from .schema import TABLES, Table

__all__ = ["REJECT_COLUMNS", "ingest", "pseudonymise", "hmac_pads"]

#: columns a reader may add to reject a row (``scorecard.frames.Frame``); never stored
REJECT_COLUMNS = ("_reject_column", "_reject_value", "_reject_reason")

_REASONS = {
    "date": "unparseable date (expected YYYY-MM-DD, DD/MM/YYYY or an Excel date)",
    "datetime": "unparseable date-time (expected YYYY-MM-DD HH:MM[:SS] or DD/MM/YYYY HH:MM[:SS])",
    "flag": "unrecognised flag (expected Y/N, Yes/No, 1/0 or True/False)",
}
_PARSER = {"date": "sc_date", "datetime": "sc_datetime", "flag": "sc_flag"}


def _lit(text: str) -> str:
    """A SQL string literal for a column name (identifiers only, never data values)."""
    return "'" + text.replace("'", "''") + "'"


def pseudonymise(values: Iterable[str], key: bytes) -> dict[str, str]:
    """Keyed pseudonyms (HMAC-SHA256, first 16 hex digits, prefixed ``P``) for child ids.

    The same id always gets the same pseudonym under the same key; ids are trimmed first.
    """
    return {v: "P" + hmac.new(key, v.strip().encode("utf-8"), hashlib.sha256).hexdigest()[:16]
            for v in values}


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
    select = [f"{quote(seen[ROW])} as {ROW}"]
    for c in table.column_names:
        select.append(f"cast({quote(seen[c])} as varchar) as {quote(c)}" if c in seen else f"null::varchar as {quote(c)}")
    # a reader's own _extras (JSON per row), merged with any other extra columns
    given = f"cast({quote(seen['_extras'])} as varchar)" if "_extras" in seen else None
    if extras:
        pairs = ", ".join(f"{_lit(n)}, {quote(seen[n])}" for n in extras)
        made = f"cast(json_object({pairs}) as varchar)"
        select.append(f"coalesce(cast(json_merge_patch({given}, {made}) as varchar), {made}) as _extras"
                      if given else f"{made} as _extras")
    else:
        select.append(f"{given or 'null::varchar'} as _extras")
    for c in REJECT_COLUMNS:
        select.append(f"cast({quote(seen[c])} as varchar) as {c}" if c in seen else f"null::varchar as {c}")
    run(con, f"create or replace temp view _norm as select {', '.join(select)} from _in")
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
    run(con, f"insert into _pseud select k, sc_pseudonym(k, $ipad, $opad) from (select distinct k from ({ids})) "
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
    exprs += [f"count(sc_blank({quote(c)}))" for c in supplied]
    kinds = {c.name: c for c in table.columns}
    parsed = [c for c in supplied if kinds[c].kind in _PARSER]
    exprs += [f"count({_PARSER[kinds[c].kind]}({quote(c)}))" for c in parsed]
    conditional = [c for c in supplied if kinds[c].required and kinds[c].blank_when]
    exprs += [f"count(*) filter (where sc_blank({quote(c)}) is null and sc_flag({quote(kinds[c].blank_when)}) is not true)"
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
    rid = f"sc_text({quote(table.id_column)})"
    # rows the reader rejected (a value its format rules out), then cells that cannot be parsed
    out = [(f"{rid} as record_id, _reject_column as column_name, _reject_value as raw_value, "
            f"_reject_reason as reason", "_reject_reason is not null")]
    for c in table.columns:
        col = quote(c.name)
        if c.required:
            # a blank is allowed where the column's blank_when flag is true (an NFA census block)
            allowed = f" and sc_flag({quote(c.blank_when)}) is not true" if c.blank_when else ""
            out.append((f"{rid}, {_lit(c.name)}, {col}, 'blank required value'", f"sc_blank({col}) is null{allowed}"))
        if c.kind in _PARSER:
            out.append((f"{rid}, {_lit(c.name)}, {col}, {_lit(_REASONS[c.kind])}",
                        f"sc_blank({col}) is not null and {_PARSER[c.kind]}({col}) is null"))
    return out


def _problems_sql(table: Table, source: str = "_ready") -> str:
    """Every quarantined cell of ``source`` (one row per problem)."""
    return " union all ".join(f"select {ROW}, {what} from {source} where {cond}" for what, cond in _checks(table))


def ingest(con: duckdb.DuckDBPyConnection, frame_table: str, label: str, rel: str, key: bytes,
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
        run(con, "insert into meta.load_columns select $id, $t, unnest($c), unnest($n)",
             {"id": load_id, "t": table.name, "c": supplied, "n": [present[c] for c in supplied]})
    _pseudonyms_for(con, key, table)
    run(con, _ready_view(table))
    rejected = 0
    if n_problems:
        bad = " or ".join(f"({cond})" for _, cond in _checks(table))
        run(con, f"create or replace temp table _bad0 as select * from _norm where {bad}")
        run(con, _ready_view(table, "_bad0", "_bad", temp_table=True))
        run(con, "drop table _bad0")
        run(
            con, "insert into quarantine.rejected_rows select $load_id, $file, _row, $table, record_id, "
            f"column_name, raw_value, reason from ({_problems_sql(table, '_bad')}) order by _row, column_name",
            {"load_id": load_id, "file": rel, "table": table.name})
        rejected = con.execute(f"select count(distinct {ROW}) from _bad").fetchall()[0][0]
    flag = f"{ROW} in (select {ROW} from _bad)" if n_problems else "false"
    cols = ", ".join(quote(c) for c in table.column_names)
    run(
        con, f"insert into raw.{table.name} (load_id, source_file, source_row, _rejected, _extras, {cols}) "
        f"select $load_id, $file, {ROW}, {flag}, _extras, {cols} from _ready order by {ROW}",
        {"load_id": load_id, "file": rel})
    run(con, "drop view _ready; drop view _norm; drop table if exists _bad")
    drop_input(con)
    return read, rejected

