"""Migration artefacts injected into clean synthetic tables (each named in the answer key,
:mod:`.answer_key`).

Each artefact is a function ``(tables, ctx) -> tables`` registered in :data:`ARTEFACTS`.
It picks records the other artefacts have not touched, changes them, and adds one answer
key entry per record it touched (plus, for some, summary entries without a record id).
"""
from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from ..schema import TABLES
from .answer_key import AnswerKey
from .simulate import CP_AFTER, CP_BEFORE, MAIN_DATE, PRIMARY_NEED, IdAllocator, Params

__all__ = ["ARTEFACTS", "Context", "apply_artefacts"]

PLACEHOLDER = date(1900, 1, 1)


# ---------------------------------------------------------------------------- context
@dataclass
class Context:
    """What artefact functions share: parameters, ids, the key and who touched what."""

    params: Params
    ids: IdAllocator
    key: AnswerKey
    touched: dict[str, set[str]] = field(default_factory=dict)
    #: (table, record_id, column) -> text written instead of the date (text formats only)
    overrides: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def rng(self, artefact: str) -> np.random.Generator:
        """A generator for one artefact that does not depend on which others are on."""
        return np.random.default_rng([self.params.seed, zlib.crc32(artefact.encode())])

    def untouched(self, table: str) -> pl.Expr:
        """Filter expression: records of ``table`` no artefact has touched yet."""
        return ~pl.col(TABLES[table].id_column).is_in(sorted(self.touched.get(table, set())))

    def touch(self, table: str, ids: Iterable[str]) -> None:
        self.touched.setdefault(table, set()).update(ids)

    @property
    def cutover_month(self) -> str:
        return self.params.cutover.strftime("%Y-%m")


def _pick(rng: np.random.Generator, df: pl.DataFrame, rate: float, minimum: int = 3) -> pl.DataFrame:
    """About ``rate`` of the rows of ``df`` (at least ``minimum`` when there are enough), in order."""
    n = min(df.height, max(minimum, round(rate * df.height)))
    if n == 0:
        return df.head(0)
    idx = np.sort(rng.choice(df.height, n, replace=False))
    return df[idx]


def _set(df: pl.DataFrame, table: str, ids: list[str], column: str, values: Any) -> pl.DataFrame:
    """``df`` with ``column`` set to ``values`` (one per id, or one for all) on rows ``ids``."""
    idc = TABLES[table].id_column
    if not isinstance(values, (list, pl.Series, np.ndarray)):
        values = [values] * len(ids)
    upd = pl.DataFrame({idc: pl.Series(ids, dtype=pl.Utf8),
                        "__v": pl.Series(values, dtype=df.schema[column]),
                        "__hit": pl.Series([True] * len(ids), dtype=pl.Boolean)})
    out = df.join(upd, on=idc, how="left", maintain_order="left")
    return out.with_columns(
        pl.when(pl.col("__hit")).then(pl.col("__v")).otherwise(pl.col(column)).alias(column)
    ).drop("__v", "__hit")


def _resort(df: pl.DataFrame, table: str) -> pl.DataFrame:
    return df.sort([MAIN_DATE[table], TABLES[table].id_column], nulls_last=True)


def _month(value: Any) -> str:
    return value.strftime("%Y-%m") if value is not None else ""


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


# -------------------------------------------------------------------------- artefacts
def cutover_gap(t: dict[str, pl.DataFrame], ctx: Context) -> dict[str, pl.DataFrame]:
    """The cut-over month loses most (about 85 %) of its records in every dated extract.

    A lost referral takes its assessment, CIN episode and that episode's CP plans with it;
    a lost missing episode takes its return interview, so nothing is left dangling.
    """
    name, rng = "cutover_gap", ctx.rng("cutover_gap")
    first = ctx.params.cutover.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    period = ctx.cutover_month

    def in_month(table: str, column: str | None = None) -> pl.DataFrame:
        col = pl.col(column or MAIN_DATE[table]).cast(pl.Date)
        return t[table].filter(col.is_between(first, last) & ctx.untouched(table))

    lost: dict[str, dict[str, str]] = {n: {} for n in TABLES}

    def lose(table: str, ids: Iterable[str], why: str) -> None:
        for i in ids:
            lost[table].setdefault(i, why)

    for table in ("contacts", "referrals", "assessments", "cp_plans", "missing_episodes",
                  "return_interviews"):
        idc = TABLES[table].id_column
        lose(table, _pick(rng, in_month(table), 0.85)[idc].to_list(), "lost at cut-over")
    refs = sorted(lost["referrals"])
    for table in ("assessments", "cin_episodes"):
        hit = t[table].filter(pl.col("referral_id").is_in(refs))
        for rid, ref in zip(hit[TABLES[table].id_column].to_list(), hit["referral_id"].to_list()):
            lose(table, [rid], f"lost with referral {ref}")
    cins = t["cin_episodes"].filter(pl.col("cin_episode_id").is_in(sorted(lost["cin_episodes"])))
    plans = t["cp_plans"].join(cins.select("child_id", "cin_episode_id", "cin_start_date",
                                           "cin_closure_date"), on="child_id").filter(
        (pl.col("cp_plan_start_date") >= pl.col("cin_start_date"))
        & (pl.col("cin_closure_date").is_null()
           | (pl.col("cp_plan_start_date") <= pl.col("cin_closure_date"))))
    for pid, cid in zip(plans["cp_plan_id"].to_list(), plans["cin_episode_id_right"].to_list()):
        lose("cp_plans", [pid], f"lost with CIN episode {cid}")
    # an episode's enquiries and CIN plans, and a plan's reviews, go with it
    gone_cin = sorted(lost["cin_episodes"])
    for table in ("s47_enquiries", "cin_plans"):
        hit = t[table].filter(pl.col("cin_episode_id").is_in(gone_cin))
        for rid, cid in zip(hit[TABLES[table].id_column].to_list(), hit["cin_episode_id"].to_list()):
            lose(table, [rid], f"lost with CIN episode {cid}")
    hit = t["cp_reviews"].filter(pl.col("cp_plan_id").is_in(sorted(lost["cp_plans"])))
    for rid, pid in zip(hit["cp_review_id"].to_list(), hit["cp_plan_id"].to_list()):
        lose("cp_reviews", [rid], f"lost with CP plan {pid}")
    eps = sorted(lost["missing_episodes"])
    hit = t["return_interviews"].filter(pl.col("missing_episode_id").is_in(eps))
    for rid, ep in zip(hit["rhi_id"].to_list(), hit["missing_episode_id"].to_list()):
        lose("return_interviews", [rid], f"lost with missing episode {ep}")

    for table, ids in lost.items():
        if not ids:
            continue
        before = in_month(table).height
        idc = TABLES[table].id_column
        gone = sorted(ids)
        t[table] = t[table].filter(~pl.col(idc).is_in(gone))
        after = in_month(table).height
        ctx.key.add(name, table, "", MAIN_DATE[table], period,
                    detail=f"{after} of {before} records dated {period} kept")
        for i in gone:
            ctx.key.add(name, table, i, "", period, detail=ids[i])
        ctx.touch(table, gone)
    return t


def duplicate_migration(t: dict[str, pl.DataFrame], ctx: Context) -> dict[str, pl.DataFrame]:
    """Records live at cut-over migrated twice: the copy has a new Mosaic id and legacy_id."""
    name, rng, cut = "duplicate_migration", ctx.rng("duplicate_migration"), ctx.params.cutover
    window = {
        "referrals": pl.col("referral_date").is_between(cut - timedelta(days=90), cut, closed="left"),
        "cin_episodes": (pl.col("cin_start_date") < cut)
        & (pl.col("cin_closure_date").is_null() | (pl.col("cin_closure_date") >= cut)),
        "cp_plans": (pl.col("cp_plan_start_date") < cut)
        & (pl.col("cp_plan_end_date").is_null() | (pl.col("cp_plan_end_date") >= cut)),
    }
    for table, cond in window.items():
        idc = TABLES[table].id_column
        cand = t[table].filter(cond & (pl.col("source_system") == "TED") & ctx.untouched(table))
        orig = _pick(rng, cand, 0.03)
        new_ids = [ctx.ids.new(table, mosaic=True) for _ in range(orig.height)]
        copy = orig.with_columns(pl.Series(idc, new_ids, dtype=pl.Utf8),
                                 pl.lit("MOSAIC").alias("source_system"),
                                 pl.col(idc).alias("legacy_id"))
        t[table] = _resort(pl.concat([t[table], copy]), table)
        for new, old in zip(new_ids, orig[idc].to_list()):
            ctx.key.add(name, table, new, "legacy_id", ctx.cutover_month, detail=f"copy of {old}")
        ctx.touch(table, new_ids + orig[idc].to_list())
    return t


def placeholder_dates(t: dict[str, pl.DataFrame], ctx: Context) -> dict[str, pl.DataFrame]:
    """1900-01-01 typed into date fields of records created in the old system."""
    name, rng = "placeholder_dates", ctx.rng("placeholder_dates")
    for table, column in (("children", "date_of_birth"), ("assessments", "assessment_start_date"),
                          ("cin_episodes", "cin_start_date"), ("cp_plans", "cp_plan_start_date")):
        idc = TABLES[table].id_column
        cand = t[table].filter((pl.col("source_system") == "TED") & ctx.untouched(table))
        ids = _pick(rng, cand, 0.01)[idc].to_list()
        t[table] = _set(t[table], table, ids, column, PLACEHOLDER)
        for i in ids:
            ctx.key.add(name, table, i, column, detail="1900-01-01")
        ctx.touch(table, ids)
    return t


def end_before_start(t: dict[str, pl.DataFrame], ctx: Context) -> dict[str, pl.DataFrame]:
    """CIN closure, CP end and missing return dated before the start."""
    name, rng = "end_before_start", ctx.rng("end_before_start")
    for table, start, end in (("cin_episodes", "cin_start_date", "cin_closure_date"),
                              ("cp_plans", "cp_plan_start_date", "cp_plan_end_date"),
                              ("missing_episodes", "missing_start_datetime", "missing_end_datetime")):
        idc = TABLES[table].id_column
        chosen = _pick(rng, t[table].filter(pl.col(end).is_not_null() & ctx.untouched(table)), 0.01)
        starts = chosen[start].to_list()
        if table == "missing_episodes":
            values = [s - timedelta(minutes=int(m)) for s, m in
                      zip(starts, rng.integers(30, 72 * 60, len(starts)))]
        else:
            values = [s - timedelta(days=int(d)) for s, d in zip(starts, rng.integers(1, 90, len(starts)))]
        ids = chosen[idc].to_list()
        t[table] = _set(t[table], table, ids, end, values)
        for i, s, v in zip(ids, starts, values):
            ctx.key.add(name, table, i, end, _month(s), detail=f"{end} {v} before {start} {s}")
        ctx.touch(table, ids)
    return t


def overlapping_plans(t: dict[str, pl.DataFrame], ctx: Context) -> dict[str, pl.DataFrame]:
    """A second CP plan (and CIN episode) opened while the child's first is still open."""
    name, rng, p = "overlapping_plans", ctx.rng("overlapping_plans"), ctx.params
    last = p.window_end
    for table, start, end in (("cp_plans", "cp_plan_start_date", "cp_plan_end_date"),
                              ("cin_episodes", "cin_start_date", "cin_closure_date")):
        idc = TABLES[table].id_column
        span = (pl.col(end).fill_null(last) - pl.col(start)).dt.total_days()
        chosen = _pick(rng, t[table].filter((span >= 60) & ctx.untouched(table)), 0.01)
        rows = []
        for r in chosen.iter_rows(named=True):
            stop = r[end] or last
            s = r[start] + timedelta(days=int(rng.integers(15, (stop - r[start]).days - 14)))
            e = s + timedelta(days=int(rng.integers(1, (stop - s).days + 1)))
            e = None if r[end] is None and rng.random() < 0.5 else e
            mosaic = s >= p.cutover
            new = dict(r, **{idc: ctx.ids.new(table, mosaic), start: s, end: e,
                             "source_system": "MOSAIC" if mosaic else "TED", "legacy_id": None})
            if table == "cp_plans":
                cats = list(CP_AFTER if mosaic else CP_BEFORE)
                new.update(initial_category=cats[int(rng.integers(len(cats)))], latest_category=None)
            else:
                codes = [c for c in PRIMARY_NEED if c != "N0"]
                new.update(primary_need_code=codes[int(rng.integers(len(codes)))],
                           reason_for_closure=None if e is None else "RC7")
            rows.append(new)
            ctx.key.add(name, table, new[idc], start, _month(s), detail=f"overlaps {r[idc]}")
        if rows:
            t[table] = _resort(pl.concat([t[table], pl.DataFrame(rows, schema=t[table].schema)]), table)
        ctx.touch(table, [r[idc] for r in rows] + chosen[idc].to_list())
    return t


def _rhis(t: dict[str, pl.DataFrame], ctx: Context, rate: float, artefact: str,
          completed: bool = False) -> pl.DataFrame:
    cond = ctx.untouched("return_interviews")
    if completed:
        cond &= pl.col("rhi_completed_datetime").is_not_null()
    return _pick(ctx.rng(artefact), t["return_interviews"].filter(cond), rate)


def orphan_rhi(t: dict[str, pl.DataFrame], ctx: Context) -> dict[str, pl.DataFrame]:
    """Return interviews pointing at a missing episode that does not exist."""
    chosen = _rhis(t, ctx, 0.01, "orphan_rhi")
    ids = chosen["rhi_id"].to_list()
    ghosts = [ctx.ids.new("missing_episodes", s == "MOSAIC") for s in chosen["source_system"]]
    t["return_interviews"] = _set(t["return_interviews"], "return_interviews", ids,
                                  "missing_episode_id", ghosts)
    for i, g, old in zip(ids, ghosts, chosen["missing_episode_id"].to_list()):
        ctx.key.add("orphan_rhi", "return_interviews", i, "missing_episode_id",
                    detail=f"{g} does not exist (was {old})")
    ctx.touch("return_interviews", ids)
    return t


def mismatched_rhi(t: dict[str, pl.DataFrame], ctx: Context) -> dict[str, pl.DataFrame]:
    """Return interviews whose child is not the child of their episode."""
    rng = ctx.rng("mismatched_rhi")
    chosen = _rhis(t, ctx, 0.01, "mismatched_rhi")
    kids = t["children"]["child_id"].to_list()
    ids, others = chosen["rhi_id"].to_list(), []
    for own in chosen["child_id"].to_list():
        other = own
        while other == own:
            other = kids[int(rng.integers(len(kids)))]
        others.append(other)
    t["return_interviews"] = _set(t["return_interviews"], "return_interviews", ids, "child_id", others)
    for i, o in zip(ids, others):
        ctx.key.add("mismatched_rhi", "return_interviews", i, "child_id", detail=f"child {o}")
    ctx.touch("return_interviews", ids)
    return t


def rhi_completed_not_accepted(t: dict[str, pl.DataFrame], ctx: Context) -> dict[str, pl.DataFrame]:
    """Completed return interviews recorded as not accepted."""
    ids = _rhis(t, ctx, 0.03, "rhi_completed_not_accepted", completed=True)["rhi_id"].to_list()
    t["return_interviews"] = _set(t["return_interviews"], "return_interviews", ids, "rhi_accepted", False)
    for i in ids:
        ctx.key.add("rhi_completed_not_accepted", "return_interviews", i, "rhi_accepted",
                    detail="completed but rhi_accepted N")
    ctx.touch("return_interviews", ids)
    return t


def rhi_completed_before_return(t: dict[str, pl.DataFrame], ctx: Context) -> dict[str, pl.DataFrame]:
    """Return interviews completed before the child came back."""
    rng = ctx.rng("rhi_completed_before_return")
    eps = t["missing_episodes"].filter(pl.col("missing_end_datetime").is_not_null()).select(
        "missing_episode_id", "missing_end_datetime")
    cand = t["return_interviews"].join(eps, on="missing_episode_id", maintain_order="left")
    cand = cand.filter(pl.col("rhi_completed_datetime").is_not_null()
                       & ctx.untouched("return_interviews"))
    chosen = _pick(rng, cand, 0.01)
    ids = chosen["rhi_id"].to_list()
    values = [r - timedelta(minutes=int(m)) for r, m in
              zip(chosen["missing_end_datetime"].to_list(), rng.integers(60, 48 * 60, len(ids)))]
    t["return_interviews"] = _set(t["return_interviews"], "return_interviews", ids,
                                  "rhi_completed_datetime", values)
    for i, v, r in zip(ids, values, chosen["missing_end_datetime"].to_list()):
        ctx.key.add("rhi_completed_before_return", "return_interviews", i, "rhi_completed_datetime",
                    _month(r), detail=f"completed {v} before return {r}")
    ctx.touch("return_interviews", ids)
    return t


INVALID = {
    ("referrals", "referral_source"): ("11", "POL", "6A"),
    ("cin_episodes", "primary_need_code"): ("N10", "NX"),
    ("cin_episodes", "reason_for_closure"): ("RC10", "RC0"),
    ("cp_plans", "initial_category"): ("NEGL", "OTH"),
    ("missing_episodes", "missing_type"): ("X", "R"),
}


def invalid_codes(t: dict[str, pl.DataFrame], ctx: Context) -> dict[str, pl.DataFrame]:
    """Codes outside the DfE lists."""
    rng = ctx.rng("invalid_codes")
    for (table, column), bad in INVALID.items():
        idc = TABLES[table].id_column
        chosen = _pick(rng, t[table].filter(pl.col(column).is_not_null() & ctx.untouched(table)), 0.005)
        ids = chosen[idc].to_list()
        values = [bad[i % len(bad)] for i in range(len(ids))]
        t[table] = _set(t[table], table, ids, column, values)
        for i, v, old in zip(ids, values, chosen[column].to_list()):
            ctx.key.add("invalid_codes", table, i, column, detail=f"{v} (was {old})")
        ctx.touch(table, ids)
    return t


def code_drift(t: dict[str, pl.DataFrame], ctx: Context) -> dict[str, pl.DataFrame]:
    """After cut-over about a quarter of new CIN episodes get primary need N0 "not stated"."""
    name, rng, cut = "code_drift", ctx.rng("code_drift"), ctx.params.cutover
    cin = t["cin_episodes"]
    before = cin.filter(pl.col("cin_start_date") < cut)
    cand = cin.filter((pl.col("cin_start_date") >= cut) & (pl.col("primary_need_code") != "N0")
                      & ctx.untouched("cin_episodes"))
    chosen = _pick(rng, cand, 0.25)
    ids = chosen["cin_episode_id"].to_list()
    t["cin_episodes"] = _set(cin, "cin_episodes", ids, "primary_need_code", "N0")
    for i, s, old in zip(ids, chosen["cin_start_date"].to_list(), chosen["primary_need_code"].to_list()):
        ctx.key.add(name, "cin_episodes", i, "primary_need_code", _month(s), detail=f"N0 (was {old})")
    share_before = 100 * before.filter(pl.col("primary_need_code") == "N0").height / max(before.height, 1)
    after = t["cin_episodes"].filter(pl.col("cin_start_date") >= cut).with_columns(
        pl.col("cin_start_date").dt.strftime("%Y-%m").alias("m"))
    by_month = after.group_by("m").agg((pl.col("primary_need_code") == "N0").mean().alias("s")).sort("m")
    for m, s in by_month.iter_rows():
        ctx.key.add(name, "cin_episodes", "", "primary_need_code", m,
                    detail=f"N0 share {100 * s:.1f}% of episodes starting in {m} "
                           f"(before cut-over {share_before:.1f}%)")
    ctx.touch("cin_episodes", ids)
    return t


def discontinued_code(t: dict[str, pl.DataFrame], ctx: Context) -> dict[str, pl.DataFrame]:
    """Category MUL, which the new system discontinued, still used on plans started after cut-over."""
    rng, cut = ctx.rng("discontinued_code"), ctx.params.cutover
    cand = t["cp_plans"].filter((pl.col("cp_plan_start_date") >= cut) & ctx.untouched("cp_plans"))
    chosen = _pick(rng, cand, 0.10)
    ids = chosen["cp_plan_id"].to_list()
    t["cp_plans"] = _set(t["cp_plans"], "cp_plans", ids, "initial_category", "MUL")
    for i, s, old in zip(ids, chosen["cp_plan_start_date"].to_list(), chosen["initial_category"].to_list()):
        ctx.key.add("discontinued_code", "cp_plans", i, "initial_category", _month(s),
                    detail=f"MUL (discontinued at cut-over; was {old})")
    ctx.touch("cp_plans", ids)
    return t


def future_dates(t: dict[str, pl.DataFrame], ctx: Context) -> dict[str, pl.DataFrame]:
    """Dates after the extract date (the end of the window + 30 days)."""
    rng, x = ctx.rng("future_dates"), ctx.params.extract_date
    linked = pl.concat([t["assessments"]["referral_id"], t["cin_episodes"]["referral_id"]]).drop_nulls()
    spec = (("referrals", "referral_date", ~pl.col("referral_id").is_in(linked.unique().sort().to_list())),
            ("assessments", "assessment_authorised_date", pl.col("assessment_authorised_date").is_null()),
            ("cin_episodes", "cin_closure_date", pl.col("cin_closure_date").is_null()),
            ("cp_plans", "cp_plan_end_date", pl.col("cp_plan_end_date").is_null()))
    for table, column, cond in spec:
        idc = TABLES[table].id_column
        chosen = _pick(rng, t[table].filter(cond & ctx.untouched(table)), 0.01)
        ids = chosen[idc].to_list()
        values = [x + timedelta(days=int(d)) for d in rng.integers(1, 366, len(ids))]
        t[table] = _set(t[table], table, ids, column, values)
        for i, v in zip(ids, values):
            ctx.key.add("future_dates", table, i, column, _month(v), detail=f"{v} after extract date {x}")
        ctx.touch(table, ids)
    t["referrals"] = _resort(t["referrals"], "referrals")
    return t


UNPARSEABLE = ("31/02/{y}", "unknown", "TBC", "00/00/0000", "{y}-13-01", "30/02/{y}")
UNPARSEABLE_COLUMNS = (("referrals", "referral_date"), ("cin_episodes", "cin_start_date"),
                       ("cp_plans", "cp_plan_end_date"), ("missing_episodes", "missing_start_datetime"),
                       ("return_interviews", "rhi_offered_date"), ("children", "date_of_birth"))


def unparseable_dates(t: dict[str, pl.DataFrame], ctx: Context) -> dict[str, pl.DataFrame]:
    """Text that is not a date in date columns of the written CSV/XLSX files.

    The tables keep the true dates; the writers put the text in and record file and row.
    """
    rng = ctx.rng("unparseable_dates")
    n = 0
    for table, column in UNPARSEABLE_COLUMNS:
        idc = TABLES[table].id_column
        chosen = _pick(rng, t[table].filter(pl.col(column).is_not_null() & ctx.untouched(table)),
                       0.003, minimum=2)
        for i, v in zip(chosen[idc].to_list(), chosen[column].to_list()):
            text = UNPARSEABLE[n % len(UNPARSEABLE)].format(y=v.year)
            n += 1
            ctx.overrides[(table, i, column)] = text
        ctx.touch(table, chosen[idc].to_list())
    return t


#: artefact name -> function, in the order they are applied
ARTEFACTS: dict[str, Callable[[dict[str, pl.DataFrame], Context], dict[str, pl.DataFrame]]] = {
    "cutover_gap": cutover_gap,
    "duplicate_migration": duplicate_migration,
    "placeholder_dates": placeholder_dates,
    "end_before_start": end_before_start,
    "overlapping_plans": overlapping_plans,
    "orphan_rhi": orphan_rhi,
    "mismatched_rhi": mismatched_rhi,
    "rhi_completed_not_accepted": rhi_completed_not_accepted,
    "rhi_completed_before_return": rhi_completed_before_return,
    "invalid_codes": invalid_codes,
    "code_drift": code_drift,
    "discontinued_code": discontinued_code,
    "unparseable_dates": unparseable_dates,
    "future_dates": future_dates,
}


def apply_artefacts(tables: dict[str, pl.DataFrame], ctx: Context,
                    names: Iterable[str]) -> dict[str, pl.DataFrame]:
    """Apply the named artefacts (already validated) in registry order."""
    wanted = set(names)
    for name, fn in ARTEFACTS.items():
        if name in wanted:
            tables = fn(tables, ctx)
    return tables
