"""The metric engine: a registry of declared metrics computed over SQL mart tables.

>>> from scorecard.metrics import METRICS
>>> "rereferrals_12m_pct" in METRICS
True

Public API: ``METRICS`` (the registry), ``Metric``, ``catalogue()``, ``compute(con, period,
...)``, ``build_marts(con, schema="marts")``.
"""
from __future__ import annotations

from . import (  # noqa: F401 (register)
    child_protection, child_protection_extra, children_in_need, children_in_need_extra, front_door,
    missing)
from .compute import catalogue, compute
from .definitions import METRICS, DuplicateMetricError, Metric
from .marts import build_marts

__all__ = ["METRICS", "DuplicateMetricError", "Metric", "build_marts", "catalogue", "compute"]
