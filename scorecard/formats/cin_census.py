"""DfE children in need (CIN) census XML.

The census file is ``Message / Header / Children / Child``; each ``Child`` has
``ChildIdentifiers`` (``LAchildID``, ``PersonBirthDate``, ``GenderCurrent``),
``ChildCharacteristics`` (``Ethnicity``) and one ``CINdetails`` block per episode of need:
``CINreferralDate``, ``ReferralSource``, ``PrimaryNeedCode``, ``CINclosureDate``,
``ReasonForClosure``, ``Assessments`` (``AssessmentActualStartDate``,
``AssessmentAuthorisationDate``), ``Section47``, ``ReferralNFA`` and ``ChildProtectionPlans``
(``CPPstartDate``, ``CPPendDate``, ``InitialCategoryOfAbuse``, ``LatestCategoryOfAbuse``)
-- element names as in the DfE CIN census XML schema. Namespace prefixes are ignored.

Reading (streamed with ``defusedxml.sax``, so large files need little memory and entity tricks
are refused): each ``CINdetails`` gives a referral (``CINreferralDate``, ``ReferralSource``,
``ReferralNFA``) and, unless ``ReferralNFA`` is true, a CIN episode starting on the referral
date; its assessments and child protection plans become rows of ``assessments`` and
``cp_plans``; each ``Child`` gives a ``children`` row (``GenderCurrent`` 1/2/0/9 -> M/F/U/I).
The census has no missing episodes or return interviews and no record ids: ids are derived
deterministically (``CIR-``, ``CIE-``, ``CIA-``, ``CIP-`` + a hash of child id, date and
occurrence). ``_row`` is the line number of the element the record comes from. Values are
passed through as text (yes/no answers become ``Y``/``N``); the core loader checks them.

Round trips: :func:`write` can add ``Scorecard*`` extension elements (``ScorecardChild`` at the
end of ``Child``, ``ScorecardReferral``,
``ScorecardCINepisode`` in ``CINdetails``, ``ScorecardAssessment`` in ``Assessments``,
``ScorecardCPP`` in ``ChildProtectionPlans``) whose attributes carry what the census cannot
hold: the record ids, an episode start date that differs from the referral date, links, and
``source_system`` / ``legacy_id``. An attribute overrides the value the reader would derive; when
a ``CINdetails`` block carries extension elements, exactly the records named by them are read
from it. Files written with ``extensions=False`` hold only DfE elements (and lose what the
census cannot express).
"""
from __future__ import annotations

import datetime as dt
import re
import xml.sax
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import polars as pl

from .. import schema
from ..errors import StructuralError
from ..frames import Frame
from . import build_frame, derive_id

__all__ = ["read", "sniff", "write"]

_SEX_FROM_CENSUS = {"1": "M", "2": "F", "0": "U", "9": "I"}
_SEX_TO_CENSUS = {v: k for k, v in _SEX_FROM_CENSUS.items()}
_YES = {"true", "1", "y", "yes"}
_NO = {"false", "0", "n", "no"}
_EXTENSIONS = {"ScorecardChild": "children", "ScorecardReferral": "referrals", "ScorecardCINepisode": "cin_episodes",
               "ScorecardAssessment": "assessments", "ScorecardCPP": "cp_plans"}
_SNIFF_BYTES = 4096


@dataclass
class _Node:
    """A parsed element of one ``Child`` (tag without prefix, attributes, text, line)."""

    tag: str
    attrs: dict[str, str]
    line: int
    parts: list[str] = field(default_factory=list)
    children: list[_Node] = field(default_factory=list)

    @property
    def text(self) -> str | None:
        text = "".join(self.parts).strip()
        return text or None

    def find(self, tag: str) -> _Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def findall(self, tag: str) -> list[_Node]:
        return [c for c in self.children if c.tag == tag]

    def value(self, *path: str) -> str | None:
        node: _Node | None = self
        for tag in path:
            node = node.find(tag) if node else None
        return node.text if node else None


class _NotCensus(Exception):
    """The document's root is not a CIN census ``Message``."""


class _Handler(xml.sax.ContentHandler):
    """Collects one ``Child`` at a time and hands it to ``on_child``."""

    def __init__(self, on_child) -> None:
        super().__init__()
        self.on_child = on_child
        self.stack: list[_Node] = []
        self.root: str | None = None
        self.saw_children = False
        self.locator = None

    def setDocumentLocator(self, locator) -> None:
        self.locator = locator

    def startElement(self, name: str, attrs) -> None:
        tag = name.rsplit(":", 1)[-1]
        if self.root is None:
            self.root = tag
            if tag != "Message":
                raise _NotCensus(tag)
        if tag == "Children" and not self.stack:
            self.saw_children = True
        if self.stack or tag == "Child":
            node = _Node(tag, dict(attrs), self.locator.getLineNumber() if self.locator else 0)
            if self.stack:
                self.stack[-1].children.append(node)
            self.stack.append(node)

    def characters(self, content: str) -> None:
        if self.stack:
            self.stack[-1].parts.append(content)

    def endElement(self, name: str) -> None:
        if self.stack:
            node = self.stack.pop()
            if not self.stack:
                self.on_child(node)


def sniff(path: Path) -> bool:
    """True when the start of ``path`` looks like a CIN census ``Message``."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES).decode("utf-8", "replace")
    except OSError:
        return False
    return bool(re.search(r"<(?:\w+:)?Message\b", head)
                and re.search(r"<(?:\w+:)?(?:Children|Collection>\s*CIN)\b", head))


def _flag(value: str | None) -> str | None:
    """Census yes/no (true/false/1/0) as Y/N; anything else untouched."""
    if value is None:
        return None
    low = value.strip().lower()
    return "Y" if low in _YES else "N" if low in _NO else value


class _Collector:
    """Turns parsed ``Child`` nodes into canonical rows per table."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, str | None]]] = {
            t: [] for t in ("children", "referrals", "cin_episodes", "assessments", "cp_plans")}
        self.lines: dict[str, list[int]] = {t: [] for t in self.rows}
        self.seen: dict[tuple, int] = {}

    def _add(self, table: str, record: dict[str, str | None], line: int,
             extension: _Node | None = None) -> dict[str, str | None]:
        if extension is not None:
            allowed = schema.TABLES[table].column_names
            record.update({k: (v or None) for k, v in extension.attrs.items() if k in allowed})
        self.rows[table].append(record)
        self.lines[table].append(line)
        return record

    def _id(self, prefix: str, *key: str | None) -> str:
        """Derived id; the n-th record with the same key gets n in its hash."""
        k = (prefix, *(v or "" for v in key))
        self.seen[k] = n = self.seen.get(k, 0) + 1
        return derive_id(prefix, *k[1:]) if n == 1 else derive_id(prefix, *k[1:], n)

    def child(self, node: _Node) -> None:
        ids = node.find("ChildIdentifiers")
        child = ids.value("LAchildID") if ids else None
        characteristics = {
            "date_of_birth": ids.value("PersonBirthDate") if ids else None,
            "sex": _SEX_FROM_CENSUS.get(g, g) if (g := ids.value("GenderCurrent") if ids else None)
            else None,
            "ethnicity": node.value("ChildCharacteristics", "Ethnicity"),
        }
        extension = node.find("ScorecardChild")
        if any(characteristics.values()) or extension is not None:
            self._add("children", {"child_id": child, **characteristics}, node.line, extension)
        for block in node.findall("CINdetails"):
            self.block(child, block)

    def block(self, child: str | None, block: _Node) -> None:
        ref_ext, cin_ext = block.find("ScorecardReferral"), block.find("ScorecardCINepisode")
        extended = any(c.tag in _EXTENSIONS for c in block.children)
        ref_date = block.value("CINreferralDate")
        nfa = _flag(block.value("ReferralNFA"))
        referral_id = None
        if ref_ext is not None or not extended:
            referral = self._add("referrals", {
                "referral_id": self._id("CIR", child, ref_date), "child_id": child,
                "referral_date": ref_date, "referral_source": block.value("ReferralSource"),
                "referral_nfa": nfa}, block.line, ref_ext)
            referral_id = referral["referral_id"]
        if cin_ext is not None or (not extended and nfa != "Y"):
            self._add("cin_episodes", {
                "cin_episode_id": self._id("CIE", child, ref_date), "child_id": child,
                "referral_id": referral_id, "cin_start_date": ref_date,
                "cin_closure_date": block.value("CINclosureDate"),
                "reason_for_closure": block.value("ReasonForClosure"),
                "primary_need_code": block.value("PrimaryNeedCode")}, block.line, cin_ext)
        for a in block.findall("Assessments"):
            start = a.value("AssessmentActualStartDate")
            self._add("assessments", {
                "assessment_id": self._id("CIA", child, start), "child_id": child,
                "referral_id": referral_id, "assessment_start_date": start,
                "assessment_authorised_date": a.value("AssessmentAuthorisationDate")},
                a.line, a.find("ScorecardAssessment"))
        for p in block.findall("ChildProtectionPlans"):
            start = p.value("CPPstartDate")
            self._add("cp_plans", {
                "cp_plan_id": self._id("CIP", child, start), "child_id": child,
                "cp_plan_start_date": start, "cp_plan_end_date": p.value("CPPendDate"),
                "initial_category": p.value("InitialCategoryOfAbuse"),
                "latest_category": p.value("LatestCategoryOfAbuse")},
                p.line, p.find("ScorecardCPP"))


def read(path: Path) -> list[Frame]:
    """Read a CIN census XML file into canonical frames (see the module docstring)."""
    import defusedxml
    import defusedxml.sax

    path = Path(path)
    collector = _Collector()
    handler = _Handler(collector.child)
    try:
        with open(path, "rb") as fh:
            defusedxml.sax.parse(fh, handler)
    except OSError as exc:
        raise StructuralError(path, f"cannot read the file ({exc.strerror or exc})") from None
    except xml.sax.SAXParseException as exc:
        raise StructuralError(path, f"XML is not well-formed: {exc.getMessage()} "
                                    f"(line {exc.getLineNumber()}, column {exc.getColumnNumber()})",
                              row=exc.getLineNumber()) from None
    except defusedxml.DefusedXmlException as exc:
        raise StructuralError(path, f"XML refused for safety: {exc}") from None
    except _NotCensus as exc:
        raise StructuralError(path, f"not a CIN census file: the root element is <{exc}>, "
                                    "expected <Message>", column="Message") from None
    if not handler.saw_children:
        raise StructuralError(path, "not a CIN census file: <Message> has no <Children> element",
                              column="Children")
    frames = []
    for table, rows in collector.rows.items():
        if not rows:
            continue
        element = {"children": "Child", "referrals": "CINdetails", "cin_episodes": "CINdetails",
                   "assessments": "Assessments", "cp_plans": "ChildProtectionPlans"}[table]
        columns = [c for c in schema.TABLES[table].column_names
                   if c not in schema.COMMON_COLUMNS or any(r.get(c) for r in rows)]
        frames.append(build_frame(table, columns, rows, collector.lines[table],
                                  f"{path.name}, <{element}> (rows are line numbers)"))
    return frames


# --------------------------------------------------------------------------- writer

def _text(value: Any) -> str | None:
    """A canonical value as census text: ISO dates, true/false flags, text untouched."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
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


def _extension(parent: ET.Element, tag: str, attrs: dict[str, Any]) -> None:
    ET.SubElement(parent, tag, {k: _text(v) or "" for k, v in attrs.items()})


@dataclass
class _Block:
    """One ``CINdetails`` being assembled: optional referral and episode, assessments, plans."""

    referral: dict | None = None
    episode: dict | None = None
    assessments: list[dict] = field(default_factory=list)
    plans: list[dict] = field(default_factory=list)

    @property
    def start(self) -> str:
        for record, column in ((self.referral, "referral_date"), (self.episode, "cin_start_date")):
            if record and record.get(column) is not None:
                return _text(record[column]) or ""
        dates = [a.get("assessment_start_date") for a in self.assessments] + \
                [p.get("cp_plan_start_date") for p in self.plans]
        return min((_text(d) for d in dates if d is not None), default="")


def _by_child(df: pl.DataFrame | None) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    if df is not None:
        for row in df.iter_rows(named=True):
            out.setdefault(str(row["child_id"]), []).append(row)
    return out


def _blocks(child: str, tables: dict[str, dict[str, list[dict]]]) -> list[_Block]:
    """Group a child's records into ``CINdetails`` blocks (see :func:`write`)."""
    blocks = [_Block(referral=r) for r in tables["referrals"].get(child, [])]
    for e in tables["cin_episodes"].get(child, []):
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

    for a in tables["assessments"].get(child, []):
        home = next((b for b in blocks if b.referral is not None and a.get("referral_id")
                     is not None and b.referral["referral_id"] == a["referral_id"]), None)
        home = home or latest_before(_text(a.get("assessment_start_date")) or "")
        if home is None:
            home = _Block()
            blocks.append(home)
        home.assessments.append(a)
    for p in tables["cp_plans"].get(child, []):
        day = _text(p.get("cp_plan_start_date")) or ""
        home = next((b for b in blocks if b.episode is not None and b.start <= day and (
            b.episode.get("cin_closure_date") is None
            or day <= (_text(b.episode["cin_closure_date"]) or ""))), None)
        home = home or latest_before(day)
        if home is None:
            home = _Block()
            blocks.append(home)
        home.plans.append(p)
    return sorted(blocks, key=lambda b: b.start)


def _common(record: dict) -> dict[str, Any]:
    return {c: record[c] for c in schema.COMMON_COLUMNS if record.get(c) is not None}


def _cin_details(parent: ET.Element, block: _Block, extensions: bool) -> None:
    """One ``CINdetails`` element in DfE element order, extensions last."""
    el = ET.SubElement(parent, "CINdetails")
    ref, ep = block.referral, block.episode
    _sub(el, "CINreferralDate", ref["referral_date"] if ref else block.start or None)
    _sub(el, "ReferralSource", ref.get("referral_source") if ref else None)
    if ep:
        _sub(el, "PrimaryNeedCode", ep.get("primary_need_code"))
        _sub(el, "CINclosureDate", ep.get("cin_closure_date"))
        _sub(el, "ReasonForClosure", ep.get("reason_for_closure"))
    ref_id = ref["referral_id"] if ref else None
    for a in block.assessments:
        ael = ET.SubElement(el, "Assessments")
        _sub(ael, "AssessmentActualStartDate", a.get("assessment_start_date"))
        _sub(ael, "AssessmentAuthorisationDate", a.get("assessment_authorised_date"))
        if extensions:
            attrs = {"assessment_id": a["assessment_id"], **_common(a)}
            if a.get("referral_id") != ref_id:
                attrs["referral_id"] = a.get("referral_id")
            _extension(ael, "ScorecardAssessment", attrs)
    _sub(el, "ReferralNFA", ref.get("referral_nfa") if ref else None)
    for p in block.plans:
        pel = ET.SubElement(el, "ChildProtectionPlans")
        _sub(pel, "CPPstartDate", p.get("cp_plan_start_date"))
        _sub(pel, "CPPendDate", p.get("cp_plan_end_date"))
        _sub(pel, "InitialCategoryOfAbuse", p.get("initial_category"))
        _sub(pel, "LatestCategoryOfAbuse", p.get("latest_category"))
        if extensions:
            _extension(pel, "ScorecardCPP", {"cp_plan_id": p["cp_plan_id"], **_common(p)})
    if not extensions:
        return
    if ref:
        _extension(el, "ScorecardReferral", {"referral_id": ref_id, **_common(ref)})
    if ep:
        attrs = {"cin_episode_id": ep["cin_episode_id"], **_common(ep)}
        if ep.get("referral_id") != ref_id:
            attrs["referral_id"] = ep.get("referral_id")
        if ref and _text(ep.get("cin_start_date")) != _text(ref.get("referral_date")):
            attrs["cin_start_date"] = ep.get("cin_start_date")
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
          reference_date: dt.date | None = None, extensions: bool = True) -> Path:
    """Write canonical tables as a CIN census XML file and return ``path``.

    One ``Child`` per child id found in children, referrals, CIN episodes, assessments and CP
    plans (sorted by id); characteristics come from ``children`` (``GenderCurrent`` from sex
    M/F/U/I -> 1/2/0/9). Each referral opens a ``CINdetails`` block holding the CIN episode
    linked to it (an episode with no such referral gets a block of its own); assessments go to
    their referral's block, else to the latest block starting on or before them; CP plans to
    the block whose episode is open on the plan's start date, else the latest block before it.
    Missing episodes and return interviews are not part of the census and are not written.
    ``extensions`` adds the ``Scorecard*`` elements that make a round trip exact.
    ``reference_date`` defaults to the 31 March on or after the latest date in the data.
    """
    path = Path(path)
    reference_date = reference_date or _reference_date(tables)
    grouped = {t: _by_child(tables.get(t)) for t in
               ("children", "referrals", "cin_episodes", "assessments", "cp_plans")}
    child_ids = sorted({c for rows in grouped.values() for c in rows})
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
        _sub(source, "SoftwareCode", "scorecard")
        _write_element(fh, header)
        fh.write("  <Children>\n")
        for child in child_ids:
            _write_element(fh, _child_element(child, grouped, extensions), level=2)
        fh.write("  </Children>\n</Message>\n")
    return path


def _child_element(child: str, grouped: dict[str, dict[str, list[dict]]],
                   extensions: bool) -> ET.Element:
    el = ET.Element("Child")
    ids = ET.SubElement(el, "ChildIdentifiers")
    _sub(ids, "LAchildID", child)
    info = (grouped["children"].get(child) or [{}])[0]
    _sub(ids, "PersonBirthDate", info.get("date_of_birth"))
    sex = info.get("sex")
    _sub(ids, "GenderCurrent", _SEX_TO_CENSUS.get(sex, sex) if sex is not None else None)
    chars = ET.SubElement(el, "ChildCharacteristics")
    _sub(chars, "Ethnicity", info.get("ethnicity"))
    for block in _blocks(child, grouped):
        _cin_details(el, block, extensions)
    if extensions and (common := _common(info)):
        _extension(el, "ScorecardChild", common)
    return el


def _write_element(fh, element: ET.Element, level: int = 1) -> None:
    """Write one indented element followed by a newline."""
    ET.indent(element, space="  ", level=level)
    fh.write("  " * level + ET.tostring(element, encoding="unicode").rstrip() + "\n")

