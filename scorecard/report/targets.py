"""The partnership's own targets: an optional file, and a RAG against each target shown
*beside* the DfE-based RAG (never in its place).

The file is TOML (``targets.toml``) or CSV. Where it comes from, first found wins: the
``--targets PATH`` option of ``scorecard build`` (or ``$SCORECARD_TARGETS``), else a file
``targets.toml`` at the top of the raw folder (the loader skips it: it is not an extract
file type). TOML, one table per metric id, or per metric id and breakdown::

    # Barnsley Safeguarding Children Partnership: local targets 2023-24
    [contacts_concluded_24h_pct]
    target = 75          # per cent
    tolerance = 5        # amber within 5 points of the target on the wrong side
    note = "JTAI action plan, recommendation 2"

    [rereferrals_12m_pct]
    target = 20
    tolerance = 2

    [referral_source_pct."Schools/Education"]
    target = 20
    tolerance = 3
    better = "higher"

    [cpp_avg_open_per_month]
    target = 280
    tolerance = 20
    better = "near"      # green within the tolerance either side, red outside it
    applies_to = "year"  # month | year | both (default both)

CSV: a header row ``metric_id,breakdown,target,tolerance,better,applies_to,note`` (only
``metric_id`` and ``target`` required), one row per target.

Fields: ``target`` (a number, in the metric's unit: per cent 0-100 for percentages);
``tolerance`` (default 0; the width of the amber band); ``better`` (``higher`` | ``lower`` |
``near``; default the metric's polarity; required for a neutral metric); ``applies_to``
(``month`` | ``year`` | ``both``, default ``both``: a year-to-date figure counts as a year);
``note`` (free text shown with the target).

RAG against a target: ``higher`` is better: green at or above the target, amber within the
tolerance below it, red further below; ``lower`` mirrors it; ``near``: green within the
tolerance either side, red outside it. A target the file gets wrong (an unknown metric, a
target that is not a number, a negative tolerance, no ``better`` for a neutral metric) stops
the build with exit status 2 and one line naming the file, the entry and the field.
"""
from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..errors import ConfigError

__all__ = ["Target", "Targets", "load_targets", "find_targets", "target_rag", "TARGET_COLUMNS"]

#: columns added to ``scorecard.csv`` when targets are given
TARGET_COLUMNS = {"target": pl.Float64, "target_tolerance": pl.Float64,
                  "target_better": pl.Utf8, "target_rag": pl.Utf8}
_BETTER = ("higher", "lower", "near")
_APPLIES = ("month", "year", "both")


@dataclass(frozen=True)
class Target:
    """One local target."""

    metric_id: str
    breakdown: str
    target: float
    tolerance: float
    better: str
    applies_to: str = "both"
    note: str = ""

    def applies(self, period_kind: str) -> bool:
        """Whether the target is for a figure of this kind of period (``month``/``year``)."""
        return self.applies_to == "both" or self.applies_to == period_kind

    def rag(self, value: float | None) -> str:
        """green / amber / red against the target; "" without a value."""
        return target_rag(value, self.target, self.tolerance, self.better)


def target_rag(value: float | None, target: float, tolerance: float, better: str) -> str:
    """The RAG rule of the module docstring."""
    if value is None:
        return ""
    eps = 1e-9
    if better == "near":
        return "green" if abs(value - target) <= tolerance + eps else "red"
    gap = (target - value) if better == "higher" else (value - target)   # > 0: short of it
    if gap <= eps:
        return "green"
    return "amber" if gap <= tolerance + eps else "red"


class Targets:
    """Targets by (metric id, breakdown), with the file they came from."""

    def __init__(self, items: list[Target], source: str = ""):
        self._by = {(t.metric_id, t.breakdown): t for t in items}
        self.source = source

    def get(self, metric_id: str, breakdown: str = "") -> Target | None:
        return self._by.get((metric_id, breakdown or ""))

    def __iter__(self):
        return iter(sorted(self._by.values(), key=lambda t: (t.metric_id, t.breakdown)))

    def __len__(self) -> int:
        return len(self._by)

    def annotate(self, scorecard: pl.DataFrame) -> pl.DataFrame:
        """``scorecard`` with :data:`TARGET_COLUMNS` (blank where no target applies)."""
        rows = []
        for r in scorecard.select("metric_id", "breakdown", "period", "value").iter_rows():
            t = self.get(r[0], r[1] or "")
            kind = "month" if _is_month(r[2]) else "year"
            if t is None or not t.applies(kind):
                rows.append((None, None, None, None))
            else:
                rows.append((t.target, t.tolerance, t.better, t.rag(r[3]) or None))
        extra = pl.DataFrame(rows, schema=TARGET_COLUMNS, orient="row")
        return pl.concat([scorecard, extra], how="horizontal")


def _is_month(period: str | None) -> bool:
    from ..periods import parse_period

    try:
        return parse_period(period or "").kind == "month"
    except ValueError:
        return False


def _number(path: Path, entry: str, field: str, value, default: float | None = None) -> float:
    if value is None or value == "":
        if default is None:
            raise ConfigError(f"{path}: target {entry!r}: {field} is missing")
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{path}: target {entry!r}: {field} {value!r} is not a number") from None


def _make(path: Path, metric_id: str, breakdown: str, fields: dict, polarity: dict[str, str]) -> Target:
    entry = metric_id + (f".{breakdown}" if breakdown else "")
    if metric_id not in polarity:
        raise ConfigError(f"{path}: target {entry!r}: unknown metric id {metric_id!r} "
                          f"(known: {', '.join(sorted(polarity))})")
    unknown = set(fields) - {"target", "tolerance", "better", "applies_to", "note"}
    if unknown:
        raise ConfigError(f"{path}: target {entry!r}: unknown field(s) {', '.join(sorted(unknown))}")
    target = _number(path, entry, "target", fields.get("target"))
    tolerance = _number(path, entry, "tolerance", fields.get("tolerance"), 0.0)
    if tolerance < 0:
        raise ConfigError(f"{path}: target {entry!r}: tolerance {tolerance:g} is negative")
    better = (fields.get("better") or "").strip().lower()
    if not better:
        better = polarity[metric_id]
        if better == "neutral":
            raise ConfigError(f"{path}: target {entry!r}: better is missing (the metric has no "
                              f"direction: say higher, lower or near)")
    if better not in _BETTER:
        raise ConfigError(f"{path}: target {entry!r}: better {better!r} is not one of "
                          f"{', '.join(_BETTER)}")
    applies = (fields.get("applies_to") or "both").strip().lower()
    if applies not in _APPLIES:
        raise ConfigError(f"{path}: target {entry!r}: applies_to {applies!r} is not one of "
                          f"{', '.join(_APPLIES)}")
    return Target(metric_id, breakdown, target, tolerance, better, applies,
                  str(fields.get("note") or ""))


def _polarities() -> dict[str, str]:
    from ..metrics import METRICS

    return {m.id: m.polarity for m in METRICS}


def load_targets(path: Path, polarity: dict[str, str] | None = None) -> Targets:
    """Read a targets file (TOML or CSV; see the module docstring)."""
    path = Path(path)
    polarity = polarity or _polarities()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the targets file: {exc.strerror or exc}") from None
    items: list[Target] = []
    if path.suffix.lower() == ".csv":
        text = raw.decode("utf-8-sig", errors="replace")
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or not {"metric_id", "target"} <= set(reader.fieldnames):
            raise ConfigError(f"{path}: a targets CSV needs the columns metric_id and target")
        for i, row in enumerate(reader, start=2):
            mid = (row.pop("metric_id") or "").strip()
            breakdown = (row.pop("breakdown", "") or "").strip()
            fields = {k: v for k, v in row.items() if k and v not in (None, "")}
            try:
                items.append(_make(path, mid, breakdown, fields, polarity))
            except ConfigError as exc:
                raise ConfigError(f"{exc} (row {i})") from None
    else:
        try:
            data = tomllib.loads(raw.decode("utf-8-sig"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not a valid TOML targets file: {exc}") from None
        for mid, table in data.items():
            if not isinstance(table, dict):
                raise ConfigError(f"{path}: target {mid!r}: expected a table [{mid}]")
            fields = {k: v for k, v in table.items() if not isinstance(v, dict)}
            subs = {k: v for k, v in table.items() if isinstance(v, dict)}
            if fields:
                items.append(_make(path, mid, "", fields, polarity))
            for breakdown, sub in subs.items():
                items.append(_make(path, mid, breakdown, sub, polarity))
    return Targets(items, str(path))


def find_targets(explicit: Path | None, raw_dir: Path | None) -> Path | None:
    """The targets file to use: ``explicit`` (which must exist), else ``targets.toml`` at the
    top of the raw folder, else none."""
    if explicit is not None:
        if not Path(explicit).is_file():
            raise ConfigError(f"{explicit}: the targets file does not exist")
        return Path(explicit)
    if raw_dir is not None and (Path(raw_dir) / "targets.toml").is_file():
        return Path(raw_dir) / "targets.toml"
    return None
