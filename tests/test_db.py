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
