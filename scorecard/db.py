"""The DuckDB store: schemas, ledger tables, and the lock that keeps two builds apart.

Schemas: ``raw`` (as loaded, VARCHAR, plus provenance), ``quarantine`` (rejected cells),
``staging`` (typed, pseudonymised), ``marts``, ``meta`` (the load and run ledger: ``loads``,
``load_columns`` -- the canonical columns each load supplied --, ``runs``, and ``parameters``
the SQL models read).
"""
from __future__ import annotations

import contextlib
import os
from importlib import resources
from pathlib import Path
from typing import Iterator

import duckdb
from filelock import FileLock, Timeout

from .errors import BusyError, ScorecardError
from .schema import TABLES

__all__ = ["connect", "sql_text", "exclusive", "ensure_schema", "set_parameter", "RAW_META_COLUMNS"]

#: DuckDB's memory ceiling: it spills to disk beyond it, so a 100x-Barnsley build (DuckDB's cache
#: plus the Python side of validation and reports) peaks under 2 GB instead of taking most of the
#: machine; measured at 100x, 1.5 GB costs no more CPU than 2 GB (``$SCORECARD_MEMORY_LIMIT``
#: overrides it)
DEFAULT_MEMORY_LIMIT = "1.5GB"

#: provenance columns every raw table starts with
RAW_META_COLUMNS = ("load_id", "source_file", "source_row", "_rejected", "_extras")


def sql_text(*parts: str) -> str:
    """The text of a SQL file shipped in the package, e.g. ``sql_text("staging", "referrals.sql")``."""
    return resources.files("scorecard").joinpath("sql", *parts).read_text(encoding="utf-8")


def _ddl() -> list[str]:
    out = [
        "create schema if not exists raw",
        "create schema if not exists quarantine",
        "create schema if not exists staging",
        "create schema if not exists marts",
        "create schema if not exists meta",
        """create table if not exists meta.loads (
            load_id bigint primary key, run_id bigint, source_file varchar, table_name varchar,
            format varchar, size_bytes bigint, sha256 varchar, rows_read bigint,
            rows_loaded bigint, rows_rejected bigint, loaded_at timestamp, status varchar,
            message varchar, source varchar)""",
        # databases made before the ledger named who reported each load
        "alter table meta.loads add column if not exists source varchar",
        # the canonical columns each load supplied, and how many of its rows hold a value
        """create table if not exists meta.load_columns (
            load_id bigint, table_name varchar, column_name varchar, values_present bigint)""",
        # what each staging table was last built from (its model and standing loads): a load
        # rebuilds only the staging tables whose inputs changed (scorecard.load.rebuild_staging)
        """create table if not exists meta.staging_models (
            table_name varchar primary key, fingerprint varchar)""",
        # build parameters the SQL models read (e.g. the missing-episode matching tolerance)
        """create table if not exists meta.parameters (name varchar primary key, value varchar)""",
        """create table if not exists meta.runs (
            run_id bigint primary key, command varchar, arguments varchar, started_at timestamp,
            finished_at timestamp, outcome varchar, exit_code integer, message varchar)""",
        """create table if not exists quarantine.rejected_rows (
            load_id bigint, source_file varchar, source_row bigint, table_name varchar,
            record_id varchar, column_name varchar, raw_value varchar, reason varchar)""",
        # what a file says about itself (a CIN census header, an Annex A front sheet): one row
        # per loaded file version; join meta.loads on (source_file, sha256) for its status
        """create table if not exists meta.file_facts (
            source_file varchar, sha256 varchar, format varchar, collection varchar,
            collection_year varchar, reference_date date, census_year varchar, la_code varchar,
            facts varchar, unknown_elements bigint, run_id bigint)""",
    ]
    for t in TABLES.values():
        raw_cols = ", ".join(f'"{c}" varchar' for c in t.column_names)
        out.append(
            f"create table if not exists raw.{t.name} (load_id bigint, source_file varchar, "
            f"source_row bigint, _rejected boolean, _extras varchar, {raw_cols})"
        )
    return out


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_catalog = current_database() "
        "and table_schema = $s and table_name = $t order by ordinal_position",
        {"s": schema, "t": table}).fetchall()]


def _staging_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create each ``staging.<table>`` from its model (empty until the first load), first
    bringing a database made by an earlier version up to the current layout: canonical columns
    added since (e.g. ``children.upn``) are added to ``raw.<table>`` as blank VARCHAR columns,
    and a staging table whose columns differ from its model is rebuilt from raw. Nothing already
    loaded changes."""
    for t in TABLES.values():
        have = set(_columns(con, "raw", t.name))
        for c in t.column_names:
            if c not in have:
                con.execute(f'alter table raw.{t.name} add column "{c}" varchar').fetchall()
        model = f"select * from ({sql_text('staging', t.name + '.sql')})"
        staged = _columns(con, "staging", t.name)
        if not staged:
            con.execute(f"create table staging.{t.name} as {model} where false").fetchall()
        elif staged != [r[0] for r in con.execute(f"describe {model} where false").fetchall()]:
            con.execute(f"create or replace table staging.{t.name} as {model}").fetchall()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the macros, schemas, ledger and (empty) raw/staging tables if missing, and
    upgrade the tables of a database made by an earlier version (see :func:`_staging_tables`)."""
    con.execute(sql_text("macros.sql")).fetchall()
    for stmt in _ddl():
        con.execute(stmt).fetchall()
    _staging_tables(con)


def set_parameter(con: duckdb.DuckDBPyConnection, name: str, value: object) -> None:
    """Record a build parameter the SQL models read (``meta.parameters``)."""
    con.execute("insert or replace into meta.parameters values ($n, $v)",
                {"n": name, "v": str(value)}).fetchall()


def connect(path: str | Path = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the scorecard database.

    :param path: database file, or ``":memory:"``.
    :param read_only: open an existing database read-only (for analysts).
    :raises BusyError: another process holds the database.
    """
    target = str(path)
    config = {"memory_limit": os.environ.get("SCORECARD_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)}
    if target != ":memory:" and not read_only:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(target, read_only=read_only, config=config)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise BusyError(f"{target}: the database is in use by another process; try again when it has finished") from None
        raise ScorecardError(f"{target}: cannot open the database: {exc}") from None
    except duckdb.Error as exc:
        raise ScorecardError(f"{target}: cannot open the database: {exc}") from None
    if read_only:
        con.execute(sql_text("macros.sql").replace("create or replace macro", "create or replace temp macro")).fetchall()
    else:
        ensure_schema(con)
    return con


@contextlib.contextmanager
def exclusive(db_path: str | Path, *, wait: float = 0.0) -> Iterator[None]:
    """Hold the build lock for ``db_path`` (a ``.lock`` file beside it).

    A second build waits up to ``wait`` seconds, then refuses with :class:`BusyError`.
    """
    if str(db_path) == ":memory:":
        yield
        return
    lock = FileLock(str(Path(db_path)) + ".lock")
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise BusyError(f"{db_path}: another scorecard build or load is running; "
                        f"waited {wait:g} s — try again when it has finished") from None
    try:
        yield
    finally:
        lock.release()
