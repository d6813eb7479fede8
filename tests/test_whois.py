"""Tests for scorecard.whois: a pseudonym back to its case id, from the raw files and the key."""
from __future__ import annotations

import pytest

from scorecard.errors import ScorecardError
from scorecard.load import pseudonymise
from scorecard.whois import whois

KEY = b"whois-test-key"


def test_finds_every_row_of_the_child_in_canonical_files(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "referrals.csv").write_text("referral_id,child_id,referral_date,referral_source\n"
                                       "R1, CASE-7 ,2022-05-01,6\nR2,CASE-8,2022-05-02,6\nR3,CASE-7,2022-06-01,2A\n")
    (raw / "children.csv").write_text("child_id,date_of_birth,legacy_id\nCASE-9,2015-01-01,CASE-7\n")
    p7 = pseudonymise(["CASE-7"], KEY)["CASE-7"]
    found = whois([p7], raw, key=KEY)
    assert [(m.case_id, m.file, m.row, m.column) for m in found] == [
        ("CASE-7", "children.csv", 2, "legacy_id"), ("CASE-7", "referrals.csv", 2, "child_id"),
        ("CASE-7", "referrals.csv", 4, "child_id")]
    assert whois([p7], raw, key=b"another key") == []


def test_finds_a_child_in_a_census_file(tmp_path):
    from scorecard import synth

    raw = tmp_path / "raw"
    synth.generate(raw, scale=0.05, years=1, seed=2, formats=("cin_census",))
    text = (raw / "cin_census.xml").read_text()
    case = text.split("<LAchildID>", 1)[1].split("</LAchildID>", 1)[0]
    found = whois([pseudonymise([case], KEY)[case]], raw, key=KEY)
    assert found and {m.case_id for m in found} == {case}
    assert {m.file for m in found} == {"cin_census.xml"} and all(m.row > 1 for m in found)


def test_refuses_what_is_not_a_pseudonym(tmp_path):
    with pytest.raises(ScorecardError, match="not a pseudonym"):
        whois(["CASE-7"], tmp_path, key=KEY)
