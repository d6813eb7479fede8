"""Mart models: their shape, build order and atomicity, and the flag columns' edges given
input rows and expected output rows. All data is synthetic (made-up ids)."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import duckdb
import pytest

from scorecard import db as dbmod
from scorecard.metrics import build_marts
from scorecard.metrics.marts import _order, mart_models, mart_sources
from scorecard.metrics.workdays import working_days
from scorecard.schema import TABLES

D, T = date, datetime


def stage(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    """Insert ``rows`` (canonical column -> value, plus optional source_row) into staging."""
    cols = TABLES[table].column_names
    for i, row in enumerate(rows, start=1):
        values = [row.get(c) for c in cols] + [1, f"{table}.csv", row.get("source_row", i)]
        con.execute(f'insert into staging."{table}" ({", ".join(cols)}, load_id, source_file, '
                    f"source_row) values ({', '.join('?' for _ in values)})", values)


@pytest.fixture
def con():
    c = dbmod.connect(":memory:")
    yield c
    c.close()


def rows(con, sql: str) -> dict:
    return dict(con.execute(sql).fetchall())


# --- the models ---------------------------------------------------------------------------

EXPECTED_MARTS = {"calendar_days", "contacts", "referrals", "assessments", "cin_episodes",
                  "cp_plans", "int_missing_episodes_matched", "missing_episodes",
                  "missing_child_years", "return_interviews",
                  # the whole CIN census (docs/metrics-extensions.md)
                  "s47_enquiries", "cp_plans_at_31_march", "cin_episodes_at_31_march",
                  "cp_plan_reviews"}


def test_models_are_the_expected_files_in_the_dbt_shape():
    models = mart_models()
    assert set(models) == EXPECTED_MARTS
    for name, sql in models.items():
        assert sql.startswith(f"-- {name}: "), name           # header comment names the model
        # a source CTE (read where used: "not materialized" spares a copy of the table)
        assert re.search(r"^source as (not materialized )?\(", sql, re.MULTILINE), name
        assert re.search(r"^final as \(", sql, re.MULTILINE), name
        assert sql.rstrip().endswith("select * from final"), name
        assert "staging." not in sql and "marts." not in sql, name  # only source()/ref()


def test_build_order_puts_every_model_after_what_it_reads():
    order = [name for name, _, _ in _order(mart_models())]
    assert order.index("missing_episodes") < order.index("return_interviews")
    assert order.index("missing_episodes") < order.index("missing_child_years")
    assert order.index("calendar_days") < order.index("assessments")
    assert mart_sources()["return_interviews"] == {"return_interviews", "missing_episodes"}


@pytest.mark.parametrize("models, message", [
    ({"a": "select * from {{ ref('b') }}", "b": "select * from {{ ref('a') }}"}, "cycle"),
    ({"a": "select * from {{ ref('nope') }}"}, "unknown mart"),
    ({"a": "select * from {{ source('nope') }}"}, "unknown staging table"),
])
def test_bad_model_references_are_refused(models, message):
    with pytest.raises(ValueError, match=message):
        _order(models)


def test_build_creates_every_mart_even_from_empty_staging(con):
    built = build_marts(con)
    assert set(built) == EXPECTED_MARTS
    tables = {r[0] for r in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
    assert tables == EXPECTED_MARTS
    assert con.execute("select count(*) from marts.referrals").fetchone() == (0,)


def test_build_is_atomic(con):
    stage(con, "referrals", [{"referral_id": "R1", "child_id": "C1",
                              "referral_date": D(2022, 5, 1), "referral_source": "6"}])
    build_marts(con)
    stage(con, "referrals", [{"referral_id": "R2", "child_id": "C1",
                              "referral_date": D(2022, 6, 1), "referral_source": "6",
                              "source_row": 2}])
    con.execute("alter table staging.cp_plans drop column latest_category")  # breaks cp_plans
    with pytest.raises(duckdb.Error):
        build_marts(con)
    # referrals was rebuilt before cp_plans failed, and was rolled back with it
    assert con.execute("select count(*) from marts.referrals").fetchone() == (1,)


def test_build_inside_a_callers_transaction_leaves_commit_to_the_caller(con):
    build_marts(con)
    con.execute("begin transaction")
    stage(con, "referrals", [{"referral_id": "R1", "child_id": "C1",
                              "referral_date": D(2022, 5, 1), "referral_source": "6"}])
    build_marts(con)
    assert con.execute("select count(*) from marts.referrals").fetchone() == (1,)
    con.execute("rollback")
    assert con.execute("select count(*) from marts.referrals").fetchone() == (0,)


def test_an_id_repeated_in_one_file_keeps_its_last_row(con):
    stage(con, "referrals", [
        {"referral_id": "R1", "child_id": "C1", "referral_date": D(2022, 5, 1),
         "referral_source": "6", "source_row": 2},
        {"referral_id": "R1", "child_id": "C1", "referral_date": D(2022, 5, 1),
         "referral_source": "2A", "source_row": 7},
        {"referral_id": "R2", "child_id": "C2", "referral_date": D(2022, 5, 1),
         "referral_source": "6", "source_row": 3},
    ])
    build_marts(con)
    assert rows(con, "select referral_id, referral_source from marts.referrals") == {
        "R1": "2A", "R2": "6"}


# --- referrals --------------------------------------------------------------------------------

def _referrals(con, dates_by_child: dict[str, list[date]]) -> dict:
    stage(con, "referrals", [
        {"referral_id": f"{child}-{d}", "child_id": child, "referral_date": d,
         "referral_source": "6"}
        for child, dates in dates_by_child.items() for d in dates])
    build_marts(con)
    return rows(con, "select referral_id, is_rereferral_12m from marts.referrals")


def test_rereferral_around_29_february(con):
    # DuckDB: 2024-02-29 - 1 year = 2023-02-28; 2025-02-28 - 1 year = 2024-02-28;
    # 2025-03-01 - 1 year = 2024-03-01.
    got = _referrals(con, {
        "A": [D(2023, 2, 28), D(2024, 2, 29)],   # 29 Feb looks back to 28 Feb: counts
        "B": [D(2023, 2, 27), D(2024, 2, 29)],   # a day earlier: not
        "C": [D(2024, 2, 29), D(2025, 2, 28)],   # 28 Feb 2025 looks back to 28 Feb 2024
        "E": [D(2024, 2, 29), D(2025, 3, 1)],    # 1 Mar 2025 looks back to 1 Mar 2024: not
        "F": [D(2024, 2, 28), D(2025, 2, 28)],   # exactly a year: counts
    })
    assert got == {
        "A-2023-02-28": False, "A-2024-02-29": True,
        "B-2023-02-27": False, "B-2024-02-29": False,
        "C-2024-02-29": False, "C-2025-02-28": True,
        "E-2024-02-29": False, "E-2025-03-01": False,
        "F-2024-02-28": False, "F-2025-02-28": True,
    }


def test_rereferral_looks_at_the_latest_earlier_date_and_ignores_same_day(con):
    got = _referrals(con, {"A": [D(2020, 1, 1), D(2022, 1, 1), D(2022, 6, 1), D(2022, 6, 1)]})
    assert got == {"A-2020-01-01": False, "A-2022-01-01": False, "A-2022-06-01": True}
    # (the two 1 June referrals share an id here; a separate test covers separate ids)
    days = rows(con, "select referral_id, days_since_previous_referral from marts.referrals")
    assert days["A-2022-06-01"] == 151


@pytest.mark.parametrize("code, group", [
    ("6", "Police"), ("2A", "Schools/Education"), ("2B", "Schools/Education"),
    ("3A", "Health"), ("3F", "Health"), ("5A", "Local Authority"), ("5D", "Local Authority"),
    ("1A", "Family/Friend"), ("1D", "Family/Friend"), ("7", "Legal Agency"), ("4", "Other"),
    ("8", "Other"), ("9", "Other"), ("10", "Other"), (None, "Other"), ("3G", "Other"),
    ("POLICE", "Other"),
])
def test_source_groups(con, code, group):
    stage(con, "referrals", [{"referral_id": "R1", "child_id": "C1",
                              "referral_date": D(2022, 5, 1), "referral_source": code}])
    build_marts(con)
    assert con.execute("select source_group from marts.referrals").fetchone() == (group,)


# --- contacts, assessments, plans, episodes ---------------------------------------------------

def test_contact_conclusion(con):
    at = T(2022, 5, 1, 9)
    stage(con, "contacts", [
        {"contact_id": "K1", "child_id": "C", "contact_datetime": at,
         "decision_datetime": at + timedelta(hours=24)},
        {"contact_id": "K2", "child_id": "C", "contact_datetime": at,
         "decision_datetime": at + timedelta(hours=24, seconds=1)},
        {"contact_id": "K3", "child_id": "C", "contact_datetime": at},
        {"contact_id": "K4", "child_id": "C", "contact_datetime": at,
         "decision_datetime": at - timedelta(hours=1)},   # read literally: at most 24 h after
    ])
    build_marts(con)
    assert rows(con, "select contact_id, is_concluded_24h from marts.contacts") == {
        "K1": True, "K2": False, "K3": False, "K4": True}
    assert rows(con, "select contact_id, hours_to_decision from marts.contacts")["K1"] == 24


def test_calendar_working_days_agree_with_the_python_count(con):
    starts = [D(2022, 12, 20) + timedelta(days=i) for i in range(0, 130, 3)]
    stage(con, "assessments", [
        {"assessment_id": f"A{i}-{j}", "child_id": "C", "assessment_start_date": s,
         "assessment_authorised_date": s + timedelta(days=j)}
        for i, s in enumerate(starts) for j in (0, 1, 4, 9, 40, 66)])
    build_marts(con)
    got = con.execute("select assessment_start_date, assessment_authorised_date, "
                      "working_days_to_authorised from marts.assessments").fetchall()
    assert len(got) == len(starts) * 6
    for start, end, n in got:
        assert n == working_days(start, end), (start, end)
    holidays = rows(con, "select calendar_date, bank_holiday_name from marts.calendar_days "
                         "where is_bank_holiday and calendar_date between '2022-12-24' "
                         "and '2023-01-03'")
    assert set(holidays) == {D(2022, 12, 25), D(2022, 12, 26), D(2022, 12, 27), D(2023, 1, 1),
                             D(2023, 1, 2)}


def test_assessment_edges(con):
    stage(con, "assessments", [
        {"assessment_id": "A45", "child_id": "C", "assessment_start_date": D(2022, 12, 23),
         "assessment_authorised_date": D(2023, 3, 1)},
        {"assessment_id": "A46", "child_id": "C", "assessment_start_date": D(2022, 12, 23),
         "assessment_authorised_date": D(2023, 3, 2)},
        {"assessment_id": "BACK", "child_id": "C", "assessment_start_date": D(2023, 3, 2),
         "assessment_authorised_date": D(2023, 3, 1)},
        {"assessment_id": "OLD", "child_id": "C", "assessment_start_date": D(1900, 1, 1),
         "assessment_authorised_date": D(2023, 3, 1)},    # placeholder start: off the calendar
    ])
    build_marts(con)
    assert rows(con, "select assessment_id, working_days_to_authorised from marts.assessments"
                ) == {"A45": 45, "A46": 46, "BACK": None, "OLD": None}
    assert rows(con, "select assessment_id, is_within_45wd from marts.assessments") == {
        "A45": True, "A46": False, "BACK": False, "OLD": False}


def test_cp_plan_flags(con):
    stage(con, "cp_plans", [
        {"cp_plan_id": "P1", "child_id": "C1", "cp_plan_start_date": D(2020, 3, 1),
         "cp_plan_end_date": D(2022, 3, 1), "initial_category": "NEG"},       # 730 days (leap)
        {"cp_plan_id": "P2", "child_id": "C1", "cp_plan_start_date": D(2022, 3, 1),
         "initial_category": "NEG", "latest_category": "EMO"},
        {"cp_plan_id": "P3", "child_id": "C2", "cp_plan_start_date": D(2021, 3, 2),
         "cp_plan_end_date": D(2023, 3, 1), "initial_category": "PHY"},       # 729 days
    ])
    build_marts(con)
    got = con.execute("select cp_plan_id, duration_days, is_2yrs_plus, is_second_or_subsequent, "
                      "category_latest from marts.cp_plans order by 1").fetchall()
    assert got == [("P1", 730, True, False, "NEG"), ("P2", None, False, True, "EMO"),
                   ("P3", 729, False, False, "PHY")]


def test_missing_child_years_split_at_1_april(con):
    stage(con, "missing_episodes", [
        {"missing_episode_id": f"M{i}", "child_id": "C1", "missing_start_datetime": t}
        for i, t in enumerate([T(2022, 3, 31, 23), T(2022, 4, 1), T(2022, 4, 2), T(2023, 3, 31)])])
    build_marts(con)
    got = con.execute("select year_start_date, episodes_started, is_repeat "
                      "from marts.missing_child_years order by 1").fetchall()
    assert got == [(D(2021, 4, 1), 1, False), (D(2022, 4, 1), 3, True)]


def test_return_interviews_link_to_their_episode(con):
    back = T(2022, 5, 2, 10)
    stage(con, "missing_episodes", [
        {"missing_episode_id": "M1", "child_id": "C1", "missing_start_datetime": T(2022, 5, 1),
         "missing_end_datetime": back},
        {"missing_episode_id": "M2", "child_id": "C2", "missing_start_datetime": T(2022, 5, 1)},
    ])
    stage(con, "return_interviews", [
        {"rhi_id": "H72", "missing_episode_id": "M1", "child_id": "C1", "rhi_accepted": True,
         "rhi_offered_date": D(2022, 5, 2), "rhi_completed_datetime": back + timedelta(hours=72)},
        {"rhi_id": "H73", "missing_episode_id": "M1", "child_id": "C9", "rhi_accepted": False,
         "rhi_offered_date": D(2022, 5, 2),
         "rhi_completed_datetime": back + timedelta(hours=72, minutes=1)},
        {"rhi_id": "HOPEN", "missing_episode_id": "M2", "child_id": "C2", "rhi_accepted": True},
        {"rhi_id": "HORPHAN", "missing_episode_id": "M9", "child_id": "C2", "rhi_accepted": True},
    ])
    build_marts(con)
    got = {r[0]: r[1:] for r in con.execute(
        "select rhi_id, return_date, is_offered, is_accepted, is_completed_72h, hours_to_completion,"
        " episode_child_id from marts.return_interviews").fetchall()}
    assert got == {
        "H72": (D(2022, 5, 2), True, True, True, 72.0, "C1"),
        "H73": (D(2022, 5, 2), True, False, False, pytest.approx(72 + 1 / 60), "C1"),
        "HOPEN": (None, False, False, False, None, "C2"),   # HOPEN accepted but never offered
    }  # HORPHAN has no episode, so no return to count from


def test_no_further_action_census_blocks_are_not_episodes_of_need(con):
    stage(con, "cin_episodes", [
        {"cin_episode_id": "E1", "child_id": "C1", "cin_start_date": D(2022, 5, 1),
         "primary_need_code": "N1", "referral_nfa": False},
        {"cin_episode_id": "E2", "child_id": "C1", "cin_start_date": D(2022, 6, 1),
         "referral_nfa": True},
        {"cin_episode_id": "E3", "child_id": "C2", "cin_start_date": D(2022, 6, 1),
         "primary_need_code": "N4"},
    ])
    build_marts(con)
    assert rows(con, "select cin_episode_id, primary_need_code from marts.cin_episodes") == {
        "E1": "N1", "E3": "N4"}


# --- missing episodes reported by several sources (int_missing_episodes_matched) ----------------

_SOURCES = {"case_management": 1, "ssda903": 2, "police": 3}


def stage_from(con, source: str, rows: list[dict], table: str = "missing_episodes") -> None:
    """Stage ``rows`` as one load reported by ``source`` (its ledger row says who)."""
    load_id = _SOURCES[source] + (10 if table != "missing_episodes" else 0)
    con.execute("insert into meta.loads (load_id, source_file, table_name, status, source) "
                "values (?, ?, ?, 'loaded', ?)", [load_id, f"{source}.csv", table, source])
    cols = TABLES[table].column_names
    for i, row in enumerate(rows, start=1):
        values = [row.get(c) for c in cols] + [load_id, f"{source}.csv", i]
        con.execute(f'insert into staging."{table}" ({", ".join(cols)}, load_id, source_file, '
                    f"source_row) values ({', '.join('?' for _ in values)})", values)


def episodes(con) -> dict:
    return {r[0]: r[1:] for r in con.execute(
        "select missing_episode_id, child_id, missing_start_datetime, return_datetime, looked_after, "
        "reported_by, reports from marts.missing_episodes").fetchall()}


def matched(con) -> dict:
    return dict(con.execute("select missing_episode_id, episode_id "
                            "from marts.int_missing_episodes_matched").fetchall())


def test_the_same_child_within_the_tolerance_is_one_episode_with_every_source_named(con):
    stage_from(con, "case_management", [
        {"missing_episode_id": "LA1", "child_id": "C1", "missing_start_datetime": T(2022, 5, 1, 21, 40)}])
    stage_from(con, "ssda903", [   # the 903 has only the date: 00:00 means some time that day
        {"missing_episode_id": "903A", "child_id": "C1", "missing_start_datetime": T(2022, 5, 1),
         "missing_end_datetime": T(2022, 5, 2), "looked_after": True}])
    stage_from(con, "police", [   # reported at 02:10 next day, found at 09:30
        {"missing_episode_id": "POL1", "child_id": "C1", "missing_start_datetime": T(2022, 5, 2, 2, 10),
         "missing_end_datetime": T(2022, 5, 2, 9, 30)}])
    build_marts(con)
    assert matched(con) == {"LA1": "LA1", "903A": "LA1", "POL1": "LA1"}
    # the kept record's start; blanks filled from the other reports in rank order
    assert episodes(con) == {"LA1": ("C1", T(2022, 5, 1, 21, 40), T(2022, 5, 2), True,
                                     "case_management, police, ssda903", 3)}
    assert rows(con, "select 'n', count(*) from marts.missing_child_years") == {"n": 1}


def test_outside_the_tolerance_or_another_child_is_another_episode(con):
    stage_from(con, "case_management", [
        {"missing_episode_id": "LA1", "child_id": "C1", "missing_start_datetime": T(2022, 5, 1, 21, 0)},
        {"missing_episode_id": "LA2", "child_id": "C2", "missing_start_datetime": T(2022, 5, 1, 21, 0)}])
    stage_from(con, "police", [
        {"missing_episode_id": "POL1", "child_id": "C1", "missing_start_datetime": T(2022, 5, 2, 21, 1)},
        {"missing_episode_id": "POL2", "child_id": "C3", "missing_start_datetime": T(2022, 5, 1, 21, 0)}])
    build_marts(con)
    assert matched(con) == {"LA1": "LA1", "LA2": "LA2", "POL1": "POL1", "POL2": "POL2"}
    assert len(episodes(con)) == 4


def test_exactly_at_the_tolerance_matches_and_the_tolerance_is_a_parameter(con):
    stage_from(con, "case_management", [
        {"missing_episode_id": "LA1", "child_id": "C1", "missing_start_datetime": T(2022, 5, 1, 21, 0)}])
    stage_from(con, "police", [
        {"missing_episode_id": "POL1", "child_id": "C1", "missing_start_datetime": T(2022, 5, 2, 21, 0)}])
    build_marts(con)
    assert matched(con)["POL1"] == "LA1"   # 24 hours apart: the default tolerance
    dbmod.set_parameter(con, "missing_match_tolerance_hours", 6)
    build_marts(con)
    assert matched(con)["POL1"] == "POL1"


def test_records_of_one_source_are_never_merged_and_each_takes_one_per_source(con):
    # a child missing twice in one evening, recorded twice by the LA, reported once by the police
    stage_from(con, "case_management", [
        {"missing_episode_id": "LA1", "child_id": "C1", "missing_start_datetime": T(2022, 5, 1, 18, 0)},
        {"missing_episode_id": "LA2", "child_id": "C1", "missing_start_datetime": T(2022, 5, 1, 22, 0)}])
    stage_from(con, "police", [
        {"missing_episode_id": "POL1", "child_id": "C1", "missing_start_datetime": T(2022, 5, 1, 22, 30)},
        {"missing_episode_id": "POL2", "child_id": "C1", "missing_start_datetime": T(2022, 5, 1, 23, 0)}])
    build_marts(con)
    # POL1 and POL2 both want LA2; the nearer one joins it, the other stays an episode of its own
    assert matched(con) == {"LA1": "LA1", "LA2": "LA2", "POL1": "LA2", "POL2": "POL2"}


def test_a_date_only_start_matches_the_episode_of_that_day_not_the_nearest_moment(con):
    # 903 starts on 1 and 2 May; the LA's episodes at 23:00 on 1 May and 20:00 on 2 May
    stage_from(con, "case_management", [
        {"missing_episode_id": "LA1", "child_id": "C1", "missing_start_datetime": T(2022, 5, 1, 23, 0)},
        {"missing_episode_id": "LA2", "child_id": "C1", "missing_start_datetime": T(2022, 5, 2, 20, 0)}])
    stage_from(con, "ssda903", [
        {"missing_episode_id": "903A", "child_id": "C1", "missing_start_datetime": T(2022, 5, 1)},
        {"missing_episode_id": "903B", "child_id": "C1", "missing_start_datetime": T(2022, 5, 2)}])
    build_marts(con)
    assert matched(con) == {"LA1": "LA1", "LA2": "LA2", "903A": "LA1", "903B": "LA2"}


def test_return_interviews_of_either_copy_follow_the_kept_episode(con):
    back = T(2022, 5, 2, 9, 30)
    stage_from(con, "case_management", [
        {"missing_episode_id": "LA1", "child_id": "C1", "missing_start_datetime": T(2022, 5, 1, 21, 40),
         "missing_end_datetime": back}])
    stage_from(con, "police", [
        {"missing_episode_id": "POL1", "child_id": "C1", "missing_start_datetime": T(2022, 5, 1, 23, 0)}])
    stage_from(con, "case_management", [
        {"rhi_id": "H1", "missing_episode_id": "POL1", "child_id": "C1", "rhi_accepted": True,
         "rhi_offered_date": D(2022, 5, 2), "rhi_completed_datetime": back + timedelta(hours=30)},
        {"rhi_id": "H2", "missing_episode_id": "LA1", "child_id": "C1", "rhi_accepted": False,
         "rhi_offered_date": D(2022, 5, 3)}], table="return_interviews")
    build_marts(con)
    got = {r[0]: r[1:] for r in con.execute(
        "select rhi_id, missing_episode_id, recorded_episode_id, return_datetime, is_completed_72h "
        "from marts.return_interviews").fetchall()}
    assert got == {"H1": ("LA1", "POL1", back, True), "H2": ("LA1", "LA1", back, False)}


def test_an_undated_interview_gives_way_to_a_dated_one_of_the_same_episode(con):
    stage(con, "missing_episodes", [
        {"missing_episode_id": "M1", "child_id": "C1", "missing_start_datetime": T(2022, 5, 1),
         "missing_end_datetime": T(2022, 5, 2)},
        {"missing_episode_id": "M2", "child_id": "C1", "missing_start_datetime": T(2022, 6, 1),
         "missing_end_datetime": T(2022, 6, 2)}])
    stage(con, "return_interviews", [   # SSD flags for both episodes, an extract's dates for M1
        {"rhi_id": "SSDRHI-M1", "missing_episode_id": "M1", "child_id": "C1", "rhi_accepted": True},
        {"rhi_id": "SSDRHI-M2", "missing_episode_id": "M2", "child_id": "C1", "rhi_accepted": False},
        {"rhi_id": "H1", "missing_episode_id": "M1", "child_id": "C1", "rhi_accepted": True,
         "rhi_offered_date": D(2022, 5, 2)}])
    build_marts(con)
    assert sorted(r[0] for r in con.execute("select rhi_id from marts.return_interviews").fetchall()) == [
        "H1", "SSDRHI-M2"]
