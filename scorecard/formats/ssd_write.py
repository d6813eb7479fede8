"""Write canonical tables as Standard Safeguarding Dataset v1.4.5 CSV files (for synthetic data
and round-trip tests).

The files look like tables saved from SQL Server Management Studio: UTF-8 with a byte-order
mark, CRLF line ends, ``NULL`` for an empty cell, datetimes as ``2022-05-01 21:40:00.000``,
every v1.4.5 column in specification order, CP categories and missing types as words (as the
SystemC extract writes them), flags Y/N. Every file also carries ``source_system`` and
``legacy_id`` columns (not SSD columns; the reader keeps them), so a round trip keeps the
migration columns.

What the SSD cannot hold is lost: contact decision times; CIN episode ids (the episode is its
referral's row, so every ``cin_episode_id`` link becomes the referral id); return interview ids
and dates (only offered/accepted flags); ``icpc_not_required``; ``number_of_previous_cpp``. One
``ssd_cla_episodes`` row per looked-after child with a missing episode (open, starting on the day
of the child's first one) carries ``looked_after``.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import polars as pl

from ..schema import COMMON_COLUMNS
from .ssd_spec import SSD_TABLES

__all__ = ["write"]

_CATEGORY_WORDS = {"NEG": "Neglect", "EMO": "Emotional abuse", "PHY": "Physical abuse",
                   "SAB": "Sexual abuse", "MUL": "Multiple"}
_TYPE_WORDS = {"M": "Missing", "A": "Away"}


def _text(value: Any) -> str:
    """A value as an SQL Server export cell: ``NULL``, ``Y``/``N``, datetimes with .000."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.000")
    if isinstance(value, dt.date):
        return f"{value.isoformat()} 00:00:00.000"
    return str(value)


def _write_table(folder: Path, table: str, rows: list[dict], extension: bool = True) -> Path:
    columns = list(SSD_TABLES[table].columns) + (list(COMMON_COLUMNS) if extension else [])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_text(row.get(c)) for c in columns])
    path = folder / f"{table}.csv"
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))
    return path


def _common(r: dict) -> dict:
    return {c: r.get(c) for c in COMMON_COLUMNS}


def _codes(value: str | None) -> list[str]:
    return [c for c in str(value).replace(",", " ").split() if c] if value else []


def write(tables: dict[str, pl.DataFrame], folder: Path) -> list[Path]:
    """Write ``tables`` (canonical names and types) to ``folder`` as SSD v1.4.5 CSV files, one
    per SSD table (see the module docstring); returns the files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    def rows(name: str) -> list[dict]:
        return tables[name].to_dicts() if name in tables else []

    episodes = {e["cin_episode_id"]: e for e in rows("cin_episodes")}
    by_referral = {e["referral_id"]: e for e in episodes.values() if e.get("referral_id") is not None}
    referral_ids = {r["referral_id"] for r in rows("referrals")}

    def ssd_referral(episode_id: str | None) -> str | None:
        """The SSD row (referral) id of a canonical CIN episode id."""
        e = episodes.get(episode_id)
        if e is None:
            return episode_id
        return e["referral_id"] if e.get("referral_id") in referral_ids else e["cin_episode_id"]

    out = []
    children = rows("children")
    out.append(_write_table(folder, "ssd_person", [
        {"pers_person_id": r["child_id"], "pers_legacy_id": r.get("legacy_id"), "pers_upn": r.get("upn"),
         "pers_sex": r.get("sex"), "pers_gender": r.get("sex"), "pers_ethnicity": r.get("ethnicity"),
         "pers_dob": r.get("date_of_birth"), "pers_upn_unknown": r.get("upn_unknown"),
         "pers_expected_dob": r.get("expected_date_of_birth"), "pers_death_date": r.get("date_of_death"),
         "source_system": r.get("source_system")} for r in children]))
    disabilities = [(r["child_id"], code) for r in children for code in _codes(r.get("disabilities"))]
    out.append(_write_table(folder, "ssd_disability", [
        {"disa_table_id": f"DIS-{i:06d}", "disa_person_id": child, "disa_disability_code": code}
        for i, (child, code) in enumerate(disabilities, start=1)], extension=False))
    out.append(_write_table(folder, "ssd_contacts", [
        {"cont_contact_id": r["contact_id"], "cont_person_id": r["child_id"],
         "cont_contact_date": r.get("contact_datetime"), "cont_contact_source_code": r.get("contact_source"),
         "cont_contact_outcome_json": r.get("contact_outcome"), **_common(r)} for r in rows("contacts")]))
    cine = []
    for r in rows("referrals"):
        e = by_referral.get(r["referral_id"], {})
        cine.append({"cine_referral_id": r["referral_id"], "cine_person_id": r["child_id"],
                     "cine_referral_date": r.get("referral_date"),
                     "cine_cin_primary_need_code": e.get("primary_need_code"),
                     "cine_referral_source_code": r.get("referral_source"),
                     "cine_referral_nfa": r.get("referral_nfa"),
                     "cine_close_reason": e.get("reason_for_closure"),
                     "cine_close_date": e.get("cin_closure_date"), **_common(r)})
    for e in episodes.values():   # an episode without a referral row: a row of its own
        if e.get("referral_id") not in referral_ids:
            cine.append({"cine_referral_id": e["cin_episode_id"], "cine_person_id": e["child_id"],
                         "cine_referral_date": e.get("cin_start_date"),
                         "cine_cin_primary_need_code": e.get("primary_need_code"),
                         "cine_referral_nfa": e.get("referral_nfa"),
                         "cine_close_reason": e.get("reason_for_closure"),
                         "cine_close_date": e.get("cin_closure_date"), **_common(e)})
    out.append(_write_table(folder, "ssd_cin_episodes", cine))
    assessments = rows("assessments")
    out.append(_write_table(folder, "ssd_cin_assessments", [
        {"cina_assessment_id": r["assessment_id"], "cina_person_id": r["child_id"],
         "cina_referral_id": r.get("referral_id") or ssd_referral(r.get("cin_episode_id")),
         "cina_assessment_start_date": r.get("assessment_start_date"),
         "cina_assessment_auth_date": r.get("assessment_authorised_date"), **_common(r)}
        for r in assessments]))
    out.append(_write_table(folder, "ssd_assessment_factors", [
        {"cinf_table_id": f"ASF-{i:06d}", "cinf_assessment_id": r["assessment_id"],
         "cinf_assessment_factors_json": "[" + ",".join(f'"{c}"' for c in _codes(r.get("assessment_factors"))) + "]"}
        for i, r in enumerate((r for r in assessments if r.get("assessment_factors")), start=1)],
        extension=False))
    out.append(_write_table(folder, "ssd_cin_plans", [
        {"cinp_cin_plan_id": r["cin_plan_id"], "cinp_referral_id": ssd_referral(r.get("cin_episode_id")),
         "cinp_person_id": r["child_id"], "cinp_cin_plan_start_date": r.get("cin_plan_start_date"),
         "cinp_cin_plan_end_date": r.get("cin_plan_end_date"), **_common(r)} for r in rows("cin_plans")]))
    enquiries = rows("s47_enquiries")
    out.append(_write_table(folder, "ssd_s47_enquiry", [
        {"s47e_s47_enquiry_id": r["s47_id"], "s47e_referral_id": ssd_referral(r.get("cin_episode_id")),
         "s47e_person_id": r["child_id"], "s47e_s47_start_date": r.get("s47_start_date"), **_common(r)}
        for r in enquiries]))
    conferences = [{"icpc_s47_enquiry_id": r["s47_id"], "icpc_person_id": r["child_id"],
                    "icpc_referral_id": ssd_referral(r.get("cin_episode_id")),
                    "icpc_icpc_target_date": r.get("icpc_target_date"), "icpc_icpc_date": r.get("icpc_date")}
                   for r in enquiries if r.get("icpc_date") is not None or r.get("icpc_target_date") is not None]
    conferences += [{"icpc_person_id": e["child_id"], "icpc_referral_id": ssd_referral(e["cin_episode_id"]),
                     "icpc_icpc_date": e.get("icpc_date")} for e in episodes.values() if e.get("icpc_date")]
    out.append(_write_table(folder, "ssd_initial_cp_conference", [
        {"icpc_icpc_id": f"ICPC-{i:06d}", **c} for i, c in enumerate(conferences, start=1)], extension=False))
    out.append(_write_table(folder, "ssd_cp_plans", [
        {"cppl_cp_plan_id": r["cp_plan_id"], "cppl_referral_id": ssd_referral(r.get("cin_episode_id"))
         if r.get("cin_episode_id") else None, "cppl_person_id": r["child_id"],
         "cppl_cp_plan_start_date": r.get("cp_plan_start_date"), "cppl_cp_plan_end_date": r.get("cp_plan_end_date"),
         "cppl_cp_plan_initial_category": _CATEGORY_WORDS.get(r.get("initial_category"), r.get("initial_category")),
         "cppl_cp_plan_latest_category": _CATEGORY_WORDS.get(r.get("latest_category"), r.get("latest_category")),
         **_common(r)} for r in rows("cp_plans")]))
    out.append(_write_table(folder, "ssd_cp_reviews", [
        {"cppr_cp_review_id": r["cp_review_id"], "cppr_person_id": r["child_id"],
         "cppr_cp_plan_id": r.get("cp_plan_id"), "cppr_cp_review_date": r.get("cp_review_date"), **_common(r)}
        for r in rows("cp_reviews")]))
    rhis = {r["missing_episode_id"]: r for r in rows("return_interviews")}
    missing, first_start = [], {}
    for r in rows("missing_episodes"):
        h = rhis.get(r["missing_episode_id"])
        missing.append({
            "miss_table_id": r["missing_episode_id"], "miss_person_id": r["child_id"],
            "miss_missing_episode_start_date": r.get("missing_start_datetime"),
            "miss_missing_episode_type": _TYPE_WORDS.get(r.get("missing_type"), r.get("missing_type")),
            "miss_missing_episode_end_date": r.get("missing_end_datetime"),
            "miss_missing_rhi_offered": None if h is None else h.get("rhi_offered_date") is not None,
            "miss_missing_rhi_accepted": None if h is None else h.get("rhi_accepted"), **_common(r)})
        start = r.get("missing_start_datetime")
        if r.get("looked_after") and start is not None:
            day = start.date() if isinstance(start, dt.datetime) else start
            first_start[r["child_id"]] = min(day, first_start.get(r["child_id"], day))
    out.append(_write_table(folder, "ssd_missing", missing))
    out.append(_write_table(folder, "ssd_cla_episodes", [
        {"clae_cla_episode_id": f"CLA-{i:06d}", "clae_person_id": child, "clae_cla_episode_start_date": day,
         "clae_entered_care_date": day}
        for i, (child, day) in enumerate(sorted(first_start.items()), start=1)], extension=False))
    return out
