"""metrics/delta.py: the figures without some records, worked out from the figures with them,
are the figures of the marts built again without those records. Synthetic data only."""
from __future__ import annotations

import importlib
import random

import duckdb
import polars as pl
import pytest

from scorecard import db as dbmod
from scorecard.build import _Run
from scorecard.config import settings
from scorecard.load import load
from scorecard.metrics import availability, build_marts, compute, delta
from scorecard.metrics.marts import quote, record_local
from scorecard.metrics.reach import data_reach
from scorecard.periods import parse_period
from scorecard.schema import TABLES
from scorecard.synth import generate
from scorecard.validate.report import IMPACT_SCHEMA, VALIDATION_COLUMNS, impact_frame

compute_module = importlib.import_module("scorecard.metrics.compute")  # the package exports its function

KEY = b"test-key-not-secret-0123456789"
PERIOD = "2022-23"


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    folder = tmp_path_factory.mktemp("delta")
    generate(folder / "raw", scale=0.05, years=2, start_year=2021, seed=11)
    c = dbmod.connect(folder / "d.duckdb")
    load(c, folder / "raw", key=KEY, la_code=370)
    # a primary need code outside the breakdown's list: a category only its rows define
    c.execute("update staging.cin_episodes set primary_need_code = 'NX' where cin_episode_id = "
              "(select min(cin_episode_id) from staging.cin_episodes where not coalesce(referral_nfa, false))")
    build_marts(c)
    yield c
    c.close()


def _ids(con, sql: str) -> set[str]:
    return {r[0] for r in con.execute(sql).fetchall()}


def _cases(con, table: str) -> dict[str, set[str]]:
    """Sets of records of ``table`` to leave out: a sample, every record of some children (their
    distinct count drops), one record of a child with several (it does not), the records holding
    the first and the last date (the periods covered may shrink), and the record of the 'NX'
    category."""
    t = TABLES[table]
    idc, date = t.id_column, t.date_column
    rng = random.Random(5)
    every = sorted(_ids(con, f"select {idc} from staging.{table}"))
    children = sorted(_ids(con, f"select child_id from staging.{table} where child_id is not null"))
    few = set(rng.sample(children, 5))
    cases = {
        "sample": set(rng.sample(every, max(1, len(every) // 30))),
        "children": {r[0] for r in con.execute(
            f"select {idc} from staging.{table} where list_contains($c::varchar[], child_id)",
            {"c": sorted(few)}).fetchall()},
        "one_of_several": _ids(con, f"select min({idc}) from staging.{table} where child_id in "
                                    f"(select child_id from staging.{table} group by all having count(*) > 1 "
                                    f"order by child_id limit 3) group by child_id"),
        "first_and_last": _ids(con, f"select {idc} from staging.{table} where {date} in "
                                    f"((select min({date}) from staging.{table}), (select max({date}) from staging.{table}))"),
    }
    # every record of the data's last month: that month is no longer covered (absent, not zero)
    cases["last_month"] = _ids(con, f"select {idc} from staging.{table} where {date} >= "
                                    f"(select date_trunc('month', max({date})) from staging.{table})")
    if table == "cin_episodes":
        cases["category"] = _ids(con, "select cin_episode_id from staging.cin_episodes where primary_need_code = 'NX'")
    return cases


def test_counted_accepts_only_counts():
    assert delta.counted(["count(*)", "count(*) filter (where is_x)", "count(distinct child_id)",
                          "count(distinct child_id) filter (where a and b)"]) == ["child_id"]
    assert delta.counted(["count(*)"]) == []
    for other in ("sum(n)", "count(n)", "count(*) + 1", "avg(days)", "count(distinct a, b)",
                  "count(*) filter (where a) / nullif(count(*), 0)",
                  "count(*) filter (where a) - count(*) filter (where b)"):
        assert delta.counted(["count(*)", other]) is None, other
    assert delta.counted(["count(*) filter (where source in ('a(b', 'c') and (x or y))"]) == []


def test_the_left_out_rows_are_counted_out():
    assert delta._kept_rows("count(*)") == "count(*) filter (where not _scorecard_left_out)"
    assert delta._kept_rows("count(distinct child_id) filter (where is_x or is_y)") == \
        "count(distinct child_id) filter (where (is_x or is_y) and not _scorecard_left_out)"


@pytest.fixture
def no_claims(monkeypatch):
    """Figures the long way: every mart that reads a left-out table built again."""
    def off():
        monkeypatch.setattr(compute_module, "record_local", lambda: {})
    return off


@pytest.mark.parametrize("mart", sorted(record_local()))
def test_a_record_local_mart_built_without_records_is_the_mart_less_their_rows(con, mart, monkeypatch):
    """The claim each ``-- record-local`` header makes, on data: building the mart again
    without some records gives the mart's rows less those of their ids, no other row changed."""
    table, column = record_local()[mart]
    monkeypatch.setattr(compute_module, "record_local", lambda: {})   # built, not taken as claimed
    for name, ids in _cases(con, table).items():
        created: list = []
        try:
            left_out = compute_module._left_out(con, {table: ids}, "_t_delta_", created)
            relations = compute_module._excluded_marts(con, left_out, "_t_delta_", created)
            rebuilt, kept = relations[mart], quote("marts", mart)
            assert ("table", rebuilt) in created
            less = f"select * from {kept} where {column} is null or {column} not in (select record_id from {left_out[table]})"
            assert con.execute(f"select count(*) from {rebuilt}").fetchone()[0] < \
                con.execute(f"select count(*) from {kept}").fetchone()[0] or not ids, name
            for a, b in ((rebuilt, f"({less})"), (f"({less})", rebuilt)):
                assert con.execute(f"select count(*) from (select * from {a} except all select * from {b})"
                                   ).fetchone()[0] == 0, (mart, name)
        finally:
            for kind, relation in reversed(created):
                con.execute(f"drop {kind} if exists {relation}")


@pytest.mark.parametrize("table", sorted({t for t, _ in record_local().values()}))
def test_figures_without_records_are_those_of_the_marts_built_again(con, table, no_claims):
    reach = data_reach(con)
    kept: dict = {}
    compute(con, PERIOD, reach=reach, kept=kept)
    assert kept and all(isinstance(v, delta.Kept) for v in kept.values())
    cases = _cases(con, table)
    fast = {name: compute(con, PERIOD, reach=reach, exclude={table: ids}, years=2, kept=kept)
            for name, ids in cases.items()}
    no_claims()
    for name, ids in cases.items():
        assert ids, name
        slow = compute(con, PERIOD, reach=reach, exclude={table: ids}, years=2)
        assert fast[name].equals(slow), (table, name)
        if name in ("sample", "children", "last_month"):   # (the first and last dates may lie outside the two years)
            assert not slow.equals(compute(con, PERIOD, reach=reach, years=2)), (table, name)
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone() == (0,)


def test_the_category_only_its_records_define_disappears_with_them(con):
    ids = _ids(con, "select cin_episode_id from staging.cin_episodes where primary_need_code = 'NX'")
    reach = data_reach(con)
    kept: dict = {}
    with_them = compute(con, PERIOD, reach=reach, kept=kept)
    without = compute(con, PERIOD, reach=reach, exclude={"cin_episodes": ids}, years=2, kept=kept)
    assert "NX" in with_them.filter(pl.col("metric_id") == "cin_by_primary_need")["breakdown"].to_list()
    assert "NX" not in without.filter(pl.col("metric_id") == "cin_by_primary_need")["breakdown"].to_list()


def test_one_impact_of_several_checks_equals_recomputing_each_without_the_marts(con, monkeypatch, no_claims):
    """Several failing checks on record-local tables (a child failing two of them, a check on
    cin_episodes whose children-in-need count is distinct) and one on a table that is not:
    the build's impact equals recomputing every metric without each check's records."""
    rng = random.Random(9)
    episodes = con.execute("select cin_episode_id, child_id from staging.cin_episodes "
                           "order by cin_episode_id").fetchall()
    child = episodes[len(episodes) // 2][1]
    of_child = [e for e, c in episodes if c == child]
    contacts = [r[0] for r in con.execute("select contact_id from staging.contacts where child_id = $c",
                                          {"c": child}).fetchall()]
    checks = {
        ("x.one", "cin_episodes"): set(of_child) | {e for e, _ in rng.sample(episodes, 40)},
        ("x.two", "cin_episodes"): set(of_child[:1]) | {e for e, _ in rng.sample(episodes, 25)},
        ("x.three", "contacts"): set(contacts) | set(rng.sample(sorted(_ids(con, "select contact_id from staging.contacts")), 30)),
        ("x.four", "referrals"): set(rng.sample(sorted(_ids(con, "select referral_id from staging.referrals")), 20)),
    }
    rows = pl.DataFrame([{"check_id": c, "table": t, "severity": "warning", "record_id": r, "period": "",
                          "message": "m"} for (c, t), ids in checks.items() for r in sorted(ids)],
                        schema={c: pl.Utf8 for c in VALIDATION_COLUMNS})
    run = _Run(con, settings(), b"", "", None, lambda _: None)
    run.period, run.reach, run.unavailable = parse_period(PERIOD), data_reach(con), availability.unavailable(con)

    def every_metric(exclude):
        return availability.drop(compute(con, PERIOD, exclude=exclude, reach=run.reach, years=2),
                                 run.unavailable)

    rebuilt = []
    real = compute_module._excluded_marts
    monkeypatch.setattr(compute_module, "_excluded_marts",
                        lambda c, left_out, *a: rebuilt.append(sorted(left_out)) or real(c, left_out, *a))
    fast = impact_frame(rows, run.recompute, PERIOD)
    # contacts: no mart built; cin_episodes: only the mart of episodes at 31 March, which is not
    # record-local (its years span the data's)
    assert rebuilt == [["cin_episodes"], ["cin_episodes"], ["referrals"]]
    no_claims()
    slow = impact_frame(rows, every_metric, PERIOD)
    assert fast.schema == pl.Schema(IMPACT_SCHEMA) and fast.height > 0
    assert set(fast["check_id"]) == {"x.one", "x.two", "x.three", "x.four"}
    assert fast.equals(slow)


def test_a_grouped_row_names_its_period_breakdown_and_category():
    from scorecard.metrics.delta import group_of, grouping_sql

    con = duckdb.connect()
    con.execute("create table m as select * from (values ('a', 'x', 1), ('b', null, 2), ('c', 'x', 3)) t(id, source, n)")
    con.execute("create table p as select 'P1' as label")
    cats, sets = grouping_sql(["source"])
    rows = con.execute(f"select p.label{cats}, count(*), sum(m.n) from m join p on true "
                       f"group by grouping sets ({sets})").fetchall()
    groups = dict(group_of(r, ["source"]) for r in rows)
    assert groups == {("P1", "", ""): (3, 6), ("P1", "source", "x"): (2, 4), ("P1", "source", "Unknown"): (1, 2)}


def test_worked_out_figures_need_the_kept_periods_breakdowns_and_each_id_once(con, no_claims):
    """A kept outcome is reused only for periods it covered (else the figures are computed the
    long way, not silently fewer), and an id given twice is left out once."""
    reach = data_reach(con)
    ids = sorted(_cases(con, "contacts")["sample"])
    kept: dict = {}
    compute(con, PERIOD, reach=reach, kept=kept, years=2)
    wider = compute(con, PERIOD, reach=reach, exclude={"contacts": ids * 2}, kept=kept)
    twice = compute(con, PERIOD, reach=reach, exclude={"contacts": ids + ids[:5]}, years=2, kept=kept)
    no_claims()
    assert wider.equals(compute(con, PERIOD, reach=reach, exclude={"contacts": ids}))
    assert twice.equals(compute(con, PERIOD, reach=reach, exclude={"contacts": ids}, years=2))


def test_a_record_local_claim_must_name_the_tables_record_id(monkeypatch):
    from scorecard.metrics import marts

    real = marts.mart_models()
    bad = {**real, "contacts": real["contacts"].replace("-- record-local: contacts.contact_id",
                                                         "-- record-local: contacts.child_id")}
    assert bad["contacts"] != real["contacts"]
    monkeypatch.setattr(marts, "mart_models", lambda: bad)
    marts.record_local.cache_clear()
    try:
        with pytest.raises(ValueError, match="not the record id of contacts"):
            marts.record_local()
    finally:
        monkeypatch.undo()
        marts.record_local.cache_clear()
    assert marts.record_local()["contacts"] == ("contacts", "contact_id")
