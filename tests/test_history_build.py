"""The build's history step (scorecard.history.hook), the page panel (history.panel) and
``scorecard history`` (history.cli_view): two consecutive month builds on monthly drops, each
rerun on the same inputs. Synthetic data only."""
from __future__ import annotations

import csv
import re

import pytest
from click.testing import CliRunner

from scorecard.build import build
from scorecard.cli import main
from scorecard.config import settings

from .conftest import tree_state


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    """January then February 2023 on one database, each built twice (the rerun to its own folder)."""
    from scorecard.synth import generate
    from scorecard.synth.drops import write_drops

    base = tmp_path_factory.mktemp("hbuild")
    drops = write_drops(generate(None, scale=0.05, years=2, start_year=2021, seed=5).tables,
                        base / "drops", first="2022-10", last="2023-02")
    raw = base / "raw"
    s = settings(raw_dir=raw, db=base / "h.duckdb", key_file=base / "key")
    out = {}
    for month in ("2023-01", "2023-02"):
        drops.stage(raw, month)
        for run in ("", "-again"):
            result = build(s.with_(out_dir=base / f"{month}{run}"), period=month)
            assert result.exit_code in (0, 1), result.message
            out[month + run] = base / f"{month}{run}"
    return {"out": out, "db": s.db, "drops": drops, "base": base}


def _rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _panel(path) -> str:
    page = path.read_text(encoding="utf-8")
    m = re.search(r'<section aria-labelledby="revisions" data-section="revisions">(.*?)</section>', page, re.S)
    assert m, "no revisions panel"
    return m.group(1)


def test_the_first_build_says_so_and_writes_an_empty_revisions_csv(months):
    out = months["out"]["2023-01"]
    assert (out / "revisions.csv").read_text() == (
        "metric_id,period,breakdown,previous_value,new_value,difference,previous_build,build,reason,"
        "records_added,records_removed_or_changed,records_now_failing\n")
    assert 'id="revisions-first"' in _panel(out / "scorecard.html")
    assert not [r for r in _rows(out / "validation.csv") if r["check_id"] == "revisions.month_moved"]


def test_rerunning_the_first_build_shows_no_revisions(months):
    again = months["out"]["2023-01-again"]
    assert len(_rows(again / "revisions.csv")) == 0


def test_the_next_month_revises_the_last_with_reasons(months):
    drops = months["drops"]
    rows = _rows(months["out"]["2023-02"] / "revisions.csv")
    late = next(e for e in drops.events if e.kind == "late" and e.arrived == "2023-02")
    fixed = next(e for e in drops.events if e.kind == "corrected" and e.arrived == "2023-02")
    by = {(r["metric_id"], r["period"], r["breakdown"]): r for r in rows}
    jan = by[("referrals", late.dated, "")]
    assert "records added late" in jan["reason"] and float(jan["difference"]) >= 1
    dec = by[("referrals", fixed.dated, "")]
    assert dec["reason"] == "records removed or changed" and float(dec["difference"]) == -1
    assert {r["previous_build"] for r in rows} == {rows[0]["previous_build"]}
    assert rows[0]["previous_build"].startswith("2023-01@") and rows[0]["build"].startswith("2023-02@")
    # no run id or time in what is published
    assert not re.search(r"\d{2}:\d{2}:\d{2}", (months["out"]["2023-02"] / "revisions.csv").read_text())


def test_a_month_moved_past_the_threshold_is_a_validation_warning(months):
    out = months["out"]["2023-02"]
    warned = [r for r in _rows(out / "validation.csv") if r["check_id"] == "revisions.month_moved"]
    assert warned and {r["severity"] for r in warned} == {"warning"}
    assert "2023-01" in {r["period"] for r in warned}
    assert "Figures revised since the last build" in (out / "validation_summary.md").read_text()


def test_the_panel_says_what_moved_by_how_much_and_why(months):
    panel = _panel(months["out"]["2023-02"] / "scorecard.html")
    assert 'id="revisions-intro"' in panel
    assert "published by the build for January 2023" in panel
    assert "Records that arrived late were added" in panel
    assert "December 2022" in panel and "January 2023" in panel
    assert "revisions.month_moved" not in panel          # check ids stay behind the words
    # the quality panel names the check in words
    page = (months["out"]["2023-02"] / "scorecard.html").read_text()
    assert "moved by more than the revision threshold" in page


def test_a_rerun_on_the_same_database_writes_the_same_bytes(months):
    a = {k: v[2] for k, v in tree_state(months["out"]["2023-02"]).items() if k != "run.log"}
    b = {k: v[2] for k, v in tree_state(months["out"]["2023-02-again"]).items() if k != "run.log"}
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def test_history_lists_the_builds(months):
    result = CliRunner().invoke(main, ["history", "--db", str(months["db"])])
    assert result.exit_code == 0, result.output
    assert result.output.count("2023-01@") == 2 and result.output.count("2023-02@") == 2
    out = months["base"] / "builds.csv"
    result = CliRunner().invoke(main, ["history", "--db", str(months["db"]), "--out", str(out)])
    assert result.exit_code == 0
    assert [r["build"] for r in _rows(out)] == ["1", "2", "3", "4"]


def test_history_compare_shows_the_revisions_between_any_two(months):
    out = months["base"] / "rev.csv"
    result = CliRunner().invoke(main, ["history", "--db", str(months["db"]), "--compare", "2", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == (months["out"]["2023-02"] / "revisions.csv").read_bytes()
    result = CliRunner().invoke(main, ["history", "--db", str(months["db"]), "--compare", "3", "4"])
    assert result.exit_code == 0 and "no figure changed" in result.output
    result = CliRunner().invoke(main, ["history", "--db", str(months["db"]), "--compare", "1", "3"])
    assert result.exit_code == 0 and "referrals" in result.output


@pytest.mark.parametrize("args, fragment", [
    (["--compare", "1", "99"], "no build '99' in the database"),
    (["--compare", "one", "2"], "no build 'one' in the database"),
])
def test_history_refuses_a_bad_build_in_one_line(months, args, fragment):
    result = CliRunner().invoke(main, ["history", "--db", str(months["db"]), *args])
    assert result.exit_code == 2
    assert fragment in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_history_refuses_a_missing_database(tmp_path):
    result = CliRunner().invoke(main, ["history", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2 and "no scorecard database there" in result.output
    assert not (tmp_path / "none.duckdb").exists()


def test_a_bad_revision_threshold_builds_nothing(tmp_path):
    result = CliRunner().invoke(main, ["build", "--raw", str(tmp_path), "--out", str(tmp_path / "o"),
                                       "--db", str(tmp_path / "x.duckdb"), "--revision-threshold", "-1"])
    assert result.exit_code == 2 and "revision threshold" in result.output
    assert not (tmp_path / "x.duckdb").exists()
