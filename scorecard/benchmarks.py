"""Benchmarks: every scorecard figure beside England, the region and the DfE statistical neighbours.

The comparators ship as small tidy package data in ``scorecard/data/benchmarks/``, rebuilt by
:func:`refresh` from DfE files exactly as published (Children in need LA-level CSVs, the ONS
0–17 populations published with them, the LAIT long parquet and the DfE statistical-neighbour
groupings). ``SOURCES.md`` beside the data names every release and file used.

Public API
----------
- :func:`refresh` — rebuild the package data from a folder of DfE files.
- :func:`population`, :func:`la_name`, :func:`region_of`, :func:`statistical_neighbours`,
  :func:`grouping_for_period` — lookups.
- :func:`compare` — the scorecard frame (``scorecard.csv``).
- :func:`reconcile` — the package's own values beside the DfE's published figures for the LA.
- :class:`Benchmarks` — the same, over benchmark data in any folder.

Conventions
-----------
- A DfE ``time_period`` of 2023 is the financial year 2022-23 (year ending 31 March 2023).
- Rates per 10,000 are computed from published counts and the ONS mid-year 0–17 estimate of
  the calendar year the financial year starts in (mid-2022 for 2022-23), as in ``metrics.md``.
- DfE suppression and "not available" markers (``c``, ``z``, ``x``, ``k``, ``u``, ``low``, LAIT's
  ``-``, a blank) become a missing value; the marker is kept in a ``status`` column
  (``blank`` for an empty cell, ``""`` when a number was published).

RAG rule (metrics with a polarity; neutral metrics get no RAG)
--------------------------------------------------------------
- green: the LA's value is at least as good as the statistical-neighbour mean;
- amber: worse than the statistical-neighbour mean but at least as good as England;
- red: worse than both the statistical-neighbour mean and England.
Where only one of the two comparators is published, green when at least as good as it, red
otherwise. No RAG when the LA has no value or neither comparator is published.

Quartile and rank
-----------------
The LA's own (package-computed) value is placed among the other English LAs' published values
for the benchmark year. ``rank`` = 1 + the number of other LAs with a strictly better value
(ties share the best rank); ``rank_of`` = the number of LAs with a value (the others, plus the
LA itself when it has a value); ``quartile`` = ``floor(4 * (rank - 1) / rank_of) + 1`` (1 = best).
"Better" follows the metric's polarity: higher for ``higher``, lower for ``lower``; for
``neutral`` metrics rank 1 and quartile 1 are the *lowest* value (not a judgement).
"""
from __future__ import annotations

import hashlib
import math
import re
import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import polars as pl

from scorecard.errors import ConfigError, StructuralError
from scorecard.metrics.front_door import SOURCE_GROUPS  # one definition of the source groups
from scorecard.periods import parse_period

__all__ = [
    "Benchmarks", "refresh", "population", "la_name", "region_of", "statistical_neighbours",
    "grouping_for_period", "compare", "reconcile", "GROUPINGS", "SOURCE_GROUPS",
    "SCORECARD_COLUMNS", "RECONCILE_COLUMNS", "MARKERS",
]

#: The folder the package data lives in (shipped in the wheel).
DATA_DIR = Path(__file__).parent / "data" / "benchmarks"

#: Non-numeric cell values the DfE (and LAIT: ``-``) publish in place of a number.
MARKERS = frozenset({"c", "z", "x", "k", "u", "low", "-", "blank"})

#: Statistical-neighbour groupings and the last financial year each is in force for.
GROUPINGS = {"april_2021": "2024-25", "may_2025": None}

#: Oldest DfE ``time_period`` kept in the package data (keeps the wheel small).
FIRST_YEAR = 2018

ENGLAND = "E92000001"

SCORECARD_COLUMNS = {
    "metric_id": pl.Utf8, "title": pl.Utf8, "unit": pl.Utf8, "polarity": pl.Utf8,
    "period": pl.Utf8, "breakdown": pl.Utf8, "la_code": pl.Int64, "la_name": pl.Utf8,
    "value": pl.Float64, "previous_value": pl.Float64, "england": pl.Float64,
    "region": pl.Float64, "region_name": pl.Utf8, "sn_mean": pl.Float64,
    "sn_median": pl.Float64, "sn_grouping": pl.Utf8, "quartile": pl.Int64, "rank": pl.Int64,
    "rank_of": pl.Int64, "rag": pl.Utf8, "direction": pl.Utf8, "benchmark_period": pl.Utf8,
    "source": pl.Utf8,
}

RECONCILE_COLUMNS = {
    "metric_id": pl.Utf8, "title": pl.Utf8, "unit": pl.Utf8, "period": pl.Utf8,
    "breakdown": pl.Utf8, "la_code": pl.Int64, "la_name": pl.Utf8, "value": pl.Float64,
    "published": pl.Float64, "published_status": pl.Utf8, "difference": pl.Float64,
    "pct_difference": pl.Float64, "benchmark_period": pl.Utf8, "source": pl.Utf8,
}


# --------------------------------------------------------------------------------------------
# What is read from which DfE file
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _CscFile:
    """A DfE Children in need LA-level CSV: file-name pattern and series -> column names."""

    key: str
    pattern: str
    columns: dict[str, tuple[str, ...]]  # series -> accepted column names (first found wins)


_CSC_FILES = (
    _CscFile("c1", r"c1_children_in_need_referrals_and_rereferrals_(\d{4})_to_(\d{4})\.csv", {
        "referrals": ("referral_count", "Referrals"),
        "rereferrals_pct": ("rereferral_percent", "Re_referrals_percent"),
        "referrals_nfa_pct": ("no_further_action_percent", "No_Further_Action_percent"),
    }),
    _CscFile("b1", r"b1_children_in_need_(\d{4})_to_(\d{4})\.csv", {
        "cin_at_31_march": ("At31_episodes",),
    }),
    _CscFile("d3", r"d3_cpps_subsequent_plan_(\d{4})_to_(\d{4})\.csv", {
        "cpp_starts": ("CPP_start",),
        "cpp_second_or_subsequent_pct": ("CPP_subsequent_percent",),
    }),
    _CscFile("d5", r"d5_cpps_at31march_by_duration_(\d{4})_to_(\d{4})\.csv", {
        "cpp_at_31_march": ("CPP_At31",),
    }),
)
_ONS_PATTERN = r"ons_mid-year_population_estimates_(\d{4})_to_(\d{4})\.csv"
_LAIT_PATTERN = r"lait_bds_long.*\.parquet"
_LAIT_DICTIONARY = r"lait_.*data_dictionary\.csv"
_SN_PATTERNS = {
    "april_2021": r"New_Statistical_Neighbour_Groupings_April_2021\.csv",
    "may_2025": r"sn_model_2025_wide\.csv",
}

#: LAIT indicator (``Short Desc``) -> series.
_LAIT_SERIES = {
    "Continue_Assess_Comp": "assessments_45wd_pct",
    "CPPlans2yrs": "cpp_ended_2yrs_plus_pct",
    "RefBySource_Police_%": "referral_source_police_pct",
    "RefBySource_Schl_%": "referral_source_schools_pct",
    "RefBySource_HealthServ_%": "referral_source_health_pct",
}
_LAIT_ENGLAND, _LAIT_REGIONS, _LAIT_SUBREGIONS = 970, range(980, 991), (987, 988)

#: Rate series computed from a count series and the ONS 0–17 population.
_RATES = {
    "referrals_rate_per_10k": "referrals",
    "cin_rate_per_10k": "cin_at_31_march",
    "cpp_rate_per_10k": "cpp_at_31_march",
}

#: Series: (title, unit). Order is the order of the data files.
_SERIES = {
    "referrals": ("Referrals in the year", "count"),
    "referrals_rate_per_10k": ("Referrals per 10,000 children aged 0-17", "rate_per_10k"),
    "rereferrals_pct": ("Re-referrals within 12 months (% of referrals)", "percent"),
    "referrals_nfa_pct": ("Referrals closed with no further action (%)", "percent"),
    "cin_at_31_march": ("Children in need at 31 March", "count"),
    "cin_rate_per_10k": ("Children in need at 31 March per 10,000 children aged 0-17",
                         "rate_per_10k"),
    "cpp_at_31_march": ("Children on a child protection plan at 31 March", "count"),
    "cpp_rate_per_10k": ("Child protection plans at 31 March per 10,000 children aged 0-17",
                         "rate_per_10k"),
    "cpp_starts": ("Child protection plans starting in the year", "count"),
    "cpp_second_or_subsequent_pct": ("Plans starting that were a second or subsequent plan (%)",
                                     "percent"),
    "cpp_ended_2yrs_plus_pct": ("Plans ending in the year that lasted 2 years or more (%)",
                                "percent"),
    "assessments_45wd_pct": ("Assessments completed within 45 working days (%)", "percent"),
    "referral_source_police_pct": ("Referrals by source: Police (%)", "percent"),
    "referral_source_schools_pct": ("Referrals by source: Schools (%)", "percent"),
    "referral_source_health_pct": ("Referrals by source: Health services (%)", "percent"),
    "population": ("Children aged 0-17, ONS mid-year estimate (populations.csv)", "count"),
}

#: (metric_id, breakdown) -> series, for the metrics compared in the scorecard, in order.
COMPARATORS: dict[tuple[str, str], str | None] = {
    ("referrals_rate_per_10k", ""): "referrals_rate_per_10k",
    ("rereferrals_12m_pct", ""): "rereferrals_pct",
    ("referrals_nfa_pct", ""): "referrals_nfa_pct",
    **{("referral_source_pct", g): s for g, s in zip(SOURCE_GROUPS, (
        "referral_source_police_pct", "referral_source_schools_pct",
        "referral_source_health_pct", None, None, None, None), strict=True)},
    ("assessments_within_45wd_pct", ""): "assessments_45wd_pct",
    ("cin_rate_per_10k", ""): "cin_rate_per_10k",
    ("cpp_rate_per_10k", ""): "cpp_rate_per_10k",
    ("cpp_second_or_subsequent_pct", ""): "cpp_second_or_subsequent_pct",
    ("cpp_ended_2yrs_plus_pct", ""): "cpp_ended_2yrs_plus_pct",
}

#: (metric_id, breakdown) -> series for which the DfE published the LA's own figure.
RECONCILED: dict[tuple[str, str], str] = {
    ("referrals", ""): "referrals",
    ("cin_at_31_march", ""): "cin_at_31_march",
    ("cpp_at_31_march", ""): "cpp_at_31_march",
    ("cpp_starts", ""): "cpp_starts",
    **{k: v for k, v in COMPARATORS.items() if v is not None},
}

_NOT_PUBLISHED = ("not published in the DfE files used: LAIT publishes referrals by source "
                  "at LA level only for Police, Schools and Health services")

#: Used when ``scorecard.metrics.catalogue()`` is not available (polarity from interface 3).
_FALLBACK_CATALOGUE = {
    "referrals": ("Referrals", "count", "neutral"),
    "referrals_rate_per_10k": ("Referrals per 10,000 children", "rate_per_10k", "neutral"),
    "rereferrals_12m_pct": ("Re-referrals within 12 months (%)", "percent", "lower"),
    "referrals_nfa_pct": ("Referrals with no further action (%)", "percent", "neutral"),
    "referral_source_pct": ("Referrals by source (%)", "percent", "neutral"),
    "assessments_within_45wd_pct": ("Assessments within 45 working days (%)", "percent",
                                    "higher"),
    "cin_at_31_march": ("Children in need at 31 March", "count", "neutral"),
    "cin_rate_per_10k": ("Children in need per 10,000 children", "rate_per_10k", "neutral"),
    "cpp_at_31_march": ("Child protection plans at 31 March", "count", "neutral"),
    "cpp_rate_per_10k": ("Child protection plans per 10,000 children", "rate_per_10k",
                         "neutral"),
    "cpp_starts": ("Child protection plans starting", "count", "neutral"),
    "cpp_second_or_subsequent_pct": ("Second or subsequent child protection plans (%)",
                                     "percent", "lower"),
    "cpp_ended_2yrs_plus_pct": ("Plans ended that lasted 2 years or more (%)", "percent",
                                "lower"),
}

_EPS = 1e-9
_AREA_COLUMNS = ("time_period", "level", "code", "la_name", "region_code", "region_name")


# --------------------------------------------------------------------------------------------
# refresh: DfE files -> package data
# --------------------------------------------------------------------------------------------

def refresh(src_dir: Path, dest_dir: Path | None = None) -> list[Path]:
    """Rebuild the benchmark package data from DfE files as published.

    ``src_dir`` is searched (recursively) for the files below; where a file appears in more
    than one release (e.g. ``c1_..._2013_to_2023.csv`` and ``c1_..._2013_to_2025.csv``) the
    latest release is used. Needed: the Children in need LA-level CSVs ``b1``, ``c1``, ``d3``,
    ``d5``; ``ons_mid-year_population_estimates_*.csv``; ``lait_bds_long*.parquet`` (and,
    optionally, the LAIT data dictionary for its update dates); the statistical-neighbour
    groupings ``New_Statistical_Neighbour_Groupings_April_2021.csv`` and
    ``sn_model_2025_wide.csv``.

    Writes ``values.csv``, ``populations.csv``, ``areas.csv``, ``neighbours.csv``,
    ``series.csv`` and ``SOURCES.md`` to ``dest_dir`` (default: the package data folder) and
    returns their paths. Raises :class:`ConfigError` when a needed file is missing and
    :class:`StructuralError` (file, row, column) when a file lacks a column or holds a value that
    is neither a number nor a known DfE marker. Nothing is written unless every file reads.
    """
    src_dir = Path(src_dir)
    dest = Path(dest_dir) if dest_dir is not None else DATA_DIR
    if not src_dir.is_dir():
        raise ConfigError(f"benchmark source folder {src_dir} does not exist")
    found = sorted(p for p in src_dir.rglob("*") if p.is_file())

    used: list[tuple[str, Path, str]] = []   # (what, file, release)
    values, areas, series_src = [], [], {}
    for spec in _CSC_FILES:
        path, release = _latest(found, spec.pattern, spec.key)
        used.append((spec.key, path, release))
        frame = _read_csc(path)
        areas.append(frame)
        for series, names in spec.columns.items():
            col = _pick_column(frame, names, path)
            values.append(_tidy(frame, col, series, path))
            series_src[series] = (release, path.name, col)

    ons_path, ons_release = _latest(found, _ONS_PATTERN, "ons")
    used.append(("ons", ons_path, ons_release))
    ons = _read_csc(ons_path)
    pops = _tidy(ons, _pick_column(ons, ("population_estimate",), ons_path), "population",
                 ons_path, first_year=FIRST_YEAR - 1)

    lait_path = _only(found, _LAIT_PATTERN, "LAIT long data (lait_bds_long_*.parquet)")
    dictionary = [p for p in found if re.fullmatch(_LAIT_DICTIONARY, p.name)]
    updated = _lait_updates(dictionary[0]) if dictionary else {}
    region_codes = _region_codes(pl.concat([a.select("region_code", "region_name")
                                            for a in areas]))
    lait = _read_lait(lait_path, region_codes)
    values.append(lait)
    lait_release = "DfE Local Authority Interactive Tool (LAIT)"
    used.append(("lait", lait_path, lait_release))
    for indicator, series in _LAIT_SERIES.items():
        when = f", updated {updated[indicator]}" if indicator in updated else ""
        series_src[series] = (f"{lait_release}{when}", lait_path.name, indicator)
    if dictionary:
        used.append(("lait_dictionary", dictionary[0], lait_release))

    neighbours = []
    for grouping, pattern in _SN_PATTERNS.items():
        path = _only(found, pattern, f"statistical-neighbour grouping {grouping}")
        used.append((grouping, path, f"DfE statistical neighbours, {grouping}"))
        neighbours.append(_read_neighbours(path, grouping))

    tidy = pl.concat(values).sort("series", "year", "code")
    tidy = pl.concat([tidy, _rates(tidy, pops, ons_release)]).sort("series", "year", "code")
    series_src["population"] = (ons_release, ons_path.name, "population_estimate")
    for rate, count in _RATES.items():
        release, name, col = series_src[count]
        series_src[rate] = (release, name, f"{col} / population_estimate x 10,000")
    dup = tidy.filter(pl.struct("series", "year", "code").is_duplicated())
    if dup.height:
        row = dup.row(0, named=True)
        raise StructuralError(str(src_dir), f"more than one {row['series']} value for area "
                              f"{row['code']} in {row['year']}")

    area_table = _areas(pl.concat([f.select(_AREA_COLUMNS) for f in areas + [ons]]))
    series_table = pl.DataFrame(
        [{"series": s, "title": t, "unit": u, "release": series_src[s][0],
          "file": series_src[s][1], "column": series_src[s][2]}
         for s, (t, u) in _SERIES.items()])
    dest.mkdir(parents=True, exist_ok=True)
    outputs = {
        "values.csv": tidy.select("series", "year", "code", "value", "status"),
        "populations.csv": pops.select("year", "code", pl.col("value").alias("population"),
                                       "status").sort("year", "code"),
        "areas.csv": area_table,
        "neighbours.csv": pl.concat(neighbours),
        "series.csv": series_table,
    }
    written = []
    for name, frame in outputs.items():
        frame.write_csv(dest / name, float_precision=None)
        written.append(dest / name)
    (dest / "SOURCES.md").write_text(_sources_md(used, series_table, src_dir), encoding="utf-8")
    written.append(dest / "SOURCES.md")
    _load.cache_clear()
    return written


def _latest(found: list[Path], pattern: str, what: str) -> tuple[Path, str]:
    """The file matching ``pattern`` from the latest release, and the release's name."""
    matches = [(m, p) for p in found if (m := re.fullmatch(pattern, p.name))]
    if not matches:
        raise ConfigError(f"no {what} file matching {pattern!r} under the benchmark source folder")
    m, path = max(matches, key=lambda mp: (int(mp[0].group(2)), mp[1].as_posix()))
    end = int(m.group(2))
    if what == "ons":
        return path, f"ONS mid-year population estimates, children aged 0-17, mid-{m.group(1)} " \
                     f"to mid-{end} (as published by the DfE)"
    title = "Children in need" if end >= 2024 else "Characteristics of children in need"
    return path, f"DfE {title} {end}, LA level"


def _only(found: list[Path], pattern: str, what: str) -> Path:
    matches = sorted(p for p in found if re.fullmatch(pattern, p.name))
    if not matches:
        raise ConfigError(f"no {what} file matching {pattern!r} under the benchmark source folder")
    return matches[-1]


def _read_csv_text(path: Path) -> pl.DataFrame:
    """Read a CSV with every column as text (no DfE marker is mistaken for a parse error)."""
    try:
        frame = pl.read_csv(path, infer_schema_length=0, encoding="utf8-lossy")
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise StructuralError(str(path), f"cannot be read as CSV: {exc}") from None
    return frame.rename({c: c.lstrip("\ufeff").strip() for c in frame.columns})


def _read_csc(path: Path) -> pl.DataFrame:
    """A DfE LA-level CSV, with ``code`` (England / region / LA code) and ``_row`` added."""
    frame = _read_csv_text(path)
    lower = {c.lower(): c for c in frame.columns}
    need = ("time_period", "geographic_level", "region_code", "region_name", "old_la_code",
            "la_name")
    for name in need:
        if name not in lower:
            raise StructuralError(str(path), "missing column", column=name)
    frame = frame.rename({lower[n]: n for n in need}).with_row_index("_row", offset=2)
    level = pl.col("geographic_level").str.strip_chars().str.to_lowercase()
    frame = frame.with_columns(
        pl.col("_row").cast(pl.Int64),
        pl.when(level == "national").then(pl.lit("england"))
        .when(level == "regional").then(pl.lit("region"))
        .when(level == "local authority").then(pl.lit("la"))
        .alias("level"))
    frame = frame.with_columns(
        pl.when(pl.col("level") == "england").then(pl.lit(ENGLAND))
        .when(pl.col("level") == "region").then(pl.col("region_code").str.strip_chars())
        .when(pl.col("level") == "la").then(pl.col("old_la_code").str.strip_chars())
        .alias("code"))
    bad_year = frame.filter(~pl.col("time_period").str.strip_chars().str.contains(r"^\d{4}$"))
    if bad_year.height:
        raise StructuralError(str(path), f"time_period {bad_year['time_period'][0]!r} is not a "
                              "year", row=int(bad_year["_row"][0]), column="time_period")
    bad_la = frame.filter((pl.col("level") == "la")
                          & ~pl.col("code").fill_null("").str.contains(r"^\d{3}$"))
    if bad_la.height:
        raise StructuralError(str(path), "local authority row without a 3-digit old_la_code",
                              row=int(bad_la["_row"][0]), column="old_la_code")
    # Inner/Outer London (E13) are sub-regions: LAs belong to London (E12000007).
    return frame.filter(pl.col("level").is_not_null()
                        & ~((pl.col("level") == "region")
                            & ~pl.col("code").fill_null("").str.starts_with("E12")))


def _pick_column(frame: pl.DataFrame, names: tuple[str, ...], path: Path) -> str:
    lower = {c.lower(): c for c in frame.columns}
    for name in names:
        if name.lower() in lower:
            return lower[name.lower()]
    raise StructuralError(str(path), "missing column", column=names[0])


def _parse_values(frame: pl.DataFrame, col: str, path: Path) -> pl.DataFrame:
    """Add ``value`` (Float64) and ``status`` (the DfE marker, ``blank``, or ``""``)."""
    text = pl.col(col).cast(pl.Utf8).str.strip_chars().fill_null("")
    number = text.cast(pl.Float64, strict=False)
    out = frame.with_columns(
        number.alias("value"),
        pl.when(number.is_not_null()).then(pl.lit(""))
        .when(text == "").then(pl.lit("blank"))
        .otherwise(text.str.to_lowercase()).alias("status"))
    bad = out.filter(~pl.col("status").is_in(["", *MARKERS])
                     | (pl.col("value").is_not_null() & ~pl.col("value").is_finite()))
    if bad.height:
        row = bad.row(0, named=True)
        raise StructuralError(str(path), f"value {row[col]!r} is neither a number nor a DfE "
                              f"marker ({', '.join(sorted(MARKERS - {'blank'}))})",
                              row=int(row["_row"]), column=col)
    return out


def _tidy(frame: pl.DataFrame, col: str, series: str, path: Path,
          first_year: int = FIRST_YEAR) -> pl.DataFrame:
    out = _parse_values(frame, col, path)
    return out.select(
        pl.lit(series).alias("series"),
        pl.col("time_period").str.strip_chars().cast(pl.Int64).alias("year"),
        "code", "value", "status",
    ).filter(pl.col("year") >= first_year)


def _region_codes(regions: pl.DataFrame) -> dict[str, str]:
    """Lower-cased region name -> E12 code, from the CIN files' own region columns."""
    pairs = regions.drop_nulls().unique().filter(pl.col("region_code").str.starts_with("E12"))
    return {n.strip().lower(): c.strip() for c, n in pairs.iter_rows()}


def _read_lait(path: Path, region_codes: dict[str, str]) -> pl.DataFrame:
    """The LAIT indicators in ``_LAIT_SERIES`` as tidy rows (England 970, regions 980-990)."""
    try:
        raw = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise StructuralError(str(path), f"cannot be read as parquet: {exc}") from None
    for name in ("Short Desc", "Years", "LA and Regions", "Values", "LA Number"):
        if name not in raw.columns:
            raise StructuralError(str(path), "missing column", column=name)
    raw = raw.with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))
    raw = raw.filter(pl.col("Short Desc").is_in(list(_LAIT_SERIES))
                     & pl.col("Years").str.contains(r"^\d{4}$"))
    raw = _parse_values(raw, "Values", path)
    number = pl.col("LA Number").cast(pl.Int64, strict=False)
    names = pl.col("LA and Regions").str.strip_chars().str.to_lowercase()
    code = (pl.when(number == _LAIT_ENGLAND).then(pl.lit(ENGLAND))
            .when(number.is_in(list(_LAIT_REGIONS)))
            .then(names.replace_strict(region_codes, default=None))
            .when(number < _LAIT_ENGLAND).then(number.cast(pl.Utf8).str.zfill(3)))
    out = raw.filter(~number.is_in(list(_LAIT_SUBREGIONS))).select(
        pl.col("Short Desc").replace_strict(_LAIT_SERIES).alias("series"),
        pl.col("Years").cast(pl.Int64).alias("year"),
        code.alias("code"), "value", "status", "_row")
    missing = out.filter(pl.col("code").is_null())
    if missing.height:
        raise StructuralError(str(path), "area is neither England, a region nor an LA",
                              row=int(missing["_row"][0]), column="LA and Regions")
    return out.filter(pl.col("year") >= FIRST_YEAR).drop("_row")


def _lait_updates(path: Path) -> dict[str, str]:
    """LAIT indicator -> its "Last Update" date (ISO) from the LAIT data dictionary."""
    frame = _read_csv_text(path)
    if not {"Measure_short", "Last Update"} <= set(frame.columns):
        raise StructuralError(str(path), "missing column", column="Last Update")
    out = {}
    for short, serial in frame.select("Measure_short", "Last Update").iter_rows():
        if short in _LAIT_SERIES and serial and serial.strip().isdigit():
            # Excel serial date (days since 1899-12-30).
            out[short] = (date(1899, 12, 30) + timedelta(days=int(serial))).isoformat()
    return out


def _read_neighbours(path: Path, grouping: str) -> pl.DataFrame:
    """A DfE statistical-neighbour table (one LA a row: SN1..SN10 and closeness) as tidy rows."""
    frame = _read_csv_text(path).with_row_index("_row", offset=2)
    cols = frame.columns
    la_col = next((c for c in cols if c.lower() in ("la num", "old_la_code")), None)
    sn_cols = [c for c in cols if re.fullmatch(r"SN_?(\d+)", c)]
    if la_col is None:
        raise StructuralError(str(path), "missing column", column="LA num")
    if len(sn_cols) < 1:
        raise StructuralError(str(path), "missing column", column="SN1")
    rows = []
    for rec in frame.iter_rows(named=True):
        la = (rec[la_col] or "").strip()
        if not la:
            continue
        if not la.isdigit():
            raise StructuralError(str(path), f"LA code {la!r} is not a number",
                                  row=int(rec["_row"]), column=la_col)
        for c in sn_cols:
            position = int(re.fullmatch(r"SN_?(\d+)", c).group(1))
            closeness_col = cols[cols.index(c) + 1] if cols.index(c) + 1 < len(cols) else None
            neighbour = (rec[c] or "").strip()
            if not neighbour:
                continue
            if not neighbour.isdigit():
                raise StructuralError(str(path), f"neighbour code {neighbour!r} is not a number",
                                      row=int(rec["_row"]), column=c)
            closeness = (rec[closeness_col] or "").strip() if closeness_col else ""
            rows.append((grouping, int(la), position, int(neighbour), closeness))
    return pl.DataFrame(rows, orient="row", schema={
        "grouping": pl.Utf8, "la_code": pl.Int64, "position": pl.Int64,
        "neighbour_code": pl.Int64, "closeness": pl.Utf8}).sort("la_code", "position")


def _rates(tidy: pl.DataFrame, pops: pl.DataFrame, release: str) -> pl.DataFrame:
    """Rates per 10,000: count for year Y over the mid-(Y-1) population (FY starting in Y-1)."""
    pop = pops.select((pl.col("year") + 1).alias("year"), "code",
                      pl.col("value").alias("pop"), pl.col("status").alias("pop_status"))
    out = []
    for rate, count in _RATES.items():
        joined = tidy.filter(pl.col("series") == count).join(pop, on=["year", "code"],
                                                             how="left")
        out.append(joined.select(
            pl.lit(rate).alias("series"), "year", "code",
            (pl.col("value") / pl.col("pop") * 10_000).round(6).alias("value"),
            pl.when(pl.col("value").is_null()).then(pl.col("status"))
            .when(pl.col("pop").is_null())
            .then(pl.col("pop_status").fill_null("x"))
            .otherwise(pl.lit("")).alias("status")))
    return pl.concat(out)


def _areas(frames: pl.DataFrame) -> pl.DataFrame:
    """One row per area (England, regions, LAs): its latest name and region."""
    latest = (frames.filter(pl.col("code").is_not_null())
              .with_columns(pl.col("time_period").cast(pl.Int64))
              .sort("time_period", descending=True)
              .unique("code", keep="first", maintain_order=True))
    name = (pl.when(pl.col("level") == "england").then(pl.lit("England"))
            .when(pl.col("level") == "region").then(pl.col("region_name"))
            .otherwise(pl.col("la_name")))
    return latest.select(
        "level", "code", name.str.strip_chars().alias("name"),
        pl.when(pl.col("level") == "england").then(pl.lit(""))
        .otherwise(pl.col("region_code")).alias("region_code"),
        pl.when(pl.col("level") == "england").then(pl.lit(""))
        .otherwise(pl.col("region_name").str.strip_chars()).alias("region_name"),
    ).sort(pl.col("level").replace_strict({"england": 0, "region": 1, "la": 2}), "code")


def _sources_md(used: list[tuple[str, Path, str]], series: pl.DataFrame, src_dir: Path) -> str:
    lines = ["# Benchmark package data: sources", "",
             "Generated by `scorecard.benchmarks.refresh` (`scorecard benchmarks refresh SRC`); "
             "do not edit by hand.",
             "DfE `time_period` Y is the financial year ending 31 March Y; values from "
             f"{FIRST_YEAR}.",
             "Rates per 10,000 (`*_rate_per_10k`) are computed from the published counts and "
             "the ONS mid-year 0-17 estimate of calendar year Y-1 (`populations.csv`, year = "
             "the calendar year of the estimate).",
             "DfE markers (c, z, x, k, u, low; LAIT `-`; blank) are kept in `status` with "
             "the value left empty.", "",
             "## Files read", "", "| use | release | file | sha256 |", "|---|---|---|---|"]
    for what, path, release in used:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        rel = path.relative_to(src_dir).as_posix()
        lines.append(f"| {what} | {release} | `{rel}` | `{digest[:16]}` |")
    lines += ["", "## Series", "", "| series | unit | release | file | column / indicator |",
              "|---|---|---|---|---|"]
    for rec in series.iter_rows(named=True):
        lines.append(f"| `{rec['series']}` | {rec['unit']} | {rec['release']} | {rec['file']} "
                     f"| `{rec['column']}` |")
    lines += ["", "## Not in these files", "",
              "Referral source groups Local Authority, Family/Friend, Legal Agency and Other: "
              "the DfE files supplied publish referrals by source at LA level only in LAIT, and "
              "only for Police, Schools and Health services (indicators RefBySource_*_%). "
              "The LAIT indicator is named 'School'; the scorecard group Schools/Education "
              "(codes 2A and 2B) may be slightly wider.", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Loading and lookups
# --------------------------------------------------------------------------------------------

@lru_cache(maxsize=8)
def _load(data_dir: str) -> dict[str, pl.DataFrame]:
    base = Path(data_dir)
    schemas = {
        "values.csv": {"series": pl.Utf8, "year": pl.Int64, "code": pl.Utf8,
                       "value": pl.Float64, "status": pl.Utf8},
        "populations.csv": {"year": pl.Int64, "code": pl.Utf8, "population": pl.Float64,
                            "status": pl.Utf8},
        "areas.csv": {"level": pl.Utf8, "code": pl.Utf8, "name": pl.Utf8,
                      "region_code": pl.Utf8, "region_name": pl.Utf8},
        "neighbours.csv": {"grouping": pl.Utf8, "la_code": pl.Int64, "position": pl.Int64,
                           "neighbour_code": pl.Int64, "closeness": pl.Utf8},
        "series.csv": {"series": pl.Utf8, "title": pl.Utf8, "unit": pl.Utf8,
                       "release": pl.Utf8, "file": pl.Utf8, "column": pl.Utf8},
    }
    out = {}
    for name, schema in schemas.items():
        path = base / name
        if not path.is_file():
            raise ConfigError(f"benchmark data {path} is missing: run "
                              "`scorecard benchmarks refresh SRC` with the DfE files")
        try:
            out[name.removesuffix(".csv")] = pl.read_csv(path, schema=schema).with_columns(
                pl.col(pl.Utf8).fill_null(""))
        except pl.exceptions.PolarsError as exc:
            raise StructuralError(str(path), f"benchmark data cannot be read: {exc}") from None
    return out


def grouping_for_period(period: str) -> str:
    """The DfE statistical-neighbour grouping in force for a financial year (or month).

    >>> grouping_for_period("2022-23"), grouping_for_period("2025-26")
    ('april_2021', 'may_2025')
    """
    label = _parse(period).financial_year.label
    for grouping, last in GROUPINGS.items():
        if last is None or label <= last:
            return grouping
    raise AssertionError("unreachable: the last grouping has no end")  # pragma: no cover


def _parse(period: str):
    try:
        return parse_period(period)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


class Benchmarks:
    """Benchmark data in one folder (default: the package data) and the operations on it."""

    def __init__(self, data_dir: Path | None = None):
        self.data_dir = Path(data_dir) if data_dir is not None else DATA_DIR

    @property
    def _data(self) -> dict[str, pl.DataFrame]:
        return _load(str(self.data_dir.resolve()))

    # -- lookups ------------------------------------------------------------------------------
    def _area(self, la_code: int) -> dict:
        if isinstance(la_code, bool) or not isinstance(la_code, int):
            raise ConfigError(f"LA code {la_code!r} is not a DfE LA code (a number such as 370)")
        areas = self._data["areas"]
        hit = areas.filter((pl.col("level") == "la") & (pl.col("code") == f"{la_code:03d}"))
        if hit.height == 0:
            raise ConfigError(f"unknown LA code {la_code}: not an English local authority in "
                              "the DfE benchmark data (e.g. 370 is Barnsley)")
        return hit.row(0, named=True)

    def la_name(self, la_code: int) -> str:
        """The LA's name as the DfE publishes it."""
        return self._area(la_code)["name"]

    def region_of(self, la_code: int) -> tuple[str, str]:
        """``(region_code, region_name)`` of the LA's government office region."""
        area = self._area(la_code)
        return area["region_code"], area["region_name"]

    def population(self, la_code: int, year: int) -> int | None:
        """ONS mid-year estimate of children aged 0–17 in the LA for calendar ``year``.

        ``None`` when the year is not published (or suppressed).
        """
        code = self._area(la_code)["code"]
        pops = self._data["populations"]
        hit = pops.filter((pl.col("code") == code) & (pl.col("year") == year))
        if hit.height == 0 or hit["population"][0] is None:
            return None
        return int(round(hit["population"][0]))

    def statistical_neighbours(self, la_code: int, grouping: str = "april_2021") -> list[int]:
        """The LA's DfE statistical neighbours (closest first) in ``grouping``."""
        self._area(la_code)
        if grouping not in GROUPINGS:
            raise ConfigError(f"unknown statistical-neighbour grouping {grouping!r}: use one of "
                              f"{', '.join(GROUPINGS)}")
        sn = self._data["neighbours"].filter((pl.col("grouping") == grouping)
                                             & (pl.col("la_code") == la_code))
        if sn.height == 0:
            raise ConfigError(f"LA {la_code} has no statistical neighbours in the {grouping} "
                              "grouping (it did not exist as an LA when the grouping was made)")
        return sn.sort("position")["neighbour_code"].to_list()

    # -- values -------------------------------------------------------------------------------
    def _year_values(self, series: str, year: int) -> pl.DataFrame:
        values = self._data["values"]
        return values.filter((pl.col("series") == series) & (pl.col("year") == year))

    def _benchmark_year(self, series: str, year: int) -> int | None:
        """``year`` if the DfE published the series for it, else the latest earlier year."""
        years = self._data["values"].filter((pl.col("series") == series)
                                            & (pl.col("year") <= year)
                                            & pl.col("value").is_not_null())["year"]
        return int(years.max()) if years.len() else None

    def _source(self, series: str, year: int) -> str:
        """The release(s) behind ``series`` for DfE year ``year``, for the ``source`` column."""
        meta = self._data["series"].filter(
            pl.col("series") == _RATES.get(series, series)).row(0, named=True)
        text = f"{meta['release']} ({meta['file']}: {meta['column']})"
        if series in _RATES:
            pop = self._data["series"].filter(pl.col("series") == "population").row(0, named=True)
            text += (f" per 10,000 children; ONS mid-{year - 1} population estimate, children "
                     f"aged 0-17 ({pop['file']})")
        return text

    # -- compare ------------------------------------------------------------------------------
    def compare(self, metrics: pl.DataFrame, *, la_code: int = 370, period: str = "2022-23",
                grouping: str | None = None,
                catalogue: pl.DataFrame | None = None) -> pl.DataFrame:
        """The scorecard frame (interface 4) for ``period`` and the previous year.

        One row per compared metric, breakdown and period (the requested financial year
        first, then the previous one), for every metric in :data:`COMPARATORS`: the spec's
        list plus ``referrals_nfa_pct`` and every ``referral_source_pct`` group. ``value`` and
        ``previous_value`` come from ``metrics`` (the package's own values; blank when absent);
        England, region and statistical-neighbour mean and median come from the DfE data for
        the benchmark year (the period's own year, or the latest published before it — see
        ``benchmark_period``). Quartile, rank, RAG and direction follow the module docstring.
        Source groups the DfE does not publish get a row with blank comparators and a
        ``source`` saying so. ``grouping`` defaults to the grouping in force for the period.
        """
        fy = _parse(period)
        if fy.kind != "year":
            raise ConfigError(f"benchmarks are annual: give a financial year such as "
                              f"{fy.financial_year.label!r}, not the month {period!r}")
        grouping = grouping or grouping_for_period(fy.label)
        area = self._area(la_code)
        neighbours = self.statistical_neighbours(la_code, grouping)
        own = _own_values(metrics, la_code)
        cat = _catalogue(catalogue)
        prev = fy.previous()
        rows = []
        for label, before in ((fy.label, prev.label), (prev.label, prev.previous().label)):
            year = int(label[:4]) + 1
            for (metric_id, breakdown), series in COMPARATORS.items():
                title, unit, polarity = cat.get(metric_id, _FALLBACK_CATALOGUE[metric_id])
                row = {
                    "metric_id": metric_id, "title": title, "unit": unit, "polarity": polarity,
                    "period": label, "breakdown": breakdown, "la_code": la_code,
                    "la_name": area["name"], "value": own.get((metric_id, label, breakdown)),
                    "previous_value": own.get((metric_id, before, breakdown)),
                    "region_name": area["region_name"], "sn_grouping": grouping,
                    "benchmark_period": "", "source": _NOT_PUBLISHED,
                }
                if series is not None:
                    row.update(self._comparators(series, year, area, neighbours, row["value"],
                                                 polarity))
                row["rag"] = _rag(row["value"], row.get("sn_mean"), row.get("england"), polarity)
                row["direction"] = _direction(row["value"], row["previous_value"], polarity)
                rows.append(row)
        return pl.DataFrame(rows, schema=SCORECARD_COLUMNS)

    def _comparators(self, series: str, year: int, area: dict, neighbours: list[int],
                     own: float | None, polarity: str) -> dict:
        used = self._benchmark_year(series, year)
        if used is None:
            return {"source": f"no DfE value for {year - 1}-{year % 100:02d} or earlier"}
        values = self._year_values(series, used).filter(pl.col("value").is_not_null())
        by_code = dict(values.select("code", "value").iter_rows())
        sn = [by_code[f"{c:03d}"] for c in neighbours if f"{c:03d}" in by_code]
        others = values.filter(pl.col("code").str.contains(r"^\d{3}$")
                               & (pl.col("code") != area["code"]))["value"].to_list()
        rank, rank_of, quartile = _rank(own, others, polarity)
        return {
            "england": by_code.get(ENGLAND), "region": by_code.get(area["region_code"]),
            "sn_mean": round(statistics.fmean(sn), 6) if sn else None,
            "sn_median": round(statistics.median(sn), 6) if sn else None,
            "rank": rank, "rank_of": rank_of, "quartile": quartile,
            "benchmark_period": f"{used - 1}-{used % 100:02d}",
            "source": self._source(series, used),
        }

    # -- reconcile ----------------------------------------------------------------------------
    def reconcile(self, metrics: pl.DataFrame, *, la_code: int = 370,
                  period: str = "2022-23") -> pl.DataFrame:
        """The package's values beside the figures the DfE published for the LA itself.

        One row per metric in :data:`RECONCILED` for ``period``: ``value`` (package),
        ``published`` (DfE; rates are the DfE count over the named ONS population),
        ``published_status`` (a DfE marker when suppressed), ``difference`` = value −
        published and ``pct_difference`` = difference / published × 100, with the source.
        Local and statutory counts differ (census rules, late recording, migration), so this
        says by how much.
        """
        fy = _parse(period)
        if fy.kind != "year":
            raise ConfigError(f"DfE figures are annual: give a financial year such as "
                              f"{fy.financial_year.label!r}, not the month {period!r}")
        area = self._area(la_code)
        own = _own_values(metrics, la_code)
        cat = _catalogue(None)
        year = fy.end.year
        rows = []
        for (metric_id, breakdown), series in RECONCILED.items():
            title, unit, _ = cat.get(metric_id, _FALLBACK_CATALOGUE[metric_id])
            hit = self._year_values(series, year).filter(pl.col("code") == area["code"])
            published = hit["value"][0] if hit.height else None
            status = hit["status"][0] if hit.height else "not published"
            value = own.get((metric_id, fy.label, breakdown))
            diff = value - published if value is not None and published is not None else None
            rows.append({
                "metric_id": metric_id, "title": title, "unit": unit, "period": fy.label,
                "breakdown": breakdown, "la_code": la_code, "la_name": area["name"],
                "value": value, "published": published, "published_status": status,
                "difference": diff,
                "pct_difference": diff / published * 100 if diff is not None and published
                else None,
                "benchmark_period": fy.label if hit.height else "",
                "source": self._source(series, year),
            })
        return pl.DataFrame(rows, schema=RECONCILE_COLUMNS)


def _own_values(metrics: pl.DataFrame, la_code: int) -> dict[tuple[str, str, str], float]:
    """(metric_id, period, breakdown) -> value for the LA, from a metrics frame (interface 2)."""
    if not isinstance(metrics, pl.DataFrame):
        raise ConfigError("metrics must be a polars DataFrame (the metrics frame)")
    need = {"metric_id", "period", "breakdown", "value"}
    if missing := need - set(metrics.columns):
        raise ConfigError(f"metrics frame lacks column(s) {', '.join(sorted(missing))}")
    frame = metrics
    if "la_code" in frame.columns:
        frame = frame.filter(pl.col("la_code").cast(pl.Int64, strict=False) == la_code)
    frame = frame.select(pl.col("metric_id").cast(pl.Utf8), pl.col("period").cast(pl.Utf8),
                         pl.col("breakdown").cast(pl.Utf8).fill_null(""),
                         pl.col("value").cast(pl.Float64, strict=False))
    out = {}
    for metric_id, period, breakdown, value in frame.iter_rows():
        if value is not None and math.isfinite(value):
            out[(metric_id, period, breakdown)] = value
    return out


def _catalogue(catalogue: pl.DataFrame | None) -> dict[str, tuple[str, str, str]]:
    """metric_id -> (title, unit, polarity) from the catalogue frame (interface 3)."""
    if catalogue is None:
        try:
            from scorecard.metrics import catalogue as metric_catalogue
        except ImportError:
            return dict(_FALLBACK_CATALOGUE)
        catalogue = metric_catalogue()
    need = {"metric_id", "title", "unit", "polarity"}
    if missing := need - set(catalogue.columns):
        raise ConfigError(f"catalogue lacks column(s) {', '.join(sorted(missing))}")
    out = dict(_FALLBACK_CATALOGUE)
    for metric_id, title, unit, polarity in catalogue.select(
            "metric_id", "title", "unit", "polarity").iter_rows():
        if polarity not in ("higher", "lower", "neutral"):
            raise ConfigError(f"catalogue polarity {polarity!r} of {metric_id} is not "
                              "higher, lower or neutral")
        out[metric_id] = (title, unit, polarity)
    return out


def _better(a: float, b: float, polarity: str) -> bool:
    """True when ``a`` is strictly better than ``b`` (neutral: lower counts as 'better')."""
    return a > b + _EPS if polarity == "higher" else a < b - _EPS


def _rank(own: float | None, others: list[float],
          polarity: str) -> tuple[int | None, int, int | None]:
    """(rank, rank_of, quartile) of ``own`` among ``others`` (see module docstring)."""
    if own is None:
        return None, len(others), None
    rank = 1 + sum(_better(v, own, polarity) for v in others)
    rank_of = len(others) + 1
    return rank, rank_of, (rank - 1) * 4 // rank_of + 1


def _rag(value: float | None, sn_mean: float | None, england: float | None,
         polarity: str) -> str:
    """green / amber / red (see module docstring); "" for neutral metrics or no comparator."""
    if polarity == "neutral" or value is None or (sn_mean is None and england is None):
        return ""
    worse_than_sn = sn_mean is not None and _better(sn_mean, value, polarity)
    worse_than_eng = england is not None and _better(england, value, polarity)
    if sn_mean is None or england is None:
        return "red" if (worse_than_sn or worse_than_eng) else "green"
    if not worse_than_sn:
        return "green"
    return "red" if worse_than_eng else "amber"


def _direction(value: float | None, previous: float | None, polarity: str) -> str:
    """Direction of travel against the previous year, using the metric's polarity."""
    if value is None or previous is None:
        return ""
    if abs(value - previous) <= _EPS:
        return "no change"
    up = value > previous
    if polarity == "neutral":
        return "up" if up else "down"
    return "improving" if up == (polarity == "higher") else "worsening"


# --------------------------------------------------------------------------------------------
# Module-level API over the package data
# --------------------------------------------------------------------------------------------

def _default() -> Benchmarks:
    return Benchmarks()


def population(la_code: int, year: int) -> int | None:
    """ONS mid-year 0–17 estimate for the LA and calendar ``year`` (``None`` if unpublished)."""
    return _default().population(la_code, year)


def la_name(la_code: int) -> str:
    """The LA's name as the DfE publishes it."""
    return _default().la_name(la_code)


def region_of(la_code: int) -> tuple[str, str]:
    """``(region_code, region_name)`` of the LA."""
    return _default().region_of(la_code)


def statistical_neighbours(la_code: int, grouping: str = "april_2021") -> list[int]:
    """The LA's DfE statistical neighbours, closest first (``april_2021`` or ``may_2025``)."""
    return _default().statistical_neighbours(la_code, grouping)


def compare(metrics: pl.DataFrame, *, la_code: int = 370, period: str = "2022-23",
            grouping: str | None = None, catalogue: pl.DataFrame | None = None) -> pl.DataFrame:
    """The scorecard frame for ``period`` and the previous year (see :meth:`Benchmarks.compare`)."""
    return _default().compare(metrics, la_code=la_code, period=period, grouping=grouping,
                              catalogue=catalogue)


def reconcile(metrics: pl.DataFrame, *, la_code: int = 370,
              period: str = "2022-23") -> pl.DataFrame:
    """Package values beside the DfE's figures for the LA (see :meth:`Benchmarks.reconcile`)."""
    return _default().reconcile(metrics, la_code=la_code, period=period)
