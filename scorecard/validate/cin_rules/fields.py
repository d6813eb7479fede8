"""The census elements the rules read: where each lives in the frame and which block it is in."""
from __future__ import annotations

__all__ = ["FIELDS", "PRIVATE_FIELDS", "BLOCKS"]

#: DfE element (or block) -> the frame columns holding it (``None``: the block itself)
FIELDS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "ReferenceDate": (("cin_return", "header_reference_date"),),
    "Year": (("cin_return", "header_year"),),
    "LAchildID": (("cin_child", "child_id"),),
    "UPN": (("cin_child", "upn"),),
    "FormerUPN": (("cin_child", "former_upn"),),
    "UPNunknown": (("cin_child", "upn_unknown"),),
    "PersonBirthDate": (("cin_child", "birth_date"),),
    "ExpectedPersonBirthDate": (("cin_child", "expected_birth_date"),),
    "GenderCurrent": (("cin_child", "sex"),),
    "Sex": (("cin_child", "sex"),),
    "PersonDeathDate": (("cin_child", "death_date"),),
    "Ethnicity": (("cin_child", "ethnicity"),),
    "Disability": (("cin_disability", None),),
    "CINdetails": (("cin_details", None),),
    "CINreferralDate": (("cin_details", "referral_date"),),
    "ReferralSource": (("cin_details", "referral_source"),),
    "PrimaryNeedCode": (("cin_details", "primary_need"),),
    "CINclosureDate": (("cin_details", "closure_date"),),
    "ReasonForClosure": (("cin_details", "reason_for_closure"),),
    "ReferralNFA": (("cin_details", "referral_nfa"),),
    "DateOfInitialCPC": (("cin_details", "icpc_date"), ("cin_s47", "icpc_date")),
    "Assessments": (("cin_assessment", None),),
    "AssessmentActualStartDate": (("cin_assessment", "start_date"),),
    "AssessmentAuthorisationDate": (("cin_assessment", "authorisation_date"),),
    "AssessmentFactors": (("cin_factor", None),),
    "CINPlanDates": (("cin_plan", None),),
    "CINPlanStartDate": (("cin_plan", "start_date"),),
    "CINPlanEndDate": (("cin_plan", "end_date"),),
    "Section47": (("cin_s47", None),),
    "S47ActualStartDate": (("cin_s47", "start_date"),),
    "InitialCPCtarget": (("cin_s47", "icpc_target_date"),),
    "ICPCnotRequired": (("cin_s47", "icpc_not_required"),),
    "ChildProtectionPlans": (("cin_cpp", None),),
    "CPPstartDate": (("cin_cpp", "start_date"),),
    "CPPendDate": (("cin_cpp", "end_date"),),
    "InitialCategoryOfAbuse": (("cin_cpp", "initial_category"),),
    "LatestCategoryOfAbuse": (("cin_cpp", "latest_category"),),
    "NumberOfPreviousCPP": (("cin_cpp", "previous_cpp"),),
    "CPPreviewDate": (("cin_review", None),),
}

#: values never written to an output: dates of birth and personal identifiers (the source file
#: and line say where to look)
PRIVATE_FIELDS = frozenset({"PersonBirthDate", "ExpectedPersonBirthDate", "PersonDeathDate", "UPN", "FormerUPN"})

#: frame table -> the census block its rows are (a child's Ethnicity is in ChildCharacteristics:
#: outputs.py says so)
BLOCKS = {
    "cin_return": "Header", "cin_child": "ChildIdentifiers", "cin_disability": "Disabilities",
    "cin_details": "CINdetails", "cin_assessment": "Assessments", "cin_factor": "Assessments",
    "cin_plan": "CINPlanDates", "cin_s47": "Section47", "cin_cpp": "ChildProtectionPlans",
    "cin_review": "Reviews",
}

