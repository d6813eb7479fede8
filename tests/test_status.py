"""Figure status from the affects frame: provisional where an error check touches a figure,
possibly incomplete where a volume check found a month far below its neighbours."""
from __future__ import annotations

import polars as pl

from scorecard.report.status import GAP_CHECK, Marks
from scorecard.validate.lineage import AFFECTS_SCHEMA


def _affects(rows):
    return pl.DataFrame(rows, schema=AFFECTS_SCHEMA, orient="row")


MARKS = Marks(_affects([
    ("return_interviews.completed_not_accepted", "return_interviews", "error", "rhi_accepted", ""),
    ("referrals.migrated_twice_same_content", "referrals", "warning", "referrals", ""),
    (GAP_CHECK, "referrals", "warning", "referrals", "2022-07"),
    (GAP_CHECK, "missing_episodes", "warning", "missing_episodes", "2021-11"),
]))


def test_record_checks_touch_every_period_and_only_their_metrics():
    assert [f.check_id for f in MARKS.errors(["rhi_accepted"], ["2022-05"])] == [
        "return_interviews.completed_not_accepted"]
    assert MARKS.errors(["rhi_accepted"]) and not MARKS.errors(["rhi_offered"])
    assert not MARKS.errors(["referrals"])          # a warning is not an error
    flag = MARKS.errors(["rhi_accepted"])[0]
    assert flag.words == "Return home interviews recorded as completed but not accepted"
    assert flag.cited.endswith("[return_interviews.completed_not_accepted]")


def test_month_checks_touch_that_month_and_what_contains_it():
    assert MARKS.gaps(["referrals"], ["2022-07"]) == ["2022-07"]
    assert MARKS.gaps(["referrals"], ["2022-23"]) == ["2022-07"]          # the year holds it
    assert MARKS.gaps(["referrals"], ["2022-04/2022-09"]) == ["2022-07"]  # a year to date
    assert MARKS.gaps(["referrals"], ["2022-04/2022-06"]) == []           # ends before it
    assert MARKS.gaps(["referrals"], ["2022-08", "2021-22"]) == []
    assert MARKS.gaps(["missing_episodes"], ["2021-22"]) == ["2021-11"]


def test_gap_notes_are_words_naming_the_month():
    assert MARKS.gap_note(["referrals"], "2022-07") == (
        "July 2022 possibly incomplete: far below neighbouring months")
    assert MARKS.gap_note(["referrals"], "2022-23") == (
        "Includes July 2022, possibly incomplete: far below neighbouring months")
    assert MARKS.gap_note(["referrals"], "2022-06") == ""
    assert MARKS.gap_note(["contacts"], "2022-07") == ""


def test_no_affects_no_marks():
    for empty in (None, _affects([])):
        m = Marks(empty)
        assert m.errors(["rhi_accepted"]) == [] and m.gaps(["referrals"], ["2022-23"]) == []
