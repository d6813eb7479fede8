"""Children in need by duration, in the DfE's bands, against figures worked out by hand.

Synthetic data only. The bands (DfE tables B4/B5): under 3 months, 3 months to under 6 months,
6 months to under 1 year (365 days), 1 year to under 2 years (730 days), 2 years or more;
an episode's length runs from its referral date (cin_start_date).
"""
from __future__ import annotations

from datetime import date as D

import pytest

from scorecard import db as dbmod
from scorecard.metrics import METRICS, build_marts, compute
from scorecard.metrics.children_in_need_extra import CIN_DURATION_BANDS
from tests.test_metrics import get, ratio, stage, whole_years_reach


def cin(eid, child, start, end=None, nfa=False):
    return {"cin_episode_id": eid, "child_id": child, "cin_start_date": start,
            "cin_closure_date": end, "primary_need_code": None if nfa else "N1",
            "referral_nfa": nfa}


EPISODES = [
    # open at 31 March 2023, with the length then:
    cin("E1", "C1", D(2023, 1, 1)),                     # +3 months = 1 Apr: under 3 months
    cin("E2", "C2", D(2022, 12, 31)),                   # exactly 3 months: 3 to under 6
    cin("E3", "C3", D(2022, 4, 1)),                     # 364 days: 6 months to under 1 year
    cin("E4", "C4", D(2022, 3, 31)),                    # 365 days: 1 year to under 2 years
    cin("E5", "C5", D(2021, 3, 31)),                    # 730 days: 2 years or more
    cin("E6", "C6", D(2022, 6, 1), D(2023, 3, 31)),     # closes on 31 March: not open then;
                                                        # 303 days: 6 months to under 1 year
    cin("E7", "C7", D(2022, 10, 1), nfa=True),          # NFA referral: not an episode of need
    cin("E8", "C8", D(2022, 5, 10), D(2022, 6, 10)),    # ended: under 3 months
    cin("E9", "C9", D(2021, 1, 1), D(2022, 12, 31)),    # ended after 729 days: 1 to under 2
    cin("E10", "C1", D(2022, 4, 1), D(2022, 9, 30)),    # ended a day before 6 months: 3 to <6
]


@pytest.fixture(scope="module")
def frame():
    c = dbmod.connect(":memory:")
    stage(c, "cin_episodes", EPISODES)
    build_marts(c)
    yield compute(c, "2022-23", population=lambda la, year: 50_000, reach=whole_years_reach())
    c.close()


def test_declarations():
    for metric_id in ("cin_at_31_march_by_duration", "cin_ended_by_duration"):
        m = METRICS[metric_id]
        assert (m.unit, m.polarity, m.group) == ("percent", "neutral", "Children in need")
        assert m.breakdown_values == CIN_DURATION_BANDS


def test_cin_at_31_march_by_duration(frame):
    # open at 31 March 2023: E1-E5, one in each band: 1 / 5 = 20% each (E6 closed that day,
    # E7 is an NFA referral)
    for band in CIN_DURATION_BANDS:
        assert ratio(frame, "cin_at_31_march_by_duration", "2022-23", band) == (1, 5, 20.0)
    # open at 31 March 2022: E4 (0 days: under 3 months), E5 (365 days) and E9 (454 days):
    # both 1 year to under 2 years; the other bands are a real zero
    assert ratio(frame, "cin_at_31_march_by_duration", "2021-22", "Under 3 months") == (
        1, 3, pytest.approx(100 / 3))
    assert ratio(frame, "cin_at_31_march_by_duration", "2021-22", "1 year to under 2 years") == (
        2, 3, pytest.approx(200 / 3))
    assert ratio(frame, "cin_at_31_march_by_duration", "2021-22", "2 years or more") == (
        0, 3, 0.0)


def test_cin_ended_by_duration(frame):
    # closing in 2022-23: E6 (6 months to under 1 year), E8 (under 3 months), E9 (1 to under
    # 2 years), E10 (3 to under 6 months): 25% each, none of 2 years or more
    for band, n in zip(CIN_DURATION_BANDS, (1, 1, 1, 1, 0)):
        assert ratio(frame, "cin_ended_by_duration", "2022-23", band) == (n, 4, 25.0 * n), band
    assert get(frame, "cin_ended_by_duration", "2022-23") is None   # bands only
