import pytest

from scorecard.schema import TABLES, extract_name, table


def test_every_table_has_its_id_column_required_and_the_migration_columns():
    for t in TABLES.values():
        assert t.id_column in t.required
        assert "source_system" in t.column_names and "legacy_id" in t.column_names


def test_required_columns_match_the_spec():
    assert TABLES["referrals"].required == ["referral_id", "child_id", "referral_date", "referral_source"]
    assert TABLES["return_interviews"].required == ["rhi_id", "missing_episode_id", "child_id", "rhi_accepted"]


@pytest.mark.parametrize("stem, name", [
    ("referrals", "referrals"), ("referrals_2023-01", "referrals"), ("CP_Plans-2023-02", "cp_plans"),
    ("missing_episodes_2023", "missing_episodes"), ("cin_episodes", "cin_episodes")])
def test_extract_name_is_the_prefix_before_the_date_part(stem, name):
    assert extract_name(stem) == name


def test_unknown_table_names_the_known_ones():
    with pytest.raises(KeyError, match="referrals"):
        table("placements")


def test_every_record_table_names_the_date_that_places_it_in_a_month():
    dated = {n: t.date_column for n, t in TABLES.items() if t.date_column}
    assert set(dated) == set(TABLES) - {"children"}
    for n, col in dated.items():
        assert TABLES[n].column(col).kind in ("date", "datetime")
