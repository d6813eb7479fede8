"""scorecard: a trustworthy monthly performance scorecard for a children's safeguarding partnership.

Typical use::

    import scorecard
    scorecard.build(scorecard.settings(raw_dir="data/raw", out_dir="reports/2022-23"), period="2022-23")
    scorecard.metrics("2022-23", metric="rereferrals_12m_pct")   # polars DataFrame
    scorecard.compare("2022-23", as_pandas=True)                 # pandas DataFrame

The sub-modules ``load``, ``build`` and ``metrics`` share their names with the functions
exported here; import from them explicitly (``from scorecard.metrics import METRICS``).
"""
from __future__ import annotations

# Import the sub-modules first, so that the functions bound below are not replaced by them.
from . import build as _build_module  # noqa: F401
from . import load as _load_module  # noqa: F401
from . import metrics as _metrics_module  # noqa: F401
from .api import compare, metrics, open_db
from .build import BuildResult, build
from .config import Settings, settings
from .db import connect
from .errors import ScorecardError, StructuralError
from .load import load
from .metrics import METRICS
from .periods import parse_period

__all__ = [
    "build", "BuildResult", "compare", "connect", "load", "metrics", "METRICS", "open_db",
    "parse_period", "ScorecardError", "Settings", "settings", "StructuralError", "__version__",
]

__version__ = "0.1.0"
