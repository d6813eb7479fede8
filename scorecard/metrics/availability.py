"""Which metrics can be computed from what was loaded.

Each metric reads certain canonical columns (its definition in ``shared/spec/metrics.md``). When
no loaded file supplied one of them, the metric's value would be a zero that means nothing: the
Standard Safeguarding Dataset has no contact decision times and no return home interview dates
(only offered/accepted flags), and the SSDA903 return has no return interview data at all. This
step names those metrics -- the validation summary says which and why -- and the build drops
their rows from the metrics frame, so ``metrics.csv`` never reports a zero for a metric whose
inputs were never supplied. It reads only the load ledger and the metric declarations; the
metric engine itself is unchanged.

A column counts as supplied when a file whose load is current (``meta.loads`` status
``loaded``) had it (``meta.load_columns``), whatever its values: a blank in a supplied column
means what the canonical layout says it means (unknown, still open, not yet returned). A load
recorded before the ledger named its columns counts as supplying every column of its table.

>>> gaps = unavailable(con)                    # doctest: +SKIP
>>> frame = drop(compute(con, "2022-23"), gaps)  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import polars as pl

from ..schema import TABLES
from .definitions import METRICS, Metric
from .marts import mart_sources

__all__ = ["REQUIRES", "Unavailable", "describe", "drop", "requirements", "supplied", "unavailable"]

_CONTACT = ("contacts.contact_datetime",)
_REFERRAL = ("referrals.referral_date",)
_CIN = ("cin_episodes.cin_start_date", "cin_episodes.cin_closure_date")
_CPP = ("cp_plans.cp_plan_start_date", "cp_plans.cp_plan_end_date")
_MISSING = ("missing_episodes.missing_start_datetime",)
_S47 = ("s47_enquiries.s47_start_date",)
_RETURN = ("missing_episodes.missing_end_datetime",)

#: metric id -> the canonical columns (``table.column``) its definition reads. A metric not
#: listed needs the required columns of the tables its mart reads; a mean of monthly values
#: needs what its monthly metric needs.
REQUIRES: dict[str, tuple[str, ...]] = {
    "contacts": _CONTACT,
    "contacts_concluded_24h_pct": _CONTACT + ("contacts.decision_datetime",),
    "referrals": _REFERRAL,
    "referrals_rate_per_10k": _REFERRAL,
    "rereferrals_12m_pct": _REFERRAL,
    "referrals_nfa_pct": _REFERRAL + ("referrals.referral_nfa",),
    "referral_source_pct": _REFERRAL + ("referrals.referral_source",),
    "assessments_within_45wd_pct": ("assessments.assessment_start_date",
                                    "assessments.assessment_authorised_date"),
    "cin_open_month_end": _CIN,
    "cin_at_31_march": _CIN,
    "cin_rate_per_10k": _CIN,
    "cin_by_primary_need": _CIN + ("cin_episodes.primary_need_code",),
    "cpp_open_month_end": _CPP,
    "cpp_at_31_march": _CPP,
    "cpp_rate_per_10k": _CPP,
    "cpp_starts": ("cp_plans.cp_plan_start_date",),
    "cpp_second_or_subsequent_pct": ("cp_plans.cp_plan_start_date",),
    "cpp_ended_2yrs_plus_pct": _CPP,
    "cpp_by_latest_category": _CPP + ("cp_plans.initial_category",),
    # the whole CIN census (metrics/child_protection_extra.py, children_in_need_extra.py)
    "s47_rate_per_10k": _S47,
    "s47_led_to_icpc_pct": _S47 + ("s47_enquiries.icpc_date",),
    "icpc_rate_per_10k": _S47 + ("s47_enquiries.icpc_date",),
    "icpc_within_15wd_pct": _S47 + ("s47_enquiries.icpc_date",),
    "cpp_starts_rate_per_10k": ("cp_plans.cp_plan_start_date",),
    "cpp_at_31_march_by_duration": _CPP,
    "cpp_ended_by_duration": _CPP,
    "cpp_reviewed_on_time_pct": _CPP + ("cp_reviews.cp_review_date",),
    "cin_at_31_march_by_duration": _CIN,
    "cin_ended_by_duration": _CIN,
    "missing_episodes": _MISSING,
    "missing_children": _MISSING,
    "missing_repeat_children": _MISSING,
    "rhi_offered": _RETURN + ("return_interviews.rhi_offered_date",),
    "rhi_accepted": _RETURN + ("return_interviews.rhi_offered_date", "return_interviews.rhi_accepted"),
    "rhi_completed_72h": _RETURN + ("return_interviews.rhi_completed_datetime",),
    "rhi_completed_72h_pct": _RETURN + ("return_interviews.rhi_completed_datetime",
                                        "return_interviews.rhi_offered_date",
                                        "return_interviews.rhi_accepted"),
}

#: why a column is commonly missing, said once per line of the summary
_RHI_DATES = ("the Standard Safeguarding Dataset has no return interview dates (only offered and "
              "accepted flags) and the SSDA903 return no return interview data: load a "
              "return-interview extract with dates")
_WHY = {
    "contacts.decision_datetime": "the Standard Safeguarding Dataset has no contact decision time",
    "s47_enquiries.icpc_date": "no loaded file records when initial child protection "
                               "conferences were held",
    "return_interviews.rhi_offered_date": _RHI_DATES,
    "return_interviews.rhi_completed_datetime": _RHI_DATES,
}


@dataclass(frozen=True)
class Unavailable:
    """A metric that cannot be computed: the canonical columns no loaded file supplied."""

    metric_id: str
    missing: tuple[str, ...]


def requirements(metric: Metric) -> tuple[str, ...]:
    """The canonical columns (``table.column``) ``metric`` needs."""
    if metric.id in REQUIRES:
        return REQUIRES[metric.id]
    if metric.of is not None:
        return requirements(METRICS[metric.of])
    tables = sorted(mart_sources().get(metric.mart, set()))
    return tuple(f"{t}.{c}" for t in tables for c in TABLES[t].required)


def supplied(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]] | None:
    """Table -> the canonical columns its current loads supplied; ``None`` when nothing was
    ever loaded through the ledger (tables filled some other way: nothing is known)."""
    rows = con.execute(
        "select l.table_name, c.column_name from meta.loads as l "
        "left join meta.load_columns as c on c.load_id = l.load_id "
        "where l.status = 'loaded' and coalesce(l.table_name, '') <> ''").fetchall()
    if not rows:
        return None
    out: dict[str, set[str]] = {}
    for table, column in rows:
        columns = out.setdefault(table, set())
        if column is None:   # loaded before the ledger named columns: take it as complete
            columns.update(TABLES[table].column_names if table in TABLES else ())
        else:
            columns.add(column)
    return out


def unavailable(con: duckdb.DuckDBPyConnection,
                metric_ids: Iterable[str] | None = None) -> list[Unavailable]:
    """The metrics (all, or ``metric_ids``) that need a column no current load supplied, in
    registry order; empty when the ledger knows of no load."""
    have = supplied(con)
    if have is None:
        return []
    wanted = None if metric_ids is None else set(metric_ids)
    out = []
    for metric in METRICS:
        if wanted is not None and metric.id not in wanted:
            continue
        missing = tuple(r for r in requirements(metric)
                        if r.split(".", 1)[1] not in have.get(r.split(".", 1)[0], set()))
        if missing:
            out.append(Unavailable(metric.id, missing))
    return out


def drop(frame: pl.DataFrame, gaps: Iterable[Unavailable]) -> pl.DataFrame:
    """``frame`` (the metrics frame) without the rows of the metrics in ``gaps``."""
    ids = [g.metric_id for g in gaps]
    return frame.filter(~pl.col("metric_id").is_in(ids)) if ids else frame


def describe(con: duckdb.DuckDBPyConnection, gaps: list[Unavailable]) -> list[str]:
    """Plain-English lines for the validation summary: which metrics cannot be computed and
    what no loaded file gave, one line per reason (metrics with the same reason together)."""
    files: dict[str, list[str]] = {}
    for table, name in con.execute(
            "select table_name, source_file from meta.loads where status = 'loaded' "
            "and coalesce(table_name, '') <> '' order by source_file").fetchall():
        files.setdefault(table, []).append(name)
    grouped: dict[str, list[str]] = {}
    for g in gaps:
        by_table: dict[str, list[str]] = {}
        for item in g.missing:
            table, column = item.split(".", 1)
            by_table.setdefault(table, []).append(column)
        reasons, why = [], []
        for table, columns in by_table.items():
            if table not in files:
                reasons.append(f"no {table} file was loaded")
                continue
            loaded = ", ".join(dict.fromkeys(files[table]))
            reasons.append(f"no loaded file gives {' or '.join(f'{table}.{c}' for c in columns)} "
                           f"({table} came from {loaded})")
            why += [_WHY[f"{table}.{c}"] for c in columns if f"{table}.{c}" in _WHY]
        text = "; ".join(reasons) + "." + "".join(
            f" {w[0].upper()}{w[1:]}." for w in dict.fromkeys(why))
        grouped.setdefault(text, []).append(g.metric_id)
    return [", ".join(f"`{i}`" for i in ids) + ": " + text for text, ids in grouped.items()]
