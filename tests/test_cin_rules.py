"""Tests for scorecard.validate.cin_rules: every DfE rule version against a clean census and the
smallest change that breaks it (tests/cin_rule_cases.py), all cases in one DuckDB database, each
in a return of its own; then the declarations, the frame built from staging, the outputs."""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from scorecard.validate.cin_rules import ERROR_COLUMNS, CensusReturn, create_frame, rules, rule_set, run_rules
from scorecard.validate.cin_rules.declarations import RuleFileError, parse
from scorecard.validate.cin_rules.fields import FIELDS
from scorecard.validate.cin_rules.frame import FRAME_TABLES, working_day_cutoff
from scorecard.validate.cin_rules.outputs import docs_table, errors_frame, suite_json, validation_rows
from scorecard.metrics.workdays import working_days

from .cin_rule_cases import CASES, RETURN, Census

ROOT = Path(__file__).resolve().parents[1]


def insert(con: duckdb.DuckDBPyConnection, return_id: int, census: Census, key: list[int]) -> None:
    """Write a case's rows into the frame tables of return ``return_id``."""
    columns = {t: [c.strip().split()[0] for c in cols.split(",")] for t, cols in FRAME_TABLES.items()}
    keys: dict[tuple[str, str], int] = {}
    episodes: dict[str, str] = {}
    rows: dict[str, list[tuple]] = {}

    def put(table: str, row: dict) -> int:
        key[0] += 1
        full = {"row_key": key[0], "return_id": return_id, "source_file": f"case{return_id}.xml",
                "source_row": key[0], **row}
        rows.setdefault(table, []).append(tuple(full.get(c) for c in columns[table]))
        return key[0]

    src = {"cin_child": "children", "cin_details": "cin_episodes", "cin_assessment": "assessments",
           "cin_plan": "cin_plans", "cin_s47": "s47_enquiries", "cin_cpp": "cp_plans", "cin_review": "cp_reviews"}
    for r in census:                      # parents first: children, details, assessments, plans
        if r["t"] == "cin_review":
            continue
        base = {k: v for k, v in r.items() if k not in ("t", "id", "disabilities", "factors")}
        base.update(record_id=r["id"], src_table=src[r["t"]])
        k = put(r["t"], base)
        keys[(r["t"], r["id"])] = k
        if r["t"] == "cin_cpp":
            episodes[r["id"]] = r.get("episode")
        for code in r.get("disabilities", []) if r["t"] == "cin_child" else []:
            put("cin_disability", {"record_id": r["id"], "child_id": r.get("child_id"), "src_table": "children",
                                   "parent_key": k, "disability": code})
        for code in r.get("factors", []) if r["t"] == "cin_assessment" else []:
            put("cin_factor", {"record_id": r["id"], "child_id": r.get("child_id"), "src_table": "assessments",
                               "parent_key": k, "episode": r.get("episode"), "factor": code})
    for r in census:
        if r["t"] == "cin_review":
            base = {k: v for k, v in r.items() if k not in ("t", "id")}
            base.update(record_id=r["id"], src_table="cp_reviews", parent_key=keys[("cin_cpp", r["cp_plan"])],
                        episode=episodes[r["cp_plan"]])
            put("cin_review", base)
    for table, values in rows.items():
        marks = ", ".join("?" for _ in columns[table])
        con.executemany(f"insert into {table} values ({marks})", values)


@pytest.fixture(scope="module")
def cases():
    """One database: case i's clean census is return 2i+1, its broken one 2i+2."""
    con = duckdb.connect()
    returns, ids = [], {}
    for i, (key, case) in enumerate(sorted(CASES.items())):
        rd = date(case.year, 3, 31)
        label = f"{case.year - 1}-{case.year % 100:02d}"
        header = {"header_reference_date": rd, "header_year": case.year, **(case.header or {})}
        returns.append(CensusReturn(2 * i + 1, "census", rd, f"case{2 * i + 1}.xml", rd, case.year, label))
        returns.append(CensusReturn(2 * i + 2, "census", rd, f"case{2 * i + 2}.xml",
                                    header["header_reference_date"], header["header_year"], label))
        ids[key] = (2 * i + 1, 2 * i + 2)
    create_frame(con, returns)
    # the load records each child id's raw length and whether it was alphanumeric
    con.execute("create schema staging; create table staging.children "
                "(child_id_length integer, child_id_alphanumeric boolean)").fetchall()
    counter = [0]
    for key, case in CASES.items():
        clean, broken = ids[key]
        insert(con, clean, case.clean, counter)
        insert(con, broken, case.broken, counter)
    run = run_rules(con)
    validation_rows(con)        # builds cin_located
    return con, ids, run


def flagged(con, return_id: int, rule_key: str) -> set[str]:
    rows = con.execute("select distinct case when row_key is null then $ret else coalesce(record_id, '') end "
                       "from cin_located where return_id = $r and rule_key = $k and not coalesce(context, false)",
                       {"r": return_id, "k": rule_key, "ret": RETURN}).fetchall()
    return {r[0] for r in rows}


def test_every_rule_version_has_a_case():
    assert {r.key for r in rules()} == set(CASES)


@pytest.mark.parametrize("rule_key", sorted(CASES))
def test_rule_passes_clean_and_flags_exactly_the_broken_records(cases, rule_key):
    con, ids, run = cases
    clean, broken = ids[rule_key]
    assert rule_key in run.ran, run.skipped.get(rule_key)
    assert flagged(con, clean, rule_key) == set()
    assert flagged(con, broken, rule_key) == CASES[rule_key].flagged


@pytest.mark.parametrize("rule_key", sorted(CASES))
def test_clean_census_raises_no_error(cases, rule_key):
    """A clean case breaks no error rule at all (queries may fire, as the DfE's would)."""
    con, ids, _ = cases
    errors = con.execute("select distinct rule_key, record_id from cin_located where return_id = $r "
                         "and type = 'error'", {"r": ids[rule_key][0]}).fetchall()
    assert errors == []


def test_rule_sets_by_census_year():
    def count(year):
        s = rule_set(year)
        return len(s), sum(r.type == "error" for r in s), sum(r.type == "query" for r in s)

    assert count(2023) == (105, 81, 24)
    assert count(2024) == (105, 81, 24)
    assert count(2025) == (109, 83, 26)
    assert count(2026) == (109, 83, 26)
    assert count(2021) == count(2023) and count(2030) == count(2026)   # outside the known years
    assert len({r.code for r in rule_set(2024)}) == 105                # one version per code
    assert [r.key for r in rule_set(2024) if r.code == "1530"] == ["1530/2023-24"]
    assert [r.message for r in rule_set(2025) if r.code == "4180"] == ["Sex must be provided and equal M, F, or U"]


def test_declarations_are_complete():
    for r in rules():
        assert r.severity == ("error" if r.type == "error" else "warning")
        assert r.check_id == f"cin.{r.code}"
        assert set(r.fields) <= set(FIELDS), (r.key, set(r.fields) - set(FIELDS))
        assert r.message and r.checks.endswith("."), r.key
        assert (r.level == "return") == bool(r.table), r.key


@pytest.mark.parametrize("text, problem", [
    ("-- rule: 1\n-- type: error\n-- years: 2022-23\n-- level: child\n-- fields: UPN\n-- message: m\n", "checks"),
    ("-- rule: 1\n-- type: bad\n-- years: 2022-23\n-- level: child\n-- fields: UPN\n-- message: m\n"
     "-- checks: c.\nselect 1", "type"),
    ("-- rule: 1Q\n-- type: error\n-- years: 2022-23\n-- level: child\n-- fields: UPN\n-- message: m\n"
     "-- checks: c.\nselect 1", "ends in Q"),
    ("-- rule: 1\n-- type: error\n-- years: 2022-24\n-- level: child\n-- fields: UPN\n-- message: m\n"
     "-- checks: c.\nselect 1", "census year"),
    ("-- rule: 1\n-- type: error\n-- years: 2022-23\n-- level: child\n-- fields: UPN\n-- message: m\n"
     "-- checks: c.\n", "no SQL"),
    ("-- rule: 1\n-- typo: error\n", "unexpected header"),
])
def test_a_bad_declaration_is_refused(text, problem):
    with pytest.raises(RuleFileError, match=problem):
        parse(text, "test.sql")


def test_working_day_cutoffs_follow_the_metric_convention():
    rd = date(2023, 3, 31)
    for days in (15, 45):
        cut = working_day_cutoff(rd, days)
        assert working_days(cut, rd) == days and working_days(cut - timedelta(days=1), rd) == days + 1
    assert working_day_cutoff(rd, 45) == date(2023, 1, 27)
    assert working_day_cutoff(date(2024, 3, 31), 15) == date(2024, 3, 7)    # Good Friday 29 March 2024


def test_suite_and_docs_are_generated_from_the_declarations():
    assert (ROOT / "expectations" / "cin_census.json").read_text(encoding="utf-8") == suite_json()
    suite = json.loads(suite_json())
    assert len(suite["expectations"]) == len(rules())
    assert all({"check_id", "severity", "message", "code", "type", "fields", "years"} <= set(e["meta"])
               for e in suite["expectations"])
    docs = (ROOT / "docs" / "cin-census-rules.md").read_text(encoding="utf-8")
    assert docs_table() in docs


def test_outputs_name_the_source_and_withhold_personal_values(cases):
    con, ids, _ = cases
    errors = errors_frame(con)
    rows = errors.filter(pl.col("rule_code") == "8520")
    assert set(rows["value"]) == {"(withheld)"}          # a date of birth is never shown
    assert rows["source_file"].str.ends_with(".xml").all() and rows["source_row"].is_not_null().all()
    linked = errors.filter(pl.col("rule_code") == "1103")   # the assessment and its CINdetails: one error
    assert linked.select("error_id", "table", "field", "role", "record_id").rows() == [
        ("1103-00001", "Assessments", "AssessmentActualStartDate", "flagged", "A1"),
        ("1103-00001", "CINdetails", "CINreferralDate", "related", "D1")]
    assert errors.columns == ERROR_COLUMNS
    whole = errors.filter(pl.col("rule_code") == "100")
    assert whole.select("table", "field", "source_file", "record_id").rows() == [
        ("Header", "ReferenceDate", f"case{ids['100'][1]}.xml", None)]


# ------------------------------------------------------------ the frame built from staging
def _stage(con, tables: dict[str, list[dict]]) -> None:
    from tests.test_validate import stage

    stage(con, tables)


def _frame(con, period="2022-23"):
    from scorecard.validate.cin_rules import check

    return check(con, period=period, extract_date=date(2023, 5, 1))


def test_period_return_holds_the_records_of_the_census_year_as_they_stood_at_its_end():
    from scorecard.db import connect

    d = date
    con = connect(":memory:")
    _stage(con, {
        "children": [{"child_id": c, "date_of_birth": d(2015, 1, 1), "sex": "F", "ethnicity": "WBRI",
                      "disabilities": "NONE"} for c in ("PA", "PB", "PC", "PD")],
        "referrals": [
            {"referral_id": "R1", "child_id": "PA", "referral_date": d(2022, 5, 1), "referral_source": "6"},
            {"referral_id": "RNFA", "child_id": "PB", "referral_date": d(2022, 6, 1), "referral_source": "2A",
             "referral_nfa": True},
            {"referral_id": "ROLDNFA", "child_id": "PB", "referral_date": d(2022, 3, 1), "referral_source": "2A",
             "referral_nfa": True},
            {"referral_id": "R4", "child_id": "PD", "referral_date": d(2022, 7, 1), "referral_source": "8"},
            # made while PD's case was open: part of that case's block, not a CINdetails of its own
            {"referral_id": "RDURING", "child_id": "PD", "referral_date": d(2022, 8, 1), "referral_source": "8",
             "referral_nfa": True}],
        "cin_episodes": [
            {"cin_episode_id": "E1", "child_id": "PA", "referral_id": "R1", "cin_start_date": d(2022, 5, 1),
             "cin_closure_date": d(2023, 6, 1), "reason_for_closure": "RC7", "primary_need_code": "N1"},
            {"cin_episode_id": "EGONE", "child_id": "PC", "cin_start_date": d(2021, 5, 1),
             "cin_closure_date": d(2022, 3, 31), "reason_for_closure": "RC7", "primary_need_code": "N1"},
            {"cin_episode_id": "E4", "child_id": "PD", "cin_start_date": d(2022, 7, 1), "primary_need_code": "N2"},
            {"cin_episode_id": "ELOOSE", "child_id": "PC", "cin_start_date": d(2022, 9, 1),
             "cin_closure_date": d(2022, 10, 1), "reason_for_closure": "RC7", "primary_need_code": "N2"}],
        "assessments": [{"assessment_id": "A1", "child_id": "PA", "cin_episode_id": "E1",
                         "assessment_start_date": d(2023, 3, 1), "assessment_authorised_date": d(2023, 4, 20),
                         "assessment_factors": "3A 4A"}],
        "cp_plans": [
            {"cp_plan_id": "P1", "child_id": "PA", "cin_episode_id": "E1", "cp_plan_start_date": d(2022, 6, 1),
             "initial_category": "NEG"},
            {"cp_plan_id": "PLATE", "child_id": "PA", "cin_episode_id": "E1", "cp_plan_start_date": d(2023, 4, 2),
             "initial_category": "EMO"}],
    })
    census = _frame(con)
    q = lambda sql: con.execute(sql).fetchall()
    assert q("select return_id, kind, cs, rd from cin_return") == [(0, "period", d(2022, 4, 1), d(2023, 3, 31))]
    # open during the year: E1 (closed after it ended: open then), E4, ELOOSE, the NFA referral of the year
    assert q("select record_id, src_table, closure_date, reason_for_closure, referral_nfa, referral_source, "
             "referral_linked from cin_details order by record_id") == [
        ("E1", "cin_episodes", None, None, False, "6", True),
        ("E4", "cin_episodes", None, None, False, "8", True),              # matched to R4 by child and day
        ("ELOOSE", "cin_episodes", d(2022, 10, 1), "RC7", False, None, False),
        ("RNFA", "referrals", None, None, True, "2A", True)]
    assert q("select record_id from cin_child order by 1") == [("PA",), ("PB",), ("PC",), ("PD",)]
    # authorised after the year: still open then, so no factors yet; a plan starting later is not in it
    assert q("select record_id, authorisation_date, episode from cin_assessment") == [("A1", None, "E1")]
    assert q("select count(*) from cin_factor") == [(0,)]
    assert q("select record_id, latest_category from cin_cpp") == [("P1", "NEG")]   # blank latest = initial
    assert q("select record_id, disability from cin_disability order by 1") == [
        ("PA", "NONE"), ("PB", "NONE"), ("PC", "NONE"), ("PD", "NONE")]
    # ELOOSE has no referral in the extracts: its source is unknown, not blank (8866 stays silent)
    assert {r["check_id"] for r in census.rows} == {"cin.2887Q"}    # a query: only NONE is used


@pytest.fixture(scope="module")
def synthetic_census(tmp_path_factory):
    """A synthetic census file as ``scorecard synth`` writes it, loaded."""
    from scorecard import synth
    from scorecard.db import connect
    from scorecard.load import load

    raw = tmp_path_factory.mktemp("census") / "raw"
    res = synth.generate(raw, scale=0.3, years=2, seed=5, formats=("cin_census",))
    con = connect(":memory:")
    load(con, raw, key=b"k" * 32)
    return res, con


def test_synthetic_census_raises_no_error(synthetic_census):
    from scorecard.validate.cin_rules import check

    res, con = synthetic_census
    census = check(con, extract_date=res.params.extract_date)
    assert [(r.kind, r.label, r.reference_date) for r in census.returns] == [
        ("census", "2022-23", date(2023, 3, 31))]
    assert len(census.run.ran) == 105 and not census.run.skipped    # the 2022-23 rule set, all of it
    errors = [r for r in census.rows if r["severity"] == "error"]
    assert errors == []
    # queries may fire where the DfE's would, e.g. an assessment still open after 45 working days
    assert {r["check_id"] for r in census.rows} <= {"cin.2991Q", "cin.8670Q", "cin.8675Q", "cin.8825Q",
                                                   "cin.8585Q", "cin.2887Q", "cin.2888Q"}


def test_a_census_is_judged_by_its_own_reference_date_and_rule_set(synthetic_census):
    """The same records as a 2024-25 return: Sex replaces GenderCurrent (4180), so the staged
    I (indeterminate) of an older census is an error there, and windows move with the date."""
    from scorecard.validate.cin_rules import census_returns, check
    from scorecard.periods import parse_period

    res, con = synthetic_census
    returns, files = census_returns(con, parse_period("2022-23"))
    assert files == {"cin_census.xml": 1} and returns[0].label == "2022-23"
    con.execute("update meta.file_facts set reference_date = date '2025-03-31', census_year = '2024-25'").fetchall()
    try:
        census = check(con, extract_date=res.params.extract_date)
    finally:
        con.execute("update meta.file_facts set reference_date = date '2023-03-31', census_year = '2022-23'").fetchall()
    assert [(r.label, r.reference_date, r.collection_start) for r in census.returns] == [
        ("2024-25", date(2025, 3, 31), date(2024, 4, 1))]
    ran = set(census.run.ran)
    assert "4180" not in ran and {"4180/2024-25", "8945Q/2024-25"} <= ran
    assert "1570/2024-25" in census.run.skipped          # the load records no raw id length yet
    checks = {r["check_id"] for r in census.rows}
    assert "cin.100" in checks                    # 31 March 2025 is not 31 March of the header's Year
    assert "cin.8620" in checks                   # closures of 2022-23 fall outside 2024-25


def test_frame_rows_are_numbered_by_file_position_then_whole_content():
    """Row keys follow (return, file, row, record), and rows sharing all of those (a record with
    several blocks, or no file position) follow their whole content as text: the numbering of
    one window sort with the tied rows renumbered is the one a sort by key and content gives."""
    from scorecard.validate.cin_rules.frame import _numbered_insert

    con = duckdb.connect(":memory:")
    con.execute("create table src (return_id integer, source_file varchar, source_row bigint, "
                "record_id varchar, value varchar, n integer)")
    rows = [(0, "a.csv", 2, "R2", "x", 1), (0, "a.csv", 1, "R1", "y", 1),
            # three blocks of one record at one position: ordered by their content
            (0, "a.csv", 3, "R3", "b", 2), (0, "a.csv", 3, "R3", "a", 10), (0, "a.csv", 3, "R3", "a", 9),
            # no file position: nulls tie too
            (0, None, None, "R4", "z", 1), (0, None, None, "R4", "c", 1), (0, None, None, "R5", "c", 1),
            (1, "b.xml", 7, "R1", "q", 1), (1, "b.xml", 7, "R1", "q", 1)]    # identical rows
    con.executemany("insert into src values (?, ?, ?, ?, ?, ?)", rows)
    key = "return_id, source_file, source_row, record_id"
    con.execute("create table got (row_key bigint, return_id integer, source_file varchar, source_row bigint, "
                "record_id varchar, value varchar, n integer)")
    con.execute(_numbered_insert("got", "select * from src", key, 3))
    want = con.execute(f"select 3 * 1000000000000 + row_number() over (order by {key}, _frame_row::varchar), "
                       f"* from src as _frame_row order by 1").fetchall()
    got = con.execute("select * from got order by row_key").fetchall()
    assert got == want
    assert [r[0] - 3 * 10 ** 12 for r in got] == list(range(1, len(rows) + 1))
    assert [(r[4], r[5], r[6]) for r in got][2:5] == [("R3", "a", 10), ("R3", "a", 9), ("R3", "b", 2)]


# the DfE's LA codes for UPN characters 2-4 (2022-23; 942 and 943 added in 2023-24)
_LA_RANGES = ((1, 5), (201, 213), (301, 320), (330, 336), (340, 344), (350, 359), (370, 373), (380, 384),
              (390, 394), (420, 420), (660, 681), (701, 708), (800, 803), (805, 808), (810, 813), (815, 816),
              (820, 823), (825, 826), (830, 831), (835, 841), (845, 846), (850, 852), (855, 857), (860, 861),
              (865, 896), (908, 909), (916, 916), (919, 919), (921, 921), (925, 926), (928, 929), (931, 931),
              (933, 933), (935, 938), (940, 941))
_UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"


def _upns(n: int, seed: int) -> list[str]:
    """UPN-like strings: right and wrong check letters, temporary UPNs (a letter at 13), every
    LA code from 000 to 999, and characters a UPN must not have (lowercase, I, O, S, a non-ASCII
    digit, too short or long)."""
    import random

    rng = random.Random(seed)
    out = []
    for i in range(n):
        digits = f"{i % 1000:03d}" + "".join(rng.choice("0123456789") for _ in range(8))
        last = rng.choice("0123456789" + _UPN_ALPHABET + "IOSa")
        value = sum(w * (int(c) if c.isdigit() else _UPN_ALPHABET.find(c)) for w, c in zip(range(2, 14), digits + last))
        first = _UPN_ALPHABET[value % 23] if last in "0123456789" + _UPN_ALPHABET and rng.random() < 0.7 \
            else rng.choice(_UPN_ALPHABET + "IO")
        upn = first + digits + last
        if rng.random() < 0.05:
            pos = rng.randrange(13)
            upn = upn[:pos] + rng.choice(["x", "٣", "", "99", " "]) + upn[pos + 1:]
        out.append(upn)
    return out


def test_upn_rules_1510_and_1530_agree_with_the_dfe_definitions():
    """The check letter (1510) and the LA code (1530, both versions), on thousands of UPNs,
    against the DfE's definitions written out in Python."""
    con = duckdb.connect()
    create_frame(con, [CensusReturn(0, "period", date(2023, 3, 31))])
    upns = _upns(6000, 3)
    con.executemany("insert into cin_child (row_key, return_id, upn) values (?, 0, ?)",
                    [(i, u) for i, u in enumerate(upns)])
    found = {}
    for rule in rules():
        if rule.key in ("1510", "1530", "1530/2023-24"):
            found[rule.key] = {r[0] for r in con.execute(f"select row_key from ({rule.sql})").fetchall()}
    codes = {n for a, b in _LA_RANGES for n in range(a, b + 1)}

    def well_formed(u: str) -> bool:
        return (len(u) == 13 and all(c in "0123456789" for c in u[1:12])
                and u[12] in "0123456789" + _UPN_ALPHABET)

    def check_letter(u: str) -> str:
        return _UPN_ALPHABET[sum(w * (int(c) if c in "0123456789" else _UPN_ALPHABET.index(c))
                                 for w, c in zip(range(2, 14), u[1:])) % 23]

    def la_fails(u: str, later: bool) -> bool:
        s = u[1:4]
        ok = len(s) == 3 and all(c in "0123456789" for c in s) and (
            int(s) in codes or (later and int(s) in (942, 943)))
        return len(u) == 13 and not ok

    assert found["1510"] == {i for i, u in enumerate(upns) if well_formed(u) and u[0] != check_letter(u)}
    assert found["1530"] == {i for i, u in enumerate(upns) if la_fails(u, False)}
    assert found["1530/2023-24"] == {i for i, u in enumerate(upns) if la_fails(u, True)}
    assert 500 < len(found["1510"]) < 3000 and 100 < len(found["1530"]) < 5000
    assert found["1530/2023-24"] < found["1530"]
