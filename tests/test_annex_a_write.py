"""Writing Ofsted Annex A workbooks: what the writer keeps so a read gives the same records."""
from __future__ import annotations

import openpyxl

from scorecard.formats import annex_a
from scorecard.formats.annex_a_write import write
from tests.test_annex_a import _by_table, canon


def test_writer_keeps_invalid_values_for_validation(tmp_path):
    import polars as pl

    tables = canon.canonical_tables()
    tables["referrals"] = tables["referrals"].with_columns(
        pl.col("referral_date").cast(pl.Utf8)).with_columns(
        pl.when(pl.col("referral_id") == "R1").then(pl.lit("2022-13-45"))
        .otherwise(pl.col("referral_date")).alias("referral_date"),
        pl.when(pl.col("referral_id") == "R2").then(pl.lit("XX"))
        .otherwise(pl.col("referral_source")).alias("referral_source"))
    path = write(tables, tmp_path / "bad.xlsx")
    rows = {r["referral_id"]: r for r in _by_table(annex_a.read(path))["referrals"].data.to_dicts()}
    assert rows["R1"]["referral_date"] == "2022-13-45"
    assert rows["R2"]["referral_source"] == "XX"


def test_placeholder_dates_before_excel_1900_bug_survive(tmp_path):
    import datetime as dt

    import polars as pl

    tables = canon.canonical_tables()
    tables["referrals"] = tables["referrals"].with_columns(
        pl.when(pl.col("referral_id") == "R1").then(pl.lit(dt.date(1900, 1, 1)))
        .otherwise(pl.col("referral_date")).alias("referral_date"))
    tables["children"] = tables["children"].with_columns(
        pl.when(pl.col("child_id") == "C002").then(pl.lit(dt.date(1899, 12, 31)))
        .otherwise(pl.col("date_of_birth")).alias("date_of_birth"))
    frames = annex_a.read(write(tables, tmp_path / "old.xlsx"))
    for table in ("referrals", "children"):
        assert canon.read_back(frames, table) == canon.as_text(tables[table])


def test_children_in_no_list_get_a_children_sheet(tmp_path):
    import polars as pl

    tables = canon.canonical_tables()
    extra = pl.DataFrame({"child_id": ["C999"], "sex": ["F"]}).with_columns(
        pl.lit(None, pl.Date).alias("date_of_birth"))
    tables["children"] = pl.concat([tables["children"], extra], how="diagonal")
    path = write(tables, tmp_path / "kids.xlsx")
    ws = openpyxl.load_workbook(path)["Children"]
    assert [[c.value for c in row][:2] for row in ws.iter_rows()] == [
        ["Child Unique ID", "Gender"], ["C999", "b) Female"]]
    frames = annex_a.read(path)
    assert canon.read_back(frames, "children") == canon.as_text(tables["children"])
