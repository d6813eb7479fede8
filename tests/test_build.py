"""The monthly build end to end on synthetic data: outputs, exit codes, determinism, privacy."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from scorecard import db
from scorecard.build import build
from scorecard.config import settings
from scorecard.errors import ConfigError, ScorecardError, StructuralError

from .conftest import snapshot, tree_state

SCALE = 0.25


@pytest.fixture(scope="session")
def clean_raw(tmp_path_factory):
    from scorecard.synth import generate

    d = tmp_path_factory.mktemp("clean") / "raw"
    result = generate(d, scale=SCALE, years=2, start_year=2021, seed=11)
    return d, result


@pytest.fixture(scope="session")
def clean_build(clean_raw, tmp_path_factory):
    raw, _ = clean_raw
    base = tmp_path_factory.mktemp("build")
    s = settings(raw_dir=raw, out_dir=base / "out", db=base / "sc.duckdb")
    return build(s, period="2022-23"), s


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_build_writes_every_output_of_the_spec(clean_build):
    result, s = clean_build
    out = s.out_dir
    assert result.exit_code == 0, result.message
    for name in ("metrics.csv", "scorecard.csv", "validation.csv", "scorecard.html", "reconciliation.csv"):
        assert (out / name).is_file(), name
    assert list((out / "validation").glob("**/*.html")), "GX Data Docs missing"
    assert list((out / "tables").glob("*.csv")) and list((out / "tables").glob("*.xlsx"))
    assert list((out / "charts").glob("*.png")) and list((out / "charts").glob("*.svg"))


def test_metrics_csv_has_the_spec_columns_and_periods(clean_build):
    _, s = clean_build
    rows = read_csv(s.out_dir / "metrics.csv")
    assert list(rows[0]) == ["metric_id", "period", "breakdown", "la_code", "value", "numerator", "denominator"]
    periods = {r["period"] for r in rows}
    assert {"2022-23", "2021-22", "2022-04", "2023-03", "2021-04"} <= periods
    ids = {r["metric_id"] for r in rows}
    assert {"referrals", "rereferrals_12m_pct", "cin_at_31_march", "cpp_open_month_end",
            "rhi_completed_72h_pct", "referral_source_pct"} <= ids
    assert {r["la_code"] for r in rows} == {"370"}


def test_validation_csv_has_the_spec_columns_and_no_errors_on_clean_data(clean_build):
    _, s = clean_build
    with open(s.out_dir / "validation.csv", newline="") as fh:
        header = next(csv.reader(fh))
    assert header == ["check_id", "table", "severity", "record_id", "period", "message"]
    assert not [r for r in read_csv(s.out_dir / "validation.csv") if r["severity"] == "error"]


def test_scorecard_csv_compares_with_benchmarks(clean_build):
    _, s = clean_build
    rows = read_csv(s.out_dir / "scorecard.csv")
    rr = [r for r in rows if r["metric_id"] == "rereferrals_12m_pct" and r["period"] == "2022-23"]
    assert len(rr) == 1
    assert float(rr[0]["england"]) == pytest.approx(22.4)
    assert float(rr[0]["sn_mean"]) == pytest.approx(22.66, abs=0.005)
    assert rr[0]["rag"] in {"green", "amber", "red"}


def test_rerun_on_the_same_inputs_is_byte_identical(clean_raw, clean_build, tmp_path):
    raw, _ = clean_raw
    _, first = clean_build
    # the same key as the first build (pseudonyms appear in cin_census_errors.csv)
    second = settings(raw_dir=raw, out_dir=tmp_path / "out2", db=tmp_path / "other.duckdb",
                      key_file=first.key_file)
    assert build(second, period="2022-23").exit_code == 0
    a = {k: v[2] for k, v in tree_state(first.out_dir).items() if k != "run.log"}
    b = {k: v[2] for k, v in tree_state(second.out_dir).items() if k != "run.log"}
    assert a.keys() == b.keys()
    different = [k for k in a if a[k] != b[k]]
    assert different == []


def test_a_second_build_on_the_same_database_does_not_double_count(clean_raw, tmp_path):
    raw, _ = clean_raw
    s = settings(raw_dir=raw, out_dir=tmp_path / "o1", db=tmp_path / "same.duckdb")
    build(s, period="2022-23")
    again = build(s.with_(out_dir=tmp_path / "o2"), period="2022-23")
    assert {f.status for f in again.load.files} == {"duplicate"}
    assert (tmp_path / "o1" / "metrics.csv").read_bytes() == (tmp_path / "o2" / "metrics.csv").read_bytes()
    con = db.connect(s.db, read_only=True)
    assert [r[0] for r in con.execute("select outcome from meta.runs order by run_id").fetchall()] == ["built", "built"]
    con.close()


def test_the_build_never_writes_under_the_raw_folder(clean_raw, tmp_path):
    raw, _ = clean_raw
    before = tree_state(raw)
    build(settings(raw_dir=raw, out_dir=tmp_path / "o", db=tmp_path / "d.duckdb"), period="2022-23")
    assert tree_state(raw) == before


def test_no_raw_child_id_or_date_of_birth_in_any_output(clean_raw, clean_build):
    _, result = clean_raw
    _, s = clean_build
    children = result.tables["children"]
    ids = set(children["child_id"].to_list())
    dobs = {d.isoformat() for d in children["date_of_birth"].drop_nulls().to_list()}
    sample_ids = sorted(ids)[:300]
    for path in s.out_dir.rglob("*"):
        if path.suffix.lower() not in (".csv", ".html", ".svg", ".md", ".json", ".log"):
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        leaked = [i for i in sample_ids if f"{i}," in text or f",{i}" in text or f">{i}<" in text or f'"{i}"' in text]
        assert not leaked, f"{path.name} contains raw child ids {leaked[:3]}"
        if path.suffix.lower() == ".csv":
            assert "date_of_birth" not in text
    assert dobs  # the check above had dates to look for


def test_error_checks_give_exit_1_with_outputs_written_and_marked(tmp_path):
    from scorecard.synth import generate

    raw = tmp_path / "raw"
    generate(raw, scale=0.1, years=2, start_year=2021, seed=3, artefacts=("end_before_start",))
    s = settings(raw_dir=raw, out_dir=tmp_path / "out", db=tmp_path / "e.duckdb")
    result = build(s, period="2022-23")
    assert result.exit_code == 1 and result.errors > 0
    assert (s.out_dir / "scorecard.html").is_file() and (s.out_dir / "metrics.csv").is_file()
    errors = [r for r in read_csv(s.out_dir / "validation.csv") if r["severity"] == "error"]
    assert errors and all(r["record_id"] for r in errors)
    assert "error" in (s.out_dir / "scorecard.html").read_text().lower()


def _prepared(tmp_path, clean_raw):
    """A database that already holds one good build, and a raw folder copy to spoil."""
    raw, _ = clean_raw
    bad = tmp_path / "raw"
    shutil.copytree(raw, bad)
    s = settings(raw_dir=raw, out_dir=tmp_path / "o", db=tmp_path / "p.duckdb")
    build(s, period="2022-23")
    con = db.connect(s.db, read_only=True)
    before = snapshot(con)
    con.close()
    return s.with_(raw_dir=bad, out_dir=tmp_path / "o2"), before


def test_a_structural_error_builds_nothing_and_leaves_the_database_as_it_was(clean_raw, tmp_path):
    s, before = _prepared(tmp_path, clean_raw)
    (s.raw_dir / "cp_plans_2099-01.csv").write_text("cp_plan_id,child_id\nX1,C1\n")
    with pytest.raises(StructuralError, match="cp_plans_2099-01.csv.*cp_plan_start_date"):
        build(s, period="2022-23")
    con = db.connect(s.db, read_only=True)
    assert snapshot(con) == before
    con.close()
    assert not s.out_dir.exists()


@pytest.mark.parametrize("kwargs, error, fragment", [
    ({"period": "2022-24"}, ValueError, "neither a financial year"),
    ({"la_code": 999}, ConfigError, "999"),
])
def test_bad_arguments_build_nothing(clean_raw, tmp_path, kwargs, error, fragment):
    raw, _ = clean_raw
    s = settings(raw_dir=raw, out_dir=tmp_path / "o", db=tmp_path / "x.duckdb", la_code=kwargs.get("la_code"))
    with pytest.raises(error, match=fragment):
        build(s, period=kwargs.get("period", "2022-23"))
    assert not (tmp_path / "x.duckdb").exists() and not (tmp_path / "o").exists()


def test_output_inside_the_raw_folder_is_refused(clean_raw, tmp_path):
    raw, _ = clean_raw
    with pytest.raises(ScorecardError, match="must not be inside the raw folder"):
        build(settings(raw_dir=raw, out_dir=raw / "reports", db=tmp_path / "x.duckdb"))


def test_default_period_is_the_latest_complete_financial_year(clean_raw, tmp_path):
    raw, _ = clean_raw
    result = build(settings(raw_dir=raw, out_dir=tmp_path / "o", db=tmp_path / "d.duckdb"))
    assert result.period == "2022-23"


def test_an_unwritable_output_folder_builds_nothing_and_leaves_the_database_as_it_was(clean_raw, tmp_path):
    s, before = _prepared(tmp_path, clean_raw)
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the output folder should go")
    with pytest.raises(ScorecardError, match="cannot write the outputs"):
        build(s.with_(out_dir=blocker / "out", raw_dir=clean_raw[0]), period="2022-23")
    con = db.connect(s.db, read_only=True)
    assert snapshot(con) == before
    con.close()


#: the metrics each published table shows (read back from index.csv by file name)
TABLE_METRICS = {
    "contacts_24h_by_month.csv": {"contacts", "contacts_concluded_24h_pct"},
    "referral_sources.csv": {"referral_source_pct", "referrals"},
    "cin_by_month.csv": {"cin_open_month_end"},
    "cin_by_primary_need.csv": {"cin_by_primary_need"},
    "cp_by_latest_category.csv": {"cpp_by_latest_category"},
    "cp_per_month.csv": {"cpp_open_month_end", "cpp_avg_open_per_month"},
    "missing_by_month.csv": {"missing_children", "missing_episodes"},
    "rhi_by_month.csv": {"rhi_accepted", "rhi_completed_72h", "rhi_completed_72h_pct"},
}


@pytest.fixture(scope="module")
def month_build(tmp_path_factory):
    from scorecard.synth import generate

    base = tmp_path_factory.mktemp("month")
    raw = base / "raw"
    generate(raw, scale=0.25, years=2, start_year=2021, seed=5,
             artefacts=("cutover_gap", "rhi_completed_not_accepted"))
    (raw / "targets.toml").write_text("[rhi_completed_72h_pct]\ntarget = 80\ntolerance = 5\n")
    s = settings(raw_dir=raw, out_dir=base / "out", db=base / "m.duckdb")
    return build(s, period="2023-01"), s


def test_a_month_build_names_its_period_everywhere(month_build):
    import openpyxl

    result, s = month_build
    out = s.out_dir
    assert result.exit_code == 1 and result.period == "2023-01"
    index = read_csv(out / "tables" / "index.csv")
    for row in index:
        assert row["period"].endswith("/2023-01"), row
        assert row["covers"].endswith("to January 2023"), row
        assert "2022-23," not in row["title"] and "and 2022-23" not in row["title"].replace(
            "and 2022-23 to January", ""), row["title"]
    wb = openpyxl.load_workbook(out / "tables" / "annual_report_tables.xlsx")
    assert "January 2023" in wb["Contents"]["A1"].value
    for name in wb.sheetnames[1:]:
        title = wb[name]["A1"].value
        assert "January" in title, title
    missing = read_csv(out / "tables" / "missing_by_month.csv")
    assert [r["Month"] for r in missing][-2:] == ["January 2023", "Year to date (April 2022 to January 2023)"]
    import re

    charts = sorted((out / "charts").glob("*.svg"))
    assert charts
    for chart in charts:
        title = re.search(r'<title id="t">([^<]*)</title>', chart.read_text()).group(1)
        assert "January" in title, (chart.name, title)
    page = (out / "scorecard.html").read_text()
    assert "<title>Safeguarding scorecard – Barnsley – January 2023</title>" in page
    assert '<th scope="col" class="num">January 2023</th>' in page
    months = [r for r in read_csv(out / "scorecard.csv") if r["period"] == "2023-01"]
    metrics = {r["metric_id"] for r in read_csv(out / "metrics.csv") if r["period"] == "2023-01"}
    assert {r["metric_id"] for r in months} == metrics and len(metrics) >= 10


def test_a_month_build_marks_nothing_final_that_a_failing_check_touches(month_build):
    import openpyxl
    from scorecard.validate.lineage import affects_frame
    import polars as pl

    _, s = month_build
    out = s.out_dir
    validation = pl.read_csv(out / "validation.csv", infer_schema=False).fill_null("")
    errors = validation.filter(pl.col("severity") == "error")
    assert "return_interviews.completed_not_accepted" in set(errors["check_id"])
    touched = set(affects_frame(errors)["metric_id"])
    assert {"rhi_accepted", "rhi_completed_72h", "rhi_completed_72h_pct"} <= touched
    index = {r["file"]: r for r in read_csv(out / "tables" / "index.csv")}
    for file, ids in TABLE_METRICS.items():
        if ids & touched:
            assert index[file]["status"] == "provisional", file
            assert index[file]["status_reason"], file
    assert "[return_interviews.completed_not_accepted]" in index["rhi_by_month.csv"]["status_reason"]
    wb = openpyxl.load_workbook(out / "tables" / "annual_report_tables.xlsx")
    statuses = {r[0]: r[3] for r in wb["Contents"].iter_rows(min_row=5, values_only=True) if r[0]}
    assert statuses["RHIs by month"] == "Provisional"
    assert wb["RHIs by month"]["A2"].value.startswith("PROVISIONAL")
    page = (out / "scorecard.html").read_text()
    for mid in ("rhi_accepted", "rhi_completed_72h", "rhi_completed_72h_pct"):
        assert f'id="m-{mid}" data-metric="{mid}" data-status="provisional"' in page, mid
    # not touched (rhi_offered is: which of two interviews of one episode is kept depends on
    # whether one is dated, and a completion date is what the check doubts)
    assert 'id="m-missing_episodes" data-metric="missing_episodes">' in page
    rhi_chart = (out / "charts" / "trend_rhi_completed_72h_pct.svg").read_text()
    assert "PROVISIONAL" in rhi_chart or "Provisional" in rhi_chart


def test_a_month_build_marks_the_suspected_gap_month_in_words(month_build):
    _, s = month_build
    out = s.out_dir
    gaps = [r for r in read_csv(out / "validation.csv") if r["check_id"] == "volume.monthly_gap"
            and r["period"] == "2022-07"]
    assert gaps, "the cut-over gap artefact was not detected"
    tables = {r["table"] for r in gaps}
    assert "missing_episodes" in tables
    chart = (out / "charts" / "trend_missing_episodes.svg").read_text()
    assert 'id="incomplete-3"' in chart
    assert "July 2022 possibly incomplete: far below neighbouring months" in chart
    missing = {r["Month"]: r for r in read_csv(out / "tables" / "missing_by_month.csv")}
    assert missing["July 2022"]["Note"] == "July 2022 possibly incomplete: far below neighbouring months"
    index = {r["file"]: r for r in read_csv(out / "tables" / "index.csv")}
    assert "July 2022 is possibly incomplete" in index["missing_by_month.csv"]["warnings"]
    page = (out / "scorecard.html").read_text()
    assert "July 2022: possibly incomplete: far below neighbouring months" in page


def test_targets_in_the_raw_folder_are_used_beside_the_dfe_rag(month_build):
    _, s = month_build
    rows = read_csv(s.out_dir / "scorecard.csv")
    assert {"target", "target_tolerance", "target_better", "target_rag"} <= set(rows[0])
    rhi = next(r for r in rows if r["metric_id"] == "rhi_completed_72h_pct" and r["period"] == "2023-01")
    assert rhi["target"] == "80.0" and rhi["target_rag"] in {"green", "amber", "red"}
    assert "Target 80.0%" in (s.out_dir / "scorecard.html").read_text()


def test_a_bad_targets_file_builds_nothing(clean_raw, tmp_path):
    raw, _ = clean_raw
    bad = tmp_path / "targets.toml"
    bad.write_text("[no_such_metric]\ntarget = 1\n")
    s = settings(raw_dir=raw, out_dir=tmp_path / "o", db=tmp_path / "t.duckdb", targets=bad)
    with pytest.raises(ConfigError, match="targets.toml.*unknown metric id 'no_such_metric'"):
        build(s, period="2022-23")
    assert not (tmp_path / "t.duckdb").exists() and not (tmp_path / "o").exists()
CENSUS_2022 = """<Message>
  <Header><CollectionDetails><Collection>CIN</Collection><Year>2022</Year>
    <ReferenceDate>2022-03-31</ReferenceDate></CollectionDetails><Source><LEA>{lea}</LEA></Source></Header>
  <Children>{children}</Children>
</Message>
"""
CHILD = """<Child><ChildIdentifiers><LAchildID>C{n}</LAchildID><PersonBirthDate>2012-01-0{d}</PersonBirthDate>
    <GenderCurrent>2</GenderCurrent></ChildIdentifiers><ChildCharacteristics><Ethnicity>WBRI</Ethnicity>
    </ChildCharacteristics><CINdetails><CINreferralDate>{ref}</CINreferralDate><ReferralSource>6</ReferralSource>
    <PrimaryNeedCode>N1</PrimaryNeedCode><ReferralNFA>0</ReferralNFA></CINdetails></Child>"""


def test_a_census_build_defaults_to_the_census_year_and_refuses_another_las_file(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    # two records carry dates years after the census: they must not set the period
    kids = "".join(CHILD.format(n=n, d=n % 9 + 1, ref=ref) for n, ref in enumerate(
        ["2021-05-01", "2021-09-12", "2022-01-20", "2025-06-01", "2025-11-30"]))
    (raw / "cin.xml").write_text(CENSUS_2022.format(lea="370", children=kids))
    s = settings(raw_dir=raw, out_dir=tmp_path / "out", db=tmp_path / "sc.duckdb")
    result = build(s)
    assert result.period == "2021-22"
    assert "2021-22" in {r["period"] for r in read_csv(s.out_dir / "metrics.csv")}
    # the same census under another LA's build: nothing built, the database as it was
    con = db.connect(s.db)
    before = snapshot(con)
    con.close()
    (raw / "cin.xml").write_text(CENSUS_2022.format(lea="371", children=kids))
    with pytest.raises(StructuralError, match=r"cin.xml: the CIN census header \(LEA\) is for LA 371, "
                                              r"but this build is for LA 370"):
        build(s)
    con = db.connect(s.db)
    assert snapshot(con) == before
    con.close()


# ------------------------------------------------------------------ hostile inputs (issue 11)

def test_the_default_period_comes_only_from_dates_that_pass_their_checks():
    from datetime import date

    from scorecard.build import latest_data_date

    con = db.connect(":memory:")
    con.execute("insert into staging.referrals (referral_id, child_id, referral_date, referral_source) values "
                "('OK', 'P1', date '2023-05-01', '6'), ('AFTER', 'P1', date '2031-01-01', '6'), "
                "('SENTINEL', 'P1', date '2099-12-31', '6'), ('ANCIENT', 'P1', date '0001-01-01', '6')")
    assert latest_data_date(con, extract_date=date(2023, 6, 30)) == date(2023, 5, 1)
    con.execute("delete from staging.referrals where referral_id in ('OK', 'AFTER', 'SENTINEL')")
    assert latest_data_date(con, extract_date=date(2023, 6, 30)) is None  # 0001-01-01 is no date


def test_an_impossible_date_is_an_error_with_its_record_and_a_skipped_folder_is_logged(clean_raw, tmp_path):
    raw, _ = clean_raw
    bad = tmp_path / "raw"
    shutil.copytree(raw, bad)
    with open(bad / "referrals.csv", "a", encoding="utf-8") as fh:
        fh.write("ANCIENT-1,PX1,0001-01-01,6,N,MOSAIC,\n")
    (bad / "cp_plans_2023.csv").mkdir()
    s = settings(raw_dir=bad, out_dir=tmp_path / "o", db=tmp_path / "d.duckdb")
    result = build(s)
    assert result.exit_code == 1 and result.period == "2022-23"
    errors = {(r["check_id"], r["record_id"]) for r in read_csv(s.out_dir / "validation.csv")
              if r["severity"] == "error"}
    assert ("referrals.before_floor.referral_date", "ANCIENT-1") in errors
    log = (s.out_dir / "run.log").read_text()
    assert "skipped: cp_plans_2023.csv/: a folder named like a .csv file" in log


# ------------------------------------------------------------------ figures over time (issue 9)

def test_a_month_build_never_reports_a_figure_of_its_unfinished_year(month_build):
    _, s = month_build
    rows = read_csv(s.out_dir / "metrics.csv")
    periods = {r["period"] for r in rows}
    # the data holds the whole of 2022-23, but a January build reports none of it as a year
    assert "2022-23" not in periods and not {"2023-02", "2023-03"} & periods
    assert not [r for r in rows if r["metric_id"] == "cin_at_31_march"
                and (r["period"] == "2022-23" or "/" in r["period"])]
    assert [r for r in rows if r["metric_id"] == "cin_at_31_march" and r["period"] == "2021-22"]
    ytd = {r["metric_id"] for r in rows if r["period"] == "2022-04/2023-01"}
    assert {"referrals", "rereferrals_12m_pct", "cpp_avg_open_per_month"} <= ytd
    assert not {"cin_at_31_march", "cpp_at_31_march", "cin_rate_per_10k"} & ytd
    assert {r["metric_id"] for r in rows if r["period"] == "2021-04/2022-01"} == ytd
    summary = (s.out_dir / "validation_summary.md").read_text()
    assert "## How far the data reaches" in summary
    assert "year to date (2022-04/2023-01)" in summary


@pytest.fixture(scope="module")
def five_year_build(tmp_path_factory):
    from scorecard.synth import generate

    base = tmp_path_factory.mktemp("five")
    raw = base / "raw"
    generate(raw, scale=0.15, years=5, start_year=2018, seed=3)
    s = settings(raw_dir=raw, out_dir=base / "out", db=base / "f.duckdb")
    return build(s, period="2022-23"), s


def _is_year(p: str) -> bool:
    return len(p) == 7 and p[4] == "-" and p[5:] == f"{(int(p[2:4]) + 1) % 100:02d}"


def test_five_years_of_data_give_five_years_of_figures_and_benchmarks(five_year_build):
    result, s = five_year_build
    assert result.exit_code == 0, result.message
    years = {r["period"] for r in read_csv(s.out_dir / "metrics.csv")
             if r["metric_id"] == "referrals" and _is_year(r["period"])}
    assert {"2018-19", "2019-20", "2020-21", "2021-22", "2022-23"} <= years
    assert "2016-17" not in years   # before the data's full-volume window: never counted
    sc = [r for r in read_csv(s.out_dir / "scorecard.csv") if r["metric_id"] == "rereferrals_12m_pct"]
    by_year = {r["period"]: r for r in sc}
    assert {"2018-19", "2019-20", "2020-21", "2021-22", "2022-23"} <= set(by_year)
    from scorecard.reference import ENGLAND, ReferenceData

    ref = ReferenceData()
    for y in ("2018-19", "2020-21", "2022-23"):
        row = by_year[y]
        assert row["benchmark_period"] == y and row["value"]   # its own year's DfE figures
        dfe = dict(ref.year_values("rereferrals_pct", int(y[:4]) + 1).select("code", "value").iter_rows())
        assert float(row["england"]) == dfe[ENGLAND]
    assert by_year["2018-19"]["england"] != by_year["2022-23"]["england"]


def test_the_reach_is_recorded_and_each_benchmarked_figure_has_a_trend(five_year_build):
    result, s = five_year_build
    reach = {r["table"]: r for r in read_csv(s.out_dir / "data_reach.csv")}
    assert reach["all extracts"]["last_date"] == "2023-03-31"
    assert reach["all extracts"]["complete_to_year"] == "2022-23"
    # the synthetic window starts with its look-back year, 2017-18; earlier dates are the
    # histories of long-open cases
    assert reach["all extracts"]["full_volume_from"] == "2017-04"
    assert "2016-01" <= reach["referrals"]["full_volume_from"] <= "2017-04"
    con = db.connect(s.db)
    runs = con.execute("select count(*) from meta.data_reach where table_name = 'referrals'").fetchall()
    con.close()
    assert runs == [(1,)]
    benchmarked = {(r["metric_id"], r["breakdown"]) for r in read_csv(s.out_dir / "scorecard.csv")
                   if r["period"] == "2022-23" and (r["england"] or r["sn_mean"])}
    page = (s.out_dir / "scorecard.html").read_text()
    assert page.count('<figure class="trend"') == len(benchmarked) >= 8
    assert 'data-section="trends"' in page and 'data-section="reach"' in page
    charts = sorted((s.out_dir / "charts").glob("trend_years_*.svg"))
    # one chart per benchmarked figure, but a figure in bands (duration bands, referral
    # sources) is one chart with a panel per band
    bands: dict[str, int] = {}
    for m, b in benchmarked:
        bands[m] = bands.get(m, 0) + bool(b)
    assert len(charts) == len([1 for m, b in benchmarked if bands[m] < 2]) + len(
        [m for m, n in bands.items() if n >= 2]) < len(benchmarked)
    assert {c.stem for c in charts} >= {f"trend_years_{m}" for m, n in bands.items() if n >= 2}
    text = charts[0].read_text()
    assert "2018-19" in text and "by financial year" in text


def test_the_impact_is_what_recomputing_every_metric_without_each_checks_records_gives(tmp_path):
    """The build's impact takes its baseline from metrics.csv's figures and recomputes only the
    metrics whose marts read a failing check's table: the same frame as recomputing every
    metric, for the build's two years, without each check's records."""
    import polars as pl

    from scorecard.build import _Run, data_reach
    from scorecard.metrics import availability, compute
    from scorecard.periods import parse_period
    from scorecard.synth import generate
    from scorecard.validate import validate

    raw = tmp_path / "raw"
    generate(raw, scale=0.1, years=2, start_year=2021, seed=3,
             artefacts=("end_before_start", "duplicate_migration"))
    s = settings(raw_dir=raw, out_dir=tmp_path / "out", db=tmp_path / "i.duckdb")
    build(s, period="2022-23")
    con = db.connect(s.db)
    try:
        run = _Run(con, s, b"", "", None, lambda _: None)
        run.period, run.reach = parse_period("2022-23"), data_reach(con)
        run.unavailable = availability.unavailable(con)

        def every_metric(exclude):
            return availability.drop(compute(con, "2022-23", la_code=s.la_code, exclude=exclude,
                                             reach=run.reach, years=2), run.unavailable)

        fast = validate(con, recompute=run.recompute, period="2022-23", extract_date=None)
        slow = validate(con, recompute=every_metric, period="2022-23", extract_date=None)
        assert fast.impact.height > 0 and set(fast.impact["table"]) >= {"referrals"}
        assert fast.impact.equals(slow.impact)
        assert fast.summary_text == slow.summary_text
        # and the figures of every year were computed once, for the impact and metrics.csv alike
        assert run.all_figures() is run.all_metrics
        assert run.all_metrics.equals(availability.drop(compute(con, "2022-23", la_code=s.la_code,
                                                                reach=run.reach), run.unavailable))
    finally:
        con.close()
