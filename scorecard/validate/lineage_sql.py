"""Column lineage of the marts, followed through their SQL with sqlglot: which staging columns
each mart column rests on, and which decide which mart rows exist (joins, filters, grouping,
de-duplication). :mod:`.lineage` uses it for the figures a failing check touches, and stores
what it derives (``lineage.json``) so a build does not parse the SQL.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from ..schema import TABLES

__all__ = ["RECORD", "STG", "MART", "Input", "MartLineage", "Resolver", "Everything", "staging_schema",
           "qualified", "conservative", "derive_mart_lineage"]

log = logging.getLogger(__name__)

#: the pseudo-column standing for a record's existence
RECORD = "*"
Input = tuple[str, str]

PROVENANCE = ("load_id", "source_file", "source_row")
#: the names the staging tables and the marts go by in the SQL as it is parsed here
STG, MART = "stg__", "mart__"


@dataclass(frozen=True)
class MartLineage:
    """The staging inputs of one mart: per output column, and of its rows (what decides
    which rows exist: joins, filters, grouping, de-duplication)."""

    columns: Mapping[str, frozenset[Input]]
    rows: frozenset[Input]

    def inputs(self, column: str) -> frozenset[Input]:
        """What one column's values rest on, including which rows exist."""
        return self.columns[column] | self.rows


def staging_schema() -> dict[str, dict[str, str]]:
    return {STG + t: {c: "VARCHAR" for c in [*TABLES[t].column_names, *PROVENANCE]}
            for t in TABLES}


class Resolver:
    """Column lineage through the scopes (CTEs, sub-queries) of one qualified query."""

    def __init__(self, marts: Mapping[str, MartLineage]):
        self.marts = marts
        self._cols: dict[tuple[int, str], frozenset[Input]] = {}
        self._rows: dict[int, frozenset[Input]] = {}

    # a leaf table: staging, an upstream mart, or a table function
    def _table_column(self, table: str, column: str) -> frozenset[Input]:
        if table.startswith(STG):
            return frozenset({(table[len(STG):], column)})
        if table.startswith(MART):
            return self.marts[table[len(MART):]].columns[column]
        return frozenset()   # a table function (range, unnest of a parameter): no records

    def _table_rows(self, table: str) -> frozenset[Input]:
        if table.startswith(STG):
            return frozenset({(table[len(STG):], RECORD)})
        if table.startswith(MART):
            return self.marts[table[len(MART):]].rows
        return frozenset()

    @staticmethod
    def _left_joins(scope) -> dict[str, object]:
        """alias -> the join node, for sources brought in by a LEFT (or RIGHT/FULL) join."""
        out = {}
        for join in scope.expression.args.get("joins") or []:
            if (join.side or "").upper() in ("LEFT", "RIGHT", "FULL"):
                out[join.this.alias_or_name] = join
        return out

    def column(self, scope, alias: str, name: str, *, plain: bool = False) -> frozenset[Input]:
        """What column ``alias.name`` as seen in ``scope`` rests on (``plain``: leaving out
        what an outer join adds, for reading the join condition itself)."""
        from sqlglot.optimizer.scope import Scope

        source = scope.sources.get(alias)
        if source is None:   # a correlated reference from a sub-query
            return self.column(scope.parent, alias, name) if scope.parent else frozenset()
        if isinstance(source, Scope):
            out = self.select(source, name)
        else:
            out = self._table_column(source.name, name)
        join = None if plain else self._left_joins(scope).get(alias)
        if join is not None:   # an outer-joined value also rests on its join and its rows
            out = (out | self._expression(scope, join.args.get("on"), plain=True)
                   | self._source_rows(scope, alias))
        return out

    def _source_rows(self, scope, alias: str) -> frozenset[Input]:
        from sqlglot.optimizer.scope import Scope

        source = scope.sources[alias]
        return self.rows(source) if isinstance(source, Scope) else self._table_rows(source.name)

    def _expression(self, scope, node, *, plain: bool = False) -> frozenset[Input]:
        """Everything the columns of ``node`` rest on (sub-queries included)."""
        from sqlglot import exp

        if node is None:
            return frozenset()
        out: set[Input] = set()
        for col in node.find_all(exp.Column):
            owner = self._owner(scope, col)
            if col.table:
                out |= self.column(owner, col.table, col.name, plain=plain and owner is scope)
        for sub in self._subscopes(scope, node):
            out |= self.rows(sub)
        return frozenset(out)

    @staticmethod
    def _owner(scope, col):
        """The scope a column node belongs to (its own sub-query, when it sits in one)."""
        for sub in scope.subquery_scopes:
            if col in set(sub.expression.find_all(type(col))):
                return sub
        return scope

    @staticmethod
    def _subscopes(scope, node):
        inside = {id(n) for n in node.walk()}
        return [s for s in scope.subquery_scopes if id(s.expression) in inside]

    def select(self, scope, name: str) -> frozenset[Input]:
        """What output column ``name`` of ``scope`` rests on."""
        from sqlglot import exp

        key = (id(scope), name)
        if key not in self._cols:
            self._cols[key] = frozenset()   # guards against a self-reference
            selects = {s.alias_or_name: s for s in scope.expression.selects}
            if name not in selects:
                raise ValueError(f"column {name!r} is not selected in {scope.expression.sql()[:80]}")
            node = selects[name]
            out = set(self._expression(scope, node))
            if node.find(exp.AggFunc) is not None or node.find(exp.Window) is not None:
                out |= self.rows(scope)   # an aggregate or window value rests on the rows
            self._cols[key] = frozenset(out)
        return self._cols[key]

    def rows(self, scope) -> frozenset[Input]:
        """What decides which rows ``scope`` gives."""
        from sqlglot import exp

        key = id(scope)
        if key in self._rows:
            return self._rows[key]
        self._rows[key] = frozenset()
        q = scope.expression
        out: set[Input] = set()
        if isinstance(q, exp.SetOperation):
            for side in (q.left, q.right):
                sub = next(s for s in scope.set_operation_scopes if s.expression is side)
                out |= self.rows(sub)
            self._rows[key] = frozenset(out)
            return self._rows[key]
        outer = self._left_joins(scope)
        for alias in scope.selected_sources:
            if alias not in outer:
                out |= self._source_rows(scope, alias)
        for clause in ("where", "group", "having", "qualify"):
            out |= self._expression(scope, q.args.get(clause))
        for join in q.args.get("joins") or []:
            if join.this.alias_or_name not in outer:
                out |= self._expression(scope, join.args.get("on"))
                for name in join.args.get("using") or []:
                    for alias in scope.selected_sources:
                        if self._has(scope, alias, name.name):
                            out |= self.column(scope, alias, name.name)
        if q.args.get("distinct") is not None:
            for s in q.selects:
                out |= self._expression(scope, s)
        self._rows[key] = frozenset(out)
        return self._rows[key]

    @staticmethod
    def _has(scope, alias: str, name: str) -> bool:
        from sqlglot.optimizer.scope import Scope

        source = scope.sources[alias]
        if isinstance(source, Scope):
            return name in {s.alias_or_name for s in source.expression.selects}
        return True


def qualified(sql: str, schema: dict):
    import sqlglot
    from sqlglot.optimizer.qualify import qualify

    tree = sqlglot.parse_one(sql, dialect="duckdb")
    return qualify(tree, schema=schema, dialect="duckdb", validate_qualify_columns=False,
                   identify=False)


class Everything(dict):
    """Column lineage of a mart whose SQL could not be followed: every column rests on every
    column of every staging table the mart reads (so a check touches too much, never too
    little)."""

    def __init__(self, inputs: frozenset[Input]):
        super().__init__()
        self.inputs = inputs

    def __missing__(self, column: str) -> frozenset[Input]:
        return self.inputs

    def __contains__(self, column: object) -> bool:
        return True


def conservative(name: str) -> MartLineage:
    from ..metrics.marts import mart_sources

    inputs = frozenset((t, c) for t in mart_sources()[name]
                       for c in [*TABLES[t].column_names, RECORD])
    return MartLineage(Everything(inputs), inputs)


def derive_mart_lineage() -> dict[str, MartLineage]:
    from sqlglot.errors import SqlglotError
    from sqlglot.optimizer.scope import build_scope

    from ..metrics.marts import mart_dependencies, render_model

    schema = staging_schema()
    out: dict[str, MartLineage] = {}
    for name in mart_dependencies():
        sql = render_model(name, source=lambda t: STG + t, ref=lambda m: MART + m)
        try:
            tree = qualified(sql, schema)
            root = build_scope(tree)
            resolver = Resolver(out)
            columns = {s.alias_or_name: resolver.select(root, s.alias_or_name)
                       for s in tree.selects}
            out[name] = MartLineage(columns, resolver.rows(root))
            schema[MART + name] = {c: "VARCHAR" for c in columns}
        except (SqlglotError, ValueError, KeyError, AttributeError) as exc:
            log.warning("lineage of mart %s could not be derived (%s); every column it reads "
                        "is taken to feed every figure resting on it", name, exc)
            out[name] = conservative(name)   # a mart reading it fails too: conservative
    return out
