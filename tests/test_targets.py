"""Local targets: the file formats, the RAG rule, bad files, and the scorecard columns."""
from __future__ import annotations

import polars as pl
import pytest

from scorecard.errors import ConfigError
from scorecard.report.targets import find_targets, load_targets, target_rag

POLARITY = {"rereferrals_12m_pct": "lower", "contacts_concluded_24h_pct": "higher",
            "referral_source_pct": "neutral", "cpp_avg_open_per_month": "neutral"}

TOML = """
[contacts_concluded_24h_pct]
target = 75
tolerance = 5
note = "JTAI action plan"

[rereferrals_12m_pct]
target = 20.0
tolerance = 2

[referral_source_pct."Schools/Education"]
target = 20
tolerance = 3
better = "higher"

[cpp_avg_open_per_month]
target = 280
tolerance = 20
better = "near"
applies_to = "year"
"""


@pytest.mark.parametrize("value,target,tol,better,rag", [
    (80, 75, 5, "higher", "green"), (75, 75, 5, "higher", "green"), (72, 75, 5, "higher", "amber"),
    (70, 75, 5, "higher", "amber"), (69.9, 75, 5, "higher", "red"), (19, 20, 2, "lower", "green"),
    (21.5, 20, 2, "lower", "amber"), (22.1, 20, 2, "lower", "red"), (300, 280, 20, "near", "green"),
    (259, 280, 20, "near", "red"), (76, 75, 0, "higher", "green"), (74, 75, 0, "higher", "red"),
    (None, 75, 5, "higher", ""),
])
def test_rag_against_a_target(value, target, tol, better, rag):
    assert target_rag(value, target, tol, better) == rag


def test_toml_targets_with_breakdowns_and_defaults(tmp_path):
    path = tmp_path / "targets.toml"
    path.write_text(TOML)
    t = load_targets(path, POLARITY)
    assert len(t) == 4 and t.source == str(path)
    c = t.get("contacts_concluded_24h_pct")
    assert (c.target, c.tolerance, c.better, c.note) == (75.0, 5.0, "higher", "JTAI action plan")
    assert t.get("rereferrals_12m_pct").better == "lower"          # the metric's polarity
    assert t.get("referral_source_pct", "Schools/Education").better == "higher"
    assert t.get("referral_source_pct") is None
    avg = t.get("cpp_avg_open_per_month")
    assert avg.applies("year") and not avg.applies("month")


def test_csv_targets(tmp_path):
    path = tmp_path / "targets.csv"
    path.write_text("metric_id,breakdown,target,tolerance,better,note\n"
                    "rereferrals_12m_pct,,20,2,,business plan\n"
                    "referral_source_pct,Police,30,,lower,\n", encoding="utf-8-sig")
    t = load_targets(path, POLARITY)
    assert t.get("rereferrals_12m_pct").note == "business plan"
    police = t.get("referral_source_pct", "Police")
    assert (police.tolerance, police.better) == (0.0, "lower")


@pytest.mark.parametrize("text,fragment", [
    ("[no_such_metric]\ntarget = 1\n", "unknown metric id 'no_such_metric'"),
    ("[rereferrals_12m_pct]\ntarget = 'twenty'\n", "target 'twenty' is not a number"),
    ("[rereferrals_12m_pct]\ntolerance = 2\n", "target is missing"),
    ("[rereferrals_12m_pct]\ntarget = 20\ntolerance = -1\n", "tolerance -1 is negative"),
    ("[referral_source_pct.Police]\ntarget = 20\n", "better is missing"),
    ("[rereferrals_12m_pct]\ntarget = 20\nbetter = 'up'\n", "better 'up' is not one of"),
    ("[rereferrals_12m_pct]\ntarget = 20\napplies_to = 'week'\n", "applies_to 'week'"),
    ("[rereferrals_12m_pct]\ntarget = 20\ngoal = 3\n", "unknown field(s) goal"),
    ("[rereferrals_12m_pct\n", "not a valid TOML targets file"),
])
def test_a_bad_targets_file_names_file_entry_and_field(tmp_path, text, fragment):
    path = tmp_path / "targets.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_targets(path, POLARITY)
    assert fragment in str(err.value) and str(path) in str(err.value)


def test_a_bad_csv_row_is_named(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("metric_id,target\nrereferrals_12m_pct,20\nrereferrals_12m_pct,x\n")
    with pytest.raises(ConfigError, match=r"not a number \(row 3\)"):
        load_targets(path, POLARITY)
    path.write_text("metric,goal\n")
    with pytest.raises(ConfigError, match="needs the columns metric_id and target"):
        load_targets(path, POLARITY)


def test_where_the_targets_file_comes_from(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    assert find_targets(None, raw) is None
    (raw / "targets.toml").write_text(TOML)
    assert find_targets(None, raw) == raw / "targets.toml"
    other = tmp_path / "mine.csv"
    other.write_text("metric_id,target\n")
    assert find_targets(other, raw) == other                        # the option wins
    with pytest.raises(ConfigError, match="does not exist"):
        find_targets(tmp_path / "missing.toml", raw)


def test_scorecard_rows_gain_target_columns_beside_the_dfe_rag(tmp_path):
    path = tmp_path / "targets.toml"
    path.write_text(TOML)
    t = load_targets(path, POLARITY)
    sc = pl.DataFrame({"metric_id": ["rereferrals_12m_pct", "cpp_avg_open_per_month",
                                     "cpp_avg_open_per_month", "referrals"],
                       "breakdown": ["", "", "", ""], "period": ["2022-23", "2022-23", "2023-01", "2022-23"],
                       "value": [21.0, 300.0, 290.0, 10.0], "rag": ["green", "", "", ""]})
    out = t.annotate(sc)
    assert out.columns == sc.columns + ["target", "target_tolerance", "target_better", "target_rag"]
    assert out["rag"].to_list() == sc["rag"].to_list()              # the DfE RAG is untouched
    assert out["target_rag"].to_list() == ["amber", "green", None, None]
    assert out["target"].to_list() == [20.0, 280.0, None, None]      # year only: not the month
