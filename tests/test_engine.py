"""Tests for scorecard.validate.engine: the DuckDB evaluator gives exactly what Great Expectations
gives (same records, counts, percentages, validation.csv), on the synthetic artefacts and on
hand-made edge cases; an expectation it cannot evaluate fails loudly."""
from __future__ import annotations

import datetime as dt
import json
import math
from importlib import resources

import pandas as pd
import pytest

from scorecard.db import connect
from scorecard.validate import validate
from scorecard.validate.engine import SUPPORTED, UnsupportedExpectation, evaluate_suite

from .test_validate import stage

_COMPARED = ("element_count", "unexpected_count", "unexpected_percent", "missing_count",
             "missing_percent", "unexpected_percent_total", "unexpected_percent_nonmissing",
             "unexpected_index_query")


def _plain(value):
    """A value as both engines should agree on it (GX hands back pandas/numpy scalars)."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _summary(result: dict) -> dict:
    out = {k: result.get(k) for k in _COMPARED}
    out["ids"] = [{k: _plain(v) for k, v in item.items()} for item in result.get("unexpected_index_list") or []]
    out["values"] = [_plain(v) for v in result.get("unexpected_list") or []
                     if not isinstance(v, (tuple, list))]
    return out


def _gx_results(runner) -> dict:
    return {(name, r.expectation_config.meta["check_id"]): _summary(r.result) for name, r in runner.results}


def _duck_results(runner) -> dict:
    return {(s.name, r.expectation["meta"]["check_id"]): _summary(r.result)
            for s, _ in runner.results for r in s.results}


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory):
    """The synthetic history with every artefact switched on, validated by each engine."""
    synth = pytest.importorskip("scorecard.synth")
    import scorecard.validate.runner as runner_mod
    import scorecard.validate.suites as suites_mod

    res = synth.generate(None, scale=0.3, years=2, seed=3, artefacts=tuple(synth.ARTEFACTS))
    con = connect(":memory:")
    stage(con, {name: df.to_dicts() for name, df in res.tables.items()})
    runners = {}
    out = {}
    for engine, cls in (("duckdb", runner_mod.DuckDBRunner), ("gx", suites_mod.GXRunner)):
        made = []

        class Keeping(cls):  # keeps the runner the validation made, to read its results
            def __init__(self, *a, **k):
                super().__init__(*a, **k)
                made.append(self)

        mod = runner_mod if engine == "duckdb" else suites_mod
        original = getattr(mod, cls.__name__)
        setattr(mod, cls.__name__, Keeping)
        try:
            folder = tmp_path_factory.mktemp(engine)
            result = validate(con, folder, extract_date=res.params.extract_date, engine=engine)
        finally:
            setattr(mod, cls.__name__, original)
        runners[engine] = made[0]
        out[engine] = (result, folder)
    return out, _duck_results(runners["duckdb"]), _gx_results(runners["gx"])


def test_same_validation_csv_from_both_engines(both_engines):
    out, _, _ = both_engines
    duck, gx = out["duckdb"], out["gx"]
    assert duck[0].errors > 100 and duck[0].warnings > 0    # the artefacts are found at all
    assert (duck[1] / "validation.csv").read_bytes() == (gx[1] / "validation.csv").read_bytes()
    assert (duck[0].errors, duck[0].warnings) == (gx[0].errors, gx[0].warnings)


def test_same_result_for_every_expectation(both_engines):
    _, duck, gx = both_engines
    assert duck.keys() == gx.keys()
    assert len(duck) > 150
    differ = {k: (duck[k], gx[k]) for k in duck if duck[k] != gx[k]}
    assert not differ, json.dumps({str(k): v for k, v in list(differ.items())[:3]}, default=str, indent=1)[:3000]
    failing = [k for k, v in duck.items() if v["unexpected_count"]]
    assert len(failing) > 15


def test_data_docs_from_the_duckdb_engine(both_engines):
    out, duck, _ = both_engines
    docs = out["duckdb"][1] / "validation"
    index = (docs / "index.html").read_text(encoding="utf-8")
    for suite in ("referrals", "cp_plans", "monthly_volumes", "cin_census"):
        assert suite in index
    pages = list((docs / "validations").rglob("*.html"))
    assert len(pages) >= 14
    cp = next(p for p in pages if "/cp_plans/" in p.as_posix()).read_text(encoding="utf-8")
    failing = [v for (s, _), v in duck.items() if s == "cp_plans" and v["unexpected_count"]]
    assert failing and all(f"{v['unexpected_count']} unexpected" in cp for v in failing)


def test_every_shipped_expectation_type_is_supported():
    for path in resources.files("scorecard").joinpath("expectations").iterdir():
        suite = json.loads(path.read_text(encoding="utf-8"))
        assert {e["type"] for e in suite["expectations"]} <= SUPPORTED, path.name


def _relation(con, frame: pd.DataFrame) -> str:
    con.register("_f", frame.assign(_pos=range(len(frame))))
    con.execute("create or replace temp table rel as select * from _f")
    return "rel"


def _e(kind: str, **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {"check_id": "x", "severity": "error", "message": "m"}}


def test_an_unknown_expectation_type_fails_loudly():
    con = connect(":memory:")
    rel = _relation(con, pd.DataFrame({"id": ["a"], "x": ["1"]}))
    suite = {"name": "t", "expectations": [_e("expect_column_values_to_match_regex", column="x", regex="^1$")]}
    with pytest.raises(UnsupportedExpectation, match="match_regex"):
        evaluate_suite(con, rel, suite, index_columns=["id"], parameters={})
    # even when its column is absent (GX would skip it; a new type must never pass unnoticed)
    suite["expectations"][0]["kwargs"]["column"] = "absent"
    with pytest.raises(UnsupportedExpectation):
        evaluate_suite(con, rel, suite, index_columns=["id"], parameters={})


@pytest.mark.parametrize("kwargs", [
    {"column": "x", "row_condition": "x.str.len() > 1", "condition_parser": "pandas"},
    {"column": "x", "row_condition": 'x > "1"', "condition_parser": "great_expectations"},
    {"column": "x", "mostly": 0.9},
])
def test_an_untranslatable_argument_fails_loudly(kwargs):
    con = connect(":memory:")
    rel = _relation(con, pd.DataFrame({"id": ["a"], "x": ["1"]}))
    suite = {"name": "t", "expectations": [_e("expect_column_values_to_not_be_null", **kwargs)]}
    with pytest.raises(UnsupportedExpectation):
        evaluate_suite(con, rel, suite, index_columns=["id"], parameters={})


def test_edge_cases_match_great_expectations(tmp_path):
    """Nulls, NaN, a missing flag in a row condition, ties for uniqueness, dates against
    timestamp parameters: both engines, one small frame."""
    from scorecard.validate.suites import GXRunner

    frame = pd.DataFrame({
        "id": ["a", "b", "c", "d", "e", "f"],
        "x": [1.0, None, 3.0, 3.0, -1.0, float("nan")],
        "s": ["A", "B", None, "Z", "A", None],
        "f": pd.array([True, None, False, True, None, False], dtype="boolean"),
        "d1": pd.to_datetime(["2020-01-01", "2019-01-01", None, "2021-01-01", "2020-01-01", "1970-01-01"]),
        "d2": pd.to_datetime(["2020-02-01", "2020-01-01", "2020-01-01", None, "2019-01-01", "2010-01-01"]),
    })
    suite = {"name": "t", "expectations": [
        _e("expect_column_values_to_not_be_null", column="x"),
        _e("expect_column_values_to_not_be_null", column="s", row_condition="f != True", condition_parser="pandas"),
        _e("expect_column_values_to_not_be_null", column="s", row_condition="d1.notnull()", condition_parser="pandas"),
        _e("expect_column_values_to_be_in_set", column="s", value_set=["A", "B"],
           row_condition='d1 >= "2020-01-01"', condition_parser="pandas"),
        _e("expect_column_values_to_be_unique", column="x"),
        _e("expect_column_values_to_be_in_set", column="s", value_set=["A", "B"]),
        _e("expect_column_values_to_not_be_in_set", column="d1", value_set={"$PARAMETER": "placeholders"}),
        _e("expect_column_values_to_be_between", column="x", min_value=0, max_value=2),
        _e("expect_column_values_to_be_between", column="d1", max_value={"$PARAMETER": "end"}),
        _e("expect_column_values_to_be_null", column="s"),
        _e("expect_column_pair_values_a_to_be_greater_than_b", column_A="d2", column_B="d1", or_equal=True,
           ignore_row_if="either_value_is_missing"),
    ]}
    for i, e in enumerate(suite["expectations"]):
        e["meta"] = {**e["meta"], "check_id": f"c{i}"}
    params = {"end": pd.Timestamp("2020-06-01"), "placeholders": [pd.Timestamp("1970-01-01")]}
    gx = GXRunner(tmp_path)
    gx.run(suite, frame, table_of="t", index_columns=["id"], parameters=params)
    con = connect(":memory:")
    got = evaluate_suite(con, _relation(con, frame), suite, index_columns=["id"], parameters=params)
    duck = {r.expectation["meta"]["check_id"]: _summary(r.result) for r in got.results}
    want = {r.expectation_config.meta["check_id"]: _summary(r.result) for _, r in gx.results}
    assert duck == want
    assert sum(v["unexpected_count"] for v in duck.values()) >= 12
