"""Tests for scorecard.validate.cache: an unchanged load is not validated again, and the outputs
of a re-run from the cache are byte-identical to a full run; anything validation depends on
changing means validating again."""
from __future__ import annotations

import datetime as dt

import pytest

from scorecard import db
from scorecard.build import build
from scorecard.config import settings
from scorecard.validate import cache, validate

from .conftest import tree_state
from .test_validate import stage


def _outputs(folder) -> dict:
    return {k: v[2] for k, v in tree_state(folder).items() if k != "run.log"}


@pytest.fixture(scope="module")
def staged():
    from scorecard.synth import generate

    res = generate(None, scale=0.2, years=2, seed=5, artefacts=("duplicate_migration", "end_before_start"))
    con = db.connect(":memory:")
    stage(con, {name: df.to_dicts() for name, df in res.tables.items()})
    return con, res.params.extract_date


def test_a_second_validation_of_the_same_data_comes_from_the_cache_byte_identical(staged, tmp_path):
    con, extract = staged
    first = validate(con, tmp_path / "a", extract_date=extract, cache={"la_code": 370})
    again = validate(con, tmp_path / "b", extract_date=extract, cache={"la_code": 370})
    assert (first.cached, again.cached) == (False, True)
    assert first.errors > 0
    a, b = _outputs(tmp_path / "a"), _outputs(tmp_path / "b")
    assert [k for k in a.keys() | b.keys() if a.get(k) != b.get(k)] == []
    assert list((tmp_path / "b" / "validation").rglob("*.html"))
    # the Data Docs of the first were kept with its outcome: the second unpacks them, no GX
    from scorecard.validate.docs import StoredDocs

    assert isinstance(again.docs_job, StoredDocs) and not isinstance(first.docs_job, StoredDocs)
    assert cache.get_docs(con, "no such key") is None
    # no cache asked: validated in full, the same again
    plain = validate(con, tmp_path / "c", extract_date=extract)
    full, cached = _outputs(tmp_path / "c"), _outputs(tmp_path / "a")
    assert not plain.cached
    assert [k for k in full.keys() | cached.keys() if full.get(k) != cached.get(k)] == []


@pytest.mark.parametrize("change", ["date_floor", "extract_date", "la_code", "data", "quarantine"])
def test_anything_validation_depends_on_changing_means_validating_again(change, tmp_path):
    from scorecard.synth import generate

    res = generate(None, scale=0.05, years=1, seed=6)
    con = db.connect(":memory:")
    stage(con, {name: df.to_dicts() for name, df in res.tables.items()})
    args = {"extract_date": res.params.extract_date, "cache": {"la_code": 370}}
    assert not validate(con, **args).cached
    assert validate(con, **args).cached
    if change == "date_floor":
        args["date_floor"] = dt.date(1950, 1, 1)
    elif change == "extract_date":
        args["extract_date"] = res.params.extract_date - dt.timedelta(days=1)
    elif change == "la_code":
        args["cache"] = {"la_code": 371}
    elif change == "data":
        con.execute("update staging.referrals set referral_source = '1A' where referral_id = "
                    "(select min(referral_id) from staging.referrals where referral_source <> '1A')")
    else:
        con.execute("insert into quarantine.rejected_rows values (1, 'referrals.csv', 5, 'referrals', 'R9', "
                    "'referral_date', '31/02/2022', 'unparseable date (expected YYYY-MM-DD)')")
    assert not validate(con, **args).cached
    assert validate(con, **args).cached


def test_the_rules_digest_covers_suites_checks_marts_and_macros():
    files = cache._rule_files()
    names = {f.name for f in files}
    assert {"referrals.json", "overlap.sql", "macros.sql", "engine.py"} <= names
    assert any("marts" in str(f) for f in files)


def test_only_the_newest_entries_are_kept():
    con = db.connect(":memory:")
    for i in range(cache.KEEP + 2):
        cache.put(con, f"k{i}", {"i": i})
        cache.put_docs(con, f"k{i}", b"docs %d" % i)
    assert con.execute("select count(*) from meta.docs_cache").fetchone()[0] == cache.KEEP
    assert cache.get_docs(con, f"k{cache.KEEP + 1}") == b"docs %d" % (cache.KEEP + 1)
    assert cache.get_docs(con, "k0") is None
    assert con.execute("select count(*) from meta.validation_cache").fetchone()[0] == cache.KEEP
    assert cache.get(con, f"k{cache.KEEP + 1}") == {"i": cache.KEEP + 1}
    assert cache.get(con, "k0") is None


def test_a_rerun_build_from_the_cache_matches_a_full_build(tmp_path, key):
    from scorecard.synth import generate

    raw = tmp_path / "raw"
    generate(raw, scale=0.15, years=2, start_year=2021, seed=12, artefacts=("orphan_rhi",))
    key_file = tmp_path / "key"
    key_file.write_bytes(key)
    s = settings(raw_dir=raw, out_dir=tmp_path / "o1", db=tmp_path / "same.duckdb", key_file=key_file)
    build(s, period="2022-23")
    build(s.with_(out_dir=tmp_path / "o2"), period="2022-23")
    full = settings(raw_dir=raw, out_dir=tmp_path / "o3", db=tmp_path / "fresh.duckdb", key_file=key_file)
    build(full, period="2022-23")
    con = db.connect(s.db, read_only=True)
    assert con.execute("select count(*) from meta.validation_cache").fetchone()[0] == 1   # one validation
    assert con.execute("select count(*) from meta.docs_cache").fetchone()[0] == 1         # one rendering
    assert con.execute("select count(*) from meta.chart_cache").fetchone()[0] > 0         # charts drawn once
    con.close()
    assert "timings" in (tmp_path / "o2" / "run.log").read_text()
    assert _outputs(tmp_path / "o1") == _outputs(tmp_path / "o2") == _outputs(tmp_path / "o3")


def test_kept_data_docs_are_not_reused_under_another_great_expectations_version(monkeypatch):
    import importlib.metadata

    con = db.connect(":memory:")
    cache.put(con, "k", {"i": 1})
    cache.put_docs(con, "k", b"docs rendered by this GX")
    assert cache.get_docs(con, "k") == b"docs rendered by this GX"
    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version",
                        lambda name: "0.0.1" if name == "great_expectations" else real(name))
    assert cache.get_docs(con, "k") is None          # another GX renders them again
