"""SSDA903 tables: recognised by their columns, Missing and Header read, other tables skipped,
unknown MISSING codes quarantined, bad input refused, and the same staged rows as canonical
files for what the 903 covers. All data is synthetic (made-up ids)."""
from __future__ import annotations

import datetime as dt

import pytest

from scorecard import db
from scorecard.errors import StructuralError
from scorecard.formats import Skip, id_key, reader_for, ssda903
from scorecard.formats.mapping import load_mappings
from scorecard.load import load

MISSING = ("CHILD,DOB,MISSING,MIS_START,MIS_END\n"
           "1001,05/03/2008,M,01/05/2022,02/05/2022\n"
           "1001,05/03/2008,a,01/05/2022,\n"
           "1002,07/07/2009,Away,03/06/2022,04/06/2022\n"
           "1003,07/07/2009,X,04/06/2022,05/06/2022\n")
HEADER = ("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
          "1001,1,05/03/2008,WBRI,A123456789012,1,01/02/2024\n"
          "1002,2,07/07/2009,MWBC,,,\n")


def _read(path, table=None):
    reader = reader_for(path, load_mappings([]))
    assert reader is not None
    with id_key(b"k" * 32):
        return reader(path)


@pytest.mark.parametrize("name", ["missing.csv", "SSDA903_2022_missing.csv", "Export (3).csv"])
def test_missing_table_is_recognised_by_its_columns_whatever_its_name(tmp_path, name):
    path = tmp_path / name
    path.write_text(MISSING.replace("CHILD", "child ").replace("MIS_END", "Mis_End"))
    [frame] = _read(path)
    assert frame.table == "missing_episodes" and frame.source == "ssda903"
    rows = frame.data.to_dicts()
    assert [r["_row"] for r in rows] == [2, 3, 4, 5]
    assert {r["looked_after"] for r in rows} == {"Y"}
    assert [r["missing_type"] for r in rows] == ["M", "A", "A", "X"]
    assert rows[1]["missing_end_datetime"] is None
    assert rows[0]["dob"] == "05/03/2008"   # kept as an extra column
    # ids derived from child, start date and occurrence: distinct, stable, keyed
    ids = [r["missing_episode_id"] for r in rows]
    assert len(set(ids)) == 4 and all(i.startswith("903M-") for i in ids)
    assert [r["missing_episode_id"] for r in _read(path)[0].data.to_dicts()] == ids
    with id_key(b"another key, another id"):
        assert ssda903.read(path)[0].data["missing_episode_id"][0] != ids[0]


def test_unknown_missing_code_is_quarantined_with_the_reason(tmp_path, key):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "missing.csv").write_text(MISSING)
    con = db.connect(":memory:")
    report = load(con, raw, key=key)
    assert (report.rows_loaded, report.rows_rejected) == (3, 1)
    [(row, column, value, reason)] = con.execute(
        "select source_row, column_name, raw_value, reason from quarantine.rejected_rows").fetchall()
    assert (row, column, value) == (5, "missing_type", "X")
    assert "unknown MISSING code 'X'" in reason and "M missing from care" in reason
    got = con.execute("select missing_start_datetime, missing_end_datetime, missing_type, looked_after "
                      "from staging.missing_episodes order by missing_start_datetime, missing_type").fetchall()
    assert got[0] == (dt.datetime(2022, 5, 1), None, "A", True)
    assert got[1] == (dt.datetime(2022, 5, 1), dt.datetime(2022, 5, 2), "M", True)
    assert con.execute("select source from meta.loads").fetchone()[0] == "ssda903"
    # no return interview data: the ledger says which columns the 903 supplied
    supplied = {c for (c,) in con.execute("select column_name from meta.load_columns").fetchall()}
    assert {"missing_start_datetime", "looked_after"} <= supplied and "source_system" not in supplied


def test_header_table_gives_children_without_the_childs_own_childs_birth_date(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text(HEADER)
    [frame] = _read(path)
    assert frame.table == "children"
    rows = frame.data.to_dicts()
    assert [(r["child_id"], r["sex"], r["ethnicity"], r["upn"]) for r in rows] == [
        ("1001", "M", "WBRI", "A123456789012"), ("1002", "F", "MWBC", None)]
    assert rows[0]["mother"] == "1"
    assert "mc_dob" not in frame.data.columns and "01/02/2024" not in str(frame.data.rows())


@pytest.mark.parametrize("header, table", [
    ("CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC", "Episodes"),
    ("CHILD,DOB,REVIEW,REVIEW_CODE", "Reviews"),
    ("CHILD,SEX,DOB,DUC", "UASC"),
    ("CHILD,DOB,DOLO_START,DOLO_END", "DoLo"),
])
def test_other_903_tables_are_skipped_with_the_reason(tmp_path, header, table):
    path = tmp_path / "t.csv"
    path.write_text(header + "\n1,x,y,z\n")
    with pytest.raises(Skip, match=f"SSDA903 {table} table: not used by the scorecard"):
        _read(path)


def test_a_missing_column_is_a_clear_error(tmp_path, key):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "missing.csv").write_text("CHILD,DOB,MISSING,MIS_START\n1001,05/03/2008,M,01/05/2022\n")
    con = db.connect(":memory:")
    with pytest.raises(StructuralError) as err:
        load(con, raw, key=key)
    assert str(err.value).endswith("column 'MIS_END': missing column of the SSDA903 Missing table")
    assert con.execute("select count(*) from meta.loads").fetchone()[0] == 0


@pytest.mark.parametrize("name, expect", [
    ("missing_episodes.csv", "matches two formats: the SSDA903 Missing table (by its columns) and the "
                             "canonical missing_episodes extract (by its file name)"),
    ("police_missing_2022-05.csv", "matches two formats: mapping police_missing.toml"),
])
def test_a_file_two_formats_claim_is_refused(tmp_path, name, expect):
    path = tmp_path / name
    path.write_text(MISSING)
    with pytest.raises(StructuralError) as err:
        reader_for(path, load_mappings([]))
    assert expect in str(err.value) and "\n" not in str(err.value)


def test_a_903_xml_return_is_named_not_taken_for_a_census(tmp_path):
    path = tmp_path / "return.xml"
    path.write_text('<?xml version="1.0"?><ExpSSDA903><Header/></ExpSSDA903>')
    with pytest.raises(StructuralError, match="an SSDA903 XML return"):
        reader_for(path, [])


def test_synthetic_data_as_903_loads_to_the_same_staged_rows_for_what_it_covers(tmp_path):
    from scorecard.synth import generate

    generate(tmp_path / "raw", seed=5, scale=0.05, formats=["csv", "ssda903"])
    key = b"k" * 32
    cons = {}
    for fmt in ("csv", "ssda903"):
        cons[fmt] = db.connect(":memory:")
        assert load(cons[fmt], tmp_path / "raw" / fmt, key=key).rows_rejected == 0
    # the 903 covers looked-after children's episodes, by date (no time of day), without ids
    episodes = ("select child_id, cast(missing_start_datetime as date), cast(missing_end_datetime as date), "
                "missing_type, looked_after from staging.missing_episodes")
    want = sorted(cons["csv"].execute(episodes + " where looked_after").fetchall(), key=repr)
    got = sorted(cons["ssda903"].execute(episodes).fetchall(), key=repr)
    assert got == want and len(got) > 10
    # and those children's details (sex U has no 903 code)
    children = ("select child_id, date_of_birth, nullif(sex, 'U'), ethnicity from staging.children")
    want = sorted(cons["csv"].execute(children + " where child_id in (select child_id from "
                                      "staging.missing_episodes where looked_after)").fetchall(), key=repr)
    assert sorted(cons["ssda903"].execute(children).fetchall(), key=repr) == want
