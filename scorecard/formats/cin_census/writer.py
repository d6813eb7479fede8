"""Writing canonical tables as a CIN census XML return (see :func:`write`)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import polars as pl

from ... import schema
from . import spec

__all__ = ["write"]

_GENDER_FROM_SEX = {"M": "1", "F": "2", "U": "0", "I": "9"}
#: the census Sex element (2024-25 on) has no "indeterminate": the nearest is unknown
_SEX_FROM_SEX = {"M": "M", "F": "F", "U": "U", "I": "U"}
_RECORD_TABLES = ("children", "referrals", "cin_episodes", "assessments", "cin_plans",
                  "s47_enquiries", "cp_plans", "cp_reviews")


def _text(value: Any) -> str | None:
    """A canonical value as census text: ISO dates, 1/0 flags, text untouched."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _sub(parent: ET.Element, tag: str, value: Any) -> None:
    """Append ``<tag>value</tag>`` unless the value is blank."""
    text = _text(value)
    if text is not None:
        ET.SubElement(parent, tag).text = text


def _codes(parent: ET.Element, wrapper: str, tag: str, value: Any) -> None:
    """``<wrapper><tag>code</tag>...</wrapper>`` for a space-separated code list."""
    codes = (_text(value) or "").split()
    if codes:
        el = ET.SubElement(parent, wrapper)
        for code in codes:
            ET.SubElement(el, tag).text = code


def _extension(parent: ET.Element, tag: str, attrs: dict[str, Any]) -> None:
    ET.SubElement(parent, tag, {k: _text(v) or "" for k, v in attrs.items()})


def _common(record: dict) -> dict[str, Any]:
    return {c: record[c] for c in schema.COMMON_COLUMNS if record.get(c) is not None}


@dataclass
class _Block:
    """One ``CINdetails`` being assembled: optional referral and episode, and what belongs in it."""

    referral: dict | None = None
    episode: dict | None = None
    assessments: list[dict] = field(default_factory=list)
    plans: list[dict] = field(default_factory=list)
    s47s: list[dict] = field(default_factory=list)
    cp_plans: list[dict] = field(default_factory=list)

    @property
    def start(self) -> str:
        for record, column in ((self.referral, "referral_date"), (self.episode, "cin_start_date")):
            if record and record.get(column) is not None:
                return _text(record[column]) or ""
        dates = [a.get("assessment_start_date") for a in self.assessments] + \
                [p.get("cp_plan_start_date") for p in self.cp_plans] + \
                [s.get("s47_start_date") for s in self.s47s] + \
                [p.get("cin_plan_start_date") for p in self.plans]
        return min((_text(d) for d in dates if d is not None), default="")

    @property
    def episode_id(self) -> str | None:
        return self.episode["cin_episode_id"] if self.episode else None


def _by(df: pl.DataFrame | None, key: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    if df is not None:
        for row in df.iter_rows(named=True):
            out.setdefault(str(row[key]), []).append(row)
    return out


def _blocks(child: str, g: dict[str, dict[str, list[dict]]]) -> list[_Block]:
    """Group a child's records into ``CINdetails`` blocks (see :func:`write`)."""
    blocks = [_Block(referral=r) for r in g["referrals"].get(child, [])]
    for e in g["cin_episodes"].get(child, []):
        home = next((b for b in blocks if b.episode is None and b.referral is not None
                     and e.get("referral_id") is not None
                     and b.referral["referral_id"] == e["referral_id"]), None)
        if home is None:
            blocks.append(_Block(episode=e))
        else:
            home.episode = e

    def latest_before(day: str) -> _Block | None:
        earlier = [b for b in blocks if b.start and b.start <= day]
        return max(earlier, key=lambda b: b.start) if earlier else (blocks[0] if blocks else None)

    def of_episode(record: dict) -> _Block | None:
        cid = record.get("cin_episode_id")
        return next((b for b in blocks if cid is not None and b.episode_id == cid), None)

    def home_for(record: dict, day: str) -> _Block:
        home = of_episode(record) or latest_before(day)
        if home is None:
            home = _Block()
            blocks.append(home)
        return home

    for a in g["assessments"].get(child, []):
        home = of_episode(a) or next(
            (b for b in blocks if b.referral is not None and a.get("referral_id") is not None
             and b.referral["referral_id"] == a["referral_id"]), None)
        (home or home_for(a, _text(a.get("assessment_start_date")) or "")).assessments.append(a)
    for p in g["cin_plans"].get(child, []):
        home_for(p, _text(p.get("cin_plan_start_date")) or "").plans.append(p)
    for s in g["s47_enquiries"].get(child, []):
        home_for(s, _text(s.get("s47_start_date")) or "").s47s.append(s)
    for p in g["cp_plans"].get(child, []):
        day = _text(p.get("cp_plan_start_date")) or ""
        home = of_episode(p) or next((b for b in blocks if b.episode is not None and b.start <= day and (
            b.episode.get("cin_closure_date") is None
            or day <= (_text(b.episode["cin_closure_date"]) or ""))), None)
        (home or home_for(p, day)).cp_plans.append(p)
    return sorted(blocks, key=lambda b: b.start)


def _differs(record: dict, column: str, block_value: Any) -> dict[str, Any]:
    """``{column: value}`` when the record's value is not what its place in the file implies."""
    value = record.get(column)
    return {column: value} if _text(value) != _text(block_value) else {}


def _cin_details(parent: ET.Element, block: _Block, reviews: dict[str, list[dict]],
                 extensions: bool) -> None:
    """One ``CINdetails`` element in DfE element order, extensions last."""
    el = ET.SubElement(parent, "CINdetails")
    ref, ep = block.referral, block.episode
    _sub(el, "CINreferralDate", ref["referral_date"] if ref else block.start or None)
    _sub(el, "ReferralSource", ref.get("referral_source") if ref else None)
    if ep:
        _sub(el, "PrimaryNeedCode", ep.get("primary_need_code"))
        _sub(el, "CINclosureDate", ep.get("cin_closure_date"))
        _sub(el, "ReasonForClosure", ep.get("reason_for_closure"))
        _sub(el, "DateOfInitialCPC", ep.get("icpc_date"))
    ref_id, ep_id = (ref["referral_id"] if ref else None), block.episode_id
    for a in block.assessments:
        ael = ET.SubElement(el, "Assessments")
        _sub(ael, "AssessmentActualStartDate", a.get("assessment_start_date"))
        _sub(ael, "AssessmentInternalReviewDate", a.get("assessment_internal_review_date"))
        _sub(ael, "AssessmentAuthorisationDate", a.get("assessment_authorised_date"))
        _codes(ael, "FactorsIdentifiedAtAssessment", "AssessmentFactors", a.get("assessment_factors"))
        if extensions:
            _extension(ael, "ScorecardAssessment", {"assessment_id": a["assessment_id"], **_common(a),
                                                    **_differs(a, "referral_id", ref_id),
                                                    **_differs(a, "cin_episode_id", ep_id)})
    for p in block.plans:
        pel = ET.SubElement(el, "CINPlanDates")
        _sub(pel, "CINPlanStartDate", p.get("cin_plan_start_date"))
        _sub(pel, "CINPlanEndDate", p.get("cin_plan_end_date"))
        if extensions:
            _extension(pel, "ScorecardCINplan", {"cin_plan_id": p["cin_plan_id"], **_common(p),
                                                 **_differs(p, "cin_episode_id", ep_id)})
    for s in block.s47s:
        sel = ET.SubElement(el, "Section47")
        _sub(sel, "S47ActualStartDate", s.get("s47_start_date"))
        _sub(sel, "InitialCPCtarget", s.get("icpc_target_date"))
        _sub(sel, "DateOfInitialCPC", s.get("icpc_date"))
        _sub(sel, "ICPCnotRequired", s.get("icpc_not_required"))
        if extensions:
            _extension(sel, "ScorecardS47", {"s47_id": s["s47_id"], **_common(s),
                                             **_differs(s, "cin_episode_id", ep_id)})
    nfa = ref.get("referral_nfa") if ref else (ep.get("referral_nfa") if ep else None)
    _sub(el, "ReferralNFA", nfa)
    for p in block.cp_plans:
        pel = ET.SubElement(el, "ChildProtectionPlans")
        _sub(pel, "CPPstartDate", p.get("cp_plan_start_date"))
        _sub(pel, "CPPendDate", p.get("cp_plan_end_date"))
        _sub(pel, "InitialCategoryOfAbuse", p.get("initial_category"))
        # the census needs a latest category; a blank one means "same as initial"
        _sub(pel, "LatestCategoryOfAbuse", p.get("latest_category") or p.get("initial_category"))
        _sub(pel, "NumberOfPreviousCPP", p.get("number_of_previous_cpp"))
        mine = sorted(reviews.get(str(p["cp_plan_id"]), []), key=lambda r: _text(r.get("cp_review_date")) or "")
        if mine:
            rel = ET.SubElement(pel, "Reviews")
            for r in mine:
                ET.SubElement(rel, "CPPreviewDate").text = _text(r.get("cp_review_date")) or ""
            if extensions:
                for r in mine:
                    _extension(rel, "ScorecardReview", {"cp_review_id": r["cp_review_id"], **_common(r)})
        if extensions:
            _extension(pel, "ScorecardCPP", {"cp_plan_id": p["cp_plan_id"], **_common(p),
                                             **_differs(p, "cin_episode_id", ep_id),
                                             **_differs(p, "latest_category",
                                                        p.get("latest_category") or p.get("initial_category"))})
    if not extensions:
        return
    if ref:
        _extension(el, "ScorecardReferral", {"referral_id": ref_id, **_common(ref)})
    if ep:
        attrs = {"cin_episode_id": ep_id, **_common(ep), **_differs(ep, "referral_id", ref_id),
                 **_differs(ep, "referral_nfa", nfa)}
        if ref:
            attrs.update(_differs(ep, "cin_start_date", ref.get("referral_date")))
        _extension(el, "ScorecardCINepisode", attrs)


def _reference_date(tables: dict[str, pl.DataFrame]) -> dt.date:
    """The 31 March on or after the latest date in the tables (today's if there is none)."""
    latest: dt.date | None = None
    for df in tables.values():
        for name, dtype in df.schema.items():
            if dtype in (pl.Date, pl.Datetime) or isinstance(dtype, pl.Datetime):
                value = df[name].max()
                if value is not None:
                    day = value.date() if isinstance(value, dt.datetime) else value
                    latest = day if latest is None or day > latest else latest
    latest = latest or dt.date.today()
    march = dt.date(latest.year, 3, 31)
    return march if latest <= march else dt.date(latest.year + 1, 3, 31)


def write(tables: dict[str, pl.DataFrame], path: Path, *, la_code: int = 370,
          reference_date: dt.date | None = None, extensions: bool = True,
          software: str = "scorecard") -> Path:
    """Write canonical tables as a CIN census XML return and return ``path``.

    One ``Child`` per child id found in the record tables (sorted by id); its identifiers and
    characteristics come from ``children`` (the sex element of the census year: ``GenderCurrent``
    1/2/0/9 from M/F/U/I up to 2023-24, ``Sex`` M/F/U from 2024-25, where I is written U). Each
    referral opens a ``CINdetails`` block holding the CIN episode linked to it (an episode with
    no such referral gets a block of its own). Assessments, CIN plans, S47 enquiries and CP plans
    go to the block of their ``cin_episode_id``; failing that an assessment goes to its
    referral's block, a CP plan to the block whose episode is open on its start date, and
    anything else to the latest block starting on or before it. CP plan reviews are written in
    their plan (a review whose plan is not there has no place in the census). Flags are written
    1/0. Missing episodes and return interviews are not part of the census.

    ``extensions`` adds ``Scorecard*`` elements carrying what the census cannot hold (record
    ids, links that differ from the file's nesting, ``source_system``/``legacy_id``), so that
    reading the file back gives exactly the same records; without them the file holds only DfE
    elements. ``reference_date`` defaults to the 31 March on or after the latest date in the
    data; its census year decides the sex element.
    """
    path = Path(path)
    reference_date = reference_date or _reference_date(tables)
    year = spec.census_year(reference_date) or spec.YEARS[-1]
    grouped = {t: _by(tables.get(t), "child_id") for t in _RECORD_TABLES}
    reviews = _by(tables.get("cp_reviews"), "cp_plan_id")
    child_ids = sorted({c for t, rows in grouped.items() if t != "cp_reviews" for c in rows})
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<Message>\n')
        header = ET.Element("Header")
        details = ET.SubElement(header, "CollectionDetails")
        _sub(details, "Collection", "CIN")
        _sub(details, "Year", reference_date.year)
        _sub(details, "ReferenceDate", reference_date)
        source = ET.SubElement(header, "Source")
        _sub(source, "SourceLevel", "L")
        _sub(source, "LEA", f"{int(la_code):03d}")
        _sub(source, "SoftwareCode", software)
        _write_element(fh, header)
        fh.write("  <Children>\n")
        for child in child_ids:
            _write_element(fh, _child_element(child, grouped, reviews, year, extensions), level=2)
        fh.write("  </Children>\n</Message>\n")
    return path


def _child_element(child: str, grouped: dict[str, dict[str, list[dict]]], reviews: dict[str, list[dict]],
                   year: str, extensions: bool) -> ET.Element:
    el = ET.Element("Child")
    ids = ET.SubElement(el, "ChildIdentifiers")
    _sub(ids, "LAchildID", child)
    info = (grouped["children"].get(child) or [{}])[0]
    for tag, column in (("UPN", "upn"), ("FormerUPN", "former_upn"), ("UPNunknown", "upn_unknown"),
                        ("PersonBirthDate", "date_of_birth"),
                        ("ExpectedPersonBirthDate", "expected_date_of_birth")):
        _sub(ids, tag, info.get(column))
    sex = info.get("sex")
    element = spec.sex_element(year)
    codes = _GENDER_FROM_SEX if element == "GenderCurrent" else _SEX_FROM_SEX
    _sub(ids, element, codes.get(sex, sex) if sex is not None else None)
    _sub(ids, "PersonDeathDate", info.get("date_of_death"))
    chars = ET.SubElement(el, "ChildCharacteristics")
    _sub(chars, "Ethnicity", info.get("ethnicity"))
    _codes(chars, "Disabilities", "Disability", info.get("disabilities"))
    for block in _blocks(child, grouped):
        _cin_details(el, block, reviews, extensions)
    if extensions:
        attrs = _common(info)
        if sex is not None and spec.sex_element(year) == "Sex" and _SEX_FROM_SEX.get(sex) != sex:
            attrs["sex"] = sex   # e.g. I (indeterminate), which the Sex element cannot hold
        if attrs:
            _extension(el, "ScorecardChild", attrs)
    return el


def _write_element(fh, element: ET.Element, level: int = 1) -> None:
    """Write one indented element followed by a newline."""
    ET.indent(element, space="  ", level=level)
    fh.write("  " * level + ET.tostring(element, encoding="unicode").rstrip() + "\n")
