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


def test_the_whole_census_extension_tables_and_columns():
    assert TABLES["s47_enquiries"].required == ["s47_id", "child_id", "s47_start_date"]
    assert TABLES["cin_plans"].required == ["cin_plan_id", "child_id", "cin_plan_start_date"]
    assert TABLES["cp_reviews"].required == ["cp_review_id", "child_id", "cp_review_date"]
    assert TABLES["s47_enquiries"].date_column == "s47_start_date"
    for name in ("s47_enquiries", "cin_plans", "cp_reviews"):
        assert TABLES[name].optional_table
    assert TABLES["s47_enquiries"].column("icpc_not_required").kind == "flag"
    assert TABLES["children"].column("disabilities").kind == "code_list"
    assert TABLES["assessments"].column("assessment_factors").kind == "code_list"
    # columns added to an extracts.md table come after its migration columns: the original
    # layout keeps its column order
    assert TABLES["children"].column_names[:6] == ["child_id", "date_of_birth", "sex", "ethnicity",
                                                   "source_system", "legacy_id"]
    assert TABLES["cin_episodes"].column_names[-2:] == ["referral_nfa", "icpc_date"]
    assert TABLES["cp_plans"].column_names[-2:] == ["cin_episode_id", "number_of_previous_cpp"]


def test_only_a_no_further_action_block_may_leave_the_primary_need_blank():
    need = TABLES["cin_episodes"].column("primary_need_code")
    assert need.required and need.blank_when == "referral_nfa"
    assert [c.name for t in TABLES.values() for c in t.columns if c.blank_when] == ["primary_need_code"]
