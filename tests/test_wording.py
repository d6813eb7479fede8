"""Board wording: every metric defined in plain words, every check of the suites put into
words with no column names or ids in front."""
from __future__ import annotations

import re

import pytest

from scorecard.metrics import METRICS
from scorecard.report import wording
from scorecard.validate.lineage import check_inputs

#: what board text must not contain: identifiers with underscores, SQL-ish comparisons
_TECHNICAL = re.compile(r"\b[a-z]+_[a-z0-9_]+\b|=|\bcount\(|\bnull\b|\bY/N\b")


@pytest.mark.parametrize("metric", list(METRICS), ids=lambda m: m.id)
def test_every_metric_has_a_board_definition_in_words(metric):
    text = wording.metric_definition(metric.id)
    assert text and text.endswith(".") and len(text) < 220
    assert not _TECHNICAL.search(text), text


def test_the_analysts_definition_is_the_fallback_for_an_unknown_metric():
    assert wording.metric_definition("new_metric", "As the catalogue says.") == "As the catalogue says."


@pytest.mark.parametrize("check_id", sorted(check_inputs()))
def test_every_check_of_the_suites_reads_as_words(check_id):
    table = check_inputs()[check_id].table or "referrals"
    words = wording.check_words(check_id, table)
    assert words and words[0].isupper()
    assert not _TECHNICAL.search(words), words
    assert check_id not in words


def test_checks_in_words_examples():
    assert wording.check_words("return_interviews.completed_not_accepted") == (
        "Return home interviews recorded as completed but not accepted")
    assert wording.check_words("referrals.required.referral_source", "referrals") == (
        "Referrals with no referral source")
    assert wording.check_words("cin_episodes.invalid_code.primary_need_code", "cin_episodes") == (
        "Child in need episodes with a primary need code that is not on the DfE list")
    assert wording.check_words("volume.monthly_gap", "contacts").startswith(
        "Contacts: a month far below")
    assert wording.check_words("referrals.before_floor.referral_date", "referrals") == (
        "Referrals with a referral date too early to be real (on or before the earliest date "
        "allowed)")
    assert wording.check_words("load.unparseable_date", "referrals") == (
        "Referrals not loaded: a date that could not be read")
    # a check the package does not know is still words, without underscores
    assert wording.check_words("my_new_check", "cp_plans") == "Child protection plans: my new check"


def test_every_dfe_census_rule_reads_as_the_dfes_words_with_its_number_behind():
    from scorecard.validate.cin_rules.declarations import rules

    for rule in rules():
        words = wording.check_words(rule.check_id, "cin_episodes")
        assert words[0].isupper() and rule.check_id not in words, words
        assert words.endswith(f"(DfE census {'query' if rule.type == 'query' else 'rule'} "
                              f"{rule.code.rstrip('Q')})"), words
    assert wording.check_words("cin.8815", "cin_episodes").startswith(
        "More than one open CIN Details episode")
    assert wording.check_words("cin.0000", "cin_episodes") == "A DfE census rule fails (rule 0000)"
