"""The Standard Safeguarding Dataset table specification, version 1.4.5, as data.

Facts taken from data-to-insight's published specification (``data-to-insight/ssd-data-model``:
the object specifications ``data/objects/ssd_*.yml``, the v1.4.5 deployment scripts under
``deployment_extracts/`` -- whose column names are what an LA's tables actually contain -- and
``deployment_extracts/ssd_version_history.yml`` for the version): the tables the scorecard
reads, their columns in specification order, the columns each must have, the names other
versions and extract scripts use, and the tables recognised but not used. ``docs/ssd.md``
describes them; :mod:`scorecard.formats.ssd` reads them.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COMPANION_OF", "KNOWN_UNUSED", "RENAMES", "SSD_TABLES", "SSD_VERSION", "SsdTable"]

SSD_VERSION = "1.4.5"


@dataclass(frozen=True)
class SsdTable:
    """One SSD table the scorecard reads.

    ``columns``: the v1.4.5 columns in specification order (what
    :func:`scorecard.formats.ssd_write.write` writes).
    ``needs``: the columns a file must have (a missing one stops the load).
    ``dropped``: identifying columns never loaded.
    """

    name: str
    columns: tuple[str, ...]
    needs: tuple[str, ...]
    dropped: tuple[str, ...] = ()

    @property
    def prefix(self) -> str:
        return self.columns[0].split("_", 1)[0]


def _t(name: str, columns: str, needs: str, dropped: str = "") -> SsdTable:
    split = lambda s: tuple(c.strip() for c in s.split(",") if c.strip())  # noqa: E731
    return SsdTable(name, split(columns), split(needs), split(dropped))


#: The tables read, with their v1.4.5 columns (``docs/ssd.md`` lists the source).
SSD_TABLES: dict[str, SsdTable] = {t.name: t for t in (
    _t("ssd_person",
       "pers_legacy_id, pers_person_id, pers_upn, pers_forename, pers_surname, pers_sex, "
       "pers_gender, pers_ethnicity, pers_dob, pers_single_unique_id, pers_upn_unknown, "
       "pers_send_flag, pers_expected_dob, pers_death_date, pers_is_mother, pers_nationality",
       "pers_person_id", "pers_forename, pers_surname, pers_single_unique_id"),
    _t("ssd_disability", "disa_table_id, disa_person_id, disa_disability_code",
       "disa_person_id, disa_disability_code"),
    _t("ssd_contacts",
       "cont_contact_id, cont_person_id, cont_contact_date, cont_contact_source_code, "
       "cont_contact_source_desc, cont_contact_outcome_json",
       "cont_contact_id, cont_person_id, cont_contact_date"),
    _t("ssd_cin_episodes",
       "cine_referral_id, cine_person_id, cine_referral_date, cine_cin_primary_need_code, "
       "cine_referral_source_code, cine_referral_source_desc, cine_referral_outcome_json, "
       "cine_referral_nfa, cine_close_reason, cine_close_date, cine_referral_team, "
       "cine_referral_worker_id",
       "cine_referral_id, cine_person_id, cine_referral_date, cine_cin_primary_need_code, "
       "cine_close_reason, cine_close_date"),
    _t("ssd_cin_assessments",
       "cina_assessment_id, cina_person_id, cina_referral_id, cina_assessment_start_date, "
       "cina_assessment_child_seen, cina_assessment_auth_date, cina_assessment_outcome_json, "
       "cina_assessment_outcome_nfa, cina_assessment_team, cina_assessment_worker_id",
       "cina_assessment_id, cina_person_id, cina_assessment_start_date, cina_assessment_auth_date"),
    _t("ssd_assessment_factors", "cinf_table_id, cinf_assessment_id, cinf_assessment_factors_json",
       "cinf_assessment_id, cinf_assessment_factors_json"),
    _t("ssd_cin_plans",
       "cinp_cin_plan_id, cinp_referral_id, cinp_person_id, cinp_cin_plan_start_date, "
       "cinp_cin_plan_end_date, cinp_cin_plan_team, cinp_cin_plan_worker_id",
       "cinp_cin_plan_id, cinp_person_id, cinp_cin_plan_start_date, cinp_cin_plan_end_date"),
    _t("ssd_s47_enquiry",
       "s47e_s47_enquiry_id, s47e_referral_id, s47e_person_id, s47e_s47_start_date, "
       "s47e_s47_end_date, s47e_s47_nfa, s47e_s47_outcome_json, s47e_s47_completed_by_team, "
       "s47e_s47_completed_by_worker_id",
       "s47e_s47_enquiry_id, s47e_person_id, s47e_s47_start_date"),
    _t("ssd_initial_cp_conference",
       "icpc_icpc_id, icpc_icpc_meeting_id, icpc_s47_enquiry_id, icpc_person_id, icpc_cp_plan_id, "
       "icpc_referral_id, icpc_icpc_transfer_in, icpc_icpc_target_date, icpc_icpc_date, "
       "icpc_icpc_outcome_cp_flag, icpc_icpc_outcome_json, icpc_icpc_team, icpc_icpc_worker_id",
       "icpc_s47_enquiry_id, icpc_referral_id, icpc_icpc_date"),
    _t("ssd_cp_plans",
       "cppl_cp_plan_id, cppl_referral_id, cppl_icpc_id, cppl_person_id, cppl_cp_plan_start_date, "
       "cppl_cp_plan_end_date, cppl_cp_plan_ola, cppl_cp_plan_initial_category, "
       "cppl_cp_plan_latest_category",
       "cppl_cp_plan_id, cppl_person_id, cppl_cp_plan_start_date, cppl_cp_plan_end_date, "
       "cppl_cp_plan_initial_category"),
    _t("ssd_cp_reviews",
       "cppr_cp_review_id, cppr_person_id, cppr_cp_plan_id, cppr_cp_review_due, cppr_cp_review_date, "
       "cppr_cp_review_meeting_id, cppr_cp_review_outcome_continue_cp, cppr_cp_review_quorate, "
       "cppr_cp_review_participation",
       "cppr_cp_review_id, cppr_person_id, cppr_cp_review_date"),
    _t("ssd_missing",
       "miss_table_id, miss_person_id, miss_missing_episode_start_date, miss_missing_episode_type, "
       "miss_missing_episode_end_date, miss_missing_rhi_offered, miss_missing_rhi_accepted",
       "miss_table_id, miss_person_id, miss_missing_episode_start_date, "
       "miss_missing_episode_end_date"),
    _t("ssd_cla_episodes",
       "clae_cla_episode_id, clae_person_id, clae_cla_placement_id, clae_cla_episode_start_date, "
       "clae_cla_episode_start_reason, clae_cla_primary_need_code, clae_cla_episode_ceased_date, "
       "clae_cla_episode_ceased_reason, clae_cla_id, clae_referral_id, "
       "clae_cla_last_iro_contact_date, clae_entered_care_date",
       "clae_person_id, clae_cla_episode_start_date, clae_cla_episode_ceased_date"),
)}

#: Tables read only together with another (a companion file in the same folder): table ->
#: the tables whose reading uses it. A companion's file on its own is reported as skipped.
COMPANION_OF: dict[str, tuple[str, ...]] = {
    "ssd_disability": ("ssd_person",),
    "ssd_assessment_factors": ("ssd_cin_assessments",),
    "ssd_initial_cp_conference": ("ssd_s47_enquiry", "ssd_cin_episodes"),
    "ssd_cla_episodes": ("ssd_missing",),
}

#: Column names of other SSD versions and extract scripts -> the v1.4.5 name.
RENAMES: dict[str, str] = {
    "pers_common_child_id": "pers_single_unique_id",
    "pers_send": "pers_send_flag",
    "cine_cin_primary_need": "cine_cin_primary_need_code",
    "cine_referral_source": "cine_referral_source_code",
    "cin_referral_nfa": "cine_referral_nfa",   # Mosaic extract script
    "cinp_cin_plan_start": "cinp_cin_plan_start_date",
    "cinp_cin_plan_end": "cinp_cin_plan_end_date",
    "cppl_initial_cp_conference_id": "cppl_icpc_id",
    "miss_missing_episode_start": "miss_missing_episode_start_date",
    "miss_missing_episode_end": "miss_missing_episode_end_date",
    "clae_cla_episode_start": "clae_cla_episode_start_date",
    "clae_cla_episode_ceased": "clae_cla_episode_ceased_date",
    "clae_cla_episode_cease_reason": "clae_cla_episode_ceased_reason",
    "clae_cla_primary_need": "clae_cla_primary_need_code",
}

#: SSD tables the scorecard recognises but does not read (the canonical layout has no table
#: for them); a file of one is reported as skipped, not loaded.
KNOWN_UNUSED = frozenset(f"ssd_{n}" for n in (
    "address", "api_data_staging", "care_leavers", "cin_visits", "cla_care_plan",
    "cla_convictions", "cla_health", "cla_immunisations", "cla_placement",
    "cla_previous_permanence", "cla_reviews", "cla_substance_misuse", "cla_visits", "cp_visits",
    "department", "early_help_episodes", "ehcp_active_plans", "ehcp_assessment",
    "ehcp_named_plan", "ehcp_requests", "family", "immigration_status", "involvements",
    "legal_status", "linked_identifiers", "mother", "permanence", "pre_proceedings",
    "professionals", "s251_finance", "sdq_scores", "send", "sen_need", "version_log",
    "voice_of_child"))
