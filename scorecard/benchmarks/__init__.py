"""Benchmarks: every scorecard figure beside England, the region and the DfE statistical neighbours.

The comparators ship as small tidy package data in ``scorecard/data/benchmarks/``, rebuilt by
:func:`refresh` from DfE files exactly as published. ``SOURCES.md`` beside the data names every
release and file used.

Modules, by what they do:

- :mod:`.refresh` — rebuild the package data from a folder of DfE files;
- :mod:`scorecard.reference` — lookups (LA names, regions, populations, neighbours), shared
  with ``scorecard.metrics`` and so kept below both;
- :mod:`.series` — which DfE series each metric is compared or reconciled with;
- :mod:`.compare` — the scorecard frame (``scorecard.csv``): comparators, quartile, rank, RAG
  and direction of travel (the rules are in its docstring);
- :mod:`.reconcile` — the package's own values beside the DfE's published figures for the LA.

Conventions: a DfE ``time_period`` of 2023 is the financial year 2022-23 (year ending 31 March
2023). Rates per 10,000 are computed from published counts and the ONS mid-year 0–17 estimate
of the calendar year the financial year starts in (mid-2022 for 2022-23), as in ``metrics.md``.
"""
from __future__ import annotations

import polars as pl

from ..metrics.front_door import SOURCE_GROUPS
from ..reference import (DATA_DIR, GROUPINGS, ReferenceData, grouping_for_period, la_name,
                         population, region_of, statistical_neighbours)
from . import compare as _compare
from . import reconcile as _reconcile
from .compare import SCORECARD_COLUMNS
from .reconcile import RECONCILE_COLUMNS
from .refresh import MARKERS, refresh
from .series import COMPARATORS, RECONCILED

__all__ = [
    "Benchmarks", "refresh", "population", "la_name", "region_of", "statistical_neighbours",
    "grouping_for_period", "compare", "reconcile", "GROUPINGS", "SOURCE_GROUPS",
    "SCORECARD_COLUMNS", "RECONCILE_COLUMNS", "MARKERS", "COMPARATORS", "RECONCILED",
    "DATA_DIR",
]


class Benchmarks(ReferenceData):
    """Benchmark data in one folder (default: the package data): its lookups, plus
    :meth:`compare` and :meth:`reconcile` over it."""

    def compare(self, metrics: pl.DataFrame, *, la_code: int = 370, period: str = "2022-23",
                grouping: str | None = None,
                catalogue: pl.DataFrame | None = None) -> pl.DataFrame:
        """The scorecard frame for ``period`` and the previous year (:func:`.compare.compare`)."""
        return _compare.compare(self, metrics, la_code=la_code, period=period,
                                grouping=grouping, catalogue=catalogue)

    def reconcile(self, metrics: pl.DataFrame, *, la_code: int = 370,
                  period: str = "2022-23") -> pl.DataFrame:
        """Package values beside the DfE's figures for the LA (:func:`.reconcile.reconcile`)."""
        return _reconcile.reconcile(self, metrics, la_code=la_code, period=period)


def compare(metrics: pl.DataFrame, *, la_code: int = 370, period: str = "2022-23",
            grouping: str | None = None, catalogue: pl.DataFrame | None = None) -> pl.DataFrame:
    """The scorecard frame for ``period`` and the previous year (see :func:`.compare.compare`)."""
    return Benchmarks().compare(metrics, la_code=la_code, period=period, grouping=grouping,
                                catalogue=catalogue)


def reconcile(metrics: pl.DataFrame, *, la_code: int = 370,
              period: str = "2022-23") -> pl.DataFrame:
    """Package values beside the DfE's figures for the LA (see :func:`.reconcile.reconcile`)."""
    return Benchmarks().reconcile(metrics, la_code=la_code, period=period)
