"""The demo: synthetic data in, every report out, artefacts visible in the validation report."""
import csv

from scorecard.demo import DEMO_ARTEFACTS, run_demo
from scorecard.synth import AnswerKey


def test_demo_builds_everything_and_shows_its_artefacts(tmp_path):
    raw, out, dbfile = tmp_path / "raw", tmp_path / "out", tmp_path / "p" / "demo.duckdb"
    (raw / "stale").mkdir(parents=True)
    (raw / "stale" / "old_extract.csv").write_text("x\n")  # earlier demo data is replaced
    result = run_demo(raw_dir=raw, out_dir=out, db=dbfile, scale=0.2)
    assert result.exit_code in (0, 1) and result.period == "2022-23"
    assert not (raw / "stale").exists()
    for name in ("scorecard.html", "metrics.csv", "scorecard.csv", "validation.csv",
                 "report_pack.docx"):
        assert (out / name).is_file()
    # the illustrative local targets sit beside the DfE RAG on the page
    assert (raw / "targets.toml").is_file()
    assert "Target 75.0%" in (out / "scorecard.html").read_text()
    key = AnswerKey.load(dbfile.parent / "demo_answer_key.json")
    assert set(key.artefacts) == set(DEMO_ARTEFACTS)
    with open(out / "validation.csv", newline="") as fh:
        flagged = {r["record_id"] for r in csv.DictReader(fh)}
    copies = {rid for _, rid in key.records("duplicate_migration")}
    assert copies and copies <= flagged
    # two months built from monthly drops before the year: the year's page says what changed
    assert (tmp_path / "out-2023-01" / "scorecard.html").is_file()
    assert 'id="revisions-first"' in (tmp_path / "out-2023-01" / "scorecard.html").read_text()
    with open(tmp_path / "out-2023-02" / "revisions.csv", newline="") as fh:
        feb = list(csv.DictReader(fh))
    assert any(r["period"] == "2023-01" and "records added late" in r["reason"] for r in feb)
    with open(out / "revisions.csv", newline="") as fh:
        year = list(csv.DictReader(fh))
    assert year and {r["previous_build"][:8] for r in year} == {"2023-02@"}
    assert 'id="revisions-intro"' in (out / "scorecard.html").read_text()
    assert not list(raw.glob("*_2023-04.csv"))
