"""The DfE CIN census XML, census years 2022-23 to 2025-26, as data.

One element tree per census year (:func:`structure`): each element's name, occurrences, simple
type, and the canonical column it fills. The reader uses it to know every element (anything
else is kept as an extra), the writer for the element order, and :func:`xsd_text` writes this
package's own XML schema per year (``xsd/cin_census_<year>.xsd``) from it.

Facts (element names, order, occurrences and code lists) are those of the DfE "Children in need
census: business and technical specification" of each year; what changed between years:

* 2022-23: referral source ``5D`` and reason for closure ``RC9`` are in the lists (both new that
  year);
* 2023-24: no change to the XML;
* 2024-25: ``ChildIdentifiers/GenderCurrent`` (1 male, 2 female, 0 not recorded or unborn,
  9 indeterminate) is replaced by ``ChildIdentifiers/Sex`` (M, F, U) in the same place;
* 2025-26: no change to elements or codes (only the wording of primary need N1).

Assessment factors ``18A`` and ``19A`` are kept in every year's list: the DfE rules query them
from 2024-25 (codes 18B/18C and 19B/19C replace them) rather than reject them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ... import schema

__all__ = ["YEARS", "El", "structure", "sex_element", "census_year", "reference_date_of",
           "xsd_text", "TYPES"]

#: census years this package knows, oldest first (the year ends on 31 March of its second part)
YEARS = ("2022-23", "2023-24", "2024-25", "2025-26")


@dataclass(frozen=True)
class El:
    """One element: ``type`` names a simple type in :data:`TYPES` ('' for a complex element),
    ``max`` None = unbounded, ``column`` the canonical column its text fills."""

    name: str
    type: str = ""
    min: int = 0
    max: int | None = 1
    children: tuple[El, ...] = ()
    column: str | None = None

    def child(self, name: str) -> El | None:
        return next((c for c in self.children if c.name == name), None)


def sex_element(year: str) -> str:
    """``GenderCurrent`` up to 2023-24, ``Sex`` from 2024-25."""
    return "GenderCurrent" if year < "2024-25" else "Sex"


def census_year(reference_date: dt.date | None = None, collection_year: str | None = None) -> str | None:
    """The census year (``2022-23``) of a return: the financial year ending on or before its
    ``ReferenceDate`` (31 March 2023 -> 2022-23), else the one ending 31 March of its ``Year``."""
    if reference_date is not None:
        end = reference_date.year if (reference_date.month, reference_date.day) >= (3, 31) else reference_date.year - 1
        return f"{end - 1}-{end % 100:02d}"
    if collection_year and collection_year.strip().isdigit() and len(collection_year.strip()) == 4:
        end = int(collection_year.strip())
        return f"{end - 1}-{end % 100:02d}"
    return None


def reference_date_of(year: str) -> dt.date:
    """31 March at the end of census year ``year`` (``2022-23`` -> 2023-03-31)."""
    return dt.date(int(year[:4]) + 1, 3, 31)


def _e(name: str, type_: str = "", lo: int = 0, hi: int | None = 1, *children: El,
       column: str | None = None) -> El:
    return El(name, type_, lo, hi, tuple(children), column)


def structure(year: str) -> El:
    """The ``Message`` element of census year ``year`` (one of :data:`YEARS`)."""
    if year not in YEARS:
        raise KeyError(f"census year {year!r}: expected one of {', '.join(YEARS)}")
    sex = sex_element(year)
    header = _e("Header", "", 0, 1,
                _e("CollectionDetails", "", 0, 1,
                   _e("Collection", "collection", 0, 1),
                   _e("Year", "year", 0, 1),
                   _e("ReferenceDate", "date", 0, 1)),
                _e("Source", "", 0, None,
                   _e("SourceLevel", "sourcelevel", 0, 1),
                   _e("LEA", "lea", 1, 1),
                   _e("SoftwareCode", "string", 0, 1),
                   _e("Release", "string", 0, 1),
                   _e("SerialNo", "serialno", 0, 1),
                   _e("DateTime", "datetime", 0, 1)))
    identifiers = _e("ChildIdentifiers", "", 1, 1,
                     _e("LAchildID", "nonempty", 1, 1, column="child_id"),
                     _e("UPN", "upn", 0, 1, column="upn"),
                     _e("FormerUPN", "upn", 0, 1, column="former_upn"),
                     _e("UPNunknown", "upnunknown", 0, 1, column="upn_unknown"),
                     _e("PersonBirthDate", "date", 0, 1, column="date_of_birth"),
                     _e("ExpectedPersonBirthDate", "date", 0, 1, column="expected_date_of_birth"),
                     _e(sex, "gender" if sex == "GenderCurrent" else "sex", 1, 1, column="sex"),
                     _e("PersonDeathDate", "date", 0, 1, column="date_of_death"))
    characteristics = _e("ChildCharacteristics", "", 1, 1,
                         _e("Ethnicity", "ethnicity", 1, 1, column="ethnicity"),
                         _e("Disabilities", "", 0, 1,
                            _e("Disability", "disability", 1, None, column="disabilities")))
    assessments = _e("Assessments", "", 0, None,
                     _e("AssessmentActualStartDate", "date", 1, 1, column="assessment_start_date"),
                     _e("AssessmentInternalReviewDate", "date", 0, 1,
                        column="assessment_internal_review_date"),
                     _e("AssessmentAuthorisationDate", "date", 0, 1, column="assessment_authorised_date"),
                     _e("FactorsIdentifiedAtAssessment", "", 0, 1,
                        _e("AssessmentFactors", "factor", 1, None, column="assessment_factors")))
    plans = _e("CINPlanDates", "", 0, None,
               _e("CINPlanStartDate", "date", 1, 1, column="cin_plan_start_date"),
               _e("CINPlanEndDate", "date", 0, 1, column="cin_plan_end_date"))
    s47 = _e("Section47", "", 0, None,
             _e("S47ActualStartDate", "date", 1, 1, column="s47_start_date"),
             _e("InitialCPCtarget", "date", 0, 1, column="icpc_target_date"),
             _e("DateOfInitialCPC", "date", 0, 1, column="icpc_date"),
             _e("ICPCnotRequired", "yesno", 1, 1, column="icpc_not_required"))
    cpp = _e("ChildProtectionPlans", "", 0, None,
             _e("CPPstartDate", "date", 1, 1, column="cp_plan_start_date"),
             _e("CPPendDate", "date", 0, 1, column="cp_plan_end_date"),
             _e("InitialCategoryOfAbuse", "abuse", 1, 1, column="initial_category"),
             _e("LatestCategoryOfAbuse", "abuse", 1, 1, column="latest_category"),
             _e("NumberOfPreviousCPP", "count", 1, 1, column="number_of_previous_cpp"),
             _e("Reviews", "", 0, 1,
                _e("CPPreviewDate", "date", 1, None, column="cp_review_date")))
    details = _e("CINdetails", "", 1, None,
                 _e("CINreferralDate", "date", 1, 1, column="cin_start_date"),
                 _e("ReferralSource", "source", 1, 1, column="referral_source"),
                 _e("PrimaryNeedCode", "need", 0, 1, column="primary_need_code"),
                 _e("CINclosureDate", "date", 0, 1, column="cin_closure_date"),
                 _e("ReasonForClosure", "closure", 0, 1, column="reason_for_closure"),
                 _e("DateOfInitialCPC", "date", 0, 1, column="icpc_date"),
                 assessments, plans, s47,
                 _e("ReferralNFA", "yesno", 1, 1, column="referral_nfa"),
                 cpp)
    child = _e("Child", "", 1, None, identifiers, characteristics, details)
    return _e("Message", "", 1, 1, header, _e("Children", "", 1, 1, child))


# ------------------------------------------------------------------------------ types

_SEX_DOC = {"M": "male", "F": "female", "U": "unknown, not recorded or unborn"}
_GENDER_DOC = {"1": "male", "2": "female", "0": "not recorded or unborn", "9": "indeterminate"}

#: simple type name -> (base, facets): facets are ("enumeration", codes) or ("pattern", regex)
#: or ("minInclusive", n); every code list comes from scorecard.schema
TYPES: dict[str, tuple[str, tuple]] = {
    "string": ("xs:string", ()),
    "nonempty": ("xs:string", (("minLength", "1"),)),
    "date": ("xs:date", ()),
    "datetime": ("xs:dateTime", ()),
    "year": ("xs:gYear", ()),
    "collection": ("xs:string", (("enumeration", ("CIN",)),)),
    "sourcelevel": ("xs:string", (("enumeration", ("L",)),)),
    "lea": ("xs:string", (("pattern", r"\d{3}"),)),
    "serialno": ("xs:string", (("pattern", r"\d{3}\d*"),)),
    "upn": ("xs:string", (("pattern", r"[A-Za-z]\d{11}(\d|[A-Za-z])"),)),
    "upnunknown": ("xs:string", (("enumeration", schema.UPN_UNKNOWN_CODES),)),
    "gender": ("xs:string", (("enumeration", tuple(_GENDER_DOC)),)),
    "sex": ("xs:string", (("enumeration", tuple(_SEX_DOC)),)),
    "ethnicity": ("xs:string", (("enumeration", schema.ETHNICITY_CODES),)),
    "disability": ("xs:string", (("enumeration", schema.DISABILITY_CODES),)),
    "source": ("xs:string", (("enumeration", schema.REFERRAL_SOURCES),)),
    "need": ("xs:string", (("enumeration", schema.PRIMARY_NEED_CODES),)),
    "closure": ("xs:string", (("enumeration", schema.REASONS_FOR_CLOSURE),)),
    "abuse": ("xs:string", (("enumeration", schema.CP_CATEGORIES),)),
    "factor": ("xs:string", (("enumeration", schema.ASSESSMENT_FACTORS),)),
    # the DfE accepts 1/0 and true/false for its yes/no items (rule 8568)
    "yesno": ("xs:string", (("enumeration", ("0", "1", "true", "false")),)),
    "count": ("xs:integer", (("minInclusive", "0"),)),
}


def _used_types(el: El, out: set[str]) -> set[str]:
    if el.type:
        out.add(el.type)
    for c in el.children:
        _used_types(c, out)
    return out


def _occurs(el: El) -> str:
    hi = "unbounded" if el.max is None else str(el.max)
    return f'minOccurs="{el.min}" maxOccurs="{hi}"'


def _element(el: El, indent: int, lines: list[str]) -> None:
    pad = "  " * indent
    if el.type:
        lines.append(f'{pad}<xs:element name="{el.name}" type="{el.type}" {_occurs(el)}/>')
        return
    lines.append(f'{pad}<xs:element name="{el.name}" {_occurs(el)}>')
    lines.append(f"{pad}  <xs:complexType>")
    lines.append(f"{pad}    <xs:sequence>")
    for c in el.children:
        _element(c, indent + 3, lines)
    lines.append(f"{pad}    </xs:sequence>")
    lines.append(f"{pad}  </xs:complexType>")
    lines.append(f"{pad}</xs:element>")


def xsd_text(year: str) -> str:
    """This package's XML schema for the CIN census of ``year``, written from :func:`structure`
    and :data:`TYPES` (no other source)."""
    message = structure(year)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f"<!-- DfE children in need census {year}: XML schema written by scorecard from its own",
             "     description of the census (scorecard/formats/cin_census/spec.py); do not edit,",
             "     regenerate with scorecard.formats.cin_census.spec.xsd_text. -->",
             '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="unqualified">']
    message_top = El(message.name, "", 1, 1, message.children)
    body: list[str] = []
    _element(message_top, 1, body)
    # the top-level element carries no occurrence attributes
    body[0] = body[0].replace(' minOccurs="1" maxOccurs="1"', "")
    body[-1] = body[-1]
    lines += body
    for name in sorted(_used_types(message, set())):
        base, facets = TYPES[name]
        lines.append(f'  <xs:simpleType name="{name}">')
        lines.append(f'    <xs:restriction base="{base}">')
        for facet, value in facets:
            if facet == "enumeration":
                lines += [f'      <xs:enumeration value="{v}"/>' for v in value]
            else:
                lines.append(f'      <xs:{facet} value="{value}"/>')
        lines.append("    </xs:restriction>")
        lines.append("  </xs:simpleType>")
    lines.append("</xs:schema>")
    return "\n".join(lines) + "\n"
