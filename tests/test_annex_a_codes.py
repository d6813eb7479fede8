"""Annex A code spellings: every template answer reads as its code and is written back."""
from __future__ import annotations

import pytest

from scorecard.formats.annex_a_codes import CODES, spelling, translate


@pytest.mark.parametrize("column", sorted(CODES))
def test_every_code_is_written_in_the_template_spelling_and_read_back(column):
    spellings = CODES[column][0]
    for code, answer in spellings.items():
        assert spelling(column, code) == answer
        assert spelling(column, code.lower() + " ") == answer  # written from a sloppy code too
        assert translate(column, answer) == code
        assert translate(column, code) == code


@pytest.mark.parametrize(("column", "answer", "code"), [
    ("referral_source", "e) 2A: Schools", "2A"),
    ("referral_source", "Schools", "2A"),            # the label without its letter and code
    ("referral_source", "  q) 6:  police ", "6"),    # case and spaces do not matter
    ("referral_source", "6 - Police", "6"),
    ("primary_need_code", "N1 - Abuse or neglect", "N1"),
    ("primary_need_code", "Abuse or neglect", "N1"),
    ("latest_category", "Emotional abuse", "EMO"),
    ("latest_category", "multiple", "MUL"),
    ("sex", "Not stated", "U"),
    ("missing_type", "away from placement", "A"),
    ("rhi_accepted", "yes", "Y"),
    ("rhi_accepted", "b) No", "N"),
])
def test_template_answers_and_labels_become_codes(column, answer, code):
    assert translate(column, answer) == code


def test_unknown_to_a_yes_no_question_is_blank_and_anything_else_passes_through():
    assert translate("referral_nfa", "c) Unknown") is None
    assert translate("referral_nfa", "Maybe") == "Maybe"
    assert translate("referral_source", "z) 99: Carrier pigeon") == "z) 99: Carrier pigeon"
    assert translate("referral_id", "a) Yes") == "a) Yes"  # not a coded column: untouched
    assert translate("sex", None) is None


def test_writing_keeps_values_it_cannot_spell():
    assert spelling("looked_after", True) == "a) Yes"
    assert spelling("looked_after", False) == "b) No"
    assert spelling("referral_source", "XX") == "XX"
    assert spelling("referral_date", "2022-01-01") == "2022-01-01"
