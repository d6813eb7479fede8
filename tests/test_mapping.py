"""Declarative mapping files: shipped Mosaic/TED mappings, translation, dates, ids, errors."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import openpyxl
import pytest

from scorecard.errors import StructuralError
from scorecard.formats import reader_for
from scorecard.formats.mapping import PACKAGE_MAPPINGS, load_mapping_file, load_mappings

MOSAIC_REFERRALS = (
    "Referral ID,Person ID,Referral Date,Referral Source,No Further Action,Forename\r\n"
    "MR1,1001,05-Apr-2022,Police,No,Amy\r\n"
    "MR2,1002,31-Feb-2022,  family member/relative/CARER ,Yes,Ben\r\n"
    "\r\n"
    "MR3,1003,2022-06-01,Carrier pigeon,,\"Cé, \"\"Cat\"\"\"\r\n"
)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read(path: Path, mappings=None):
    reader = reader_for(path, load_mappings([]) if mappings is None else mappings)
    assert reader is not None, path
    return reader(path)


def test_shipped_mappings_load():
    mappings = load_mappings([])
    sources = {m.source.name for m in mappings}
    assert {"mosaic.toml", "ted.toml"} <= sources
    tables = {(m.source.name, m.table) for m in mappings}
    for system in ("mosaic.toml", "ted.toml"):
        for table in ("referrals", "cin_episodes", "cp_plans", "missing_episodes",
                      "return_interviews"):
            assert (system, table) in tables


def test_mosaic_referrals_csv(tmp_path):
    path = tmp_path / "Mosaic_Referrals_2022-06.csv"
    path.write_text(MOSAIC_REFERRALS, encoding="utf-8-sig")
    before = _digest(path)
    [frame] = _read(path)
    assert _digest(path) == before
    assert frame.table == "referrals"
    assert "Mosaic_Referrals_2022-06.csv" in frame.location and "mosaic.toml" in frame.location
    rows = frame.data.to_dicts()
    assert [r["_row"] for r in rows] == [2, 3, 5]  # the blank line 4 is skipped, not renumbered
    assert [r["referral_source"] for r in rows] == ["6", "1A", "Carrier pigeon"]
    assert [r["referral_date"] for r in rows] == ["2022-04-05", "31-Feb-2022", "2022-06-01"]
    assert [r["referral_nfa"] for r in rows] == ["No", "Yes", None]  # flags left to the loader
    assert {r["source_system"] for r in rows} == {"MOSAIC"}
    assert "forename" not in frame.data.columns and "Forename" not in frame.data.columns


def test_ted_exports_cp1252_words_and_flags(tmp_path):
    path = tmp_path / "TED_REFERRALS.csv"
    path.write_bytes(("REF_NO,CLIENT_NO,REF_DT,REF_SRC_DESC,NFA_FLAG\n"
                      "T1,9001,05.04.2022,health - a&e,T\n"
                      "T2,9002,5/4/22,SCHOOL,F\n"
                      "T3,9003,01.01.2021,MARTIAN,Q\n").encode("cp1252"))
    rows = _read(path)[0].data.to_dicts()
    assert [(r["referral_source"], r["referral_nfa"], r["referral_date"]) for r in rows] == [
        ("3E", "Y", "2022-04-05"), ("2A", "N", "5/4/22"), ("MARTIAN", "Q", "2021-01-01")]
    assert {r["source_system"] for r in rows} == {"TED"}

    missing = tmp_path / "ted_missing_2022-07.csv"
    missing.write_bytes("MISS_ID,CLIENT_NO,MISS_FROM,MISS_TO,MISS_TYPE,LAC_FLAG\n"
                        "X1,9001,01.07.2022 22:05,02.07.2022,ABSENT,T\n".encode("cp1252"))
    ep = _read(missing)[0].data.to_dicts()[0]
    assert (ep["missing_start_datetime"], ep["missing_end_datetime"], ep["missing_type"],
            ep["looked_after"]) == ("2022-07-01 22:05:00", "2022-07-02 00:00:00", "A", "Y")


def test_wrong_encoding_is_structural(tmp_path):
    path = tmp_path / "mosaic_cin.csv"
    path.write_bytes("CIN Episode ID,Person ID,CIN Start Date,Primary Need\n"
                     "E1,1,01-Jan-2022,Abuse or neglect \xe9\n".encode("cp1252"))
    with pytest.raises(StructuralError, match="not valid utf-8-sig"):
        _read(path)


def test_xlsx_export_with_header_row_sheet_and_derived_ids(tmp_path):
    mapping = tmp_path / "maps" / "police.toml"
    mapping.parent.mkdir()
    mapping.write_text("""
name = "Police missing-person spreadsheet"
[[export]]
name = "Police missing"
files = ["police_missing*.xlsx"]
table = "missing_episodes"
sheet = "Episodes"
header_row = 3
derive_id = ["child_id", "missing_start_datetime"]
[export.columns]
"Subject ref" = "child_id"
"Reported missing" = "missing_start_datetime"
"Found" = "missing_end_datetime"
[export.codes.missing_type]
"X" = "M"
[export.dates]
missing_end_datetime = "%d/%m/%Y %H%M"
[export.constants]
source_system = "POLICE"
""")
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    ws = wb.create_sheet("episodes")
    ws.append(["Force missing persons report"])
    ws.append([])
    ws.append(["SUBJECT REF", "Reported\nmissing", "Found", "Officer"])
    ws.append([1001, dt.datetime(2022, 7, 1, 22, 0), "02/07/2022 1030", "PC Smith"])
    ws.append([1001, dt.datetime(2022, 7, 1, 22, 0), "whenever", "PC Jones"])
    path = tmp_path / "Police_Missing_Q2.xlsx"
    wb.save(path)
    before = _digest(path)
    mappings = load_mappings([mapping.parent])
    assert mappings[0].source == mapping  # user mappings come before shipped ones
    [frame] = _read(path, mappings)
    assert _digest(path) == before
    rows = frame.data.to_dicts()
    assert [r["_row"] for r in rows] == [4, 5]
    assert rows[0]["child_id"] == "1001"
    assert rows[0]["missing_start_datetime"] == "2022-07-01 22:00:00"
    assert [r["missing_end_datetime"] for r in rows] == ["2022-07-02 10:30:00", "whenever"]
    ids = [r["missing_episode_id"] for r in rows]
    assert ids[0].startswith("POLICE-MIS-") and ids[0] != ids[1]  # same key, 2nd occurrence
    assert [f.data["missing_episode_id"].to_list() for f in _read(path, mappings)] == [ids]
    assert "officer" not in frame.data.columns


def test_one_file_can_feed_two_tables_and_user_mapping_overrides_shipped(tmp_path):
    mapping = tmp_path / "local.toml"
    mapping.write_text("""
[[export]]
name = "combined missing"
files = ["mosaic_missing*.csv"]
table = "missing_episodes"
[export.columns]
"Ep" = "missing_episode_id"
"Who" = "child_id"
"From" = "missing_start_datetime"
[[export]]
name = "combined rhi"
files = ["mosaic_missing*.csv"]
table = "return_interviews"
[export.columns]
"RHI" = "rhi_id"
"Ep" = "missing_episode_id"
"Who" = "child_id"
"Accepted" = "rhi_accepted"
""")
    path = tmp_path / "mosaic_missing.csv"
    path.write_text("Ep,Who,From,RHI,Accepted\nE1,7,2022-01-01 10:00,H1,Y\n")
    frames = _read(path, load_mappings([mapping]))
    assert [f.table for f in frames] == ["missing_episodes", "return_interviews"]
    assert frames[1].data["rhi_id"].to_list() == ["H1"]


def test_required_heading_absent_names_file_and_heading(tmp_path):
    path = tmp_path / "mosaic_cp.csv"
    path.write_text("CP Plan ID,Person ID,Plan Start Date\nP1,1,01-Jan-2022\n")
    with pytest.raises(StructuralError) as err:
        _read(path)
    msg = str(err.value)
    assert msg.startswith(str(path)) and "'Initial Category'" in msg and "initial_category" in msg


def test_unsupported_suffix_and_missing_sheet(tmp_path):
    path = tmp_path / "ted_cin.json"
    mapping = tmp_path / "m.toml"
    mapping.write_text('[[export]]\nfiles = ["x*"]\ntable = "children"\nsheet = "Kids"\n'
                       '[export.columns]\n"ID" = "child_id"\n')
    [m] = load_mapping_file(mapping)
    with pytest.raises(StructuralError, match="only CSV and XLSX"):
        m.read(path)
    wb = openpyxl.Workbook()
    wb.save(tmp_path / "x.xlsx")
    with pytest.raises(StructuralError, match="no sheet 'Kids'"):
        m.read(tmp_path / "x.xlsx")
    empty = tmp_path / "x.csv"
    empty.write_text("")
    with pytest.raises(StructuralError, match="no heading row 1"):
        m.read(empty)


BASE = '[[export]]\nfiles = ["a*.csv"]\ntable = "referrals"\n' \
       '[export.columns]\n"R" = "referral_id"\n"C" = "child_id"\n"D" = "referral_date"\n' \
       '"S" = "referral_source"\n'


@pytest.mark.parametrize("text, key, words", [
    ("[[export]\nfiles=1", None, "not valid TOML"),
    ("title = 'x'\n" + BASE, "title", "unknown key"),
    ("name = 'no exports'\n", "export", "no [[export]]"),
    ('[[export]]\ntable = "referrals"\n', "export[1].files", "required key"),
    (BASE.replace('"referrals"', '"referals"'), "export[1].table", "unknown table"),
    (BASE + '"X" = "referral_dt"\n', "export[1].columns.X", "not a column of referrals"),
    (BASE + '"Y" = "child_id"\n', "export[1].columns", "two headings"),
    (BASE.replace('"S" = "referral_source"\n', ""), "export[1].columns", "referral_source"),
    (BASE + "[export.dates]\nreferral_source = '%d'\n", "export[1].dates.referral_source",
     "not a date"),
    (BASE + "[export.dates]\nreferral_date = 'DD-MM-YYYY'\n", "export[1].dates.referral_date",
     "strptime"),
    (BASE + "[export.codes]\nreferral_source = 3\n", "export[1].codes.referral_source",
     "expected a table"),
    (BASE.replace("[export.columns]", 'encoding = "klingon"\n[export.columns]'),
     "export[1].encoding", "unknown encoding"),
    (BASE.replace("[export.columns]", "header_row = 0\n[export.columns]"),
     "export[1].header_row", "whole number"),
    (BASE.replace("[export.columns]", "colums = 1\n[export.columns]"), "export[1].colums",
     "unknown key"),
    (BASE + "[export.constants]\nchild_id = 'x'\n", "export[1].constants.child_id",
     "also mapped"),
    ('source = "Police Force"\n' + BASE, "source", "lower-case word"),
    (BASE.replace("[export.columns]", 'extras = ["S"]\n[export.columns]'), "export[1].extras",
     "also mapped"),
])
def test_malformed_mapping_names_file_and_key(tmp_path, text, key, words):
    path = tmp_path / "broken.toml"
    path.write_text(text)
    with pytest.raises(StructuralError) as err:
        load_mappings([tmp_path])
    assert err.value.file == str(path)
    assert err.value.column == key
    assert words in str(err.value)


def test_missing_mapping_folder_is_structural(tmp_path):
    with pytest.raises(StructuralError, match="not found"):
        load_mappings([tmp_path / "nope"])


def test_package_folder_is_not_loaded_twice():
    assert len(load_mappings([PACKAGE_MAPPINGS])) == len(load_mappings([]))


def test_non_matching_files_fall_through(tmp_path):
    mappings = load_mappings([])
    assert reader_for(tmp_path / "referrals_2023-01.csv", mappings) is None
    assert not any(m.matches(tmp_path / "cin_episodes.xlsx") for m in mappings)


# -------------------------------------------------------- the whole census through the mappings
def test_shipped_mappings_carry_the_whole_census_tables():
    tables = {(m.source.name, m.table) for m in load_mappings([])}
    for system in ("mosaic.toml", "ted.toml"):
        for table in ("children", "assessments", "s47_enquiries", "cin_plans", "cp_reviews"):
            assert (system, table) in tables
    # every export of the case-management systems maps every canonical column of its table
    # (constants aside; the police example maps what a police spreadsheet holds)
    from scorecard.schema import TABLES
    for m in load_mappings([]):
        if m.source.name not in ("mosaic.toml", "ted.toml"):
            continue
        mapped = set(m.columns.values()) | set(m.constants)
        missing = set(TABLES[m.table].column_names) - mapped - {"legacy_id"}
        assert not missing, (m.source.name, m.name, missing)


def test_code_lists_are_translated_item_by_item(tmp_path):
    path = tmp_path / "mosaic_people_2023-03.csv"
    path.write_text("Person ID,Gender,Ethnicity,Disabilities,Date of Death,UPN Unknown Reason\r\n"
                    "1,Female,White Irish,Autism; Learning|other disability,03-Mar-2023,\r\n"
                    "2,Indeterminate,Not yet obtained,None,,UN1\r\n"
                    "3,Male,WBRI,AUT MOB,,\r\n"
                    "4,Male,Martian,Autism; Flying,,\r\n")
    rows = _read(path)[0].data.to_dicts()
    assert [(r["sex"], r["ethnicity"], r["disabilities"], r["date_of_death"], r["upn_unknown"]) for r in rows] == [
        ("F", "WIRI", "AUT LD DDA", "2023-03-03", None), ("I", "NOBT", "NONE", None, "UN1"),
        ("M", "WBRI", "AUT MOB", None, None), ("M", "Martian", "AUT Flying", None, None)]


def test_synthetic_mosaic_and_ted_exports_load_to_the_canonical_records(tmp_path, key):
    """Each system's exports (written through the shipped mappings) hold the records it
    created; both together load to exactly the records of the canonical files (no contacts:
    neither system exports them)."""
    from scorecard import db
    from scorecard.load import load
    from scorecard.schema import TABLES
    from scorecard.synth import generate

    r = generate(tmp_path / "raw", seed=2, scale=0.05, formats=["mosaic", "ted", "csv"],
                 artefacts=["duplicate_migration"])
    mapped, canonical = db.connect(":memory:"), db.connect(":memory:")
    load(mapped, tmp_path / "raw" / "mosaic", key=key)
    load(mapped, tmp_path / "raw" / "ted", key=key)
    load(canonical, tmp_path / "raw" / "csv", key=key)
    assert mapped.execute("select count(*) from quarantine.rejected_rows").fetchone() == (0,)
    for name, t in TABLES.items():
        if name == "contacts":
            continue
        sql = f"select {', '.join(t.column_names)} from staging.{name} order by {t.id_column}"
        assert mapped.execute(sql).fetchall() == canonical.execute(sql).fetchall(), name
    assert mapped.execute("select count(*) from staging.referrals where legacy_id is not null").fetchone()[0] > 0
POLICE = (
    "Occurrence Ref,LA Person ID,Surname,DOB,Date/Time Last Seen,Date/Time Reported,"
    "Date/Time Found,Category,Risk Level,Looked After\r\n"
    "MP/22/0101,1001,Smith,01/02/2008,01/05/2022 21:40,01/05/2022 23:55,02/05/2022 0930,Missing,Medium,Y\r\n"
    "MP/22/0102,1002,Jones,03/04/2009,03/05/2022 18:00,03/05/2022 19:10,,No apparent risk,Low,N\r\n"
)


def test_shipped_police_mapping_reads_a_police_spreadsheet_as_police_reports(tmp_path, key):
    from scorecard import db
    from scorecard.load import load

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "police_missing_2022-05.csv").write_text(POLICE, encoding="utf-8")
    [frame] = _read(raw / "police_missing_2022-05.csv")
    assert frame.table == "missing_episodes" and frame.source == "police"
    rows = frame.data.to_dicts()
    assert [r["missing_type"] for r in rows] == ["M", "A"]
    assert [r["missing_end_datetime"] for r in rows] == ["2022-05-02 09:30:00", None]
    assert [r["occurrence_ref"] for r in rows] == ["MP/22/0101", "MP/22/0102"]   # an extra column
    assert not {"surname", "dob"} & set(frame.data.columns)   # never read
    assert rows[0]["missing_episode_id"].startswith("POLICE_MISSING-MIS-")
    con = db.connect(":memory:")
    load(con, raw, key=key)
    assert con.execute("select distinct source from meta.loads").fetchall() == [("police",)]
    extras = con.execute("select _extras from raw.missing_episodes order by source_row").fetchone()[0]
    assert extras == '{"occurrence_ref":"MP/22/0101","date_time_reported":"01/05/2022 23:55","risk_level":"Medium"}'
    assert con.execute("select count(*) from staging.missing_episodes").fetchone()[0] == 2


def test_a_mapping_without_a_source_reports_for_case_management(tmp_path):
    path = tmp_path / "Mosaic_Referrals_2022-06.csv"
    path.write_text(MOSAIC_REFERRALS, encoding="utf-8-sig")
    [frame] = _read(path)
    assert frame.source == "case_management"
