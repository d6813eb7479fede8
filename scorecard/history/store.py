"""The ``history`` schema: every build's published figures and the record-level evidence behind them.

Tables (in the scorecard database, created on first use):

``history.builds``    one row per build: ``build_id`` (the build's ``meta.runs`` run id),
                      ``la_code``, ``period``, ``built_at``, ``inputs_digest`` (the files loaded,
                      by content, and the settings that change figures), ``figures_digest``
                      (the figures published), ``label`` (``2023-01@3f2a9c0d``: period and inputs,
                      the name outputs use, the same on every rerun), ``inputs`` (JSON)
``history.figures``   the figures the build published (``metrics.csv`` for the periods the build
                      covers): ``metric_id, period, breakdown, value, numerator, denominator``
``history.records``   per mart row: ``mart, record_key`` (the mart's record id), ``row_hash`` (a
                      64-bit hash of the row's columns, made as the build's ``hash_scheme`` says:
                      every id in it already a pseudonym) and the dates that put it in a period
                      (``record_dates``: ``column_name, value``)
``history.records_md5``  the same rows hashed the way builds made before ``hash_scheme`` did (see
                      :data:`MD5_SCHEME`), kept only for a build whose base build was made so
``history.failures``  the records each failing check named (``table_name, record_id, check_id``)

Nothing here is published: outputs name a build by its label, never by its run id or time, so a
rerun on the same inputs writes the same bytes.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import duckdb
import polars as pl

from ..metrics.definitions import METRICS, source_metric
from ..periods import Period, parse_period
from ..schema import TABLES

__all__ = ["BuildFacts", "Build", "DDL", "MD5_SCHEME", "ensure", "exists", "record", "builds", "get_build",
           "hash_scheme", "hash_tables", "keep_md5_hashes",
           "base_build", "mart_keys", "metric_dates", "period_span", "published", "source_metric", "table_of_key",
           "FIGURE_COLUMNS"]

FIGURE_COLUMNS = ("metric_id", "period", "breakdown", "value", "numerator", "denominator")

DDL = [
    "create schema if not exists history",
    """create table if not exists history.builds (
        build_id bigint primary key, la_code integer, period varchar, built_at timestamp,
        inputs_digest varchar, figures_digest varchar, label varchar, inputs varchar)""",
    """create table if not exists history.figures (
        build_id bigint, metric_id varchar, period varchar, breakdown varchar, value double,
        numerator double, denominator double)""",
    """create table if not exists history.records (
        build_id bigint, mart varchar, record_key varchar, row_hash ubigint)""",
    # how a build's row hashes were made (null: MD5_SCHEME, the builds made before the column)
    "alter table history.builds add column if not exists hash_scheme varchar",
    """create table if not exists history.records_md5 (
        build_id bigint, mart varchar, record_key varchar, row_hash ubigint)""",
    """create table if not exists history.record_dates (
        build_id bigint, mart varchar, record_key varchar, column_name varchar, value date)""",
    """create table if not exists history.failures (
        build_id bigint, table_name varchar, record_id varchar, check_id varchar)""",
]

#: the row hash of the builds made before ``history.builds.hash_scheme`` (null there): the low 64
#: bits of the MD5 of the row written as DuckDB text. It costs about ten times DuckDB's own hash
#: (writing each row as text, then the MD5), so builds now use :func:`hash_scheme`; a build whose
#: base build was made this way also keeps its rows hashed so (``history.records_md5``)
MD5_SCHEME = "md5"
#: the values whose DuckDB hash names the current scheme: one of each type a mart holds. A
#: DuckDB whose hash function differs gives another name, so its hashes are never compared with
#: these (they would differ for every row)
_CANARY = ("'scorecard', 42::bigint, 7::integer, 1.5::double, date '2023-01-31', "
           "timestamp '2023-01-31 10:00:00', true, null::varchar, 12345678901234567890::hugeint")

#: marts whose grain is more than their first column
_COMPOSITE_KEYS = {"missing_child_years": ("child_id", "year_start_date")}


@dataclass(frozen=True)
class BuildFacts:
    """What the build hands to :func:`record`: its run id, LA, period, when it started, the
    metrics it published, the validation rows, and the settings that change figures."""

    build_id: int
    la_code: int
    period: Period
    built_at: dt.datetime
    metrics: pl.DataFrame
    validation: pl.DataFrame
    settings: dict


@dataclass(frozen=True)
class Build:
    """A row of ``history.builds``."""

    build_id: int
    la_code: int
    period: str
    built_at: dt.datetime
    inputs_digest: str
    figures_digest: str
    label: str
    #: how its row hashes were made (:func:`hash_scheme`); None: :data:`MD5_SCHEME`
    hash_scheme: str | None = None


def hash_scheme(con: duckdb.DuckDBPyConnection) -> str:
    """The name of the row hash this DuckDB makes (``hash(column, ...)``): ``duckdb-hash:`` and
    the hash of one value of each type a mart holds, so two DuckDBs hashing differently never
    name their hashes alike."""
    return "duckdb-hash:%016x" % con.execute(f"select hash({_CANARY})").fetchall()[0][0]


def _row_hash_sql(scheme: str, cols: list[str]) -> str:
    row = ", ".join(f'"{c}"' for c in cols)
    if scheme == MD5_SCHEME:
        return f"md5_number_lower(cast(struct_pack({row}) as varchar))"
    return f"hash({row})"


def hash_tables(con: duckdb.DuckDBPyConnection, old: Build, new: Build) -> tuple[str, str] | None:
    """Where the row hashes of two builds, made the same way, are kept: ``history.records`` for
    each build's own scheme, ``history.records_md5`` for the MD5 hashes a build kept next to an
    MD5 base build. None: no scheme in common, so their rows cannot be compared."""
    def kept(b: Build) -> dict[str, str]:
        out = {b.hash_scheme or MD5_SCHEME: "history.records"}
        if MD5_SCHEME not in out and _has(con, "records_md5") and con.execute(
                "select count(*) from history.records_md5 where build_id = $b", {"b": b.build_id}).fetchall()[0][0]:
            out[MD5_SCHEME] = "history.records_md5"
        return out

    a, b = kept(old), kept(new)
    common = [s for s in a if s in b]
    return (a[common[0]], b[common[0]]) if common else None


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ``history`` schema and tables if missing."""
    for stmt in DDL:
        con.execute(stmt).fetchall()


def exists(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the database has a ``history.builds`` table (a read-only connection cannot make one)."""
    return _has(con, "builds")


def period_span(label: str) -> tuple[dt.date, dt.date]:
    """First and last day of a period label: ``2022-23``, ``2022-07`` or a span ``2022-04/2023-01``."""
    if "/" in label:
        a, b = label.split("/", 1)
        return parse_period(a).start, parse_period(b).end
    p = parse_period(label)
    return p.start, p.end


def mart_keys(con: duckdb.DuckDBPyConnection, mart: str) -> tuple[str, list[str]]:
    """The SQL expression of a mart's record key and its columns."""
    cols = [r[0] for r in con.execute(f'describe marts."{mart}"').fetchall()]
    key = _COMPOSITE_KEYS.get(mart, (cols[0],))
    expr = " || '|' || ".join(f'coalesce(cast("{c}" as varchar), \'\')' for c in key)
    return expr, cols


def metric_dates() -> dict[str, list[str]]:
    """Per mart, the date columns metrics use to put its rows in a period."""
    out: dict[str, list[str]] = {}
    for m in METRICS:
        s = source_metric(m)
        for c in (s.date_column, s.end_column):
            if c and c not in out.setdefault(s.mart, []):
                out[s.mart].append(c)
    return out


def _inputs(con: duckdb.DuckDBPyConnection, facts: BuildFacts) -> dict:
    files = con.execute("select source_file, sha256 from meta.loads where status = 'loaded' "
                        "order by source_file, sha256").fetchall()
    return {"la_code": facts.la_code, "settings": {k: str(v) for k, v in sorted(facts.settings.items())},
            "files": [[f, h] for f, h in files]}


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def published(metrics: pl.DataFrame, period: Period) -> pl.DataFrame:
    """The figures a build publishes for the periods it covers: none after its last day (a
    month build has no later month of its year)."""
    labels = sorted(set(metrics["period"].to_list()))
    keep = [p for p in labels if period_span(p)[1] <= period.end]
    return (metrics.filter(pl.col("period").is_in(keep))
            .select(*FIGURE_COLUMNS).sort(["metric_id", "period", "breakdown"]))


def record(con: duckdb.DuckDBPyConnection, facts: BuildFacts) -> Build:
    """Keep this build's published figures and evidence in ``history`` (inside the caller's
    transaction); returns its :class:`Build`."""
    ensure(con)
    con.execute("delete from history.builds where build_id = $b", {"b": facts.build_id}).fetchall()
    for t in ("figures", "records", "records_md5", "record_dates", "failures"):
        con.execute(f"delete from history.{t} where build_id = $b", {"b": facts.build_id}).fetchall()
    figures = published(facts.metrics, facts.period)
    inputs = _inputs(con, facts)
    inputs_digest = _digest({**inputs, "period": facts.period.label})
    figures_digest = hashlib.sha256(figures.write_csv(float_precision=None).encode()).hexdigest()
    label = f"{facts.period.label}@{inputs_digest[:8]}"
    scheme = hash_scheme(con)
    con.execute("insert into history.builds (build_id, la_code, period, built_at, inputs_digest, figures_digest, "
                "label, inputs, hash_scheme) values ($b, $la, $p, $at, $i, $f, $l, $j, $s)",
                {"b": facts.build_id, "la": facts.la_code, "p": facts.period.label,
                 "at": facts.built_at, "i": inputs_digest, "f": figures_digest, "l": label,
                 "j": json.dumps(inputs, sort_keys=True), "s": scheme}).fetchall()
    _insert(con, "figures", figures, facts.build_id,
            ("metric_id", "period", "breakdown", "value", "numerator", "denominator"))
    for mart, dates in metric_dates().items():
        key, cols = mart_keys(con, mart)
        _hash_rows(con, "history.records", facts.build_id, mart, key, cols, scheme)
        for c in dates:
            con.execute(f"insert into history.record_dates select $b, $m, {key}, $c, "
                        f"cast(\"{c}\" as date) from marts.\"{mart}\" where \"{c}\" is not null",
                        {"b": facts.build_id, "m": mart, "c": c}).fetchall()
    failing = facts.validation.filter(pl.col("record_id") != "").select(
        pl.col("table").alias("table_name"), "record_id", "check_id").unique()
    if failing.height:
        _insert(con, "failures", failing, facts.build_id, ("table_name", "record_id", "check_id"))
    return Build(facts.build_id, facts.la_code, facts.period.label, facts.built_at, inputs_digest,
                 figures_digest, label, scheme)


def keep_md5_hashes(con: duckdb.DuckDBPyConnection, build: Build) -> None:
    """Keep ``build``'s rows also hashed as :data:`MD5_SCHEME` (from the marts as they are now,
    so right after :func:`record`): what a build compared with a build made before
    ``hash_scheme`` needs (once per database: the next build is compared with this one)."""
    con.execute("delete from history.records_md5 where build_id = $b", {"b": build.build_id}).fetchall()
    for mart in metric_dates():
        _hash_rows(con, "history.records_md5", build.build_id, mart, *mart_keys(con, mart), MD5_SCHEME)


def _hash_rows(con: duckdb.DuckDBPyConnection, target: str, build_id: int, mart: str, key: str,
               cols: list[str], scheme: str) -> None:
    """Insert into ``target`` each row of ``mart`` by its record key, hashed as ``scheme`` says."""
    con.execute(f"insert into {target} select $b, $m, {key}, {_row_hash_sql(scheme, cols)} "
                f"from marts.\"{mart}\"", {"b": build_id, "m": mart}).fetchall()


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, build_id: int,
            columns: tuple[str, ...]) -> None:
    """Append ``frame``'s ``columns`` to ``history.<table>``, each row under ``build_id``."""
    name = f"_history_{table}"
    con.register(name, frame.with_columns(pl.lit(build_id).alias("build_id")).to_arrow())
    try:
        con.execute(f"insert into history.{table} select build_id, {', '.join(columns)} "
                    f"from {name}").fetchall()
    finally:
        con.unregister(name)


def _row(r) -> Build:
    return Build(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5], r[6], r[7])


_COLS = "build_id, la_code, period, built_at, inputs_digest, figures_digest, label, {}"


def _has(con: duckdb.DuckDBPyConnection, table: str, column: str | None = None) -> bool:
    """Whether ``history.<table>`` (and its ``column``) exists: a database made before them and
    opened read-only has neither."""
    sql = ("select count(*) from duckdb_columns() where database_name = current_database() and schema_name = "
           "'history' and table_name = $t and column_name = $c") if column else (
           "select count(*) from duckdb_tables() where database_name = current_database() and schema_name = "
           "'history' and table_name = $t")
    return bool(con.execute(sql, {"t": table, **({"c": column} if column else {})}).fetchall()[0][0])


def _cols(con: duckdb.DuckDBPyConnection) -> str:
    return _COLS.format("hash_scheme" if _has(con, "builds", "hash_scheme") else "null")


def builds(con: duckdb.DuckDBPyConnection, la_code: int | None = None) -> list[Build]:
    """Every build kept, oldest first (of one LA when ``la_code`` is given)."""
    if not exists(con):
        return []
    where = "" if la_code is None else "where la_code = $la"
    params = {} if la_code is None else {"la": la_code}
    return [_row(r) for r in con.execute(f"select {_cols(con)} from history.builds {where} order by build_id",
                                         params).fetchall()]


def get_build(con: duckdb.DuckDBPyConnection, ref: str | int) -> Build | None:
    """A build by its id (``7``) or label (``2023-01@3f2a9c0d``; the latest build with it)."""
    if not exists(con):
        return None
    text = str(ref).strip()
    if text.isdigit():
        rows = con.execute(f"select {_cols(con)} from history.builds where build_id = $b", {"b": int(text)}).fetchall()
    else:
        rows = con.execute(f"select {_cols(con)} from history.builds where label = $l order by build_id desc limit 1",
                           {"l": text}).fetchall()
    return _row(rows[0]) if rows else None


def base_build(con: duckdb.DuckDBPyConnection, current: Build) -> Build | None:
    """The build a new build is compared with: the latest earlier build of the same LA that is
    not the same build again (same period, same inputs and same figures). So a rerun on the same
    inputs is compared with what its twin was compared with, and writes the same outputs."""
    for b in reversed(builds(con, current.la_code)):
        if b.build_id >= current.build_id:
            continue
        if (b.period, b.inputs_digest, b.figures_digest) == (current.period, current.inputs_digest,
                                                              current.figures_digest):
            continue
        return b
    return None


def table_of_key(mart: str, key_column: str) -> str | None:
    """The staging table whose record id a mart's key is (``referrals`` for ``referral_id``)."""
    for t in TABLES.values():
        if t.id_column == key_column and mart in (t.name, "int_" + t.name + "_matched"):
            return t.name
    for t in TABLES.values():
        if t.id_column == key_column:
            return t.name
    return None
