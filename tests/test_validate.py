"""Tests for scorecard.validate: hand-built staging tables with one known problem per record,
then the synthetic generator's artefacts checked against its answer key."""
from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from scorecard import schema
from scorecard.db import connect
from scorecard.validate import validate
from scorecard.validate.report import VALIDATION_COLUMNS

EXTRACT = date(2023, 4, 30)


def stage(con, tables: dict[str, list[dict]]) -> None:
    """Insert rows (dicts of canonical columns) into staging tables."""
    for name, rows in tables.items():
        t = schema.TABLES[name]
        types = {"id": pl.Utf8, "text": pl.Utf8, "code": pl.Utf8, "code_list": pl.Utf8, "date": pl.Date,
                 "datetime": pl.Datetime("us"), "flag": pl.Boolean}
        df = pl.DataFrame(rows, schema={c.name: types[c.kind] for c in t.columns}, orient="row")
        con.register("_rows", df.to_arrow())
        con.execute(f"insert into staging.{name} by name select * from _rows")
        con.unregister("_rows")


def clean_tables() -> dict[str, list[dict]]:
    """A small, consistent case history (TED before 2022-07-01, MOSAIC after)."""
    d, dt = date, datetime
    return {
        "children": [{"child_id": "PA", "date_of_birth": d(2015, 1, 1)},
                     {"child_id": "PB", "date_of_birth": d(2012, 6, 1)}],
        "referrals": [{"referral_id": "R1", "child_id": "PA", "referral_date": d(2022, 1, 10), "referral_source": "6",
                           "referral_nfa": False, "source_system": "TED"},
                      {"referral_id": "R2", "child_id": "PB", "referral_date": d(2022, 9, 1), "referral_source": "2A",
                           "referral_nfa": False, "source_system": "MOSAIC"}],
        "assessments": [{"assessment_id": "A1", "child_id": "PA", "referral_id": "R1",
                             "assessment_start_date": d(2022, 1, 11), "assessment_authorised_date": d(2022, 2, 1),
                             "cin_episode_id": "C1", "assessment_internal_review_date": d(2022, 1, 20),
                             "assessment_factors": "3A"}],
        "cin_episodes": [{"cin_episode_id": "C1", "child_id": "PA", "referral_id": "R1", "cin_start_date": d(2022, 1, 10),
                              "cin_closure_date": d(2022, 5, 1), "reason_for_closure": "RC1", "primary_need_code": "N1",
                              "referral_nfa": False},
                         # a conference with no section 47 in its episode is recorded on the episode
                         {"cin_episode_id": "C2", "child_id": "PA", "cin_start_date": d(2022, 6, 1),
                              "primary_need_code": "N2", "icpc_date": d(2022, 6, 15)}],
        "cp_plans": [{"cp_plan_id": "CP1", "child_id": "PA", "cp_plan_start_date": d(2022, 2, 1),
                          "cp_plan_end_date": d(2022, 4, 1), "initial_category": "NEG", "source_system": "TED"},
                     {"cp_plan_id": "CP2", "child_id": "PA", "cp_plan_start_date": d(2022, 4, 2),
                          "initial_category": "EMO", "source_system": "TED"}],
        "missing_episodes": [{"missing_episode_id": "M1", "child_id": "PB", "missing_start_datetime": dt(2022, 9, 2, 20),
                                  "missing_end_datetime": dt(2022, 9, 3, 8), "missing_type": "M", "looked_after": False}],
        "return_interviews": [{"rhi_id": "I1", "missing_episode_id": "M1", "child_id": "PB",
                                   "rhi_offered_date": d(2022, 9, 3), "rhi_accepted": True,
                                   "rhi_completed_datetime": dt(2022, 9, 4, 10)}],
        "contacts": [{"contact_id": "K1", "child_id": "PA", "contact_datetime": dt(2022, 1, 9, 9),
                          "decision_datetime": dt(2022, 1, 9, 15), "contact_source": "6"}],
        # the whole-census tables and columns (docs/extracts-extensions.md)
        "s47_enquiries": [{"s47_id": "S1", "child_id": "PA", "cin_episode_id": "C1",
                           "s47_start_date": d(2022, 1, 12), "icpc_target_date": d(2022, 2, 2),
                           "icpc_date": d(2022, 2, 1), "icpc_not_required": False}],
        "cin_plans": [{"cin_plan_id": "L1", "child_id": "PA", "cin_episode_id": "C1",
                       "cin_plan_start_date": d(2022, 4, 1), "cin_plan_end_date": d(2022, 5, 1)}],
        "cp_reviews": [{"cp_review_id": "V1", "child_id": "PA", "cp_plan_id": "CP1", "cp_review_date": d(2022, 3, 1)}],
    }


def problem_tables() -> dict[str, list[dict]]:
    """The clean history plus one record per problem, named after the check it should fail."""
    d, dt = date, datetime
    t = clean_tables()
    t["children"] += [{"child_id": "PDOB", "date_of_birth": d(1900, 1, 1)}]
    t["referrals"] += [
        {"referral_id": "BADCODE", "child_id": "PB", "referral_date": d(2022, 3, 1), "referral_source": "POL"},
        {"referral_id": "FUTURE", "child_id": "PB", "referral_date": d(2024, 1, 1), "referral_source": "6"},
        {"referral_id": "DUP", "child_id": "PB", "referral_date": d(2022, 3, 2), "referral_source": "6"},
        {"referral_id": "DUP", "child_id": "PB", "referral_date": d(2022, 3, 3), "referral_source": "6"},
        {"referral_id": "COPY", "child_id": "PA", "referral_date": d(2022, 1, 10), "referral_source": "6",
             "referral_nfa": False, "source_system": "MOSAIC", "legacy_id": "R1"},
        # the DfE asks for a referral source code only from 1 April 2013 (rule 8866)
        {"referral_id": "OLDREF", "child_id": "PB", "referral_date": d(2013, 3, 31), "referral_source": "POL"},
    ]
    t["cin_episodes"] += [
        {"cin_episode_id": "PLACEHOLDER", "child_id": "PB", "cin_start_date": d(1970, 1, 1), "primary_need_code": "N1"},
        {"cin_episode_id": "FLOOR", "child_id": "PF", "cin_start_date": d(1, 1, 1), "primary_need_code": "N1"},
        {"cin_episode_id": "CLOSEDNOREASON", "child_id": "PX", "cin_start_date": d(2022, 1, 1),
             "cin_closure_date": d(2022, 2, 1), "primary_need_code": "N4"},
        {"cin_episode_id": "REASONNOCLOSE", "child_id": "PY", "cin_start_date": d(2022, 1, 1),
             "reason_for_closure": "RC2", "primary_need_code": "N4"},
        {"cin_episode_id": "CLOSEBEFORE", "child_id": "PZ", "cin_start_date": d(2022, 3, 1),
             "cin_closure_date": d(2022, 2, 1), "reason_for_closure": "RC1", "primary_need_code": "N4"},
        {"cin_episode_id": "CINOVERLAP", "child_id": "PA", "cin_start_date": d(2022, 3, 1),
             "cin_closure_date": d(2022, 4, 1), "reason_for_closure": "RC1", "primary_need_code": "N5"},
    ]
    t["cp_plans"] += [
        {"cp_plan_id": "ENDBEFORE", "child_id": "PB", "cp_plan_start_date": d(2022, 3, 1),
             "cp_plan_end_date": d(2022, 2, 1), "initial_category": "PHY", "source_system": "TED"},
        {"cp_plan_id": "CPOVERLAP", "child_id": "PA", "cp_plan_start_date": d(2022, 5, 1),
             "initial_category": "NEG", "source_system": "TED"},
        {"cp_plan_id": "MULAFTER", "child_id": "PC", "cp_plan_start_date": d(2022, 9, 1),
             "initial_category": "MUL", "source_system": "MOSAIC"},
        {"cp_plan_id": "UNBORN", "child_id": "PA", "cp_plan_start_date": d(2014, 12, 1),
             "cp_plan_end_date": d(2015, 1, 5), "initial_category": "NEG", "source_system": "TED"},
        # a plan starting on the day the previous one ended overlaps it (DfE rule 8940)
        {"cp_plan_id": "SAMEDAY1", "child_id": "PS", "cp_plan_start_date": d(2021, 5, 4),
             "cp_plan_end_date": d(2021, 9, 1), "initial_category": "NEG", "source_system": "TED"},
        {"cp_plan_id": "SAMEDAY2", "child_id": "PS", "cp_plan_start_date": d(2021, 9, 1),
             "initial_category": "NEG", "source_system": "TED"},
    ]
    t["missing_episodes"] += [
        {"missing_episode_id": "BACKFIRST", "child_id": "PB", "missing_start_datetime": dt(2022, 10, 2, 20),
             "missing_end_datetime": dt(2022, 10, 1, 8), "missing_type": "M"},
    ]
    t["return_interviews"] += [
        {"rhi_id": "ORPHAN", "missing_episode_id": "NOPE", "child_id": "PB", "rhi_accepted": True},
        {"rhi_id": "OTHERCHILD", "missing_episode_id": "M1", "child_id": "PA", "rhi_accepted": True},
        {"rhi_id": "NOTACCEPTED", "missing_episode_id": "M1", "child_id": "PB", "rhi_accepted": False,
             "rhi_completed_datetime": dt(2022, 9, 4, 11)},
        {"rhi_id": "TOOEARLY", "missing_episode_id": "M1", "child_id": "PB", "rhi_accepted": True,
             "rhi_completed_datetime": dt(2022, 9, 3, 7)},
    ]
    return t


EXPECTED = {
    "children.implausible_date_of_birth": {"PDOB"},
    "referrals.invalid_code.referral_source": {"BADCODE"},
    "referrals.future_date.referral_date": {"FUTURE"},
    "referrals.duplicate_id": {"DUP"},
    "referrals.migrated_twice_legacy_id": {"COPY"},
    "referrals.migrated_twice_same_content": {"COPY"},
    "cin_episodes.placeholder_date.cin_start_date": {"PLACEHOLDER"},
    "cin_episodes.before_floor.cin_start_date": {"FLOOR"},
    "cin_episodes.dfe_8805_closure_without_reason": {"CLOSEDNOREASON"},
    "cin_episodes.dfe_8810_reason_without_closure": {"REASONNOCLOSE"},
    "cin_episodes.dfe_8630_closure_before_start": {"CLOSEBEFORE"},
    "cin_episodes.dfe_8820_overlap": {"CINOVERLAP"},
    "cp_plans.dfe_8925_end_before_start": {"ENDBEFORE"},
    "cp_plans.dfe_8935_overlap": {"CPOVERLAP", "SAMEDAY2"},
    "cp_plans.discontinued_code.initial_category": {"MULAFTER"},
    "cp_plans.before_birth.cp_plan_start_date": {"UNBORN"},
    "missing_episodes.end_before_start": {"BACKFIRST"},
    "return_interviews.orphan": {"ORPHAN"},
    "return_interviews.child_mismatch": {"OTHERCHILD"},
    "return_interviews.completed_not_accepted": {"NOTACCEPTED"},
    "return_interviews.completed_before_return": {"TOOEARLY"},
    "load.unparseable_date": {"R9"},
}


def referral_counts(con):
    """A stand-in metric engine: referrals per financial year and month, minus exclusions."""
    def recompute(exclude: dict[str, set[str]]) -> pl.DataFrame:
        ids = sorted(exclude.get("referrals", set())) or ["\x00"]
        rows = con.execute(
            "select strftime(referral_date, '%Y-%m') as period, count(*)::double as value "
            "from staging.referrals where referral_date is not null and not list_contains($ids, referral_id) "
            "group by all order by period", {"ids": ids}).fetchall()
        return pl.DataFrame([("referrals", p, "", 370, v, None, None) for p, v in rows],
                            schema={"metric_id": pl.Utf8, "period": pl.Utf8, "breakdown": pl.Utf8,
                                    "la_code": pl.Int64, "value": pl.Float64, "numerator": pl.Float64,
                                    "denominator": pl.Float64}, orient="row")
    return recompute


@pytest.fixture(scope="module")
def problems(tmp_path_factory):
    con = connect(":memory:")
    stage(con, problem_tables())
    con.execute("insert into quarantine.rejected_rows values (1, 'referrals.csv', 5, 'referrals', 'R9', "
                "'referral_date', '31/02/2022', 'unparseable date (expected YYYY-MM-DD)')")
    out = tmp_path_factory.mktemp("problems")
    result = validate(con, out, extract_date=EXTRACT, recompute=referral_counts(con))
    return con, result, out


def _flagged(result, check_id: str) -> set[str]:
    return set(result.rows.filter(pl.col("check_id") == check_id)["record_id"].to_list())


def test_clean_data_raises_no_error(tmp_path):
    con = connect(":memory:")
    stage(con, clean_tables())
    result = validate(con, extract_date=EXTRACT)
    assert result.errors == 0, result.rows.filter(pl.col("severity") == "error")
    assert result.cutover == date(2022, 9, 1)          # the first MOSAIC record
    assert "Cut-over detected" in result.summary_text


@pytest.mark.parametrize("check_id", sorted(EXPECTED))
def test_each_problem_flags_exactly_its_record(problems, check_id):
    _, result, _ = problems
    assert _flagged(result, check_id) == EXPECTED[check_id]


#: the DfE CIN census rules on the same records: the period return of 2021-22 (the latest complete
#: year of the data) as it stood on 31 March 2022, so C1, closed in May 2022, was still open then
CIN_EXPECTED = {
    "cin.8606": {"PLACEHOLDER"},                  # referred in 1900, 40 weeks before birth
    "cin.8630": {"CLOSEBEFORE"},
    "cin.8805": {"CLOSEDNOREASON"},
    "cin.8810": {"REASONNOCLOSE"},
    "cin.8815": {"C1", "CINOVERLAP"},             # two open episodes of one child
    "cin.8816": {"C1"},                           # ... the open one that is not the latest
    "cin.8820": {"CINOVERLAP"},                   # ... the one starting inside the other
    "cin.8925": {"ENDBEFORE"},
    "cin.8940": {"SAMEDAY2"},                     # starts the day SAMEDAY1 ended
    "cin.2883": {""},                             # the whole return: more plans start than conferences
}


@pytest.mark.parametrize("check_id", sorted(CIN_EXPECTED))
def test_dfe_census_rules_flag_exactly_their_records(problems, check_id):
    _, result, _ = problems
    assert _flagged(result, check_id) == CIN_EXPECTED[check_id]


def test_nothing_else_is_an_error(problems):
    _, result, _ = problems
    errors = result.rows.filter(pl.col("severity") == "error")
    unexpected = errors.filter(~pl.col("check_id").is_in(list(EXPECTED) + list(CIN_EXPECTED))
                               & ~pl.col("record_id").is_in(["PLACEHOLDER", "FLOOR", "DUP", "FUTURE", "PDOB"]))
    assert unexpected.is_empty(), unexpected


def test_severities_and_dfe_codes(problems):
    _, result, _ = problems
    sev = dict(result.rows.select("check_id", "severity").unique().iter_rows())
    assert sev["cp_plans.dfe_8925_end_before_start"] == "error"
    assert sev["cp_plans.before_birth.cp_plan_start_date"] == "warning"
    assert sev["cp_plans.discontinued_code.initial_category"] == "warning"
    assert sev["load.unparseable_date"] == "error"
    assert "8925" in result.rows.filter(pl.col("check_id") == "cp_plans.dfe_8925_end_before_start")["message"][0]
    assert sev["cin.8925"] == "error" and sev["cin.8606"] == "error"


def test_outputs_written(problems):
    _, result, out = problems
    text = (out / "validation.csv").read_text()
    assert text.splitlines()[0] == ",".join(VALIDATION_COLUMNS)
    assert "load.unparseable_date" in text and "31/02/2022" in text
    assert (out / "validation" / "index.html").exists()
    html = "".join(p.read_text(errors="ignore") for p in (out / "validation").rglob("*.html"))
    assert "return_interviews" in html           # the SQL-derived checks reached GX's Data Docs
    assert "cin_census" in html and "DfE rule 8925" in html    # the DfE census rules have a suite there too
    errors = (out / "cin_census_errors.csv").read_text().splitlines()
    assert errors[0].startswith("error_id,rule_code,rule_type,census_year,message,table,field,value,source_file")
    assert any(line.startswith("8925-00001,8925,error,2021-22,") for line in errors)
    summary = (out / "validation_summary.md").read_text()
    assert "referrals.migrated_twice_legacy_id" in summary and result.summary_text == summary
    assert result.errors + result.warnings == result.rows.height


def test_impact_of_removing_suspect_records(problems):
    _, result, _ = problems
    imp = result.impact.filter(pl.col("check_id") == "referrals.migrated_twice_legacy_id")
    row = imp.filter(pl.col("period") == "2022-01").row(0, named=True)
    assert (row["value"], row["value_without"], row["change"], row["records"]) == (2.0, 1.0, -1.0, 1)
    assert "referrals 2022-01: 2 -> 1" in result.summary_text


def test_reruns_are_byte_identical(problems, tmp_path):
    con, _, out = problems
    again = validate(con, tmp_path, extract_date=EXTRACT, recompute=referral_counts(con))
    assert (tmp_path / "validation.csv").read_bytes() == (out / "validation.csv").read_bytes()
    assert again.summary_text == (out / "validation_summary.md").read_text()


def test_no_cutover_skips_cutover_checks():
    con = connect(":memory:")
    tables = clean_tables()
    for rows in tables.values():
        for r in rows:
            r.pop("source_system", None)
    tables["cp_plans"].append({"cp_plan_id": "MUL1", "child_id": "PB", "cp_plan_start_date": date(2022, 9, 1),
                                   "initial_category": "MUL"})
    stage(con, tables)
    result = validate(con, extract_date=EXTRACT)
    assert result.cutover is None
    assert "no cut-over detected" in result.summary_text.lower()
    assert "migration.code_drift" in result.summary_text
    assert _flagged(result, "cp_plans.discontinued_code.initial_category") == set()


def test_personal_data_kept_out():
    con = connect(":memory:")
    stage(con, {"children": [{"child_id": "PQ", "date_of_birth": date(2031, 5, 17)}]})
    con.execute("insert into quarantine.rejected_rows values (1, 'children.csv', 3, 'children', 'Jane Raw', "
                "'date_of_birth', '17/13/2011', 'unparseable date (expected YYYY-MM-DD)')")
    result = validate(con, extract_date=EXTRACT)
    text = result.rows.write_csv()
    assert _flagged(result, "children.implausible_date_of_birth") == {"PQ"}
    assert "2031" not in text and "17/13/2011" not in text and "Jane Raw" not in text


def test_suites_use_the_dfe_code_lists():
    from scorecard.validate.suites import load_suite

    sets = {e["kwargs"]["column"]: e["kwargs"]["value_set"]
            for name in ("referrals", "cin_episodes", "cp_plans", "missing_episodes")
            for e in load_suite(name)["expectations"] if e["type"] == "expect_column_values_to_be_in_set"}
    assert sets["referral_source"] == list(schema.REFERRAL_SOURCES)
    assert sets["primary_need_code"] == list(schema.PRIMARY_NEED_CODES)
    assert sets["reason_for_closure"] == list(schema.REASONS_FOR_CLOSURE)
    assert sets["initial_category"] == list(schema.CP_CATEGORIES)
    assert sets["missing_type"] == list(schema.MISSING_TYPES)
    for f in Path(__file__).parents[1].joinpath("expectations").glob("*.json"):
        suite = json.loads(f.read_text())
        assert suite["name"] == f.stem
        assert all({"check_id", "severity", "message"} <= set(e["meta"]) for e in suite["expectations"])


# ----------------------------------------------------------- synthetic artefacts (answer key)
#: the checks that catch each artefact the generator injects (check id fragments)
ARTEFACT_CHECKS = {
    "duplicate_migration": (".migrated_twice_legacy_id",),
    "placeholder_dates": (".placeholder_date.", ".before_floor.", "children.implausible_date_of_birth"),
    "end_before_start": ("dfe_8630_", "dfe_8925_", "missing_episodes.end_before_start"),
    "overlapping_plans": ("dfe_8820_overlap", "dfe_8935_overlap"),
    "orphan_rhi": ("return_interviews.orphan",),
    "mismatched_rhi": ("return_interviews.child_mismatch",),
    "rhi_completed_not_accepted": ("return_interviews.completed_not_accepted",),
    "rhi_completed_before_return": ("return_interviews.completed_before_return",),
    "invalid_codes": (".invalid_code.",),
    "discontinued_code": (".discontinued_code.",),
    "future_dates": (".future_date.",),
}
#: artefacts validated together (they touch different records and different checks)
GROUPS = {
    "clean": (),
    "g1": ("duplicate_migration", "orphan_rhi", "mismatched_rhi", "rhi_completed_not_accepted",
           "invalid_codes", "discontinued_code"),
    "g2": ("overlapping_plans", "end_before_start", "rhi_completed_before_return", "future_dates"),
    "g3": ("placeholder_dates", "code_drift", "cutover_gap"),
}


@pytest.fixture(scope="module")
def synthetic():
    synth = pytest.importorskip("scorecard.synth")
    out = {}
    for group, artefacts in GROUPS.items():
        res = synth.generate(None, scale=0.3, years=2, seed=3, artefacts=artefacts)
        con = connect(":memory:")
        stage(con, {name: df.to_dicts() for name, df in res.tables.items()})
        out[group] = (res, validate(con, extract_date=res.params.extract_date))
    return out


def _group_of(artefact: str) -> str:
    return next(g for g, arts in GROUPS.items() if artefact in arts)


def test_clean_synthetic_data_has_no_error(synthetic):
    _, result = synthetic["clean"]
    assert result.errors == 0, result.rows.filter(pl.col("severity") == "error")
    assert result.cutover == date(2022, 7, 1)


@pytest.mark.parametrize("artefact", sorted(ARTEFACT_CHECKS))
def test_artefact_caught_with_exactly_the_answer_key_records(synthetic, artefact):
    res, result = synthetic[_group_of(artefact)]
    expected = res.answer_key.records(artefact)
    assert expected
    hit = result.rows.filter(pl.any_horizontal(
        pl.col("check_id").str.contains(f, literal=True) for f in ARTEFACT_CHECKS[artefact]))
    assert set(hit.select("table", "record_id").iter_rows()) == expected


def _period_rows(result, check_id: str) -> set[tuple[str, str, str]]:
    rows = result.rows.filter(pl.col("check_id") == check_id)
    return set(rows.select("table", "period", "message").iter_rows())


def test_cutover_gap_flags_the_cutover_month(synthetic):
    res, result = synthetic["g3"]
    _, clean = synthetic["clean"]
    new = {(t, p) for t, p, _ in _period_rows(result, "volume.monthly_gap") - _period_rows(clean, "volume.monthly_gap")}
    keyed = {(e["table"], e["period"]) for e in res.answer_key.for_artefact("cutover_gap") if not e["record_id"]}
    assert new <= keyed
    assert {("referrals", "2022-07"), ("contacts", "2022-07"), ("cin_episodes", "2022-07")} <= new


def test_code_drift_flags_the_code_at_the_cutover(synthetic):
    _, result = synthetic["g3"]
    _, clean = synthetic["clean"]
    new = _period_rows(result, "migration.code_drift") - _period_rows(clean, "migration.code_drift")
    assert {(t, p) for t, p, _ in new} == {("cin_episodes", "2022-07")}
    assert any("primary_need_code, code N0," in m for _, _, m in new)


def test_unparseable_dates_reported_from_quarantine(tmp_path):
    synth = pytest.importorskip("scorecard.synth")
    from scorecard.load import load

    res = synth.generate(tmp_path / "raw", scale=0.1, years=1, seed=2, artefacts=["unparseable_dates"])
    con = connect(":memory:")
    load(con, tmp_path / "raw", key=b"k" * 32)
    result = validate(con, extract_date=res.params.extract_date)
    rows = result.rows.filter(pl.col("check_id").str.starts_with("load."))
    expected = res.answer_key.records("unparseable_dates")
    assert rows.height == len(expected)
    assert set(rows["severity"]) == {"error"}
    assert {(t, r) for t, r in rows.select("table", "record_id").iter_rows() if t != "children"} == \
        {(t, r) for t, r in expected if t != "children"}


def test_extension_tables_have_suites_and_nfa_blocks_need_no_primary_need():
    con = connect(":memory:")
    tables = clean_tables()
    tables["cin_episodes"] += [
        {"cin_episode_id": "NFA", "child_id": "PB", "cin_start_date": date(2022, 9, 1), "referral_nfa": True},
        {"cin_episode_id": "NONEED", "child_id": "PB", "cin_start_date": date(2022, 10, 1), "referral_nfa": False}]
    tables["s47_enquiries"] = [
        {"s47_id": "S1", "child_id": "PA", "s47_start_date": date(2022, 1, 12), "icpc_date": date(2022, 2, 1),
         "icpc_target_date": date(2023, 6, 1), "icpc_not_required": False},
        {"s47_id": "SFUTURE", "child_id": "PA", "s47_start_date": date(2023, 6, 1)}]
    tables["cin_plans"] = [
        {"cin_plan_id": "CP1", "child_id": "PA", "cin_plan_start_date": date(2022, 1, 20)},
        {"cin_plan_id": "CPBACK", "child_id": "PA", "cin_plan_start_date": date(2022, 3, 1),
         "cin_plan_end_date": date(2022, 2, 1)}]
    tables["cp_reviews"] = [
        {"cp_review_id": "RV1", "child_id": "PA", "cp_plan_id": "CP1", "cp_review_date": date(2022, 3, 1)},
        {"cp_review_id": "RV1", "child_id": "PA", "cp_plan_id": "CP1", "cp_review_date": date(2022, 4, 1)}]
    stage(con, tables)
    result = validate(con, extract_date=EXTRACT)
    assert _flagged(result, "cin_episodes.required.primary_need_code") == {"NONEED"}
    assert _flagged(result, "s47_enquiries.future_date.s47_start_date") == {"SFUTURE"}
    assert _flagged(result, "cin_plans.end_before_start") == {"CPBACK"}
    assert _flagged(result, "cp_reviews.duplicate_id") == {"RV1"}
    # a conference target after the extract date is not an error: it may still be ahead
    assert result.rows.filter(pl.col("record_id") == "S1").is_empty()


def test_personal_values_of_the_census_columns_are_not_quoted():
    con = connect(":memory:")
    con.execute("insert into quarantine.rejected_rows values (1, 'census.xml', 30, 'children', 'PQ', "
                "'expected_date_of_birth', '2023-02-30', 'unparseable date (expected YYYY-MM-DD)')")
    result = validate(con, extract_date=EXTRACT)
    text = result.rows.write_csv()
    assert "census.xml row 30, column expected_date_of_birth" in text and "2023-02-30" not in text
def test_summary_names_metrics_that_cannot_be_computed_only_when_there_are_some():
    from scorecard.validate.report import IMPACT_SCHEMA, summary_text, validation_frame

    rows, impact = validation_frame([]), pl.DataFrame(schema=IMPACT_SCHEMA)
    kw = dict(extract_date=date(2023, 4, 30), cutover_note="no cut-over detected", notes=[],
              recompute_given=False)
    assert "cannot be computed" not in summary_text(rows, impact, **kw)
    text = summary_text(rows, impact, unavailable=["`rhi_offered`: no loaded file gives x."], **kw)
    assert "## Metrics that cannot be computed from what was loaded" in text
    assert "- `rhi_offered`: no loaded file gives x." in text and "not shown as zero" in text


# ------------------------------------------------------------------ date floor (issue 11)

#: the tables of the original layout (shared/spec/extracts.md). Merge note (i10-ssd): the
#: whole-census extension (issue 13, docs/extracts-extensions.md) adds date columns after
#: legacy_id and three tables whose suites gain their floor checks with issue 13's suites; until
#: then this test covers the original layout's date columns.
_ORIGINAL_TABLES = ("contacts", "referrals", "assessments", "cin_episodes", "cp_plans",
                    "missing_episodes", "return_interviews")


def _date_columns():
    out = []
    for name in _ORIGINAL_TABLES:
        names = schema.TABLES[name].column_names
        original = names[:names.index("legacy_id") + 1]
        out += [(name, c) for c in original if schema.TABLES[name].column(c).kind in ("date", "datetime")]
    return out


@pytest.mark.parametrize("table, column", _date_columns())
def test_a_date_before_the_floor_is_an_error_in_every_date_column(table, column):
    """0001-01-01 is as impossible as 1900-01-01: an error naming the record, in every column."""
    con = connect(":memory:")
    t = clean_tables()
    record = dict(next(r for r in t[table] if r.get(column) is not None))
    record[schema.TABLES[table].id_column] = "ANCIENT"
    record[column] = date(1, 1, 1) if schema.TABLES[table].column(column).kind == "date" else datetime(1, 1, 1, 9)
    t[table].append(record)
    stage(con, t)
    result = validate(con, extract_date=EXTRACT)
    errors = result.rows.filter((pl.col("severity") == "error") & (pl.col("record_id") == "ANCIENT"))
    assert f"{table}.before_floor.{column}" in errors["check_id"].to_list()


def test_the_floor_is_configurable_and_inclusive_and_reported_once():
    con = connect(":memory:")
    t = clean_tables()
    base = {"child_id": "PB", "referral_source": "6"}
    t["referrals"] += [{"referral_id": "ONFLOOR", "referral_date": date(1950, 1, 1), **base},
                       {"referral_id": "AFTERFLOOR", "referral_date": date(1950, 1, 2), **base},
                       {"referral_id": "SENTINEL", "referral_date": date(1900, 1, 1), **base}]
    t["children"] += [{"child_id": "POLD", "date_of_birth": date(1949, 6, 1)}]
    stage(con, t)
    rows = validate(con, extract_date=EXTRACT, date_floor=date(1950, 1, 1)).rows
    floor = rows.filter(pl.col("check_id") == "referrals.before_floor.referral_date")
    assert set(floor["record_id"]) == {"ONFLOOR", "SENTINEL"}
    assert rows.filter(pl.col("record_id") == "SENTINEL")["check_id"].to_list() == [
        "referrals.before_floor.referral_date"]  # not also a "placeholder", nor "before birth"
    assert "POLD" in rows.filter(pl.col("check_id") == "children.implausible_date_of_birth")["record_id"].to_list()
    default = validate(con, extract_date=EXTRACT).rows
    assert set(default.filter(pl.col("check_id") == "referrals.before_floor.referral_date")["record_id"]) == {"SENTINEL"}
