"""Run the declared rules over the census frame: one SQL query per rule, findings in DuckDB.

Every applicable rule version runs once over all returns whose rule set includes it; its
locations go to the temporary table ``cin_finding``. Nothing is read into Python row by row.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import duckdb

from .declarations import Rule, rules as all_rules
from .fields import FIELDS

__all__ = ["FINDING_COLUMNS", "RuleRun", "run_rules", "supplied_fields"]

FINDING_COLUMNS = ("rule_key varchar, code varchar, return_id integer, error_key varchar, row_key bigint, "
                   "field varchar, value varchar, context boolean")


@dataclass
class RuleRun:
    """What :func:`run_rules` did."""

    ran: dict[str, list[int]] = field(default_factory=dict)      # rule key -> return ids
    skipped: dict[str, str] = field(default_factory=dict)        # rule key -> why
    seconds: float = 0.0


def supplied_fields(con: duckdb.DuckDBPyConnection, return_id: int = 0) -> set[str]:
    """The census elements the records of a return actually carry (at least one value): the
    period return of a canonical extract may lack whole columns or tables, and a rule must not
    report every record for a column the extract never had."""
    counts: dict[tuple[str, str | None], int] = {}
    by_table: dict[str, set[str]] = {}
    for places in FIELDS.values():
        for table, column in places:
            if table != "cin_return":
                by_table.setdefault(table, set()).update({column} if column else set())
    for table, columns in by_table.items():
        cols = sorted(columns)
        select = ", ".join(["count(*)"] + [f"count({c})" for c in cols])
        row = con.execute(f"select {select} from {table} where return_id = $r", {"r": return_id}).fetchone()
        counts[(table, None)] = row[0]
        counts.update({(table, c): n for c, n in zip(cols, row[1:])})
    return {name for name, places in FIELDS.items()
            if any(t == "cin_return" or counts.get((t, c), 0) > 0 for t, c in places)}


def _staging_columns(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {f"{t}.{c}" for t, c in con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'staging'").fetchall()}


def run_rules(con: duckdb.DuckDBPyConnection, rules: tuple[Rule, ...] | None = None) -> RuleRun:
    """Run ``rules`` (default: every declared version) over the frame into ``cin_finding``.

    A version runs on the returns whose census year's rule set holds it. A rule's ``needs``
    names what it cannot do without: a census element the period return (id 0) must carry
    (a rule that reports blanks would otherwise report every record of an extract that never
    had the column), or a staging column (``table.column``) that must exist.
    """
    start = time.perf_counter()
    out = RuleRun()
    con.execute(f"create or replace temp table cin_finding ({FINDING_COLUMNS})").fetchall()
    returns = con.execute("select return_id, end_year from cin_return order by return_id").fetchall()
    supplied = supplied_fields(con) if any(r == 0 for r, _ in returns) else set()
    staged = _staging_columns(con)
    for rule in rules if rules is not None else all_rules():
        in_force = [r for r, end_year in returns if rule.applies_to(end_year)]
        if not in_force:
            continue
        missing_columns = [n for n in rule.needs if "." in n and n not in staged]
        if missing_columns:
            out.skipped[rule.key] = f"the loaded data has no {', '.join(missing_columns)}"
            continue
        absent = [n for n in rule.needs if "." not in n and n not in supplied]
        if 0 in in_force and absent:
            out.skipped[rule.key] = f"the extracts outside census files carry no {absent[0]}"
        ids = [r for r in in_force if r != 0 or not absent]
        if not ids:
            continue
        # every return it applies to (the usual case) needs no filter; return ids are our own integers
        where = "" if len(ids) == len(returns) else f" where return_id in ({', '.join(str(int(i)) for i in ids)})"
        con.execute(f"insert into cin_finding by name select $key as rule_key, $code as code, * "
                    f"from ({rule.sql}){where}", {"key": rule.key, "code": rule.code}).fetchall()
        out.ran[rule.key] = ids
    out.seconds = time.perf_counter() - start
    return out
