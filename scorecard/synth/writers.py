"""Write synthetic tables in every layout the loaders read.

``csv``, ``xlsx`` and ``parquet`` are the canonical layout (one file per extract, or one
per extract and month with ``split_monthly``); ``annex_a``, ``cin_census``, ``ssd`` (Standard
Safeguarding Dataset tables) and ``ssda903`` (the 903 Header and Missing tables) hand the
tables to :mod:`scorecard.formats`; ``mosaic`` and ``ted`` write the records each system created
as its report exports, through the shipped mapping files. Text formats (CSV, XLSX) carry the
``unparseable_dates`` overrides and record where each one landed in the answer key.
"""
from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from ..schema import TABLES
from .answer_key import AnswerKey
from .simulate import MAIN_DATE

__all__ = ["FORMATS", "ENCODINGS", "DATE_STYLES", "FLAG_STYLES", "write"]

FORMATS = ("csv", "xlsx", "parquet", "annex_a", "cin_census", "mosaic", "ted", "ssd", "ssda903")
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")
DATE_STYLES = {"iso": ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S"), "uk": ("%d/%m/%Y", "%d/%m/%Y %H:%M")}
FLAG_STYLES = {"YN": ("Y", "N"), "YesNo": ("Yes", "No"), "10": ("1", "0"), "TrueFalse": ("True", "False")}
XLSX_MAX_ROWS = 1_048_575
#: fixed document date so the same seed gives byte-identical workbooks
XLSX_CREATED = datetime(2000, 1, 1)

Overrides = dict[tuple[str, str, str], str]


def month_of(df: pl.DataFrame, table: str, tables: dict[str, pl.DataFrame]) -> pl.Series:
    """The ``YYYY-MM`` each record of ``table`` belongs to in monthly drops (null: undated): its
    main date; an interview is dated by its episode's return, then by its own dates."""
    if table == "return_interviews":
        ret = tables["missing_episodes"].select("missing_episode_id",
                                                pl.col("missing_end_datetime").alias("__ret"))
        key = df.join(ret, on="missing_episode_id", how="left", maintain_order="left").select(
            pl.coalesce(pl.col("__ret").cast(pl.Date), "rhi_offered_date",
                        pl.col("rhi_completed_datetime").cast(pl.Date))).to_series()
    else:
        key = df[MAIN_DATE[table]].cast(pl.Date)
    return key.dt.strftime("%Y-%m")


def _parts(table: str, df: pl.DataFrame, tables: dict[str, pl.DataFrame],
           split_monthly: bool) -> list[tuple[str, pl.DataFrame]]:
    """``[(file stem, rows)]``: the whole table, or one part per month of its main date."""
    if df.height == 0 and TABLES[table].optional_table:
        return []   # an optional extract with no records is not written
    if not split_monthly or table == "children":
        return [(table, df)]
    months = month_of(df, table, tables).fill_null("undated")
    tagged = df.with_columns(months.alias("__m"))
    out = []
    for (m,), part in tagged.group_by("__m", maintain_order=True):
        out.append((m, part.drop("__m")))
    fallback = max((m for m, _ in out if m != "undated"), default="1970-01")
    merged: dict[str, list[pl.DataFrame]] = {}
    for m, part in out:
        merged.setdefault(fallback if m == "undated" else m, []).append(part)
    return [(f"{table}_{m}", pl.concat(parts)) for m, parts in sorted(merged.items())]


def _apply_overrides(table: str, df: pl.DataFrame, overrides: Overrides) -> tuple[pl.DataFrame, list]:
    """Put override texts into an all-text frame; return ``[(row, column, record_id, text)]``."""
    idc = TABLES[table].id_column
    hits = []
    wanted = {(rid, col): text for (tbl, rid, col), text in overrides.items() if tbl == table}
    if not wanted:
        return df, hits
    ids = df[idc].to_list()
    position = {rid: i for i, rid in enumerate(ids)}
    for (rid, col), text in sorted(wanted.items()):
        i = position.get(rid)
        if i is None:
            continue
        df = df.with_columns(df[col].scatter(i, text))
        hits.append((i + 2, col, rid, text))
    return df, hits


def _as_text(df: pl.DataFrame, table: str, date_style: str, flag_style: str) -> pl.DataFrame:
    dfmt, tfmt = DATE_STYLES[date_style]
    yes, no = FLAG_STYLES[flag_style]
    exprs = []
    for c in TABLES[table].columns:
        col = pl.col(c.name)
        if c.kind == "date":
            exprs.append(col.dt.strftime(dfmt))
        elif c.kind == "datetime":
            exprs.append(col.dt.strftime(tfmt))
        elif c.kind == "flag":
            exprs.append(pl.when(col).then(pl.lit(yes)).when(~col).then(pl.lit(no)).otherwise(None).alias(c.name))
        else:
            exprs.append(col)
    return df.select(exprs)


def _record(key: AnswerKey, table: str, path: Path, hits: list) -> None:
    for row, col, rid, text in hits:
        key.add("unparseable_dates", table, rid, col, file=path.name, row=row, detail=text)


def write_csv(tables: dict[str, pl.DataFrame], out: Path, *, encoding: str = "utf-8",
              date_style: str = "iso", flag_style: str = "YN", split_monthly: bool = False,
              overrides: Overrides | None = None, key: AnswerKey | None = None) -> list[Path]:
    """Canonical CSV files (one per extract, or per extract and month)."""
    files = []
    for table, df in tables.items():
        for stem, part in _parts(table, df, tables, split_monthly):
            text, hits = _apply_overrides(table, _as_text(part, table, date_style, flag_style),
                                          overrides or {})
            buf = io.StringIO()
            text.write_csv(buf)
            path = out / f"{stem}.csv"
            path.write_bytes(buf.getvalue().encode(encoding))
            if key is not None:
                _record(key, table, path, hits)
            files.append(path)
    return files


def write_xlsx(tables: dict[str, pl.DataFrame], out: Path, *, split_monthly: bool = False,
               overrides: Overrides | None = None, key: AnswerKey | None = None) -> list[Path]:
    """Canonical workbooks with real date cells (flags as Y/N text)."""
    import xlsxwriter  # only this writer needs it

    files = []
    for table, df in tables.items():
        for stem, part in _parts(table, df, tables, split_monthly):
            if part.height > XLSX_MAX_ROWS:
                raise ValueError(f"{stem}: {part.height} rows do not fit in one worksheet; "
                                 "use split_monthly=True or another format")
            flags = [c.name for c in TABLES[table].columns if c.kind == "flag"]
            part = part.with_columns(
                pl.when(pl.col(f)).then(pl.lit("Y")).when(~pl.col(f)).then(pl.lit("N")).alias(f)
                for f in flags)
            path = out / f"{stem}.xlsx"
            wb = xlsxwriter.Workbook(str(path))
            wb.set_properties({"created": XLSX_CREATED})
            part.write_excel(wb, worksheet=table[:31], autofit=False, table_style=None,
                             dtype_formats={pl.Date: "yyyy-mm-dd", pl.Datetime: "yyyy-mm-dd hh:mm:ss"})
            ws = wb.get_worksheet_by_name(table[:31])
            _, hits = _apply_overrides(table, part.select(pl.all().cast(pl.Utf8)), overrides or {})
            for row, col, _rid, text in hits:
                ws.write_string(row - 1, part.columns.index(col), text)
            wb.close()
            if key is not None:
                _record(key, table, path, hits)
            files.append(path)
    return files


def write_parquet(tables: dict[str, pl.DataFrame], out: Path, *,
                  split_monthly: bool = False) -> list[Path]:
    """Typed Parquet files (dates as dates, flags as booleans)."""
    files = []
    for table, df in tables.items():
        for stem, part in _parts(table, df, tables, split_monthly):
            path = out / f"{stem}.parquet"
            part.write_parquet(path, statistics=False)
            files.append(path)
    return files


def write_annex_a(tables: dict[str, pl.DataFrame], out: Path, la_code: int | None = None) -> list[Path]:
    """An Annex A workbook via :mod:`scorecard.formats.annex_a_write` (its front sheet names the LA)."""
    from ..formats import annex_a_write

    path = out / "annex_a.xlsx"
    annex_a_write.write(tables, path, la_code=la_code)
    return [path]


def write_cin_census(tables: dict[str, pl.DataFrame], out: Path, la_code: int, params) -> list[Path]:
    """The CIN census return of the window's last year (:func:`.census.census_return`) as the DfE
    asks for it: DfE elements only, valid against the census schema of its year."""
    from ..formats import cin_census
    from .census import census_return

    path = out / "cin_census.xml"
    cin_census.write(census_return(tables, params), path, la_code=la_code,
                     reference_date=params.window_end, extensions=False)
    return [path]


#: the system each mapped format writes, and how its files are named (the first glob's stem)
SYSTEM_EXPORTS = {"mosaic": ("mosaic.toml", "MOSAIC", str.lower), "ted": ("ted.toml", "TED", str.upper)}


def write_mapped(fmt: str, tables: dict[str, pl.DataFrame], out: Path) -> list[Path]:
    """The records created in one case-management system (``source_system``) as that system's
    report exports, through the shipped mapping file (``scorecard/mappings/<system>.toml``): one
    CSV per export; a table the system exports nothing for (contacts) is not written."""
    from ..formats.mapping import PACKAGE_MAPPINGS, load_mapping_file

    source, system, case = SYSTEM_EXPORTS[fmt]
    files, done = [], set()
    for m in load_mapping_file(PACKAGE_MAPPINGS / source):
        if m.table in done or m.table not in tables:
            continue
        done.add(m.table)
        rows = tables[m.table].filter(pl.col("source_system") == system)
        if rows.height == 0:
            continue
        stem = m.files[0].split("*")[0].rstrip("_")
        files.append(m.write(rows, out / f"{case(stem)}.csv"))
    return files


def write(fmt: str, tables: dict[str, pl.DataFrame], out: Path, *, la_code: int,
          options: dict[str, Any], overrides: Overrides, key: AnswerKey, params=None) -> list[Path]:
    """Write ``tables`` to directory ``out`` in format ``fmt`` (validated by the caller)."""
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        return write_csv(tables, out, overrides=overrides, key=key, **options)
    if fmt == "xlsx":
        return write_xlsx(tables, out, split_monthly=options["split_monthly"],
                          overrides=overrides, key=key)
    if fmt == "parquet":
        return write_parquet(tables, out, split_monthly=options["split_monthly"])
    if fmt == "annex_a":
        return write_annex_a(tables, out, la_code)
    if fmt in SYSTEM_EXPORTS:
        return write_mapped(fmt, tables, out)
    if fmt == "ssd":
        from ..formats import ssd_write
        return ssd_write.write(tables, out)
    if fmt == "ssda903":
        from ..formats import ssda903
        return ssda903.write(tables, out)
    return write_cin_census(tables, out, la_code, params)
