"""scorecard.csv rows for a month build: the month named, no annual comparator claimed."""
from __future__ import annotations

from scorecard.benchmarks.compare import SCORECARD_COLUMNS
from scorecard.benchmarks.months import NO_MONTHLY_COMPARATOR, month_rows
from tests.test_report_tables import LA, synthetic_frames


def test_month_rows_name_the_month_with_last_years_same_month():
    f = synthetic_frames()
    rows = month_rows(f["metrics"], f["catalogue"], la_code=LA, period="2023-01",
                      la_name="Barnsley", region_name="Yorkshire and The Humber")
    assert rows.schema == SCORECARD_COLUMNS
    assert set(rows["period"]) == {"2023-01"}
    monthly = {r["metric_id"] for r in f["catalogue"].iter_rows(named=True)
               if "month" in r["periods"].split(",")}
    assert set(rows["metric_id"]) == monthly
    m = f["metrics"]
    r = rows.filter(rows["metric_id"] == "rhi_completed_72h_pct").row(0, named=True)
    want = m.filter((m["metric_id"] == "rhi_completed_72h_pct") & (m["period"] == "2022-01"))
    assert r["previous_value"] == want["value"][0]
    assert r["direction"] in ("improving", "worsening", "no change")
    assert r["england"] is None and r["sn_mean"] is None and r["rag"] == ""
    assert r["source"] == NO_MONTHLY_COMPARATOR


def test_a_year_or_another_la_gives_no_month_rows():
    f = synthetic_frames()
    assert month_rows(f["metrics"], f["catalogue"], la_code=LA, period="2022-23",
                      la_name="Barnsley").is_empty()
    assert month_rows(f["metrics"], f["catalogue"], la_code=999, period="2023-01",
                      la_name="Elsewhere").is_empty()
