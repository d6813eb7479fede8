"""The command line: thin wrappers, one-line errors with exit status 2, never a traceback."""
from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from scorecard.cli import main


@pytest.fixture
def runner():
    return CliRunner()


def test_every_command_has_help_with_an_example(runner):
    for cmd in ("build", "demo", "synth", "load", "metrics", "validate", "whois"):
        res = runner.invoke(main, [cmd, "--help"])
        assert res.exit_code == 0, cmd
        assert "Example:" in res.output, cmd
    assert "refresh" in runner.invoke(main, ["benchmarks", "--help"]).output


def test_build_with_a_bad_period_exits_2_with_one_line(runner, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    res = runner.invoke(main, ["build", "--raw", str(raw), "--out", str(tmp_path / "o"), "--period", "2022-24",
                               "--db", str(tmp_path / "d.duckdb")])
    assert res.exit_code == 2
    assert "neither a financial year" in res.output
    assert "Traceback" not in res.output


def test_build_with_a_bad_missing_match_tolerance_exits_2_with_one_line(runner, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    res = runner.invoke(main, ["build", "--raw", str(raw), "--out", str(tmp_path / "o"),
                               "--missing-match-hours", "500", "--db", str(tmp_path / "d.duckdb")])
    assert res.exit_code == 2
    assert [l for l in res.output.splitlines() if l.strip()] == [
        "scorecard: error: the missing-episode matching tolerance must be 0 to 168 hours, not 500.0"]


def test_build_with_a_structural_error_names_file_and_column(runner, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "referrals.csv").write_text("referral_id,child_id,referral_source\nR1,C1,6\n")
    res = runner.invoke(main, ["build", "--raw", str(raw), "--out", str(tmp_path / "o"),
                               "--db", str(tmp_path / "d.duckdb"), "--quiet"])
    assert res.exit_code == 2
    lines = [l for l in res.output.splitlines() if l.strip()]
    assert lines == ["scorecard: error: referrals.csv, column 'referral_date': missing required column for referrals"]


def test_unknown_la_is_refused(runner, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    res = runner.invoke(main, ["build", "--raw", str(raw), "--out", str(tmp_path / "o"), "--la", "12345",
                               "--db", str(tmp_path / "d.duckdb")])
    assert res.exit_code == 2 and "12345" in res.output and "Traceback" not in res.output


def test_synth_load_and_metrics_commands(runner, tmp_path):
    raw, dbfile = tmp_path / "raw", tmp_path / "m.duckdb"
    res = runner.invoke(main, ["synth", "--out", str(raw), "--scale", "0.05", "--seed", "2",
                               "--answer-key", str(tmp_path / "key.json")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "key.json").is_file() and not (raw / "key.json").exists()
    res = runner.invoke(main, ["load", "--raw", str(raw), "--db", str(dbfile)])
    assert res.exit_code == 0, res.output
    assert "loaded" in res.output
    again = runner.invoke(main, ["load", "--raw", str(raw), "--db", str(dbfile)])
    assert "0 rows loaded" in again.output
    res = runner.invoke(main, ["metrics", "--period", "2022-23", "--metric", "referrals", "--db", str(dbfile)])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert lines[0] == "metric_id,period,breakdown,la_code,value,numerator,denominator"
    assert all(l.startswith("referrals,") for l in lines[1:]) and len(lines) > 12


def test_plain_log_lines_when_not_on_a_terminal(tmp_path):
    """Under cron/CI stderr is not a terminal: progress is plain timestamped lines."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "referrals.csv").write_text("referral_id,child_id,referral_date,referral_source\nR1,C1,2023-01-05,6\n")
    proc = subprocess.run([sys.executable, "-m", "scorecard", "build", "--raw", str(raw), "--out",
                           str(tmp_path / "o"), "--db", str(tmp_path / "d.duckdb"), "--period", "2022-23"],
                          capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr
    assert "load: referrals.csv" in proc.stderr
    assert "\x1b[" not in proc.stderr  # no terminal control codes


@pytest.fixture(scope="module")
def census_file(tmp_path_factory):
    """A small synthetic census and a copy with one reason for closure that is not a DfE code."""
    from scorecard import synth

    base = tmp_path_factory.mktemp("census")
    synth.generate(base / "raw", scale=0.05, years=1, seed=4, formats=("cin_census",))
    clean = base / "raw" / "cin_census.xml"
    lines = clean.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "<ReasonForClosure>" in line)
    lines[at] = lines[at].split("<ReasonForClosure>")[0] + "<ReasonForClosure>RC0</ReasonForClosure>\n"
    broken = base / "broken" / "census.xml"
    broken.parent.mkdir()
    broken.write_text("".join(lines))
    return clean, broken, at + 1


def test_validate_a_census_file(runner, census_file, tmp_path, monkeypatch):
    monkeypatch.setenv("SCORECARD_KEY_FILE", str(tmp_path / "key"))
    clean, broken, line = census_file
    res = runner.invoke(main, ["validate", str(clean), "--dfe-only"])
    assert res.exit_code == 0, res.output
    assert "0 error(s)" in res.output and "as the 2021-22 census" in res.output
    res = runner.invoke(main, ["validate", str(broken), "--dfe-only", "--out", str(tmp_path / "o")])
    assert res.exit_code == 1, res.output
    assert "cin.8640" in res.output
    import polars as pl

    errors = pl.read_csv(tmp_path / "o" / "cin_census_errors.csv", infer_schema=False)
    row = errors.filter(pl.col("rule_code") == "8640").row(0, named=True)
    assert (row["table"], row["field"], row["value"], row["source_file"]) == (
        "CINdetails", "ReasonForClosure", "RC0", "census.xml")
    assert int(row["source_row"]) < line            # the line of its CINdetails block, before the element
    raw_ids = {x.split("</LAchildID>")[0] for x in broken.read_text().split("<LAchildID>")[1:]}
    for name in ("cin_census_errors.csv", "validation.csv", "validation_summary.md"):
        text = (tmp_path / "o" / name).read_text()
        assert not any(i in text for i in raw_ids), name
    # the pseudonym leads back to the case for someone with the raw file and the key
    res = runner.invoke(main, ["whois", row["child"], "--raw", str(broken.parent)])
    assert res.exit_code == 0 and "census.xml row" in res.output
    assert any(i in res.output for i in raw_ids)


def test_validate_refuses_what_it_cannot_read(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("SCORECARD_KEY_FILE", str(tmp_path / "key"))
    bad = tmp_path / "census.xml"
    bad.write_text("<Message><Children><Child>")
    res = runner.invoke(main, ["validate", str(bad)])
    assert res.exit_code == 2 and "census.xml" in res.output and "Traceback" not in res.output
    res = runner.invoke(main, ["whois", "nonsense", "--raw", str(tmp_path)])
    assert res.exit_code == 2 and "not a pseudonym" in res.output
