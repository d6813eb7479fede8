"""Writing canonical tables as SSD v1.4.5 CSV files: the SQL Server export style, and a round trip
of the tables only the whole-census extensions have. All data is synthetic."""
from __future__ import annotations

import csv
import datetime as dt
import io

import polars as pl

from scorecard import db
from scorecard.formats import ssd_write
from scorecard.formats.ssd_spec import SSD_TABLES
from scorecard.load import load
from scorecard.schema import TABLES

D, T = dt.date, dt.datetime


def _table(name: str, rows: list[dict]) -> pl.DataFrame:
    kinds = {"date": pl.Date, "datetime": pl.Datetime("us"), "flag": pl.Boolean}
    schema = {c.name: kinds.get(c.kind, pl.Utf8) for c in TABLES[name].columns}
    return pl.DataFrame([{c: r.get(c) for c in schema} for r in rows], schema=schema, orient="row")


def _tables() -> dict[str, pl.DataFrame]:
    rows = {
        "children": [{"child_id": "C1", "date_of_birth": D(2010, 1, 2), "sex": "F", "ethnicity": "WBRI",
                      "upn": "A123", "disabilities": "AUT MOB", "date_of_death": None}],
        "referrals": [{"referral_id": "R1", "child_id": "C1", "referral_date": D(2022, 4, 1),
                       "referral_source": "6", "referral_nfa": False}],
        "cin_episodes": [{"cin_episode_id": "E1", "child_id": "C1", "referral_id": "R1",
                          "cin_start_date": D(2022, 4, 1), "primary_need_code": "N1",
                          "icpc_date": D(2022, 9, 9)}],
        "assessments": [{"assessment_id": "A1", "child_id": "C1", "referral_id": "R1",
                         "assessment_start_date": D(2022, 4, 2), "assessment_factors": "3A 21"}],
        "s47_enquiries": [{"s47_id": "S1", "child_id": "C1", "cin_episode_id": "E1",
                           "s47_start_date": D(2022, 4, 3), "icpc_target_date": D(2022, 4, 20),
                           "icpc_date": D(2022, 4, 18)}],
        "cin_plans": [{"cin_plan_id": "CP1", "child_id": "C1", "cin_episode_id": "E1",
                       "cin_plan_start_date": D(2022, 5, 1)}],
        "cp_plans": [{"cp_plan_id": "P1", "child_id": "C1", "cp_plan_start_date": D(2022, 4, 18),
                      "initial_category": "MUL", "latest_category": "NEG", "cin_episode_id": "E1"}],
        "cp_reviews": [{"cp_review_id": "V1", "child_id": "C1", "cp_plan_id": "P1",
                        "cp_review_date": D(2022, 7, 18)}],
        "missing_episodes": [{"missing_episode_id": "M1", "child_id": "C1",
                              "missing_start_datetime": T(2022, 5, 1, 21, 40), "missing_type": "A",
                              "looked_after": True}],
        "return_interviews": [],
        "contacts": [],
    }
    return {name: _table(name, r) for name, r in rows.items()}


def test_files_look_like_sql_server_exports(tmp_path):
    files = ssd_write.write(_tables(), tmp_path)
    names = {f.name for f in files}
    assert {"ssd_person.csv", "ssd_missing.csv", "ssd_s47_enquiry.csv", "ssd_cla_episodes.csv"} <= names
    raw = (tmp_path / "ssd_missing.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:7] == list(SSD_TABLES["ssd_missing"].columns)
    assert rows[0][7:] == ["source_system", "legacy_id"]
    row = dict(zip(rows[0], rows[1]))
    assert row["miss_missing_episode_start_date"] == "2022-05-01 21:40:00.000"
    assert row["miss_missing_episode_end_date"] == "NULL"
    assert row["miss_missing_episode_type"] == "Away"
    plans = list(csv.DictReader(io.StringIO((tmp_path / "ssd_cp_plans.csv").read_text("utf-8-sig"))))
    assert (plans[0]["cppl_cp_plan_initial_category"], plans[0]["cppl_cp_plan_latest_category"]) == (
        "Multiple", "Neglect")
    # the CIN episode link is the referral's row id
    assert plans[0]["cppl_referral_id"] == "R1"


def test_whole_census_tables_round_trip(tmp_path, key):
    raw = tmp_path / "raw"
    ssd_write.write(_tables(), raw)
    con = db.connect(":memory:")
    report = load(con, raw, key=key)
    assert report.rows_rejected == 0
    one = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    assert one("select cin_episode_id, s47_start_date, icpc_target_date, icpc_date "
               "from staging.s47_enquiries") == [("R1", D(2022, 4, 3), D(2022, 4, 20), D(2022, 4, 18))]
    assert one("select cin_plan_id, cin_episode_id, cin_plan_start_date, cin_plan_end_date "
               "from staging.cin_plans") == [("CP1", "R1", D(2022, 5, 1), None)]
    assert one("select cp_review_id, cp_plan_id, cp_review_date from staging.cp_reviews") == [
        ("V1", "P1", D(2022, 7, 18))]
    assert one("select upn, disabilities from staging.children") == [("A123", "AUT MOB")]
    assert one("select assessment_factors from staging.assessments") == [("3A 21",)]
    assert one("select icpc_date from staging.cin_episodes") == [(D(2022, 9, 9),)]
    assert one("select looked_after from staging.missing_episodes") == [(True,)]
    assert one("select initial_category, latest_category, cin_episode_id from staging.cp_plans") == [
        ("MUL", "NEG", "R1")]
