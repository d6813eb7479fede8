"""Charts of the measures by DfE duration band: bands in DfE order, this year and last year,
comparators only where published, suppressed bands drawn as c, alt text, month builds none."""
from __future__ import annotations

import polars as pl
import pytest

from scorecard.metrics import catalogue
from scorecard.metrics.child_protection_extra import CPP_DURATION_BANDS
from scorecard.metrics.children_in_need_extra import CIN_DURATION_BANDS
from scorecard.report import charts
from scorecard.report.measure_charts import BAND_NAMES, duration_specs

CPP = "cpp_at_31_march_by_duration"
CIN = "cin_ended_by_duration"


def _metrics() -> pl.DataFrame:
    rows = []
    # CP plans at 31 March 2023: 2 + 10 + 10 + 10 + 8 = 40 children; the band of 2 is below
    # the threshold of 5 and one more band must go with it (else 40 - 38 gives it away)
    for band, n in zip(CPP_DURATION_BANDS, (2, 10, 10, 10, 8), strict=True):
        rows.append((CPP, "2022-23", band, 100 * n / 40, n, 40))
    for band, n in zip(CPP_DURATION_BANDS, (5, 5, 10, 10, 20), strict=True):
        rows.append((CPP, "2021-22", band, 100 * n / 50, n, 50))
    # CIN episodes ending in 2022-23 (no 2021-22 figures): 20 in each band
    for band in CIN_DURATION_BANDS:
        rows.append((CIN, "2022-23", band, 20.0, 20, 100))
    return pl.DataFrame(rows, orient="row", schema={
        "metric_id": pl.Utf8, "period": pl.Utf8, "breakdown": pl.Utf8, "value": pl.Float64,
        "numerator": pl.Float64, "denominator": pl.Float64}).with_columns(
        pl.lit(370, pl.Int64).alias("la_code"))


def _scorecard() -> pl.DataFrame:
    rows = [(CPP, b, e, s) for b, e, s in zip(CPP_DURATION_BANDS, (30.7, 25.1, 27.0, 15.0, 2.2),
                                              (32.0, 28.0, 27.0, 12.0, 2.4), strict=True)]
    # the DfE publishes no comparator for CIN's first band here
    rows += [(CIN, b, e, None) for b, e in zip(CIN_DURATION_BANDS,
                                               (None, 15.8, 15.9, 12.1, 9.5), strict=True)]
    return pl.DataFrame(
        [{"metric_id": m, "period": "2022-23", "breakdown": b, "la_code": 370, "england": e,
          "sn_mean": s, "benchmark_period": "" if e is None else "2022-23",
          "source": "DfE test release"} for m, b, e, s in rows])


@pytest.fixture(scope="module")
def specs():
    return {s.name: s for s in duration_specs(
        metrics=_metrics(), scorecard=_scorecard(), catalogue=catalogue(), period="2022-23",
        la_code=370, la_name="Barnsley", threshold=5)}


def test_one_chart_per_duration_measure_with_figures(specs):
    # no CIN-at-31-March or CP-ended figures: no chart for them
    assert set(specs) == {f"duration_{CPP}", f"duration_{CIN}"}
    cpp = specs[f"duration_{CPP}"]
    assert cpp.kind == "bars" and cpp.unit == "percent" and cpp.table == "cp_per_month"
    assert cpp.categories == tuple(BAND_NAMES[b] for b in CPP_DURATION_BANDS)
    assert cpp.categories[0] == "3 months or less" and cpp.categories[-1] == "2 years or more"


def test_suppressed_bands_are_hidden_and_the_rest_shown(specs):
    this, last, neighbours, england = specs[f"duration_{CPP}"].series
    assert [s.role for s in (this, last, neighbours, england)] == [
        "this_year", "last_year", "neighbours", "england"]
    # 2 of 40 is hidden (a count of 1 to 4), and one more band so it cannot be worked out
    assert this.hidden[0] and sum(this.hidden) == 2
    assert all(v is None for v, h in zip(this.values, this.hidden) if h)
    shown = [v for v, h in zip(this.values, this.hidden) if not h]
    assert len(shown) == 3 and all(v in (25.0, 20.0) for v in shown)
    assert last.values == (10.0, 10.0, 20.0, 20.0, 40.0) and not any(last.hidden)
    assert england.values == (30.7, 25.1, 27.0, 15.0, 2.2)
    assert neighbours.label == "Statistical neighbours (mean) 2022-23"


def test_comparators_only_where_published(specs):
    cin = specs[f"duration_{CIN}"]
    # no neighbours' figure for any band: that series is left out; England lacks one band
    assert [s.role for s in cin.series] == ["this_year", "last_year", "england"]
    assert cin.series[1].values == (None,) * 5          # no 2021-22 figures
    assert cin.series[2].values[0] is None
    assert "does not publish are absent" in cin.note
    alt = cin.alt
    assert alt.startswith("Bar chart: CIN episodes ending, by duration (% in each band)")
    assert "England 2022-23: Under 3 months not available; 3 months to under 6 months 15.8%" in alt


def test_charts_are_drawn_with_alt_text(specs, tmp_path):
    files = charts.save_all(tmp_path, list(specs.values()))
    assert sorted(p.name for p in files) == sorted(
        f"duration_{m}.{x}" for m in (CPP, CIN) for x in ("png", "svg"))
    svg = (tmp_path / f"duration_{CPP}.svg").read_text(encoding="utf-8")
    assert 'role="img"' in svg and "3 months or less c" in svg


def test_a_month_build_has_no_duration_charts():
    assert duration_specs(metrics=_metrics(), scorecard=_scorecard(), catalogue=catalogue(),
                          period="2022-07", la_code=370, la_name="Barnsley", threshold=5) == []
