"""Tests for scorecard.history: builds keep what they published, revisions and their reasons,
the revision threshold, and the store's bad input. Synthetic data only (monthly drops from
scorecard.synth.drops). The full build, the page panel and the CLI are in test_history_build.py."""
from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl
import pytest

from scorecard import db as dbmod
from scorecard import history
from scorecard.history import store
from scorecard.history.compare import moved_months
from scorecard.load import load
from scorecard.metrics import build_marts, compute
from scorecard.periods import parse_period
from scorecard.validate.report import VALIDATION_COLUMNS

from .conftest import KEY

NO_CHECKS = pl.DataFrame(schema={c: pl.Utf8 for c in VALIDATION_COLUMNS})


def _facts(build_id: int, month: str, metrics: pl.DataFrame, validation: pl.DataFrame = NO_CHECKS):
    return history.BuildFacts(build_id=build_id, la_code=370, period=parse_period(month),
                              built_at=dt.datetime(2023, 1, 1) + dt.timedelta(days=build_id),
                              metrics=metrics, validation=validation, settings={"missing_match_hours": 24})


def _light_build(con, raw, build_id: int, month: str, validation: pl.DataFrame = NO_CHECKS):
    """load -> marts -> metrics -> history, as the build does it (without validation or reports)."""
    load(con, raw, key=KEY, run_id=build_id, la_code=370)
    build_marts(con)
    metrics = compute(con, month, la_code=370)
    kept = history.keep(con, _facts(build_id, month, metrics, validation), threshold_pct=5.0)
    return metrics, kept


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    """A year of monthly drops (April 2022 to March 2023) built month by month on one database.
    The February build also hands in a check failing on a January referral."""
    from scorecard.synth import generate
    from scorecard.synth.drops import write_drops

    base = tmp_path_factory.mktemp("year")
    drops = write_drops(generate(None, scale=0.05, years=2, start_year=2021, seed=3).tables,
                        base / "drops", first="2022-04", last="2023-03")
    con = dbmod.connect(base / "year.duckdb")
    raw = base / "raw"
    published, kept = {}, {}
    flagged = None
    for i, month in enumerate(drops.months, start=1):
        drops.stage(raw, month)
        validation = NO_CHECKS
        if month == "2023-02":
            jan = con.execute("select min(referral_id) from marts.referrals where referral_date "
                              "between date '2023-01-01' and date '2023-01-31'").fetchall()[0][0]
            flagged = jan
            validation = pl.DataFrame([{"check_id": "referrals.some_check", "table": "referrals",
                                        "severity": "warning", "record_id": jan, "period": "",
                                        "message": "made up"}], schema=NO_CHECKS.schema)
        published[month], kept[month] = _light_build(con, raw, i, month, validation)
    yield {"con": con, "drops": drops, "published": published, "kept": kept, "raw": raw,
           "flagged": flagged}
    con.close()


def _figure(frame: pl.DataFrame, metric: str, period: str, breakdown: str = "") -> float | None:
    rows = frame.filter((pl.col("metric_id") == metric) & (pl.col("period") == period)
                        & (pl.col("breakdown") == breakdown))["value"].to_list()
    return rows[0] if rows else None


def test_each_months_figures_are_kept_as_they_were_published_then(year):
    con, drops = year["con"], year["drops"]
    builds = history.builds(con)
    assert [b.period for b in builds] == drops.months
    for b in builds:
        kept = con.sql("select metric_id, period, breakdown, value from history.figures where build_id = $b "
                       "order by all", params={"b": b.build_id}).pl()
        then = (store.published(year["published"][b.period], parse_period(b.period))
                .select("metric_id", "period", "breakdown", "value").sort(pl.all()))
        assert kept.sort(pl.all()).equals(then), b.period
        # a month build publishes nothing after its month
        assert max(store.period_span(p)[1] for p in kept["period"].unique()) <= parse_period(b.period).end
    # what was published for an early month is kept, even though the data has moved on since
    late = [e for e in drops.events if e.kind == "late"]
    first = late[0]
    at_the_time = _figure(year["published"][first.dated], "referrals", first.dated)
    now = _figure(year["published"][drops.months[-1]], "referrals", first.dated)
    build_then = next(b for b in builds if b.period == first.dated)
    kept_then = con.execute("select value from history.figures where build_id = $b and metric_id = 'referrals' "
                            "and period = $p and breakdown = ''",
                            {"b": build_then.build_id, "p": first.dated}).fetchall()[0][0]
    assert kept_then == at_the_time
    assert now != at_the_time


def test_a_late_record_is_a_revision_with_its_reason(year):
    drops, kept = year["drops"], year["kept"]
    late = [e for e in drops.events if e.kind == "late"]
    assert len(late) >= 3
    for e in late:
        rev = kept[e.arrived].revisions
        row = rev.filter((pl.col("metric_id") == "referrals") & (pl.col("period") == e.dated)
                         & (pl.col("breakdown") == ""))
        assert row.height == 1, e
        assert "records added late" in row["reason"][0]
        assert row["records_added"][0] >= 1
        assert row["difference"][0] >= 1
        assert row["previous_build"][0] == kept[e.dated].build.label
        assert row["build"][0] == kept[e.arrived].build.label


def test_a_corrected_record_is_a_revision_with_its_reason(year):
    drops, kept = year["drops"], year["kept"]
    corrected = [e for e in drops.events if e.kind == "corrected" and e.dated >= drops.months[0]]
    assert len(corrected) >= 3
    for e in corrected:
        rev = kept[e.arrived].revisions
        # the month the referral was wrongly dated in loses it
        row = rev.filter((pl.col("metric_id") == "referrals") & (pl.col("period") == e.dated)
                         & (pl.col("breakdown") == ""))
        assert row.height == 1, e
        assert row["reason"][0] == "records removed or changed"
        assert row["difference"][0] == -1
        assert row["records_removed_or_changed"][0] >= 1 and row["records_added"][0] == 0


def test_a_record_newly_failing_a_check_is_named(year):
    rev = year["kept"]["2023-02"].revisions
    jan = rev.filter((pl.col("metric_id") == "referrals") & (pl.col("period") == "2023-01"))
    assert jan.height == 1
    assert "records now failing a check" in jan["reason"][0]
    assert jan["records_now_failing"][0] == 1
    # a month no check newly names has no such reason
    assert not rev.filter(pl.col("period") != "2023-01")["reason"].str.contains("failing").any()


def test_the_first_build_has_nothing_to_compare(year):
    first = year["kept"][year["drops"].months[0]]
    assert first.base is None and first.revisions.is_empty() and first.warnings == []


def test_rerunning_the_same_inputs_shows_no_revisions_and_keeps_its_comparison(year):
    con, drops = year["con"], year["drops"]
    last = drops.months[-1]
    metrics, again = _light_build(con, year["raw"], 100, last)
    original = year["kept"][last]
    assert again.build.label == original.build.label
    assert history.compare_builds(con, original.build.build_id, 100).is_empty()
    # compared with what its twin was compared with: the same outputs again
    assert again.base == original.base
    assert again.revisions.equals(original.revisions)


def test_a_month_that_moved_past_the_threshold_is_a_warning(year):
    kept = year["kept"]["2023-02"]
    months = {w["period"] for w in kept.warnings}
    assert "2023-01" in months
    w = next(w for w in kept.warnings if w["period"] == "2023-01" and w["message"].startswith("Referrals")
             or w["period"] == "2023-01")
    assert w["check_id"] == "revisions.month_moved" and w["severity"] == "warning"
    assert "records added late" in w["message"] and "more than 5%" in w["message"]
    # every warning is a month revision of more than 5%
    moved = moved_months(kept.revisions, 5.0)
    assert len(kept.warnings) == moved.height


def _rev(prev, new, period="2023-01", metric="referrals"):
    return pl.DataFrame([{"metric_id": metric, "period": period, "breakdown": "", "previous_value": prev,
                          "new_value": new, "difference": None if prev is None or new is None else new - prev,
                          "previous_build": "a", "build": "b", "reason": "", "records_added": 0,
                          "records_removed_or_changed": 0, "records_now_failing": 0}],
                        schema=history.REVISIONS_SCHEMA)


@pytest.mark.parametrize("prev, new, period, threshold, warned", [
    (100.0, 105.0, "2023-01", 5.0, False),     # exactly the threshold: not more than it
    (100.0, 105.5, "2023-01", 5.0, True),
    (100.0, 94.0, "2023-01", 5.0, True),       # down counts too
    (100.0, 94.0, "2023-01", 10.0, False),     # configurable
    (0.0, 2.0, "2023-01", 50.0, True),         # from zero
    (3.0, None, "2023-01", 5.0, True),         # no longer published
    (100.0, 150.0, "2022-23", 5.0, False),     # a year is not a month
    (100.0, 150.0, "2022-04/2023-01", 5.0, False),   # nor a year to date
])
def test_moved_months_threshold(prev, new, period, threshold, warned):
    assert (moved_months(_rev(prev, new, period), threshold).height == 1) is warned


def test_warning_words_suppress_small_counts_and_name_the_reason():
    rows = history.warning_rows(_rev(3.0, 4.0).with_columns(pl.lit("records added late").alias("reason")),
                                titles={"referrals": ("Referrals", "count")}, threshold_pct=5.0)
    assert rows[0]["message"] == ("Referrals for 2023-01 moved from c to c (+33.3%, more than 5%) since build a: "
                                  "records added late")
    assert set(rows[0]) == set(VALIDATION_COLUMNS)


def test_bad_build_references_are_refused_in_one_line(year):
    with pytest.raises(KeyError, match="no build '999' in the database"):
        history.compare_builds(year["con"], 1, 999)
    with pytest.raises(KeyError, match="no build 'nonsense'"):
        history.compare_builds(year["con"], "nonsense", 2)


def test_builds_are_found_by_label(year):
    con = year["con"]
    b = history.builds(con)[1]
    assert store.get_build(con, b.label).build_id == b.build_id
    assert store.get_build(con, str(b.build_id)) == b


def test_period_span_reads_years_months_and_year_to_date():
    assert store.period_span("2022-23") == (dt.date(2022, 4, 1), dt.date(2023, 3, 31))
    assert store.period_span("2023-01") == (dt.date(2023, 1, 1), dt.date(2023, 1, 31))
    assert store.period_span("2022-04/2023-01") == (dt.date(2022, 4, 1), dt.date(2023, 1, 31))
    with pytest.raises(ValueError):
        store.period_span("January")


def test_a_database_without_history_lists_no_builds(tmp_path):
    con = dbmod.connect(tmp_path / "empty.duckdb")
    con.close()
    con = dbmod.connect(tmp_path / "empty.duckdb", read_only=True)
    assert history.builds(con) == [] and store.get_build(con, 1) is None
    con.close()


def test_a_kept_month_is_what_its_drops_alone_give(year, tmp_path):
    """Rebuilt from scratch on only the drops that had arrived by then, an early month gives
    exactly the figures its build kept, though the database has taken in later drops since."""
    con, drops = year["con"], year["drops"]
    month = drops.months[2]
    drops.stage(tmp_path / "raw", month)
    fresh = dbmod.connect(":memory:")
    load(fresh, tmp_path / "raw", key=KEY, la_code=370)
    build_marts(fresh)
    alone = store.published(compute(fresh, month, la_code=370), parse_period(month))
    fresh.close()
    build = next(b for b in history.builds(con) if b.period == month)
    kept = con.sql("select metric_id, period, breakdown, value, numerator, denominator from history.figures "
                   "where build_id = $b", params={"b": build.build_id}).pl()
    key = ["metric_id", "period", "breakdown"]
    assert kept.sort(key).equals(alone.sort(key))
    # and the database's data today gives another figure for some month of it
    today = store.published(compute(con, month, la_code=370), parse_period(month))
    assert not today.sort(key).equals(alone.sort(key))


# ------------------------------------------- reasons in DuckDB, against the Python reference

def _reference_reason(con, old_id: int, new_id: int, metric_id: str, period: str) -> tuple[str, int, int, int]:
    """The reason as the comparison worked it out in Python before it moved into DuckDB (issue
    14): both builds' row hashes in dicts (a repeated key keeps its last row), their dates
    pivoted, the failing keys in sets."""
    from scorecard.history.compare import REASONS, _key_table
    from scorecard.metrics.definitions import METRICS

    if metric_id not in METRICS:
        return "", 0, 0, 0
    m = METRICS[metric_id]
    m = METRICS[m.of] if m.of else m
    dates = store.metric_dates().get(m.mart, [])
    table = _key_table(con, m.mart)

    def evidence(build_id):
        hashes = dict(con.execute("select record_key, row_hash from history.records where build_id = $b "
                                  "and mart = $m", {"b": build_id, "m": m.mart}).fetchall())
        pivot = ", ".join(f"max(value) filter (where column_name = '{c}') as \"{c}\"" for c in dates)
        frame = con.sql(f"select record_key, {pivot} from history.record_dates where build_id = $b and mart = $m "
                        "group by record_key", params={"b": build_id, "m": m.mart}).pl()
        failing = set() if table is None else {r[0] for r in con.execute(
            "select distinct record_id from history.failures where build_id = $b and table_name = $t",
            {"b": build_id, "t": table}).fetchall()}
        return hashes, frame, failing

    def members(frame, start, end):
        if frame.is_empty() or m.date_column not in frame.columns:
            return set()
        s = pl.col(m.date_column)
        if m.kind == "flow":
            cond = s.is_between(start, end)
        else:
            e = pl.col(m.end_column).fill_null(dt.date(9999, 12, 31))
            cond = (s <= end) & ((e > end) if m.kind == "open_at_end" else (e >= start))
        return set(frame.filter(cond)["record_key"].to_list())

    (oh, od, of), (nh, nd, nf) = evidence(old_id), evidence(new_id)
    start, end = store.period_span(period)
    was, now = members(od, start, end), members(nd, start, end)
    added = {k for k in now if k not in oh}
    changed = {k for k in was if k not in nh} | {k for k in (was | now) if k in oh and k in nh and oh[k] != nh[k]}
    failing = {k for k in (was | now) if k in nf and k not in of}
    found = [text for text, keys in zip(REASONS, (added, changed, failing)) if keys]
    return "; ".join(found), len(added), len(changed), len(failing)


def test_reasons_worked_out_in_duckdb_are_the_python_references_for_every_figure(year):
    """Every figure two builds both published (not only those that moved), for consecutive
    months, a month and the year's end, and a build against itself: the same reason and counts."""
    from scorecard.history.compare import _reasons

    con = year["con"]
    kept = [year["kept"][m].build for m in year["drops"].months]
    checked = nonzero = 0
    for old, new in [*zip(kept, kept[1:]), (kept[0], kept[-1]), (kept[-1], kept[2]), (kept[3], kept[3])]:
        wanted = sorted(set(map(tuple, con.execute(
            "select distinct metric_id, period from history.figures where build_id in ($a, $b)",
            {"a": old.build_id, "b": new.build_id}).fetchall())))
        got = _reasons(con, old, new, wanted)
        for mid, period in wanted:
            assert got[(mid, period)] == _reference_reason(con, old.build_id, new.build_id, mid, period), (
                old.build_id, new.build_id, mid, period)
            checked += 1
            nonzero += got[(mid, period)][0] != ""
    assert checked > 1000 and nonzero > 50


def test_reasons_read_a_repeated_key_as_its_last_row_and_an_unknown_metric_as_no_reason():
    """A key kept twice in a build (a mart with a repeated id): its last row's hash and the
    latest of its dates decide, as they did in Python."""
    from scorecard.history.compare import _reasons

    con = dbmod.connect(":memory:")
    store.ensure(con)
    con.execute("create table marts.referrals (referral_id varchar)")
    rows = [  # build, key, hash, date
        (1, "R1", 10, "2023-01-05"), (1, "R1", 11, "2023-01-09"), (2, "R1", 11, "2023-01-09"),  # same last row
        (1, "R2", 20, "2023-01-06"), (2, "R2", 21, "2023-01-06"), (2, "R2", 20, "2023-01-06"),  # same last row
        (1, "R3", 30, "2023-01-07"), (2, "R3", 31, "2023-02-07"),                              # changed, moved
        (2, "R4", 40, "2023-01-08"), (2, "R4", 41, None),                                      # added
        (1, "R5", 50, "2023-01-20"),                                                           # removed
    ]
    for b, k, h, d in rows:
        con.execute("insert into history.records values (?, 'referrals', ?, ?)", [b, k, h])
        if d:
            con.execute("insert into history.record_dates values (?, 'referrals', ?, 'referral_date', ?)", [b, k, d])
    con.execute("insert into history.failures values (2, 'referrals', 'R2', 'x'), (1, 'referrals', 'R5', 'x'), "
                "(2, 'referrals', 'R5', 'x')")
    old, new = (store.Build(i, 370, "2023-01", dt.datetime(2023, 2, i), "", "", f"b{i}") for i in (1, 2))
    wanted = [("referrals", "2023-01"), ("referrals", "2023-02"), ("referrals", "2022-23"), ("no_such_metric", "2023-01")]
    got = _reasons(con, old, new, wanted)
    assert got == {w: _reference_reason(con, 1, 2, *w) for w in wanted}
    assert got[("referrals", "2023-01")] == ("records added late; records removed or changed; "
                                             "records now failing a check", 1, 2, 1)
    assert got[("referrals", "2023-02")] == ("records removed or changed", 0, 1, 0)
    assert got[("no_such_metric", "2023-01")] == ("", 0, 0, 0)


# ------------------------------------------- row hashes: the scheme, and builds made before it

def _as_md5_build(con, build_id: int) -> None:
    """Make a just-kept build look as the code before ``hash_scheme`` kept it: its row hashes
    the MD5 of the row as text, its scheme null (the marts are still the build's)."""
    con.execute("update history.builds set hash_scheme = null where build_id = $b", {"b": build_id})
    con.execute("delete from history.records where build_id = $b", {"b": build_id})
    for mart in store.metric_dates():
        key, cols = store.mart_keys(con, mart)
        row = ", ".join(f'"{c}"' for c in cols)
        con.execute(f"insert into history.records select $b, $m, {key}, "
                    f"md5_number_lower(cast(struct_pack({row}) as varchar)) from marts.\"{mart}\"",
                    {"b": build_id, "m": mart})


@pytest.fixture(scope="module")
def schemes(tmp_path_factory):
    """Three months built twice: on one database with today's hashes throughout, and on another
    whose first build was made (as far as history goes) by the code before ``hash_scheme``."""
    from scorecard.synth import generate
    from scorecard.synth.drops import write_drops

    base = tmp_path_factory.mktemp("schemes")
    drops = write_drops(generate(None, scale=0.05, years=2, start_year=2021, seed=3).tables,
                        base / "drops", first="2022-04", last="2022-06")
    out = {}
    for name in ("new", "old"):
        con = dbmod.connect(base / f"{name}.duckdb")
        raw = base / f"raw-{name}"
        kept = []
        for i, month in enumerate(drops.months, start=1):
            drops.stage(raw, month)
            kept.append(_light_build(con, raw, i, month)[1])
            if name == "old" and i == 1:
                _as_md5_build(con, 1)
        out[name] = (con, kept)
    yield out
    for con, _ in out.values():
        con.close()


def test_builds_are_hashed_by_duckdb_under_a_named_scheme(schemes):
    con, kept = schemes["new"]
    scheme = store.hash_scheme(con)
    assert scheme.startswith("duckdb-hash:") and scheme == store.hash_scheme(dbmod.connect(":memory:"))
    assert [k.build.hash_scheme for k in kept] == [scheme] * 3
    assert [b.hash_scheme for b in history.builds(con)] == [scheme] * 3
    # nothing kept the old way when no build was made so
    assert con.execute("select count(*) from history.records_md5").fetchall() == [(0,)]
    # a row's hash reads every column, in order
    one = con.execute("select hash('a', 'b'), hash('b', 'a'), hash('a', null), hash('a', '')").fetchall()[0]
    assert len(set(one)) == 4


def test_a_build_after_an_md5_build_keeps_md5_hashes_once_and_revises_the_same(schemes):
    """The second build, whose base was hashed the old way, also keeps its rows hashed so and
    compares them: the same revisions, reasons and counts as hashed one way throughout; the
    third (base: the second) is compared with today's hashes and keeps no MD5."""
    new_con, new = schemes["new"]
    old_con, old = schemes["old"]
    assert history.builds(old_con)[0].hash_scheme is None
    md5_rows = dict(old_con.execute("select build_id, count(*) from history.records_md5 group by 1").fetchall())
    assert md5_rows == {2: old_con.execute("select count(*) from history.records where build_id = 2").fetchall()[0][0]}
    b1, b2, b3 = history.builds(old_con)
    assert store.hash_tables(old_con, b1, b2) == ("history.records", "history.records_md5")
    assert store.hash_tables(old_con, b2, b1) == ("history.records_md5", "history.records")
    assert store.hash_tables(old_con, b2, b3) == ("history.records", "history.records")
    for i in (1, 2):
        assert old[i].revisions.equals(new[i].revisions), i
    changed = new[1].revisions.filter(pl.col("reason").str.contains("changed"))
    assert changed.height > 0
    assert history.compare_builds(old_con, 1, 2).equals(history.compare_builds(new_con, 1, 2))


def test_builds_hashed_differently_compare_by_key_only_and_say_so(schemes, caplog, tmp_path):
    """The first build (old hashes) and the third (today's, no MD5 kept) have no hashes in
    common: changed rows cannot be seen, so only removed ones count, with a warning and a note."""
    from scorecard.history.cli_view import history_command

    old_con, _ = schemes["old"]
    new_con, _ = schemes["new"]
    b1, _, b3 = history.builds(old_con)
    assert store.hash_tables(old_con, b1, b3) is None
    with caplog.at_level("WARNING", logger="scorecard.history.compare"):
        blind = history.compare_builds(old_con, 1, 3)
    assert "hashed their rows differently" in caplog.text
    seen = history.compare_builds(new_con, 1, 3)
    key = ["metric_id", "period", "breakdown"]
    assert blind.select(*key, "new_value").equals(seen.select(*key, "new_value"))
    assert (blind["records_removed_or_changed"] <= seen["records_removed_or_changed"]).all()
    assert (blind["records_removed_or_changed"] < seen["records_removed_or_changed"]).any()
    # a DuckDB hashing otherwise names another scheme: never compared by hash
    other = dataclasses.replace(b3, hash_scheme="duckdb-hash:0000000000000000")
    assert store.hash_tables(old_con, b3, other) is None
    # the command says what it cannot see
    path = tmp_path / "copy.duckdb"
    old_con.execute(f"attach '{path}' as cp")
    old_con.execute("copy from database " + old_con.execute("select current_database()").fetchall()[0][0] + " to cp")
    old_con.execute("detach cp")
    said = []
    history_command(path, la_code=None, compare=("1", "3"), out=tmp_path / "r.csv", echo=said.append)
    assert any("hashed their records differently" in s for s in said)
    said = []
    history_command(path, la_code=None, compare=("2", "3"), out=tmp_path / "r.csv", echo=said.append)
    assert said and not any("hashed their records" in s for s in said), said
