"""Tests for scorecard.formats.cin_census.elements: census values as canonical text."""
from __future__ import annotations

from lxml import etree

from scorecard.formats.cin_census.elements import (DETAILS, TABLE_ELEMENT, canonical_value, element_text,
                                                   local_name, yes_no)


def test_yes_no_accepts_the_census_spellings_and_leaves_anything_else():
    assert [yes_no(v) for v in ("true", " 1 ", "Y", "yes", "false", "0", "n", "No")] == list("YYYYNNNN")
    assert yes_no("maybe") == "maybe" and yes_no(None) is None


def test_a_date_loses_its_time_zone_and_flags_become_y_or_n():
    assert canonical_value("referral_date", "2022-05-01Z") == "2022-05-01"
    assert canonical_value("referral_date", "2022-05-01+01:00") == "2022-05-01"
    assert canonical_value("referral_date", "2022-05-01T10:00:00") == "2022-05-01T10:00:00"
    assert canonical_value("referral_nfa", "true") == "Y"
    assert canonical_value("referral_source", "true") == "true"
    assert canonical_value("referral_source", None) is None


def test_names_without_namespace_and_text_stripped():
    root = etree.fromstring(b'<m:Message xmlns:m="urn:x"><m:UPN>  A123 </m:UPN><!-- c --><m:UPN/></m:Message>')
    kids = list(root)
    assert local_name(root.tag) == "Message"
    assert [local_name(k.tag) for k in kids] == ["UPN", None, "UPN"]
    assert element_text(kids[0]) == "A123" and element_text(kids[2]) is None


def test_every_row_element_is_a_known_container():
    assert set(TABLE_ELEMENT) >= {"children", "referrals", "cin_episodes", "cp_plans"}
    assert DETAILS["CINreferralDate"] == "cin_start_date"
