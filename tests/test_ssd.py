"""Standard Safeguarding Dataset tables: recognition, v1.4.5 columns and older names, SQL Server
values, words -> codes, companion tables, bad input, and the same staged rows as the canonical
files. All data is synthetic (made-up ids)."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from scorecard import db
from scorecard.errors import StructuralError
from scorecard.formats import Skip, reader_for, ssd
from scorecard.formats.mapping import load_mappings
from scorecard.load import load, pseudonymise
from scorecard.schema import TABLES

BOM = "\ufeff"
MISSING = (
    "miss_table_id,miss_person_id,miss_missing_episode_start_date,miss_missing_episode_type,"
    "miss_missing_episode_end_date,miss_missing_rhi_offered,miss_missing_rhi_accepted\r\n"
    "M1,C1,2022-05-01 21:40:00.000,Missing,2022-05-02 08:15:00.000,Y,Y\r\n"
    "M2,C1,2022-06-10 00:00:00.000,Away/Absent,NULL,NULL,NULL\r\n"
    "M3,C2,2022-07-01 19:00:00.000,Absent,2022-07-02 10:00:00.000,N,NA\r\n"
    "M4,C3,2022-07-03 19:00:00.000,Runaway,2022-07-03 23:00:00.000,Y,NA\r\n"
)


def _write(path: Path, text: str) -> Path:
    path.write_bytes((BOM + text).encode("utf-8"))
    return path


def _read(path: Path):
    reader = reader_for(path, load_mappings([]))
    assert reader is not None, path
    return {f.table: f for f in reader(path)}


def _rows(frame) -> list[dict]:
    return frame.data.to_dicts()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- recognition

def test_recognised_by_name_or_by_columns_whatever_the_name(tmp_path):
    named = _write(tmp_path / "ssd_missing_2022-07.csv", MISSING)
    unnamed = _write(tmp_path / "extract 7 from SSMS.csv", MISSING)
    for path in (named, unnamed):
        before = _digest(path)
        frames = _read(path)
        assert set(frames) == {"missing_episodes", "return_interviews"}
        assert frames["missing_episodes"].source == "case_management"
        assert _digest(path) == before   # never modified
    assert ssd.detect(named, None) == ("ssd_missing", None)


def test_a_bespoke_export_sharing_a_prefix_is_not_an_ssd_table(tmp_path):
    # TED's MISS_ID / MISS_FROM share the "miss" prefix but are not SSD columns
    assert ssd.table_from_columns(["MISS_ID", "CLIENT_NO", "MISS_FROM", "MISS_TO"]) is None
    assert ssd.table_from_columns(["miss_table_id", "miss_person_id", "other"]) == "ssd_missing"
    assert ssd.table_from_columns(["referral_id", "child_id"]) is None


# --------------------------------------------------------------------------- values

def test_missing_rows_sql_server_values_words_and_rhi_flags(tmp_path):
    frames = _read(_write(tmp_path / "ssd_missing.csv", MISSING))
    episodes = _rows(frames["missing_episodes"])
    assert [r["_row"] for r in episodes] == [2, 3, 4, 5]
    assert [r["missing_start_datetime"] for r in episodes][:2] == ["2022-05-01 21:40:00.000",
                                                                   "2022-06-10 00:00:00.000"]
    assert episodes[1]["missing_end_datetime"] is None           # literal NULL: still missing
    assert [r["missing_type"] for r in episodes] == ["M", "A", "A", "Runaway"]  # unknown kept
    assert "looked_after" not in frames["missing_episodes"].data.columns  # no care episodes here
    rhis = {r["missing_episode_id"]: r for r in _rows(frames["return_interviews"])}
    # M2 has no flags: no interview; M3 not offered: not accepted; M4 offered, accepted NA: unknown
    assert set(rhis) == {"M1", "M3", "M4"}
    assert rhis["M1"]["rhi_id"] == "SSDRHI-M1" and rhis["M1"]["rhi_accepted"] == "Y"
    assert rhis["M3"]["rhi_accepted"] == "N"
    assert rhis["M4"]["rhi_accepted"] is None
    # the offered flag has no canonical column: kept as an extra on the episode
    assert [r["miss_missing_rhi_offered"] for r in episodes] == ["Y", None, "N", "Y"]
    assert {"rhi_offered_date", "rhi_completed_datetime"}.isdisjoint(frames["return_interviews"].data.columns)


def test_loaded_values_and_quarantine(tmp_path, key):
    raw = tmp_path / "raw"
    raw.mkdir()
    _write(raw / "ssd_missing.csv", MISSING)
    con = db.connect(":memory:")
    load(con, raw, key=key)
    got = con.execute("select missing_episode_id, missing_start_datetime, missing_end_datetime, "
                      "missing_type from staging.missing_episodes order by 1").fetchall()
    assert got[0] == ("M1", dt.datetime(2022, 5, 1, 21, 40), dt.datetime(2022, 5, 2, 8, 15), "M")
    assert got[1][2] is None
    # M4's interview was offered but its acceptance is unknown: quarantined, counted, reported
    assert con.execute("select record_id, column_name, reason from quarantine.rejected_rows"
                       ).fetchall() == [("SSDRHI-M4", "rhi_accepted", "blank required value")]
    assert con.execute("select count(*) from staging.return_interviews").fetchone()[0] == 2
    assert con.execute("select source from meta.loads where table_name = 'missing_episodes'"
                       ).fetchone()[0] == "case_management"


PERSON = (
    "pers_legacy_id,pers_person_id,pers_upn,pers_forename,pers_surname,pers_sex,pers_gender,"
    "pers_ethnicity,pers_dob,pers_single_unique_id,pers_upn_unknown,pers_send_flag,"
    "pers_expected_dob,pers_death_date,pers_is_mother,pers_nationality\r\n"
    "OLD1,C1,A123456789012,Amy,Smith,F,F,WBRI,2010-03-04 00:00:00.000,9990001112,NULL,N,NULL,NULL,NULL,NULL\r\n"
    "NULL,C2,NULL,Ben,Jones,NULL,1,WOTH,NULL,NULL,UN1,NULL,2023-01-02 00:00:00.000,NULL,Y,NULL\r\n"
)


def test_person_identifying_columns_never_read_and_the_rest_kept(tmp_path):
    frames = _read(_write(tmp_path / "ssd_person.csv", PERSON))
    frame = frames["children"]
    cols = set(frame.data.columns)
    assert not {"pers_forename", "pers_surname", "pers_single_unique_id"} & cols
    assert "Amy" not in str(frame.data.rows()) and "9990001112" not in str(frame.data.rows())
    a, b = _rows(frame)
    assert (a["child_id"], a["legacy_id"], a["sex"], a["upn"], a["date_of_birth"]) == (
        "C1", "OLD1", "F", "A123456789012", "2010-03-04 00:00:00.000")
    assert (b["sex"], b["upn_unknown"], b["expected_date_of_birth"]) == ("M", "UN1", "2023-01-02 00:00:00.000")
    assert a["pers_send_flag"] == "N" and b["pers_is_mother"] == "Y"   # extras
    assert a["pers_gender"] == "F"   # a fallback column is kept as an extra too
    assert "disabilities" not in cols   # no ssd_disability file beside it


def test_older_and_other_system_column_names(tmp_path):
    text = ("cine_referral_id,cine_person_id,cine_referral_date,cine_cin_primary_need,"
            "cine_referral_source,cin_referral_nfa,cine_close_reason,cine_close_date\n"
            "R1,C1,2022-04-01 00:00:00.000,N1,6,N,RC7,2022-09-01 00:00:00.000\n"
            "R2,C1,2022-10-01 00:00:00.000,NULL,Police,Y,NULL,NULL\n"
            "R3,C2,2022-10-02 00:00:00.000,NULL,NULL,N,NULL,NULL\n")
    frames = _read(_write(tmp_path / "ssd_cin_episodes.csv", text))
    refs = _rows(frames["referrals"])
    assert [r["referral_source"] for r in refs] == ["6", "6", None]   # description words -> code
    assert [r["referral_nfa"] for r in refs] == ["N", "Y", "N"]
    # only rows that carry episode data give a CIN episode; its id is the referral's
    [episode] = _rows(frames["cin_episodes"])
    assert (episode["cin_episode_id"], episode["referral_id"], episode["primary_need_code"],
            episode["reason_for_closure"], episode["referral_nfa"]) == ("R1", "R1", "N1", "RC7", "N")


@pytest.mark.parametrize("word, code", [
    ("Neglect", "NEG"), ("EMOTIONAL ABUSE", "EMO"), ("Physical Abuse", "PHY"),
    ("sexual abuse", "SAB"), ("Multiple: Neglect, Emotional abuse", "MUL"), ("MUL", "MUL"),
    ("NEG", "NEG"), ("Financial abuse", "Financial abuse")])
def test_cp_category_words_of_each_system_become_dfe_codes(tmp_path, word, code):
    text = ("cppl_cp_plan_id,cppl_referral_id,cppl_icpc_id,cppl_person_id,cppl_cp_plan_start_date,"
            "cppl_cp_plan_end_date,cppl_cp_plan_ola,cppl_cp_plan_initial_category,"
            "cppl_cp_plan_latest_category\n"
            f'P1,R1,NULL,C1,2022-04-01 00:00:00.000,NULL,N,"{word}","{word}"\n')
    [row] = _rows(_read(_write(tmp_path / "ssd_cp_plans.csv", text))["cp_plans"])
    assert row["initial_category"] == row["latest_category"] == code
    assert row["cin_episode_id"] == "R1" and row["cppl_cp_plan_ola"] == "N"


# --------------------------------------------------------------------------- companions

CLA = ("clae_cla_episode_id,clae_person_id,clae_cla_episode_start_date,clae_cla_episode_ceased_date\n"
       "E1,C1,2022-05-01 00:00:00.000,2022-06-10 00:00:00.000\n"
       "E2,C2,2022-01-01 00:00:00.000,NULL\n")


def test_care_episodes_beside_missing_set_looked_after_and_reload_it(tmp_path, key):
    raw = tmp_path / "raw"
    raw.mkdir()
    _write(raw / "ssd_missing.csv", MISSING)
    cla = _write(raw / "ssd_cla_episodes.csv", CLA)
    frames = _read(raw / "ssd_missing.csv")
    # M1 starts 1 May in E1; M2 on the day E1 ceased (not in care); M3 in E2 (open); C3 none
    assert [r["looked_after"] for r in _rows(frames["missing_episodes"])] == ["Y", "N", "Y", "N"]
    con = db.connect(":memory:")
    report = load(con, raw, key=key)
    skipped = [f for f in report.files if f.status == "skipped"]
    assert [f.file for f in skipped] == ["ssd_cla_episodes.csv"]
    assert "read with ssd_missing" in skipped[0].message
    # a change to the care episodes reloads the missing table with it
    _write(cla, CLA.replace("2022-06-10", "2022-06-11"))
    report = load(con, raw, key=key)
    assert any(f.file == "ssd_missing.csv" and f.status == "loaded" for f in report.files)
    assert con.execute("select looked_after from staging.missing_episodes where missing_episode_id = 'M2'"
                       ).fetchone()[0] is True


def test_companions_fill_disabilities_factors_and_conference_dates(tmp_path):
    _write(tmp_path / "ssd_person.csv", PERSON)
    _write(tmp_path / "ssd_disability.csv", "disa_table_id,disa_person_id,disa_disability_code\n"
                                            "D1,C1,AUT\nD2,C1,MOB\nD3,C9,HEAR\n")
    people = {r["child_id"]: r for r in _rows(_read(tmp_path / "ssd_person.csv")["children"])}
    assert people["C1"]["disabilities"] == "AUT MOB" and people["C2"]["disabilities"] is None
    _write(tmp_path / "ssd_cin_assessments.csv",
           "cina_assessment_id,cina_person_id,cina_referral_id,cina_assessment_start_date,"
           "cina_assessment_auth_date\nA1,C1,R1,2022-04-02,2022-05-01\nA2,C1,R1,2022-06-02,NULL\n")
    _write(tmp_path / "ssd_assessment_factors.csv",
           "cinf_table_id,cinf_assessment_id,cinf_assessment_factors_json\n"
           'F1,A1,"[""3A"",""4B""]"\nF2,A2,"{""21"": ""Yes"", ""1A"": ""No""}"\n')
    ass = {r["assessment_id"]: r for r in _rows(_read(tmp_path / "ssd_cin_assessments.csv")["assessments"])}
    assert ass["A1"]["assessment_factors"] == "3A 4B" and ass["A2"]["assessment_factors"] == "21"
    assert ass["A1"]["cin_episode_id"] == "R1"   # the SSD's CIN episode is its referral row
    _write(tmp_path / "ssd_s47_enquiry.csv",
           "s47e_s47_enquiry_id,s47e_referral_id,s47e_person_id,s47e_s47_start_date,s47e_s47_nfa\n"
           "S1,R1,C1,2022-04-03 00:00:00.000,N\nS2,R1,C1,2022-08-01 00:00:00.000,Y\n")
    _write(tmp_path / "ssd_initial_cp_conference.csv",
           "icpc_icpc_id,icpc_s47_enquiry_id,icpc_person_id,icpc_referral_id,icpc_icpc_target_date,icpc_icpc_date\n"
           "I2,S1,C1,R1,2022-04-20,2022-04-25\nI1,S1,C1,R1,2022-04-20,2022-04-18\n"
           "I3,NULL,C1,R1,NULL,2022-09-09\n")
    s47 = {r["s47_id"]: r for r in _rows(_read(tmp_path / "ssd_s47_enquiry.csv")["s47_enquiries"])}
    assert (s47["S1"]["icpc_date"], s47["S1"]["icpc_target_date"]) == ("2022-04-18", "2022-04-20")
    assert s47["S2"]["icpc_date"] is None and s47["S2"]["cin_episode_id"] == "R1"
    assert s47["S1"]["s47e_s47_nfa"] == "N"
    _write(tmp_path / "ssd_cin_episodes.csv",
           "cine_referral_id,cine_person_id,cine_referral_date,cine_cin_primary_need_code,"
           "cine_close_reason,cine_close_date\nR1,C1,2022-04-01,N1,NULL,NULL\n")
    [episode] = _rows(_read(tmp_path / "ssd_cin_episodes.csv")["cin_episodes"])
    assert episode["icpc_date"] == "2022-09-09"   # a conference with no S47 enquiry


@pytest.mark.parametrize("name", ["ssd_disability.csv", "ssd_initial_cp_conference.csv",
                                  "ssd_assessment_factors.csv"])
def test_a_companion_on_its_own_is_skipped_with_the_reason(tmp_path, name):
    table = name[:-4]
    path = _write(tmp_path / name, ",".join(ssd.SSD_TABLES[table].columns) + "\n")
    with pytest.raises(Skip, match="read with ssd_"):
        _read(path)


def test_known_tables_the_scorecard_does_not_use_are_skipped(tmp_path, key):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "ssd_address.csv").write_text("addr_table_id,addr_person_id\nX1,C1\n")
    _write(raw / "ssd_missing.csv", MISSING)
    con = db.connect(":memory:")
    report = load(con, raw, key=key)
    [skipped] = [f for f in report.files if f.status == "skipped"]
    assert skipped.file == "ssd_address.csv" and "not used by the scorecard" in skipped.message
    assert con.execute("select status, message from meta.loads where source_file = 'ssd_address.csv'"
                       ).fetchone()[0] == "skipped"


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("name, text, column", [
    ("ssd_missing.csv", MISSING.replace("miss_missing_episode_start_date", "start"),
     "miss_missing_episode_start_date"),
    ("ssd_person.csv", "pers_legacy_id,pers_sex,pers_dob\nX,F,2010-01-01\n", "pers_person_id"),
    ("ssd_cp_plans.csv", "cppl_cp_plan_id,cppl_person_id,cppl_cp_plan_start_date,cppl_cp_plan_end_date\n"
                         "P1,C1,2022-01-01,NULL\n", "cppl_cp_plan_initial_category"),
])
def test_a_table_with_a_missing_column_is_a_clear_error(tmp_path, key, name, text, column):
    raw = tmp_path / "raw"
    raw.mkdir()
    _write(raw / name, text)
    con = db.connect(":memory:")
    with pytest.raises(StructuralError) as err:
        load(con, raw, key=key)
    message = str(err.value)
    assert "\n" not in message and name in message and repr(column) in message
    assert "missing column of SSD table" in message and "v1.4.5" in message
    assert con.execute("select count(*) from meta.loads").fetchone()[0] == 0


def test_an_old_name_is_offered_when_a_column_is_missing(tmp_path):
    text = MISSING.replace("miss_missing_episode_end_date", "end_when")
    with pytest.raises(StructuralError, match="'miss_missing_episode_end'"):
        _read(_write(tmp_path / "ssd_missing.csv", text))


@pytest.mark.parametrize("name, text, expect", [
    ("ssd_person.csv", MISSING, "named as SSD table ssd_person but its columns are those of SSD table ssd_missing"),
    ("missing_episodes.csv", MISSING, "matches two formats: SSD table ssd_missing (by its columns) and the "
                                      "canonical missing_episodes extract"),
    ("ssd_missing.csv", "CHILD,DOB,MISSING,MIS_START,MIS_END\n1,01/01/2010,M,01/05/2022,\n",
     "matches two formats: SSD table ssd_missing (by its file name) and the SSDA903 Missing table"),
    ("ssd_nonsense.csv", "a,b\n1,2\n", "unknown SSD table 'ssd_nonsense'"),
    ("ssd_missing.xlsx", "", "SSD tables are read from CSV files"),
])
def test_files_two_formats_claim_or_that_no_format_fits_are_refused(tmp_path, name, text, expect):
    path = tmp_path / name
    _write(path, text)
    with pytest.raises(StructuralError) as err:
        reader_for(path, load_mappings([]))
    assert expect in str(err.value) and "\n" not in str(err.value)


def test_a_mapping_glob_and_ssd_columns_is_a_conflict(tmp_path):
    mapping = tmp_path / "maps"
    mapping.mkdir()
    (mapping / "mine.toml").write_text(
        'name = "mine"\n[[export]]\nfiles = ["*missing*.csv"]\ntable = "missing_episodes"\n'
        'derive_id = ["child_id", "missing_start_datetime"]\n[export.columns]\n'
        '"miss_person_id" = "child_id"\n"miss_missing_episode_start_date" = "missing_start_datetime"\n')
    path = _write(tmp_path / "ssd_missing.csv", MISSING)
    with pytest.raises(StructuralError, match="matches two formats: mapping mine.toml"):
        reader_for(path, load_mappings([mapping]))


# --------------------------------------------------------------------------- same staged rows

def _supplied(con, table: str) -> list[str]:
    """The canonical columns of ``table`` the loads supplied (the ledger), in layout order."""
    got = {c for (c,) in con.execute("select c.column_name from meta.load_columns c join meta.loads l "
                                     "using (load_id) where l.table_name = ?", [table]).fetchall()}
    return [c for c in TABLES[table].column_names if c in got]


def test_synthetic_data_as_ssd_tables_loads_to_the_same_staged_rows_as_canonical_csv(tmp_path):
    """Every canonical column the SSD tables supply is staged as from the canonical files, with
    the SSD's own meaning: its CIN episode is the referral's row, so a CIN episode id (and every
    link to one) is the referral id, and a blank referral_nfa means N."""
    from scorecard.synth import generate

    r = generate(tmp_path / "raw", seed=7, scale=0.04, formats=["csv", "ssd"])
    key = b"k" * 32
    cons = {}
    for fmt in ("csv", "ssd"):
        cons[fmt] = db.connect(":memory:")
        report = load(cons[fmt], tmp_path / "raw" / fmt, key=key)
        assert report.rows_rejected == 0, fmt
    csv, ssd_ = cons["csv"], cons["ssd"]
    episode_of = dict(csv.execute("select cin_episode_id, coalesce(referral_id, cin_episode_id) "
                                  "from staging.cin_episodes").fetchall())
    compared = 0
    for table in TABLES:
        columns = [c for c in _supplied(ssd_, table) if not (table == "cin_episodes" and c == "cin_episode_id")]
        if not columns:
            continue
        assert table != "contacts" or "decision_datetime" not in columns   # the SSD has none
        want = csv.execute(f"select {', '.join(columns)} from staging.{table}").fetchall()
        got = ssd_.execute(f"select {', '.join(columns)} from staging.{table}").fetchall()
        if table == "return_interviews":   # the SSD keeps which episode had one, and acceptance
            assert columns[:4] == ["rhi_id", "missing_episode_id", "child_id", "rhi_accepted"]
            assert not {"rhi_offered_date", "rhi_completed_datetime"} & set(columns)
            want = [(None,) + row[1:] for row in want]   # its interviews have ids of their own
            got = [(None,) + row[1:] for row in got]
        for i, column in enumerate(columns):
            if column == "cin_episode_id":
                ref = columns.index("referral_id") if "referral_id" in columns else None
                want = [row[:i] + (episode_of.get(row[i], row[i]) if row[i] is not None
                                   else (row[ref] if ref is not None else None),) + row[i + 1:]
                        for row in want]
            if column == "referral_nfa":
                want = [row[:i] + (bool(row[i]),) + row[i + 1:] for row in want]
                got = [row[:i] + (bool(row[i]),) + row[i + 1:] for row in got]
        assert sorted(want, key=repr) == sorted(got, key=repr), table
        assert len(got) == r.tables[table].height, table
        compared += 1
    assert compared >= 8
    # the raw child id is nowhere
    some_child = r.tables["children"]["child_id"][0]
    assert ssd_.execute("select count(*) from staging.children where child_id = ?", [some_child]).fetchone()[0] == 0
    assert ssd_.execute("select count(*) from staging.children where child_id = ?",
                        [pseudonymise([some_child], key)[some_child]]).fetchone()[0] == 1


def test_every_column_the_reader_maps_exists_in_its_table():
    from scorecard.formats.ssd import _SUPPLIES

    for table, outputs in _SUPPLIES.items():
        columns = set(ssd.SSD_TABLES[table].columns)
        for canonical, spec in outputs.items():
            assert set(spec) <= set(TABLES[canonical].column_names), (table, canonical)
            for sources in spec.values():
                assert set(sources) <= columns, (table, sources)
