"""DfE CIN census XML: round trip, DfE-only files, derived ids, line numbers, bad input."""
from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
from pathlib import Path

import polars as pl
import pytest

from scorecard.errors import StructuralError
from scorecard.formats import cin_census, reader_for

_spec = importlib.util.spec_from_file_location(
    "canonical_fixture", Path(__file__).parent / "fixtures" / "formats" / "canonical.py")
canon = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(canon)

CENSUS_TABLES = ("children", "referrals", "cin_episodes", "assessments", "cp_plans")

DFE_ONLY = """<?xml version="1.0" encoding="UTF-8"?>
<Message xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Header>
    <CollectionDetails><Collection>CIN</Collection><Year>2023</Year>
      <ReferenceDate>2023-03-31</ReferenceDate></CollectionDetails>
    <Source><SourceLevel>L</SourceLevel><LEA>370</LEA></Source>
  </Header>
  <Children>
    <Child>
      <ChildIdentifiers>
        <LAchildID>900</LAchildID>
        <PersonBirthDate>2012-02-29</PersonBirthDate>
        <GenderCurrent>1</GenderCurrent>
      </ChildIdentifiers>
      <ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>
      <CINdetails>
        <CINreferralDate>2022-04-05</CINreferralDate>
        <ReferralSource>6</ReferralSource>
        <PrimaryNeedCode>N1</PrimaryNeedCode>
        <Assessments>
          <AssessmentActualStartDate>2022-04-06</AssessmentActualStartDate>
          <AssessmentAuthorisationDate>2022-05-01</AssessmentAuthorisationDate>
        </Assessments>
        <ReferralNFA>0</ReferralNFA>
        <ChildProtectionPlans>
          <CPPstartDate>2022-05-10</CPPstartDate>
          <InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse>
          <LatestCategoryOfAbuse>PHY</LatestCategoryOfAbuse>
          <NumberOfPreviousCPP>0</NumberOfPreviousCPP>
        </ChildProtectionPlans>
      </CINdetails>
      <CINdetails>
        <CINreferralDate>2022-13-01</CINreferralDate>
        <ReferralSource>ZZ</ReferralSource>
        <ReferralNFA>true</ReferralNFA>
      </CINdetails>
    </Child>
  </Children>
</Message>
"""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _by_table(frames):
    return {f.table: f.data for f in frames}


def test_round_trip_with_extensions_is_exact_and_input_untouched(tmp_path):
    tables = canon.canonical_tables()
    path = cin_census.write(tables, tmp_path / "cin.xml")
    before = _digest(path)
    assert cin_census.sniff(path)
    frames = cin_census.read(path)
    assert _digest(path) == before
    for table in CENSUS_TABLES:
        assert canon.read_back(frames, table) == canon.as_text(tables[table]), table
    assert {f.table for f in frames} == set(CENSUS_TABLES)  # no missing/RHI in the census


def test_writer_header_and_dfe_elements(tmp_path):
    path = cin_census.write(canon.canonical_tables(), tmp_path / "cin.xml", la_code=370)
    text = path.read_text()
    assert "<LEA>370</LEA>" in text and "<ReferenceDate>2023-03-31</ReferenceDate>" in text
    assert "<GenderCurrent>2</GenderCurrent>" in text  # F -> 2
    assert "<ReferralNFA>true</ReferralNFA>" in text
    fixed = cin_census.write(canon.canonical_tables(), tmp_path / "b.xml",
                             reference_date=dt.date(2024, 3, 31))
    assert "<Year>2024</Year>" in fixed.read_text()


def test_dfe_only_file_derives_records_and_ids(tmp_path):
    path = tmp_path / "census.xml"
    path.write_text(DFE_ONLY)
    t = _by_table(cin_census.read(path))
    refs = t["referrals"].to_dicts()
    assert [(r["referral_date"], r["referral_source"], r["referral_nfa"]) for r in refs] == \
        [("2022-04-05", "6", "N"), ("2022-13-01", "ZZ", "Y")]  # bad values passed through
    assert all(r["referral_id"].startswith("CIR-") for r in refs)
    # the NFA block gives a referral but no CIN episode
    cin = t["cin_episodes"].to_dicts()
    assert len(cin) == 1 and cin[0]["referral_id"] == refs[0]["referral_id"]
    assert (cin[0]["cin_start_date"], cin[0]["primary_need_code"]) == ("2022-04-05", "N1")
    a = t["assessments"].to_dicts()[0]
    assert (a["referral_id"], a["assessment_authorised_date"]) == (refs[0]["referral_id"],
                                                                   "2022-05-01")
    cp = t["cp_plans"].to_dicts()[0]
    assert (cp["initial_category"], cp["latest_category"], cp["cp_plan_end_date"]) == \
        ("NEG", "PHY", None)
    child = t["children"].to_dicts()[0]
    assert (child["child_id"], child["sex"], child["date_of_birth"]) == ("900", "M", "2012-02-29")
    # rows are the line numbers of the elements
    assert t["children"]["_row"].to_list() == [9]
    assert t["referrals"]["_row"].to_list() == [16, 32]
    assert t["assessments"]["_row"].to_list() == [20]
    # deterministic ids
    again = _by_table(cin_census.read(path))
    assert again["referrals"]["referral_id"].to_list() == t["referrals"]["referral_id"].to_list()


def test_without_extensions_output_is_dfe_only_and_readable(tmp_path):
    tables = canon.canonical_tables()
    path = cin_census.write(tables, tmp_path / "dfe.xml", extensions=False)
    assert "Scorecard" not in path.read_text()
    t = _by_table(cin_census.read(path))
    assert sorted(t["referrals"]["referral_date"].to_list()) == \
        sorted(d.isoformat() for d in tables["referrals"]["referral_date"].to_list())
    assert sorted(t["cp_plans"]["initial_category"].to_list()) == ["MUL", "NEG"]


def test_values_the_census_cannot_validate_survive_writing(tmp_path):
    tables = canon.canonical_tables()
    tables["cp_plans"] = tables["cp_plans"].with_columns(
        pl.col("cp_plan_start_date").cast(pl.Utf8).replace({"2022-06-10": "10/06/22x"}),
        pl.col("initial_category").replace({"NEG": "NEGLECT?"}))
    path = cin_census.write(tables, tmp_path / "odd.xml")
    cp = {r["cp_plan_id"]: r for r in _by_table(cin_census.read(path))["cp_plans"].to_dicts()}
    assert (cp["P1"]["cp_plan_start_date"], cp["P1"]["initial_category"]) == \
        ("10/06/22x", "NEGLECT?")


def test_namespaced_elements_are_read(tmp_path):
    path = tmp_path / "ns.xml"
    path.write_text(DFE_ONLY.replace("<Message xmlns:xsi", "<c:Message xmlns:c=\"urn:x\" "
                                     "xmlns:xsi").replace("</Message>", "</c:Message>")
                    .replace("<Child>", "<c:Child>").replace("</Child>", "</c:Child>"))
    assert len(_by_table(cin_census.read(path))["referrals"]) == 2


def test_dispatch_sends_every_xml_to_the_census_reader(tmp_path):
    assert reader_for(tmp_path / "CIN_2023.XML", []) is cin_census.read


@pytest.mark.parametrize("content, expect", [
    ("", ["not well-formed"]),
    ("<Message><Children><Child></Children></Message>", ["not well-formed", "line 1"]),
    ("<root><Children/></root>", ["root element is <root>", "'Message'"]),
    ("<Message><Header/></Message>", ["no <Children>", "'Children'"]),
    ('<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa">]><Message>&a;</Message>',
     ["refused"]),
])
def test_structural_errors_name_file_and_element(tmp_path, content, expect):
    path = tmp_path / "bad.xml"
    path.write_text(content)
    with pytest.raises(StructuralError) as err:
        cin_census.read(path)
    assert str(err.value).startswith(str(path))
    for part in expect:
        assert part in str(err.value)
    assert not cin_census.sniff(path) or "Message" in content


def test_unreadable_file_is_structural(tmp_path):
    with pytest.raises(StructuralError, match="cannot read"):
        cin_census.read(tmp_path / "absent.xml")
