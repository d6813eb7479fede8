"""Runs suites with the DuckDB engine (``engine.py``) and keeps their results for the Data Docs.

Same interface as ``suites.GXRunner.run`` (a ``SuiteRun`` per suite: the ``validation.csv`` rows,
the check ids skipped), plus :meth:`DuckDBRunner.run_sql`, which evaluates a query's rows
without ever leaving DuckDB.
"""
from __future__ import annotations

from typing import Any

import duckdb

from .engine import SuiteResult, evaluate_suite, unexpected_rows
from .suites import SuiteRun, finding_rows

__all__ = ["DuckDBRunner"]

_RELATION = "_scorecard_validation_frame"


class DuckDBRunner:
    """Evaluates suites in DuckDB on ``con``; ``results`` holds every suite's results (with
    the index columns naming its rows), in the order run, for the Data Docs."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.results: list[tuple[SuiteResult, list[str]]] = []

    def run_sql(self, suite: dict[str, Any], sql: str, params: dict[str, Any], *,
                table_of: str | None, index_columns: list[str],
                parameters: dict[str, Any], order: str | None = None) -> SuiteRun:
        """Validate the rows of ``sql`` (which has a ``_pos`` column: the frame order; or, with
        ``order``, the ORDER BY of its columns giving the frame order)."""
        self.con.execute(f"create or replace temp table {_RELATION} as {sql}", params)
        try:
            return self._run(suite, table_of=table_of, index_columns=index_columns,
                             parameters=parameters, order=order)
        finally:
            self.con.execute(f"drop table if exists {_RELATION}")

    def run(self, suite: dict[str, Any], frame, *, table_of: str | None, index_columns: list[str],
            parameters: dict[str, Any]) -> SuiteRun:
        """Validate a pandas frame (the small period frames), as ``GXRunner.run`` does."""
        view = _RELATION + "_df"
        self.con.register(view, frame.assign(_pos=range(len(frame))))
        try:
            return self.run_sql(suite, f"select * from {view}", {}, table_of=table_of,
                                index_columns=index_columns, parameters=parameters)
        finally:
            self.con.unregister(view)

    def _run(self, suite: dict[str, Any], *, table_of: str | None, index_columns: list[str],
             parameters: dict[str, Any], order: str | None = None) -> SuiteRun:
        result = evaluate_suite(self.con, _RELATION, suite, index_columns=index_columns,
                                parameters=parameters, order=order)
        self.results.append((result, index_columns))
        out = SuiteRun(suite["name"], skipped=list(result.skipped))
        for r in result.results:
            items = unexpected_rows(r)
            if items:
                out.rows += finding_rows(r.expectation["kwargs"], r.expectation["meta"], items,
                                         table_of, index_columns)
        return out
