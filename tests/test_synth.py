"""Tests for scorecard.synth: invariants, calibration, determinism, artefacts, writers, arguments.

Every artefact check recomputes the problem from the data itself (DuckDB / polars), then
compares it with the answer key; a diff against the clean run with the same seed shows the
artefact touched exactly the records the key names.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest

from scorecard.schema import (
    CP_CATEGORIES,
    MISSING_TYPES,
    PRIMARY_NEED_CODES,
    REASONS_FOR_CLOSURE,
    REFERRAL_SOURCES,
    TABLES,
    extract_name,
)
from scorecard.synth import ARTEFACTS, AnswerKey, SynthArgumentError, describe, generate

SEED, SCALE = 7, 0.3
CUT = date(2022, 7, 1)
DATE_COLS = {t: [c.name for c in s.columns if c.kind in ("date", "datetime")] for t, s in TABLES.items()}


def _con(tables: dict[str, pl.DataFrame]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name, df in tables.items():
        con.register(name, df)
    return con


@pytest.fixture(scope="module")
def clean():
    return generate(None, seed=SEED, scale=SCALE)


@pytest.fixture(scope="module")
def with_artefact():
    cache: dict[str, object] = {}

    def get(name: str):
        if name not in cache:
            cache[name] = generate(None, seed=SEED, scale=SCALE, artefacts=[name])
        return cache[name]
    return get


# ---------------------------------------------------------------------------- invariants
def test_tables_have_canonical_columns_and_types(clean):
    kinds = {"id": pl.Utf8, "text": pl.Utf8, "code": pl.Utf8, "code_list": pl.Utf8, "date": pl.Date,
             "flag": pl.Boolean}
    assert list(clean.tables) == list(TABLES)
    for name, spec in TABLES.items():
        df = clean.tables[name]
        assert df.columns == spec.column_names
        for c in spec.columns:
            want = pl.Datetime("us") if c.kind == "datetime" else kinds[c.kind]
            assert df.schema[c.name] == want, (name, c.name)
        assert df.height > 0
        assert df[spec.id_column].n_unique() == df.height, f"{name} ids not unique"


def _problems(con: duckdb.DuckDBPyConnection, extract_date: date) -> dict[str, list]:
    """Every kind of problem the artefacts inject, recomputed from the data."""
    q = lambda sql: con.sql(sql).fetchall()
    out = {
        "overlap_cp": q("""select b.cp_plan_id from cp_plans a join cp_plans b on a.child_id = b.child_id
            and a.cp_plan_id <> b.cp_plan_id and a.cp_plan_start_date <= b.cp_plan_start_date
            and (a.cp_plan_id < b.cp_plan_id or a.cp_plan_start_date < b.cp_plan_start_date)
            and b.cp_plan_start_date < coalesce(a.cp_plan_end_date, date '9999-12-31')"""),
        "overlap_cin": q("""select b.cin_episode_id from cin_episodes a join cin_episodes b
            on a.child_id = b.child_id and a.cin_episode_id <> b.cin_episode_id
            and a.cin_start_date <= b.cin_start_date
            and (a.cin_episode_id < b.cin_episode_id or a.cin_start_date < b.cin_start_date)
            and b.cin_start_date < coalesce(a.cin_closure_date, date '9999-12-31')"""),
        "orphan": q("""select rhi_id from return_interviews h where not exists
            (select 1 from missing_episodes m where m.missing_episode_id = h.missing_episode_id)"""),
        "mismatch": q("""select rhi_id from return_interviews h join missing_episodes m
            using (missing_episode_id) where h.child_id <> m.child_id"""),
        "not_accepted": q("""select rhi_id from return_interviews
            where rhi_completed_datetime is not null and not rhi_accepted"""),
        "before_return": q("""select rhi_id from return_interviews h join missing_episodes m
            using (missing_episode_id) where h.rhi_completed_datetime < m.missing_end_datetime"""),
        "end_before_start": q("""
            select 'cin_episodes', cin_episode_id from cin_episodes where cin_closure_date < cin_start_date
            union all select 'cp_plans', cp_plan_id from cp_plans where cp_plan_end_date < cp_plan_start_date
            union all select 'missing_episodes', missing_episode_id from missing_episodes
                where missing_end_datetime < missing_start_datetime"""),
        "mul_after_cutover": q(f"""select cp_plan_id from cp_plans where cp_plan_start_date >= date '{CUT}'
            and 'MUL' in (initial_category, coalesce(latest_category, ''))"""),
        "legacy": q("select 'x' from referrals where legacy_id is not null"),
    }
    placeholder, future = [], []
    for table, cols in DATE_COLS.items():
        idc = TABLES[table].id_column
        for c in cols:
            placeholder += q(f"select '{table}', {idc}, '{c}' from {table} where {c}::date = date '1900-01-01'")
            future += q(f"select '{table}', {idc}, '{c}' from {table} where {c}::date > date '{extract_date}'")
    out["placeholder"], out["future"] = placeholder, future
    invalid = []
    for table, column, codes in (("referrals", "referral_source", REFERRAL_SOURCES),
                                 ("cin_episodes", "primary_need_code", PRIMARY_NEED_CODES),
                                 ("cin_episodes", "reason_for_closure", REASONS_FOR_CLOSURE),
                                 ("cp_plans", "initial_category", CP_CATEGORIES),
                                 ("cp_plans", "latest_category", CP_CATEGORIES),
                                 ("missing_episodes", "missing_type", MISSING_TYPES)):
        idc = TABLES[table].id_column
        invalid += con.execute(f"select '{table}', {idc}, '{column}' from {table} where {column} is not null "
                               f"and upper(trim({column})) <> all($codes)", {"codes": list(codes)}).fetchall()
    out["invalid"] = invalid
    return out


def test_clean_data_has_none_of_the_artefact_problems(clean):
    problems = _problems(_con(clean.tables), clean.params.extract_date)
    assert {k: v for k, v in problems.items() if v} == {}
    assert clean.answer_key.entries == []


def test_clean_data_keeps_its_invariants(clean):
    con = _con(clean.tables)
    q = lambda sql: con.sql(sql).fetchall()
    end = clean.params.window_end
    # dates in order
    assert q("select count(*) from contacts where decision_datetime < contact_datetime") == [(0,)]
    assert q("""select count(*) from assessments a join referrals r using (referral_id)
        where a.assessment_start_date < r.referral_date or a.child_id <> r.child_id
        or a.assessment_authorised_date < a.assessment_start_date""") == [(0,)]
    assert q("""select count(*) from return_interviews h join missing_episodes m using (missing_episode_id)
        where h.rhi_offered_date < m.missing_end_datetime::date""") == [(0,)]
    # nothing dated after the end of the window
    for table, cols in DATE_COLS.items():
        for c in cols:
            assert q(f"select count(*) from {table} where {c}::date > date '{end}'") == [(0,)], (table, c)
    # every CIN episode follows its referral (same child); every CP plan follows one of the child's
    assert q("""select count(*) from cin_episodes e left join referrals r using (referral_id)
        where r.referral_id is null or r.child_id <> e.child_id or r.referral_date > e.cin_start_date""") == [(0,)]
    assert q("""select count(*) from cp_plans p where not exists (select 1 from referrals r
        where r.child_id = p.child_id and r.referral_date <= p.cp_plan_start_date)""") == [(0,)]
    # every child referenced is in children, born before their first record
    for table in TABLES:
        if table != "children":
            assert q(f"select count(*) from {table} t anti join children using (child_id)") == [(0,)], table
    assert q("""select count(*) from referrals r join children c using (child_id)
        where c.date_of_birth >= r.referral_date""") == [(0,)]
    # closure reason exactly when closed; declined/unoffered interviews are never completed
    assert q("""select count(*) from cin_episodes
        where (cin_closure_date is null) <> (reason_for_closure is null)""") == [(0,)]
    assert q("select count(*) from return_interviews where rhi_offered_date is null and rhi_accepted") == [(0,)]
    assert q("select count(*) from return_interviews where not rhi_accepted") != [(0,)]


def test_ids_follow_the_system_that_created_the_record(clean):
    for table in ("referrals", "cin_episodes", "cp_plans", "missing_episodes", "contacts"):
        df = clean.tables[table]
        main = df[{"referrals": "referral_date", "cin_episodes": "cin_start_date",
                   "cp_plans": "cp_plan_start_date", "missing_episodes": "missing_start_datetime",
                   "contacts": "contact_datetime"}[table]].cast(pl.Date)
        idc = TABLES[table].id_column
        ted = df.filter(main < CUT)
        mosaic = df.filter(main >= CUT)
        assert ted.height and mosaic.height
        assert ted[idc].str.contains(r"^TED-[A-Z]-\d{6,}$").all()
        assert (ted["source_system"] == "TED").all()
        assert mosaic[idc].str.contains(r"^\d+$").all()
        assert (mosaic["source_system"] == "MOSAIC").all()
    assert clean.tables["children"]["child_id"].str.contains(r"^P\d{7}$").all()
    # datetimes carry a time of day
    times = clean.tables["contacts"]["contact_datetime"].dt.hour()
    assert times.n_unique() > 8


# --------------------------------------------------------------------------- calibration
def test_one_la_year_at_scale_one_resembles_barnsley_2022_23():
    r = generate(None, seed=1, scale=1.0)
    con = _con(r.tables)
    q = lambda sql: con.execute(sql).fetchone()[0]
    s, e = "date '2022-04-01'", "date '2023-03-31'"
    refs = q(f"select count(*) from referrals where referral_date between {s} and {e}")
    reref = q(f"""select avg(case when exists (select 1 from referrals b where b.child_id = a.child_id
        and b.referral_date >= a.referral_date - interval 1 year and b.referral_date < a.referral_date)
        then 100.0 else 0 end) from referrals a where referral_date between {s} and {e}""")
    cin = q(f"""select count(distinct child_id) from cin_episodes where cin_start_date <= {e}
        and (cin_closure_date is null or cin_closure_date > {e})""")
    cp = q(f"""select count(distinct child_id) from cp_plans where cp_plan_start_date <= {e}
        and (cp_plan_end_date is null or cp_plan_end_date > {e})""")
    repeat = q(f"""select avg(case when exists (select 1 from cp_plans b where b.child_id = a.child_id
        and b.cp_plan_start_date < a.cp_plan_start_date) then 100.0 else 0 end)
        from cp_plans a where cp_plan_start_date between {s} and {e}""")
    long_ended = q(f"""select count(*) from cp_plans where cp_plan_end_date between {s} and {e}
        and cp_plan_end_date - cp_plan_start_date >= 730""")
    episodes, children = con.execute(f"""select count(*), count(distinct child_id) from missing_episodes
        where missing_start_datetime::date between {s} and {e}""").fetchone()
    rhi72 = q(f"""select 100.0 * count(*) filter (where h.rhi_completed_datetime
        <= m.missing_end_datetime + interval 72 hour) / count(*) filter (where h.rhi_accepted)
        from return_interviews h join missing_episodes m using (missing_episode_id)
        where m.missing_end_datetime::date between {s} and {e}""")
    declined = q("select count(*) from return_interviews where rhi_offered_date is not null and not rhi_accepted")
    assert 2800 <= refs <= 3400
    assert 17 <= reref <= 24
    assert 1450 <= cin <= 1800
    assert 240 <= cp <= 330
    assert 15 <= repeat <= 30
    assert long_ended > 0
    assert 750 <= episodes <= 1000 and 290 <= children <= 400
    assert 65 <= rhi72 <= 88
    assert declined > 0


def test_scale_multiplies_volumes():
    small = generate(None, seed=3, scale=0.25)
    big = generate(None, seed=3, scale=1.0)
    ratio = big.tables["referrals"].height / small.tables["referrals"].height
    assert 3.5 <= ratio <= 4.5


# --------------------------------------------------------------------------- determinism
def test_same_seed_gives_byte_identical_files(tmp_path):
    kw = dict(seed=5, scale=0.05, formats=["csv", "xlsx", "parquet"],
              artefacts=["unparseable_dates", "orphan_rhi"])
    a = generate(tmp_path / "a", **kw, answer_key_path=tmp_path / "ka.json")
    b = generate(tmp_path / "b", **kw, answer_key_path=tmp_path / "kb.json")
    assert [f.relative_to(tmp_path / "a") for f in a.files] == [f.relative_to(tmp_path / "b") for f in b.files]
    for fa, fb in zip(a.files, b.files):
        assert fa.read_bytes() == fb.read_bytes(), fa.name
    assert (tmp_path / "ka.json").read_bytes() == (tmp_path / "kb.json").read_bytes()
    generate(tmp_path / "c", **{**kw, "seed": 6})
    assert (tmp_path / "c" / "csv" / "referrals.csv").read_bytes() != a.files[1].read_bytes()


def test_ssd_and_903_files_are_byte_identical_for_the_same_seed(tmp_path):
    kw = dict(seed=5, scale=0.05, formats=["ssd", "ssda903"])
    a = generate(tmp_path / "a", **kw)
    b = generate(tmp_path / "b", **kw)
    names = sorted(f.relative_to(tmp_path / "a").as_posix() for f in a.files)
    assert "ssd/ssd_missing.csv" in names and "ssda903/ssda903_missing.csv" in names
    assert names == sorted(f.relative_to(tmp_path / "b").as_posix() for f in b.files)
    for fa, fb in zip(a.files, b.files):
        assert fa.read_bytes() == fb.read_bytes(), fa.name


# ---------------------------------------------------------------------------- artefacts
def _diff(clean_tables, dirty_tables) -> set[tuple[str, str]]:
    """(table, id) of records added, removed or changed compared with the clean run."""
    out = set()
    for name, spec in TABLES.items():
        idc = spec.id_column
        a, b = clean_tables[name], dirty_tables[name]
        ids_a, ids_b = set(a[idc]), set(b[idc])
        out |= {(name, i) for i in ids_a ^ ids_b}
        both = a.join(b, on=idc, suffix="__b")
        changed = pl.lit(False)
        for c in spec.column_names:
            if c != idc:
                changed = changed | pl.col(c).ne_missing(pl.col(c + "__b"))
        out |= {(name, i) for i in both.filter(changed)[idc]}
    return out


@pytest.mark.parametrize("name", [a for a in ARTEFACTS if a != "unparseable_dates"])
def test_artefact_touches_exactly_the_records_in_its_key(clean, with_artefact, name):
    dirty = with_artefact(name)
    key = dirty.answer_key.records(name)
    assert key, f"{name} touched nothing"
    assert {e["artefact"] for e in dirty.answer_key.entries} == {name}
    # records added (copies, overlapping plans), removed (cut-over gap) or changed
    assert _diff(clean.tables, dirty.tables) == key


def test_cutover_gap(clean, with_artefact):
    dirty = with_artefact("cutover_gap")
    first, last = CUT, date(2022, 7, 31)
    for table in ("contacts", "referrals", "assessments", "cin_episodes", "cp_plans",
                  "missing_episodes", "return_interviews"):
        col = pl.col({"return_interviews": "rhi_offered_date"}.get(table, DATE_COLS[table][0])).cast(pl.Date)
        before = clean.tables[table].filter(col.is_between(first, last)).height
        after = dirty.tables[table].filter(col.is_between(first, last)).height
        assert before > 0 and after <= 0.3 * before, table
        lost = set(clean.tables[table][TABLES[table].id_column]) - set(dirty.tables[table][TABLES[table].id_column])
        assert {(table, i) for i in lost} == {k for k in dirty.answer_key.records("cutover_gap") if k[0] == table}
    periods = {e["period"] for e in dirty.answer_key.for_artefact("cutover_gap")}
    assert periods == {"2022-07"}
    assert {e["table"] for e in dirty.answer_key.for_artefact("cutover_gap") if not e["record_id"]} >= {
        "referrals", "contacts", "missing_episodes"}
    # nothing dangling: every CIN episode still has its referral, every interview its episode
    problems = _problems(_con(dirty.tables), dirty.params.extract_date)
    assert problems["orphan"] == []
    assert _con(dirty.tables).execute("""select count(*) from cin_episodes e anti join referrals r
        using (referral_id)""").fetchone() == (0,)
    for table, parent, key in (("s47_enquiries", "cin_episodes", "cin_episode_id"),
                               ("cin_plans", "cin_episodes", "cin_episode_id"),
                               ("cp_reviews", "cp_plans", "cp_plan_id")):
        assert _con(dirty.tables).execute(f"select count(*) from {table} anti join {parent} "
                                          f"using ({key})").fetchone() == (0,), table
    assert {t for t, _ in dirty.answer_key.records("cutover_gap")} >= {"s47_enquiries", "cp_reviews"}


def test_duplicate_migration_copies_carry_legacy_ids(with_artefact):
    dirty = with_artefact("duplicate_migration")
    found = set()
    for table in TABLES:
        df = dirty.tables[table]
        idc = TABLES[table].id_column
        copies = df.filter(pl.col("legacy_id").is_not_null())
        assert (copies["source_system"] == "MOSAIC").all()
        originals = df.filter(pl.col(idc).is_in(copies["legacy_id"].to_list()))
        assert (originals["source_system"] == "TED").all() and originals.height == copies.height
        same = copies.drop(idc, "source_system", "legacy_id").sort(copies.columns[1:3]).equals(
            originals.drop(idc, "source_system", "legacy_id").sort(copies.columns[1:3]))
        assert same, table
        found |= {(table, i) for i in copies[idc]}
    assert found == dirty.answer_key.records("duplicate_migration")
    assert {t for t, _ in found} == {"referrals", "cin_episodes", "cp_plans"}


def _check(dirty, name: str, problem: str, table: str | None = None) -> None:
    rows = _problems(_con(dirty.tables), dirty.params.extract_date)[problem]
    found = {(r[0], r[1]) if len(r) > 1 else (table, r[0]) for r in rows}
    assert found and found == dirty.answer_key.records(name)


def test_placeholder_dates(with_artefact):
    dirty = with_artefact("placeholder_dates")
    _check(dirty, "placeholder_dates", "placeholder")
    rows = _problems(_con(dirty.tables), dirty.params.extract_date)["placeholder"]
    cols = {(t, i): c for t, i, c in rows}
    assert all(cols[(e["table"], e["record_id"])] == e["column"]
               for e in dirty.answer_key.for_artefact("placeholder_dates"))


def test_end_before_start(with_artefact):
    dirty = with_artefact("end_before_start")
    _check(dirty, "end_before_start", "end_before_start")
    assert {t for t, _ in dirty.answer_key.records("end_before_start")} == {
        "cin_episodes", "cp_plans", "missing_episodes"}


def test_overlapping_plans(clean, with_artefact):
    dirty = with_artefact("overlapping_plans")
    p = _problems(_con(dirty.tables), dirty.params.extract_date)
    key = dirty.answer_key.records("overlapping_plans")
    # each overlap's later record is the added one, and the key names exactly those
    found = {("cp_plans", i) for (i,) in p["overlap_cp"]} | {("cin_episodes", i) for (i,) in p["overlap_cin"]}
    assert found == key
    assert {t for t, _ in key} == {"cp_plans", "cin_episodes"}
    assert not key & {(t, i) for t in ("cp_plans", "cin_episodes")
                      for i in clean.tables[t][TABLES[t].id_column]}


@pytest.mark.parametrize("name,problem", [("orphan_rhi", "orphan"), ("mismatched_rhi", "mismatch"),
                                          ("rhi_completed_not_accepted", "not_accepted"),
                                          ("rhi_completed_before_return", "before_return")])
def test_return_interview_artefacts(with_artefact, name, problem):
    _check(with_artefact(name), name, problem, table="return_interviews")


def test_invalid_codes(with_artefact):
    dirty = with_artefact("invalid_codes")
    _check(dirty, "invalid_codes", "invalid")
    cols = {(e["table"], e["column"]) for e in dirty.answer_key.for_artefact("invalid_codes")}
    assert cols == {("referrals", "referral_source"), ("cin_episodes", "primary_need_code"),
                    ("cin_episodes", "reason_for_closure"), ("cp_plans", "initial_category"),
                    ("missing_episodes", "missing_type")}


def test_code_drift(clean, with_artefact):
    dirty = with_artefact("code_drift")

    def share(tables, after: bool) -> float:
        df = tables["cin_episodes"]
        df = df.filter((pl.col("cin_start_date") >= CUT) if after else (pl.col("cin_start_date") < CUT))
        return (df["primary_need_code"] == "N0").mean()

    assert share(clean.tables, False) < 0.03 and share(clean.tables, True) < 0.03
    assert share(dirty.tables, False) == share(clean.tables, False)
    assert share(dirty.tables, True) > 0.15
    summary = [e for e in dirty.answer_key.for_artefact("code_drift") if not e["record_id"]]
    assert summary and all(e["table"] == "cin_episodes" and e["column"] == "primary_need_code"
                           and e["period"] >= "2022-07" for e in summary)


def test_discontinued_code(with_artefact):
    _check(with_artefact("discontinued_code"), "discontinued_code", "mul_after_cutover", table="cp_plans")


def test_future_dates(with_artefact):
    dirty = with_artefact("future_dates")
    _check(dirty, "future_dates", "future")
    assert dirty.params.extract_date == date(2023, 4, 30)


def _unparseable_cells(path: Path, table: str, encoding: str = "utf-8") -> set:
    text = path.read_bytes().decode(encoding)
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    idc = header.index(TABLES[table].id_column)
    out = set()
    for n, row in enumerate(rows[1:], start=2):
        for c in DATE_COLS[table]:
            v = row[header.index(c)]
            if v == "":
                continue
            try:
                if re.match(r"^\d{2}/\d{2}/\d{4}", v):
                    datetime.strptime(v[:10], "%d/%m/%Y")
                else:
                    datetime.strptime(v[:10], "%Y-%m-%d")
            except ValueError:
                out.add((path.name, n, c, row[idc]))
    return out


@pytest.mark.parametrize("style", [dict(), dict(date_style="uk", encoding="cp1252", split_monthly=True)])
def test_unparseable_dates_in_written_files(tmp_path, style):
    formats = ["csv"] if style else ["csv", "xlsx"]    # monthly workbooks are slow to write
    r = generate(tmp_path / "raw", seed=SEED, scale=0.1, artefacts=["unparseable_dates"],
                 formats=formats, **style)
    entries = r.answer_key.for_artefact("unparseable_dates")
    csv_found = set()
    for f in r.files:
        if f.suffix == ".csv":
            csv_found |= _unparseable_cells(f, extract_name(f.stem), style.get("encoding", "utf-8"))
    assert csv_found and csv_found == {(e["file"], e["row"], e["column"], e["record_id"])
                                       for e in entries if e["file"].endswith(".csv")}
    xlsx = [e for e in entries if e["file"].endswith(".xlsx")]
    assert len(xlsx) == (len(csv_found) if "xlsx" in formats else 0)
    for e in xlsx:
        ws = openpyxl.load_workbook(tmp_path / "raw" / "xlsx" / e["file"], read_only=True).active
        header = [c.value for c in next(ws.iter_rows(max_row=1))]
        row = next(ws.iter_rows(min_row=e["row"], max_row=e["row"], values_only=True))
        assert row[header.index(e["column"])] == e["detail"]
        assert row[header.index(TABLES[e["table"]].id_column)] == e["record_id"]
    # the typed tables keep the true values
    assert _problems(_con(r.tables), r.params.extract_date)["placeholder"] == []


def test_all_artefacts_together(tmp_path):
    r = generate(tmp_path / "raw", seed=SEED, scale=0.1, artefacts=list(ARTEFACTS),
                 answer_key_path=tmp_path / "key.json")
    assert r.answer_key.artefacts == list(ARTEFACTS)
    back = AnswerKey.load(tmp_path / "key.json")
    assert back.entries == r.answer_key.entries
    assert back.records("orphan_rhi") == r.answer_key.records("orphan_rhi")
    # no record is touched by two artefacts
    seen: dict = {}
    for a in ARTEFACTS:
        for rec in r.answer_key.records(a):
            assert seen.setdefault(rec, a) == a, (rec, seen[rec], a)
    assert "Artefacts:" in describe(r)


# ------------------------------------------------------------------------------ writers
def test_csv_options_round_trip(tmp_path, clean):
    small = generate(tmp_path / "raw", seed=2, scale=0.05, encoding="cp1252", date_style="uk",
                     flag_style="YesNo", split_monthly=True)
    names = {f.name for f in small.files}
    assert "children.csv" in names and any(re.match(r"referrals_20\d\d-\d\d\.csv$", n) for n in names)
    parts = [pl.read_csv(f, infer_schema=False, encoding="windows-1252")
             for f in small.files if f.name.startswith("referrals_")]
    back = pl.concat(parts).with_columns(
        pl.col("referral_date").str.strptime(pl.Date, "%d/%m/%Y"),
        pl.col("referral_nfa").replace_strict({"Yes": True, "No": False}, return_dtype=pl.Boolean))
    assert back.sort("referral_id").equals(small.tables["referrals"].sort("referral_id"))
    contacts = pl.concat([pl.read_csv(f, infer_schema=False, encoding="windows-1252")
                          for f in small.files if f.name.startswith("contacts_")])
    assert contacts["contact_outcome"].str.contains("–").any()       # cp1252 en dash survived
    assert contacts["contact_datetime"].str.contains(r"^\d\d/\d\d/\d{4} \d\d:\d\d$").all()
    bom = generate(tmp_path / "bom", seed=2, scale=0.02, encoding="utf-8-sig", flag_style="10")
    assert bom.files[0].read_bytes().startswith(b"\xef\xbb\xbf")
    flags = pl.read_csv(tmp_path / "bom" / "referrals.csv", infer_schema=False)["referral_nfa"]
    assert set(flags) == {"0", "1"}


def test_xlsx_and_parquet(tmp_path):
    r = generate(tmp_path / "raw", seed=2, scale=0.03, formats=["xlsx", "parquet"])
    assert {f.parent.name for f in r.files} == {"xlsx", "parquet"}
    ws = openpyxl.load_workbook(tmp_path / "raw" / "xlsx" / "cp_plans.xlsx", read_only=True).active
    header, first = list(ws.iter_rows(max_row=2, values_only=True))
    assert isinstance(first[header.index("cp_plan_start_date")], datetime)
    assert ws.max_row == r.tables["cp_plans"].height + 1
    for name, df in r.tables.items():
        if df.height == 0:
            continue
        assert pl.read_parquet(tmp_path / "raw" / "parquet" / f"{name}.parquet").equals(df)


def test_annex_a_and_cin_census(tmp_path):
    from scorecard.formats import annex_a, cin_census

    r = generate(tmp_path / "raw", seed=2, scale=0.03, formats=["annex_a", "cin_census"])
    assert [f.name for f in r.files] == ["annex_a.xlsx", "cin_census.xml"]
    frames = annex_a.read(r.files[0])
    assert {f.table for f in frames} >= {"referrals", "cin_episodes", "cp_plans"}
    census = cin_census.read(r.files[1])
    refs = sum(f.data.height for f in census if f.table == "referrals")
    assert 0 < refs < r.tables["referrals"].height      # one census year of the window
    assert {f.table for f in census} == {"children", "referrals", "cin_episodes", "assessments", "cin_plans",
                                         "s47_enquiries", "cp_plans", "cp_reviews"}
    assert census[0].facts["census_year"] == "2022-23" and census[0].facts["la_code"] == "370"


def test_the_census_return_is_valid_for_its_year_and_loads_whole(tmp_path):
    from lxml import etree

    from scorecard import db
    from scorecard.formats.cin_census import schema_path
    from scorecard.load import load

    r = generate(tmp_path / "raw", seed=2, scale=0.1, formats=["cin_census"], start_year=2022)
    path = r.files[0]
    xsd = etree.XMLSchema(etree.parse(str(schema_path("2023-24"))))
    assert xsd.validate(etree.parse(str(path))), xsd.error_log
    text = path.read_text()
    assert "Scorecard" not in text and "<ReferenceDate>2024-03-31</ReferenceDate>" in text
    assert "<ReferralNFA>1</ReferralNFA>" in text and "<Section47>" in text and "<CPPreviewDate>" in text
    con = db.connect(":memory:")
    report = load(con, tmp_path / "raw", key=b"k" * 32)
    assert report.rows_rejected == 0
    q = lambda sql: con.execute(sql).fetchall()
    # one census year: every block open in it; NFA blocks are episodes too (marked)
    assert q("""select count(*) from staging.cin_episodes where cin_start_date > date '2024-03-31'
        or cin_closure_date < date '2023-04-01'""") == [(0,)]
    assert q("select count(*) from staging.cin_episodes where referral_nfa") != [(0,)]
    # every CP plan starting in the year starts at a conference on a working day
    assert q("""select count(*) from staging.cp_plans p where p.cp_plan_start_date >= date '2023-04-01'
        and (isodow(p.cp_plan_start_date) > 5 or not exists (select 1 from staging.s47_enquiries s
        where s.cin_episode_id = p.cin_episode_id and s.icpc_date = p.cp_plan_start_date))""") == [(0,)]
    # no two blocks of a child overlap (an NFA block is a day, however it is written)
    assert q("""select count(*) from staging.cin_episodes a join staging.cin_episodes b
        on a.child_id = b.child_id and a.cin_episode_id < b.cin_episode_id
        and not a.referral_nfa and not b.referral_nfa
        and b.cin_start_date < coalesce(a.cin_closure_date, date '9999-12-31')
        and a.cin_start_date < coalesce(b.cin_closure_date, date '9999-12-31')""") == [(0,)]


# ---------------------------------------------------------------------------- arguments
@pytest.mark.parametrize("kwargs,message", [
    (dict(artefacts=["typo_artefact"]), "unknown artefact 'typo_artefact'"),
    (dict(artefacts="cutover_gap,orphan_rhi"), "unknown artefact"),
    (dict(scale=0), "scale must be a number greater than 0"),
    (dict(scale=-1.5), "scale must be a number greater than 0"),
    (dict(years=0), "years must be"),
    (dict(formats=["docx"]), "unknown format 'docx'"),
    (dict(encoding="latin-9"), "unknown encoding"),
    (dict(date_style="us"), "unknown date style"),
    (dict(flag_style="yes"), "unknown flag style"),
    (dict(cutover="2030-01-01", artefacts=["cutover_gap"]), "need a cutover inside"),
    (dict(cutover="1 July 2022"), "is not a date"),
    (dict(formats=["parquet"], artefacts=["unparseable_dates"]), "needs a text format"),
])
def test_bad_arguments_raise_a_clear_value_error(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate(tmp_path / "raw", **kwargs)
    assert not (tmp_path / "raw").exists()


def test_answer_key_never_inside_the_raw_folder(tmp_path):
    with pytest.raises(SynthArgumentError, match="must not be inside the raw folder"):
        generate(tmp_path / "raw", scale=0.02, answer_key_path=tmp_path / "raw" / "sub" / "key.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not an answer key"):
        AnswerKey.load(bad)


def test_written_files_load_and_only_the_unparseable_cells_are_quarantined(tmp_path):
    from scorecard import db
    from scorecard.load import load

    r = generate(tmp_path / "raw", seed=4, scale=0.05, artefacts=["unparseable_dates"], date_style="uk",
                 encoding="cp1252", flag_style="TrueFalse")
    con = db.connect(":memory:")
    load(con, tmp_path / "raw", key=b"k" * 32)
    rejected = con.execute("""select source_file, source_row, column_name
        from quarantine.rejected_rows""").fetchall()
    entries = r.answer_key.for_artefact("unparseable_dates")
    assert {(Path(f).name, row, col) for f, row, col in rejected} == {
        (e["file"], e["row"], e["column"]) for e in entries}
    for table, df in r.tables.items():
        bad = {i for t, i in r.answer_key.records("unparseable_dates") if t == table}
        staged = con.execute(f"select count(*) from staging.{table}").fetchone()[0]
        assert staged == df.height - len(bad), table


# ------------------------------------------------------------------- whole-census details
def test_details_leave_the_original_tables_as_they_were(monkeypatch):
    """The details have a random stream of their own: every value the original model makes is
    the same with or without them (so no metric of those tables moves)."""
    from scorecard.synth import simulate as sim_module
    from scorecard.synth.simulate import Params

    params = Params(370, 2021, 2, 3, 0.1, CUT)
    full = sim_module.simulate(params).tables
    monkeypatch.setattr(sim_module, "add_details", lambda tables, *a: tables)
    bare = sim_module.simulate(params).tables
    for name in ("contacts", "referrals", "assessments", "cin_episodes", "cp_plans",
                 "missing_episodes", "return_interviews", "children"):
        cols = [c for c in bare[name].columns if bare[name][c].null_count() < bare[name].height]
        assert full[name].select(cols).equals(bare[name].select(cols)), name


def test_conferences_follow_enquiries_and_plans_start_at_their_conference(clean):
    con = _con(clean.tables)
    q = lambda sql: con.sql(sql).fetchall()
    # every CP plan starts at the conference of an enquiry in the same episode
    assert q("""select count(*) from cp_plans p where not exists (select 1 from s47_enquiries s
        where s.cin_episode_id = p.cin_episode_id and s.icpc_date = p.cp_plan_start_date)""") == [(0,)]
    # an enquiry starts within its episode, before its conference; conference or not-required
    assert q("""select count(*) from s47_enquiries s join cin_episodes e using (cin_episode_id)
        where s.s47_start_date < e.cin_start_date or s.icpc_date < s.s47_start_date
        or s.child_id <> e.child_id or s.s47_start_date > coalesce(e.cin_closure_date, date '9999-12-31')
        or (s.icpc_not_required and s.icpc_date is not null)""") == [(0,)]
    # mostly within 15 working days, some late
    from scorecard.metrics.workdays import working_days
    rows = q("select s47_start_date, icpc_date from s47_enquiries where icpc_date is not null")
    timely = sum(working_days(a, b) <= 15 for a, b in rows) / len(rows)
    assert 0.7 <= timely <= 0.95
    conferences, enquiries = q("""select count(icpc_date), count(*) from s47_enquiries
        where s47_start_date between date '2022-04-01' and date '2023-03-31'""")[0]
    assert 0.35 <= conferences / enquiries <= 0.7
    # the target is 15 working days after the strategy discussion
    target = q("select s47_start_date, icpc_target_date from s47_enquiries where icpc_target_date is not null")
    assert all(working_days(a, b) == 15 for a, b in target[:200])


def test_cin_plans_sit_inside_episodes_and_pause_for_cp_plans(clean):
    con = _con(clean.tables)
    q = lambda sql: con.sql(sql).fetchall()
    assert q("""select count(*) from cin_plans c join cin_episodes e using (cin_episode_id)
        where c.cin_plan_start_date < e.cin_start_date or c.child_id <> e.child_id
        or coalesce(c.cin_plan_end_date, date '9999-12-31') > coalesce(e.cin_closure_date, date '9999-12-31')
        or c.cin_plan_end_date < c.cin_plan_start_date or e.reason_for_closure in ('RC8', 'RC9')""") == [(0,)]
    # never open on a day a CP plan of the child is open (a plan may start the day the other ends)
    assert q("""select count(*) from cin_plans c join cp_plans p using (child_id)
        where c.cin_plan_start_date < coalesce(p.cp_plan_end_date, date '9999-12-31')
        and p.cp_plan_start_date < coalesce(c.cin_plan_end_date, date '9999-12-31')""") == [(0,)]
    assert q("select count(*) from cin_plans where cin_plan_end_date is null") != [(0,)]


def test_reviews_follow_the_conference_then_every_six_months(clean):
    con = _con(clean.tables)
    q = lambda sql: con.sql(sql).fetchall()
    assert q("""select count(*) from cp_reviews r join cp_plans p using (cp_plan_id)
        where r.cp_review_date <= p.cp_plan_start_date or r.child_id <> p.child_id
        or r.cp_review_date >= coalesce(p.cp_plan_end_date, date '9999-12-31')""") == [(0,)]
    gaps = q("""select date_diff('day', lag(cp_review_date) over (partition by cp_plan_id order by cp_review_date),
        cp_review_date) as gap from cp_reviews qualify gap is not null""")
    assert gaps and all(170 <= g <= 215 for (g,) in gaps)
    first = q("""select date_diff('day', p.cp_plan_start_date, min(r.cp_review_date)) from cp_reviews r
        join cp_plans p using (cp_plan_id) group by p.cp_plan_id, p.cp_plan_start_date""")
    assert 0.85 <= sum(80 <= d <= 95 for (d,) in first) / len(first) < 1


def test_child_details_and_assessment_factors(clean):
    from scorecard.schema import DISABILITY_CODES
    from scorecard.synth.details import upn_check_letter

    kids = clean.tables["children"]
    upns = kids["upn"].drop_nulls().to_list()
    assert upns and len(set(upns)) == len(upns)
    assert all(re.fullmatch(r"[A-Z]370\d{9}", u) and u[0] == upn_check_letter(u[1:]) for u in upns)
    assert (kids["upn"].is_null() == kids["upn_unknown"].is_not_null()).all()
    assert set(kids["upn_unknown"].drop_nulls()) <= {"UN1", "UN3", "UN5"}
    codes = [c for d in kids["disabilities"].to_list() for c in d.split()]
    assert set(codes) <= set(DISABILITY_CODES) and "NONE" in codes and len(set(codes)) > 5
    assert not [d for d in kids["disabilities"].to_list() if "NONE" in d.split() and d != "NONE"]
    ass = clean.tables["assessments"]
    assert (ass["assessment_factors"].is_null() == ass["assessment_authorised_date"].is_null()).all()
    factors = [f.split() for f in ass["assessment_factors"].drop_nulls().to_list()]
    assert all(len(f) == len(set(f)) and ("21" not in f or f == ["21"]) for f in factors)
    con = _con(clean.tables)
    q = lambda sql: con.sql(sql).fetchall()
    assert q("""select count(*) from assessments a join cin_episodes e using (cin_episode_id)
        where a.referral_id <> e.referral_id""") == [(0,)]
    assert q("""select count(*) from cp_plans p where cast(number_of_previous_cpp as int) <> (select count(*)
        from cp_plans b where b.child_id = p.child_id and b.cp_plan_start_date < p.cp_plan_start_date)""") == [(0,)]
    # a child who died has nothing dated after the death
    assert q("""select count(*) from children c join referrals r using (child_id)
        where r.referral_date > c.date_of_death""") == [(0,)]
