"""DfE children in need (CIN) census XML: census years 2022-23 to 2025-26, every element.

The census file is ``Message / Header / Children / Child`` (element names as in the DfE
specification; namespace prefixes are ignored). :mod:`.spec` describes every element of each
year; this is where each one goes (one row per element named):

=========================================  ===================================================
census element                             canonical table.column
=========================================  ===================================================
Header (Collection, Year, ReferenceDate,   ``meta.file_facts`` (collection, collection_year,
LEA, SoftwareCode, Release, SerialNo,      reference_date, census_year, la_code; every header
DateTime)                                  element in ``facts``)
Child / ChildIdentifiers                   children: child_id (LAchildID), upn, former_upn,
                                           upn_unknown, date_of_birth, expected_date_of_birth,
                                           sex (GenderCurrent 1/2/0/9 -> M/F/U/I, or Sex M/F/U),
                                           date_of_death
ChildCharacteristics                       children.ethnicity; Disabilities/Disability ->
                                           children.disabilities (space-separated codes)
CINdetails (every block, NFA or not)       referrals: referral_date (CINreferralDate),
                                           referral_source, referral_nfa; cin_episodes:
                                           cin_start_date (CINreferralDate), primary_need_code,
                                           cin_closure_date, reason_for_closure, referral_nfa,
                                           icpc_date (the block's own DateOfInitialCPC)
Assessments                                assessments: assessment_start_date,
                                           assessment_internal_review_date,
                                           assessment_authorised_date, assessment_factors
                                           (FactorsIdentifiedAtAssessment/AssessmentFactors)
CINPlanDates                               cin_plans: cin_plan_start_date, cin_plan_end_date
Section47                                  s47_enquiries: s47_start_date (S47ActualStartDate),
                                           icpc_target_date (InitialCPCtarget), icpc_date,
                                           icpc_not_required
ChildProtectionPlans                       cp_plans: cp_plan_start_date, cp_plan_end_date,
                                           initial_category, latest_category,
                                           number_of_previous_cpp
Reviews/CPPreviewDate (each)               cp_reviews: cp_review_date (a ``Reviews`` with no
                                           date gives a review row with a blank date, which the
                                           loader quarantines)
=========================================  ===================================================

Every ``CINdetails`` block gives a referral and a CIN episode row, whatever its ``ReferralNFA``
(the marts leave NFA episodes out of the CIN counts, as the DfE does); the block's assessments,
CIN plans, S47 enquiries and CP plans carry its ``cin_episode_id`` (assessments also its
``referral_id``), reviews their plan's ``cp_plan_id``. The census has no record ids: they are
derived deterministically (``CIR-``, ``CIE-``, ``CIA-``, ``CIL-``, ``CIS-``, ``CIP-``, ``CIV-`` +
a keyed hash of child id, date and occurrence), so the same record gets the same id in next
year's return. ``_row`` is the line number of the element a record comes from.

Nothing is dropped. An element the census does not have (``PreProceedingsandFGDM`` of the
2026-27 draft, a misspelt element), a repeat of a single-valued element, an attribute, or text
stray between elements is kept in the record's ``_extras`` (JSON, ``path -> text``; in
``raw.<table>._extras``) and counted in the file facts and the load summary. Values are passed
through as text (yes/no answers become Y/N, a date's time zone is dropped); the core loader
checks them and quarantines what it cannot read, so a malformed date or a missing required
element (a block with no CINreferralDate) is a quarantined row, never a lost one.

Round trips: :func:`write` can add ``Scorecard*`` extension elements (``ScorecardChild`` at the
end of ``Child``, ``ScorecardReferral`` and ``ScorecardCINepisode`` at the end of
``CINdetails``, ``ScorecardAssessment``, ``ScorecardCINplan``, ``ScorecardS47``,
``ScorecardCPP`` in their blocks, ``ScorecardReview`` in ``Reviews``) whose attributes carry
what the census cannot hold: record ids, links that differ from the file's nesting, an episode
start that differs from the referral date, ``source_system`` / ``legacy_id``. An attribute
overrides the value the reader would derive; when a ``CINdetails`` block carries extension
elements, exactly the referral and episode named by them are read from it. A file written
with ``extensions=False`` holds only DfE elements and is valid against the census schema of its
year (``xsd/cin_census_<year>.xsd``, written by :func:`spec.xsd_text`).
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from .reader import read, sniff
from .spec import YEARS
from .writer import write

__all__ = ["read", "sniff", "write", "schema_path", "YEARS"]


def schema_path(year: str) -> Path:
    """This package's XML schema (XSD) for census year ``year`` (``2022-23`` ... ``2025-26``)."""
    if year not in YEARS:
        raise KeyError(f"census year {year!r}: expected one of {', '.join(YEARS)}")
    return Path(str(resources.files("scorecard.formats.cin_census") / "xsd" / f"cin_census_{year}.xsd"))
