"""Reading a CIN census XML file into canonical frames (see the package docstring).

Streamed with lxml's ``iterparse`` (one ``Child`` at a time, then freed, so a large return needs
little memory); a DTD or entity declaration is refused, nothing is fetched from the network.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ... import schema
from ...errors import StructuralError
from ...frames import Frame
from .. import build_frame, derive_id
from . import spec
from .elements import (ASSESSMENT, CHARACTERISTICS, CHILD, CPP, DATE_TZ, DETAILS, EXTENSIONS, HEADER,
                       IDENTIFIERS, ISO_DATE, PLAN, S47, SEX_FROM_GENDER, TABLE_ELEMENT, canonical_value,
                       element_text, local_name)

__all__ = ["read", "sniff"]

_SNIFF_BYTES = 4096


class _NotCensus(Exception):
    """The document's root is not a CIN census ``Message``."""


def sniff(path: Path) -> bool:
    """True when the start of ``path`` looks like a CIN census ``Message``."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES).decode("utf-8", "replace")
    except OSError:
        return False
    return bool(re.search(r"<(?:\w+:)?Message\b", head)
                and re.search(r"<(?:\w+:)?(?:Children|Collection>\s*CIN)\b", head))


class _Extras:
    """What a record's element holds beyond its canonical columns: ``path -> text``, kept as
    the row's ``_extras`` (JSON); also counts the elements the census schema does not have."""

    def __init__(self, owner: _Collector):
        self.values: dict[str, Any] = {}
        self.owner = owner

    def put(self, key: str, value: str | None) -> None:
        if value is None:
            return
        if key in self.values:
            old = self.values[key]
            self.values[key] = (old if isinstance(old, list) else [old]) + [value]
        else:
            self.values[key] = value

    def unknown(self, el, path: str) -> None:
        """An element the census does not have, and everything inside it."""
        name = local_name(el.tag)
        if name is None:
            return
        self.owner.unknown += 1
        self.owner.unknown_names.add(name)
        here = f"{path}/{name}" if path else name
        for attr, value in el.attrib.items():
            self.put(f"{here}/@{local_name(attr)}", value)
        kids = [c for c in el if local_name(c.tag) is not None]
        if kids:
            self.text(el, here)
            for c in kids:
                self.unknown(c, here)
        else:
            self.put(here, element_text(el))

    def text(self, el, path: str) -> None:
        """Stray text inside a container element (text between its child elements)."""
        parts = [el.text or ""] + [c.tail or "" for c in el]
        self.stray(el, path, [p for p in parts if p and not p.isspace()])

    def stray(self, el, path: str, parts: list[str]) -> None:
        text = " ".join(p.strip() for p in parts)
        if text:
            self.owner.unknown += 1
            self.owner.unknown_names.add(f"text in <{local_name(el.tag)}>")
            self.put(f"{path}/#text" if path else "#text", text)

    def json(self) -> str | None:
        return json.dumps(self.values, ensure_ascii=False, sort_keys=False) if self.values else None


class _Collector:
    """Turns ``Child`` elements into canonical rows per table."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, str | None]]] = {t: [] for t in TABLE_ELEMENT}
        self.lines: dict[str, list[int]] = {t: [] for t in TABLE_ELEMENT}
        self.seen: dict[tuple, int] = {}
        self.unknown = 0
        self.unknown_names: set[str] = set()

    # -------------------------------------------------------------------- helpers
    def _add(self, table: str, record: dict[str, str | None], line: int, extras: _Extras | None = None,
             extension=None) -> dict[str, str | None]:
        if extension is not None:
            allowed = schema.TABLES[table].column_names
            record.update({k: canonical_value(k, v or None) for k, v in extension.attrib.items() if k in allowed})
        if extras is not None:
            record["_extras"] = extras.json()
        self.rows[table].append(record)
        self.lines[table].append(line)
        return record

    def _id(self, prefix: str, *key: str | None) -> str:
        """Derived id; the n-th record with the same key gets n in its hash."""
        k = (prefix, *(v or "" for v in key))
        self.seen[k] = n = self.seen.get(k, 0) + 1
        return derive_id(prefix, *k[1:]) if n == 1 else derive_id(prefix, *k[1:], n)

    def _scan(self, container, known: dict[str, str | None], path: str, extras: _Extras,
              record: dict[str, str | None] | None = None) -> dict[str, list]:
        """Sort a container's child elements: known leaf elements fill ``record`` (a repeat of
        a single-valued one goes to the extras), known containers are returned by name for the
        caller, anything else is kept in the extras."""
        groups: dict[str, list] = {}
        stray = container.text
        stray = [stray] if stray and not stray.isspace() else []
        for el in container:
            tail = el.tail
            if tail and not tail.isspace():
                stray.append(tail)
            name = local_name(el.tag)
            if name is None:
                continue
            if name not in known:
                extras.unknown(el, path)
                continue
            column = known[name]
            if column is None:
                groups.setdefault(name, []).append(el)
            elif record is not None and column not in record:
                record[column] = canonical_value(column, element_text(el))
                for attr, value in el.attrib.items():
                    extras.put(f"{path}/{name}/@{local_name(attr)}" if path else f"{name}/@{local_name(attr)}", value)
            else:
                self.unknown += 1
                self.unknown_names.add(f"repeated {name}")
                extras.put(f"{path}/{name}" if path else name, element_text(el))
        if stray:
            extras.stray(container, path, stray)
        return groups

    def _list(self, containers: list, item: str, path: str, extras: _Extras) -> str | None:
        """A code list (``Disabilities/Disability``, ``FactorsIdentifiedAtAssessment/
        AssessmentFactors``) as space-separated codes; extra containers' items are joined too."""
        codes: list[str] = []
        for c in containers:
            groups = self._scan(c, {item: None}, f"{path}/{local_name(c.tag)}" if path else local_name(c.tag), extras)
            for el in groups.get(item, []):
                value = element_text(el)
                if value is not None:
                    codes.append(re.sub(r"\s+", "_", value))
        return " ".join(codes) or None

    # -------------------------------------------------------------------- one child
    def child(self, node) -> None:
        extras = _Extras(self)
        record: dict[str, str | None] = {}
        groups = self._scan(node, CHILD, "", extras, record)
        for ids in groups.get("ChildIdentifiers", []):
            self._scan(ids, IDENTIFIERS, "ChildIdentifiers", extras, record)
        gender = None
        for ids in groups.get("ChildIdentifiers", []):
            gender = next((local_name(e.tag) for e in ids if local_name(e.tag) in ("GenderCurrent", "Sex")), gender)
        if gender == "GenderCurrent" and record.get("sex") is not None:
            record["sex"] = SEX_FROM_GENDER.get(record["sex"], record["sex"])
        for chars in groups.get("ChildCharacteristics", []):
            inner = self._scan(chars, CHARACTERISTICS, "ChildCharacteristics", extras, record)
            if "Disabilities" in inner:
                record["disabilities"] = self._list(inner["Disabilities"], "Disability",
                                                    "ChildCharacteristics", extras)
        child = record.get("child_id")
        ext = (groups.get("ScorecardChild") or [None])[0]
        if ext is not None or extras.values or any(v is not None for k, v in record.items() if k != "child_id"):
            self._add("children", record, node.sourceline or 0, extras, ext)
        for block in groups.get("CINdetails", []):
            self.block(child, block)

    def block(self, child: str | None, block) -> None:
        extras = _Extras(self)
        values: dict[str, str | None] = {}
        groups = self._scan(block, DETAILS, "", extras, values)
        ref_ext = (groups.get("ScorecardReferral") or [None])[0]
        cin_ext = (groups.get("ScorecardCINepisode") or [None])[0]
        extended = any(local_name(c.tag) in EXTENSIONS for c in block)
        ref_date = values.get("cin_start_date")
        nfa = values.get("referral_nfa")
        line = block.sourceline or 0
        referral_id = episode_id = None
        has_episode = cin_ext is not None or not extended
        if ref_ext is not None or not extended:
            referral = self._add("referrals", {
                "referral_id": self._id("CIR", child, ref_date), "child_id": child,
                "referral_date": ref_date, "referral_source": values.get("referral_source"),
                "referral_nfa": nfa}, line, None if has_episode else extras, ref_ext)
            referral_id = referral["referral_id"]
        if has_episode:
            episode = self._add("cin_episodes", {
                "cin_episode_id": self._id("CIE", child, ref_date), "child_id": child,
                "referral_id": referral_id, "cin_start_date": ref_date,
                "cin_closure_date": values.get("cin_closure_date"),
                "reason_for_closure": values.get("reason_for_closure"),
                "primary_need_code": values.get("primary_need_code"), "referral_nfa": nfa,
                "icpc_date": values.get("icpc_date")}, line, extras, cin_ext)
            episode_id = episode["cin_episode_id"]
        for a in groups.get("Assessments", []):
            self.assessment(child, a, referral_id, episode_id)
        for p in groups.get("CINPlanDates", []):
            rec: dict[str, str | None] = {}
            ex = _Extras(self)
            g = self._scan(p, PLAN, "", ex, rec)
            self._add("cin_plans", {"cin_plan_id": self._id("CIL", child, rec.get("cin_plan_start_date")),
                                    "child_id": child, "cin_episode_id": episode_id, **rec},
                      p.sourceline or 0, ex, (g.get("ScorecardCINplan") or [None])[0])
        for s in groups.get("Section47", []):
            rec = {}
            ex = _Extras(self)
            g = self._scan(s, S47, "", ex, rec)
            self._add("s47_enquiries", {"s47_id": self._id("CIS", child, rec.get("s47_start_date")),
                                        "child_id": child, "cin_episode_id": episode_id, **rec},
                      s.sourceline or 0, ex, (g.get("ScorecardS47") or [None])[0])
        for p in groups.get("ChildProtectionPlans", []):
            self.plan(child, p, episode_id)

    def assessment(self, child: str | None, a, referral_id: str | None, episode_id: str | None) -> None:
        rec: dict[str, str | None] = {}
        ex = _Extras(self)
        g = self._scan(a, ASSESSMENT, "", ex, rec)
        if "FactorsIdentifiedAtAssessment" in g:
            rec["assessment_factors"] = self._list(g["FactorsIdentifiedAtAssessment"], "AssessmentFactors", "", ex)
        self._add("assessments", {
            "assessment_id": self._id("CIA", child, rec.get("assessment_start_date")),
            "child_id": child, "referral_id": referral_id, "cin_episode_id": episode_id, **rec},
            a.sourceline or 0, ex, (g.get("ScorecardAssessment") or [None])[0])

    def plan(self, child: str | None, p, episode_id: str | None) -> None:
        rec: dict[str, str | None] = {}
        ex = _Extras(self)
        g = self._scan(p, CPP, "", ex, rec)
        start = rec.get("cp_plan_start_date")
        plan = self._add("cp_plans", {"cp_plan_id": self._id("CIP", child, start), "child_id": child,
                                      "cin_episode_id": episode_id, **rec},
                         p.sourceline or 0, ex, (g.get("ScorecardCPP") or [None])[0])
        for reviews in g.get("Reviews", []):
            rg = self._scan(reviews, {"CPPreviewDate": None, "ScorecardReview": None}, "Reviews", ex)
            dates = rg.get("CPPreviewDate", [])
            exts = rg.get("ScorecardReview", [])
            if not dates:   # a Reviews group with no date: kept (and quarantined) as a review row
                dates = [reviews]
            for i, d in enumerate(dates):
                day = canonical_value("cp_review_date", element_text(d)) if local_name(d.tag) == "CPPreviewDate" else None
                self._add("cp_reviews", {
                    "cp_review_id": self._id("CIV", child, start, day), "child_id": plan["child_id"],
                    "cp_plan_id": plan["cp_plan_id"], "cp_review_date": day},
                    d.sourceline or 0, None, exts[i] if i < len(exts) else None)


# ------------------------------------------------------------------------------ the file

def _iterparse(path: Path) -> Iterator[tuple[str, Any]]:
    """Events for the elements that matter (the root, Header, Children, Child, any namespace);
    everything else is reached through them."""
    from lxml import etree

    return etree.iterparse(str(path), events=("start", "end"), resolve_entities=False, load_dtd=False,
                           no_network=True, huge_tree=False, remove_comments=True, remove_pis=True,
                           tag=("{*}Message", "{*}Header", "{*}Children", "{*}Child"))


def _header(el, extras: _Extras) -> dict[str, Any]:
    """The header's facts: every element as ``path -> text`` plus the ones the loader uses."""
    facts: dict[str, Any] = {}
    sources = 0
    extras.text(el, "Header")
    for part in el:
        name = local_name(part.tag)
        if name is None:
            continue
        if name not in HEADER:
            extras.unknown(part, "Header")
            continue
        if name == "Source":
            sources += 1
        prefix = f"Header/{name}" if name != "Source" or sources == 1 else f"Header/Source[{sources}]"
        extras.text(part, prefix)
        for item in part:
            item_name = local_name(item.tag)
            if item_name is None:
                continue
            if item_name not in HEADER[name] or f"{prefix}/{item_name}" in facts:
                extras.unknown(item, prefix)
                continue
            facts[f"{prefix}/{item_name}"] = element_text(item)
    return facts


def _census_facts(facts: dict[str, Any], extras: _Extras, collector: _Collector) -> dict[str, Any]:
    """The file facts the loader records (``meta.file_facts``), with notes for the load summary."""
    ref_text = facts.get("Header/CollectionDetails/ReferenceDate")
    year_text = facts.get("Header/CollectionDetails/Year")
    ref_date = None
    if ref_text:
        m = DATE_TZ.match(ref_text)
        text = m.group(1) if m else ref_text
        if ISO_DATE.match(text):
            try:
                ref_date = dt.date.fromisoformat(text)
            except ValueError:
                ref_date = None
    year = spec.census_year(ref_date, year_text)
    notes = []
    if ref_text and ref_date is None:
        notes.append(f"header ReferenceDate {ref_text!r} is not a date")
    if year is None:
        notes.append("census year unknown: the header has no readable ReferenceDate or Year")
    elif year not in spec.YEARS:
        notes.append(f"census year {year} is outside the years this reader knows "
                     f"({spec.YEARS[0]} to {spec.YEARS[-1]}); every element was still read")
    if collector.unknown:
        names = sorted(collector.unknown_names)
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        notes.append(f"{collector.unknown} element(s) outside the DfE census schema kept as extra "
                     f"columns ({shown})")
    all_facts = dict(facts)
    all_facts.update({k: v for k, v in extras.values.items()})
    return {
        "format": "cin_census",
        "collection": facts.get("Header/CollectionDetails/Collection"),
        "collection_year": year_text,
        "reference_date": ref_date,
        "census_year": year,
        "la_code": facts.get("Header/Source/LEA"),
        "facts": all_facts,
        "unknown_elements": collector.unknown,
        "notes": notes,
    }


def read(path: Path) -> list[Frame]:
    """Read a CIN census XML file into canonical frames (see the package docstring)."""
    from lxml import etree

    path = Path(path)
    collector = _Collector()
    file_extras = _Extras(collector)
    facts: dict[str, Any] = {}
    saw_children = False
    root = None
    try:
        events = _iterparse(path)
        for event, el in events:
            name = local_name(el.tag)
            parent = el.getparent()
            top = parent is None
            if event == "start":
                if root is None:
                    if not top:   # the root is not a Message: the first event is an inner element
                        raise _NotCensus(local_name(el.getroottree().getroot().tag))
                    root = el
                    docinfo = el.getroottree().docinfo
                    if docinfo.internalDTD is not None or docinfo.doctype:
                        raise StructuralError(path, "XML refused for safety: it declares a DTD "
                                                    "(entities are not allowed in a census file)")
                elif name == "Children" and parent is root:
                    saw_children = True
                continue
            if name == "Child" and parent is not None and local_name(parent.tag) == "Children" \
                    and parent.getparent() is root:
                # what came before this child inside <Children> and is not a child: kept
                while (before := el.getprevious()) is not None:
                    if local_name(before.tag) != "Child":
                        file_extras.unknown(before, "Children")
                    del parent[0]
                collector.child(el)
                el.clear(keep_tail=True)
            elif name == "Header" and parent is root:
                facts.update(_header(el, file_extras))
                el.clear(keep_tail=True)
            elif name == "Children" and parent is root:
                file_extras.text(el, "Children")
                for rest in el:
                    if local_name(rest.tag) not in (None, "Child"):
                        file_extras.unknown(rest, "Children")
                el.clear(keep_tail=True)
        if root is None:
            raise _NotCensus(local_name(events.root.tag) if events.root is not None else "?")
        if local_name(root.tag) != "Message":
            raise _NotCensus(local_name(root.tag))
        for part in root:   # anything else at the top of the message
            if local_name(part.tag) not in (None, "Header", "Children"):
                file_extras.unknown(part, "")
    except OSError as exc:
        raise StructuralError(path, f"cannot read the file ({exc.strerror or exc})") from None
    except etree.XMLSyntaxError as exc:
        line, column = (exc.position if exc.position else (exc.lineno or 0, 0))
        message = (exc.msg or str(exc)).strip()
        if message.startswith("failed to load") or "No such file" in message:
            raise StructuralError(path, f"cannot read the file ({message})") from None
        raise StructuralError(path, f"XML is not well-formed: {message} (line {line}, column {column})",
                              row=line or None) from None
    except _NotCensus as exc:
        raise StructuralError(path, f"not a CIN census file: the root element is <{exc}>, "
                                    "expected <Message>", column="Message") from None
    if not saw_children:
        raise StructuralError(path, "not a CIN census file: <Message> has no <Children> element",
                              column="Children")
    file_facts = _census_facts(facts, file_extras, collector)
    frames = []
    for table, rows in collector.rows.items():
        if not rows:
            continue
        columns = [c for c in schema.TABLES[table].column_names
                   if c not in schema.COMMON_COLUMNS or any(r.get(c) for r in rows)]
        if any(r.get("_extras") for r in rows):
            columns.append("_extras")
        frame = build_frame(table, columns, rows, collector.lines[table],
                            f"{path.name}, <{TABLE_ELEMENT[table]}> (rows are line numbers)")
        frame.facts = file_facts
        frames.append(frame)
    if not frames:   # a return with no children still says what it is
        frame = build_frame("children", ["child_id"], [], [], f"{path.name}, <Child>")
        frame.facts = file_facts
        frames.append(frame)
    return frames
