"""Disclosure control: primary, derived and secondary suppression, and recoverability."""
from __future__ import annotations

import itertools
import random

import pytest

from scorecard.report import sdc
from scorecard.report.sdc import Line


def grid(rows: list[list[float | None]], with_totals: bool = True):
    """A table of counts with a total column ("T") and a total row; returns values, lines."""
    cols = [f"c{j}" for j in range(len(rows[0]))]
    values = {(i, c): v for i, r in enumerate(rows) for c, v in zip(cols, r)}
    lines = []
    if with_totals:
        n = len(rows)
        for i, r in enumerate(rows):
            values[(i, "T")] = float(sum(v or 0 for v in r))
            lines.append(Line(tuple((i, c) for c in cols), (i, "T")))
        for c in cols + ["T"]:
            values[(n, c)] = float(sum(values[(i, c)] or 0 for i in range(n)))
            lines.append(Line(tuple((i, c) for i in range(n)), (n, c)))
    return values, lines


@pytest.mark.parametrize("value,hidden", [(0, False), (1, True), (4, True), (5, False),
                                          (None, False), (4.0, True), (1000, False)])
def test_primary_threshold_default(value, hidden):
    assert sdc.is_primary(value) is hidden
    assert (sdc.suppress({(0, "a"): value}, counts=[(0, "a")]) == {(0, "a")}) is hidden


def test_threshold_is_configurable():
    values = {(0, "a"): 6.0, (1, "a"): 9.0}
    assert sdc.suppress(values, counts=values, threshold=10) == {(0, "a"), (1, "a")}
    assert sdc.suppress(values, counts=values, threshold=7) == {(0, "a")}
    assert sdc.suppress(values, counts=values, threshold=1) == frozenset()
    with pytest.raises(ValueError):
        sdc.suppress(values, counts=values, threshold=0)


def test_only_count_cells_are_primary_suppressed():
    values = {(0, "n"): 20.0, (0, "pct"): 3.0}   # 3.0 is a percentage, not a count
    assert sdc.suppress(values, counts=[(0, "n")]) == frozenset()


def test_derived_follows_numerator_and_denominator():
    values = {(0, "num"): 3.0, (0, "den"): 50.0, (0, "pct"): 6.0,
              (1, "num"): 40.0, (1, "den"): 2.0, (1, "pct"): 2000.0,
              (2, "num"): 40.0, (2, "den"): 50.0, (2, "pct"): 80.0}
    counts = [(i, c) for i in range(3) for c in ("num", "den")]
    derived = {(i, "pct"): ((i, "num"), (i, "den")) for i in range(3)}
    hidden = sdc.suppress(values, counts=counts, derived=derived)
    assert hidden == {(0, "num"), (0, "pct"), (1, "den"), (1, "pct")}


def test_zero_is_not_suppressed_nor_chosen_as_secondary():
    values = {(0, "a"): 2.0, (1, "a"): 0.0, (2, "a"): 9.0, (3, "a"): 11.0}
    line = Line(((0, "a"), (1, "a"), (2, "a")), (3, "a"))
    hidden = sdc.suppress(values, counts=list(values), lines=[line])
    assert hidden == {(0, "a"), (2, "a")}


def test_secondary_picks_next_smallest_with_stable_ties():
    values = {(0, "a"): 3.0, (1, "a"): 8.0, (2, "a"): 8.0, (3, "a"): 50.0, (4, "a"): 69.0}
    line = Line(((0, "a"), (1, "a"), (2, "a"), (3, "a")), (4, "a"))
    assert sdc.suppress(values, counts=list(values), lines=[line]) == {(0, "a"), (1, "a")}


def test_total_hidden_when_no_other_cell_can_be():
    values = {(0, "a"): 3.0, (1, "a"): 0.0, (2, "a"): 3.0}
    line = Line(((0, "a"), (1, "a")), (2, "a"))
    hidden = sdc.suppress(values, counts=[(0, "a"), (1, "a")], lines=[line])
    assert hidden == {(0, "a"), (2, "a")}


def test_no_secondary_without_a_published_total():
    values = {(0, "a"): 3.0, (1, "a"): 30.0, (2, "a"): None}
    line = Line(((0, "a"), (1, "a")), (2, "a"))
    assert sdc.suppress(values, counts=list(values), lines=[line]) == {(0, "a")}


def test_two_way_table_cascades_through_rows_and_columns():
    values, lines = grid([[3, 20, 30], [25, 40, 35], [50, 60, 70]])
    counts = [k for k in values if k[1] != "T" and k[0] < 3]
    hidden = sdc.suppress(values, counts=counts, lines=lines)
    assert (0, "c0") in hidden
    assert sdc.recoverable_lines(hidden, lines, values) == []
    # the classic pattern: at least a 2x2 block of hidden interior cells
    interior = {h for h in hidden if h[0] < 3 and h[1] != "T"}
    assert len(interior) >= 4


def test_hidden_total_cascades_into_grand_total_line():
    # row 0 is (3, 0): its row total must go, which is a member of the total column
    values, lines = grid([[3, 0], [30, 40], [50, 60]])
    counts = [k for k in values if k[1] != "T" and k[0] < 3]
    hidden = sdc.suppress(values, counts=counts, lines=lines)
    assert (0, "T") in hidden or (1, "c0") in hidden
    assert sdc.recoverable_lines(hidden, lines, values) == []


def test_recoverability_property_random_tables():
    """No line with a published total ever has exactly one hidden cell."""
    rnd = random.Random(2024)
    for _ in range(300):
        nrows, ncols = rnd.randint(1, 6), rnd.randint(1, 5)
        rows = [[rnd.choice([0, 0, 1, 2, 3, 4, 5, 6, 10, 25, 100, None]) for _ in range(ncols)]
                for _ in range(nrows)]
        values, lines = grid(rows)
        counts = [k for k in values if k[1] != "T" and k[0] < nrows]
        threshold = rnd.choice([3, 5, 10])
        hidden = sdc.suppress(values, counts=counts, lines=lines, threshold=threshold)
        assert sdc.recoverable_lines(hidden, lines, values) == [], rows
        for cell in counts:
            if sdc.is_primary(values[cell], threshold):
                assert cell in hidden
            if values[cell] == 0:
                assert cell not in hidden
            if values[cell] is None:
                assert cell not in hidden


def test_recoverable_lines_detects_a_leak():
    values = {(0, "a"): 3.0, (1, "a"): 30.0, (2, "a"): 33.0}
    line = Line(((0, "a"), (1, "a")), (2, "a"))
    assert sdc.recoverable_lines({(0, "a")}, [line], values) == [line]
    assert sdc.recoverable_lines({(0, "a"), (1, "a")}, [line], values) == []
    assert sdc.recoverable_lines({(0, "a"), (2, "a")}, [line], values) == []


@pytest.mark.parametrize("counts,expected", [
    ({"A": 50, "B": 30, "C": 20}, set()),
    ({"A": 50, "B": 30, "C": 2}, {"B", "C"}),
    ({"A": 50, "B": 3, "C": 2}, {"B", "C"}),
    ({"A": 50, "B": 0, "C": 0, "D": 2}, {"A", "D"}),
    ({"A": 0, "B": 0, "C": 2}, {"A", "B", "C"}),  # the total cannot be hidden here
    ({"A": 50, "B": None, "C": 2, "D": 9}, {"C", "D"}),
])
def test_suppress_breakdown(counts, expected):
    assert sdc.suppress_breakdown(counts) == expected


def test_suppress_breakdown_without_published_total():
    assert sdc.suppress_breakdown({"A": 50, "B": 2}, total_published=False) == {"B"}


def test_rule_note_names_the_threshold():
    assert "1 to 4" in sdc.rule_note(5)
    assert "1 to 9" in sdc.rule_note(10)
    assert "Zero is shown" in sdc.rule_note()


def test_every_subset_of_small_cells_in_a_line_is_protected():
    for pattern in itertools.product([0, 2, 7, 12], repeat=4):
        values = {(i, "a"): float(v) for i, v in enumerate(pattern)}
        values[(4, "a")] = float(sum(pattern))
        line = Line(tuple((i, "a") for i in range(4)), (4, "a"))
        hidden = sdc.suppress(values, counts=[(i, "a") for i in range(4)], lines=[line])
        assert sdc.recoverable_lines(hidden, [line], values) == [], pattern


def test_initial_hidden_cells_trigger_secondary():
    values = {(0, "a"): 30.0, (1, "a"): 20.0, (2, "a"): 40.0, (3, "a"): 90.0}
    line = Line(((0, "a"), (1, "a"), (2, "a")), (3, "a"))
    hidden = sdc.suppress(values, counts=list(values), lines=[line], initial=[(2, "a")])
    assert hidden == {(2, "a"), (1, "a")}
