"""Tests for scorecard.synth.drops: synthetic monthly drops with late and corrected records."""
from __future__ import annotations

import csv
from datetime import date

import pytest

from scorecard.synth import generate
from scorecard.synth.drops import write_drops
from scorecard.synth.generate import SynthArgumentError


@pytest.fixture(scope="module")
def tables():
    return generate(None, scale=0.05, years=2, start_year=2021, seed=3).tables


def _ids(path) -> dict[str, dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {r["referral_id"]: r for r in csv.DictReader(fh)}


def test_drops_hold_every_record_once_by_month_with_history_before(tables, tmp_path):
    drops = write_drops(tables, tmp_path, first="2022-10", last="2023-03")
    assert drops.months == ["2022-10", "2022-11", "2022-12", "2023-01", "2023-02", "2023-03"]
    assert (tmp_path / "referrals.csv").is_file() and (tmp_path / "children.csv").is_file()
    seen: dict[str, int] = {}
    for p in sorted(tmp_path.glob("referrals*.csv")):
        for rid in _ids(p):
            seen[rid] = seen.get(rid, 0) + 1
    corrected = {e.record_id for e in drops.events if e.kind == "corrected"}
    assert set(seen) == {str(i) for i in tables["referrals"]["referral_id"].to_list()}
    # a corrected record is sent twice (the original, then the correction); others once
    assert {r for r, n in seen.items() if n == 2} == corrected
    assert all(n <= 2 for n in seen.values())
    # every record of a month's drop is dated in that month, except the late ones and corrections
    late = {e.record_id for e in drops.events if e.kind == "late"}
    for p in tmp_path.glob("referrals_*.csv"):
        month = p.stem.rsplit("_", 1)[1]
        for rid, r in _ids(p).items():
            assert r["referral_date"][:7] == month or rid in late | corrected


def test_each_later_month_has_a_late_and_a_corrected_referral(tables, tmp_path):
    drops = write_drops(tables, tmp_path, first="2022-10", last="2023-03")
    for m in drops.months[1:]:
        assert "corrected" in {e.kind for e in drops.events if e.arrived == m}, m
    # a late referral is one no assessment or episode refers to, which a small month may lack
    late_months = {e.arrived for e in drops.events if e.kind == "late"}
    assert len(late_months) >= len(drops.months[1:]) // 2
    referenced = {str(i) for t in ("assessments", "cin_episodes") for i in tables[t]["referral_id"].drop_nulls()}
    assert not {e.record_id for e in drops.events if e.kind == "late"} & referenced
    for e in drops.events:
        sent = _ids(tmp_path / f"referrals_{e.arrived}.csv")
        assert e.record_id in sent
        if e.kind == "late":
            assert sent[e.record_id]["referral_date"][:7] == e.dated
            # not in the month it is dated in
            assert e.record_id not in _ids(tmp_path / f"referrals_{e.dated}.csv")
        else:
            was, now = e.detail.split(" corrected to ")
            assert sent[e.record_id]["referral_date"] == now
            assert date.fromisoformat(now).month != date.fromisoformat(was.rsplit(" ", 1)[1]).month


def test_stage_copies_what_had_arrived_by_a_month(tables, tmp_path):
    drops = write_drops(tables, tmp_path / "drops", first="2022-10", last="2023-03", revise_in=("2023-02",))
    assert {e.arrived for e in drops.events} == {"2023-02"}
    raw = tmp_path / "raw"
    drops.stage(raw, "2022-12")
    names = {p.name for p in raw.iterdir()}
    assert "referrals_2022-12.csv" in names and "referrals_2023-01.csv" not in names
    assert "referrals.csv" in names and "children.csv" in names
    drops.stage(raw, "2023-02")
    assert "referrals_2023-02.csv" in {p.name for p in raw.iterdir()}
    assert "referrals_2023-03.csv" not in {p.name for p in raw.iterdir()}


@pytest.mark.parametrize("kwargs, fragment", [
    ({"first": "2023-03", "last": "2022-10"}, "run from one month to a later one"),
    ({"first": "2022-23", "last": "2023-03"}, "run from one month to a later one"),
    ({"first": "2022-10", "last": "2023-03", "revise_in": ("2022-10",)}, "not drop months after the first"),
])
def test_bad_months_are_refused(tables, tmp_path, kwargs, fragment):
    with pytest.raises(SynthArgumentError, match=fragment):
        write_drops(tables, tmp_path, **kwargs)
    with pytest.raises(ValueError):
        write_drops(tables, tmp_path, first="October", last="2023-03")
