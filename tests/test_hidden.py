"""What the page hides: everything the tables hide, small counts and what rests on them,
and months or categories that could be worked back from a total."""
from __future__ import annotations

from scorecard.report import hidden as hidden_mod, tables
from tests.test_report_tables import KW, LA, synthetic_frames


def test_hidden_metric_values_matches_tables_and_protects_months():
    f = synthetic_frames()
    units = dict(f["catalogue"].select("metric_id", "unit").iter_rows())
    alone = hidden_mod.hidden_metric_values(f["metrics"], units, la_code=LA, threshold=5)
    ts = tables.all_tables(f["metrics"], f["scorecard"], **KW)
    with_tables = hidden_mod.hidden_metric_values(f["metrics"], units, la_code=LA, threshold=5,
                                            tables=ts)
    for t in ts:
        assert t.hidden_keys() <= with_tables
    months = {k for k in alone if k[0] == "rhi_accepted"}
    assert ("rhi_accepted", "2022-08", "") in months and len(months) == 2
    assert ("missing_children", "2022-08", "") in alone
    # distinct children do not add up over months: no secondary cell for them
    assert len({k for k in alone if k[0] == "missing_children"}) == 1
    assert ("cpp_second_or_subsequent_pct", "2022-23", "") in alone
    assert {("cin_by_primary_need", "2022-23", "N7"), ("cin_by_primary_need", "2022-23", "N6")} \
        <= alone
