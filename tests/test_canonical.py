"""Reading canonical extract files (scorecard.canonical): encodings, CSV dialects, Excel and
Parquet, folders and unreadable rows. Synthetic data only."""
from __future__ import annotations

import datetime as dt

import openpyxl
import polars as pl
import pytest

from scorecard import db
from scorecard.canonical import scan
from scorecard.errors import StructuralError
from scorecard.load import load, pseudonymise

from .conftest import snapshot, tree_state
from .test_load import REFERRALS, con, staged  # noqa: F401  (con: the fixture)


def test_utf8_bom_and_windows_1252_files_load(con, raw, key):
    (raw / "children.csv").write_bytes("\ufeffchild_id,sex,ethnicity\nC1,F,WBRI\n".encode("utf-8"))
    (raw / "cp_plans.csv").write_bytes(
        "cp_plan_id,child_id,cp_plan_start_date,initial_category,latest_category\n"
        "P1,Zoë,2022-05-01,NEG,\n".encode("cp1252"))
    before = tree_state(raw)
    load(con, raw, key=key)
    assert len(staged(con, "children")) == 1
    (plan,) = staged(con, "cp_plans", "cp_plan_id, child_id")
    assert plan[0] == "P1" and plan[1] == pseudonymise(["Zoë"], key)["Zoë"]
    assert tree_state(raw) == before  # transcoding happened outside the raw folder


def test_xlsx_and_parquet_load_to_the_same_staged_rows_as_csv(tmp_path, key):
    frame = pl.read_csv(REFERRALS.encode(), infer_schema=False)
    dirs = {}
    for fmt in ("csv", "xlsx", "parquet"):
        d = tmp_path / fmt
        d.mkdir()
        dirs[fmt] = d
    (dirs["csv"] / "referrals.csv").write_text(REFERRALS)
    typed = pl.DataFrame({
        "referral_id": ["R1", "R2", "R3"], "child_id": ["C100", "C200", "C100"],
        "referral_date": [dt.date(2023, 1, 5), dt.date(2023, 1, 6), dt.date(2023, 1, 6)],
        "referral_source": ["6", "2A", "3A"], "referral_nfa": [False, True, True]})
    typed.write_parquet(dirs["parquet"] / "referrals.parquet")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "referrals"
    ws.append(frame.columns)
    for r in typed.iter_rows():
        ws.append(["Y" if v is True else "N" if v is False else v for v in r])
    wb.save(dirs["xlsx"] / "referrals.xlsx")
    results = {}
    for fmt, d in dirs.items():
        c = db.connect(":memory:")
        load(c, d, key=key)
        results[fmt] = staged(c, "referrals", "referral_id, child_id, referral_date, referral_source, referral_nfa")
    assert results["csv"] == results["xlsx"] == results["parquet"]
    assert len(results["csv"]) == 3


def test_integer_dates_in_parquet_are_refused_naming_file_and_column(con, raw, key):
    """Days since 1970 and Excel serials cannot be told apart in a numeric column: refuse it."""
    before = snapshot(con)
    pl.DataFrame({"referral_id": ["R1"], "child_id": ["C1"],
                  "referral_date": pl.Series([19_000], dtype=pl.Int32),
                  "referral_source": ["6"]}).write_parquet(raw / "referrals.parquet")
    with pytest.raises(StructuralError) as err:
        load(con, raw, key=key)
    assert err.value.file == "referrals.parquet" and err.value.column == "referral_date"
    assert "INTEGER" in str(err.value) and "DATE or TIMESTAMP" in str(err.value)
    assert snapshot(con) == before


def test_typed_parquet_dates_and_datetimes_load_as_the_same_values(con, raw, key):
    pl.DataFrame({"missing_episode_id": ["M1"], "child_id": ["C1"],
                  "missing_start_datetime": [dt.datetime(2023, 2, 1, 22, 15)],
                  "missing_end_datetime": pl.Series([None], dtype=pl.Datetime)}
                 ).write_parquet(raw / "missing_episodes.parquet")
    pl.DataFrame({"referral_id": ["R1"], "child_id": ["C1"], "referral_date": [dt.date(2023, 1, 5)],
                  "referral_source": ["6"]}).write_parquet(raw / "referrals.parquet")
    load(con, raw, key=key)
    assert staged(con, "referrals", "referral_date") == [(dt.date(2023, 1, 5),)]
    assert staged(con, "missing_episodes", "missing_start_datetime, missing_end_datetime") == [
        (dt.datetime(2023, 2, 1, 22, 15), None)]


def test_a_folder_named_like_an_extract_is_reported_as_skipped(con, raw, key):
    (raw / "referrals.csv").write_text(REFERRALS)
    (raw / "cp_plans_2023.csv").mkdir()
    report = load(con, raw, key=key)
    skipped = [f for f in report.files if f.status == "skipped"]
    assert [(f.file, f.status) for f in skipped] == [("cp_plans_2023.csv/", "skipped")]
    assert "folder named like a .csv file" in skipped[0].message
    assert "1 skipped" in report.summary()


def test_an_overlong_field_names_its_real_row_and_column(con, raw, key):
    before = snapshot(con)
    rows = REFERRALS.splitlines()
    rows[2] = rows[2].replace(",Yes", "," + "x" * 3_000_000)  # the second data row: row 3
    (raw / "referrals.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(StructuralError) as err:
        load(con, raw, key=key)
    assert (err.value.file, err.value.row, err.value.column) == ("referrals.csv", 3, "referral_nfa")
    assert "too long to read" in str(err.value) and "xxxx" not in str(err.value)
    assert snapshot(con) == before


@pytest.mark.parametrize("text, kind", [
    ("referral_id,child_id\nR1,C1\n", "plain"),
    ('referral_id,child_id\nR1,"C1, C2"\n', "utf8"),  # a quote: sniffed
    ("referral_id;child_id\nR1;C1\n", "utf8"),
    ("referral_id,child_id\nR1,O'Brien\n", "utf8"),
    ("referral_id\tchild_id\nR1\tC1\n", "utf8"),
])
def test_a_scan_tells_plain_comma_separated_text_from_other_dialects(tmp_path, text, kind):
    (tmp_path / "f.csv").write_text(text, encoding="utf-8")
    (tmp_path / "g.csv").write_bytes(text.replace("R1", "Zoë").encode("cp1252"))
    assert scan(tmp_path / "f.csv")[1] == kind
    assert scan(tmp_path / "g.csv")[1] is None


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_a_plain_csv_and_a_sniffed_one_stage_the_same_rows(tmp_path, key, sep):
    """Read without sniffing (plain) or with it (another delimiter, an apostrophe, a quoted
    comma or quote): the same staged rows."""
    rows = [["referral_id", "child_id", "referral_date", "referral_source", "worker"],
            ["R1", "C100", "2023-01-05", "6", "Ann"], ["R2", "C200", "06/01/2023", "2A", "Bo, Jr"],
            ["R3", "C100", "44932", "3A", 'the "lead"']]
    def write(folder, with_apostrophe):
        folder.mkdir()
        lines = []
        for r in rows:
            cells = [f'"{c.replace(chr(34), chr(34) * 2)}"' if ("," in c or '"' in c or sep in c) else c for c in r]
            lines.append(sep.join(cells))
        text = "\n".join(lines) + "\n"
        if with_apostrophe:
            text = text.replace("Ann", "O'Neill")
        (folder / "referrals.csv").write_text(text, encoding="utf-8")
    write(tmp_path / "a", False)
    write(tmp_path / "b", True)
    got = {}
    for name in ("a", "b"):
        c = db.connect(":memory:")
        load(c, tmp_path / name, key=key)
        got[name] = rows_read = c.execute("select s.referral_id, s.child_id, s.referral_date, s.referral_source, "
                                          "json_extract_string(r._extras, '$.worker') from raw.referrals r "
                                          "join staging.referrals s using (referral_id) order by 1").fetchall()
        assert len(rows_read) == 3
    assert scan(tmp_path / "a" / "referrals.csv")[1] == "utf8"  # quoted cells: sniffed
    assert [r[:4] for r in got["a"]] == [r[:4] for r in got["b"]]
    assert [r[4] for r in got["a"]] == ["Ann", "Bo, Jr", 'the "lead"']


def test_a_csv_without_quotes_is_read_plain_and_stages_what_sniffing_does(tmp_path, key):
    text = ("referral_id,child_id,referral_date,referral_source\n"
            "R1,C100,2023-01-05,6\nR2,C200,06/01/2023,2A\nR3,C100,44932,3A\n")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "referrals.csv").write_text(text, encoding="utf-8")
    (tmp_path / "b").mkdir()  # the same rows with a semicolon in a cell: sniffed
    (tmp_path / "b" / "referrals.csv").write_text(text.replace(",3A", ",3A;"), encoding="utf-8")
    assert scan(tmp_path / "a" / "referrals.csv")[1] == "plain"
    assert scan(tmp_path / "b" / "referrals.csv")[1] == "utf8"
    got = []
    for name in ("a", "b"):
        c = db.connect(":memory:")
        load(c, tmp_path / name, key=key)
        got.append(c.execute("select referral_id, child_id, referral_date, referral_source "
                             "from staging.referrals order by 1").fetchall())
    assert len(got[0]) == 3 and [r[:3] for r in got[0]] == [r[:3] for r in got[1]]
    assert [str(r[2]) for r in got[0]] == ["2023-01-05", "2023-01-06", "2023-01-06"]
    assert [r[3] for r in got[0]] == ["6", "2A", "3A"] and got[1][2][3] == "3A;"


@pytest.mark.parametrize("cells", ['"abc" def', '"a"b', 'say "hi"'])
def test_a_stray_or_unbalanced_quote_is_read_as_the_sniffer_reads_it(tmp_path, key, cells):
    """A quote the sniffer reads as an ordinary character (DuckDB picks no quote for such a
    file) is kept in the value; the file is never read as plain."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "referrals.csv").write_text(
        f"referral_id,child_id,referral_date,referral_source,worker\nR1,C1,2023-01-05,6,{cells}\n",
        encoding="utf-8")
    assert scan(raw / "referrals.csv")[1] == "utf8"
    c = db.connect(":memory:")
    load(c, raw, key=key)
    assert c.execute("select json_extract_string(_extras, '$.worker') from raw.referrals").fetchall() \
        == [(cells,)]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_rows_of_a_file_read_on_both_cores_keep_their_file_row_numbers(con, raw, key, fmt):
    """A file of several row groups (DuckDB's are 122,880 rows), read in parallel: every record's
    row number is its place in the file (the header is row 1), in raw and in quarantine."""
    n = 300_000
    ids = [f"R{i + 2}" for i in range(n)]   # each referral id names its spreadsheet row
    dates = ["2023-01-05"] * n
    dates[n - 7] = "not a date"             # row n - 5
    frame = pl.DataFrame({"referral_id": ids, "child_id": [f"C{i % 997}" for i in range(n)],
                          "referral_date": dates, "referral_source": ["1A"] * n})
    if fmt == "csv":
        frame.write_csv(raw / "referrals.csv")
    else:
        frame.write_parquet(raw / "referrals.parquet", row_group_size=50_000)
    report = load(con, raw, key=key)
    assert report.rows_loaded == n - 1 and report.rows_rejected == 1
    assert con.execute("select count(*), count(*) filter (where 'R' || source_row = referral_id), "
                       "min(source_row), max(source_row) from raw.referrals").fetchall() == [(n, n, 2, n + 1)]
    assert con.execute("select source_row, record_id, column_name from quarantine.rejected_rows").fetchall() == [
        (n - 5, f"R{n - 5}", "referral_date")]
    # and in file order, as before
    assert con.execute("select count(*) from (select source_row, lag(source_row) over () as prev "
                       "from raw.referrals) where source_row <> prev + 1").fetchall() == [(0,)]


def test_a_file_with_a_rowid_column_is_numbered_by_its_records(con, raw, key):
    """A column named ``rowid`` would hide DuckDB's position: such a file is numbered as it is read."""
    (raw / "referrals.csv").write_text("referral_id,child_id,referral_date,referral_source,rowid\n"
                                       "R1,C1,2023-01-05,1A,9\nR2,C2,31/02/2023,1A,5\nR3,C3,2023-01-07,1A,1\n")
    report = load(con, raw, key=key)
    assert report.rows_rejected == 1
    assert con.execute("select source_row, record_id from quarantine.rejected_rows").fetchall() == [(3, "R2")]
    assert con.execute("select referral_id, source_row, _extras from raw.referrals order by source_row").fetchall() == [
        ("R1", 2, '{"rowid":"9"}'), ("R2", 3, '{"rowid":"5"}'), ("R3", 4, '{"rowid":"1"}')]


def test_a_quoted_line_break_in_a_long_file_is_read_as_part_of_its_value(con, raw, key):
    """A line break inside quotes, after the rows DuckDB sniffs by default (20,480) so that it
    would have read the file with no quote, and where its parallel reader would have stopped:
    the record is loaded whole, at its row."""
    n = 40_000
    sources = ["1A"] * n
    sources[n - 10] = "police\nsecond line"     # record n - 10, the file's row n - 8 (header row 1)
    pl.DataFrame({"referral_id": [f"R{i}" for i in range(n)], "child_id": [f"C{i % 997}" for i in range(n)],
                  "referral_date": ["2023-01-05"] * n, "referral_source": sources}).write_csv(raw / "referrals.csv")
    report = load(con, raw, key=key)
    assert report.rows_loaded == n and report.rows_rejected == 0
    assert con.execute("select referral_id, source_row from raw.referrals where referral_source like '%second%'"
                       ).fetchall() == [(f"R{n - 10}", n - 8)]


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_records_after_an_empty_line_keep_the_row_a_spreadsheet_shows(con, raw, key, eol):
    """DuckDB skips an empty line; the rows after it are still the file's (the header is row 1,
    an empty line is a row, a quoted line break stays inside its row), in raw and in quarantine."""
    lines = ["referral_id,child_id,referral_date,referral_source",
             "R2,C1,2023-01-05,1A",
             "",                                          # row 3
             'R4,C2,2023-01-05,"police',                  # row 4, two lines
             "",                                          # inside the quotes: not a row
             'second line"',
             "",                                          # row 5
             "",                                          # row 6
             "R7,C3,31/02/2023,1A",                       # row 7: quarantined
             "R8,C4,2023-01-06,1A"]
    (raw / "referrals.csv").write_bytes(eol.join(lines).encode() + eol.encode())
    report = load(con, raw, key=key)
    assert report.rows_loaded == 3 and report.rows_rejected == 1
    assert con.execute("select referral_id, source_row from raw.referrals order by source_row").fetchall() == [
        ("R2", 2), ("R4", 4), ("R7", 7), ("R8", 8)]
    assert con.execute("select source_row, record_id, column_name from quarantine.rejected_rows").fetchall() == [
        (7, "R7", "referral_date")]


def test_an_empty_line_only_inside_quotes_or_at_the_end_changes_no_row_number(tmp_path):
    import duckdb

    from scorecard.canonical import _PLAIN_CSV, _SNIFFED_CSV, _spreadsheet_rows

    c = duckdb.connect()
    path = tmp_path / "referrals.csv"
    path.write_text('referral_id,referral_source\nR2,"a\n\nb"\nR3,1A\n')
    assert scan(path)[2] is True                    # may hold one: looked at
    assert _spreadsheet_rows(c, path, _SNIFFED_CSV) is None   # none outside quotes: numbered by position
    path.write_text("referral_id,referral_source\nR2,1A\nR3,1A\n\n\n")
    assert scan(path)[2] is False                   # only after the last line of text: not read again
    assert _spreadsheet_rows(c, path, _PLAIN_CSV) is None     # (and no record after them)
    path.write_text("referral_id,referral_source\nR2,1A\nR3,1A\n")
    assert scan(path)[2] is False


@pytest.mark.parametrize("text, rows", [
    # semicolons, a quoted comma and a quoted semicolon across a line break: read as DuckDB sniffs it
    ('referral_id;child_id;referral_date;referral_source\nR2;C1;2023-01-05;"1,A;\nB"\n\nR4;C2;2023-01-05;1A\n',
     [("R2", 2), ("R4", 4)]),
    # old Mac line ends
    ("referral_id,child_id,referral_date,referral_source\rR2,C1,2023-01-05,1A\r\rR4,C2,2023-01-05,1A\r",
     [("R2", 2), ("R4", 4)]),
])
def test_empty_lines_in_other_dialects_keep_the_spreadsheet_row(con, raw, key, text, rows):
    (raw / "referrals.csv").write_bytes(text.encode())
    load(con, raw, key=key)
    assert con.execute("select referral_id, source_row from raw.referrals order by source_row").fetchall() == rows


def test_rows_the_csv_module_reads_otherwise_than_duckdb_are_not_paired(con, raw, key, monkeypatch):
    """If the two readers' records are not the same (another first value), the rows are not
    used: numbered by position, as before, rather than paired with the wrong records."""
    from scorecard import canonical

    (raw / "referrals.csv").write_text("referral_id,child_id,referral_date,referral_source\n"
                                       "R2,C1,2023-01-05,1A\n\nR4,C2,2023-01-05,1A\n")
    monkeypatch.setattr(canonical, "_spreadsheet_rows",
                        lambda *a: canonical._Rows([2, 4], ["R2", "R9"]))
    load(con, raw, key=key)
    assert con.execute("select referral_id, source_row from raw.referrals order by source_row").fetchall() == [
        ("R2", 2), ("R4", 3)]


def test_an_empty_line_split_between_two_reads_of_a_scan_is_seen(tmp_path):
    path = tmp_path / "referrals.csv"
    head = b"referral_id,referral_source\n" + b"R,1A\n" * 300_000
    cut = (1 << 20) - len(head) % (1 << 20)          # the file is scanned 1 MB at a time
    body = head + b"x" * (cut - 1) + b"\n" + b"\nR9,1A\n"
    assert len(head + b"x" * (cut - 1) + b"\n") % (1 << 20) == 0
    path.write_bytes(body)
    assert scan(path)[2] is True


def test_a_csv_whose_first_line_is_empty_is_refused_and_the_database_kept(con, raw, key):
    (raw / "referrals.csv").write_text("\nreferral_id,child_id,referral_date,referral_source\nR2,C1,2023-01-05,1A\n")
    before = snapshot(con)
    with pytest.raises(StructuralError, match=r"referrals.csv, row 1: the first line is empty"):
        load(con, raw, key=key)
    assert snapshot(con) == before
