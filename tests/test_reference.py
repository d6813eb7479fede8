"""Tests for scorecard.reference: the package-data lookups, and that imports run one way."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from scorecard import reference
from scorecard.errors import ConfigError

PACKAGE = Path(reference.__file__).parent


def _imports(path: Path) -> set[str]:
    """Absolute names of the scorecard modules ``path`` imports (relative imports resolved)."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module.removesuffix(".__init__")
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.add(name)
            out.update(f"{name}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {n for n in out if n.startswith("scorecard")}


def test_reference_imports_neither_metrics_nor_benchmarks():
    names = _imports(PACKAGE / "reference.py")
    assert not any(n.startswith(("scorecard.metrics", "scorecard.benchmarks")) for n in names), names


def test_metrics_never_import_benchmarks():
    for path in sorted((PACKAGE / "metrics").glob("*.py")):
        names = _imports(path)
        assert not any(n.startswith("scorecard.benchmarks") for n in names), (path.name, names)


def test_barnsley_lookups():
    assert reference.la_name(370) == "Barnsley"
    assert reference.region_of(370) == ("E12000003", "Yorkshire and The Humber")
    pop = reference.population(370, 2022)
    assert pop is not None and 40_000 < pop < 60_000
    assert reference.population(370, 1990) is None
    assert len(reference.statistical_neighbours(370)) == 10


def test_unknown_la_and_grouping_are_config_errors():
    with pytest.raises(ConfigError, match="unknown LA code 999"):
        reference.la_name(999)
    with pytest.raises(ConfigError, match="not a DfE LA code"):
        reference.la_name("370")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="grouping"):
        reference.statistical_neighbours(370, "june_1999")


def test_grouping_in_force():
    assert reference.grouping_for_period("2024-25") == "april_2021"
    assert reference.grouping_for_period("2025-08") == "may_2025"
