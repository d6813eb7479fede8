"""Five-year trends beside the benchmarks (scorecard.report.trends): which figures and years,
suppression, the charts and their alt text, the page sections. Synthetic figures only."""
from __future__ import annotations

from datetime import date

import polars as pl

from scorecard.benchmarks import SCORECARD_COLUMNS
from scorecard.metrics.compute import METRICS_SCHEMA
from scorecard.metrics.reach import Reach, TableReach
from scorecard.report.charts import alt_text, save_all
from scorecard.report.palette import SERIES
from scorecard.report.trends import extras, reach_section, trend_section, trend_specs, trends

YEARS = ["2016-17", "2017-18", "2018-19", "2019-20", "2020-21", "2021-22", "2022-23"]


def _scorecard(rows: list[dict]) -> pl.DataFrame:
    base = {k: None for k in SCORECARD_COLUMNS}
    return pl.DataFrame([{**base, "la_code": 370, "breakdown": "", "unit": "percent",
                          "title": "Re-referrals", "sn_grouping": "april_2021",
                          "source": "DfE Children in need 2025 (c1: rereferral_percent)", **r}
                         for r in rows], schema=SCORECARD_COLUMNS)


def frames(numerator_2019: float = 40.0):
    rows, metrics = [], []
    for i, y in enumerate(YEARS):
        rows.append({"metric_id": "rereferrals_12m_pct", "period": y, "value": 20.0 + i,
                     "england": 22.0 + i / 10, "sn_mean": 21.0 + i / 10,
                     "benchmark_period": y})
        # a neutral figure with no comparator: not benchmarked, so no trend
        rows.append({"metric_id": "referral_source_pct", "breakdown": "Other", "period": y,
                     "value": 5.0})
        metrics.append({"metric_id": "rereferrals_12m_pct", "period": y, "breakdown": "",
                        "la_code": 370, "value": 20.0 + i,
                        "numerator": numerator_2019 if y == "2019-20" else 40.0,
                        "denominator": 200.0})
    # the build's own year without a figure for the LA (a month build): not a trend year
    rows.append({"metric_id": "rereferrals_12m_pct", "period": "2023-24", "value": None,
                 "england": 23.0, "sn_mean": 22.0, "benchmark_period": "2022-23"})
    return _scorecard(rows), pl.DataFrame(metrics, schema=METRICS_SCHEMA)


def test_five_latest_years_with_each_years_own_comparators():
    sc, metrics = frames()
    got = trends(sc, metrics, la_code=370, period="2022-23", threshold=5)
    assert [t.metric_id for t in got] == ["rereferrals_12m_pct"]   # only benchmarked figures
    t = got[0]
    assert t.years == ("2018-19", "2019-20", "2020-21", "2021-22", "2022-23")
    assert t.la == (22.0, 23.0, 24.0, 25.0, 26.0)
    assert t.england == (22.2, 22.3, 22.4, 22.5, 22.6)   # each year its own year's figure
    assert t.neighbours[0] == 21.2 and t.benchmark_periods[-1] == "2022-23"
    # a month build of 2023-24: the years up to its year with a figure for the LA
    month = trends(sc, metrics, la_code=370, period="2024-01", threshold=5)[0]
    assert month.years[-1] == "2022-23"


def test_a_value_resting_on_a_small_count_is_hidden():
    sc, metrics = frames(numerator_2019=3.0)
    t = trends(sc, metrics, la_code=370, period="2022-23", threshold=5)[0]
    assert t.la_hidden == (False, True, False, False, False)
    section = trend_section([t], la_name="Barnsley")
    card = section.context["cards"][0]
    assert card["rows"][1]["la"] == "c" and "2019-20 c" in card["desc"]
    assert card["svg"]["lines"][0]["gaps"]   # a gap marked c where the point would be


def test_charts_by_financial_year_in_the_palette_with_alt_text(tmp_path):
    sc, metrics = frames()
    items = trends(sc, metrics, la_code=370, period="2022-23", threshold=5)
    (spec,) = trend_specs(items, la_name="Barnsley", threshold=5, period="2023-01")
    assert spec.kind == "years" and spec.categories == items[0].years
    assert [s.role for s in spec.series] == ["this_year", "neighbours", "england"]
    assert "as at January 2023" in spec.title
    alt = alt_text(spec)
    assert alt.startswith("Line chart:") and "by financial year" in alt
    assert "England: from 22.2% (2018-19) to 22.6% (2022-23)" in alt
    files = save_all(tmp_path, [spec])
    svg = next(f for f in files if f.suffix == ".svg").read_text()
    assert 'role="img"' in svg and "Financial year" in svg
    for role in ("this_year", "neighbours", "england"):
        assert SERIES[role].colour.lower() in svg.lower(), role


def test_the_page_sections():
    sc, metrics = frames()
    items = trends(sc, metrics, la_code=370, period="2022-23", threshold=5)
    reach = Reach((TableReach("referrals", date(2017, 4, 1), date(2023, 3, 31),
                              date(2017, 4, 1)),)).frame()
    sections, charts = extras(metrics=metrics, scorecard=sc, period="2022-23", la_code=370,
                              la_name="Barnsley", threshold=5, reach=reach)
    assert [s.id for s in sections] == ["trends", "reach"]
    assert [s.after for s in sections] == ["measures", "quality"]
    assert [c.name for c in charts] == ["trend_years_rereferrals_12m_pct"]
    words = reach_section(reach, period="2023-01").context
    assert words["rows"][0]["table"] == "Referrals" and words["rows"][0]["last"] == "31 March 2023"
    assert words["is_month"] and not words["complete"]


def test_no_benchmarked_figures_no_trend_section():
    sc = _scorecard([{"metric_id": "referral_source_pct", "breakdown": "Other",
                      "period": "2022-23", "value": 5.0}])
    sections, charts = extras(metrics=pl.DataFrame(schema=METRICS_SCHEMA), scorecard=sc,
                              period="2022-23", la_code=370, la_name="Barnsley", threshold=5)
    assert sections == [] and charts == []


def _banded(numerator_police_2020: float = 40.0):
    """Referral sources over five years, three of them benchmarked (a panel each), and a
    duration measure with one benchmarked band."""
    rows, metrics = [], []
    for i, y in enumerate(YEARS[2:]):
        for j, band in enumerate(("Police", "Schools/Education", "Health")):
            rows.append({"metric_id": "referral_source_pct", "breakdown": band, "period": y,
                         "title": "Referrals by source", "value": 10.0 + j * 5 + i,
                         "england": 11.0 + j * 5, "sn_mean": 12.0 + j * 5, "benchmark_period": y,
                         "source": f"DfE LAIT, updated 2025-11-01 (lait.parquet: RefBySource_{j})"})
            metrics.append({"metric_id": "referral_source_pct", "period": y, "breakdown": band,
                            "la_code": 370, "value": 10.0 + j * 5 + i, "denominator": 400.0,
                            "numerator": numerator_police_2020 if (band, y) == ("Police", "2020-21")
                            else 40.0})
        rows.append({"metric_id": "cpp_ended_by_duration", "breakdown": "2 years or more",
                     "period": y, "title": "CP plans ending, by duration", "value": 4.0,
                     "england": 3.9, "sn_mean": 3.5, "benchmark_period": y})
        metrics.append({"metric_id": "cpp_ended_by_duration", "period": y,
                        "breakdown": "2 years or more", "la_code": 370, "value": 4.0,
                        "numerator": 8.0, "denominator": 200.0})
    return _scorecard(rows), pl.DataFrame(metrics, schema=METRICS_SCHEMA)


def test_a_figure_in_bands_is_one_chart_with_a_panel_per_band(tmp_path):
    sc, metrics = _banded(numerator_police_2020=3.0)
    items = trends(sc, metrics, la_code=370, period="2022-23", threshold=5)
    assert len(items) == 4
    specs = trend_specs(items, la_name="Barnsley", threshold=5)
    assert [s.name for s in specs] == ["trend_years_referral_source_pct",
                                       "trend_years_cpp_ended_by_duration_2_years_or_more"]
    panels, single = specs
    assert panels.panels == ("Police", "Schools/Education", "Health") and not single.panels
    assert panels.title.startswith("Referrals by source, Barnsley compared with")
    assert single.title.startswith("CP plans ending, by duration: 2 years or more, Barnsley")
    assert [s.role for s in panels.series] == ["this_year", "neighbours", "england"] * 3
    # the police panel's 2020-21 rests on a count of 3: a gap marked c, in that panel only
    police, schools = panels.panel_series()[0][1][0], panels.panel_series()[1][1][0]
    assert police.hidden == (False, False, True, False, False) and not any(schools.hidden)
    # one source sentence for the bands of one release
    assert "(lait.parquet: RefBySource_0, RefBySource_1, RefBySource_2)." in panels.note
    alt = alt_text(panels)
    assert alt.startswith("Line charts, one for each of 3 groups on the same scale: Referrals by source")
    assert "Police. Barnsley: from 10.0% (2018-19)" in alt and "suppressed (c) in 2020-21" in alt
    assert "Health. Barnsley: from 20.0% (2018-19) to 24.0% (2022-23)" in alt
    files = save_all(tmp_path, specs, jobs=1)
    assert [f.name for f in files] == ["trend_years_referral_source_pct.png",
                                       "trend_years_referral_source_pct.svg",
                                       "trend_years_cpp_ended_by_duration_2_years_or_more.png",
                                       "trend_years_cpp_ended_by_duration_2_years_or_more.svg"]
    svg = files[1].read_text(encoding="utf-8")
    for label in ("Police", "Schools/Education", "Health", "Financial year", "Per cent"):
        assert f">{label}</text>" in svg, label
    for role in ("this_year", "neighbours", "england"):
        assert SERIES[role].colour.lower() in svg.lower(), role


def test_panels_share_one_scale_and_draw_each_series_in_its_palette_colour():
    from matplotlib.colors import to_hex

    from scorecard.report.charts import draw

    sc, metrics = _banded()
    spec = trend_specs(trends(sc, metrics, la_code=370, period="2022-23", threshold=5),
                       la_name="Barnsley", threshold=5)[0]
    fig = draw(spec)
    panels = [ax for ax in fig.axes if ax.get_title(loc="left")]
    assert [ax.get_title(loc="left") for ax in panels] == list(spec.panels)
    assert len({ax.get_ylim() for ax in panels}) == 1          # one scale for every band
    for j, ax in enumerate(panels):
        lines = [a for a in ax.get_lines() if (a.get_gid() or "").startswith("series-")]
        assert [a.get_gid() for a in lines] == [f"series-{r}-{k}-p{j}" for k, r in
                                                 enumerate(("this_year", "neighbours", "england"))]
        for a in lines:
            assert to_hex(a.get_color()) == SERIES[a.get_gid().split("-")[1]].colour.lower()
    legend = [ax for ax in fig.axes if ax.get_legend() is not None]
    assert len(legend) == 1 and [t.get_text() for t in legend[0].get_legend().get_texts()] == [
        "Barnsley", "Statistical neighbours (mean)", "England"]
