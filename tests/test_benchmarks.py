"""Tests for scorecard.benchmarks.

Most tests build a small synthetic "DfE release" (made-up LAs' figures in the published file
layouts), refresh benchmark data from it and compare against hand-worked values. The
acceptance tests use the package data shipped in the wheel (published aggregate statistics).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from scorecard import benchmarks as bm
from scorecard.benchmarks.compare import direction, rag, rank
from scorecard.errors import ConfigError, StructuralError

SHARED_DFE = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "dfe"

CSC_HEAD = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name",
            "region_code", "region_name", "old_la_code", "new_la_code", "la_name", "category"]
YH, SW = ("E12000003", "Yorkshire and The Humber"), ("E12000009", "South West")
# Synthetic LAs: code -> (name, region)
LAS = {370: ("Alpha", YH), 380: ("Bravo", YH), 371: ("Charlie", YH), 372: ("Delta", YH),
       801: ("Echo", SW), 802: ("Foxtrot", SW)}
AREAS = [("National", "", "", None)] + [("Regional", *r, None) for r in (YH, SW)] + [
    ("Regional", "E13000001", "Inner London", None)] + [
    ("Local authority", *r, la) for la, (_, r) in LAS.items()]


def _csc(path: Path, columns: list[str], values: dict) -> None:
    """Write a DfE LA-level CSV. ``values[(year, code)]`` is the list of cells for ``columns``
    (code: "E" for England, the region code, or the LA number); missing keys get "x"."""
    lines = [",".join(CSC_HEAD + columns)]
    for year in (2023, 2022, 2021):
        for level, rcode, rname, la in AREAS:
            code = "E" if level == "National" else (la if la else rcode)
            cells = values.get((year, code), ["x"] * len(columns))
            name = LAS[la][0] if la else ""
            lines.append(",".join([str(year), "Reporting year", level, "E92000001", "England",
                                   rcode, rname, str(la or ""), "", name, "cat"]
                                  + [str(c) for c in cells]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _world(root: Path, *, c1=None, ons=None, lait_extra=(), sn21=None) -> Path:
    """A complete synthetic DfE source folder; keyword arguments override single files."""
    root.mkdir(parents=True, exist_ok=True)
    rerefs = {370: 20.0, 380: 30.0, 371: 10.0, 372: 20.0, 801: 25.0, 802: "c"}
    c1 = c1 or {**{(2023, la): [1000 + la, v, 5.0] for la, v in rerefs.items()},
                (2023, "E"): [50000, 22.4, 7.1], (2023, YH[0]): [8000, 21.0, 4.0],
                (2022, 370): [900, 18.0, 3.0], (2022, "E"): [48000, 21.5, 7.6]}
    _csc(root / "c1_children_in_need_referrals_and_rereferrals_2013_to_2023.csv",
         ["referral_count", "rereferral_percent", "no_further_action_percent"], c1)
    _csc(root / "b1_children_in_need_2013_to_2023.csv", ["Anypoint_episodes", "At31_episodes"],
         {(2023, la): [900, 300 + la] for la in LAS} | {(2023, "E"): [9e5, 400000]})
    _csc(root / "d3_cpps_subsequent_plan_2013_to_2023.csv", ["CPP_start", "CPP_subsequent_percent"],
         {(2023, la): [100, 20.0] for la in LAS} | {(2023, "E"): [60000, 23.6]})
    _csc(root / "d5_cpps_at31march_by_duration_2013_to_2023.csv",
         ["CPP_At31", "2_years_or_more", "3_months_or_less_percent",
          "more_than_3_months_6_months_percent", "more_than_6_months_less_than_1_year_percent",
          "1_year_less_than_2_years_percent", "2_years_or_more_percent"],
         {(2023, la): [50 + la % 10, "c", 40.0, 30.0, 20.0, 8.0, "c"] for la in LAS}
         | {(2023, "E"): [50000, 1000, 30.7, 25.1, 27.0, 15.0, 2.2]})
    ons = ons or {**{(2022, la): [10000 * (1 + i)] for i, la in enumerate(LAS)},
                  (2022, "E"): [10_000_000], (2022, YH[0]): [1_000_000],
                  (2021, 370): [9000]}
    _csc(root / "ons_mid-year_population_estimates_2012_to_2023.csv", ["population_estimate"], ons)
    lait = [("Continue_Assess_Comp", "2023", str(v), float(la), name)
            for la, name, v in [(370, "Alpha", 80.0), (380, "Bravo", 90.0), (371, "Charlie", 70.0),
                                (372, "Delta", "-"), (970, "England", 82.5),
                                (982, "Yorkshire and the Humber", 81.0),
                                (987, "London (Inner)", 75.0)]]
    lait += [("RefBySource_Police_%", "2023", "28.3", 370.0, "Alpha"),
             ("RefBySource_Police_%", "2023", "30", 970.0, "England"),
             ("Other_Indicator", "2014-16", "n/a", 370.0, "Alpha"), *lait_extra]
    pl.DataFrame(lait, orient="row", schema=["Short Desc", "Years", "Values", "LA Number",
                                             "LA and Regions"]).with_columns(
        pl.lit(None, pl.Utf8).alias("Data item"), pl.lit("x").alias("Region")).write_parquet(
        root / "lait_bds_long_0.parquet")
    sn21 = sn21 or ["370,Alpha,370,9,YH,371,Very Close,372,Very Close,801,Close,",
                    "380,Bravo,380,9,YH,370,Very Close,802,Close,,,",
                    "371,Charlie,371,9,YH,370,Close,372,Close,,,"]
    (root / "New_Statistical_Neighbour_Groupings_April_2021.csv").write_text(
        "\ufeffLA num,LA Name,LA number,GOInd,GOReg,SN1,SNP,SN2,SNP,SN3,SNP,\n"
        + "\n".join(sn21) + "\n", encoding="utf-8")
    (root / "sn_model_2025_wide.csv").write_text(
        "old_la_code,la_name,region_ind,region_name,SN_1,SN_1P,SN_2,SN_2P\n"
        "370,Alpha,9,YH,380,Very close,802,Close \n", encoding="utf-8")
    return root


@pytest.fixture
def world(tmp_path) -> bm.Benchmarks:
    dest = tmp_path / "data"
    bm.refresh(_world(tmp_path / "src"), dest)
    return bm.Benchmarks(dest)


def _metrics(rows) -> pl.DataFrame:
    """A metrics frame (interface 2) from (metric_id, period, breakdown, la_code, value)."""
    return pl.DataFrame(
        [(m, p, b, la, float(v)) for m, p, b, la, v in rows], orient="row",
        schema={"metric_id": pl.Utf8, "period": pl.Utf8, "breakdown": pl.Utf8,
                "la_code": pl.Int64, "value": pl.Float64}).with_columns(
        pl.lit(None, pl.Float64).alias("numerator"), pl.lit(None, pl.Float64).alias("denominator"))


def _row(frame: pl.DataFrame, metric_id: str, period: str = "2022-23", breakdown: str = "") -> dict:
    hit = frame.filter((pl.col("metric_id") == metric_id) & (pl.col("period") == period)
                       & (pl.col("breakdown") == breakdown))
    assert hit.height == 1, (metric_id, period, breakdown, hit)
    return hit.row(0, named=True)


# --- acceptance: the shipped DfE data ---------------------------------------------------------

def test_barnsley_2022_23_rereferrals_against_england_and_april_2021_neighbours():
    metrics = _metrics([("rereferrals_12m_pct", "2022-23", "", 370, 20.0),
                        ("rereferrals_12m_pct", "2021-22", "", 370, 19.0)])
    card = bm.compare(metrics, la_code=370, period="2022-23", grouping="april_2021")
    row = _row(card, "rereferrals_12m_pct")
    assert row["england"] == pytest.approx(22.4)
    assert row["sn_mean"] == pytest.approx(22.66, abs=1e-9)
    assert row["sn_median"] == pytest.approx(23.5)
    assert row["region"] == pytest.approx(22.1) and row["region_name"] == "Yorkshire and The Humber"
    assert (row["la_name"], row["sn_grouping"], row["benchmark_period"]) == (
        "Barnsley", "april_2021", "2022-23")
    assert (row["rag"], row["direction"]) == ("green", "worsening")  # 20.0 < 22.66; 19 -> 20
    assert "Children in need 2025" in row["source"]
    assert list(card.columns) == list(bm.SCORECARD_COLUMNS)
    # Default grouping for 2022-23 is the one in force: April 2021.
    assert _row(bm.compare(metrics), "rereferrals_12m_pct")["sn_mean"] == row["sn_mean"]


def test_shipped_lookups_and_may_2025_grouping():
    assert bm.population(370, 2022) == 50706
    assert bm.population(370, 1990) is None
    assert bm.la_name(370) == "Barnsley"
    assert bm.region_of(370) == ("E12000003", "Yorkshire and The Humber")
    assert bm.statistical_neighbours(370) == [807, 371, 359, 372, 812, 384, 342, 840, 394, 357]
    may = bm.statistical_neighbours(370, "may_2025")
    assert may == [372, 384, 357, 371, 332, 894, 840, 390, 807, 394]
    assert bm.grouping_for_period("2024-25") == "april_2021"
    assert bm.grouping_for_period("2025-26") == "may_2025"
    card = bm.compare(_metrics([]), period="2022-23", grouping="may_2025")
    row = _row(card, "rereferrals_12m_pct")
    assert row["sn_grouping"] == "may_2025"
    # Published 2023 re-referral % of the May 2025 neighbours (c1, 2025 release).
    c1 = {372: 16.6, 384: 21.6, 357: 27.3, 371: 25.2, 332: None, 894: None, 840: 16.4,
          390: None, 807: 18.7, 394: 23.9}
    values = bm.Benchmarks().year_values("rereferrals_pct", 2023)
    got = {int(c): v for c, v in values.select("code", "value").iter_rows()
           if c.isdigit() and int(c) in c1 and v is not None}
    assert {k: v for k, v in got.items() if c1[k] is not None} == {
        k: v for k, v in c1.items() if v is not None}
    assert row["sn_mean"] == pytest.approx(sum(got.values()) / len(got))


def test_compare_works_for_another_la_by_changing_the_code():
    card = bm.compare(_metrics([("cpp_rate_per_10k", "2022-23", "", 380, 40.0),
                                ("cpp_rate_per_10k", "2022-23", "", 370, 99.0)]), la_code=380)
    row = _row(card, "cpp_rate_per_10k")
    assert (row["la_code"], row["la_name"], row["value"]) == (380, "Bradford", 40.0)
    sn = bm.statistical_neighbours(380)
    rates = dict(bm.Benchmarks().year_values("cpp_rate_per_10k", 2023)
                 .select("code", "value").iter_rows())
    expected = [rates[f"{c:03d}"] for c in sn if rates.get(f"{c:03d}") is not None]
    assert row["sn_mean"] == pytest.approx(sum(expected) / len(expected), rel=1e-6)
    assert row["rag"] == ""  # neutral metric


def test_reconcile_barnsley_against_published_figures():
    rec = bm.reconcile(_metrics([("referrals", "2022-23", "", 370, 3000),
                                 ("rereferrals_12m_pct", "2022-23", "", 370, 20.16)]))
    ref = rec.filter(pl.col("metric_id") == "referrals").row(0, named=True)
    assert (ref["published"], ref["difference"]) == (3042.0, -42.0)
    assert ref["pct_difference"] == pytest.approx(-42 / 3042 * 100)
    rr = rec.filter(pl.col("metric_id") == "rereferrals_12m_pct").row(0, named=True)
    assert rr["difference"] == pytest.approx(0.96)
    cin = rec.filter(pl.col("metric_id") == "cin_at_31_march").row(0, named=True)
    assert (cin["value"], cin["published"], cin["difference"]) == (None, 1696.0, None)
    assert list(rec.columns) == list(bm.RECONCILE_COLUMNS)


@pytest.mark.skipif(not SHARED_DFE.is_dir(), reason="shared DfE files not present")
def test_shipped_package_data_is_what_refresh_builds(tmp_path):
    written = bm.refresh(SHARED_DFE, tmp_path)
    for path in written:
        assert path.read_bytes() == (bm.DATA_DIR / path.name).read_bytes(), path.name


# --- refresh: markers, rates, structure -------------------------------------------------------

def test_suppression_markers_become_missing_with_the_marker_kept(tmp_path):
    c1 = {(2023, 370): [100, "c", 5.0], (2023, 380): [100, "low", 5.0],
          (2023, 371): [100, "", 5.0], (2023, 372): [100, "Z", 5.0], (2023, 801): [100, "k", 5.0],
          (2023, 802): ["u", 12.5, 5.0], (2023, "E"): [1000, 22.4, 7.1]}
    dest = tmp_path / "d"
    bm.refresh(_world(tmp_path / "s", c1=c1), dest)
    values = pl.read_csv(dest / "values.csv", schema_overrides={"code": pl.Utf8})
    rr = values.filter((pl.col("series") == "rereferrals_pct") & (pl.col("year") == 2023))
    got = {c: (v, s) for c, v, s in rr.select("code", "value", "status").iter_rows()}
    assert got["370"] == (None, "c") and got["380"] == (None, "low")
    assert got["371"] == (None, "blank") and got["372"] == (None, "z")
    assert got["801"] == (None, "k") and got["802"] == (12.5, "")
    # A suppressed count suppresses its rate, with the count's marker.
    rate = values.filter((pl.col("series") == "referrals_rate_per_10k") & (pl.col("code") == "802")
                         & (pl.col("year") == 2023)).row(0, named=True)
    assert (rate["value"], rate["status"]) == (None, "u")
    # LAIT "-" is a marker too.
    lait = values.filter((pl.col("series") == "assessments_45wd_pct") & (pl.col("code") == "372"))
    assert lait.row(0, named=True)["status"] == "-"
    # Suppressed LAs are left out of the ranking and the neighbour mean, not counted as 0.
    card = bm.Benchmarks(dest).compare(_metrics([("rereferrals_12m_pct", "2022-23", "", 370, 10)]))
    row = _row(card, "rereferrals_12m_pct")
    assert (row["rank"], row["rank_of"], row["sn_mean"]) == (1, 2, None)  # 370 + 802
    assert row["rag"] == "green"  # only England published: 10 <= 22.4


def test_unknown_marker_stops_the_refresh_naming_file_row_and_column(tmp_path):
    c1 = {(2023, 370): [100, "n/a", 5.0], (2023, "E"): [1000, 22.4, 7.1]}
    dest = tmp_path / "d"
    with pytest.raises(StructuralError) as err:
        bm.refresh(_world(tmp_path / "s", c1=c1), dest)
    assert err.value.column == "rereferral_percent" and err.value.row == 6
    assert "c1_children_in_need" in err.value.file and "'n/a'" in str(err.value)
    assert not dest.exists()  # nothing written


def test_missing_file_or_column_is_reported(tmp_path):
    src = _world(tmp_path / "s")
    (src / "d3_cpps_subsequent_plan_2013_to_2023.csv").unlink()
    with pytest.raises(ConfigError, match="d3"):
        bm.refresh(src, tmp_path / "d")
    src = _world(tmp_path / "s2")
    path = src / "b1_children_in_need_2013_to_2023.csv"
    path.write_text(path.read_text().replace("At31_episodes", "At_31"))
    with pytest.raises(StructuralError) as err:
        bm.refresh(src, tmp_path / "d")
    assert err.value.column == "At31_episodes"
    with pytest.raises(ConfigError, match="does not exist"):
        bm.refresh(tmp_path / "nowhere", tmp_path / "d")


def test_rates_are_computed_from_counts_and_the_named_population(world):
    # 370: referrals 1370 in 2022-23, mid-2022 population 10,000 -> 1370.0 per 10k.
    values = world.year_values("referrals_rate_per_10k", 2023)
    got = dict(values.select("code", "value").iter_rows())
    assert got["370"] == pytest.approx(1370.0)
    assert got["380"] == pytest.approx(1380 / 20000 * 10000)
    assert got["E92000001"] == pytest.approx(50000 / 10_000_000 * 10000)
    # 2021-22 uses mid-2021 (9,000 for 370); no mid-2021 figure for 380 -> missing.
    prev = dict(world.year_values("referrals_rate_per_10k", 2022).select("code", "value")
                .iter_rows())
    assert prev["370"] == pytest.approx(900 / 9000 * 10000) and prev.get("380") is None
    card = world.compare(_metrics([("referrals_rate_per_10k", "2022-23", "", 370, 1300)]))
    row = _row(card, "referrals_rate_per_10k")
    assert row["england"] == pytest.approx(50.0)
    assert "ONS mid-2022 population" in row["source"]
    assert "ons_mid-year_population_estimates_2012_to_2023.csv" in row["source"]
    assert world.population(370, 2022) == 10000 and world.population(370, 2020) is None


def test_latest_release_of_a_file_is_used(tmp_path):
    src = _world(tmp_path / "s")
    newer = src / "newer" / "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
    newer.parent.mkdir()
    shutil.copy(src / "c1_children_in_need_referrals_and_rereferrals_2013_to_2023.csv", newer)
    newer.write_text(newer.read_text().replace(",1370,20.0,", ",1370,21.5,"))
    dest = tmp_path / "d"
    bm.refresh(src, dest)
    assert "Children in need 2025" in (dest / "SOURCES.md").read_text()
    rr = dict(bm.Benchmarks(dest).year_values("rereferrals_pct", 2023)
              .select("code", "value").iter_rows())
    assert rr["370"] == 21.5


# --- compare: rank, quartile, RAG, direction --------------------------------------------------

def test_rank_and_quartile_follow_polarity_and_share_ties(world):
    # Other LAs' published re-referral % in 2023: 380 30, 371 10, 372 20, 801 25 (802 suppressed).
    def place(metric, value):
        row = _row(world.compare(_metrics([(metric, "2022-23", "", 370, value)])), metric)
        return row["rank"], row["rank_of"], row["quartile"]

    assert place("rereferrals_12m_pct", 20.0) == (2, 5, 1)   # lower is better; tie with 372
    assert place("rereferrals_12m_pct", 31.0) == (5, 5, 4)
    assert place("rereferrals_12m_pct", 5.0) == (1, 5, 1)
    # Assessments within 45 working days, higher is better: others 380 90, 371 70 (372 "-").
    assert place("assessments_within_45wd_pct", 95.0) == (1, 3, 1)
    assert place("assessments_within_45wd_pct", 90.0) == (1, 3, 1)  # tie shares the best rank
    assert place("assessments_within_45wd_pct", 60.0) == (3, 3, 3)
    # Neutral: rank 1 = lowest value (no judgement); the six synthetic LAs' CIN rates.
    rates = sorted(v for c, v in world.year_values("cin_rate_per_10k", 2023)
                   .select("code", "value").iter_rows() if c.isdigit() and c != "370")
    assert place("cin_rate_per_10k", rates[0] - 1) == (1, 6, 1)
    assert place("cin_rate_per_10k", rates[-1] + 1) == (6, 6, 4)
    assert rank(None, [1.0, 2.0], "lower") == (None, 2, None)


def test_rag_rule_and_direction_of_travel():
    # lower is better, SN mean 20, England 25
    assert rag(19.0, 20.0, 25.0, "lower") == "green"
    assert rag(20.0, 20.0, 25.0, "lower") == "green"
    assert rag(22.0, 20.0, 25.0, "lower") == "amber"
    assert rag(26.0, 20.0, 25.0, "lower") == "red"
    assert rag(22.0, 20.0, 15.0, "lower") == "red"   # England better than SN: worse than both
    assert rag(85.0, 80.0, 90.0, "higher") == "green"
    assert rag(75.0, 80.0, 70.0, "higher") == "amber"
    assert rag(65.0, 80.0, 70.0, "higher") == "red"
    assert rag(65.0, None, 70.0, "higher") == "red"
    assert rag(65.0, 80.0, 70.0, "neutral") == ""
    assert rag(None, 80.0, 70.0, "higher") == ""
    assert rag(65.0, None, None, "higher") == ""
    assert direction(10.0, 12.0, "lower") == "improving"
    assert direction(12.0, 10.0, "lower") == "worsening"
    assert direction(12.0, 10.0, "higher") == "improving"
    assert direction(12.0, 10.0, "neutral") == "up"
    assert direction(10.0, 12.0, "neutral") == "down"
    assert direction(10.0, 10.0, "higher") == "no change"
    assert direction(10.0, None, "higher") == ""


def test_compare_rows_blanks_previous_year_and_all_source_groups(world):
    metrics = _metrics([("rereferrals_12m_pct", "2022-23", "", 370, 21.0),
                        ("rereferrals_12m_pct", "2021-22", "", 370, 18.0),
                        ("rereferrals_12m_pct", "2022-23", "", 380, 1.0),   # another LA: ignored
                        ("referral_source_pct", "2022-23", "Family/Friend", 370, 12.0)])
    card = world.compare(metrics)
    assert card["period"].unique(maintain_order=True).to_list() == ["2022-23", "2021-22"]
    assert card.height == 2 * len(bm.COMPARATORS)
    row = _row(card, "rereferrals_12m_pct")
    # SN (April 2021) of 370: 371 10, 372 20, 801 25 -> mean 18.333.., median 20.
    assert row["sn_mean"] == pytest.approx(55 / 3, abs=1e-6) and row["sn_median"] == 20.0
    assert (row["value"], row["previous_value"], row["region"]) == (21.0, 18.0, 21.0)
    # Worse than the SN mean, better than England (22.4): amber; 18 -> 21 is worsening.
    assert (row["rag"], row["direction"]) == ("amber", "worsening")
    prev = _row(card, "rereferrals_12m_pct", "2021-22")
    assert (prev["value"], prev["england"], prev["benchmark_period"]) == (18.0, 21.5, "2021-22")
    assert prev["direction"] == ""
    sources = card.filter((pl.col("metric_id") == "referral_source_pct")
                          & (pl.col("period") == "2022-23"))
    assert sources["breakdown"].to_list() == list(bm.SOURCE_GROUPS)
    fam = _row(card, "referral_source_pct", breakdown="Family/Friend")
    assert fam["value"] == 12.0 and fam["england"] is None and "not published" in fam["source"]
    police = _row(card, "referral_source_pct", breakdown="Police")
    assert (police["value"], police["england"]) == (None, 30.0)   # no own value: row still there
    assert (police["rank"], police["quartile"], police["rag"]) == (None, None, "")


def test_catalogue_polarity_is_used_when_given(world):
    metrics = _metrics([("rereferrals_12m_pct", "2022-23", "", 370, 21.0)])
    cat = pl.DataFrame({"metric_id": ["rereferrals_12m_pct"], "title": ["Re-referrals"],
                        "unit": ["percent"], "polarity": ["higher"]})
    row = _row(world.compare(metrics, catalogue=cat), "rereferrals_12m_pct")
    assert (row["title"], row["polarity"], row["rag"]) == ("Re-referrals", "higher", "green")
    with pytest.raises(ConfigError, match="polarity"):
        world.compare(metrics, catalogue=cat.with_columns(pl.lit("up").alias("polarity")))


def test_benchmark_year_falls_back_to_latest_published(world):
    card = world.compare(_metrics([]), period="2024-25")
    row = _row(card, "rereferrals_12m_pct", "2024-25")
    assert (row["benchmark_period"], row["england"]) == ("2022-23", 22.4)


def test_may_2025_grouping_on_synthetic_data(world):
    assert world.statistical_neighbours(370, "may_2025") == [380, 802]
    row = _row(world.compare(_metrics([]), grouping="may_2025"), "rereferrals_12m_pct")
    assert row["sn_mean"] == 30.0 and row["sn_grouping"] == "may_2025"   # 802 suppressed
    with pytest.raises(ConfigError, match="no statistical neighbours"):
        world.statistical_neighbours(380, "may_2025")


def test_bad_arguments_raise_config_error(world):
    with pytest.raises(ConfigError, match="unknown LA code 999"):
        world.compare(_metrics([]), la_code=999)
    for call in (lambda: world.population(999, 2022), lambda: world.la_name(999),
                 lambda: world.region_of(999), lambda: world.statistical_neighbours(999),
                 lambda: bm.la_name(999), lambda: world.reconcile(_metrics([]), la_code=999)):
        with pytest.raises(ConfigError, match="999"):
            call()
    with pytest.raises(ConfigError, match="LA code"):
        world.la_name("370")
    with pytest.raises(ConfigError, match="grouping"):
        world.statistical_neighbours(370, "june_2030")
    with pytest.raises(ConfigError, match="annual"):
        world.compare(_metrics([]), period="2022-07")
    with pytest.raises(ConfigError, match="neither"):
        world.compare(_metrics([]), period="22/23")
    with pytest.raises(ConfigError, match="value"):
        world.compare(pl.DataFrame({"metric_id": ["x"], "period": ["2022-23"],
                                    "breakdown": [""]}))
    with pytest.raises(ConfigError, match="missing"):
        bm.Benchmarks(world.data_dir / "absent").la_name(370)
