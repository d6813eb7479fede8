"""Which metrics can be computed from what was loaded: declared inputs, the ledger, the drop, the
words, and a build on SSD tables alone. All data is synthetic."""
from __future__ import annotations

import shutil

import polars as pl
import pytest

from scorecard import db
from scorecard.load import load
from scorecard.metrics import METRICS, build_marts, compute
from scorecard.metrics import availability as av
from scorecard.schema import TABLES

CORE = ["contacts", "contacts_concluded_24h_pct", "referrals", "referrals_rate_per_10k",
        "rereferrals_12m_pct", "referrals_nfa_pct", "referral_source_pct",
        "assessments_within_45wd_pct", "cin_open_month_end", "cin_at_31_march", "cin_rate_per_10k",
        "cin_by_primary_need", "cpp_open_month_end", "cpp_at_31_march", "cpp_rate_per_10k",
        "cpp_starts", "cpp_second_or_subsequent_pct", "cpp_ended_2yrs_plus_pct",
        "cpp_by_latest_category", "missing_episodes", "missing_children", "missing_repeat_children",
        "rhi_offered", "rhi_accepted", "rhi_completed_72h", "rhi_completed_72h_pct"]
RHI = {"rhi_offered", "rhi_accepted", "rhi_completed_72h", "rhi_completed_72h_pct"}


def test_every_core_metric_declares_its_inputs_and_every_input_is_a_canonical_column():
    assert set(CORE) <= set(av.REQUIRES)
    for metric in METRICS:
        needs = av.requirements(metric)
        assert needs, metric.id
        for item in needs:
            table, column = item.split(".")
            assert column in TABLES[table].column_names, (metric.id, item)
    # a mean of monthly values needs what its monthly metric needs
    assert av.requirements(METRICS["cpp_avg_open_per_month"]) == av.REQUIRES["cpp_open_month_end"]


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    from scorecard.synth import generate

    folder = tmp_path_factory.mktemp("raw")
    generate(folder, seed=11, scale=0.05, formats=["csv", "ssd", "ssda903"])
    return folder


def _loaded(folder) -> object:
    con = db.connect(":memory:")
    load(con, folder, key=b"k" * 32)
    return con


def test_canonical_files_supply_every_input(raw):
    assert av.unavailable(_loaded(raw / "csv")) == []


def test_ssd_tables_cannot_give_decision_times_or_interview_dates(raw):
    con = _loaded(raw / "ssd")
    gaps = {g.metric_id: g.missing for g in av.unavailable(con)}
    assert set(gaps) == {"contacts_concluded_24h_pct"} | RHI
    assert gaps["rhi_completed_72h"] == ("return_interviews.rhi_completed_datetime",)
    lines = av.describe(con, av.unavailable(con))
    assert lines[0].startswith("`contacts_concluded_24h_pct`: no loaded file gives contacts.decision_datetime "
                               "(contacts came from ssd_contacts.csv)")
    assert any(line.startswith("`rhi_offered`, `rhi_accepted`: ") and "ssd_missing.csv" in line
               and "load a return-interview extract with dates" in line for line in lines)


def test_the_903_alone_gives_missing_counts_only(raw):
    con = _loaded(raw / "ssda903")
    gaps = {g.metric_id for g in av.unavailable(con)}
    assert gaps == set(METRICS.ids) - {"missing_episodes", "missing_children", "missing_repeat_children"}
    assert any("no return_interviews file was loaded" in line for line in av.describe(con, av.unavailable(con)))


def test_a_return_interview_extract_beside_the_ssd_supplies_the_dates(raw, tmp_path):
    both = tmp_path / "both"
    shutil.copytree(raw / "ssd", both)
    shutil.copy(raw / "csv" / "return_interviews.csv", both / "return_interviews.csv")
    con = _loaded(both)
    assert {g.metric_id for g in av.unavailable(con)} == {"contacts_concluded_24h_pct"}
    build_marts(con)
    canonical = _loaded(raw / "csv")
    build_marts(canonical)
    rhi = pl.col("metric_id").is_in(sorted(RHI))
    got = compute(con, "2022-23").filter(rhi)
    assert got.height > 0 and got.equals(compute(canonical, "2022-23").filter(rhi))


def test_drop_removes_only_the_unavailable_metrics():
    frame = pl.DataFrame({"metric_id": ["rhi_offered", "contacts", "rhi_offered"], "value": [0.0, 5.0, 0.0]})
    assert av.drop(frame, [av.Unavailable("rhi_offered", ("x.y",))])["metric_id"].to_list() == ["contacts"]
    assert av.drop(frame, []).equals(frame)


def test_nothing_known_without_a_ledger_and_old_loads_count_as_complete():
    con = db.connect(":memory:")
    assert av.supplied(con) is None and av.unavailable(con) == []
    con.execute("insert into meta.loads (load_id, source_file, table_name, status) values "
                "(1, 'return_interviews.csv', 'return_interviews', 'loaded'), "
                "(2, 'old.csv', 'contacts', 'superseded')")
    assert av.supplied(con) == {"return_interviews": set(TABLES["return_interviews"].column_names)}
    gaps = {g.metric_id: g.missing for g in av.unavailable(con)}
    # the interviews' own columns count as supplied; the episodes were never loaded
    assert gaps["rhi_completed_72h"] == ("missing_episodes.missing_end_datetime",)
    assert "missing_episodes" in gaps and "contacts" in gaps


def test_a_build_on_ssd_tables_alone_says_so_and_reports_no_zeros(raw, tmp_path):
    from scorecard import build, settings

    out = tmp_path / "out"
    result = build(settings(raw_dir=raw / "ssd", out_dir=out, db=tmp_path / "sc.duckdb"), period="2022-23")
    assert result.exit_code in (0, 1)
    metrics = pl.read_csv(out / "metrics.csv", infer_schema=False)
    present = set(metrics["metric_id"])
    assert not present & (RHI | {"contacts_concluded_24h_pct"})
    assert {"missing_episodes", "contacts", "referrals"} <= present
    summary = (out / "validation_summary.md").read_text()
    assert "## Metrics that cannot be computed from what was loaded" in summary
    assert "`rhi_completed_72h`" in summary and "ssd_missing.csv" in summary


def test_without_review_dates_the_review_measure_is_unavailable_and_said_so(raw, tmp_path):
    # the canonical extract without cp_reviews.csv: every other census measure still computes
    folder = tmp_path / "no_reviews"
    shutil.copytree(raw / "csv", folder)
    (folder / "cp_reviews.csv").unlink()
    con = _loaded(folder)
    gaps = {g.metric_id: g.missing for g in av.unavailable(con)}
    assert gaps == {"cpp_reviewed_on_time_pct": ("cp_reviews.cp_review_date",)}
    assert av.describe(con, av.unavailable(con)) == [
        "`cpp_reviewed_on_time_pct`: no cp_reviews file was loaded."]
    # and without S47 enquiries, the four enquiry and conference measures go with it
    (folder / "s47_enquiries.csv").unlink()
    con = _loaded(folder)
    assert {g.metric_id for g in av.unavailable(con)} == {
        "cpp_reviewed_on_time_pct", "s47_rate_per_10k", "icpc_rate_per_10k",
        "icpc_within_15wd_pct", "s47_led_to_icpc_pct"}
