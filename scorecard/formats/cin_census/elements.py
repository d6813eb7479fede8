"""The CIN census elements the reader knows: which element each canonical table's rows come
from, which element fills which column, and census values as canonical text (yes/no as Y/N, a
date's time zone dropped)."""
from __future__ import annotations

import re
from typing import Any

from ... import schema

__all__ = ["ASSESSMENT", "CHARACTERISTICS", "CHILD", "CPP", "DATES", "DATE_TZ", "DETAILS", "EXTENSIONS",
           "FLAGS", "HEADER", "IDENTIFIERS", "ISO_DATE", "PLAN", "S47", "SEX_FROM_GENDER", "TABLE_ELEMENT",
           "canonical_value", "element_text", "local_name", "yes_no"]

SEX_FROM_GENDER = {"1": "M", "2": "F", "0": "U", "9": "I"}
_YES = {"true", "1", "y", "yes"}
_NO = {"false", "0", "n", "no"}
DATE_TZ = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

#: record tables in the order their frames are returned, and the element each row comes from
TABLE_ELEMENT = {"children": "Child", "referrals": "CINdetails", "cin_episodes": "CINdetails",
                 "assessments": "Assessments", "cin_plans": "CINPlanDates",
                 "s47_enquiries": "Section47", "cp_plans": "ChildProtectionPlans",
                 "cp_reviews": "CPPreviewDate"}

#: Scorecard extension elements (written by :func:`write` for exact round trips) -> table
EXTENSIONS = {"ScorecardChild": "children", "ScorecardReferral": "referrals",
              "ScorecardCINepisode": "cin_episodes", "ScorecardAssessment": "assessments",
              "ScorecardCINplan": "cin_plans", "ScorecardS47": "s47_enquiries",
              "ScorecardCPP": "cp_plans", "ScorecardReview": "cp_reviews"}

# the elements of each container, element -> canonical column (None: a container read apart)
IDENTIFIERS = {"LAchildID": "child_id", "UPN": "upn", "FormerUPN": "former_upn",
                "UPNunknown": "upn_unknown", "PersonBirthDate": "date_of_birth",
                "ExpectedPersonBirthDate": "expected_date_of_birth", "GenderCurrent": "sex",
                "Sex": "sex", "PersonDeathDate": "date_of_death"}
CHARACTERISTICS = {"Ethnicity": "ethnicity", "Disabilities": None}
CHILD = {"ChildIdentifiers": None, "ChildCharacteristics": None, "CINdetails": None,
          "ScorecardChild": None}
DETAILS = {"CINreferralDate": "cin_start_date", "ReferralSource": "referral_source",
            "PrimaryNeedCode": "primary_need_code", "CINclosureDate": "cin_closure_date",
            "ReasonForClosure": "reason_for_closure", "DateOfInitialCPC": "icpc_date",
            "ReferralNFA": "referral_nfa", "Assessments": None, "CINPlanDates": None,
            "Section47": None, "ChildProtectionPlans": None, "ScorecardReferral": None,
            "ScorecardCINepisode": None}
ASSESSMENT = {"AssessmentActualStartDate": "assessment_start_date",
               "AssessmentInternalReviewDate": "assessment_internal_review_date",
               "AssessmentAuthorisationDate": "assessment_authorised_date",
               "FactorsIdentifiedAtAssessment": None, "ScorecardAssessment": None}
PLAN = {"CINPlanStartDate": "cin_plan_start_date", "CINPlanEndDate": "cin_plan_end_date",
         "ScorecardCINplan": None}
S47 = {"S47ActualStartDate": "s47_start_date", "InitialCPCtarget": "icpc_target_date",
        "DateOfInitialCPC": "icpc_date", "ICPCnotRequired": "icpc_not_required", "ScorecardS47": None}
CPP = {"CPPstartDate": "cp_plan_start_date", "CPPendDate": "cp_plan_end_date",
        "InitialCategoryOfAbuse": "initial_category", "LatestCategoryOfAbuse": "latest_category",
        "NumberOfPreviousCPP": "number_of_previous_cpp", "Reviews": None, "ScorecardCPP": None}
HEADER = {"CollectionDetails": ("Collection", "Year", "ReferenceDate"),
           "Source": ("SourceLevel", "LEA", "SoftwareCode", "Release", "SerialNo", "DateTime")}
FLAGS = {"referral_nfa", "icpc_not_required"}
DATES = {c.name for t in schema.TABLES.values() for c in t.columns if c.kind == "date"}


_NAMES: dict[Any, str | None] = {}


def local_name(tag: Any) -> str | None:
    """An element's name without namespace; None for comments and processing instructions."""
    name = _NAMES.get(tag, False)
    if name is False:
        name = _NAMES[tag] = tag.rpartition("}")[2] if isinstance(tag, str) else None
    return name


def element_text(el) -> str | None:
    """An element's text, stripped; None when it has none."""
    text = el.text
    if text is None:
        return None
    text = text.strip()
    return text or None


def yes_no(value: str | None) -> str | None:
    """Census yes/no (true/false/1/0) as Y/N; anything else untouched."""
    if value is None:
        return None
    low = value.strip().lower()
    return "Y" if low in _YES else "N" if low in _NO else value


def canonical_value(column: str, text: str | None) -> str | None:
    """A census value as canonical text: yes/no as Y/N, a date's time zone dropped."""
    if text is None:
        return None
    if column in FLAGS:
        return yes_no(text)
    if column in DATES and (m := DATE_TZ.match(text)):
        return m.group(1)
    return text
