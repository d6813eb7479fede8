"""Annual-report tables: layout, values read back from the frames, suppression applied.

``synthetic_frames()`` builds small hand-made metrics/scorecard/validation/impact/catalogue
frames (interfaces 2-5); the other report test modules import it from here.
"""
from __future__ import annotations

import random

import polars as pl
import pytest

from scorecard.report import sdc, tables

LA = 370
MONTHS_2223 = [f"2022-{m:02d}" for m in range(4, 13)] + [f"2023-{m:02d}" for m in range(1, 4)]
MONTHS_2122 = [f"2021-{m:02d}" for m in range(4, 13)] + [f"2022-{m:02d}" for m in range(1, 4)]
YEARS = {"2022-23": MONTHS_2223, "2021-22": MONTHS_2122}
HOSTILE = "<script>alert(1)</script>"

# (metric_id, title, unit, polarity, periods, group, benchmark)
CATALOGUE = [
    ("contacts", "Contacts", "count", "neutral", "month,year", "Front door", ""),
    ("contacts_concluded_24h_pct", "Contacts concluded within 24 hours", "percent", "higher",
     "month,year", "Front door", ""),
    ("referrals", "Referrals", "count", "neutral", "month,year", "Front door", ""),
    ("referrals_rate_per_10k", "Referrals per 10,000 children", "rate_per_10k", "neutral", "year",
     "Front door", "referrals_rate"),
    ("rereferrals_12m_pct", "Re-referrals within 12 months", "percent", "lower", "year",
     "Front door", "rereferral_rate"),
    ("referral_source_pct", "Referrals by source", "percent", "neutral", "year", "Front door",
     "referral_source"),
    ("cin_open_month_end", "Children in need at month end", "count", "neutral", "month",
     "Children in need", ""),
    ("cin_rate_per_10k", "Children in need per 10,000 children", "rate_per_10k", "neutral", "year",
     "Children in need", "cin_rate"),
    ("cin_by_primary_need", "CIN episodes by primary need", "count", "neutral", "year",
     "Children in need", ""),
    ("cpp_open_month_end", "Children on a CP plan at month end", "count", "neutral", "month",
     "Child protection", ""),
    ("cpp_avg_open_per_month", "Average children on a CP plan per month", "mean", "neutral", "year",
     "Child protection", ""),
    ("cpp_rate_per_10k", "CP plans per 10,000 children", "rate_per_10k", "neutral", "year",
     "Child protection", "cpp_rate"),
    ("cpp_second_or_subsequent_pct", "Second or subsequent CP plans", "percent", "lower", "year",
     "Child protection", "cpp_second"),
    ("cpp_by_latest_category", "CP plans by latest category", "count", "neutral", "year",
     "Child protection", ""),
    ("missing_episodes", "Missing episodes", "count", "neutral", "month,year",
     "Missing and return home interviews", ""),
    ("missing_children", "Children missing", "count", "neutral", "month,year",
     "Missing and return home interviews", ""),
    ("rhi_accepted", "Return interviews accepted", "count", "neutral", "month,year",
     "Missing and return home interviews", ""),
    ("rhi_completed_72h", "Return interviews completed in 72 hours", "count", "neutral",
     "month,year", "Missing and return home interviews", ""),
    ("rhi_completed_72h_pct", "Return interviews completed in 72 hours (%)", "percent", "higher",
     "month,year", "Missing and return home interviews", ""),
]


def _row(metric_id, period, value, breakdown="", numerator=None, denominator=None):
    return {"metric_id": metric_id, "period": period, "breakdown": breakdown, "la_code": LA,
            "value": None if value is None else float(value),
            "numerator": None if numerator is None else float(numerator),
            "denominator": None if denominator is None else float(denominator)}


def synthetic_frames(seed: int = 7) -> dict[str, pl.DataFrame]:
    """Hand-made frames for 2021-22 and 2022-23 with deliberate small numbers.

    Known small cells: missing_children 2022-08 = 3; rhi_accepted 2022-08 = 2 (completed 2);
    cin_by_primary_need N7 = 2 in 2022-23 (N3 = 0); cpp_by_latest_category SAB = 3, MUL = 0;
    referral source Legal Agency = 4 referrals in 2022-23.
    """
    rnd = random.Random(seed)
    rows = []
    for year, months in YEARS.items():
        tot = {k: 0 for k in ("contacts", "done24", "referrals", "missing_episodes",
                              "rhi_accepted", "rhi_completed_72h")}
        cpp = []
        for m in months:
            c = rnd.randint(300, 400)
            d = rnd.randint(100, 250)
            rows += [_row("contacts", m, c), _row("contacts_concluded_24h_pct", m, d / c * 100,
                                                  numerator=d, denominator=c)]
            r = rnd.randint(200, 300)
            rows.append(_row("referrals", m, r))
            rows.append(_row("cin_open_month_end", m, rnd.randint(1300, 2000)))
            cp = rnd.randint(250, 320)
            cpp.append(cp)
            rows.append(_row("cpp_open_month_end", m, cp))
            small = m == "2022-08"
            ep = rnd.randint(50, 90)
            ch = 3 if small else rnd.randint(30, 60)
            acc = 2 if small else rnd.randint(40, 70)
            done = 2 if small else rnd.randint(25, acc)
            rows += [_row("missing_episodes", m, ep), _row("missing_children", m, ch),
                     _row("rhi_accepted", m, acc), _row("rhi_completed_72h", m, done),
                     _row("rhi_completed_72h_pct", m, done / acc * 100, numerator=done,
                          denominator=acc)]
            for k, v in (("contacts", c), ("done24", d), ("referrals", r),
                         ("missing_episodes", ep), ("rhi_accepted", acc),
                         ("rhi_completed_72h", done)):
                tot[k] += v
        rows += [_row("contacts", year, tot["contacts"]),
                 _row("contacts_concluded_24h_pct", year, tot["done24"] / tot["contacts"] * 100,
                      numerator=tot["done24"], denominator=tot["contacts"]),
                 _row("referrals", year, tot["referrals"]),
                 _row("referrals_rate_per_10k", year, tot["referrals"] / 52000 * 10000,
                      numerator=tot["referrals"], denominator=52000),
                 _row("rereferrals_12m_pct", year, 20.6, numerator=600, denominator=2913),
                 _row("cin_rate_per_10k", year, 1691 / 52000 * 10000, numerator=1691,
                      denominator=52000),
                 _row("cpp_avg_open_per_month", year, sum(cpp) / 12),
                 _row("cpp_rate_per_10k", year, cpp[-1] / 52000 * 10000, numerator=cpp[-1],
                      denominator=52000),
                 _row("cpp_second_or_subsequent_pct", year, 3 / 40 * 100, numerator=3,
                      denominator=40),
                 _row("missing_episodes", year, tot["missing_episodes"]),
                 _row("missing_children", year, 341),
                 _row("rhi_accepted", year, tot["rhi_accepted"]),
                 _row("rhi_completed_72h", year, tot["rhi_completed_72h"]),
                 _row("rhi_completed_72h_pct", year,
                      tot["rhi_completed_72h"] / tot["rhi_accepted"] * 100,
                      numerator=tot["rhi_completed_72h"], denominator=tot["rhi_accepted"])]
        # referral sources: shares of this year's referrals, Legal Agency small in 2022-23
        legal = 4 if year == "2022-23" else 60
        shares = {"Police": 0.27, "Schools/Education": 0.22, "Health": 0.14, "Other": 0.13,
                  "Family/Friend": 0.08, "Local Authority": 0.13}
        counts = {g: int(tot["referrals"] * s) for g, s in shares.items()}
        counts["Legal Agency"] = legal
        counts["Other"] += tot["referrals"] - sum(counts.values())
        for g, n in counts.items():
            rows.append(_row("referral_source_pct", year, n / tot["referrals"] * 100, g, n,
                             tot["referrals"]))
        needs = {"N0": 32, "N1": 1931, "N2": 114, "N3": 0, "N4": 54, "N5": 108, "N6": 22,
                 "N7": 2 if year == "2022-23" else 9, "N8": 45, "N9": 29}
        rows += [_row("cin_by_primary_need", year, v, k) for k, v in needs.items()]
        cats = {"NEG": 290, "EMO": 267, "MUL": 0, "SAB": 3, "PHY": 22}
        rows += [_row("cpp_by_latest_category", year, v, k) for k, v in cats.items()]
    metrics = pl.DataFrame(rows, schema={"metric_id": pl.Utf8, "period": pl.Utf8,
                                         "breakdown": pl.Utf8, "la_code": pl.Int64,
                                         "value": pl.Float64, "numerator": pl.Float64,
                                         "denominator": pl.Float64})
    catalogue = pl.DataFrame(
        [dict(zip(("metric_id", "title", "unit", "polarity", "periods", "group", "benchmark"), c),
              description=f"Definition of {c[1]}") for c in CATALOGUE])
    catalogue = catalogue.select("metric_id", "title", "description", "unit", "polarity",
                                 "periods", "group", "benchmark")
    return {"metrics": metrics, "scorecard": _scorecard(metrics, catalogue),
            "catalogue": catalogue, **_validation()}


def _scorecard(metrics: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    bench = {("referrals_rate_per_10k", ""): (550.0, 560.0, 2, 70, "green", "up"),
             ("rereferrals_12m_pct", ""): (21.5, 22.0, 2, 60, "green", "worsening"),
             ("cin_rate_per_10k", ""): (342.7, 380.0, 3, 90, "amber", "down"),
             ("cpp_rate_per_10k", ""): (43.2, 50.0, 4, 130, "", "down"),
             ("cpp_second_or_subsequent_pct", ""): (23.3, 24.0, 1, 10, "red", "improving"),
             ("referral_source_pct", "Police"): (29.5, 31.7, 2, 70, "", "down"),
             ("referral_source_pct", "Schools/Education"): (19.9, 15.4, 1, 20, "", "up"),
             ("referral_source_pct", "Health"): (14.8, 13.2, 3, 100, "", "")}
    meta = {r["metric_id"]: r for r in catalogue.iter_rows(named=True)}
    out = []
    for (mid, b), (eng, sn, q, rank, rag, direction) in bench.items():
        v = metrics.filter((pl.col("metric_id") == mid) & (pl.col("breakdown") == b))
        this = v.filter(pl.col("period") == "2022-23")["value"][0]
        prev = v.filter(pl.col("period") == "2021-22")["value"][0]
        out.append({"metric_id": mid, "title": meta[mid]["title"], "unit": meta[mid]["unit"],
                    "polarity": meta[mid]["polarity"], "period": "2022-23", "breakdown": b,
                    "la_code": LA, "la_name": "Barnsley", "value": this, "previous_value": prev,
                    "england": eng, "region": eng + 1, "region_name": "Yorkshire and The Humber",
                    "sn_mean": sn, "sn_median": sn - 0.5, "sn_grouping": "April 2021",
                    "quartile": q, "rank": rank, "rank_of": 152, "rag": rag,
                    "direction": direction, "benchmark_period": "2021-22",
                    "source": "DfE Characteristics of children in need 2022, LA level"})
    return pl.DataFrame(out, schema_overrides={"quartile": pl.Int64, "rank": pl.Int64,
                                               "rank_of": pl.Int64})


def _validation() -> dict[str, pl.DataFrame]:
    validation = pl.DataFrame(
        [{"check_id": "rhi_completed_before_return", "table": "return_interviews",
          "severity": "error", "record_id": f"R{i}", "period": "",
          "message": "interview completed before the child returned"} for i in range(3)]
        + [{"check_id": "invalid_primary_need", "table": "cin_episodes", "severity": "warning",
            "record_id": "C9", "period": "", "message": f"primary need {HOSTILE} not a DfE code"},
           {"check_id": "volume_gap", "table": "referrals", "severity": "warning",
            "record_id": "", "period": "2022-07", "message": "referrals in 2022-07 far below trend"}])
    impact = pl.DataFrame(
        [{"check_id": "rhi_completed_before_return", "severity": "error",
          "table": "return_interviews", "records": 3, "metric_id": "rhi_completed_72h_pct",
          "period": "2022-23", "breakdown": "", "value": 70.0, "value_without": 69.5,
          "change": -0.5},
         {"check_id": "invalid_primary_need", "severity": "warning", "table": "cin_episodes",
          "records": 1, "metric_id": "cin_by_primary_need", "period": "2022-23",
          "breakdown": HOSTILE, "value": 1.0, "value_without": 0.0, "change": -1.0}],
        schema_overrides={"records": pl.Int64})
    return {"validation": validation, "impact": impact}


KW = {"period": "2022-23", "la_code": LA, "la_name": "Barnsley"}


@pytest.fixture(scope="module")
def frames():
    return synthetic_frames()


def _cell(published: pl.DataFrame, label_col: str, label: str, col: str) -> str:
    return published.filter(pl.col(label_col) == label)[col][0]


def test_referral_sources_layout_and_values(frames):
    t = tables.referral_sources(frames["metrics"], frames["scorecard"], **KW)
    assert t.frame.columns == ["Referral source", "Barnsley 2022-23 %", "Barnsley 2022-23 number",
                               "Barnsley 2021-22 %", "Barnsley 2021-22 number",
                               "Statistical neighbours 2021-22 %", "England 2021-22 %"]
    assert t.frame["Referral source"].to_list() == list(tables.REFERRAL_SOURCE_GROUPS) + [
        "All referrals"]
    m = frames["metrics"]
    police = m.filter((pl.col("metric_id") == "referral_source_pct") & (pl.col("period") == "2022-23")
                      & (pl.col("breakdown") == "Police"))
    pub = t.suppressed_with(5).published()
    assert _cell(pub, "Referral source", "Police", "Barnsley 2022-23 number") == \
        f"{police['numerator'][0]:.0f}"
    assert _cell(pub, "Referral source", "Police", "Barnsley 2022-23 %") == \
        f"{police['value'][0]:.1f}"
    assert _cell(pub, "Referral source", "Police", "England 2021-22 %") == "29.5"
    assert _cell(pub, "Referral source", "Police", "Statistical neighbours 2021-22 %") == "31.7"
    total = m.filter((pl.col("metric_id") == "referrals") & (pl.col("period") == "2022-23"))
    assert _cell(pub, "Referral source", "All referrals", "Barnsley 2022-23 number") == \
        f"{total['value'][0]:.0f}"
    # Legal Agency (4) is hidden with its %, and one more source so it cannot be recovered
    assert _cell(pub, "Referral source", "Legal Agency", "Barnsley 2022-23 number") == "c"
    assert _cell(pub, "Referral source", "Legal Agency", "Barnsley 2022-23 %") == "c"
    col = pub["Barnsley 2022-23 number"].to_list()
    assert col[:-1].count("c") == 2 and col[-1] != "c"
    assert pub["Barnsley 2022-23 %"].to_list().count("c") == 2
    # the secondary cell is the next-smallest source
    counts = t.frame["Barnsley 2022-23 number"].to_list()[:-1]
    second = sorted((v, i) for i, v in enumerate(counts))[1][1]
    assert col[second] == "c"
    # benchmarks are published statistics: never suppressed; last year untouched
    assert "c" not in pub["England 2021-22 %"].to_list()
    assert "c" not in pub["Barnsley 2021-22 number"].to_list()


def test_cin_by_month_two_years_april_to_march(frames):
    t = tables.cin_by_month(frames["metrics"], **KW)
    assert t.frame.columns == ["Month", "2021-22", "2022-23"]
    assert t.frame["Month"].to_list()[0] == "April" and t.frame["Month"].to_list()[-1] == "March"
    m = frames["metrics"]
    jan22 = m.filter((pl.col("metric_id") == "cin_open_month_end") & (pl.col("period") == "2022-01"))
    assert t.frame["2021-22"][9] == jan22["value"][0]
    assert t.total_row is None and t.lines() == []


def test_cin_by_primary_need_total_and_small_cells(frames):
    t = tables.cin_by_primary_need(frames["metrics"], **KW).suppressed_with(5)
    pub = t.published()
    assert pub["Code"].to_list()[:10] == [f"N{i}" for i in range(10)]
    assert _cell(pub, "Primary need", "Low income", "2022-23") == "c"      # 2
    assert _cell(pub, "Primary need", "Parental disability or illness", "2022-23") == "0"
    # next-smallest non-zero (N6 = 22) hidden as well; total still shown
    assert _cell(pub, "Primary need", "Socially unacceptable behaviour", "2022-23") == "c"
    assert _cell(pub, "Primary need", "Total", "2022-23") == f"{32+1931+114+54+108+22+2+45+29}"
    assert "c" not in pub["2021-22"].to_list()


def test_cp_category_and_per_month_average(frames):
    t = tables.cp_by_latest_category(frames["metrics"], **KW).suppressed_with(5)
    pub = t.published()
    assert pub["Latest category (at close/end of period)"].to_list() == [
        "Neglect", "Emotional abuse", "Multiple", "Sexual abuse", "Physical abuse", "Total"]
    assert pub["2022-23"].to_list() == ["290", "267", "0", "c", "c", "582"]
    avg = tables.cp_per_month(frames["metrics"], **KW)
    assert avg.frame["Month"].to_list()[-1] == "Average per month"
    months = avg.frame["2022-23"].to_list()[:12]
    assert avg.frame["2022-23"][12] == pytest.approx(sum(months) / 12)
    assert len(avg.lines()) == 2


def test_missing_and_rhi_months_with_year_row(frames):
    miss = tables.missing_by_month(frames["metrics"], **KW).suppressed_with(5)
    pub = miss.published()
    assert pub["Month"].to_list()[4] == "August 2022" and pub["Month"][12] == "Year 2022-23"
    assert pub["Individual young people"][4] == "c"
    assert pub["Individual young people"][12] == "341"
    assert "c" not in pub["Reports received"].to_list()   # not small, other column
    rhi = tables.rhi_by_month(frames["metrics"], **KW).suppressed_with(5)
    pub = rhi.published()
    acc, done, pct = rhi.value_columns
    assert (pub[acc][4], pub[done][4], pub[pct][4]) == ("c", "c", "c")
    # secondary suppression in both additive columns, year row shown
    assert pub[acc].to_list()[:12].count("c") == 2 and pub[acc][12] != "c"
    assert pub[done].to_list()[:12].count("c") == 2
    # a % is hidden wherever its numerator or denominator is
    for i in range(13):
        if pub[acc][i] == "c" or pub[done][i] == "c":
            assert pub[pct][i] == "c"
    assert sdc.recoverable_lines(rhi.suppressed, rhi.lines(), rhi.cells()) == []


def test_contacts_24h_uses_numerator(frames):
    t = tables.contacts_24h_by_month(frames["metrics"], **KW)
    m = frames["metrics"].filter((pl.col("metric_id") == "contacts_concluded_24h_pct")
                                 & (pl.col("period") == "2022-04"))
    assert t.frame["Concluded within 24 hours"][0] == m["numerator"][0]
    assert t.frame["% concluded within 24 hours"][0] == pytest.approx(m["value"][0])


def test_missing_metrics_give_blanks_not_errors():
    empty = synthetic_frames()["metrics"].clear()
    sc = synthetic_frames()["scorecard"].clear()
    for t in tables.all_tables(empty, sc, **KW):
        pub = t.published()
        assert pub.height >= 1
        assert set().union(*(set(pub[c].to_list()) for c in t.value_columns)) <= {"", "c"}


def test_month_period_names_the_months_it_covers_and_shows_no_later_month(frames):
    t = tables.cin_by_month(frames["metrics"], period="2022-07", la_code=LA, la_name="Barnsley")
    assert t.frame.columns == ["Month", "2021-22", "2022-23 to July"]
    assert t.title.endswith("2021-22 and 2022-23 to July")
    assert (t.period, t.covers) == ("2021-04/2022-07", "April 2021 to July 2022")
    this = t.frame["2022-23 to July"].to_list()
    assert all(v is not None for v in this[:4]) and this[4:] == [None] * 8   # August onwards
    assert t.frame["2021-22"].null_count() == 0                              # last year whole
    miss = tables.missing_by_month(frames["metrics"], period="2022-07", la_code=LA,
                                   la_name="Barnsley")
    assert miss.frame["Month"].to_list() == ["April 2022", "May 2022", "June 2022", "July 2022",
                                             "Year to date (April 2022 to July 2022)"]
    assert miss.title == "Children missing from home, April 2022 to July 2022"
    # no year-to-date figure in the metrics: the year row is blank, never the whole year's
    assert miss.frame.row(-1)[1:] == (None, None)
    with pytest.raises(ValueError):
        tables.cin_by_month(frames["metrics"], period="2022-13", la_code=LA, la_name="Barnsley")


def test_other_la_rows_ignored(frames):
    other = frames["metrics"].with_columns(pl.lit(999, dtype=pl.Int64).alias("la_code"))
    t = tables.cin_by_month(other, **KW)
    assert t.frame["2022-23"].null_count() == 12


def test_unrecognised_codes_kept_as_rows(frames):
    extra = pl.DataFrame([_row("cin_by_primary_need", "2022-23", 7, HOSTILE)],
                         schema=frames["metrics"].schema)
    t = tables.cin_by_primary_need(pl.concat([frames["metrics"], extra]), **KW)
    assert HOSTILE in t.frame["Code"].to_list()
    assert t.frame.filter(pl.col("Code") == HOSTILE)["Primary need"][0] == "Unrecognised code"


def test_all_tables_marks_provisional(frames):
    ts = tables.all_tables(frames["metrics"], frames["scorecard"], **KW,
                           provisional_metrics=frozenset({"rhi_completed_72h_pct"}))
    # the order of the 2022/23 annual report: contacts (JTAI section), then safeguarding data
    assert [t.name for t in ts] == ["contacts_24h_by_month", "referral_sources", "cin_by_month",
                                    "cin_by_primary_need", "cp_by_latest_category",
                                    "cp_per_month", "missing_by_month", "rhi_by_month"]
    marked = {t.name for t in ts if t.provisional}
    assert marked == {"rhi_by_month"}
    assert "PROVISIONAL" in next(t for t in ts if t.name == "rhi_by_month").note
    for t in ts:
        assert sdc.recoverable_lines(t.suppressed, t.lines(), t.cells()) == []


def test_render_all_writes_everything_identically(tmp_path):
    from scorecard.report import render_all

    f = synthetic_frames()
    kw = dict(period="2022-23", la_code=LA, la_name="Barnsley", errors_failed=True, **f)
    first = render_all(tmp_path / "a", **kw)
    second = render_all(tmp_path / "b", **kw)
    rel = [p.relative_to(tmp_path / "a").as_posix() for p in first]
    assert rel == sorted(rel)
    assert rel == [p.relative_to(tmp_path / "b").as_posix() for p in second]
    assert {"scorecard.html", "tables/annual_report_tables.xlsx", "tables/index.csv",
            "tables/referral_sources.csv", "charts/referral_sources.png",
            "charts/referral_sources.svg"} <= set(rel)
    assert len([r for r in rel if r.startswith("tables/") and r.endswith(".csv")]) == 9
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a
    index = pl.read_csv(tmp_path / "a" / "tables" / "index.csv")
    assert index.filter(pl.col("status") == "provisional")["file"].to_list() == [
        "rhi_by_month.csv"]
    published = pl.read_csv(tmp_path / "a" / "tables" / "missing_by_month.csv",
                            infer_schema=False)
    assert published["Individual young people"][4] == "c"


def test_render_all_bad_input_is_a_clear_error(tmp_path):
    from scorecard.errors import ConfigError, ScorecardError
    from scorecard.report import render_all

    f = synthetic_frames()
    kw = dict(la_code=LA, la_name="Barnsley", **f)
    with pytest.raises(ConfigError, match="2022-99"):
        render_all(tmp_path, period="2022-99", **kw)
    with pytest.raises(ConfigError, match="threshold"):
        render_all(tmp_path, period="2022-23", threshold=0, **kw)
    kw["metrics"] = f["metrics"].drop("numerator")
    with pytest.raises(ScorecardError, match="metrics frame lacks column.*numerator"):
        render_all(tmp_path, period="2022-23", **kw)
    assert not any(tmp_path.iterdir())


def test_status_follows_lineage_not_the_recomputed_change(tmp_path):
    from scorecard.report import render_all

    f = synthetic_frames()
    # no recomputed change at all: the error still marks what its records feed (RHI figures)
    f["impact"] = f["impact"].clear()
    render_all(tmp_path / "a", period="2022-23", la_code=LA, la_name="Barnsley",
               errors_failed=True, **f)
    index = pl.read_csv(tmp_path / "a" / "tables" / "index.csv", infer_schema=False)
    assert index.filter(pl.col("status") == "provisional")["file"].to_list() == ["rhi_by_month.csv"]
    reason = index.filter(pl.col("file") == "rhi_by_month.csv")["status_reason"][0]
    assert "[rhi_completed_before_return]" in reason
    # an error on records no figure reads leaves every table final
    f["validation"] = f["validation"].with_columns(pl.lit("children").alias("table"))
    render_all(tmp_path / "b", period="2022-23", la_code=LA, la_name="Barnsley",
               errors_failed=True, **f)
    assert set(pl.read_csv(tmp_path / "b" / "tables" / "index.csv")["status"]) == {"final"}
    # an error on a table the package does not know could touch anything
    f["validation"] = f["validation"].with_columns(pl.lit("mystery").alias("table"))
    render_all(tmp_path / "c", period="2022-23", la_code=LA, la_name="Barnsley",
               errors_failed=True, **f)
    assert set(pl.read_csv(tmp_path / "c" / "tables" / "index.csv")["status"]) == {"provisional"}
