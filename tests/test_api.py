"""The analyst API: scorecard.metrics(...) and scorecard.compare(...)."""
import pandas as pd
import polars as pl
import pytest

import scorecard
from scorecard.synth import generate


@pytest.fixture(scope="module")
def dbfile(tmp_path_factory):
    base = tmp_path_factory.mktemp("api")
    generate(base / "raw", scale=0.1, seed=5)
    path = base / "api.duckdb"
    con = scorecard.connect(path)
    scorecard.load(con, base / "raw", key=b"api-test-key-0123456789")
    con.close()
    return path


def test_metrics_returns_polars_filtered_by_metric_period_and_breakdown(dbfile):
    frame = scorecard.metrics("2022-23", metric="referral_source_pct", breakdown="Police",
                              only_period="2022-23", db=dbfile)
    assert isinstance(frame, pl.DataFrame) and frame.height == 1
    row = frame.row(0, named=True)
    assert row["metric_id"] == "referral_source_pct" and row["breakdown"] == "Police"
    assert 0 < row["value"] < 100 and row["value"] == pytest.approx(100 * row["numerator"] / row["denominator"])


def test_metrics_covers_months_and_previous_year_and_can_return_pandas(dbfile):
    frame = scorecard.metrics("2022-23", metric=["referrals"], db=dbfile, as_pandas=True)
    assert isinstance(frame, pd.DataFrame)
    periods = set(frame["period"])
    assert {"2022-23", "2021-22", "2022-04", "2023-03"} <= periods
    year = frame.loc[frame["period"] == "2022-23", "value"].item()
    months = frame.loc[frame["period"].str.match(r"^(2022-(0[4-9]|1[0-2])|2023-0[1-3])$"), "value"].sum()
    assert year == months  # a flow count's months add up to its year


def test_compare_returns_benchmark_rows(dbfile):
    frame = scorecard.compare("2022-23", metric="rereferrals_12m_pct", db=dbfile)
    row = frame.filter(pl.col("period") == "2022-23").row(0, named=True)
    assert row["england"] == pytest.approx(22.4) and row["sn_median"] == pytest.approx(23.5)
    assert row["value"] is not None and row["la_code"] == 370


def test_the_exported_functions_stay_functions_once_their_modules_are_imported():
    import importlib

    import scorecard

    for name in ("build", "load", "metrics"):
        importlib.import_module(f"scorecard.{name}")
        assert callable(getattr(scorecard, name)) and not isinstance(getattr(scorecard, name), type(scorecard))
    from scorecard import METRICS, StructuralError, settings  # noqa: F401

    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        scorecard.nothing  # noqa: B018


def test_the_exported_functions_can_be_patched_and_restored(monkeypatch):
    from unittest import mock

    import scorecard

    real = scorecard.build
    with mock.patch("scorecard.build", lambda *a, **k: "patched"):
        assert scorecard.build() == "patched"
    assert scorecard.build is real
    monkeypatch.setattr(scorecard, "load", "stand-in")
    assert scorecard.load == "stand-in"
    monkeypatch.undo()
    assert callable(scorecard.load) and scorecard.load.__module__ == "scorecard.load"
