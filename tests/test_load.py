"""Loading canonical extracts: typing, quarantine, ledger, idempotence, atomicity, privacy."""
from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import signal
import subprocess
import sys
import textwrap

import duckdb
import openpyxl
import polars as pl
import pytest

from scorecard import db
from scorecard.errors import StructuralError
from scorecard.load import load, pseudonymise

from .conftest import snapshot

REFERRALS = (
    "referral_id,child_id,referral_date,referral_source,referral_nfa\n"
    "R1,C100,2023-01-05,6,N\n"
    "R2,C200,06/01/2023,2A,Yes\n"
    "R3,C100,44932,3A,1\n"
)


def staged(con, table: str, cols: str = "*") -> list[tuple]:
    return con.execute(f"select {cols} from staging.{table} order by 1").fetchall()


@pytest.fixture
def con(tmp_path):
    c = db.connect(tmp_path / "sc.duckdb")
    yield c
    c.close()


def test_canonical_csv_types_every_date_and_flag_form(con, raw, key):
    (raw / "referrals.csv").write_text(REFERRALS)
    report = load(con, raw, key=key)
    assert report.rows_loaded == 3 and report.rows_rejected == 0
    rows = staged(con, "referrals", "referral_id, referral_date, referral_source, referral_nfa")
    assert rows == [
        ("R1", dt.date(2023, 1, 5), "6", False),
        ("R2", dt.date(2023, 1, 6), "2A", True),  # UK day-first order, never US
        ("R3", dt.date(2023, 1, 6), "3A", True),  # Excel serial 44932
    ]


def test_datetimes_bare_date_means_midnight_and_codes_are_normalised(con, raw, key):
    (raw / "missing_episodes.csv").write_text(
        "missing_episode_id,child_id,missing_start_datetime,missing_end_datetime,missing_type,looked_after\n"
        "M1,C1,2023-02-01 22:15,02/02/2023 09:30:05, m ,True\n"
        "M2,C2,2023-02-03,,A,false\n")
    load(con, raw, key=key)
    rows = staged(con, "missing_episodes",
                  "missing_episode_id, missing_start_datetime, missing_end_datetime, missing_type, looked_after")
    assert rows == [
        ("M1", dt.datetime(2023, 2, 1, 22, 15), dt.datetime(2023, 2, 2, 9, 30, 5), "M", True),
        ("M2", dt.datetime(2023, 2, 3, 0, 0), None, "A", False),
    ]


def test_headers_match_case_insensitively_and_extra_columns_are_kept(con, raw, key):
    (raw / "referrals.csv").write_text(
        " Referral_ID ,CHILD_ID,Referral_Date,referral_source,Team Name\nR1,C1,2023-01-05,6,North\n")
    load(con, raw, key=key)
    assert staged(con, "referrals", "referral_id, referral_nfa") == [("R1", None)]
    extras = con.execute("select _extras from raw.referrals").fetchall()[0][0]
    assert json.loads(extras) == {"team name": "North"}


def test_monthly_drops_of_several_files_per_extract(con, raw, key):
    head = "referral_id,child_id,referral_date,referral_source\n"
    (raw / "referrals_2023-01.csv").write_text(head + "R1,C1,2023-01-05,6\n")
    (raw / "referrals-2023-02.csv").write_text(head + "R2,C2,2023-02-05,6\n")
    sub = raw / "referrals" / "2023-03"
    sub.mkdir(parents=True)
    (sub / "referrals_2023-03.csv").write_text(head + "R3,C3,2023-03-05,6\n")
    report = load(con, raw, key=key)
    assert [r[0] for r in staged(con, "referrals")] == ["R1", "R2", "R3"]
    assert sorted(f.file for f in report.files) == ["referrals-2023-02.csv", "referrals/2023-03/referrals_2023-03.csv",
                                                    "referrals_2023-01.csv"]


# ------------------------------------------------------------------ row-level problems

def test_bad_rows_are_quarantined_with_file_row_column_value_and_reason(con, raw, key):
    (raw / "referrals.csv").write_text(
        "referral_id,child_id,referral_date,referral_source,referral_nfa\n"
        "R1,C1,2023-01-05,6,N\n"
        "R2,C2,31/02/2023,6,N\n"      # row 3: impossible date
        "R3,,2023-01-07,6,N\n"        # row 4: blank required child_id
        "R4,C4,2023-01-08,6,maybe\n")  # row 5: unrecognised flag
    report = load(con, raw, key=key)
    assert [r[0] for r in staged(con, "referrals")] == ["R1"]
    q = con.execute("select source_file, source_row, record_id, column_name, raw_value, reason "
                    "from quarantine.rejected_rows order by source_row").fetchall()
    assert q == [
        ("referrals.csv", 3, "R2", "referral_date", "31/02/2023",
         "unparseable date (expected YYYY-MM-DD, DD/MM/YYYY or an Excel date)"),
        ("referrals.csv", 4, "R3", "child_id", None, "blank required value"),
        ("referrals.csv", 5, "R4", "referral_nfa", "maybe",
         "unrecognised flag (expected Y/N, Yes/No, 1/0 or True/False)"),
    ]
    assert report.rows_rejected == 3
    ledger = con.execute("select rows_read, rows_loaded, rows_rejected, status from meta.loads").fetchall()
    assert ledger == [(4, 1, 3, "loaded")]
    # the rejected rows are kept in raw, flagged, so nothing is silently dropped
    assert con.execute("select count(*), count(*) filter (where _rejected) from raw.referrals").fetchone() == (4, 3)


# ------------------------------------------------------------------ structural problems

@pytest.mark.parametrize("name, content, column, fragment", [
    ("referrals.csv", b"", None, "file is empty"),
    ("referrals.csv", b"referral_id,child_id,referral_source\nR1,C1,6\n", "referral_date", "missing required column"),
    ("placements.csv", b"a,b\n1,2\n", None, "unknown extract 'placements'"),
    ("referrals.xlsx", b"this is not a workbook", None, "cannot open as an Excel workbook"),
    ("referrals.parquet", b"PAR1garbage", None, "cannot read as Parquet"),
    ("referrals.csv", b"referral_id,Referral_ID,child_id,referral_date,referral_source\n", "referral_id",
     "column appears twice"),
])
def test_structural_problems_stop_the_load_and_leave_the_database_unchanged(
        con, raw, key, name, content, column, fragment):
    good = raw / "a_first"
    good.mkdir()
    (good / "children.csv").write_text("child_id,sex\nC9,F\n")
    load(con, good, key=key)  # an earlier, successful state
    before = snapshot(con)
    (raw / "cin_episodes.csv").write_text(
        "cin_episode_id,child_id,cin_start_date,primary_need_code\nE1,C1,2022-05-01,N1\n")
    (raw / name).write_bytes(content)
    with pytest.raises(StructuralError) as err:
        load(con, raw, key=key)
    assert err.value.file.endswith(name)
    assert err.value.column == column
    assert fragment in str(err.value)
    assert name in str(err.value)
    assert snapshot(con) == before  # the good cin file loaded first was rolled back too


def test_missing_raw_folder_or_no_files_is_a_clear_error(con, tmp_path, key):
    from scorecard.errors import ScorecardError

    with pytest.raises(ScorecardError, match="does not exist"):
        load(con, tmp_path / "nope", key=key)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ScorecardError, match="no extract files"):
        load(con, tmp_path / "empty", key=key)


def test_other_files_are_reported_as_skipped_not_silently_ignored(con, raw, key):
    (raw / "referrals.csv").write_text(REFERRALS)
    (raw / "notes.docx").write_bytes(b"x")
    report = load(con, raw, key=key)
    assert [(f.file, f.status) for f in report.files if f.status == "skipped"] == [("notes.docx", "skipped")]


# ------------------------------------------------------------------ idempotence

def test_loading_the_same_file_twice_does_not_double_count(con, raw, key):
    (raw / "referrals.csv").write_text(REFERRALS)
    load(con, raw, key=key)
    again = load(con, raw, key=key)
    assert [f.status for f in again.files] == ["duplicate"]
    assert len(staged(con, "referrals")) == 3
    assert con.execute("select count(*) from raw.referrals").fetchone()[0] == 3
    # the same content under another name is recognised too
    (raw / "referrals_copy.csv").write_text(REFERRALS)
    third = load(con, raw, key=key)
    assert {f.message for f in third.files} >= {"same content as referrals.csv, already loaded"}
    assert len(staged(con, "referrals")) == 3


def test_a_corrected_file_supersedes_its_earlier_version(con, raw, key):
    (raw / "referrals.csv").write_text(REFERRALS)
    load(con, raw, key=key)
    (raw / "referrals.csv").write_text(REFERRALS.replace("R3,C100,44932,3A,1\n", "R3,C100,44932,3B,1\n"))
    load(con, raw, key=key)
    assert staged(con, "referrals", "referral_id, referral_source") == [("R1", "6"), ("R2", "2A"), ("R3", "3B")]
    assert con.execute("select status from meta.loads order by load_id").fetchall() == [("superseded",), ("loaded",)]


def test_a_file_changed_back_loads_again_and_the_ledger_runs_on_within_one_load(con, raw, key):
    """The ledger a load keeps in hand (digests loaded, next load id) is the one in the
    database: a version changed back loads again, a copy made in the same load is a duplicate of
    the file loaded a moment before, and load ids run on without a gap."""
    first = REFERRALS
    second = REFERRALS.replace("R3,C100,44932,3A,1\n", "R3,C100,44932,3B,1\n")
    (raw / "referrals.csv").write_text(first)
    load(con, raw, key=key)
    (raw / "referrals.csv").write_text(second)
    load(con, raw, key=key)
    (raw / "referrals.csv").write_text(first)                    # changed back
    (raw / "referrals_z.csv").write_text(first)                  # and a copy, read after it
    report = load(con, raw, key=key)
    assert [(f.file, f.status, f.message) for f in report.files] == [
        ("referrals.csv", "loaded", ""),
        ("referrals_z.csv", "duplicate", "same content as referrals.csv, already loaded")]
    assert con.execute("select load_id, source_file, status from meta.loads order by load_id").fetchall() == [
        (1, "referrals.csv", "superseded"), (2, "referrals.csv", "superseded"), (3, "referrals.csv", "loaded"),
        (4, "referrals_z.csv", "duplicate")]
    assert staged(con, "referrals", "referral_id, referral_source") == [("R1", "6"), ("R2", "2A"), ("R3", "3A")]


def test_an_archived_copy_of_a_file_replaced_in_the_same_load_is_loaded_not_dropped(con, raw, key):
    """A month's file moved to an archive folder while its old path gets new content: the
    archived copy (read first) is the old content, still wanted, not a duplicate of the version
    the new file replaces."""
    head = "referral_id,child_id,referral_date,referral_source\n"
    (raw / "referrals.csv").write_text(head + "R1,C1,2023-01-05,6\nR2,C2,2023-01-06,2A\n")
    load(con, raw, key=key)
    (raw / "archive").mkdir()
    (raw / "archive" / "referrals_2023.csv").write_text((raw / "referrals.csv").read_text())
    (raw / "referrals.csv").write_text(head + "R3,C3,2023-02-01,6\n")
    report = load(con, raw, key=key)
    assert [(f.file, f.status) for f in report.files] == [
        ("archive/referrals_2023.csv", "loaded"), ("referrals.csv", "loaded")]
    assert [r[0] for r in staged(con, "referrals", "referral_id")] == ["R1", "R2", "R3"]
    assert con.execute("select source_file, status from meta.loads order by load_id").fetchall() == [
        ("referrals.csv", "superseded"), ("archive/referrals_2023.csv", "loaded"), ("referrals.csv", "loaded")]


def test_repeated_ids_inside_one_file_are_kept_for_validation_but_later_files_win(con, raw, key):
    head = "referral_id,child_id,referral_date,referral_source\n"
    (raw / "referrals_2023-01.csv").write_text(head + "R1,C1,2023-01-05,6\nR1,C1,2023-01-05,6\n")
    load(con, raw, key=key)
    assert len(staged(con, "referrals")) == 2
    (raw / "referrals_2023-02.csv").write_text(head + "R1,C1,2023-01-05,2A\n")
    load(con, raw, key=key)
    assert staged(con, "referrals", "referral_id, referral_source") == [("R1", "2A")]


# ------------------------------------------------------------------ atomicity and concurrency

def test_a_failure_midway_rolls_everything_back(con, raw, key, monkeypatch):
    (raw / "referrals.csv").write_text(REFERRALS)
    load(con, raw, key=key)
    before = snapshot(con)
    (raw / "cp_plans.csv").write_text("cp_plan_id,child_id,cp_plan_start_date,initial_category\nP1,C1,2022-01-01,NEG\n")
    (raw / "referrals_2023-02.csv").write_text(REFERRALS.replace("R", "S"))
    import importlib

    loadmod = importlib.import_module("scorecard.load")  # scorecard.load is also the function

    real = loadmod.ingest
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(loadmod, "ingest", flaky)
    with pytest.raises(OSError):
        load(con, raw, key=key)
    assert calls["n"] == 2
    assert snapshot(con) == before


def test_a_load_killed_midway_leaves_the_previous_state(tmp_path, key):
    """SIGKILL a process in the middle of a large load: the database reopens as it was."""
    dbfile = tmp_path / "k.duckdb"
    small, big = tmp_path / "small", tmp_path / "big"
    small.mkdir()
    big.mkdir()
    (small / "referrals.csv").write_text(REFERRALS)
    con = db.connect(dbfile)
    load(con, small, key=key)
    before = snapshot(con)
    con.close()
    with open(big / "referrals_2024-01.csv", "w") as fh:
        fh.write("referral_id,child_id,referral_date,referral_source\n")
        for i in range(600_000):
            fh.write(f"B{i},C{i % 5000},2024-01-{1 + i % 28:02d},6\n")
    # the process is killed once the big file's rows are in raw, inside the load's transaction
    # (it says so and waits), not after a fixed time a fast load could finish within
    script = textwrap.dedent(f"""
        import importlib, time
        from scorecard import db
        from scorecard.load import load
        loadmod = importlib.import_module("scorecard.load")
        real = loadmod.ingest
        def ingest_then_wait(*args, **kwargs):
            result = real(*args, **kwargs)
            print("ingested", flush=True)
            time.sleep(60)
            return result
        loadmod.ingest = ingest_then_wait
        con = db.connect({str(dbfile)!r})
        load(con, {str(big)!r}, key={key!r})
        print("finished", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ingested"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    con = db.connect(dbfile)
    try:
        assert snapshot(con) == before
    finally:
        con.close()


def test_two_builds_at_once_the_second_refuses_clearly(tmp_path):
    from scorecard.errors import BusyError

    target = tmp_path / "x.duckdb"
    with db.exclusive(target):
        with pytest.raises(BusyError, match="another scorecard build or load is running"):
            with db.exclusive(target, wait=0.1):
                pass
    with db.exclusive(target, wait=0.1):  # released afterwards
        pass


def test_a_database_held_by_another_process_is_reported_not_a_traceback(tmp_path):
    from scorecard.errors import BusyError

    target = tmp_path / "held.duckdb"
    duckdb.connect(str(target)).close()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        c = duckdb.connect({str(target)!r})
        print("held", flush=True)
        time.sleep(30)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(BusyError, match="in use by another process"):
            db.connect(target)
    finally:
        holder.kill()
        holder.wait()


# ------------------------------------------------------------------ privacy

def test_ids_derived_for_formats_without_ids_are_keyed():
    """A derived id hashes the raw child id: keyed, it cannot be reversed by guessing ids."""
    from scorecard.formats import derive_id, id_key

    with id_key(b"a" * 16):
        a = derive_id("AA3", "C1", "2023-01-05")
        assert a == derive_id("AA3", "C1", "2023-01-05")
    with id_key(b"b" * 16):
        b = derive_id("AA3", "C1", "2023-01-05")
    assert a != b and a.startswith("AA3-")


def test_a_quarantined_correction_does_not_bring_back_the_older_version(con, raw, key):
    head = "referral_id,child_id,referral_date,referral_source\n"
    (raw / "referrals_2023-01.csv").write_text(head + "R1,C1,2023-01-05,6\nR2,C2,2023-01-06,6\n")
    load(con, raw, key=key)
    (raw / "referrals_2023-02.csv").write_text(head + "R1,C1,31/02/2023,2A\n")  # bad correction of R1
    load(con, raw, key=key)
    assert [r[0] for r in staged(con, "referrals")] == ["R2"]  # R1 is out until corrected, and reported
    assert con.execute("select record_id from quarantine.rejected_rows").fetchall() == [("R1",)]


def test_legacy_person_ids_of_children_are_pseudonymised_like_child_ids(con, raw, key):
    (raw / "children.csv").write_text("child_id,legacy_id,source_system\nM-77,TED-9,MOSAIC\nTED-9,,TED\n")
    load(con, raw, key=key)
    rows = dict(con.execute("select child_id, legacy_id from staging.children").fetchall())
    ted = pseudonymise(["TED-9"], key)["TED-9"]
    assert rows[pseudonymise(["M-77"], key)["M-77"]] == ted and ted in rows  # the link survives
    assert "TED-9" not in repr(snapshot(con))


# ---------------------------------------------------------- the whole-census extension tables
S47 = ("s47_id,child_id,cin_episode_id,s47_start_date,icpc_target_date,icpc_date,icpc_not_required\n"
       "S1,C1,E1,2023-01-09,2023-01-30,2023-01-27,N\n"
       "S2,C2,,10/01/2023,,,Y\n")
CIN_PLANS = "cin_plan_id,child_id,cin_episode_id,cin_plan_start_date,cin_plan_end_date\nCP1,C1,E1,2023-02-01,\n"
CP_REVIEWS = "cp_review_id,child_id,cp_plan_id,cp_review_date\nRV1,C1,P1,2023-04-20\nRV2,C1,P1,2023-10-19\n"


def _new_tables_in(fmt: str, folder) -> None:
    """The three extension tables in one canonical format (CSV text, or typed XLSX/Parquet)."""
    folder.mkdir()
    texts = {"s47_enquiries": S47, "cin_plans": CIN_PLANS, "cp_reviews": CP_REVIEWS}
    for name, text in texts.items():
        if fmt == "csv":
            (folder / f"{name}.csv").write_text(text)
            continue
        frame = pl.read_csv(text.encode(), infer_schema=False)
        frame = frame.with_columns(pl.col(c).str.to_date("%Y-%m-%d", strict=False)
                                   if not c.startswith("s47_start") else pl.col(c)
                                   for c in frame.columns if "date" in c)
        if fmt == "parquet":
            frame.write_parquet(folder / f"{name}.parquet")
        else:
            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = name
            ws.append(frame.columns)
            for r in frame.iter_rows():
                ws.append(list(r))
            wb.save(folder / f"{name}.xlsx")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_the_extension_tables_load_from_every_canonical_format(tmp_path, key, fmt):
    _new_tables_in(fmt, tmp_path / fmt)
    c = db.connect(":memory:")
    report = load(c, tmp_path / fmt, key=key)
    assert report.rows_loaded == 5 and report.rows_rejected == 0
    s47 = c.execute("select s47_id, cin_episode_id, s47_start_date, icpc_target_date, icpc_date, "
                    "icpc_not_required from staging.s47_enquiries order by 1").fetchall()
    assert s47 == [("S1", "E1", dt.date(2023, 1, 9), dt.date(2023, 1, 30), dt.date(2023, 1, 27), False),
                   ("S2", None, dt.date(2023, 1, 10), None, None, True)]
    assert c.execute("select cin_plan_id, cin_episode_id, cin_plan_start_date, cin_plan_end_date "
                     "from staging.cin_plans").fetchall() == [("CP1", "E1", dt.date(2023, 2, 1), None)]
    assert c.execute("select cp_review_id, cp_plan_id, cp_review_date from staging.cp_reviews "
                     "order by 1").fetchall() == [("RV1", "P1", dt.date(2023, 4, 20)),
                                                  ("RV2", "P1", dt.date(2023, 10, 19))]
    # child ids are pseudonymised in the new tables too
    assert {r[0] for r in c.execute("select child_id from staging.s47_enquiries").fetchall()} == \
        set(pseudonymise(["C1", "C2"], key).values())


def test_extension_tables_quarantine_like_the_others(con, raw, key):
    (raw / "s47_enquiries.csv").write_text(
        "s47_id,child_id,s47_start_date,icpc_date,icpc_not_required\n"
        "S1,C1,2023-01-09,2023-13-01,N\nS2,C1,,,N\nS3,C1,2023-01-09,,perhaps\n")
    (raw / "cp_reviews.csv").write_text("cp_review_id,child_id,cp_plan_id\nRV1,C1,P1\n")
    with pytest.raises(StructuralError, match=r"cp_reviews.csv, column 'cp_review_date': missing required"):
        load(con, raw, key=key)
    (raw / "cp_reviews.csv").unlink()
    report = load(con, raw, key=key)
    assert report.rows_rejected == 3
    assert con.execute("select record_id, column_name, reason from quarantine.rejected_rows order by 1"
                       ).fetchall() == [
        ("S1", "icpc_date", "unparseable date (expected YYYY-MM-DD, DD/MM/YYYY or an Excel date)"),
        ("S2", "s47_start_date", "blank required value"),
        ("S3", "icpc_not_required", "unrecognised flag (expected Y/N, Yes/No, 1/0 or True/False)")]


def test_new_columns_of_existing_tables_are_typed(con, raw, key):
    (raw / "children.csv").write_text(
        "child_id,sex,upn,former_upn,upn_unknown,expected_date_of_birth,date_of_death,disabilities\n"
        "C1,F,A123456789012,,,,2023-02-01,\" aut,mob;  hand|AUT \"\n"
        "C2,U,,,un1,2023-06-30,,\n")
    (raw / "assessments.csv").write_text(
        "assessment_id,child_id,assessment_start_date,cin_episode_id,assessment_internal_review_date,"
        "assessment_factors\nA1,C1,2023-01-02,E1,2023-01-20,3a 4B 21\n")
    (raw / "cp_plans.csv").write_text(
        "cp_plan_id,child_id,cp_plan_start_date,initial_category,cin_episode_id,number_of_previous_cpp\n"
        "P1,C1,2023-01-03,NEG,E1,two\n")
    load(con, raw, key=key)
    assert staged(con, "children", "upn, upn_unknown, expected_date_of_birth, date_of_death, disabilities") \
        == sorted([("A123456789012", None, None, dt.date(2023, 2, 1), "AUT MOB HAND AUT"),
                   (None, "UN1", dt.date(2023, 6, 30), None, None)], key=lambda r: str(r[0]))
    assert staged(con, "assessments", "cin_episode_id, assessment_internal_review_date, assessment_factors") \
        == [("E1", dt.date(2023, 1, 20), "3A 4B 21")]
    # the number of previous plans is kept as the file has it (the DfE rules judge it)
    assert staged(con, "cp_plans", "cin_episode_id, number_of_previous_cpp") == [("E1", "two")]


def test_a_no_further_action_block_needs_no_primary_need_code(con, raw, key):
    (raw / "cin_episodes.csv").write_text(
        "cin_episode_id,child_id,cin_start_date,primary_need_code,referral_nfa,icpc_date\n"
        "E1,C1,2023-01-05,,Y,\nE2,C1,2023-02-05,,N,\nE3,C1,2023-03-05,,,\nE4,C1,2023-03-09,N1,false,2023-03-20\n")
    report = load(con, raw, key=key)
    assert report.rows_rejected == 2
    assert con.execute("select record_id from quarantine.rejected_rows order by 1").fetchall() == [
        ("E2",), ("E3",)]
    assert staged(con, "cin_episodes", "cin_episode_id, primary_need_code, referral_nfa, icpc_date") == [
        ("E1", None, True, None), ("E4", "N1", False, dt.date(2023, 3, 20))]


# ------------------------------------------------------------- a file's own facts (census header)
CENSUS = """<Message>
  <Header><CollectionDetails><Collection>CIN</Collection><Year>2023</Year>
    <ReferenceDate>2023-03-31</ReferenceDate></CollectionDetails>
    <Source><SourceLevel>L</SourceLevel><LEA>{lea}</LEA></Source></Header>
  <Children><Child><ChildIdentifiers><LAchildID>C1</LAchildID><GenderCurrent>1</GenderCurrent></ChildIdentifiers>
    <ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>
    <CINdetails><CINreferralDate>2022-05-01</CINreferralDate><ReferralSource>6</ReferralSource>
      <PrimaryNeedCode>N1</PrimaryNeedCode><ReferralNFA>0</ReferralNFA><Extra>kept</Extra></CINdetails>
  </Child></Children>
</Message>
"""


def test_a_census_header_is_recorded_as_the_files_facts(con, raw, key):
    from scorecard.load import file_facts

    (raw / "census.xml").write_text(CENSUS.format(lea="370"))
    report = load(con, raw, key=key, la_code=370)
    [facts] = file_facts(con)
    assert (facts["source_file"], facts["format"], facts["collection"], facts["collection_year"],
            facts["reference_date"], facts["census_year"], facts["la_code"], facts["unknown_elements"]) == (
        "census.xml", "cin_census", "CIN", "2023", dt.date(2023, 3, 31), "2022-23", "370", 1)
    assert json.loads(facts["facts"])["Header/Source/SourceLevel"] == "L"
    # the element the census does not have is kept, counted and said in the summary
    assert "1 element(s) outside the DfE census schema kept as extra columns (Extra)" in report.summary()
    assert json.loads(con.execute("select _extras from raw.cin_episodes").fetchone()[0]) == {"Extra": "kept"}
    # loading the same file again adds no facts; a superseded version's facts are not current
    load(con, raw, key=key, la_code=370)
    assert len(file_facts(con)) == 1
    (raw / "census.xml").write_text(CENSUS.format(lea="370").replace("2023-03-31", "2024-03-31"))
    load(con, raw, key=key, la_code=370)
    assert [f["census_year"] for f in file_facts(con)] == ["2023-24"]


def test_a_census_of_another_la_stops_the_load(con, raw, key):
    (raw / "referrals.csv").write_text(REFERRALS)
    (raw / "census.xml").write_text(CENSUS.format(lea="371"))
    before = snapshot(con)
    with pytest.raises(StructuralError) as err:
        load(con, raw, key=key, la_code=370)
    message = str(err.value)
    assert message.startswith("census.xml:") and "LA 371" in message and "LA 370" in message
    assert snapshot(con) == before
    # without an LA to check against (a library caller), the file loads
    load(con, raw, key=key)
    assert con.execute("select la_code from meta.file_facts").fetchall() == [("371",)]
def test_the_ledger_records_who_reported_a_load_and_the_columns_it_supplied(con, raw, key):
    (raw / "referrals.csv").write_text("referral_id,child_id,referral_date,referral_source,note\n"
                                       "R1,C1,2023-01-05,6,x\nR2,C2,2023-01-06,,y\n")
    load(con, raw, key=key)
    assert con.execute("select source from meta.loads").fetchall() == [("case_management",)]
    got = dict(con.execute("select column_name, values_present from meta.load_columns").fetchall())
    # only canonical columns the file had (referral_nfa was not in it; note is an extra)
    assert got == {"referral_id": 2, "child_id": 2, "referral_date": 2, "referral_source": 1}


# ------------------------------------------------------------------ hostile inputs (issue 11)

# ------------------------------------------------------------------ what a load stores, pinned

#: digest of every stored row (raw, quarantine, staging, ledger but its clock) after loading
#: :func:`_pinned_inputs`, as the loader before the set-based rewrite (issue 14) stored them:
#: a faster load must stage the same rows under the same pseudonyms
PINNED_LOAD_DIGEST = "12736bee608a60cfc422f6a17d13b14122ff26a1c16990f2fb28953ba6941b22"


def _pinned_inputs(raw):
    """A small synthetic year with every artefact (bad dates, codes, ...), then a second drop
    that corrects, repeats and breaks records: blank and padded ids, a bad flag and date, a
    blank required value, legacy ids and an extra column."""
    from scorecard.synth import ARTEFACTS, generate

    generate(raw / "year", scale=0.03, years=1, start_year=2022, seed=11, artefacts=list(ARTEFACTS))
    (raw / "zz").mkdir()
    (raw / "zz" / "referrals_2024-01.csv").write_text(
        "referral_id,child_id,referral_date,referral_source,referral_nfa,worker\n"
        "R1, C100 ,2023-01-05,6,N,Ann\n"
        "R1,C100,05/01/2023 10:00,6,yes,Ann\n"
        "R2,,2023-01-06,2A,N,Bo\n"
        "R3,C300,31/02/2023,3A,N,\n"
        "R4,C400,2023-01-08,3A,maybe,Cy\n"
        "  ,C500,44932,3A,1,Di\n")
    (raw / "zz" / "children_2024-01.csv").write_text(
        "child_id,legacy_id,source_system,date_of_birth,sex\n"
        "M-77,TED-9,MOSAIC,2015-02-03,F\n"
        "TED-9,,TED,03/02/2015,f\n"
        ",TED-10,MOSAIC,2015-02-04,M\n"
        "M-78, TED-11 ,MOSAIC,not a date,M\n")
    # the other canonical readers: a workbook (a frame) and a Parquet file
    wb = openpyxl.Workbook()
    wb.active.append(["cp_plan_id", "child_id", "cp_plan_start_date", "initial_category", "note"])
    wb.active.append(["CP1", "C100", dt.date(2023, 2, 1), "N", "x"])
    wb.active.append(["CP2", " ", "2023-02-30", "E", None])
    wb.save(raw / "zz" / "cp_plans_2024-01.xlsx")
    pl.DataFrame({"missing_episode_id": ["M1", "M2"], "child_id": ["C100", "C9"],
                  "missing_start_datetime": [dt.datetime(2023, 3, 1, 10), None],
                  "looked_after": ["Y", "perhaps"]}).write_parquet(raw / "zz" / "missing_episodes_2024-01.parquet")


def stored_digest(con) -> str:
    import hashlib

    rows = snapshot(con)
    loads = con.execute("select * exclude (loaded_at, sha256, size_bytes) from meta.loads").fetchall()
    rows["meta.loads"] = sorted(map(repr, loads))
    kept = {k: v for k, v in rows.items() if k.split(".")[0] in ("raw", "quarantine", "staging")
            or k in ("meta.loads", "meta.load_columns")}
    return hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()


def test_a_load_stores_the_same_rows_and_pseudonyms_as_pinned(con, raw, key):
    _pinned_inputs(raw)
    report = load(con, raw, key=key)
    assert report.rows_rejected > 5 and report.rows_loaded > 1000
    assert stored_digest(con) == PINNED_LOAD_DIGEST


def _staging_builds(monkeypatch) -> list[str]:
    """The staging tables a load re-creates, recorded as it runs."""
    load_module = importlib.import_module("scorecard.load")

    built: list[str] = []
    run = load_module._run

    def recording(con, sql, params=None):
        if sql.startswith("create or replace table staging."):
            built.append(sql.split("staging.", 1)[1].split(" ", 1)[0])
        run(con, sql, params)

    monkeypatch.setattr(load_module, "_run", recording)
    return built


def test_a_load_rebuilds_only_the_staging_tables_whose_loads_or_model_changed(con, raw, key, monkeypatch):
    load_module = importlib.import_module("scorecard.load")

    (raw / "referrals.csv").write_text(REFERRALS)
    (raw / "children.csv").write_text("child_id,sex\nC100,F\n")
    built = _staging_builds(monkeypatch)
    load(con, raw, key=key)
    assert sorted(built) == sorted(db.TABLES)          # a first load builds every staging table
    built.clear()
    load(con, raw, key=key)                            # nothing new: nothing rebuilt, same rows
    assert built == [] and [r[0] for r in staged(con, "referrals")] == ["R1", "R2", "R3"]
    (raw / "referrals.csv").write_text(REFERRALS.replace("R3,C100", "R9,C100"))  # supersedes
    load(con, raw, key=key)
    assert built == ["referrals"] and [r[0] for r in staged(con, "referrals")] == ["R1", "R2", "R9"]
    built.clear()
    real = load_module.sql_text                        # a changed model is rebuilt
    monkeypatch.setattr(load_module, "sql_text", lambda *p: real(*p) + ("\n-- v2" if p[-1] == "children.sql" else ""))
    load(con, raw, key=key)
    assert built == ["children"] and staged(con, "children", "child_id") == [(pseudonymise(["C100"], key)["C100"],)]
    built.clear()                                      # a changed shared macro rebuilds every table
    monkeypatch.setattr(load_module, "sql_text", lambda *p: real(*p) + ("\n-- v2" if p[-1] in ("children.sql", "macros.sql") else ""))
    load(con, raw, key=key)
    assert sorted(built) == sorted(db.TABLES)
