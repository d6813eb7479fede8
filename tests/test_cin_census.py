"""DfE CIN census XML: round trip, DfE-only files, derived ids, line numbers, bad input."""
from __future__ import annotations

import datetime as dt
import json
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

CENSUS_TABLES = ("children", "referrals", "cin_episodes", "assessments", "cp_plans", "s47_enquiries",
                 "cin_plans", "cp_reviews")

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
    tables = canon.census_tables()
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
    assert "<ReferralNFA>1</ReferralNFA>" in text and "<ReferralNFA>0</ReferralNFA>" in text
    fixed = cin_census.write(canon.canonical_tables(), tmp_path / "b.xml",
                             reference_date=dt.date(2024, 3, 31))
    assert "<Year>2024</Year>" in fixed.read_text() and "<GenderCurrent>" in fixed.read_text()
    # from 2024-25 the census has Sex (M/F/U) in place of GenderCurrent
    later = cin_census.write(canon.canonical_tables(), tmp_path / "c.xml",
                             reference_date=dt.date(2025, 3, 31)).read_text()
    assert "<Sex>F</Sex>" in later and "GenderCurrent" not in later


def test_dfe_only_file_derives_records_and_ids(tmp_path):
    path = tmp_path / "census.xml"
    path.write_text(DFE_ONLY)
    t = _by_table(cin_census.read(path))
    refs = t["referrals"].to_dicts()
    assert [(r["referral_date"], r["referral_source"], r["referral_nfa"]) for r in refs] == \
        [("2022-04-05", "6", "N"), ("2022-13-01", "ZZ", "Y")]  # bad values passed through
    assert all(r["referral_id"].startswith("CIR-") for r in refs)
    # every block is a CIN episode row, the NFA block too (the marts leave it out)
    cin = t["cin_episodes"].to_dicts()
    assert [c["referral_id"] for c in cin] == [r["referral_id"] for r in refs]
    assert [(c["cin_start_date"], c["primary_need_code"], c["referral_nfa"]) for c in cin] == [
        ("2022-04-05", "N1", "N"), ("2022-13-01", None, "Y")]
    assert cin[0]["cin_episode_id"].startswith("CIE-")
    a = t["assessments"].to_dicts()[0]
    assert (a["referral_id"], a["cin_episode_id"], a["assessment_authorised_date"]) == (
        refs[0]["referral_id"], cin[0]["cin_episode_id"], "2022-05-01")
    cp = t["cp_plans"].to_dicts()[0]
    assert (cp["initial_category"], cp["latest_category"], cp["cp_plan_end_date"],
            cp["number_of_previous_cpp"], cp["cin_episode_id"]) == \
        ("NEG", "PHY", None, "0", cin[0]["cin_episode_id"])
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
    tables = canon.census_tables()
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


# ------------------------------------------------------------------ every element of the census
FULL = """<?xml version="1.0" encoding="UTF-8"?>
<Message>
  <Header>
    <CollectionDetails><Collection>CIN</Collection><Year>2025</Year>
      <ReferenceDate>2025-03-31</ReferenceDate></CollectionDetails>
    <Source><SourceLevel>L</SourceLevel><LEA>370</LEA><SoftwareCode>Case system</SoftwareCode>
      <Release>4.2</Release><SerialNo>007</SerialNo><DateTime>2025-05-02T10:00:00</DateTime></Source>
  </Header>
  <Children>
    <Child>
      <ChildIdentifiers>
        <LAchildID>77</LAchildID>
        <UPN>A370000000016</UPN>
        <FormerUPN>B881000000123</FormerUPN>
        <UPNunknown>UN3</UPNunknown>
        <PersonBirthDate>2015-06-01Z</PersonBirthDate>
        <ExpectedPersonBirthDate>2015-06-03</ExpectedPersonBirthDate>
        <Sex>F</Sex>
        <PersonDeathDate>2025-02-01</PersonDeathDate>
      </ChildIdentifiers>
      <ChildCharacteristics>
        <Ethnicity>WBRI</Ethnicity>
        <Disabilities><Disability>AUT</Disability><Disability>mob</Disability></Disabilities>
      </ChildCharacteristics>
      <CINdetails>
        <CINreferralDate>2024-05-01</CINreferralDate>
        <ReferralSource>2A</ReferralSource>
        <PrimaryNeedCode>N1</PrimaryNeedCode>
        <CINclosureDate>2025-02-01</CINclosureDate>
        <ReasonForClosure>RC2</ReasonForClosure>
        <DateOfInitialCPC>2024-05-20</DateOfInitialCPC>
        <Assessments>
          <AssessmentActualStartDate>2024-05-02</AssessmentActualStartDate>
          <AssessmentInternalReviewDate>2024-05-10</AssessmentInternalReviewDate>
          <AssessmentAuthorisationDate>2024-06-01</AssessmentAuthorisationDate>
          <FactorsIdentifiedAtAssessment>
            <AssessmentFactors>3A</AssessmentFactors><AssessmentFactors>21</AssessmentFactors>
          </FactorsIdentifiedAtAssessment>
        </Assessments>
        <CINPlanDates><CINPlanStartDate>2024-06-02</CINPlanStartDate>
          <CINPlanEndDate>2024-07-01</CINPlanEndDate></CINPlanDates>
        <Section47>
          <S47ActualStartDate>2024-06-10</S47ActualStartDate>
          <InitialCPCtarget>2024-07-01</InitialCPCtarget>
          <DateOfInitialCPC>2024-07-01</DateOfInitialCPC>
          <ICPCnotRequired>false</ICPCnotRequired>
        </Section47>
        <ReferralNFA>0</ReferralNFA>
        <ChildProtectionPlans>
          <CPPstartDate>2024-07-01</CPPstartDate>
          <CPPendDate>2025-01-15</CPPendDate>
          <InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse>
          <LatestCategoryOfAbuse>EMO</LatestCategoryOfAbuse>
          <NumberOfPreviousCPP>1</NumberOfPreviousCPP>
          <Reviews><CPPreviewDate>2024-09-30</CPPreviewDate><CPPreviewDate>2025-01-15</CPPreviewDate></Reviews>
        </ChildProtectionPlans>
        <PreProceedingsandFGDM><PPStartDate>2025-01-09</PPStartDate><PPOutcome>A</PPOutcome></PreProceedingsandFGDM>
      </CINdetails>
      <CINdetails>
        <CINreferralDate>2025-01-20</CINreferralDate>
        <ReferralSource>6</ReferralSource>
        <ReferralNFA>true</ReferralNFA>
        <ChildProtectionPlans><CPPstartDate>2025-01-21</CPPstartDate><InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse>
          <LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse><NumberOfPreviousCPP>x</NumberOfPreviousCPP><Reviews/>
        </ChildProtectionPlans>
      </CINdetails>
    </Child>
  </Children>
</Message>
"""


def test_every_element_of_the_census_reaches_its_column(tmp_path):
    path = tmp_path / "full.xml"
    path.write_text(FULL)
    frames = cin_census.read(path)
    t = _by_table(frames)
    child = t["children"].to_dicts()[0]
    assert {k: child[k] for k in ("child_id", "upn", "former_upn", "upn_unknown", "date_of_birth",
                                  "expected_date_of_birth", "sex", "date_of_death", "ethnicity",
                                  "disabilities")} == {
        "child_id": "77", "upn": "A370000000016", "former_upn": "B881000000123", "upn_unknown": "UN3",
        "date_of_birth": "2015-06-01", "expected_date_of_birth": "2015-06-03", "sex": "F",
        "date_of_death": "2025-02-01", "ethnicity": "WBRI", "disabilities": "AUT mob"}
    ep, nfa = t["cin_episodes"].to_dicts()
    assert (ep["cin_start_date"], ep["cin_closure_date"], ep["reason_for_closure"], ep["icpc_date"],
            ep["referral_nfa"], nfa["referral_nfa"]) == ("2024-05-01", "2025-02-01", "RC2", "2024-05-20", "N", "Y")
    a = t["assessments"].to_dicts()[0]
    assert (a["assessment_internal_review_date"], a["assessment_factors"], a["cin_episode_id"]) == (
        "2024-05-10", "3A 21", ep["cin_episode_id"])
    plan = t["cin_plans"].to_dicts()[0]
    assert (plan["cin_plan_start_date"], plan["cin_plan_end_date"], plan["cin_episode_id"]) == (
        "2024-06-02", "2024-07-01", ep["cin_episode_id"])
    s47 = t["s47_enquiries"].to_dicts()[0]
    assert (s47["s47_start_date"], s47["icpc_target_date"], s47["icpc_date"], s47["icpc_not_required"],
            s47["cin_episode_id"]) == ("2024-06-10", "2024-07-01", "2024-07-01", "N", ep["cin_episode_id"])
    cp1, cp2 = t["cp_plans"].to_dicts()
    assert (cp1["number_of_previous_cpp"], cp1["cin_episode_id"], cp2["cin_episode_id"],
            cp2["number_of_previous_cpp"]) == ("1", ep["cin_episode_id"], nfa["cin_episode_id"], "x")
    reviews = t["cp_reviews"].to_dicts()
    assert [(r["cp_plan_id"], r["cp_review_date"]) for r in reviews] == [
        (cp1["cp_plan_id"], "2024-09-30"), (cp1["cp_plan_id"], "2025-01-15"), (cp2["cp_plan_id"], None)]
    assert len({r["cp_review_id"] for r in reviews}) == 3
    # rows are the line numbers of their elements
    text = FULL.splitlines()
    assert text[t["s47_enquiries"]["_row"][0] - 1].strip() == "<Section47>"
    assert text[t["cp_reviews"]["_row"][1] - 1].count("<CPPreviewDate>") == 2
    # the element the 2025-26 census does not have is kept on its block's episode, and counted
    assert json.loads(ep["_extras"]) == {"PreProceedingsandFGDM/PPStartDate": "2025-01-09",
                                         "PreProceedingsandFGDM/PPOutcome": "A"}
    facts = frames[0].facts
    assert facts["unknown_elements"] == 3 and "PreProceedingsandFGDM" in facts["notes"][0]
    assert (facts["census_year"], facts["reference_date"], facts["la_code"], facts["collection_year"]) == (
        "2024-25", dt.date(2025, 3, 31), "370", "2025")
    assert facts["facts"]["Header/Source/SerialNo"] == "007"
    assert all(f.facts is facts for f in frames)


def test_nothing_is_dropped_unknown_repeated_stray(tmp_path):
    odd = FULL.replace("<UPNunknown>UN3</UPNunknown>", "<UPNunknown>UN3</UPNunknown>stray words<Nickname>Bo</Nickname>")
    odd = odd.replace("<Ethnicity>WBRI</Ethnicity>", "<Ethnicity>WBRI</Ethnicity><Ethnicity>WOTH</Ethnicity>")
    odd = odd.replace("<Release>4.2</Release>", "<Release>4.2</Release><Vendor>X</Vendor>")
    odd = odd.replace("<Children>", "<Children><Note>hello</Note>")
    path = tmp_path / "odd.xml"
    path.write_text(odd)
    frames = cin_census.read(path)
    child = _by_table(frames)["children"].to_dicts()[0]
    assert child["ethnicity"] == "WBRI" and child["upn_unknown"] == "UN3"
    assert json.loads(child["_extras"]) == {"ChildIdentifiers/#text": "stray words",
                                            "ChildIdentifiers/Nickname": "Bo",
                                            "ChildCharacteristics/Ethnicity": "WOTH"}
    facts = frames[0].facts
    assert facts["facts"]["Header/Source/Vendor"] == "X" and facts["facts"]["Children/Note"] == "hello"
    assert facts["unknown_elements"] == 3 + 5


@pytest.mark.parametrize("year", ["2022-23", "2023-24", "2024-25", "2025-26"])
def test_files_written_without_extensions_are_valid_for_their_year(tmp_path, year):
    from lxml import etree

    from scorecard.formats.cin_census import schema_path, spec

    xsd = etree.XMLSchema(etree.parse(str(schema_path(year))))
    tables = canon.census_tables()
    # the DfE asks for ReferralNFA on every block and a number of previous plans on every plan
    tables["referrals"] = tables["referrals"].with_columns(pl.col("referral_nfa").fill_null(True))
    tables["children"] = tables["children"].with_columns(pl.col("ethnicity").fill_null("NOBT"))
    path = cin_census.write(tables, tmp_path / f"{year}.xml", extensions=False,
                            reference_date=spec.reference_date_of(year))
    assert xsd.validate(etree.parse(str(path))), xsd.error_log
    sex = "GenderCurrent" if year < "2024-25" else "Sex"
    assert f"<{sex}>" in path.read_text()
    # ... and invalid when something breaks the schema
    broken = tmp_path / "broken.xml"
    broken.write_text(path.read_text().replace("<ReferralSource>2A</ReferralSource>", "<ReferralSource>2Z</ReferralSource>"))
    assert not xsd.validate(etree.parse(str(broken)))


def test_the_shipped_schemas_are_the_ones_spec_writes():
    from scorecard.formats.cin_census import schema_path, spec

    for year in spec.YEARS:
        assert schema_path(year).read_text(encoding="utf-8") == spec.xsd_text(year), year
    with pytest.raises(KeyError, match="2022-23"):
        schema_path("2019-20")


def test_census_year_comes_from_the_reference_date_else_the_year():
    from scorecard.formats.cin_census.spec import census_year

    assert census_year(dt.date(2023, 3, 31)) == "2022-23"
    assert census_year(dt.date(2022, 7, 21)) == "2021-22"
    assert census_year(None, "2025") == "2024-25"
    assert census_year(None, "20x5") is None and census_year(None, None) is None


@pytest.mark.parametrize("header, note", [
    ("<CollectionDetails><Year>2023</Year><ReferenceDate>31/03/2023</ReferenceDate></CollectionDetails>",
     "ReferenceDate '31/03/2023' is not a date"),
    ("<CollectionDetails><Collection>CIN</Collection></CollectionDetails>", "census year unknown"),
    ("<CollectionDetails><ReferenceDate>2019-03-31</ReferenceDate></CollectionDetails>",
     "census year 2018-19 is outside the years this reader knows"),
])
def test_an_unreadable_or_unknown_year_is_said_plainly(tmp_path, header, note):
    path = tmp_path / "year.xml"
    path.write_text(DFE_ONLY.replace(
        """<CollectionDetails><Collection>CIN</Collection><Year>2023</Year>
      <ReferenceDate>2023-03-31</ReferenceDate></CollectionDetails>""", header))
    facts = cin_census.read(path)[0].facts
    assert any(note in n for n in facts["notes"]), facts["notes"]
    assert facts["census_year"] == ("2022-23" if "2023</Year>" in header else
                                    "2018-19" if "2019" in header else None)


def test_a_census_whose_referrals_are_all_nfa_loads_every_block(tmp_path, key):
    from scorecard import db
    from scorecard.load import load
    from scorecard.metrics import build_marts

    blocks = "".join(f"""<CINdetails><CINreferralDate>2022-0{m}-01</CINreferralDate><ReferralSource>6</ReferralSource>
        <ReferralNFA>true</ReferralNFA></CINdetails>""" for m in range(4, 8))
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "census.xml").write_text(f"""<Message><Children><Child><ChildIdentifiers>
        <LAchildID>1</LAchildID><GenderCurrent>1</GenderCurrent></ChildIdentifiers>
        <ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>{blocks}</Child></Children></Message>""")
    con = db.connect(":memory:")
    report = load(con, tmp_path / "raw", key=key)
    assert report.rows_rejected == 0
    assert con.execute("select count(*), count(*) filter (where referral_nfa) from staging.cin_episodes"
                       ).fetchall() == [(4, 4)]
    build_marts(con)
    assert con.execute("select count(*) from marts.cin_episodes").fetchall() == [(0,)]


def test_missing_required_elements_and_bad_dates_are_quarantined_not_lost(tmp_path, key):
    from scorecard import db
    from scorecard.load import load

    (tmp_path / "raw").mkdir()
    bad = FULL.replace("<CINreferralDate>2024-05-01</CINreferralDate>", "") \
        .replace("<S47ActualStartDate>2024-06-10</S47ActualStartDate>", "<S47ActualStartDate>2024-06-31</S47ActualStartDate>")
    (tmp_path / "raw" / "census.xml").write_text(bad)
    con = db.connect(":memory:")
    report = load(con, tmp_path / "raw", key=key)
    rejected = con.execute("select table_name, column_name, reason from quarantine.rejected_rows "
                           "order by 1, 2").fetchall()
    assert rejected == [
        ("cin_episodes", "cin_start_date", "blank required value"),
        ("cp_reviews", "cp_review_date", "blank required value"),   # the Reviews with no date
        ("referrals", "referral_date", "blank required value"),
        ("s47_enquiries", "s47_start_date", "unparseable date (expected YYYY-MM-DD, DD/MM/YYYY or an Excel date)"),
    ]
    assert report.rows_rejected == 4
    # the rest of the file is staged, the unknown element kept and counted
    assert con.execute("select count(*) from staging.cp_reviews").fetchall() == [(2,)]
    assert con.execute("select count(*) from raw.cin_episodes where _extras like '%PPStartDate%'").fetchall() == [(1,)]
