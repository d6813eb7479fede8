import datetime as dt

import pytest

from scorecard import db
from scorecard.schema import TABLES


def test_connect_creates_layers_ledger_and_empty_staging_tables():
    con = db.connect(":memory:")
    schemas = {r[0] for r in con.execute("select schema_name from information_schema.schemata").fetchall()}
    assert {"raw", "staging", "quarantine", "marts", "meta"} <= schemas
    for name, t in TABLES.items():
        cols = [r[0] for r in con.execute(f"describe staging.{name}").fetchall()]
        assert sorted(cols[:-3]) == sorted(t.column_names)
        assert cols[-3:] == ["load_id", "source_file", "source_row"]
        assert con.execute(f"select count(*) from staging.{name}").fetchall() == [(0,)]


@pytest.mark.parametrize("text, expected", [
    ("2023-01-05", dt.date(2023, 1, 5)), ("05/01/2023", dt.date(2023, 1, 5)), ("5/1/2023", dt.date(2023, 1, 5)),
    ("44931", dt.date(2023, 1, 5)), ("44931.75", dt.date(2023, 1, 5)), ("2023-01-05 13:00:00", dt.date(2023, 1, 5)),
    (" ", None), ("31/02/2023", None), ("01/13/2023", None), ("tomorrow", None)])
def test_date_macro(text, expected):
    con = db.connect(":memory:")
    assert con.execute("select sc_date($t)", {"t": text}).fetchall() == [(expected,)]


@pytest.mark.parametrize("text, expected", [
    ("2023-01-05 13:45", dt.datetime(2023, 1, 5, 13, 45)), ("05/01/2023 13:45:10", dt.datetime(2023, 1, 5, 13, 45, 10)),
    ("2023-01-05", dt.datetime(2023, 1, 5)), ("2023-01-05T08:00:00", dt.datetime(2023, 1, 5, 8)),
    ("44931.5", dt.datetime(2023, 1, 5, 12)), ("25:00", None)])
def test_datetime_macro(text, expected):
    con = db.connect(":memory:")
    assert con.execute("select sc_datetime($t)", {"t": text}).fetchall() == [(expected,)]


@pytest.mark.parametrize("text, expected", [("Y", True), ("yes", True), ("1", True), ("True", True), ("N", False),
                                            ("No", False), ("0", False), ("FALSE", False), ("", None), ("maybe", None)])
def test_flag_macro(text, expected):
    con = db.connect(":memory:")
    assert con.execute("select sc_flag($t)", {"t": text}).fetchall() == [(expected,)]


def test_read_only_connection_has_the_macros(tmp_path):
    db.connect(tmp_path / "a.duckdb").close()
    con = db.connect(tmp_path / "a.duckdb", read_only=True)
    assert con.execute("select sc_flag('Y')").fetchall() == [(True,)]


@pytest.mark.parametrize("text, expected", [
    (" aut,mob; hand|AUT ", "AUT MOB HAND AUT"), ("21", "21"), (" , ; ", None), ("", None), (None, None)])
def test_code_list_macro(text, expected):
    con = db.connect(":memory:")
    assert con.execute("select sc_code_list($t)", {"t": text}).fetchall() == [(expected,)]


#: the raw and staging columns of children and cin_episodes as the first release made them
_OLD = {"children": ["child_id", "date_of_birth", "sex", "ethnicity", "source_system", "legacy_id"],
        "cin_episodes": ["cin_episode_id", "child_id", "referral_id", "cin_start_date", "cin_closure_date",
                         "reason_for_closure", "primary_need_code", "source_system", "legacy_id"]}


def test_a_database_from_an_earlier_version_is_upgraded_in_place(tmp_path):
    path = tmp_path / "old.duckdb"
    old = db.connect(path)
    # turn it into the earlier layout: the extension tables and columns did not exist
    for name in ("s47_enquiries", "cin_plans", "cp_reviews"):
        old.execute(f"drop table raw.{name}; drop table staging.{name}")
    old.execute("drop table meta.file_facts")
    for name, cols in _OLD.items():
        raw_cols = ", ".join(f"{c} varchar" for c in cols)
        old.execute(f"drop table raw.{name}; drop table staging.{name}")
        old.execute(f"create table raw.{name} (load_id bigint, source_file varchar, source_row bigint, "
                    f"_rejected boolean, _extras varchar, {raw_cols})")
        old.execute(f"create table staging.{name} as select {', '.join(cols)}, load_id, source_file, "
                    f"source_row from raw.{name}")
    old.execute("insert into meta.loads (load_id, source_file, table_name, status) "
                "values (1, 'cin_episodes.csv', 'cin_episodes', 'loaded')")
    old.execute("insert into raw.cin_episodes (load_id, source_file, source_row, _rejected, cin_episode_id, "
                "child_id, cin_start_date, primary_need_code) values (1, 'cin_episodes.csv', 2, false, "
                "'E1', 'P1', '2023-01-05', 'N1')")
    old.close()

    con = db.connect(path)
    for name, t in TABLES.items():
        cols = [r[0] for r in con.execute(f"describe staging.{name}").fetchall()]
        assert sorted(cols[:-3]) == sorted(t.column_names), name
        raw_cols = {r[0] for r in con.execute(f"describe raw.{name}").fetchall()}
        assert set(t.column_names) <= raw_cols, name
    # what was loaded is still there, staged with the new columns blank
    assert con.execute("select cin_episode_id, cin_start_date, referral_nfa, icpc_date "
                       "from staging.cin_episodes").fetchall() == [("E1", dt.date(2023, 1, 5), None, None)]
    assert con.execute("select count(*) from meta.file_facts").fetchall() == [(0,)]
    con.close()
    # upgrading is done once: a second connection changes nothing
    again = db.connect(path)
    assert again.execute("select count(*) from staging.cin_episodes").fetchall() == [(1,)]
