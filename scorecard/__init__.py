"""scorecard: a trustworthy monthly performance scorecard for a children's safeguarding partnership.

Typical use::

    import scorecard
    scorecard.build(scorecard.settings(raw_dir="data/raw", out_dir="reports/2022-23"), period="2022-23")
    scorecard.metrics("2022-23", metric="rereferrals_12m_pct")   # polars DataFrame
    scorecard.compare("2022-23", as_pandas=True)                 # pandas DataFrame

The sub-modules ``load``, ``build`` and ``metrics`` share their names with the functions
exported here; import from them explicitly (``from scorecard.metrics import METRICS``). The
exported names are imported when first used.
"""
from __future__ import annotations

import sys
import types
from importlib import import_module

__all__ = [
    "build", "BuildResult", "compare", "connect", "load", "metrics", "METRICS", "open_db",
    "parse_period", "ScorecardError", "Settings", "settings", "StructuralError", "__version__",
]

__version__ = "0.1.0"

#: where each exported name lives. They are imported when first used, not with the package: a
#: helper process (the chart helper, the Data Docs worker) runs one sub-module and should not
#: pay for DuckDB, polars and pyarrow, which ``build`` imports
_EXPORTS = {"build": "build", "BuildResult": "build", "compare": "api", "metrics": "api",
            "open_db": "api", "Settings": "config", "settings": "config", "connect": "db",
            "ScorecardError": "errors", "StructuralError": "errors", "load": "load",
            "METRICS": "metrics", "parse_period": "periods"}


def _export(name: str):
    return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)


def __getattr__(name: str):
    if name in _EXPORTS:
        return _export(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


#: exports set by the caller (a test patching ``scorecard.build``), in place of the real ones
_SET: dict[str, object] = {}


def _settable(name: str) -> property:
    def get(self):
        return _SET[name] if name in _SET else _export(name)

    def put(self, value) -> None:
        if not isinstance(value, types.ModuleType):   # importing the sub-module sets it: ignored
            _SET[name] = value

    def remove(self) -> None:
        _SET.pop(name, None)

    return property(get, put, remove)


class _Package(types.ModuleType):
    """``scorecard.build``, ``scorecard.load`` and ``scorecard.metrics`` are the functions even
    once their sub-modules are imported (importing a sub-module sets the package's attribute of
    its name: that is ignored here, and the sub-module stays in ``sys.modules``); anything else
    set there (a test's patch) is used until it is deleted."""

    build = _settable("build")
    load = _settable("load")
    metrics = _settable("metrics")


sys.modules[__name__].__class__ = _Package
