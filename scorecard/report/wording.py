"""Words for a board: what each figure means and what each check found, in plain English.

The metric catalogue keeps the analysts' definitions (with column names, as in the spec);
a board reads these instead. Check ids are built from patterns (``<table>.<kind>[.<column>]``),
so a check is put into words from its pattern, its table and its column; the id itself stays
behind the words (a tooltip, a details element, a footnote), never in front of them.
"""
from __future__ import annotations

__all__ = ["BOARD_DEFINITIONS", "GAP_WORDS", "check_words", "column_words", "record_words",
           "metric_definition"]

#: A suspected gap month, in words, wherever that month is shown.
GAP_WORDS = "possibly incomplete: far below neighbouring months"

#: Each metric in words a board member can read.
BOARD_DEFINITIONS = {
    "contacts": "Contacts received by children's social care in the period.",
    "contacts_concluded_24h_pct": "Of those contacts, the share with a decision recorded within "
                                  "24 hours. A contact with no decision counts as not concluded.",
    "referrals": "Referrals to children's social care received in the period.",
    "referrals_rate_per_10k": "Referrals in the year for every 10,000 children under 18 living "
                              "in the area.",
    "rereferrals_12m_pct": "Share of referrals for a child who had already been referred in the "
                           "12 months before.",
    "referrals_nfa_pct": "Share of referrals that ended with no further action.",
    "referral_source_pct": "Who made the referrals: police, schools, health services, the "
                           "council, family and friends, legal agencies and others.",
    "assessments_within_45wd_pct": "Of assessments completed in the period, the share "
                                   "completed within 45 working days of starting (weekends "
                                   "and bank holidays not counted).",
    "cin_open_month_end": "Children in need on the last day of the month.",
    "cin_at_31_march": "Children in need on 31 March.",
    "cin_rate_per_10k": "Children in need on 31 March for every 10,000 children under 18 in "
                        "the area.",
    "cin_by_primary_need": "Child in need cases open at any time in the period, by the main "
                           "reason the child needed help.",
    "cpp_open_month_end": "Children on a child protection plan on the last day of the month.",
    "cpp_avg_open_per_month": "Average number of children on a child protection plan at the end "
                              "of each month of the year.",
    "cpp_at_31_march": "Children on a child protection plan on 31 March.",
    "cpp_rate_per_10k": "Children on a child protection plan on 31 March for every 10,000 "
                        "children under 18 in the area.",
    "cpp_starts": "Child protection plans that started in the period.",
    "cpp_second_or_subsequent_pct": "Of plans that started in the period, the share for a "
                                    "child who had been on a plan before.",
    "cpp_ended_2yrs_plus_pct": "Of plans that ended in the period, the share that had lasted "
                               "two years or more.",
    "cpp_by_latest_category": "Child protection plans open at any time in the period, by the "
                              "latest category of abuse (neglect, emotional, physical, sexual, "
                              "or more than one).",
    "missing_episodes": "Times children were reported missing (episodes that started in the "
                        "period).",
    "missing_children": "Children reported missing at least once in the period.",
    "missing_repeat_children": "Children reported missing three or more times in the year.",
    "rhi_offered": "Return home interviews offered to children who came back in the period.",
    "rhi_accepted": "Return home interviews the child accepted, after returns in the period.",
    "rhi_completed_72h": "Return home interviews held within 72 hours of the child's return.",
    "rhi_completed_72h_pct": "Of interviews accepted, the share held within 72 hours of the "
                             "child's return.",
    # the whole CIN census (docs/metrics-extensions.md)
    "s47_rate_per_10k": "Child protection (section 47) enquiries started in the year, per "
                        "10,000 children.",
    "icpc_rate_per_10k": "Initial child protection conferences held in the year, per 10,000 "
                         "children.",
    "icpc_within_15wd_pct": "Of initial conferences held in the year, the share held within 15 "
                            "working days of the strategy discussion that began the enquiry.",
    "s47_led_to_icpc_pct": "Of section 47 enquiries started in the year, the share that led to "
                           "an initial child protection conference.",
    "cpp_starts_rate_per_10k": "Child protection plans started in the year, per 10,000 children.",
    "cpp_at_31_march_by_duration": "Children on a child protection plan at 31 March, split by "
                                   "how long the plan had lasted (DfE bands).",
    "cpp_ended_by_duration": "Child protection plans that ended in the year, split by how long "
                             "they lasted (DfE bands).",
    "cpp_reviewed_on_time_pct": "Of children on a plan at 31 March for 3 months or more, the "
                                "share whose reviews were all held on time (within 3 months, "
                                "then every 6 months).",
    "cin_at_31_march_by_duration": "Children in need at 31 March, split by how long they had "
                                   "been in need (DfE bands).",
    "cin_ended_by_duration": "Children who stopped being in need in the year, split by how long "
                             "they had been in need (DfE bands).",
}

#: (one, several) for each table's records.
_RECORDS = {
    "contacts": ("contact", "Contacts"), "referrals": ("referral", "Referrals"),
    "assessments": ("assessment", "Assessments"),
    "cin_episodes": ("child in need episode", "Child in need episodes"),
    "cp_plans": ("child protection plan", "Child protection plans"),
    "missing_episodes": ("missing episode", "Missing episodes"),
    "return_interviews": ("return home interview", "Return home interviews"),
    "children": ("child record", "Child records"),
}

_COLUMNS = {
    "child_id": "child", "contact_datetime": "contact date", "decision_datetime": "decision date",
    "contact_source": "contact source", "contact_outcome": "contact outcome",
    "referral_date": "referral date", "referral_source": "referral source",
    "referral_nfa": "no-further-action marker", "assessment_start_date": "start date",
    "assessment_authorised_date": "authorisation date", "cin_start_date": "start date",
    "cin_closure_date": "closure date", "primary_need_code": "primary need",
    "reason_for_closure": "reason for closure", "cp_plan_start_date": "start date",
    "cp_plan_end_date": "end date", "initial_category": "initial category",
    "latest_category": "latest category", "missing_start_datetime": "date gone missing",
    "missing_end_datetime": "return date", "missing_type": "missing or away code",
    "looked_after": "looked-after marker", "rhi_offered_date": "date offered",
    "rhi_completed_datetime": "date completed", "rhi_accepted": "accepted or not",
    "date_of_birth": "date of birth", "missing_episode_id": "missing episode",
    "referral_id": "referral", "source_system": "case-management system",
}

#: Checks with their own words (id after the table, or the whole id for checks about periods).
_SPECIFIC = {
    "revisions.month_moved": "A month's figure moved by more than the revision threshold since the "
                             "last build",
    "dfe_8630_closure_before_start": "Child in need episodes that close before they start "
                                     "(DfE rule 8630)",
    "dfe_8805_closure_without_reason": "Child in need episodes closed with no reason for "
                                       "closure (DfE rule 8805)",
    "dfe_8810_reason_without_closure": "Child in need episodes with a reason for closure but "
                                       "no closure date (DfE rule 8810)",
    "dfe_8820_overlap": "Children with two child in need episodes open at the same time "
                        "(DfE rule 8820)",
    "dfe_8925_end_before_start": "Child protection plans that end before they start "
                                 "(DfE rule 8925)",
    "dfe_8935_overlap": "Children with two child protection plans open at the same time "
                        "(DfE rule 8935)",
    "decision_before_contact": "Contacts with a decision recorded before the contact",
    "authorised_before_start": "Assessments authorised before they started",
    "end_before_start": "Missing episodes that end before they start",
    "orphan": "Return home interviews for a missing episode that is not in the data",
    "child_mismatch": "Return home interviews recorded against a different child from the "
                      "missing episode",
    "completed_not_accepted": "Return home interviews recorded as completed but not accepted",
    "completed_before_return": "Return home interviews completed before the child came back",
    "implausible_date_of_birth": "Child records with an impossible date of birth",
    "volume.monthly_gap": "Possibly incomplete month: far below neighbouring months",
    "migration.code_drift": "A code used much more or much less after the change of "
                            "case-management system",
}

_LOAD = {
    "unparseable_datetime": "a date and time that could not be read",
    "unparseable_date": "a date that could not be read",
    "unrecognised_flag": "a yes/no value that could not be read",
    "blank_required": "a required value left blank",
}


def record_words(table: str, plural: bool = True) -> str:
    """``Referrals`` / ``referral``; an unknown table is named as it is, without underscores."""
    one, many = _RECORDS.get(table, (table.replace("_", " "), table.replace("_", " ").capitalize()))
    return many if plural else one


def column_words(column: str) -> str:
    """A column in words (``rhi_accepted`` -> ``accepted or not``)."""
    if column in _COLUMNS:
        return _COLUMNS[column]
    if column.endswith("_id"):
        return "record id"
    return column.replace("_", " ")


def check_words(check_id: str, table: str = "") -> str:
    """What a check found, in plain words (its id stays behind them)."""
    if check_id == "volume.monthly_gap" and table:
        return f"{record_words(table)}: a month far below the months either side (possibly incomplete)"
    if check_id == "migration.code_drift" and table:
        return (f"{record_words(table)}: a code used much more or much less after the change "
                f"of case-management system")
    if check_id in _SPECIFIC:
        return _SPECIFIC[check_id]
    if check_id.startswith("cin."):
        return _census_rule_words(check_id.removeprefix("cin."))
    if check_id.startswith("load."):
        reason = _LOAD.get(check_id.removeprefix("load."), "a value that could not be read")
        return f"{record_words(table)} not loaded: {reason}"
    prefix, _, rest = check_id.partition(".")
    if prefix in _RECORDS:
        table = prefix
    else:
        rest = check_id
    kind, _, column = rest.partition(".")
    many, one = record_words(table), record_words(table, plural=False)
    col = column_words(column) if column else ""
    if kind in _SPECIFIC:
        return _SPECIFIC[kind]
    if kind == "required":
        if column == TABLE_ID.get(table):
            return f"{many} with no id"
        return f"{many} with no {col}"
    if kind == "duplicate_id":
        return f"The same {one} id used for two records"
    if kind == "invalid_code":
        return f"{many} with a {col} code that is not on the DfE list"
    if kind == "placeholder_date":
        return f"{many} with a placeholder {col} (such as 1 January 1900)"
    if kind == "before_floor":
        return f"{many} with a {col} too early to be real (on or before the earliest date allowed)"
    if kind == "future_date":
        return f"{many} with a {col} after the date of the extract"
    if kind == "before_birth":
        return f"{many} with a {col} before the child was born"
    if kind == "migrated_twice_legacy_id":
        return f"{many} migrated twice: the old system's record is still there beside its copy"
    if kind == "migrated_twice_same_content":
        return f"{many} that look like copies: the same child, dates and details under two ids"
    if kind == "discontinued_code":
        return (f"{many} dated after the change of system that still use a discontinued "
                f"{col} code")
    words = rest.replace(".", ": ").replace("_", " ").strip()
    return f"{many}: {words}" if table else words[:1].upper() + words[1:]


def _census_rule_words(code: str) -> str:
    """A DfE CIN census rule in the DfE's own words (its message), the rule's number
    after them: ``More than one open CIN Details episode ... (DfE census rule 8815)``."""
    from ..validate.cin_rules.declarations import rules

    message = next((r.message for r in rules() if r.code == code), "")
    if not message:
        return f"A DfE census rule fails (rule {code})"
    first = " ".join(message.split()).rstrip(".")
    kind = "query" if code.endswith("Q") else "rule"
    return f"{first} (DfE census {kind} {code.rstrip('Q')})"


def _table_ids() -> dict[str, str]:
    from ..schema import TABLES

    return {name: t.id_column for name, t in TABLES.items()}


TABLE_ID = _table_ids()


def metric_definition(metric_id: str, fallback: str = "") -> str:
    """The board definition of a metric (the catalogue's own for a metric without one)."""
    return BOARD_DEFINITIONS.get(metric_id, fallback)
