"""Build the mart tables from ``scorecard/sql/marts/*.sql``.

Each file is one model (dbt-style: a header comment, ``source`` CTE(s), logic, then
``select * from final``) whose file name is the table it creates. Models name their inputs
with two Jinja functions, as dbt does: ``{{ source('referrals') }}`` (a staging table) and
``{{ ref('missing_episodes') }}`` (another mart). Those calls give the build order; they only
ever render identifiers. Data values reach the SQL as named parameters (``$first_day``).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache
from graphlib import CycleError, TopologicalSorter
from importlib import resources

import duckdb

from ..schema import TABLES
from .workdays import bank_holidays

__all__ = [
    "CALENDAR_LIMITS",
    "build_marts",
    "build_models",
    "mart_dependencies",
    "mart_models",
    "mart_sources",
    "quote",
    "record_local",
    "render_model",
]

#: The calendar (and so working-day counts) spans the assessments' dates within these limits;
#: a placeholder date outside them (1900-01-01, 9999-12-31) gets no working-day count.
CALENDAR_LIMITS = (date(1950, 1, 1), date(2099, 12, 31))

_PARAMETER = re.compile(r"\$([a-z_][a-z0-9_]*)")
_RECORD_LOCAL = re.compile(r"^-- record-local: ([a-z0-9_]+)\.([a-z0-9_]+)\b", re.MULTILINE)


def quote(*parts: str) -> str:
    """A qualified SQL identifier: ``quote("marts", "referrals")`` -> ``"marts"."referrals"``."""
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)


@lru_cache(maxsize=1)
def mart_models() -> dict[str, str]:
    """The mart models, ``{table name: SQL template}``, read from the package's SQL folder."""
    folder = resources.files("scorecard").joinpath("sql", "marts")
    models = {f.name[:-4]: f.read_text(encoding="utf-8")
              for f in sorted(folder.iterdir(), key=lambda f: f.name) if f.name.endswith(".sql")}
    if not models:
        raise FileNotFoundError(f"no mart models in {folder}")
    return models


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    return jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False,
                              keep_trailing_newline=True)


@lru_cache(maxsize=256)
def _compiled(template: str):
    """A template compiled once per process (compiling is most of rendering's cost)."""
    return _environment().from_string(template)


def _render(template: str, *, source, ref) -> str:
    return _compiled(template).render(source=source, ref=ref)


def _reads(name: str, template: str, models: Mapping[str, str]) -> tuple[set[str], set[str]]:
    """The staging tables and marts that model ``name`` names with source() and ref()."""
    sources: set[str] = set()
    refs: set[str] = set()

    def source(table: str) -> str:
        if table not in TABLES:
            raise ValueError(f"mart {name!r} reads unknown staging table {table!r}")
        sources.add(table)
        return table

    def ref(model: str) -> str:
        if model not in models:
            raise ValueError(f"mart {name!r} refers to unknown mart {model!r}")
        refs.add(model)
        return model

    _render(template, source=source, ref=ref)
    return sources, refs


def _order(models: Mapping[str, str]) -> list[tuple[str, set[str], set[str]]]:
    """Models in dependency order, each with the staging tables and marts it reads."""
    if models is mart_models():   # the package's models do not change within a process
        return [(n, set(s), set(r)) for n, s, r in _package_order()]
    return _order_of(models)


@lru_cache(maxsize=1)
def _package_order() -> tuple[tuple[str, frozenset[str], frozenset[str]], ...]:
    return tuple((n, frozenset(s), frozenset(r)) for n, s, r in _order_of(mart_models()))


def _order_of(models: Mapping[str, str]) -> list[tuple[str, set[str], set[str]]]:
    deps = {name: _reads(name, template, models) for name, template in models.items()}
    try:
        order = list(TopologicalSorter({n: r for n, (_, r) in deps.items()}).static_order())
    except CycleError as exc:
        raise ValueError(f"mart models refer to each other in a cycle: {exc.args[1]}") from None
    return [(n, *deps[n]) for n in order]


def render_model(name: str, *, source, ref) -> str:
    """Mart model ``name`` as SQL, ``source(table)`` and ``ref(mart)`` giving the relation
    names to read (for lineage and for building elsewhere)."""
    return _render(mart_models()[name], source=source, ref=ref)


def mart_dependencies() -> dict[str, set[str]]:
    """Each mart with the marts it refers to, in dependency order (upstream first)."""
    return {name: refs for name, _, refs in _order(mart_models())}


@lru_cache(maxsize=1)
def record_local() -> dict[str, tuple[str, str]]:
    """The marts whose rows are each one record's: ``{mart: (staging table, id column)}``, from
    a header line ``-- record-local: table.column`` of the model. Leaving records of that
    table out of the source leaves out exactly the mart rows whose column holds their ids and
    changes no other row, so the metrics without them are worked out from the rows of the
    records and children they touch (``delta.py``), not by building the mart again.

    :raises ValueError: when a declaration names a table the mart does not read, or a column
        that is not that table's record id (``tests/test_delta.py`` checks the claim itself on
        data)"""
    out = {}
    for name, template in mart_models().items():
        for table, column in _RECORD_LOCAL.findall(template):
            if table not in mart_sources()[name] or table not in TABLES:
                raise ValueError(f"mart {name!r} is declared record-local in {table!r}, "
                                 "which it does not read")
            if column != TABLES[table].id_column:
                raise ValueError(f"mart {name!r} is declared record-local by {table}.{column}, "
                                 f"which is not the record id of {table} ({TABLES[table].id_column})")
            out[name] = (table, column)
    return out


def mart_sources() -> dict[str, set[str]]:
    """The staging tables each mart reads, directly or through the marts it refers to."""
    reads: dict[str, set[str]] = {}
    for name, sources, refs in _order(mart_models()):
        reads[name] = set(sources).union(*(reads[r] for r in refs))
    return reads


#: the staging dates working days are counted between (the calendar spans them all)
_WORKING_DAY_DATES = {"assessments": ("assessment_start_date", "assessment_authorised_date"),
                      "s47_enquiries": ("s47_start_date", "icpc_date")}


def _calendar_span(con: duckdb.DuckDBPyConnection, src: Mapping[str, str]) -> tuple[date, date]:
    lo, hi = CALENDAR_LIMITS
    spans = " union all ".join(
        f"select least({a}, {b}) as lo, greatest({a}, {b}) as hi from {src[t]}"
        for t, (a, b) in _WORKING_DAY_DATES.items())
    first, last = con.execute(f"select min(lo), max(hi) from ({spans})").fetchall()[0]
    first = min(max(first or lo, lo), hi)
    last = max(min(last or first, hi), first)
    return first, last


def build_marts(con: duckdb.DuckDBPyConnection, schema: str = "marts") -> list[str]:
    """(Re)build every mart table in ``schema`` from ``staging.*``, in dependency order.

    Atomic: in its own transaction, or inside the caller's when one is open.

    :param con: a connection holding ``staging.*`` (see ``docs/architecture.md``)
    :param schema: the target schema, created if missing
    :returns: the names of the tables built, in build order
    """
    con.execute(f"create schema if not exists {quote(schema)}").fetchall()
    return build_models(con, {m: quote(schema, m) for m in mart_models()})


def build_models(con: duckdb.DuckDBPyConnection, relations: Mapping[str, str], *,
                 sources: Mapping[str, str] | None = None, reuse: Iterable[str] = (),
                 temporary: bool = False) -> list[str]:
    """Build the mart models into the given relations (the engine behind :func:`build_marts`).

    :param relations: ``{mart: qualified relation}`` for every mart (where it is built, or read
        from when reused)
    :param sources: staging tables to read from elsewhere, ``{table: qualified relation}``
        (default ``staging.<table>``)
    :param reuse: marts not to rebuild (their relation already holds the right rows)
    :param temporary: create temporary tables (``relations`` then name ``temp.main`` tables)
    :returns: the names of the marts built, in build order
    """
    src = {t: quote("staging", t) for t in TABLES} | dict(sources or {})
    reuse = set(reuse)
    parameters: dict[str, object] = {}
    built: list[str] = []
    own = _begin(con)
    try:
        for name, _, _ in _order(mart_models()):
            if name in reuse:
                continue
            sql = _render(mart_models()[name], source=src.__getitem__, ref=relations.__getitem__)
            wanted = set(_PARAMETER.findall(sql))
            if wanted and not parameters:
                first, last = _calendar_span(con, src)
                hols = bank_holidays(range(first.year, last.year + 1))
                parameters.update(first_day=first, last_day=last,
                                  holiday_dates=list(hols), holiday_names=list(hols.values()))
            kind = "temporary table" if temporary else "table"
            con.execute(f"create or replace {kind} {relations[name]} as {sql}",
                        {k: parameters[k] for k in wanted}).fetchall()
            built.append(name)
        if own:
            con.execute("commit").fetchall()
    except Exception:
        if own:
            con.execute("rollback").fetchall()
        raise
    return built


def _begin(con: duckdb.DuckDBPyConnection) -> bool:
    """Open a transaction unless the caller has one open (then it owns atomicity).

    DuckDB cannot be asked directly, and a failed ``begin`` would abort the caller's
    transaction; but outside a transaction every statement gets a new transaction id.
    """
    def txid() -> int:
        return con.execute("select txid_current()").fetchall()[0][0]

    if txid() == txid():
        return False
    con.execute("begin transaction").fetchall()
    return True
