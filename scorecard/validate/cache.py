"""Validation done once: an unchanged load is not validated again.

A validation's outcome depends only on the data it reads (every table of the ``staging``,
``quarantine`` and ``meta`` schemas that checks read: staged rows, quarantined cells, census file
facts, parameters), on the package's rules (the suites, the check SQL, the DfE rule SQL, the
mart SQL and ``sql/macros.sql`` the impact is measured through, the Python that evaluates them)
and on the run's parameters (extract date, cut-over, date floor, period, LA ...). The digest of
all of them keys ``meta.validation_cache``; a hit hands back the stored outcome (rows, impact,
summary, the engine's results for the Data Docs), so the outputs are byte-identical to a full
run. A miss validates and stores. Only the newest few entries are kept.
"""
from __future__ import annotations

import hashlib
import pickle
from importlib import resources
from typing import Any

import duckdb

__all__ = ["KEEP", "digest", "get", "put", "get_docs", "put_docs"]

#: cache entries kept (the newest)
KEEP = 3
#: folders of the package whose files decide a validation's outcome
_RULE_FOLDERS = ("expectations", "validate", "sql", "metrics", "benchmarks")
_RULE_FILES = ("schema.py", "periods.py", "reference.py", "frames.py")
_DATA_SCHEMAS = ("staging", "quarantine", "meta")
#: ledger tables that record when things ran, not what the data is (``data_reach``: a row per
#: build, derived from staging, which the digest already covers; ``chart_cache``: charts drawn)
_NOT_DATA = {("meta", "runs"), ("meta", "validation_cache"), ("meta", "loads"), ("meta", "load_columns"),
             ("meta", "data_reach"), ("meta", "chart_cache"), ("meta", "docs_cache")}


def _rule_files() -> list:
    """Every package file that decides a validation's outcome, in a fixed order."""
    root = resources.files("scorecard")
    stack = [root.joinpath(f) for f in _RULE_FOLDERS] + [root.joinpath(f) for f in _RULE_FILES]
    files = []
    while stack:
        item = stack.pop()
        if item.is_dir():
            stack.extend(c for c in item.iterdir() if c.name != "__pycache__")
        elif item.is_file() and item.name.endswith((".py", ".sql", ".json", ".toml", ".csv")):
            files.append(item)
    return sorted(files, key=lambda f: str(f))


def _package_digest() -> str:
    h = hashlib.sha256()
    for f in _rule_files():
        h.update(str(f).split("scorecard", 1)[-1].encode())
        h.update(f.read_bytes())
    return h.hexdigest()


_PACKAGE: str | None = None


def _data_digest(con: duckdb.DuckDBPyConnection) -> str:
    """Row count and an order-independent sum of row hashes of every data table (a row's file
    and line included, so a reordered load is a different load)."""
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables where table_catalog = current_database() "
        "and table_type = 'BASE TABLE' and list_contains($schemas, table_schema) order by 1, 2",
        {"schemas": list(_DATA_SCHEMAS)}).fetchall()
    parts = [f"select '{s}.{t}' as name, count(*) as n, coalesce(sum(hash(t)::hugeint), 0) as h "
             f'from "{s}"."{t}" as t' for s, t in tables if (s, t) not in _NOT_DATA]
    if not parts:
        return ""
    rows = con.execute(" union all ".join(parts) + " order by name").fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def digest(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]) -> str:
    """The cache key of validating ``con``'s data with ``parameters`` (any reprs)."""
    global _PACKAGE
    if _PACKAGE is None:
        _PACKAGE = _package_digest()
    h = hashlib.sha256()
    h.update(_PACKAGE.encode())
    h.update(_data_digest(con).encode())
    h.update(repr(sorted((k, repr(v)) for k, v in parameters.items())).encode())
    return h.hexdigest()


def _table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create table if not exists meta.validation_cache "
                "(key varchar primary key, stored_at timestamp, payload blob)")


def get(con: duckdb.DuckDBPyConnection, key: str) -> Any | None:
    """The stored outcome for ``key``, or None."""
    _table(con)
    row = con.execute("select payload from meta.validation_cache where key = $key", {"key": key}).fetchone()
    return pickle.loads(row[0]) if row else None


def put(con: duckdb.DuckDBPyConnection, key: str, payload: Any) -> None:
    """Store ``payload`` under ``key``; keep only the newest :data:`KEEP` entries."""
    _table(con)
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    con.execute("insert or replace into meta.validation_cache values ($key, current_timestamp, $data)",
                {"key": key, "data": data})
    con.execute("delete from meta.validation_cache where key not in "
                f"(select key from meta.validation_cache order by stored_at desc limit {KEEP})")


def _docs_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create table if not exists meta.docs_cache (key varchar primary key, archive blob)")


def _docs_key(key: str) -> str:
    """Data Docs are Great Expectations' rendering: kept per outcome and per GX version."""
    from importlib.metadata import version

    return f"{key} great_expectations={version('great_expectations')}"


def get_docs(con: duckdb.DuckDBPyConnection, key: str) -> bytes | None:
    """The Data Docs (``docs.pack``) rendered for the outcome stored under ``key``, or None."""
    _docs_table(con)
    row = con.execute("select archive from meta.docs_cache where key = $key",
                      {"key": _docs_key(key)}).fetchone()
    return bytes(row[0]) if row else None


def put_docs(con: duckdb.DuckDBPyConnection, key: str, archive: bytes) -> None:
    """Keep the Data Docs rendered for ``key``'s outcome (as long as the outcome is kept)."""
    _table(con)
    _docs_table(con)
    con.execute("insert or replace into meta.docs_cache values ($key, $archive)",
                {"key": _docs_key(key), "archive": archive})
    con.execute("delete from meta.docs_cache where split_part(key, ' ', 1) not in "
                "(select key from meta.validation_cache)")
