"""Child protection metrics the whole CIN census opens, against figures worked out by hand.

Synthetic data only. Financial year 2022-23 is 1 April 2022 to 31 March 2023; the 0-17
population is 50,000 for mid-2022 and 40,000 for mid-2021. Each row's comment says what it
tests; each test says how its expected figure is reached.
"""
from __future__ import annotations

from datetime import date as D

import pytest

from scorecard import db as dbmod
from scorecard.metrics import METRICS, build_marts, compute
from scorecard.metrics.child_protection_extra import CPP_DURATION_BANDS
from tests.test_metrics import get, ratio, stage, value, whole_years_reach

POPULATION = {2021: 40_000, 2022: 50_000}


def s47(sid, child, start, icpc=None, not_required=None):
    return {"s47_id": sid, "child_id": child, "s47_start_date": start, "icpc_date": icpc,
            "icpc_not_required": not_required}


# Working days after the strategy discussion (day 0) up to the conference, weekends and
# England and Wales bank holidays excluded:
S47 = [
    # Mon 4 Apr -> Mon 25 Apr 2022: Good Friday 15 and Easter Monday 18 April are holidays:
    # 5-8 (4), 11-14 (8), 19-22 (12), 25 (13): within
    s47("S1", "C1", D(2022, 4, 4), D(2022, 4, 25)),
    # Wed 1 Jun -> Thu 23 Jun 2022: 2 and 3 June (spring bank holiday, Platinum Jubilee) are
    # holidays: 6-10 (5), 13-17 (10), 20-23 (14): within (16 if holidays were counted)
    s47("S2", "C2", D(2022, 6, 1), D(2022, 6, 23)),
    # Thu 1 Sep -> Fri 23 Sep 2022: 19 September (the State Funeral) is a holiday:
    # 2 (1), 5-9 (6), 12-16 (11), 20-23 (15): exactly 15, within
    s47("S3", "C3", D(2022, 9, 1), D(2022, 9, 23)),
    # Mon 3 Oct -> Tue 25 Oct 2022: 4-7 (4), 10-14 (9), 17-21 (14), 24 (15), 25 (16): not within
    s47("S4", "C4", D(2022, 10, 3), D(2022, 10, 25)),
    s47("S5", "C5", D(2022, 11, 1), None, True),          # no conference needed
    s47("S6", "C6", D(2023, 3, 20), D(2023, 4, 5)),       # conference in 2023-24
    # Thu 10 Mar -> Fri 1 Apr 2022: 11 (1), 14-18 (6), 21-25 (11), 28-31 (15), 1 Apr (16):
    # starts in 2021-22, conference (not within) in 2022-23
    s47("S7", "C7", D(2022, 3, 10), D(2022, 4, 1)),
    s47("S8", "C8", D(2022, 12, 1)),                      # outcome not recorded: no conference
]


def plan(pid, child, start, end=None):
    return {"cp_plan_id": pid, "child_id": child, "cp_plan_start_date": start,
            "cp_plan_end_date": end, "initial_category": "NEG"}


PLANS = [
    # open at 31 March 2023, with the length then (DfE D5 bands):
    plan("P1", "C1", D(2023, 1, 15)),               # 15 Apr > 31 Mar: 3 months or less
    plan("P2", "C2", D(2022, 12, 31)),              # exactly 3 months: 3 months or less
    plan("P3", "C3", D(2022, 9, 30)),               # start + 6 months = 30 Mar < 31 Mar: >6m-<1y
    plan("P4", "C4", D(2022, 1, 10)),               # 445 days: 1 year to less than 2 years
    plan("P5", "C5", D(2021, 3, 31)),               # 730 days: 2 years or more
    plan("P6", "C6", D(2022, 11, 15)),              # 15 Feb < 31 Mar <= 15 May: >3 to 6 months
    plan("P7", "C7", D(2022, 10, 1)),               # 1 Jan < 31 Mar <= 1 Apr: >3 to 6 months
    # ended in 2022-23, with their length:
    plan("E1", "C8", D(2022, 5, 1), D(2022, 8, 1)),     # exactly 3 months: 3 months or less
    plan("E2", "C9", D(2021, 4, 1), D(2023, 3, 31)),    # 729 days: 1 to less than 2 years
    plan("E3", "C10", D(2020, 6, 1), D(2022, 6, 1)),    # 730 days: 2 years or more
    plan("E4", "C11", D(2022, 6, 1), D(2022, 12, 1)),   # exactly 6 months: >3 to 6 months
]


def review(rid, child, plan_id, day):
    return {"cp_review_id": rid, "child_id": child, "cp_plan_id": plan_id, "cp_review_date": day}


REVIEWS = [
    review("V1", "C2", "P2", D(2023, 3, 20)),   # by start + 3 months (31 Mar): on time
    review("V2", "C3", "P3", D(2022, 12, 20)),  # by 30 Dec; next due 20 Jun 2023: on time
    # P4 started 10 Jan 2022, within 3 months of the year's start (1 Apr 2022): its first
    # review was due by 10 Apr 2022
    review("V3", "C4", "P4", D(2022, 4, 20)),   # late
    review("V4", "C5", "P5", D(2021, 6, 30)),   # due by 30 Jun 2021: on time (the last day)
    review("V5", "C5", "P5", D(2021, 12, 30)),  # due by 30 Dec 2021: on time
    # in 2022-23 P5's first review is due 6 months after V5, its last review before the year
    review("V6", "C5", "P5", D(2022, 6, 30)),   # on time
    review("V7", "C5", "P5", D(2022, 9, 1)),    # on time, but the next was due by 1 Mar 2023
    review("V8", "C7", None, D(2022, 12, 15)),  # no plan id: linked by child to P7, on time
    # P6 (C6) has no review although on its plan since 15 Nov 2022: not on time
]


def population(la_code: int, year: int) -> int | None:
    return POPULATION.get(year)


@pytest.fixture(scope="module")
def con():
    c = dbmod.connect(":memory:")
    stage(c, "s47_enquiries", S47)
    stage(c, "cp_plans", PLANS)
    stage(c, "cp_reviews", REVIEWS)
    build_marts(c)
    yield c
    c.close()


@pytest.fixture(scope="module")
def frame(con):
    return compute(con, "2022-23", population=population, reach=whole_years_reach())


def test_declarations_follow_the_dfe_polarity_and_periods():
    expected = {"s47_rate_per_10k": "neutral", "icpc_rate_per_10k": "neutral",
                "icpc_within_15wd_pct": "higher", "s47_led_to_icpc_pct": "neutral",
                "cpp_starts_rate_per_10k": "neutral", "cpp_at_31_march_by_duration": "neutral",
                "cpp_ended_by_duration": "neutral", "cpp_reviewed_on_time_pct": "higher"}
    for metric_id, polarity in expected.items():
        m = METRICS[metric_id]
        assert (m.polarity, m.periods, m.group) == (polarity, ("year",), "Child protection")
        assert m.benchmark


def test_working_days_from_strategy_discussion_to_conference(con):
    got = dict(con.execute("select s47_id, working_days_to_icpc from marts.s47_enquiries "
                           "where icpc_date is not null").fetchall())
    assert got == {"S1": 13, "S2": 14, "S3": 15, "S4": 16, "S6": 12, "S7": 16}


def test_s47_rate(frame):
    # S1-S6 and S8 start in 2022-23: 7 / 50,000 x 10,000 = 1.4; S7 alone in 2021-22:
    # 1 / 40,000 x 10,000 = 0.25
    assert ratio(frame, "s47_rate_per_10k", "2022-23") == (7, 50_000, pytest.approx(1.4))
    assert value(frame, "s47_rate_per_10k", "2021-22") == pytest.approx(0.25)


def test_icpc_rate_counts_conferences_held_in_the_year(frame):
    # held in 2022-23: S1, S2, S3, S4 and S7 (1 April 2022); S6's is in 2023-24: 5 -> 1.0
    assert ratio(frame, "icpc_rate_per_10k", "2022-23") == (5, 50_000, pytest.approx(1.0))
    # no conference dates before 1 April 2022: 2021-22 is outside the data, not zero
    assert get(frame, "icpc_rate_per_10k", "2021-22") is None


def test_icpc_within_15_working_days(frame):
    # of the 5 held in 2022-23, S1 (13), S2 (14), S3 (15) are within; S4, S7 (16) not: 60%
    assert ratio(frame, "icpc_within_15wd_pct", "2022-23") == (3, 5, pytest.approx(60.0))


def test_s47_led_to_a_conference(frame):
    # of the 7 starting in 2022-23, S1-S4 and S6 (held after the year end) led to one;
    # S5 (not needed) and S8 (no date) did not: 5 / 7
    assert ratio(frame, "s47_led_to_icpc_pct", "2022-23") == (5, 7, pytest.approx(500 / 7))


def test_cpp_starts_rate(frame):
    # starting in 2022-23: P1, P2, P3, P6, P7, E1, E4 = 7 -> 7 / 50,000 x 10,000 = 1.4
    assert ratio(frame, "cpp_starts_rate_per_10k", "2022-23") == (7, 50_000, pytest.approx(1.4))


def test_children_on_a_plan_at_31_march_by_duration(frame):
    # open at 31 March 2023: P1-P7, 7 children: 2, 2, 1, 1, 1 across the bands
    expected = dict(zip(CPP_DURATION_BANDS, (2, 2, 1, 1, 1)))
    for band, n in expected.items():
        assert ratio(frame, "cpp_at_31_march_by_duration", "2022-23", band) == (
            n, 7, pytest.approx(100 * n / 7)), band
    assert get(frame, "cpp_at_31_march_by_duration", "2022-23") is None  # bands only
    # at 31 March 2022: P4 (80 days: 3 months or less), P5 (365 days), E2 (364 days) and
    # E3 (668 days); P5 and E3 are "1 year to less than 2 years", E2 "more than 6 months"
    assert ratio(frame, "cpp_at_31_march_by_duration", "2021-22", "3 months or less") == (
        1, 4, 25.0)
    assert ratio(frame, "cpp_at_31_march_by_duration", "2021-22",
                 "1 year to less than 2 years") == (2, 4, 50.0)
    assert ratio(frame, "cpp_at_31_march_by_duration", "2021-22",
                 "More than 6 months to less than 1 year") == (1, 4, 25.0)


def test_plans_ended_by_duration_agree_with_the_two_year_measure(frame):
    # ended in 2022-23: E1 (3 months or less), E4 (>3 to 6 months), E2 (729 days: 1 to <2
    # years), E3 (730 days: 2 years or more); none of more than 6 months to 1 year
    for band, n in zip(CPP_DURATION_BANDS, (1, 1, 0, 1, 1)):
        assert ratio(frame, "cpp_ended_by_duration", "2022-23", band) == (
            n, 4, 25.0 * n), band
    two_years = value(frame, "cpp_ended_by_duration", "2022-23", "2 years or more")
    assert two_years == value(frame, "cpp_ended_2yrs_plus_pct", "2022-23")


def test_plans_reviewed_on_time(con, frame):
    # on a plan at 31 March 2023 for 3 months or more: P2-P7 (P1 started 15 Jan). On time:
    # P2, P3, P7; P4 late, P5 overdue at 31 March (last review 1 Sep 2022), P6 never: 3 / 6
    assert ratio(frame, "cpp_reviewed_on_time_pct", "2022-23") == (3, 6, 50.0)
    # at 31 March 2022: P5 (reviews of 30 Jun and 30 Dec 2021: on time), E2 and E3 (none);
    # P4 started 10 Jan 2022, under 3 months: 1 / 3. Later reviews do not count.
    assert ratio(frame, "cpp_reviewed_on_time_pct", "2021-22") == (
        1, 3, pytest.approx(100 / 3))
    counts = dict(con.execute("select cp_plan_id, review_count from marts.cp_plan_reviews "
                              "where census_date = date '2023-03-31'").fetchall())
    assert counts == {"P2": 1, "P3": 1, "P4": 1, "P5": 2, "P6": 0, "P7": 1}   # the year's


def test_a_census_holds_only_the_years_reviews():
    # a census return reports only the reviews of its year: a plan of 2020 reviewed on time
    # within 2022-23 is on time when its first review of the year is within 6 months of the
    # day before the year (the latest its previous review can have been); without any review
    # in the year it is late
    c = dbmod.connect(":memory:")
    # (L4, a plan of 2023, carries the data to 31 March 2023: the 31 March rows run to the
    # year after the last date in cp_plans)
    stage(c, "cp_plans", [plan("L1", "C1", D(2020, 1, 1)), plan("L2", "C2", D(2020, 1, 1)),
                          plan("L3", "C3", D(2020, 1, 1)), plan("L4", "C4", D(2023, 2, 1))])
    stage(c, "cp_reviews", [
        review("W1", "C1", "L1", D(2022, 9, 30)),   # by 30 Sep 2022: on time
        review("W2", "C1", "L1", D(2023, 3, 30)),   # by 30 Mar 2023: on time; next 30 Sep
        review("W3", "C2", "L2", D(2022, 10, 1)),   # a day after 30 Sep 2022: late
        # L3: no review in the year: late
    ])
    build_marts(c)
    got = dict(c.execute("select cp_plan_id, is_reviewed_on_time from marts.cp_plan_reviews "
                         "where census_date = date '2023-03-31'").fetchall())
    assert got == {"L1": True, "L2": False, "L3": False}
    c.close()


def test_without_reviews_or_enquiries_the_rates_are_absent_not_zero():
    c = dbmod.connect(":memory:")
    stage(c, "cp_plans", PLANS)
    build_marts(c)
    frame = compute(c, "2022-23", population=population, reach=whole_years_reach())
    assert get(frame, "s47_rate_per_10k", "2022-23") is None
    assert get(frame, "icpc_within_15wd_pct", "2022-23") is None
    # no review at all: every plan of 3 months or more is late, except P2, whose first review
    # falls due on 31 March itself (not yet overdue); the build drops this metric when no
    # cp_reviews file was loaded (test_availability)
    assert ratio(frame, "cpp_reviewed_on_time_pct", "2022-23") == (1, 6, pytest.approx(100 / 6))
    c.close()


def test_placeholder_dates_stretch_no_calendar():
    # an open plan written with the placeholder end 9999-12-31 and a plan "started" 1900-01-01:
    # 31 March rows from 1950 to the year after the last real date (2023 -> 2024), not 8,000
    # years; the placeholder-ended plan is still open at each 31 March from its start
    c = dbmod.connect(":memory:")
    stage(c, "cp_plans", [plan("Q1", "C1", D(2022, 6, 1), D(9999, 12, 31)),
                          plan("Q2", "C2", D(1900, 1, 1), D(2023, 1, 1))])
    build_marts(c)
    rows = dict(c.execute("select cp_plan_id, list(year(census_date) order by census_date) "
                          "from marts.cp_plans_at_31_march group by all").fetchall())
    assert rows["Q1"] == [2023, 2024]
    assert rows["Q2"] == list(range(1950, 2023))
    c.close()
