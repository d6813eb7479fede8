"""Metric registry and compute: every metric against figures worked out by hand.

All data is synthetic (made-up ids). The fixture covers financial years 2021-22 and 2022-23;
the comment beside each row says what it is there to test, and each test says how its expected
figure is reached.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime

import duckdb
import polars as pl
import pytest

from scorecard import db as dbmod
from scorecard.errors import ConfigError
from scorecard.metrics import (
    METRICS,
    DuplicateMetricError,
    Metric,
    build_marts,
    catalogue,
    compute,
)
from scorecard.metrics.compute import (
    CATALOGUE_SCHEMA,
    METRICS_SCHEMA,
    period_set,
    timed_compute,
)
from scorecard.metrics.definitions import Registry
from scorecard.schema import TABLES

D, T = date, datetime

#: The core catalogue of shared/spec/metrics.md, with the polarity of interface 3.
SPEC = {
    "contacts": "neutral", "contacts_concluded_24h_pct": "higher", "referrals": "neutral",
    "referrals_rate_per_10k": "neutral", "rereferrals_12m_pct": "lower",
    "referrals_nfa_pct": "neutral", "referral_source_pct": "neutral",
    "assessments_within_45wd_pct": "higher", "cin_open_month_end": "neutral",
    "cin_at_31_march": "neutral", "cin_rate_per_10k": "neutral", "cin_by_primary_need": "neutral",
    "cpp_open_month_end": "neutral", "cpp_avg_open_per_month": "neutral",
    "cpp_at_31_march": "neutral", "cpp_rate_per_10k": "neutral", "cpp_starts": "neutral",
    "cpp_second_or_subsequent_pct": "lower", "cpp_ended_2yrs_plus_pct": "lower",
    "cpp_by_latest_category": "neutral", "missing_episodes": "neutral",
    "missing_children": "neutral", "missing_repeat_children": "neutral", "rhi_offered": "neutral",
    "rhi_accepted": "neutral", "rhi_completed_72h": "neutral", "rhi_completed_72h_pct": "higher",
}
#: metrics added beyond the core catalogue (docs/metrics-extensions.md), with their polarity;
#: their own tests are tests/test_child_protection_extra.py and test_children_in_need_extra.py
EXTENSIONS = {
    "s47_rate_per_10k": "neutral", "icpc_rate_per_10k": "neutral",
    "icpc_within_15wd_pct": "higher", "s47_led_to_icpc_pct": "neutral",
    "cpp_starts_rate_per_10k": "neutral", "cpp_at_31_march_by_duration": "neutral",
    "cpp_ended_by_duration": "neutral", "cpp_reviewed_on_time_pct": "higher",
    "cin_at_31_march_by_duration": "neutral", "cin_ended_by_duration": "neutral",
}
SPEC_PERIODS = {"contacts": "month,year", "contacts_concluded_24h_pct": "month,year",
                "referrals": "month,year", "cin_open_month_end": "month",
                "cpp_open_month_end": "month", "missing_episodes": "month,year",
                "missing_children": "month,year", "rhi_offered": "month,year",
                "rhi_accepted": "month,year", "rhi_completed_72h": "month,year",
                "rhi_completed_72h_pct": "month,year"}


def stage(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    """Insert ``rows`` (canonical column -> value; others blank) into ``staging.<table>``."""
    cols = TABLES[table].column_names
    for i, row in enumerate(rows, start=1):
        unknown = set(row) - set(cols)
        assert not unknown, unknown
        values = [row.get(c) for c in cols] + [1, f"{table}.csv", i]
        marks = ", ".join("?" for _ in values)
        con.execute(f'insert into staging."{table}" ({", ".join(cols)}, load_id, source_file, '
                    f"source_row) values ({marks})", values)


def referral(rid, child, day, source, nfa=False):
    return {"referral_id": rid, "child_id": child, "referral_date": day,
            "referral_source": source, "referral_nfa": nfa}


REFERRALS = [
    referral("R1", "C1", D(2021, 6, 15), "6"),
    referral("R2", "C1", D(2022, 6, 15), "6"),          # exactly one year after R1: re-referral
    referral("R3", "C2", D(2021, 6, 14), "6"),
    referral("R4", "C2", D(2022, 6, 15), "3A"),         # one year and a day after R3: not
    referral("R5", "C3", D(2022, 7, 1), "2B"),          # same day as R6: neither is a
    referral("R6", "C3", D(2022, 7, 1), "XX"),          # re-referral; XX unrecognised -> Other
    referral("R8", "C5", D(2022, 9, 1), "2A", True),
    referral("R9", "C6", D(2023, 3, 31), None, None),   # last day of the year; blank -> Other
    referral("R10", "C7", D(2023, 4, 1), "7"),          # first day of the next year
    referral("R11", "C8", D(2022, 4, 1), "1A", True),   # first day of the year
]
CONTACTS = [
    {"contact_id": "K1", "child_id": "C1", "contact_datetime": T(2022, 5, 1, 9),
     "decision_datetime": T(2022, 5, 2, 9)},            # exactly 24 hours: concluded
    {"contact_id": "K2", "child_id": "C2", "contact_datetime": T(2022, 5, 1, 9),
     "decision_datetime": T(2022, 5, 2, 9, 1)},         # 24 h 1 min: not
    {"contact_id": "K3", "child_id": "C3", "contact_datetime": T(2022, 5, 31, 23, 30)},  # none
    {"contact_id": "K4", "child_id": "C4", "contact_datetime": T(2022, 6, 1),
     "decision_datetime": T(2022, 6, 1, 10)},
    {"contact_id": "K5", "child_id": "C5", "contact_datetime": T(2023, 3, 31, 23, 59),
     "decision_datetime": T(2023, 4, 1, 1)},            # decided next year, counted in March
]
ASSESSMENTS = [
    # Fri 23 Dec 2022 is day 0; 26, 27 Dec 2022 and 2 Jan 2023 are bank holidays, so
    # 1 Mar 2023 is working day 45 (within) and 2 Mar working day 46 (not).
    {"assessment_id": "A1", "child_id": "C1", "assessment_start_date": D(2022, 12, 23),
     "assessment_authorised_date": D(2023, 3, 1)},
    {"assessment_id": "A2", "child_id": "C2", "assessment_start_date": D(2022, 12, 23),
     "assessment_authorised_date": D(2023, 3, 2)},
    {"assessment_id": "A3", "child_id": "C3", "assessment_start_date": D(2022, 6, 1),
     "assessment_authorised_date": D(2022, 6, 1)},   # same day: 0 working days, within
    {"assessment_id": "A4", "child_id": "C4", "assessment_start_date": D(2022, 6, 1)},  # open
    {"assessment_id": "A5", "child_id": "C5", "assessment_start_date": D(2022, 6, 10),
     "assessment_authorised_date": D(2022, 6, 5)},   # before its start: counted, not within
]


def cin(eid, child, start, end, need):
    return {"cin_episode_id": eid, "child_id": child, "cin_start_date": start,
            "cin_closure_date": end, "primary_need_code": need}


CIN = [
    cin("E1", "C1", D(2021, 1, 10), None, "N1"),
    cin("E2", "C2", D(2022, 3, 1), D(2022, 4, 30), "N2"),   # closes on a month end: not open then
    cin("E3", "C3", D(2022, 4, 30), D(2022, 5, 1), "N4"),   # open at 30 April
    cin("E4", "C1", D(2022, 6, 1), D(2023, 3, 31), "N1"),   # C1's second episode; shuts 31 March
    cin("E5", "C4", D(2023, 3, 31), None, "N0"),            # starts on 31 March: open then
    cin("E6", "C5", D(2021, 4, 1), D(2022, 3, 31), "N3"),   # not open at 31 March 2022
    cin("E7", "C6", D(2023, 4, 1), None, "N5"),             # after 2022-23
]


def plan(pid, child, start, end, initial, latest=None):
    return {"cp_plan_id": pid, "child_id": child, "cp_plan_start_date": start,
            "cp_plan_end_date": end, "initial_category": initial, "latest_category": latest}


PLANS = [
    plan("P1", "C1", D(2020, 6, 1), D(2022, 6, 1), "NEG"),         # exactly 730 days: 2 years+
    plan("P2", "C2", D(2020, 6, 2), D(2022, 6, 1), "EMO", "PHY"),  # 729 days: not
    plan("P3", "C1", D(2022, 7, 1), D(2023, 3, 31), "NEG", "EMO"),  # C1's second plan
    plan("P4", "C3", D(2022, 8, 1), None, "PHY"),
    plan("P5", "C4", D(2022, 8, 1), None, "SAB"),                  # two plans starting the same
    plan("P6", "C4", D(2022, 8, 1), None, "MUL"),                  # day: neither is subsequent
    plan("P7", "C2", D(2023, 1, 15), None, "NEG"),                 # C2's second plan
]


def episode(mid, child, start, end):
    return {"missing_episode_id": mid, "child_id": child, "missing_start_datetime": start,
            "missing_end_datetime": end}


MISSING = [
    episode("M1", "C1", T(2022, 5, 1, 10), T(2022, 5, 2, 10)),
    episode("M2", "C1", T(2022, 5, 20, 22), T(2022, 6, 1, 8)),     # returns in June
    episode("M3", "C1", T(2023, 3, 31, 23), T(2023, 4, 1, 2)),     # C1's third; returns 2023-24
    episode("M4", "C2", T(2022, 5, 15), None),                     # not returned
    episode("M5", "C2", T(2022, 3, 31, 20), T(2022, 4, 1, 9)),     # starts 2021-22, returns 2022-23
    episode("M6", "C3", T(2022, 7, 1), T(2022, 7, 1, 12)),
]


def rhi(hid, mid, child, offered, accepted, completed):
    return {"rhi_id": hid, "missing_episode_id": mid, "child_id": child,
            "rhi_offered_date": offered, "rhi_accepted": accepted,
            "rhi_completed_datetime": completed}


RHIS = [
    rhi("H1", "M1", "C1", D(2022, 5, 2), True, T(2022, 5, 5, 10)),     # exactly 72 hours
    rhi("H2", "M2", "C1", D(2022, 6, 1), True, T(2022, 6, 4, 8, 1)),   # 72 h 1 min: not
    rhi("H3", "M5", "C2", D(2022, 4, 1), False, T(2022, 4, 2)),        # declined yet completed
    rhi("H4", "M6", "C3", None, True, None),                           # accepted, never offered
    rhi("H5", "M4", "C2", D(2022, 5, 16), True, T(2022, 5, 16)),       # no return: no period
    rhi("H6", "MX", "C9", D(2022, 5, 16), True, T(2022, 5, 16)),       # orphan: no episode
    rhi("H7", "M3", "C1", D(2023, 4, 1), True, T(2023, 4, 1, 9)),      # return in 2023-24
]

POPULATION = {2022: 50_000}


def population(la_code: int, year: int) -> int | None:
    assert la_code == 370
    return POPULATION.get(year)


def staged_con() -> duckdb.DuckDBPyConnection:
    con = dbmod.connect(":memory:")
    for table, rows in [("referrals", REFERRALS), ("contacts", CONTACTS),
                        ("assessments", ASSESSMENTS), ("cin_episodes", CIN), ("cp_plans", PLANS),
                        ("missing_episodes", MISSING), ("return_interviews", RHIS)]:
        stage(con, table, rows)
    return con


@pytest.fixture(scope="module")
def con():
    c = staged_con()
    build_marts(c)
    yield c
    c.close()


@pytest.fixture(scope="module")
def frame(con) -> pl.DataFrame:
    return compute(con, "2022-23", population=population)


def get(frame: pl.DataFrame, metric: str, period: str, breakdown: str = "") -> dict | None:
    rows = frame.filter((pl.col("metric_id") == metric) & (pl.col("period") == period)
                        & (pl.col("breakdown") == breakdown)).to_dicts()
    assert len(rows) <= 1, rows
    return rows[0] if rows else None


def value(frame, metric, period, breakdown=""):
    row = get(frame, metric, period, breakdown)
    return None if row is None else row["value"]


def ratio(frame, metric, period, breakdown=""):
    row = get(frame, metric, period, breakdown)
    return None if row is None else (row["numerator"], row["denominator"], row["value"])


# --- the registry ---------------------------------------------------------------------------

def test_ids_exactly_cover_the_spec_with_its_polarities_and_periods():
    assert sorted(METRICS.ids) == sorted(SPEC | EXTENSIONS)
    assert len(set(METRICS.ids)) == len(METRICS)
    for m in METRICS:
        assert m.polarity == (SPEC | EXTENSIONS)[m.id], m.id
        assert ",".join(m.periods) == SPEC_PERIODS.get(m.id, "year"), m.id


def test_duplicate_id_raises():
    reg = Registry()
    m = METRICS["referrals"]
    reg.register(m)
    with pytest.raises(DuplicateMetricError, match="referrals"):
        reg.register(dataclasses.replace(m, title="another"))
    assert len(reg) == 1


@pytest.mark.parametrize("change, message", [
    ({"unit": "days"}, "unit"),
    ({"polarity": "up"}, "polarity"),
    ({"periods": ("week",)}, "periods"),
    ({"denominator": "count(*)"}, "denominator"),
    ({"kind": "open_at_end"}, "end_column"),
    ({"id": "Bad Id"}, "identifier"),
    ({"numerator": ""}, "numerator"),
])
def test_bad_declarations_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(METRICS["referrals"], **change)


def test_mean_needs_a_registered_monthly_metric():
    reg = Registry()
    with pytest.raises(ValueError, match="unknown metric"):
        reg.register(METRICS["cpp_avg_open_per_month"])


@pytest.mark.parametrize("metric", list(METRICS), ids=lambda m: m.id)
def test_every_metric_reads_existing_mart_columns(con, metric: Metric):
    cols = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'marts' "
        "and table_name = ?", [metric.mart]).fetchall()}
    assert cols, f"mart {metric.mart} missing"
    assert set(metric.columns) <= cols
    for expr in (metric.numerator, metric.denominator):
        if expr:  # the expression is valid SQL over the mart (DuckDB binds every column)
            con.execute(f'select {expr} from marts."{metric.mart}"').fetchall()


def test_benchmark_series_exist_in_the_benchmarks_module():
    from scorecard.benchmarks import COMPARATORS, RECONCILED

    known = {s for s in [*COMPARATORS.values(), *RECONCILED.values()] if s}
    named = {s for m in METRICS if m.benchmark for s in m.benchmark.split(",")}
    assert named <= known
    # every comparator the scorecard uses is named by its metric
    assert {s for s in COMPARATORS.values() if s} <= named
    for (metric_id, _), series in COMPARATORS.items():
        assert metric_id in METRICS and (series is None or series in METRICS[metric_id].benchmark)


def test_catalogue_follows_interface_3():
    cat = catalogue()
    assert dict(cat.schema) == CATALOGUE_SCHEMA
    assert cat["metric_id"].to_list() == METRICS.ids
    assert set(cat["unit"]) <= {"count", "percent", "rate_per_10k", "mean"}
    assert set(cat["group"]) == {"Front door", "Children in need", "Child protection",
                                 "Missing and return home interviews"}
    row = cat.filter(pl.col("metric_id") == "rereferrals_12m_pct").to_dicts()[0]
    assert (row["unit"], row["polarity"], row["periods"]) == ("percent", "lower", "year")
    assert row["benchmark"]
    assert cat.filter(pl.col("metric_id") == "contacts")["periods"].item() == "month,year"


# --- the frame --------------------------------------------------------------------------------

def test_frame_follows_interface_2(frame):
    assert dict(frame.schema) == METRICS_SCHEMA
    assert frame.filter(pl.col("breakdown").is_null() | pl.col("la_code").ne(370)).height == 0
    # the year and the year before (too few records to tell how far back the data is at full
    # volume) and their months; nothing of 2023-24, which the data reaches only on 1 April 2023
    years = {p for p in frame["period"] if len(p) == 7 and int(p[5:]) == (int(p[2:4]) + 1) % 100}
    assert years == {"2021-22", "2022-23"}
    assert "2023-04" not in set(frame["period"]) and "2023-24" not in set(frame["period"])
    assert not any("/" in p for p in frame["period"])  # a complete year build has no year to date
    # no duplicate keys
    assert frame.select("metric_id", "period", "breakdown").is_duplicated().sum() == 0


def test_period_set_for_a_year_and_a_month():
    labels = [p.label for p in period_set("2022-23")]
    assert labels[0] == "2022-23" and labels[13] == "2021-22"
    assert labels[1:13] == [f"2022-{m:02d}" for m in range(4, 13)] + [f"2023-{m:02d}"
                                                                      for m in range(1, 4)]
    assert [p.label for p in period_set("2022-07")] == labels


def test_a_month_gives_complete_years_months_to_it_and_the_year_to_date(con, frame):
    month = compute(con, "2022-07", population=population)
    periods = set(month["period"])
    # never a figure of the unfinished year 2022-23, nor a month after July
    assert "2022-23" not in periods and "2022-08" not in periods and "2023-03" not in periods
    assert {"2022-04", "2022-07", "2021-22", "2021-04"} <= periods
    # the year to date and the same span a year earlier, for flows and "open during" metrics
    assert get(month, "referrals", "2022-04/2022-07")["value"] == sum(
        value(frame, "referrals", f"2022-{m:02d}") for m in range(4, 8))
    assert get(month, "referrals", "2021-04/2021-07") is not None
    assert get(month, "cpp_by_latest_category", "2022-04/2022-07", "NEG") is not None
    # no figure at 31 March and no rate per 10,000 for part of a year
    assert get(month, "cin_at_31_march", "2022-04/2022-07") is None
    assert get(month, "referrals_rate_per_10k", "2022-04/2022-07") is None
    # the mean of monthly values over the months to date
    assert ratio(month, "cpp_avg_open_per_month", "2022-04/2022-07") == (
        sum(MONTH_ENDS_2022_23[:4]), 4, pytest.approx(sum(MONTH_ENDS_2022_23[:4]) / 4))
    # every figure it shares with the year build is the same
    shared = month.join(frame, on=["metric_id", "period", "breakdown"], suffix="_year")
    assert shared.height == month.filter(~pl.col("period").str.contains("/")).height
    assert (shared["value"] - shared["value_year"]).abs().max() < 1e-9


def test_a_year_the_data_does_not_reach_the_end_of_is_never_reported(con):
    from scorecard.metrics.reach import Reach, TableReach

    short = Reach((TableReach("referrals", D(2020, 6, 1), D(2023, 3, 30)),))
    got = compute(con, "2022-23", population=population, reach=short)
    periods = set(got["period"])
    assert "2022-23" not in periods and "2023-03" not in periods
    assert get(got, "cin_at_31_march", "2022-23") is None
    # what it supports: the year to February, beside the same span a year earlier
    assert {"2022-04/2023-02", "2021-04/2022-02", "2022-02", "2021-22"} <= periods


# --- front door -------------------------------------------------------------------------------

def test_contacts_and_24h(frame):
    # 2022-23: K1..K5 (K5 at 23:59 on 31 March counts in March although decided in April);
    # concluded: K1 (exactly 24 h), K4, K5; K2 at 24 h 1 min and K3 with no decision are not.
    assert value(frame, "contacts", "2022-23") == 5
    assert ratio(frame, "contacts_concluded_24h_pct", "2022-23") == (3, 5, 60.0)
    assert ratio(frame, "contacts_concluded_24h_pct", "2022-05") == (1, 3, pytest.approx(100 / 3))
    assert ratio(frame, "contacts_concluded_24h_pct", "2023-03") == (1, 1, 100.0)
    # July has no contacts: a count of 0, and no percentage rather than a made-up one
    assert value(frame, "contacts", "2022-07") == 0
    assert get(frame, "contacts_concluded_24h_pct", "2022-07") is None
    # before the first contact (May 2022) there is no data: absent, not zero
    assert get(frame, "contacts", "2022-04") is None
    assert get(frame, "contacts", "2021-22") is None


def test_referrals_counts(frame):
    # 2022-23: R2, R4, R5, R6, R8, R9 (31 March), R11 (1 April); R10 (1 April 2023) is not
    assert value(frame, "referrals", "2022-23") == 7
    assert value(frame, "referrals", "2021-22") == 2
    assert value(frame, "referrals", "2022-06") == 2
    assert value(frame, "referrals", "2022-08") == 0
    assert value(frame, "referrals", "2021-06") == 2
    assert get(frame, "referrals", "2021-05") is None  # before the first referral
    assert get(frame, "referrals_rate_per_10k", "2022-06") is None  # yearly only


def test_referrals_rate_uses_the_population_and_is_absent_without_it(frame):
    assert ratio(frame, "referrals_rate_per_10k", "2022-23") == (7, 50_000, pytest.approx(1.4))
    assert get(frame, "referrals_rate_per_10k", "2021-22") is None  # 2021 population unknown


def test_rereferrals_edges(frame):
    # only R2 (exactly one year after R1); R4 is a year and a day after R3, R5/R6 same day
    assert ratio(frame, "rereferrals_12m_pct", "2022-23") == (1, 7, pytest.approx(100 / 7))
    assert ratio(frame, "rereferrals_12m_pct", "2021-22") == (0, 2, 0.0)


def test_rereferral_flags_in_the_mart(con):
    flags = dict(con.execute("select referral_id, is_rereferral_12m from marts.referrals")
                 .fetchall())
    assert {k for k, v in flags.items() if v} == {"R2"}


def test_nfa(frame):
    assert ratio(frame, "referrals_nfa_pct", "2022-23") == (2, 7, pytest.approx(200 / 7))


def test_referral_sources(frame):
    expected = {"Police": 1, "Schools/Education": 2, "Health": 1, "Local Authority": 0,
                "Family/Friend": 1, "Legal Agency": 0, "Other": 2}
    rows = frame.filter((pl.col("metric_id") == "referral_source_pct")
                        & (pl.col("period") == "2022-23"))
    assert rows["breakdown"].to_list() == list(expected)  # reporting order, zeros included
    for group, n in expected.items():
        assert ratio(frame, "referral_source_pct", "2022-23", group) == (
            n, 7, pytest.approx(100 * n / 7))
    assert get(frame, "referral_source_pct", "2022-23") is None  # no un-split row
    # 2021-22: R1, R3 both police
    assert value(frame, "referral_source_pct", "2021-22", "Police") == 100.0


def test_assessments_45_working_days(frame, con):
    days = dict(con.execute("select assessment_id, working_days_to_authorised "
                            "from marts.assessments").fetchall())
    assert days == {"A1": 45, "A2": 46, "A3": 0, "A4": None, "A5": None}
    # authorised in 2022-23: A1, A2, A3, A5; within 45: A1, A3
    assert ratio(frame, "assessments_within_45wd_pct", "2022-23") == (2, 4, 50.0)
    assert get(frame, "assessments_within_45wd_pct", "2021-22") is None  # no data then


# --- children in need -------------------------------------------------------------------------

def test_cin_open_at_month_end(frame):
    assert value(frame, "cin_open_month_end", "2022-04") == 2   # C1 (E1), C3 (E3); not E2
    assert value(frame, "cin_open_month_end", "2022-05") == 1   # C1
    assert value(frame, "cin_open_month_end", "2022-06") == 1   # C1 twice, counted once
    assert value(frame, "cin_open_month_end", "2023-03") == 2   # C1 (E1), C4 (E5); not E4
    assert get(frame, "cin_open_month_end", "2022-23") is None  # monthly only


def test_cin_at_31_march_and_rate(frame):
    assert value(frame, "cin_at_31_march", "2022-23") == 2      # C1, C4
    assert value(frame, "cin_at_31_march", "2021-22") == 2      # C1, C2; E6 closed that day
    assert ratio(frame, "cin_rate_per_10k", "2022-23") == (2, 50_000, pytest.approx(0.4))
    assert get(frame, "cin_rate_per_10k", "2021-22") is None


def test_cin_by_primary_need(frame):
    # open at any point in 2022-23: E1 N1, E2 N2, E3 N4, E4 N1, E5 N0; not E6, E7
    got = {r["breakdown"]: r["value"] for r in frame.filter(
        (pl.col("metric_id") == "cin_by_primary_need") & (pl.col("period") == "2022-23")
    ).to_dicts()}
    assert got == {f"N{i}": n for i, n in enumerate([1, 2, 1, 0, 1, 0, 0, 0, 0, 0])}
    assert value(frame, "cin_by_primary_need", "2021-22", "N3") == 1   # E6 closes 31 March 2022


# --- child protection -------------------------------------------------------------------------

MONTH_ENDS_2022_23 = [2, 2, 0, 1, 3, 3, 3, 3, 3, 4, 4, 3]


def test_cpp_open_month_end(frame):
    got = [value(frame, "cpp_open_month_end", p.label) for p in period_set("2022-23")[1:13]]
    assert got == MONTH_ENDS_2022_23  # P1, P2 end 1 June; P3 ends on 31 March: not open then


def test_cpp_mean_of_monthly_values(frame):
    assert ratio(frame, "cpp_avg_open_per_month", "2022-23") == (
        31, 12, pytest.approx(31 / 12))
    assert value(frame, "cpp_avg_open_per_month", "2021-22") == 2.0


def test_cpp_at_31_march_and_rate(frame):
    assert value(frame, "cpp_at_31_march", "2022-23") == 3      # C2 (P7), C3, C4 (twice)
    assert value(frame, "cpp_at_31_march", "2021-22") == 2      # C1 (P1), C2 (P2)
    assert ratio(frame, "cpp_rate_per_10k", "2022-23") == (3, 50_000, pytest.approx(0.6))


def test_cpp_starts_and_second_or_subsequent(frame):
    assert value(frame, "cpp_starts", "2022-23") == 5           # P3..P7
    assert value(frame, "cpp_starts", "2021-22") == 0
    # P3 (after P1) and P7 (after P2); P5 and P6 start the same day: neither
    assert ratio(frame, "cpp_second_or_subsequent_pct", "2022-23") == (2, 5, 40.0)
    assert get(frame, "cpp_second_or_subsequent_pct", "2021-22") is None  # no starts


def test_cpp_ended_two_years_plus(frame, con):
    durations = dict(con.execute("select cp_plan_id, duration_days from marts.cp_plans "
                                 "where cp_plan_id in ('P1', 'P2')").fetchall())
    assert durations == {"P1": 730, "P2": 729}
    # ended in 2022-23: P1 (730 days: counts), P2 (729), P3
    assert ratio(frame, "cpp_ended_2yrs_plus_pct", "2022-23") == (1, 3, pytest.approx(100 / 3))


def test_cpp_by_latest_category(frame):
    # P1 NEG (blank latest -> initial), P2 PHY (latest), P3 EMO, P4 PHY, P5 SAB, P6 MUL, P7 NEG
    got = {r["breakdown"]: r["value"] for r in frame.filter(
        (pl.col("metric_id") == "cpp_by_latest_category") & (pl.col("period") == "2022-23")
    ).to_dicts()}
    assert got == {"NEG": 2, "EMO": 1, "PHY": 2, "SAB": 1, "MUL": 1}


# --- missing and return home interviews -------------------------------------------------------

def test_missing_episodes_and_children(frame):
    assert value(frame, "missing_episodes", "2022-23") == 5     # M1, M2, M3, M4, M6
    assert value(frame, "missing_episodes", "2021-22") == 1     # M5
    assert value(frame, "missing_episodes", "2022-05") == 3
    assert value(frame, "missing_children", "2022-23") == 3
    assert value(frame, "missing_children", "2022-05") == 2
    assert value(frame, "missing_repeat_children", "2022-23") == 1   # C1: M1, M2, M3
    assert value(frame, "missing_repeat_children", "2021-22") == 0


def test_return_interviews(frame):
    # returns in 2022-23: M1 (H1), M2 (H2), M5 (H3), M6 (H4); H5 no return, H6 orphan,
    # H7 returns in 2023-24
    assert value(frame, "rhi_offered", "2022-23") == 3          # H1, H2, H3 (H4 not offered)
    assert value(frame, "rhi_accepted", "2022-23") == 2         # H1, H2
    assert value(frame, "rhi_completed_72h", "2022-23") == 2    # H1 (exactly 72 h), H3 (declined)
    assert ratio(frame, "rhi_completed_72h_pct", "2022-23") == (2, 2, 100.0)
    assert ratio(frame, "rhi_completed_72h_pct", "2022-06") == (0, 1, 0.0)   # H2: 72 h 1 min
    assert value(frame, "rhi_completed_72h", "2022-04") == 1    # H3 by its return, not its start
    assert get(frame, "rhi_completed_72h_pct", "2022-04") is None  # none accepted
    assert get(frame, "rhi_offered", "2021-22") is None         # no return before April 2022


# --- exclude, arguments and speed -------------------------------------------------------------

def _snapshot(con):
    return {t: sorted(map(repr, con.execute(f'select * from {s}."{t}"').fetchall()))
            for s, t in con.execute("select schema_name, table_name from duckdb_tables() "
                                    "where schema_name in ('staging', 'marts')").fetchall()}


def test_exclude_recomputes_without_the_records_and_touches_nothing(con, frame):
    before = _snapshot(con)
    without = compute(con, "2022-23", population=population,
                      exclude={"referrals": {"R1"}, "missing_episodes": {"M1"}})
    # without R1, R2 is no longer a re-referral; R1 itself is gone from 2021-22
    assert ratio(without, "rereferrals_12m_pct", "2022-23") == (0, 7, 0.0)
    assert value(without, "referrals", "2021-22") == 1
    # without episode M1 its interview H1 has no return: the RHI mart was rebuilt too
    assert value(without, "rhi_completed_72h", "2022-23") == 1
    assert value(without, "missing_episodes", "2022-05") == 2
    # other metrics unchanged
    assert value(without, "cpp_at_31_march", "2022-23") == value(frame, "cpp_at_31_march",
                                                                  "2022-23")
    assert _snapshot(con) == before
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone() == (0,)
    assert compute(con, "2022-23", population=population).equals(frame)


def test_exclude_inside_an_open_transaction(con, frame):
    con.execute("begin transaction")
    try:
        without = compute(con, "2022-23", exclude={"cp_plans": {"P1"}}, population=population,
                          metric_ids=["cpp_ended_2yrs_plus_pct"])
    finally:
        con.execute("rollback")
    assert ratio(without, "cpp_ended_2yrs_plus_pct", "2022-23") == (0, 2, 0.0)


@pytest.mark.parametrize("kwargs, message", [
    ({"period": "2022"}, "neither"),
    ({"period": "2022-24"}, "neither"),
    ({"period": "2022-23", "metric_ids": ["nope"]}, "unknown metric"),
    ({"period": "2022-23", "exclude": {"nope": {"x"}}}, "unknown table"),
])
def test_bad_arguments_raise_config_errors(con, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        compute(con, **kwargs)


def test_metric_ids_select_and_bring_what_a_mean_needs(con, frame):
    only = compute(con, "2022-23", metric_ids=["cpp_avg_open_per_month"])
    assert set(only["metric_id"]) == {"cpp_avg_open_per_month"}
    assert only.equals(frame.filter(pl.col("metric_id") == "cpp_avg_open_per_month"))


def test_compute_builds_missing_marts_and_an_empty_database_gives_no_rows():
    c = dbmod.connect(":memory:")
    out = compute(c, "2022-23")
    assert out.height == 0 and dict(out.schema) == METRICS_SCHEMA
    c.close()


def test_a_barnsley_sized_history_computes_in_well_under_2_seconds():
    """About 3,000 referrals a year over three years, with the other tables in proportion."""
    c = dbmod.connect(":memory:")
    c.execute("""
        insert into staging.referrals (referral_id, child_id, referral_date, referral_source,
                                       referral_nfa, load_id, source_file, source_row)
        select 'R' || i, 'C' || (i % 6000), date '2020-04-01' + cast(i % 1095 as integer),
               ['6', '2A', '3A', '5A', '1A', '7', '8'][1 + i % 7], i % 10 = 0, 1, 'r.csv', i
        from range(9000) as t(i)""")
    c.execute("""
        insert into staging.cin_episodes (cin_episode_id, child_id, cin_start_date,
                                          cin_closure_date, primary_need_code, load_id,
                                          source_file, source_row)
        select 'E' || i, 'C' || i, date '2020-04-01' + cast(i % 1095 as integer),
               case when i % 4 > 0 then date '2020-04-01' + cast(i % 1095 + 200 as integer) end,
               'N' || (i % 10), 1, 'e.csv', i
        from range(8000) as t(i)""")
    c.execute("""
        insert into staging.cp_plans (cp_plan_id, child_id, cp_plan_start_date, cp_plan_end_date,
                                      initial_category, load_id, source_file, source_row)
        select 'P' || i, 'C' || (i % 700), date '2020-04-01' + cast(i % 1095 as integer),
               case when i % 3 > 0 then date '2020-04-01' + cast(i % 1095 + 300 as integer) end,
               'NEG', 1, 'p.csv', i
        from range(1000) as t(i)""")
    frame, seconds = timed_compute(c, "2022-23", population=population)
    c.close()
    # 9,000 over 1,095 days: offsets 0-239 get 9 referrals, the rest 8; 2022-23 is offsets
    # 730-1094 (2020-04-01 + 730 days = 2022-04-01), so 365 x 8
    assert value(frame, "referrals", "2022-23") == 2920
    assert seconds["total"] < 2.0, seconds


def test_each_metric_starts_where_the_tables_it_reads_are_at_full_volume(con):
    from scorecard.metrics.reach import Reach, TableReach

    # CP plans at full volume from April 2020, referrals only from April 2021
    reach = Reach((TableReach("cp_plans", D(2020, 4, 1), D(2023, 4, 1), D(2020, 4, 1)),
                   TableReach("referrals", D(2020, 4, 1), D(2023, 4, 1), D(2021, 4, 1))))
    got = compute(con, "2022-23", population=population, reach=reach)
    assert get(got, "cpp_starts", "2020-21") is not None
    assert get(got, "referrals", "2020-21") is None and get(got, "referrals", "2020-06") is None
    assert get(got, "referrals", "2021-22") is not None
    # a re-referral looks back a year: 2021-22 has no year of referrals before it
    assert get(got, "rereferrals_12m_pct", "2021-22") is None
    assert get(got, "rereferrals_12m_pct", "2022-23") is not None
    assert get(got, "referrals_nfa_pct", "2021-22") is not None   # needs no look-back


def whole_years_reach(first=D(2020, 4, 1), last=D(2023, 4, 1)):
    """A hand-made frame is too small to tell where its volume is full: these tests say the data
    reaches 1 April 2023 (2022-23 complete) and is whole from ``first``."""
    from scorecard.metrics.reach import Reach, TableReach

    return Reach(tuple(TableReach(t, first, last, first) for t in (
        "referrals", "contacts", "assessments", "cin_episodes", "cp_plans", "s47_enquiries",
        "cin_plans", "cp_reviews", "children", "missing_episodes", "return_interviews")))


def test_a_mean_of_months_counts_the_records_of_its_month_metric():
    from scorecard.metrics.definitions import source_metric

    mean = METRICS["cpp_avg_open_per_month"]
    assert source_metric(mean) is METRICS["cpp_open_month_end"]
    assert source_metric(METRICS["cpp_open_month_end"]) is METRICS["cpp_open_month_end"]
    assert {source_metric(m).mart for m in METRICS if m.of} <= {m.mart for m in METRICS if not m.of}
