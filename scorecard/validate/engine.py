"""Great Expectations suites evaluated in DuckDB, where the data is.

The suites in ``expectations/`` stay the source of truth (GX's own JSON); this module
translates each expectation into SQL over a relation (a staged table's frame, with its
``chk_*`` columns, as a temporary DuckDB table) and returns what GX's pandas engine returns for
it with result format ``COMPLETE``: ``element_count``, ``unexpected_count``, the percentages, the
unexpected values and ``unexpected_index_list`` (rows in frame order), the partial lists and
counts. The GX engine (``suites.GXRunner``) is kept as the reference: tests run both on the same
data and compare every result.

An expectation type (or row condition) this module cannot translate raises
:class:`UnsupportedExpectation`: a suite is never silently passed.

Semantics copied from GX 1.x's pandas engine (tested against it):

* null-ness: ``expect_column_values_to_(not_)be_null`` count every row of the domain and report
  no missing counts; every other column expectation ignores missing values (null, or NaN in a
  floating column) and reports them as ``missing_count``;
* ``expect_column_values_to_be_unique``: every row whose (non-missing) value occurs twice or more;
* ``expect_column_pair_values_a_to_be_greater_than_b`` with ``ignore_row_if
  either_value_is_missing``: a row where either value is missing is missing;
* ``row_condition`` (pandas parser) chooses the domain: ``col.notnull()``, ``col.isnull()``,
  ``col != True`` (a missing flag is not in the domain: pandas' nullable boolean), and a column
  compared with a quoted literal.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import duckdb

__all__ = ["PARTIAL", "SUPPORTED", "ExpectationResult", "SuiteResult", "UnsupportedExpectation",
           "evaluate_suite", "unexpected_rows"]

#: GX's default ``partial_unexpected_count``
PARTIAL = 20

_NULLNESS = {"expect_column_values_to_not_be_null", "expect_column_values_to_be_null"}
#: every expectation type this engine evaluates
SUPPORTED = frozenset(_NULLNESS | {
    "expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_be_between", "expect_column_values_to_be_unique",
    "expect_column_pair_values_a_to_be_greater_than_b"})
_KNOWN_KWARGS = {"column", "column_A", "column_B", "value_set", "min_value", "max_value",
                 "row_condition", "condition_parser", "or_equal", "ignore_row_if", "strict_min",
                 "strict_max"}
_FLOATS = {"DOUBLE", "FLOAT", "REAL"}
_TEMPORAL = ("DATE", "TIMESTAMP")


class UnsupportedExpectation(ValueError):
    """An expectation (type, argument or row condition) the DuckDB engine cannot evaluate."""


@dataclass
class ExpectationResult:
    """One expectation's outcome, shaped as GX's ``ExpectationValidationResult``."""

    expectation: dict[str, Any]          # the suite's expectation (type, kwargs, meta)
    success: bool
    result: dict[str, Any]


@dataclass
class SuiteResult:
    """One suite on one relation: the results of the expectations that ran, the check ids of
    those skipped because a column they read is absent."""

    name: str
    results: list[ExpectationResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class _Plan:
    """An expectation as SQL: the domain, the missing rows in it (None: no missing counts, as
    GX's null expectations) and the unexpected rows among the rest; the columns reported."""

    domain: str
    missing: str | None
    unexpected: str
    values: list[str]
    pair: bool = False
    unique: str | None = None   # the column whose repeated values are unexpected


class _Translator:
    def __init__(self, types: dict[str, str], parameters: dict[str, Any]):
        self.types = types
        self.parameters = parameters
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return "$" + name

    def value(self, v: Any) -> Any:
        if isinstance(v, dict) and "$PARAMETER" in v:
            try:
                v = self.parameters[v["$PARAMETER"]]
            except KeyError:
                raise UnsupportedExpectation(f"no value for parameter {v['$PARAMETER']}") from None
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if hasattr(v, "to_pydatetime"):
            return v.to_pydatetime()
        return v

    def column(self, name: str) -> str:
        if name not in self.types:
            raise UnsupportedExpectation(f"column {name} is not in the frame")
        return _q(name)

    def missing(self, name: str) -> str:
        col = self.column(name)
        if self.types[name] in _FLOATS:
            return f"({col} is null or isnan({col}))"
        return f"{col} is null"

    def _typed(self, name: str, value: Any) -> tuple[str, str]:
        """The column and a bound value, cast so that they compare as pandas compares them."""
        col = self.column(name)
        kind = self.types[name]
        if isinstance(value, dt.datetime) or (isinstance(value, dt.date) and kind.startswith(_TEMPORAL)):
            return f"cast({col} as timestamp)", f"cast({self.bind(value)} as timestamp)"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"cast({col} as double)", f"cast({self.bind(float(value))} as double)"
        if isinstance(value, str) and kind.startswith(_TEMPORAL):
            return f"cast({col} as timestamp)", f"cast({self.bind(value)} as timestamp)"
        return col, self.bind(value)

    def in_set(self, name: str, values: list[Any]) -> str:
        col = self.column(name)
        if not values:
            return "false"
        if all(isinstance(v, (dt.date, dt.datetime)) for v in values):
            vals = [v if isinstance(v, dt.datetime) else dt.datetime.combine(v, dt.time()) for v in values]
            return f"list_contains(cast({self.bind(vals)} as timestamp[]), cast({col} as timestamp))"
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            return f"list_contains(cast({self.bind([float(v) for v in values])} as double[]), cast({col} as double))"
        if all(isinstance(v, str) for v in values):
            return f"list_contains(cast({self.bind(values)} as varchar[]), cast({col} as varchar))"
        raise UnsupportedExpectation(f"a value set of mixed types on {name}")

    _CONDITIONS = (
        (re.compile(r"^\s*(\w+)\.notnull\(\)\s*$"), "notnull"),
        (re.compile(r"^\s*(\w+)\.isnull\(\)\s*$"), "isnull"),
        (re.compile(r"^\s*(\w+)\s*(==|!=)\s*(True|False)\s*$"), "flag"),
        (re.compile(r"^\s*(\w+)\s*(>=|<=|>|<|==|!=)\s*\"([^\"]*)\"\s*$"), "compare"),
    )

    def condition(self, kwargs: dict[str, Any]) -> str:
        text = kwargs.get("row_condition")
        if not text:
            return "true"
        parser = kwargs.get("condition_parser")
        if parser != "pandas":
            raise UnsupportedExpectation(f"row condition parser {parser!r}")
        for pattern, kind in self._CONDITIONS:
            m = pattern.match(text)
            if not m:
                continue
            name = m.group(1)
            if kind == "notnull":
                return f"not {self.missing(name)}"
            if kind == "isnull":
                return self.missing(name)
            if kind == "flag":
                # pandas' nullable boolean: a missing flag compares as missing, so is not chosen
                return f"coalesce({self.column(name)} {'=' if m.group(2) == '==' else '<>'} {m.group(3).lower()}, false)"
            col, lit = self._typed(name, m.group(3))
            op = m.group(2)
            if op == "!=":  # pandas: a missing value differs from everything
                return f"({col} is null or {col} <> {lit})"
            return f"coalesce({col} {'=' if op == '==' else op} {lit}, false)"
        raise UnsupportedExpectation(f"row condition {text!r}")

    def plan(self, e: dict[str, Any]) -> _Plan:
        kind, kw = e["type"], e["kwargs"]
        if kind not in SUPPORTED:
            raise UnsupportedExpectation(f"expectation type {kind}")
        unknown = set(kw) - _KNOWN_KWARGS
        if unknown or kw.get("mostly") is not None:
            raise UnsupportedExpectation(f"{kind}: arguments {sorted(unknown or {'mostly'})}")
        domain = self.condition(kw)
        if kind == "expect_column_pair_values_a_to_be_greater_than_b":
            if kw.get("ignore_row_if", "both_values_are_missing") != "either_value_is_missing":
                raise UnsupportedExpectation(f"{kind}: ignore_row_if {kw.get('ignore_row_if')!r}")
            a, b = kw["column_A"], kw["column_B"]
            op = ">=" if kw.get("or_equal") else ">"
            return _Plan(domain, f"({self.missing(a)} or {self.missing(b)})",
                         f"not coalesce({self.column(a)} {op} {self.column(b)}, false)", [a, b], pair=True)
        name = kw["column"]
        col = self.column(name)
        if kind == "expect_column_values_to_not_be_null":
            return _Plan(domain, None, self.missing(name), [name])
        if kind == "expect_column_values_to_be_null":
            return _Plan(domain, None, f"not {self.missing(name)}", [name])
        missing = self.missing(name)
        if kind == "expect_column_values_to_be_in_set":
            return _Plan(domain, missing, f"not {self.in_set(name, self.value(kw['value_set']))}", [name])
        if kind == "expect_column_values_to_not_be_in_set":
            return _Plan(domain, missing, self.in_set(name, self.value(kw["value_set"])), [name])
        if kind == "expect_column_values_to_be_unique":
            return _Plan(domain, missing, "", [name], unique=col)
        # expect_column_values_to_be_between
        low, high = self.value(kw.get("min_value")), self.value(kw.get("max_value"))
        if low is None and high is None:
            raise UnsupportedExpectation(f"{kind} on {name} without min_value or max_value")
        parts = []
        if low is not None:
            c, v = self._typed(name, low)
            parts.append(f"{c} {'>' if kw.get('strict_min') else '>='} {v}")
        if high is not None:
            c, v = self._typed(name, high)
            parts.append(f"{c} {'<' if kw.get('strict_max') else '<='} {v}")
        return _Plan(domain, missing, f"not coalesce({' and '.join(parts)}, false)", [name])


def _check_form(e: dict[str, Any]) -> None:
    """Raise :class:`UnsupportedExpectation` unless ``e`` is of a form this engine translates
    (whatever columns the relation has)."""
    kw = e["kwargs"]
    names = {kw[k] for k in ("column", "column_A", "column_B") if k in kw}
    cond = kw.get("row_condition")
    if cond:
        m = next((p.match(cond) for p, _ in _Translator._CONDITIONS if p.match(cond)), None)
        if m is None:
            raise UnsupportedExpectation(f"row condition {cond!r}")
        names.add(m.group(1))
    _Translator({n: "VARCHAR" for n in names}, _AnyParameter()).plan(e)


class _AnyParameter(dict):
    def __missing__(self, key: str) -> Any:
        return "value"


def _py(value: Any) -> Any:
    """A value as GX's pandas engine hands it back: a date as a midnight timestamp."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    return value


def _partial_counts(values: list[Any]) -> list[dict[str, Any]] | None:
    try:
        return [{"value": k, "count": c} for k, c in sorted(Counter(values).most_common(PARTIAL),
                                                           key=lambda x: (-x[1], x[0]))]
    except TypeError:  # GX leaves the counts out when values cannot be ordered
        return None


def evaluate_suite(con: duckdb.DuckDBPyConnection, relation: str, suite: dict[str, Any], *,
                   index_columns: list[str], parameters: dict[str, Any],
                   order: str | None = None) -> SuiteResult:
    """Evaluate ``suite`` over ``relation`` (a table or view with a ``_pos`` column giving the
    frame order, 0-based; or, with ``order``, a table whose rows that ORDER BY puts in the
    frame order: the positions are then numbered only when a row is reported).

    Expectations reading a column the relation does not have are skipped (their check ids
    listed), as the GX path skips them. One aggregate query counts every expectation; the
    failing ones then fetch their unexpected rows.
    """
    types = {r[0]: r[1] for r in con.execute(f"describe {relation}").fetchall()}
    out = SuiteResult(suite["name"], meta=suite.get("meta", {}))
    from .suites import expectation_columns

    plans: list[tuple[dict[str, Any], _Plan]] = []
    tr = _Translator(types, parameters)
    for e in suite["expectations"]:
        if not expectation_columns(e) <= set(types):
            _check_form(e)   # skipped for want of a column, never for want of a translation
            out.skipped.append(e["meta"]["check_id"])
            continue
        plans.append((e, tr.plan(e)))
    if not plans:
        return out
    selects, sources = [], []
    for i, (_, p) in enumerate(plans):
        if p.unique is not None:
            # the rows of repeated values, counted by grouping (a window numbering every row
            # was most of a suite's cost); the rows themselves are fetched only if there are any
            sources.append(_flag_sql(relation, p, counted=True))
            selects.append(f"coalesce(count_if(d{i}), 0) as e{i}, coalesce(count_if(m{i}), 0) as m{i}, "
                           f"({_repeated_count_sql(relation, p)}) as u{i}")
            continue
        sources.append(_flag_sql(relation, p))
        selects.append(f"coalesce(count_if(d{i}), 0) as e{i}, coalesce(count_if(m{i}), 0) as m{i}, "
                       f"coalesce(count_if(u{i}), 0) as u{i}")
    body = ", ".join(f"{s.replace('{i}', str(i))}" for i, s in enumerate(sources))
    sql = f"select {', '.join(selects)} from (select {body} from {relation})"
    counts = con.execute(sql, _used(sql, tr.params)).fetchone()
    positions = _Positions(con, relation, order)
    try:
        for i, (e, p) in enumerate(plans):
            element, missing, unexpected = counts[3 * i], counts[3 * i + 1], counts[3 * i + 2]
            fetched = [] if not unexpected else _fetch(con, relation, p, i, index_columns,
                                                       tr.params, positions)
            out.results.append(_result(e, p, element, missing, unexpected, fetched, index_columns))
    finally:
        positions.drop()
    return out


class _Positions:
    """The frame position of each row of ``relation`` (by ``rowid``), numbered on first use:
    most suites report no row, and numbering every row is a sort of the whole table."""

    def __init__(self, con: duckdb.DuckDBPyConnection, relation: str, order: str | None):
        self.con, self.relation, self.order = con, relation, order
        self.table: str | None = None

    def source(self) -> str:
        if self.table is None:
            self.table = self.relation + "_positions"
            self.con.execute(f"create or replace temp table {self.table} as select rowid as _rid, "
                             f"row_number() over (order by {self.order}) - 1 as _pos "
                             f"from {self.relation}").fetchall()
        return self.table

    def drop(self) -> None:
        if self.table is not None:
            self.con.execute(f"drop table if exists {self.table}").fetchall()
            self.table = None


def _repeated_count_sql(relation: str, p: _Plan) -> str:
    """How many rows of the domain hold a (non-missing) value that occurs more than once: the
    unexpected count of a uniqueness plan."""
    missing = p.missing or "false"
    return (f"select coalesce(sum(n), 0) from (select count(*) as n from {relation} "
            f"where ({p.domain}) and not ({missing}) group by {p.unique} having count(*) > 1)")


def _flag_sql(relation: str, p: _Plan, *, counted: bool = False) -> str:
    """Per-row flags of one plan: in the domain, missing, unexpected (``{i}`` numbered later;
    ``counted``: only the first two, the unexpected rows being counted on their own)."""
    missing = p.missing or "false"
    if counted:
        return f"({p.domain}) as d{{i}}, ({p.domain}) and ({missing}) as m{{i}}"
    unexpected = p.unexpected
    if p.unique is not None:  # repeated among the domain's non-missing rows only
        unexpected = f"count(*) over (partition by {p.unique}, ({p.domain}) and not ({missing})) > 1"
    return (f"({p.domain}) as d{{i}}, ({p.domain}) and ({missing}) as m{{i}}, "
            f"({p.domain}) and not ({missing}) and ({unexpected}) as u{{i}}")


def _fetch(con, relation: str, p: _Plan, i: int, index_columns: list[str], params: dict,
           positions: _Positions) -> list[tuple]:
    cols = list(dict.fromkeys(p.values + index_columns))
    flag = _flag_sql(relation, p).replace("{i}", str(i))
    if positions.order is None:
        sql = (f"select {', '.join(_q(c) for c in cols)}, _pos from (select *, {flag} from {relation}) "
               f"where u{i} order by _pos")
    else:
        sql = (f"select {', '.join('r.' + _q(c) for c in cols)}, p._pos from "
               f"(select rowid as _rid, *, {flag} from {relation}) as r "
               f"join {positions.source()} as p on p._rid = r._rid where r.u{i} order by p._pos")
    names = cols + ["_pos"]
    return [dict(zip(names, row)) for row in con.execute(sql, _used(sql, params)).fetchall()]


def _used(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters ``sql`` names (DuckDB refuses any other)."""
    return {k: v for k, v in params.items() if re.search(r"\$" + k + r"\b", sql)}


def _result(e: dict[str, Any], p: _Plan, element: int, missing: int, unexpected: int,
            rows: list[dict[str, Any]], index_columns: list[str]) -> ExpectationResult:
    """GX's ``_format_map_output`` for result format COMPLETE."""
    values = p.values
    if p.pair:
        a, b = values
        unexpected_list = [(_py(r[a]), _py(r[b])) for r in rows]
        index_list = [{a: _py(r[a]), **{c: _py(r[c]) for c in index_columns}, b: _py(r[b])} for r in rows]
    else:
        (col,) = values
        unexpected_list = [_py(r[col]) for r in rows]
        index_list = [{col: _py(r[col]), **{c: _py(r[c]) for c in index_columns}} for r in rows]
    nonnull = None if p.missing is None else element - missing
    total = nonmissing = missing_pct = None
    if element > 0:
        total = unexpected / element * 100
        if nonnull is not None:
            missing_pct = missing / element * 100
            nonmissing = unexpected / nonnull * 100 if nonnull > 0 else None
        else:
            nonmissing = total
    result: dict[str, Any] = {"element_count": element, "unexpected_count": unexpected,
                              "unexpected_percent": nonmissing,
                              "partial_unexpected_list": unexpected_list[:PARTIAL],
                              "unexpected_index_column_names": list(index_columns)}
    if nonnull is not None:
        result.update(missing_count=missing, missing_percent=missing_pct,
                      unexpected_percent_total=total, unexpected_percent_nonmissing=nonmissing)
    counts = _partial_counts(unexpected_list)
    if counts is not None:
        result["partial_unexpected_counts"] = counts
    result["partial_unexpected_index_list"] = index_list[:PARTIAL]
    result["unexpected_list"] = unexpected_list
    result["unexpected_index_list"] = index_list
    result["unexpected_index_query"] = f"df.filter(items={[r['_pos'] for r in rows]}, axis=0)"
    return ExpectationResult(e, unexpected == 0, result)


def unexpected_rows(result: ExpectationResult) -> list[dict[str, Any]]:
    """The failing records of one result (``unexpected_index_list``); none when it passed."""
    return [] if result.success else result.result["unexpected_index_list"]
