"""The data's reach (scorecard.metrics.reach): how far each extract reaches, which periods are
complete, how far back the history goes, and the periods a build computes. Synthetic dates."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from scorecard import db as dbmod
from scorecard.metrics.reach import (MAX_YEARS, Reach, TableReach, build_periods, data_reach,
                                     record_reach)
from scorecard.periods import parse_period

D = date


def reach(last: date, first: date = D(2018, 4, 1), full_from: date | None = None) -> Reach:
    return Reach((TableReach("referrals", first, last, full_from),))


def labels(period: str, r: Reach) -> list[str]:
    return [p.label for p in build_periods(period, r)]


def test_a_year_is_complete_only_when_the_data_reaches_31_march():
    fy = parse_period("2022-23")
    assert reach(D(2023, 3, 31)).complete(fy)
    assert not reach(D(2023, 3, 30)).complete(fy)
    assert reach(D(2023, 3, 30)).last_complete_month().label == "2023-02"
    assert reach(D(2023, 3, 30)).last_complete_year().label == "2021-22"
    assert reach(D(2023, 4, 30)).last_complete_month().label == "2023-04"


def test_a_month_build_never_reports_its_unfinished_year_or_a_later_month():
    got = labels("2023-01", reach(D(2023, 3, 31)))   # the data holds the whole year
    assert "2022-23" not in got
    assert not {"2023-02", "2023-03"} & set(got)
    assert got[:2] == ["2022-04/2023-01", "2022-04"] and "2023-01" in got
    # the same span a year earlier follows the previous year
    i = got.index("2021-22")
    assert got[i + 1] == "2021-04/2022-01"


def test_a_march_build_reports_the_year_and_its_span():
    got = labels("2023-03", reach(D(2023, 3, 31)))
    assert got[:2] == ["2022-23", "2022-04/2023-03"]


def test_the_year_to_date_stops_where_the_data_stops():
    # building January with data only to 20 December: the year to date is April-November
    got = labels("2023-01", reach(D(2022, 12, 20)))
    assert "2022-04/2022-11" in got and "2022-12" not in got and "2023-01" not in got
    # a year build of a year the data does not complete: no year figure, its year to date
    got = labels("2022-23", reach(D(2023, 3, 30)))
    assert "2022-23" not in got and "2022-04/2023-02" in got and "2021-04/2022-02" in got


def test_history_goes_back_to_the_first_full_volume_year_and_no_further():
    five = reach(D(2023, 3, 31), first=D(2010, 1, 1), full_from=D(2018, 4, 1))
    years = [p for p in labels("2022-23", five) if len(p) == 7 and "/" not in p
             and p[5:] == f"{(int(p[2:4]) + 1) % 100:02d}"]
    assert years == ["2022-23", "2021-22", "2020-21", "2019-20", "2018-19"]
    # full volume from May: that year is not covered from its start
    late = reach(D(2023, 3, 31), first=D(2010, 1, 1), full_from=D(2018, 5, 1))
    assert "2018-19" not in labels("2022-23", late) and "2019-20" in labels("2022-23", late)
    # unknown: the year before the build's, as always
    unknown = reach(D(2023, 3, 31), first=D(2010, 1, 1))
    assert "2020-21" not in labels("2022-23", unknown) and "2021-22" in labels("2022-23", unknown)
    # never more than MAX_YEARS years
    old = reach(D(2023, 3, 31), first=D(2000, 4, 1), full_from=D(2000, 4, 1))
    assert len([p for p in labels("2022-23", old) if len(p) == 7 and p[4] == "-"
                and p[5:] == f"{(int(p[2:4]) + 1) % 100:02d}"]) == MAX_YEARS


def test_no_data_no_periods():
    assert build_periods("2022-23", Reach(())) == []


def _stage_referrals(con, days: list[date]) -> None:
    con.executemany("insert into staging.referrals (referral_id, child_id, referral_date, "
                    "referral_source) values (?, 'P1', ?, '6')",
                    [(f"R{i}", d) for i, d in enumerate(days)])


def test_reach_from_the_database_uses_only_dates_that_pass_and_finds_full_volume():
    con = dbmod.connect(":memory:")
    # a thin past (one long-open case a year) then 30 referrals a month from April 2019
    days = [D(y, 6, 1) for y in range(2012, 2019)]
    d = D(2019, 4, 1)
    while d <= D(2023, 3, 31):
        days += [d + timedelta(days=i) for i in range(28)] + [d, d]   # 30, to the 28th
        d = D(d.year + (d.month == 12), d.month % 12 + 1, 1)
    days += [D(2099, 12, 31), D(2031, 1, 1)]   # a placeholder and a future date
    _stage_referrals(con, days)
    r = data_reach(con, extract_date=D(2023, 4, 5), placeholders=[D(2099, 12, 31)])
    ref = next(t for t in r.tables if t.table == "referrals")
    assert (ref.first, ref.last, ref.full_from) == (D(2012, 6, 1), D(2023, 3, 28), D(2019, 4, 1))
    assert r.first_year().label == "2019-20"
    frame = r.frame()
    assert frame.columns == ["table", "first_date", "last_date", "complete_to_month",
                             "complete_to_year", "full_volume_from"]
    row = frame.filter(frame["table"] == "referrals").row(0, named=True)
    assert (row["complete_to_month"], row["complete_to_year"], row["full_volume_from"]) == (
        "2023-02", "2021-22", "2019-04")
    assert "| referrals | 2012-06-01 | 2023-03-28 | 2023-02 | 2021-22 | 2019-04 |" in r.markdown("2022-23")
    assert "does not reach the end of 2022-23" in r.markdown("2022-23")
    # recorded by build
    record_reach(con, r, run_id=7)
    got = con.execute("select table_name, first_date, last_date from meta.data_reach "
                      "where run_id = 7 and table_name = 'referrals'").fetchall()
    assert got == [("referrals", D(2012, 6, 1), D(2023, 3, 28))]
    record_reach(con, r, run_id=7)   # re-recording a run replaces its rows
    assert con.execute("select count(*) from meta.data_reach where run_id = 7 "
                       "and table_name = 'referrals'").fetchall()[0][0] == 1


def test_a_census_only_load_reaches_back_one_year_before_its_census():
    r = Reach((TableReach("referrals", D(2010, 1, 1), D(2023, 3, 31), D(2022, 4, 1)),),
              census_only_from=parse_period("2021-22"))
    assert r.first_year().label == "2021-22"


@pytest.mark.parametrize("period", ["2022-13", "x"])
def test_a_bad_period_is_refused(period):
    with pytest.raises(ValueError):
        build_periods(period, reach(D(2023, 3, 31)))


def test_the_history_can_be_limited_to_fewer_years():
    five = reach(D(2023, 3, 31), first=D(2010, 1, 1), full_from=D(2018, 4, 1))
    got = [p.label for p in build_periods("2022-23", five, years=2)]
    assert "2021-22" in got and "2020-21" not in got and "2020-04" not in got


def _ledger(con, name: str, status: str = "loaded") -> None:
    n = con.execute("select count(*) from meta.loads").fetchall()[0][0]
    con.execute("insert into meta.loads (load_id, source_file, table_name, status) values (?, ?, ?, ?)",
                [n + 1, name, "referrals", status])


def test_a_monthly_drop_covers_its_whole_month_though_its_last_record_is_earlier():
    con = dbmod.connect(":memory:")
    _stage_referrals(con, [D(2022, 12, 5), D(2023, 1, 27)])   # nothing after Friday 27 January
    jan = parse_period("2023-01")
    assert not data_reach(con, extract_date=D(2023, 2, 3)).complete(jan)
    _ledger(con, "raw/referrals_2022-12.csv")
    _ledger(con, "raw/referrals_2023-02.csv", status="superseded")   # not in force
    assert data_reach(con, extract_date=D(2023, 2, 3)).declared_to == D(2022, 12, 31)
    assert not data_reach(con, extract_date=D(2023, 2, 3)).complete(jan)
    _ledger(con, "raw/referrals_2023-01.csv")
    r = data_reach(con, extract_date=D(2023, 2, 3))
    assert (r.declared_to, r.last, r.complete(jan)) == (D(2023, 1, 31), D(2023, 1, 31), True)
    assert "2023-01" in labels("2023-01", r)
    # a drop for a month after the extract date says nothing
    _ledger(con, "raw/referrals_2023-03.csv")
    assert data_reach(con, extract_date=D(2023, 2, 3)).declared_to == D(2023, 1, 31)
