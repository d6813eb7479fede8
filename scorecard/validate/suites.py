"""The Great Expectations side of validation.

GX 1.x SQL datasources do not work with ``duckdb_engine`` (GX issue #11579), so every frame
is read from DuckDB into pandas and validated through an ephemeral context with a pandas
datasource; the suites are the JSON files in ``expectations/`` (GX's own format). Each
expectation's ``meta`` carries ``check_id``, ``severity`` and ``message``; failing records
come back through ``unexpected_index_column_names`` (result format ``COMPLETE``).
GX is imported lazily: it takes seconds to import.
"""
from __future__ import annotations

import datetime

import json
import logging
import re
import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["GXRunner", "SuiteRun", "expectation_columns", "finding_rows", "load_suite", "suite_columns"]

_COLUMN_KEYS = ("column", "column_A", "column_B")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def load_suite(name: str) -> dict[str, Any]:
    """The suite ``expectations/<name>.json`` as a dict."""
    text = resources.files("scorecard").joinpath("expectations", f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


def expectation_columns(expectation: dict[str, Any], *, condition: bool = True) -> set[str]:
    """Every column one expectation reads: its column arguments and (unless ``condition`` is
    false) its row condition, which only chooses the rows the expectation applies to."""
    kw = expectation["kwargs"]
    cols = {kw[k] for k in _COLUMN_KEYS if k in kw}
    cols.update(kw.get("column_list", []))
    if condition and kw.get("row_condition"):
        cols.update(w for w in _WORD.findall(kw["row_condition"])
                    if w not in ("notnull", "isnull", "True", "False", "None"))
    return cols


def suite_columns(suite: dict[str, Any]) -> set[str]:
    """Every column an expectation of ``suite`` reads."""
    return set().union(*(expectation_columns(e) for e in suite["expectations"])) if suite["expectations"] else set()


@dataclass
class SuiteRun:
    """The outcome of one suite on one frame."""

    name: str
    rows: list[dict[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _exception(info: dict[str, Any] | None) -> str:
    """The message of an exception GX caught while evaluating an expectation ("" if none).

    GX reports it either at the top level or per metric."""
    if not info:
        return ""
    parts = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    return "; ".join(str(p.get("exception_message")) for p in parts if p.get("raised_exception"))


class GXRunner:
    """An ephemeral GX context with one pandas datasource and a Data Docs site at ``docs_dir``."""

    def __init__(self, docs_dir: Path, run_time: datetime.datetime | None = None):
        """:param run_time: the time stamped on every validation in the Data Docs; fixed (the
            extract date) so that re-running on the same inputs gives byte-identical docs."""
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        # GX sets this one module's logger to INFO itself, which prints a line on every run
        logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
        self._gx = gx
        self.run_time = run_time
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.context.add_data_docs_site(site_name="scorecard", site_config={
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(docs_dir)},
        })
        self.datasource = self.context.data_sources.add_pandas("scorecard")
        #: (suite name, GX ExpectationValidationResult) of every expectation run, in order
        self.results: list[tuple[str, Any]] = []

    def run(self, suite: dict[str, Any], frame: pd.DataFrame, *, table_of: str | None,
            index_columns: list[str], parameters: dict[str, Any]) -> SuiteRun:
        """Validate ``frame`` against ``suite``; one output row per failing record.

        Expectations whose columns are not in ``frame`` are skipped (and listed).
        ``table_of``: the table every row belongs to, or ``None`` when the frame has a
        ``table_name`` column (period frames). ``index_columns``: the columns that name a
        failing row (``unexpected_index_column_names``).
        """
        from great_expectations.core import ExpectationSuite

        gx = self._gx
        name = suite["name"]
        out = SuiteRun(name)
        present = set(frame.columns)
        kept = []
        for e in suite["expectations"]:
            if expectation_columns(e) <= present:
                kept.append(e)
            else:
                out.skipped.append(e["meta"]["check_id"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            gx_suite = self.context.suites.add(ExpectationSuite(
                name=name, expectations=kept, meta=suite.get("meta", {})))
        asset = self.datasource.add_dataframe_asset(name)
        batch = asset.add_batch_definition_whole_dataframe("whole")
        vd = self.context.validation_definitions.add(gx.ValidationDefinition(
            name=name, data=batch, suite=gx_suite))
        checkpoint = self.context.checkpoints.add(gx.Checkpoint(
            name=name, validation_definitions=[vd],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": index_columns},
        ))
        with warnings.catch_warnings():  # GX deprecation notices are not the user's business
            warnings.simplefilter("ignore", DeprecationWarning)
            result = checkpoint.run(batch_parameters={"dataframe": frame},
                                    expectation_parameters=parameters, run_id=self._run_id())
        for suite_result in result.run_results.values():
            for r in suite_result.results:
                self.results.append((name, r))
                meta = r.expectation_config.meta or {}
                problem = _exception(r.exception_info)
                if problem:
                    out.broken.append(f"{meta.get('check_id')}: {problem}")
                    continue
                if r.success:
                    continue
                out.rows.extend(self._rows(r, meta, table_of, index_columns))
        return out

    def _run_id(self):
        from great_expectations.core.run_identifier import RunIdentifier

        if self.run_time is None:
            return None
        return RunIdentifier(run_name="scorecard", run_time=self.run_time)

    @staticmethod
    def _rows(r: Any, meta: dict[str, Any], table_of: str | None,
              index_columns: list[str]) -> list[dict[str, str]]:
        return finding_rows(r.expectation_config.kwargs, meta, r.result.get("unexpected_index_list") or [],
                            table_of, index_columns)


def finding_rows(kwargs: dict[str, Any], meta: dict[str, Any], items: list[dict[str, Any]],
                 table_of: str | None, index_columns: list[str]) -> list[dict[str, str]]:
    """``validation.csv`` rows for one failing expectation: one per unexpected record
    (``items``: GX's ``unexpected_index_list``), whichever engine evaluated it."""
    column = kwargs.get("column")
    rows = []
    for item in items:
        message = meta["message"]
        if table_of is None:  # period frames: name the row in the message
            detail = ", ".join(f"{c} {_text(item.get(c))}" for c in index_columns
                               if c not in ("table_name", "period"))
            extra = ", ".join(f"{k} {_text(v)}" for k, v in item.items()
                              if k not in index_columns)
            message = f"{message}: {detail}" + (f" ({extra})" if extra else "")
        elif column and column.startswith("chk_") and item.get(column):
            message = f"{message}: {item[column]}"
        rows.append({
            "check_id": meta["check_id"],
            "table": table_of if table_of is not None else _text(item.get("table_name")),
            "severity": meta["severity"],
            "record_id": _text(item.get(index_columns[0])) if table_of is not None else "",
            "period": _text(item.get("period")),
            "message": message,
        })
    return rows
