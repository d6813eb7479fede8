"""Lineage: which figures a failing check touches, derived from the mart and check SQL.

The answer key below was worked out by reading the mart SQL by hand; the lineage is derived
by parsing it, so a mart or metric change that moves an input shows up here."""
from __future__ import annotations

import polars as pl
import pytest

from scorecard.metrics import METRICS
from scorecard.validate import lineage
from scorecard.validate.lineage import RECORD, affects_frame, check_inputs, metric_inputs
from scorecard.validate.lineage_sql import derive_mart_lineage

#: every metric's staging inputs (columns; "*" = the records themselves), provenance left out
ANSWER_KEY: dict[str, set[tuple[str, str]]] = {}
_CONTACTS = {("contacts", RECORD), ("contacts", "contact_id"), ("contacts", "contact_datetime")}
_REFERRALS = {("referrals", RECORD), ("referrals", "referral_id"), ("referrals", "referral_date")}
_ASSESS = {("assessments", RECORD), ("assessments", "assessment_id"),
           ("assessments", "assessment_authorised_date")}
_CIN = {("cin_episodes", RECORD), ("cin_episodes", "cin_episode_id"),
        ("cin_episodes", "cin_start_date"), ("cin_episodes", "cin_closure_date"),
        ("cin_episodes", "referral_nfa")}  # NFA census blocks are not episodes of need (DfE)
_CP = {("cp_plans", RECORD), ("cp_plans", "cp_plan_id"), ("cp_plans", "cp_plan_start_date")}
# episodes several sources report are matched by child and start time (one episode, not two:
# int_missing_episodes_matched), so every missing figure rests on both
_MISSING = {("missing_episodes", RECORD), ("missing_episodes", "missing_episode_id"),
            ("missing_episodes", "missing_start_datetime"), ("missing_episodes", "child_id")}
# an interview with no dates gives way to a dated one of the same episode, so which interviews
# count rests on both dates
_RHI = {("missing_episodes", RECORD), ("missing_episodes", "missing_episode_id"),
        ("missing_episodes", "missing_end_datetime"), ("missing_episodes", "child_id"),
        ("missing_episodes", "missing_start_datetime"), ("return_interviews", RECORD),
        ("return_interviews", "rhi_id"), ("return_interviews", "missing_episode_id"),
        ("return_interviews", "rhi_offered_date"), ("return_interviews", "rhi_completed_datetime")}
ANSWER_KEY.update({
    "contacts": _CONTACTS,
    "contacts_concluded_24h_pct": _CONTACTS | {("contacts", "decision_datetime")},
    "referrals": _REFERRALS,
    "referrals_rate_per_10k": _REFERRALS,
    "rereferrals_12m_pct": _REFERRALS | {("referrals", "child_id")},
    "referrals_nfa_pct": _REFERRALS | {("referrals", "referral_nfa")},
    "referral_source_pct": _REFERRALS | {("referrals", "referral_source")},
    "assessments_within_45wd_pct": _ASSESS | {("assessments", "assessment_start_date")},
    "cin_open_month_end": _CIN | {("cin_episodes", "child_id")},
    "cin_at_31_march": _CIN | {("cin_episodes", "child_id")},
    "cin_rate_per_10k": _CIN | {("cin_episodes", "child_id")},
    "cin_by_primary_need": _CIN | {("cin_episodes", "primary_need_code")},
    "cpp_open_month_end": _CP | {("cp_plans", "cp_plan_end_date"), ("cp_plans", "child_id")},
    "cpp_avg_open_per_month": _CP | {("cp_plans", "cp_plan_end_date"), ("cp_plans", "child_id")},
    "cpp_at_31_march": _CP | {("cp_plans", "cp_plan_end_date"), ("cp_plans", "child_id")},
    "cpp_rate_per_10k": _CP | {("cp_plans", "cp_plan_end_date"), ("cp_plans", "child_id")},
    "cpp_starts": _CP,
    "cpp_second_or_subsequent_pct": _CP | {("cp_plans", "child_id")},
    "cpp_ended_2yrs_plus_pct": _CP | {("cp_plans", "cp_plan_end_date")},
    "cpp_by_latest_category": _CP | {("cp_plans", "cp_plan_end_date"),
                                     ("cp_plans", "initial_category"),
                                     ("cp_plans", "latest_category")},
    "missing_episodes": _MISSING,
    "missing_children": _MISSING | {("missing_episodes", "child_id")},
    "missing_repeat_children": _MISSING | {("missing_episodes", "child_id")},
    "rhi_offered": _RHI | {("return_interviews", "rhi_offered_date")},
    "rhi_accepted": _RHI | {("return_interviews", "rhi_offered_date"),
                            ("return_interviews", "rhi_accepted")},
    "rhi_completed_72h": _RHI | {("return_interviews", "rhi_completed_datetime")},
    "rhi_completed_72h_pct": _RHI | {("return_interviews", "rhi_offered_date"),
                                     ("return_interviews", "rhi_accepted"),
                                     ("return_interviews", "rhi_completed_datetime")},
})
# the whole CIN census (metrics/child_protection_extra.py, children_in_need_extra.py)
_S47 = {("s47_enquiries", RECORD), ("s47_enquiries", "s47_id")}
_CP_AT31 = _CP | {("cp_plans", "cp_plan_end_date"), ("cp_plans", "child_id")}
ANSWER_KEY.update({
    # enquiries starting in the period; conferences held in it (a flow on icpc_date)
    "s47_rate_per_10k": _S47 | {("s47_enquiries", "s47_start_date")},
    "icpc_rate_per_10k": _S47 | {("s47_enquiries", "icpc_date")},
    # working days from the strategy discussion to the conference
    "icpc_within_15wd_pct": _S47 | {("s47_enquiries", "s47_start_date"),
                                    ("s47_enquiries", "icpc_date")},
    # placed by start, counted by whether a conference date is recorded
    "s47_led_to_icpc_pct": _S47 | {("s47_enquiries", "s47_start_date"),
                                   ("s47_enquiries", "icpc_date")},
    "cpp_starts_rate_per_10k": _CP,
    # which plans are open at which 31 March rests on start and end; children are counted
    "cpp_at_31_march_by_duration": _CP_AT31,
    # placed by end date, banded by end - start; plans, not children, are counted
    "cpp_ended_by_duration": _CP | {("cp_plans", "cp_plan_end_date")},
    # reviews join their plan by plan id, or by child where the review has none
    "cpp_reviewed_on_time_pct": _CP_AT31 | {
        ("cp_reviews", RECORD), ("cp_reviews", "cp_review_date"), ("cp_reviews", "cp_plan_id"),
        ("cp_reviews", "child_id")},
    # episodes (not children) open at 31 March, and closing in the period
    "cin_at_31_march_by_duration": _CIN,
    "cin_ended_by_duration": _CIN,
})

#: checks (of the shipped suites) each metric must be marked by, and checks that must not
#: mark it: the figure and its nearest neighbours in meaning
MARKED_BY = {
    "rhi_accepted": ({"return_interviews.completed_not_accepted",
                      "return_interviews.required.rhi_accepted", "return_interviews.orphan",
                      "missing_episodes.duplicate_id"},
                     {"missing_episodes.invalid_code.missing_type",
                      "return_interviews.required.child_id"}),
    "rhi_completed_72h": ({"return_interviews.completed_not_accepted",
                           "return_interviews.completed_before_return",
                           "missing_episodes.future_date.missing_end_datetime"},
                          {"return_interviews.required.rhi_accepted"}),
    "rhi_completed_72h_pct": ({"return_interviews.completed_not_accepted",
                               "return_interviews.required.rhi_accepted"}, set()),
    "rhi_offered": ({"return_interviews.placeholder_date.rhi_offered_date"},
                    {"return_interviews.required.rhi_accepted"}),
    "referral_source_pct": ({"referrals.invalid_code.referral_source"}, set()),
    "referrals": ({"referrals.migrated_twice_legacy_id", "referrals.duplicate_id"},
                  {"referrals.invalid_code.referral_source", "referrals.required.child_id"}),
    "rereferrals_12m_pct": ({"referrals.required.child_id"}, set()),
    "cin_at_31_march": ({"cin_episodes.dfe_8820_overlap", "cin_episodes.migrated_twice_legacy_id"},
                        {"cin_episodes.invalid_code.primary_need_code"}),
    "cin_by_primary_need": ({"cin_episodes.invalid_code.primary_need_code"},
                            {"cin_episodes.required.child_id"}),
    "cpp_starts": ({"cp_plans.dfe_8925_end_before_start"}, {"cp_plans.required.child_id"}),
    "cpp_by_latest_category": ({"cp_plans.invalid_code.latest_category"}, set()),
    "contacts_concluded_24h_pct": ({"contacts.decision_before_contact"},
                                   {"contacts.required.child_id"}),
    "missing_children": ({"missing_episodes.required.child_id"},
                         {"missing_episodes.placeholder_date.missing_end_datetime"}),
    "assessments_within_45wd_pct": ({"assessments.authorised_before_start"},
                                    {"assessments.required.child_id"}),
    # a conference date in the future moves the conference figures, not the enquiry count;
    # a blank child id moves none of them (enquiries and conferences are counted, not children)
    "icpc_within_15wd_pct": ({"s47_enquiries.future_date.icpc_date",
                              "s47_enquiries.placeholder_date.s47_start_date"},
                             {"s47_enquiries.required.child_id",
                              "s47_enquiries.placeholder_date.icpc_target_date"}),
    "s47_rate_per_10k": ({"s47_enquiries.required.s47_start_date"},
                         {"s47_enquiries.future_date.icpc_date"}),
    "cpp_reviewed_on_time_pct": ({"cp_reviews.future_date.cp_review_date",
                                  "cp_reviews.required.child_id", "cp_plans.dfe_8935_overlap"},
                                 {"cp_plans.invalid_code.latest_category"}),
    # review checks touch the review figure only
    "cpp_at_31_march_by_duration": ({"cp_plans.dfe_8925_end_before_start"},
                                    {"cp_reviews.future_date.cp_review_date"}),
    "cin_ended_by_duration": ({"cin_episodes.dfe_8630_closure_before_start"},
                              {"cin_episodes.invalid_code.primary_need_code"}),
}


def _without_provenance(inputs):
    return {i for i in inputs if i[1] not in ("source_row", "load_id", "source_file")}


@pytest.mark.parametrize("metric", list(METRICS), ids=lambda m: m.id)
def test_every_metric_rests_on_the_inputs_worked_out_by_hand(metric):
    assert metric.id in ANSWER_KEY, f"add {metric.id} to the lineage answer key"
    assert _without_provenance(metric_inputs(metric.id)) == ANSWER_KEY[metric.id]


@pytest.mark.parametrize("metric", list(METRICS), ids=lambda m: m.id)
def test_every_metric_is_touched_by_a_duplicate_of_its_records(metric):
    # whatever a metric reads, a record counted twice moves it
    touched = {c for c, i in check_inputs().items()
               if metric.id in lineage.metrics_touched(i.columns)}
    tables = {t for t, _ in ANSWER_KEY[metric.id]}
    assert {f"{t}.duplicate_id" for t in tables} <= touched
    assert {f"{t}.migrated_twice_legacy_id" for t in tables} <= touched


@pytest.mark.parametrize("metric_id", sorted(MARKED_BY))
def test_checks_mark_exactly_the_figures_their_records_feed(metric_id):
    must, must_not = MARKED_BY[metric_id]
    inputs = check_inputs()
    for check in must:
        assert metric_id in lineage.metrics_touched(inputs[check].columns), check
    for check in must_not:
        assert metric_id not in lineage.metrics_touched(inputs[check].columns), check


def test_a_wrong_accepted_flag_marks_accepted_and_72_hour_figures_and_no_other_area():
    # the case: recomputing without the records misses it, lineage does not. The
    # interviews offered are marked too: the check doubts a completion date, and whether an
    # interview has a date decides which of two interviews of one episode counts.
    touched = lineage.metrics_touched(check_inputs()["return_interviews.completed_not_accepted"].columns)
    assert touched == ["rhi_offered", "rhi_accepted", "rhi_completed_72h", "rhi_completed_72h_pct"]


def test_every_check_of_the_suites_is_known_and_reads_its_own_table():
    inputs = check_inputs()
    assert len(inputs) > 80
    for check_id, i in inputs.items():
        if i.periodic:
            continue
        assert check_id.startswith(i.table + "."), check_id
        assert i.columns and all(t in (i.table, "children") for t, _ in i.columns), check_id
    # naming the record is not reading it; reading the id is doubting the record
    assert (("return_interviews", RECORD) not in
            inputs["return_interviews.completed_not_accepted"].columns)
    assert ("referrals", RECORD) in inputs["referrals.duplicate_id"].columns
    assert ("cp_plans", RECORD) in inputs["cp_plans.migrated_twice_legacy_id"].columns


def test_checks_about_fields_no_metric_reads_touch_nothing():
    inputs = check_inputs()
    for check in ("cin_episodes.invalid_code.reason_for_closure",
                  "missing_episodes.invalid_code.missing_type",
                  "children.implausible_date_of_birth", "return_interviews.required.child_id"):
        assert lineage.metrics_touched(inputs[check].columns) == [], check


def _validation(rows):
    return pl.DataFrame(rows, schema={c: pl.Utf8 for c in ("check_id", "table", "severity",
                                                           "record_id", "period", "message")})


def test_affects_frame_scopes_month_checks_and_covers_unknown_and_load_checks():
    v = _validation([
        {"check_id": "return_interviews.completed_not_accepted", "table": "return_interviews",
         "severity": "error", "record_id": "R1", "period": "", "message": "m"},
        {"check_id": "return_interviews.completed_not_accepted", "table": "return_interviews",
         "severity": "error", "record_id": "R2", "period": "", "message": "m"},
        {"check_id": "volume.monthly_gap", "table": "missing_episodes", "severity": "warning",
         "record_id": "", "period": "2022-07", "message": "a month with under half"},
        {"check_id": "migration.code_drift", "table": "cin_episodes", "severity": "warning",
         "record_id": "", "period": "2022-07",
         "message": "share jumped: column_name primary_need_code, code N1"},
        {"check_id": "load.unparseable_date", "table": "contacts", "severity": "error",
         "record_id": "C1", "period": "", "message": "not loaded"},
        {"check_id": "made_up_check", "table": "cp_plans", "severity": "error",
         "record_id": "P1", "period": "", "message": "?"},
        {"check_id": "made_up_check", "table": "no_such_table", "severity": "error",
         "record_id": "X", "period": "", "message": "?"},
    ])
    a = affects_frame(v)
    assert a.columns == list(lineage.AFFECTS_SCHEMA)

    def of(check, table=None):
        sub = a.filter(pl.col("check_id") == check)
        if table:
            sub = sub.filter(pl.col("table") == table)
        return sorted(sub["metric_id"].to_list()), set(sub["period"].to_list())

    assert of("return_interviews.completed_not_accepted") == (
        ["rhi_accepted", "rhi_completed_72h", "rhi_completed_72h_pct", "rhi_offered"], {""})
    gap, periods = of("volume.monthly_gap")
    assert periods == {"2022-07"}
    assert {"missing_episodes", "missing_children", "rhi_accepted"} <= set(gap)
    assert of("migration.code_drift") == (["cin_by_primary_need"], {"2022-07"})
    assert of("load.unparseable_date")[0] == ["contacts", "contacts_concluded_24h_pct"]
    unknown, _ = of("made_up_check", "cp_plans")
    assert "cpp_starts" in unknown and "cpp_by_latest_category" in unknown
    # a table the package does not know could feed anything
    assert of("made_up_check", "no_such_table")[0] == sorted(METRICS.ids)
    assert affects_frame(v.clear()).is_empty()


def test_a_mart_whose_sql_cannot_be_followed_is_taken_to_feed_everything(monkeypatch, caplog):
    from scorecard.metrics import marts

    real = marts.render_model

    def broken(name, **kw):
        return "select from where (" if name == "contacts" else real(name, **kw)

    monkeypatch.setattr(marts, "render_model", broken)
    lineage.mart_lineage.cache_clear()
    metric_inputs.cache_clear()
    try:
        touched = lineage.metrics_touched({("contacts", "contact_outcome")})
        assert touched == ["contacts", "contacts_concluded_24h_pct"]   # over-marks, never misses
        assert "lineage of mart contacts could not be derived" in caplog.text
        # the other marts are still followed exactly
        assert _without_provenance(metric_inputs("cpp_starts")) == ANSWER_KEY["cpp_starts"]
    finally:
        lineage.mart_lineage.cache_clear()
        metric_inputs.cache_clear()


def test_the_stored_lineage_is_the_one_the_sql_gives():
    """lineage.json is used only while it was derived from what the package holds; after a
    change to a mart, a metric, a suite or a check, run ``python -m scorecard.validate
    --write-lineage`` (until then every build derives it again)."""
    assert lineage._stored() is not None, "lineage.json is out of date: python -m scorecard.validate --write-lineage"
    assert lineage.STORED.read_text(encoding="utf-8") == lineage.derived_json()


def test_a_changed_template_changes_the_lineage(monkeypatch):
    from scorecard.metrics import marts

    real = marts.render_model
    stored_digest = lineage.lineage_digest()
    stored = metric_inputs("contacts")
    assert ("contacts", "contact_source") not in stored

    def changed(name, **kw):   # the contacts mart now keeps only contacts with a source
        sql = real(name, **kw)
        return sql.replace("select * from stg__contacts", "select * from stg__contacts where contact_source is not null") \
            if name == "contacts" else sql

    monkeypatch.setattr(marts, "render_model", changed)
    lineage.mart_lineage.cache_clear()
    metric_inputs.cache_clear()
    try:
        assert lineage.lineage_digest() != stored_digest
        assert lineage._stored() is None                # the stored lineage is not used
        assert metric_inputs("contacts") == stored | {("contacts", "contact_source")}
        assert metric_inputs("cpp_starts") == lineage._metric_inputs("cpp_starts", derive_mart_lineage())
    finally:
        lineage.mart_lineage.cache_clear()
        metric_inputs.cache_clear()
    monkeypatch.undo()
    assert lineage._stored() is not None and metric_inputs("contacts") == stored


def _no_source():
    raise OSError("no source file")


@pytest.mark.parametrize("fault", ["unreadable file", "no source to digest"])
def test_a_stored_lineage_that_cannot_be_read_or_checked_is_derived_again(monkeypatch, tmp_path, fault):
    """A stored file that is not JSON, or a package installed as compiled files only (the digest
    cannot be taken): the stored lineage is not trusted, and validation does not fail for it."""
    if fault == "unreadable file":
        bad = tmp_path / "lineage.json"
        bad.write_text("{not json", encoding="utf-8")
        monkeypatch.setattr(lineage, "STORED", bad)
    else:
        monkeypatch.setattr(lineage, "lineage_digest", _no_source)
    lineage.mart_lineage.cache_clear()
    metric_inputs.cache_clear()
    try:
        assert lineage._stored() is None
        assert _without_provenance(metric_inputs("cpp_starts")) == ANSWER_KEY["cpp_starts"]
    finally:
        lineage.mart_lineage.cache_clear()
        metric_inputs.cache_clear()
