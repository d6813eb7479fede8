"""Tests for scorecard.synth.answer_key: the record of what the generator broke on purpose."""
from __future__ import annotations

import pytest

from scorecard.synth import ARTEFACTS
from scorecard.synth.answer_key import ENTRY_FIELDS, AnswerKey


def _key() -> AnswerKey:
    key = AnswerKey(meta={"seed": 3})
    order = list(ARTEFACTS)
    late, early = order[-1], order[0]
    key.add(late, table="referrals", record_id="R2", column="referral_date", row=7)
    key.add(early, table="contacts", record_id="C1")
    key.add(early, table="contacts", detail="a month with no rows")   # a summary entry
    return key


def test_entries_by_artefact_and_in_registry_order():
    key, order = _key(), list(ARTEFACTS)
    assert key.artefacts == [order[0], order[-1]]
    assert key.records(order[0]) == {("contacts", "C1")}
    assert [e["detail"] for e in key.for_artefact(order[0])] == ["", "a month with no rows"]
    assert all(tuple(e) == ENTRY_FIELDS for e in key.entries)


def test_saved_and_read_back_the_same_and_byte_identical(tmp_path):
    key = _key()
    first = key.save(tmp_path / "k1.json").read_bytes()
    back = AnswerKey.load(tmp_path / "k1.json")
    assert back.entries == key.entries and back.meta == key.meta
    assert back.save(tmp_path / "k2.json").read_bytes() == first


@pytest.mark.parametrize("text", ["not json", '{"entries": [{"artefact": "x"}]}', "[]"])
def test_a_file_that_is_not_a_key_is_refused_by_name(tmp_path, text):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="bad.json: not an answer key"):
        AnswerKey.load(path)
    with pytest.raises(ValueError, match="not an answer key"):
        AnswerKey.load(tmp_path / "missing.json")
