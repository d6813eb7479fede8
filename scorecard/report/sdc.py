"""Statistical disclosure control (SDC) for everything the scorecard publishes.

The rule, applied to every published table, chart and the HTML scorecard:

1. **Primary suppression.** A count from 1 to ``threshold - 1`` (default 1 to 4) is
   shown as ``c``. Zero is shown: it tells nobody anything about a child.
2. **Derived values.** A percentage, rate or mean is shown as ``c`` when any count it is
   computed from (its numerator, or its denominator where that is a published count) is
   suppressed, because the hidden count could be worked back from it.
3. **Secondary suppression.** A *line* is a set of cells together with a published
   aggregate of them (a total row, a total column or a mean of the months). When exactly
   one cell of a line is hidden and the aggregate is shown, the hidden value could be
   recovered by subtraction, so the next-smallest non-zero shown cell of the same line is
   hidden too; when there is no such cell the aggregate itself is hidden. A hidden
   aggregate may in turn be a cell of another line, so the step repeats until no line
   has exactly one hidden cell beside a shown aggregate.

Cells are addressed as ``(row_index, column_name)``. The functions here are pure: they
take values and the table's structure and return the set of cells to hide.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Cell", "Line", "SUPPRESSED", "DEFAULT_THRESHOLD", "rule_note", "is_primary",
           "suppress", "suppress_breakdown", "recoverable_lines"]

#: A cell of a table: (row index, column name).
Cell = tuple[int, str]

#: The marker published in place of a suppressed value.
SUPPRESSED = "c"

#: Counts below this (and above zero) are suppressed unless configured otherwise.
DEFAULT_THRESHOLD = 5


def rule_note(threshold: int = DEFAULT_THRESHOLD) -> str:
    """The suppression rule in one sentence, for notes under tables and charts."""
    return (f"c = suppressed: counts of 1 to {threshold - 1}, figures calculated from them, "
            "and where needed a further cell so a hidden value cannot be worked out from a total. "
            "Zero is shown.")


@dataclass(frozen=True)
class Line:
    """Cells whose published aggregate (sum or mean) is the cell ``total``."""

    members: tuple[Cell, ...]
    total: Cell


def is_primary(value: float | None, threshold: int = DEFAULT_THRESHOLD) -> bool:
    """True for a count that must be hidden: strictly between 0 and ``threshold``."""
    return value is not None and 0 < value < threshold


def suppress(values: Mapping[Cell, float | None], *, counts: Iterable[Cell],
             derived: Mapping[Cell, Sequence[Cell]] | None = None,
             lines: Sequence[Line] = (), threshold: int = DEFAULT_THRESHOLD,
             initial: Iterable[Cell] = ()) -> frozenset[Cell]:
    """The cells to publish as ``c`` under the module's rule.

    :param values: every cell's value (``None`` = not available; never suppressed itself).
    :param counts: the cells holding counts (candidates for primary suppression).
    :param derived: cells computed from other cells (a percentage -> its numerator and
        denominator cells); hidden when any of those is hidden.
    :param lines: the additive lines of the table (members with a published aggregate).
    :param threshold: counts from 1 to ``threshold - 1`` are hidden.
    :param initial: cells already hidden for another reason (e.g. by a published table).
    """
    if threshold < 1:
        raise ValueError(f"suppression threshold must be at least 1, not {threshold}")
    derived = derived or {}
    hidden = {c for c in counts if is_primary(values.get(c), threshold)} | set(initial)
    changed = True
    while changed:
        changed = False
        for line in lines:
            if values.get(line.total) is None or line.total in hidden:
                continue
            shown_hidden = [m for m in line.members if m in hidden]
            if len(shown_hidden) != 1:
                continue
            candidates = [m for m in line.members
                          if m not in hidden and (values.get(m) or 0) > 0]
            if candidates:
                # next-smallest; ties broken by position in the line for stable output
                hidden.add(min(candidates, key=lambda m: (values[m], line.members.index(m))))
            else:
                hidden.add(line.total)
            changed = True
        for cell, sources in derived.items():
            if cell not in hidden and values.get(cell) is not None and any(
                    s in hidden for s in sources):
                hidden.add(cell)
                changed = True
    return frozenset(hidden)


def suppress_breakdown(counts: Mapping[str, float | None], *, total_published: bool = True,
                       threshold: int = DEFAULT_THRESHOLD) -> frozenset[str]:
    """Which categories of one breakdown to hide (e.g. referral sources or CP categories).

    ``counts`` maps each category to its count. The categories add up to a figure published
    elsewhere (or, for percentages, to 100) unless ``total_published`` is False, so secondary
    suppression applies within the breakdown. That total cannot be hidden here, so when the
    rule would hide it (one small count beside zeros) every category is hidden instead.
    """
    keys = sorted(counts)
    values: dict[Cell, float | None] = {(i, "n"): counts[k] for i, k in enumerate(keys)}
    total: Cell = (-1, "n")
    values[total] = float(sum(v or 0 for v in counts.values())) if total_published else None
    lines = [Line(tuple((i, "n") for i in range(len(keys))), total)]
    hidden = suppress(values, counts=[(i, "n") for i in range(len(keys))], lines=lines,
                      threshold=threshold)
    if total in hidden:
        return frozenset(keys)
    return frozenset(keys[i] for i, _ in hidden)


def recoverable_lines(hidden: Iterable[Cell], lines: Sequence[Line],
                      values: Mapping[Cell, float | None]) -> list[Line]:
    """Lines that leak: exactly one hidden member while the aggregate is published.

    Empty after :func:`suppress`; used by tests and as a last check before publishing.
    """
    hidden = set(hidden)
    return [ln for ln in lines
            if values.get(ln.total) is not None and ln.total not in hidden
            and sum(m in hidden for m in ln.members) == 1]
