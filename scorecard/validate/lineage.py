"""Which figures a failing check touches, derived from the SQL (column-level lineage).

A check reads some columns of the records it flags (the columns of its expectation, or the
columns its SQL reads); those staging columns feed mart columns (``scorecard/sql/marts``),
and a metric reads mart columns (its date, end and breakdown columns and the columns of its
numerator and denominator) plus every column that decides which mart rows exist (joins,
filters, de-duplication). A check *touches* a metric when the staging columns it reads meet
the staging columns the metric rests on. Nothing here is hand-listed: the mart SQL is parsed
with sqlglot, the checks come from the expectation suites and the check SQL, the metrics from
their declarations; so a new metric, mart column or check is linked without editing this file.

Inputs are ``(table, column)`` pairs of staging tables; the column ``*`` stands for the record
itself (its existence). Every mart reading a table depends on ``(table, "*")``, and a check that
doubts the whole record (it reads the table's id column, a duplicate id, a record migrated
twice, a row that could not be loaded, a month with records missing) reads ``(table, "*")``.

Measuring the change a check makes (recomputing without its records) gives the size of the
effect (:func:`scorecard.validate.report.impact_frame`); it misses a flag that is wrong
without changing a count, which is why figures are marked by lineage.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import polars as pl

from ..schema import TABLES
from .lineage_sql import (MART, RECORD, STG, Everything, Input, MartLineage, Resolver, derive_mart_lineage,
                          qualified, staging_schema)

__all__ = [
    "AFFECTS_SCHEMA",
    "RECORD",
    "CheckInputs",
    "affects_frame",
    "check_inputs",
    "lineage_digest",
    "mart_lineage",
    "metric_inputs",
    "metrics_touched",
]


#: ``affects`` frame: one row per failing check (and table) and metric it touches; ``period``
#: is blank when the check touches every period of the metric, else the month it is about.
AFFECTS_SCHEMA = {"check_id": pl.Utf8, "table": pl.Utf8, "severity": pl.Utf8,
                  "metric_id": pl.Utf8, "period": pl.Utf8}


@lru_cache(maxsize=1)
def mart_lineage() -> dict[str, MartLineage]:
    """Every mart's lineage back to staging columns, from the mart SQL.

    Read from the stored lineage (``lineage.json``) when it was derived from the same SQL,
    checks and code (:func:`lineage_digest`), else derived here. A mart whose SQL sqlglot
    cannot follow is logged and given the conservative lineage (everything it reads feeds
    everything it gives); a test keeps the shipped marts parsed."""
    stored = _stored()
    if stored is not None:
        out = _Marts({name: MartLineage({c: _pairs(i) for c, i in m["columns"].items()}, _pairs(m["rows"]))
                      for name, m in stored["marts"].items()})
        out.metrics = {m: _pairs(i) for m, i in stored["metrics"].items()}
        return out
    return _Marts(derive_mart_lineage())


class _Marts(dict):
    """Mart lineages by name; ``metrics``: the stored inputs of every metric, when the lineage
    was read from the stored one (None: derive them from the marts)."""

    metrics: dict[str, frozenset[Input]] | None = None


# --------------------------------------------------------------------------- metrics

def _expression_columns(sql: str) -> set[str]:
    import sqlglot
    from sqlglot import exp

    return {c.name for c in sqlglot.parse_one(sql, dialect="duckdb").find_all(exp.Column)}


@lru_cache(maxsize=None)
def metric_inputs(metric_id: str) -> frozenset[Input]:
    """The staging inputs one metric rests on (``(table, column)``; ``*`` = the records)."""
    from ..metrics import METRICS

    m = METRICS[metric_id]
    if m.of:
        return metric_inputs(m.of)
    marts = mart_lineage()
    if marts.metrics is not None and metric_id in marts.metrics:
        return marts.metrics[metric_id]
    return _metric_inputs(metric_id, marts)


def _metric_inputs(metric_id: str, marts: Mapping[str, MartLineage]) -> frozenset[Input]:
    from ..metrics import METRICS

    m = METRICS[metric_id]
    if m.of:
        return _metric_inputs(m.of, marts)
    lineage = marts[m.mart]
    cols = set(m.columns)
    for expr in (m.numerator, m.denominator):
        if expr:
            cols |= _expression_columns(expr)
    out = set(lineage.rows)
    for c in cols:
        if c not in lineage.columns:
            raise ValueError(f"metric {m.id!r} reads {c!r}, which mart {m.mart!r} does not have")
        out |= lineage.columns[c]
    return frozenset(out)


# --------------------------------------------------------------------------- checks

@dataclass(frozen=True)
class CheckInputs:
    """What a check reads of the records it flags."""

    table: str
    columns: frozenset[Input]
    #: a check about a month (blank record ids): it touches that month and its year only
    periodic: bool = False


def _sql_reads(sql: str, table: str) -> frozenset[Input]:
    """The columns of ``table`` a check's SQL reads, other than to name the record."""
    from sqlglot.optimizer.scope import build_scope

    schema = staging_schema()
    sql = re.sub(r"\bstaging\.(\w+)", lambda m: STG + m.group(1), sql)
    tree = qualified(sql, schema)
    tree.set("distinct", None)   # de-duplicating the findings flags no other record
    root = build_scope(tree)
    resolver = Resolver({})
    out = set(resolver.rows(root))
    for s in tree.selects:
        if s.alias_or_name != "record_id":   # naming the record is not reading it
            out |= resolver.select(root, s.alias_or_name)
    return frozenset(i for i in out if i[0] == table and i[1] != RECORD)


def _whole(table: str, cols: Iterable[Input]) -> frozenset[Input]:
    """A check reading the table's id column doubts the record itself."""
    cols = frozenset(cols)
    if (table, TABLES[table].id_column) in cols:
        cols |= {(table, RECORD)}
    return cols


@lru_cache(maxsize=1)
def check_inputs() -> dict[str, CheckInputs]:
    """Every check id of the suites, with what it reads (from the stored lineage when it is
    current, as :func:`mart_lineage`)."""
    stored = _stored()
    if stored is not None:
        return {cid: CheckInputs(c["table"], _pairs(c["columns"]), c["periodic"])
                for cid, c in stored["checks"].items()}
    return _derive_check_inputs()


def _derive_check_inputs() -> dict[str, CheckInputs]:
    from .checks import derived_checks
    from .suites import expectation_columns, load_suite

    derived = {(c.table, c.column): c.sql for c in derived_checks(date(2000, 1, 1))}
    out: dict[str, CheckInputs] = {}
    for name in TABLES:
        for e in load_suite(name)["expectations"]:
            cols: set[Input] = set()
            # the columns tested, not those of a row condition (it only picks the rows tested:
            # a referral source from before April 2013 is not a doubt about the referral date)
            for col in expectation_columns(e, condition=False):
                if col.startswith("chk_"):
                    cols |= _sql_reads(derived[(name, col)], name)
                elif col.startswith("days_after_birth_"):
                    cols |= {(name, col.removeprefix("days_after_birth_")),
                             ("children", "date_of_birth")}
                else:
                    cols.add((name, col))
            out[e["meta"]["check_id"]] = CheckInputs(name, _whole(name, cols))
    for suite in ("monthly_volumes", "code_shares"):
        for e in load_suite(suite)["expectations"]:
            out[e["meta"]["check_id"]] = CheckInputs("", frozenset(), periodic=True)
    return out


_CODE_COLUMN = re.compile(r"column_name (\w+)")


def _row_inputs(check_id: str, table: str, record_id: str, message: str) -> frozenset[Input]:
    """What one failing validation row reads."""
    known = check_inputs().get(check_id)
    if table not in TABLES:   # a table this package does not know: it could be anything
        return frozenset((t, RECORD) for t in TABLES)
    if check_id.startswith("load."):   # a row that could not be read: the record is missing
        return frozenset({(table, RECORD)})
    if known is None:
        return frozenset({(table, RECORD)})
    if known.periodic:
        code = _CODE_COLUMN.search(message or "")
        if code and code.group(1) in TABLES[table].column_names:
            return frozenset({(table, code.group(1))})
        return frozenset({(table, RECORD)})
    if known.table != table:
        return frozenset({(table, RECORD)})
    return known.columns


def metrics_touched(inputs: Iterable[Input], metric_ids: Iterable[str] | None = None) -> list[str]:
    """The metrics (in registry order) resting on any of ``inputs``."""
    from ..metrics import METRICS

    inputs = set(inputs)
    ids = METRICS.ids if metric_ids is None else [m for m in METRICS.ids if m in set(metric_ids)]
    return [m for m in ids if metric_inputs(m) & inputs]


def affects_frame(validation: pl.DataFrame) -> pl.DataFrame:
    """For each failing check (and table), the metrics it touches (the ``affects`` frame).

    A check about records touches the metric in every period; a check about a month
    (``volume.monthly_gap``, ``migration.code_drift``) names that month in ``period``.
    """
    if validation.is_empty():
        return pl.DataFrame(schema=AFFECTS_SCHEMA)
    rows: dict[tuple[str, str, str, str, str], None] = {}
    seen: dict[tuple[str, str, str, str], frozenset[Input]] = {}
    # what a row reads depends on its check and table (and, for a check about a month, its
    # message), never on its record: worked out once per check, not once per failing record
    known: dict[tuple[str, str, str], frozenset[Input]] = {}
    checks = check_inputs()
    for r in validation.select("check_id", "table", "severity", "record_id", "period",
                               "message").iter_rows(named=True):
        periodic = not r["record_id"] and bool(r["period"])
        key = (r["check_id"], r["table"], r["severity"], r["period"] if periodic else "")
        by_message = r["check_id"] in checks and checks[r["check_id"]].periodic
        memo = (r["check_id"], r["table"], r["message"] if by_message else "")
        if memo not in known:
            known[memo] = _row_inputs(r["check_id"], r["table"], r["record_id"], r["message"])
        seen[key] = seen.get(key, frozenset()) | known[memo]
    for (check_id, table, severity, period), inputs in seen.items():
        for m in metrics_touched(inputs):
            rows[(check_id, table, severity, m, period)] = None
    frame = pl.DataFrame(list(rows), schema=AFFECTS_SCHEMA, orient="row")
    return frame.unique().sort(list(AFFECTS_SCHEMA))


# --------------------------------------------------------------------------- the stored lineage
# Deriving the lineage parses every mart and check with sqlglot: most of a second, the same at
# every scale, and the same answer until the SQL changes. It is stored with the package
# (lineage.json, written by ``python -m scorecard.validate --write-lineage``) under a digest of
# everything it is derived from; a lineage whose digest differs is derived again, never used.

STORED = Path(__file__).with_name("lineage.json")
_FORMAT = 1


def _pairs(items: Iterable[str]) -> frozenset[Input]:
    """Stored inputs (``table.column``) as pairs."""
    return frozenset(tuple(i.split(".", 1)) for i in items)


def _listed(inputs: Iterable[Input]) -> list[str]:
    return sorted(f"{t}.{c}" for t, c in inputs)


def _digest_inputs() -> dict:
    """Everything the lineage is derived from: the marts' SQL as the lineage reads it, the
    staging columns, the metrics' marts and expressions, the suites, the check SQL, the code of this
    module, of lineage_sql and of the suites module, and the sqlglot version."""
    from importlib.metadata import version

    from ..metrics import METRICS
    from ..metrics.marts import mart_dependencies, render_model
    from . import lineage_sql, suites
    from .checks import derived_checks

    names = [*TABLES, "monthly_volumes", "code_shares"]
    return {
        "format": _FORMAT,
        "sqlglot": version("sqlglot"),
        "code": [Path(__file__).read_text(encoding="utf-8"),
                 Path(lineage_sql.__file__).read_text(encoding="utf-8"),
                 Path(suites.__file__).read_text(encoding="utf-8")],
        "staging": {t: [TABLES[t].id_column, *TABLES[t].column_names] for t in TABLES},
        "marts": {name: render_model(name, source=lambda t: STG + t, ref=lambda m: MART + m)
                  for name in mart_dependencies()},
        "metrics": {m.id: [m.of, m.mart, list(m.columns), m.numerator, m.denominator] for m in METRICS},
        "suites": {name: suites.load_suite(name)["expectations"] for name in names},
        "checks": [[c.table, c.column, c.sql] for c in derived_checks(date(2000, 1, 1))],
    }


def lineage_digest() -> str:
    """The digest of everything the lineage is derived from (:func:`_digest_inputs`)."""
    text = json.dumps(_digest_inputs(), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _stored() -> dict | None:
    """The stored lineage, if it was derived from what the package holds now."""
    try:
        data = json.loads(STORED.read_text(encoding="utf-8"))
        # the digest reads this package's source: where it is not there to read (an install of
        # compiled files only), the lineage is derived again rather than trusted or a failure
        current = lineage_digest()
    except (OSError, ValueError):
        return None
    if data.get("format") != _FORMAT or data.get("digest") != current:
        return None
    return data


def derived_json() -> str:
    """The stored lineage's text, derived afresh (stable: sorted, two-space indent).

    :raises ValueError: when a mart's SQL could not be followed (a conservative lineage is
        never stored)."""
    from ..metrics import METRICS

    marts = derive_mart_lineage()
    broken = sorted(n for n, m in marts.items() if isinstance(m.columns, Everything))
    if broken:
        raise ValueError(f"the lineage of mart(s) {', '.join(broken)} could not be derived")
    data = {
        "format": _FORMAT,
        "digest": lineage_digest(),
        "marts": {n: {"columns": {c: _listed(i) for c, i in sorted(m.columns.items())},
                      "rows": _listed(m.rows)} for n, m in marts.items()},
        "metrics": {m: _listed(_metric_inputs(m, marts)) for m in sorted(METRICS.ids)},
        "checks": {cid: {"table": c.table, "columns": _listed(c.columns), "periodic": c.periodic}
                   for cid, c in sorted(_derive_check_inputs().items())},
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

