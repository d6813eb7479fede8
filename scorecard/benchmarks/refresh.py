"""Rebuild the benchmark package data from DfE files exactly as published.

:func:`refresh` reads the Children in need LA-level CSVs, the ONS 0–17 populations published
with them, the LAIT long parquet and the DfE statistical-neighbour groupings, and writes the
small tidy tables of ``scorecard/data/benchmarks/`` plus ``SOURCES.md`` naming every release.
DfE suppression and "not available" markers (``c``, ``z``, ``x``, ``k``, ``u``, ``low``, LAIT's
``-``, a blank) become a missing value; the marker is kept in a ``status`` column (``blank``
for an empty cell, ``""`` when a number was published).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from ..errors import ConfigError, StructuralError
from ..reference import DATA_DIR, ENGLAND, clear_cache
from . import census_series
from .series import RATES, SERIES

__all__ = ["FIRST_YEAR", "MARKERS", "refresh"]

#: Non-numeric cell values the DfE (and LAIT: ``-``) publish in place of a number.
MARKERS = frozenset({"c", "z", "x", "k", "u", "low", "-", "blank"})

#: Oldest DfE ``time_period`` kept in the package data (keeps the wheel small).
FIRST_YEAR = 2018


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
        **census_series.D5_COLUMNS,
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
    **census_series.LAIT_SERIES,
}
_LAIT_ENGLAND, _LAIT_REGIONS, _LAIT_SUBREGIONS = 970, range(980, 991), (987, 988)

_AREA_COLUMNS = ("time_period", "level", "code", "la_name", "region_code", "region_name")


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
    tidy = pl.concat([tidy, _rates(tidy, pops, ons_release),
                      census_series.derived(tidy)]).sort("series", "year", "code")
    for name, (num, _, words) in census_series.DERIVED.items():
        series_src[name] = (series_src[num][0], lait_path.name, words)
    series_src["population"] = (ons_release, ons_path.name, "population_estimate")
    for rate, count in RATES.items():
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
         for s, (t, u) in SERIES.items()])
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
    clear_cache()
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
    for rate, count in RATES.items():
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
              "(codes 2A and 2B) may be slightly wider.", "",
              census_series.NOT_PUBLISHED_NOTE, ""]
    return "\n".join(lines)
