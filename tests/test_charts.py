"""Which charts a build has (report/charts.py): every chart described, series roles by meaning,
provisional marking, possibly incomplete months, month builds. Drawing: test_chart_draw.py;
writing: test_chart_files.py."""
from __future__ import annotations

from pathlib import Path

import pytest
from tests.test_report_tables import KW, synthetic_frames

from scorecard.report import charts, tables

EXPECTED = {"trend_cin_open_month_end", "trend_cpp_open_month_end", "trend_missing_episodes",
            "trend_missing_children", "trend_rhi_completed_72h_pct",
            "trend_contacts_concluded_24h_pct", "referral_sources", "cin_by_primary_need",
            "cp_by_latest_category", "benchmark_referrals_rate_per_10k",
            "benchmark_rereferrals_12m_pct", "benchmark_cin_rate_per_10k",
            "benchmark_cpp_rate_per_10k", "benchmark_cpp_second_or_subsequent_pct"}


def _draw(out: Path, provisional=frozenset()):
    f = synthetic_frames()
    this = tables.all_tables(f["metrics"], f["scorecard"], **KW, provisional_metrics=provisional)
    last = tables.all_tables(f["metrics"], f["scorecard"], period="2021-22", la_code=370,
                             la_name="Barnsley")
    return charts.all_charts(out, this, previous_tables=last, metrics=f["metrics"],
                             scorecard=f["scorecard"], catalogue=f["catalogue"],
                             period="2022-23", la_code=370, la_name="Barnsley", threshold=5,
                             provisional_metrics=provisional)


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    out = tmp_path_factory.mktemp("charts")
    return out, _draw(out, frozenset({"rhi_completed_72h_pct", "cpp_rate_per_10k"}))


def test_provisional_charts_marked(drawn, tmp_path):
    out, _ = drawn
    clean = _draw(tmp_path)
    by = {p.name: p for p in clean}
    # the provisional title changes the picture only for the affected charts
    changed = {p.stem for p in out.glob("*.svg") if p.read_bytes() != by[p.name].read_bytes()}
    assert changed == {"trend_rhi_completed_72h_pct", "benchmark_cpp_rate_per_10k"}


def _specs(period="2022-23", validation=None):
    from scorecard.report.status import Marks
    from scorecard.validate.lineage import affects_frame

    f = synthetic_frames()
    v = f["validation"] if validation is None else validation
    marks = Marks(affects_frame(v))
    kw = dict(la_code=370, la_name="Barnsley", marks=marks)
    this = tables.all_tables(f["metrics"], f["scorecard"], period=period, **kw)
    last = tables.all_tables(f["metrics"], f["scorecard"], period="2021-22", **kw)
    return charts.chart_specs(this, previous_tables=last, metrics=f["metrics"],
                              scorecard=f["scorecard"], catalogue=f["catalogue"], period=period,
                              la_code=370, la_name="Barnsley", threshold=5,
                              provisional_metrics=frozenset(), marks=marks)


def test_roles_follow_meaning_not_position():
    by = {s.name: s for s in _specs()}
    rs = by["referral_sources"]
    assert [s.role for s in rs.series] == ["this_year", "last_year", "neighbours", "england"]
    bench = by["benchmark_rereferrals_12m_pct"]
    assert [s.role for s in bench.series] == ["this_year", "last_year", "neighbours", "england"]
    need = by["cin_by_primary_need"]
    assert [(s.label, s.role) for s in need.series] == [("2022-23", "this_year"),
                                                         ("2021-22", "last_year")]
    trend = by["trend_cin_open_month_end"]
    assert [(s.label, s.role) for s in trend.series] == [("2022-23", "this_year"),
                                                          ("2021-22", "last_year")]


def test_a_possibly_incomplete_month_is_marked_on_its_monthly_charts(tmp_path):
    import polars as pl

    gap = pl.DataFrame([{"check_id": "volume.monthly_gap", "table": "missing_episodes",
                         "severity": "warning", "record_id": "", "period": "2022-07",
                         "message": "a month with under half the records"}],
                       schema={c: pl.Utf8 for c in ("check_id", "table", "severity",
                                                    "record_id", "period", "message")})
    specs = {s.name: s for s in _specs(validation=gap)}
    ep = specs["trend_missing_episodes"]
    assert ep.incomplete == {3: "July 2022 possibly incomplete: far below neighbouring months"}
    assert "July 2022 possibly incomplete: far below neighbouring months." in ep.alt
    assert ep.note.startswith("July 2022 possibly incomplete")
    assert not specs["trend_cin_open_month_end"].incomplete      # other records: unmarked
    fig = charts.draw(ep)
    shaded = [a for a in fig.axes[0].get_children() if a.get_gid() == "incomplete-3"]
    assert len(shaded) == 1
    assert "possibly\nincomplete" in [t.get_text() for t in fig.axes[0].texts]
    files = charts.save_all(tmp_path, [ep])
    assert 'id="incomplete-3"' in files[1].read_text()


def test_month_build_charts_name_the_span_and_stop_at_the_month():
    specs = {s.name: s for s in _specs(period="2022-10")}
    trend = specs["trend_missing_episodes"]
    assert trend.title.endswith("2021-22 and 2022-23 to October")
    this = trend.series[0]
    assert this.label == "2022-23 to October" and this.values[7:] == (None,) * 5
    assert all(v is not None for v in this.values[:7])
    # no year-to-date row in the scorecard: no benchmark chart claims a year figure
    assert not [n for n in specs if n.startswith("benchmark_")]
