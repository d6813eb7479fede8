"""What the rules' findings become: rows of ``validation.csv``, ``cin_census_errors.csv`` (the
DfE's own error-report shape, with the source file and line of every location), the frame
Great Expectations renders into the Data Docs, the GX suite itself and the rules table of
``docs/cin-census-rules.md``. Every frame is made by one SQL query over ``cin_finding``."""
from __future__ import annotations

import json
from typing import Any

import duckdb
import polars as pl

from .declarations import Rule, rules as all_rules
from .fields import BLOCKS, PRIVATE_FIELDS

__all__ = ["ERROR_COLUMNS", "SUITE_NAME", "docs_table", "errors_frame", "gx_frame", "suite",
           "validation_rows", "WITHHELD"]

SUITE_NAME = "cin_census"
WITHHELD = "(withheld)"

#: the columns of cin_census_errors.csv
ERROR_COLUMNS = ["error_id", "rule_code", "rule_type", "census_year", "message", "table", "field", "value",
                 "source_file", "source_row", "record_table", "record_id", "child", "role"]

_LOCATIONS = " union all ".join(
    f"select row_key, '{t}' as frame_table, src_table, record_id, child_id, source_file, source_row from {t}"
    for t in BLOCKS if t != "cin_return")


def _rule_table(con: duckdb.DuckDBPyConnection) -> None:
    """``cin_rule``: the declarations as a table the output queries join."""
    frame = pl.DataFrame([(r.key, r.code, r.type, r.severity, r.check_id, r.message, r.table) for r in all_rules()],
                         schema=["rule_key", "code", "type", "severity", "check_id", "message", "return_table"],
                         orient="row")
    con.register("_cin_rules", frame.to_arrow())
    try:
        con.execute("create or replace temp table cin_rule as select * from _cin_rules").fetchall()
    finally:
        con.unregister("_cin_rules")


def _located(con: duckdb.DuckDBPyConnection) -> None:
    """``cin_located``: every finding with its location and rule."""
    _rule_table(con)
    con.execute(f"""
        create or replace temp table cin_located as
        select f.*, r.type, r.severity, r.check_id, r.message, r.return_table, t.label as census_year,
               t.source_file as return_file, l.frame_table, l.src_table, l.record_id, l.child_id,
               l.source_file, l.source_row
        from cin_finding as f
        join cin_rule as r using (rule_key)
        join cin_return as t using (return_id)
        left join ({_LOCATIONS}) as l using (row_key)""").fetchall()


def validation_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, str]]:
    """``validation.csv`` rows: one per flagged record (its own table and id) per rule, and one
    per failing return for the rules about the whole return (record id blank, period = census year)."""
    _located(con)
    rows = con.execute("""
        select distinct check_id, src_table as "table", severity, coalesce(record_id, '') as record_id,
               '' as period, message
        from cin_located
        where row_key is not null and not coalesce(context, false)
        union all
        select distinct check_id, return_table, severity, '', census_year, message || ': ' || coalesce(value, '')
        from cin_located
        where row_key is null
        order by all""").fetchall()
    keys = ("check_id", "table", "severity", "record_id", "period", "message")
    return [dict(zip(keys, r)) for r in rows]


def _block_sql() -> str:
    cases = " ".join(f"when '{t}' then '{b}'" for t, b in BLOCKS.items())
    return (f"case when frame_table = 'cin_child' and field = 'Ethnicity' then 'ChildCharacteristics' "
            f"when frame_table is null then 'Header' else case frame_table {cases} end end")


def errors_frame(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """``cin_census_errors.csv``: one row per failing location and rule.

    Locations of one error share ``error_id`` (rule code and a number, in file order); ``role``
    is ``flagged`` for a location at fault and ``related`` for one shown with it. Dates of birth,
    expected dates of birth, dates of death and UPNs are withheld: the file and row (an XML
    line for a census file) say where to look. ``child`` is the pseudonym
    (``scorecard whois`` finds the case for someone holding the raw files and the key)."""
    private = ", ".join(f"'{f}'" for f in sorted(PRIVATE_FIELDS))
    return con.sql(f"""
        with instances as (
            select rule_key, return_id, error_key,
                   min(coalesce(source_file, return_file, '')) as first_file,
                   min(coalesce(source_row, 0)) as first_row,
                   min(coalesce(record_id, '')) as first_record, min(coalesce(child_id, '')) as first_child
            from cin_located group by rule_key, return_id, error_key
        ),
        numbered as (
            select *, dense_rank() over (partition by rule_key
                                         order by first_file, first_row, return_id, first_record,
                                                  first_child, error_key) as n
            from instances
        ),
        located as (
        select distinct
            l.code || '-' || lpad(n.n::varchar, 5, '0') as error_id,
            l.code as rule_code,
            l.type as rule_type,
            l.census_year,
            l.message,
            {_block_sql()} as "table",
            l.field,
            case when l.field in ({private}) and l.value is not null then '{WITHHELD}'
                 else l.value end as value,
            nullif(coalesce(l.source_file, l.return_file), '') as source_file,
            l.source_row,
            l.src_table as record_table,
            l.record_id,
            l.child_id as child,
            case when coalesce(l.context, false) then 'related' else 'flagged' end as role
        from cin_located as l
        join numbered as n using (rule_key, return_id, error_key)
        )
        select * from located
        order by try_cast(rtrim(rule_code, 'Q') as integer), rule_code, error_id, role, source_file,
                 source_row, record_table, record_id, child, field, value""").pl()


def gx_frame(con: duckdb.DuckDBPyConnection):
    """The frame the ``cin_census`` GX suite validates: one row per flagged record and rule
    version (``rule``), so each rule's expectation "no record fails it" lists its records."""
    return con.execute("""
        select distinct rule_key as rule, coalesce(src_table, return_table) as table_name,
               coalesce(record_id, '') as record_id, case when row_key is null then census_year else '' end as period
        from cin_located
        where not coalesce(context, false)
        order by all""").df()


def suite(rule_keys: set[str] | None = None) -> dict[str, Any]:
    """The ``cin_census`` GX suite: one expectation per rule version, generated from the
    declarations (``expectations/cin_census.json`` is this, written by
    ``python -m scorecard.validate.cin_rules --write``). ``rule_keys``: only these versions."""
    expectations = []
    for r in all_rules():
        if rule_keys is not None and r.key not in rule_keys:
            continue
        expectations.append({
            "type": "expect_column_values_to_not_be_in_set",
            "kwargs": {"column": "rule", "value_set": [r.key]},
            "meta": {"check_id": r.check_id, "severity": r.severity, "message": r.message,
                     "code": r.code, "type": r.type, "years": r.years, "level": r.level,
                     "fields": list(r.fields), "checks": r.checks},
            # rendered beside the expectation in the Data Docs
            "notes": [f"DfE rule {r.code} ({r.type}, census years {r.years}): {r.message}",
                      f"Checks: {r.checks}"],
        })
    return {
        "name": SUITE_NAME,
        "meta": {
            "great_expectations_version": "1.24.1",
            "notes": ("The DfE CIN census validation rules, one expectation per rule version, generated "
                      "from scorecard/validate/cin_rules/sql/rules/*.sql. The rules run as DuckDB SQL over "
                      "the census frame; the frame validated here has one row per flagged record (column "
                      "rule), so each expectation fails with exactly the records its rule flags."),
        },
        "expectations": expectations,
    }


def suite_json() -> str:
    """The suite file's text (stable: sorted as declared, two-space indent, final newline)."""
    return json.dumps(suite(), indent=2, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def docs_table(rules: tuple[Rule, ...] | None = None) -> str:
    """The Markdown table of every rule version (code, type, years, message, what it checks, notes)."""
    lines = ["| code | type | census years | DfE message | what it checks | notes |",
             "|---|---|---|---|---|---|"]
    for r in rules if rules is not None else all_rules():
        lines.append(f"| {r.code} | {r.type} | {r.years} | {_cell(r.message)} | {_cell(r.checks)} | "
                     f"{_cell(r.note)} |")
    return "\n".join(lines) + "\n"
