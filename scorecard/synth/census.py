"""The CIN census return an LA would make from the synthetic history: one census year (the last
of the window), as the DfE asks for it.

The canonical tables keep the case-management system's view; the census has the DfE's:

* the return covers one year: blocks (CINdetails) open at some point in it, and within them the
  assessments, CIN plans, S47 enquiries and CP plans open in it and the reviews held in it;
* every referral is a block: a referral with no further action is an NFA block; a referral that
  led to an assessment but no CIN episode in the history is a block closed at the assessment
  (``RC8``/``RC9``; ``RC7`` where there was no assessment), with a primary need code drawn from
  the DfE mix; a referral made while the child's case was already open belongs to that block and
  is not written again, and neither is one that would overlap another block;
* an initial child protection conference falls on a working day: a plan whose start (so its
  conference) falls on a weekend or bank holiday in the history is written as starting on the
  next working day, with its conference.

Everything else is exactly the canonical records.
"""
from __future__ import annotations

from datetime import timedelta

import duckdb
import numpy as np
import polars as pl

from .simulate import PRIMARY_NEED, Params, _bank_holidays

__all__ = ["census_return"]


def census_return(tables: dict[str, pl.DataFrame], p: Params) -> dict[str, pl.DataFrame]:
    """The tables of the census return for the last year of ``p``'s window (see the module)."""
    rng = np.random.default_rng(np.random.SeedSequence([p.seed, p.la_code, 20_240_331]))
    end = p.window_end                                      # 31 March: the reference date
    start = end.replace(year=end.year - 1) + timedelta(days=1)   # 1 April: the census year starts
    con = duckdb.connect()
    for name, df in tables.items():
        con.register(f"t_{name}", df)
    params = {"cs": start, "rd": end}

    # blocks closed at assessment for referrals that led to no episode
    extra = con.sql("""
        with ref as (
            select r.*, a.assessment_id, a.assessment_authorised_date as auth
            from t_referrals r left join t_assessments a using (referral_id)
            where not coalesce(r.referral_nfa, false)
                and r.referral_id not in (select referral_id from t_cin_episodes where referral_id is not null)
        )
        select referral_id, child_id, referral_date as cin_start_date, assessment_id,
            case when assessment_id is null then referral_date + 3 else auth end as cin_closure_date
        from ref order by referral_id""").pl()
    n = extra.height
    reasons = np.where(extra["assessment_id"].is_null().to_numpy(), "RC7",
                       np.where(rng.random(n) < 0.55, "RC8", "RC9"))
    keys = np.array(list(PRIMARY_NEED), dtype=object)
    weights = np.array(list(PRIMARY_NEED.values()))
    need = keys[rng.choice(len(keys), n, p=weights / weights.sum())]
    extra = extra.with_columns(
        (pl.lit("CENSUS-") + pl.col("referral_id")).alias("cin_episode_id"),
        pl.Series("reason_for_closure", reasons, dtype=pl.Utf8),
        pl.Series("primary_need_code", need, dtype=pl.Utf8))
    extra = extra.with_columns(
        pl.when(pl.col("cin_closure_date") <= end).then(pl.col("cin_closure_date")).alias("cin_closure_date"))
    extra = extra.with_columns(
        pl.when(pl.col("cin_closure_date").is_not_null()).then(pl.col("reason_for_closure")).alias("reason_for_closure"))
    con.register("t_extra", extra)

    # every block: the history's episodes, the episodes closed at assessment, the NFA referrals;
    # a block inside (or overlapping) an earlier one of the child is left out
    blocks = con.sql("""
        with all_blocks as (
            select cin_episode_id as block_id, child_id, referral_id, cin_start_date as s,
                coalesce(cin_closure_date, date '9999-12-31') as e, 0 as rank from t_cin_episodes
            union all
            select cin_episode_id, child_id, referral_id, cin_start_date,
                coalesce(cin_closure_date, date '9999-12-31'), 1 from t_extra
            union all
            select 'NFA-' || referral_id, child_id, referral_id, referral_date, referral_date, 2
            from t_referrals where coalesce(referral_nfa, false)
        ),
        clash as (
            select distinct b.block_id from all_blocks b join all_blocks a
                on a.child_id = b.child_id and a.block_id <> b.block_id
                and (a.rank < b.rank or (a.rank = b.rank and (a.s, a.block_id) < (b.s, b.block_id)))
                and b.s <= a.e and a.s <= b.e
        )
        select * from all_blocks
        where block_id not in (select block_id from clash where block_id in
                               (select block_id from all_blocks where rank > 0))
            and s <= $rd and e >= $cs""", params=params).pl()
    con.register("t_blocks", blocks)
    keep_ep = set(blocks.filter(pl.col("rank") == 0)["block_id"].to_list())
    keep_extra = set(blocks.filter(pl.col("rank") == 1)["block_id"].to_list())
    keep_ref = set(blocks["referral_id"].drop_nulls().to_list())

    out: dict[str, pl.DataFrame] = {}
    episodes = tables["cin_episodes"].filter(pl.col("cin_episode_id").is_in(sorted(keep_ep)))
    derived = extra.filter(pl.col("cin_episode_id").is_in(sorted(keep_extra)))
    derived = derived.with_columns(pl.lit(False).alias("referral_nfa"),
                                   pl.lit(None, dtype=pl.Date).alias("icpc_date"),
                                   pl.lit(None, dtype=pl.Utf8).alias("source_system"),
                                   pl.lit(None, dtype=pl.Utf8).alias("legacy_id"))
    out["cin_episodes"] = pl.concat([episodes, derived.select(episodes.columns)])
    out["referrals"] = tables["referrals"].filter(pl.col("referral_id").is_in(sorted(keep_ref)))
    link = dict(zip(derived["assessment_id"].drop_nulls().to_list(),
                    derived.filter(pl.col("assessment_id").is_not_null())["cin_episode_id"].to_list()))
    ep_ids = sorted(set(out["cin_episodes"]["cin_episode_id"].to_list()))
    ass = tables["assessments"].with_columns(
        pl.coalesce(pl.col("cin_episode_id"),
                    pl.col("assessment_id").replace_strict(link, default=None, return_dtype=pl.Utf8))
        .alias("cin_episode_id"))
    out["assessments"] = ass.filter(pl.col("cin_episode_id").is_in(ep_ids)
                                    & (pl.col("assessment_start_date") <= end)
                                    & (pl.col("assessment_authorised_date").is_null()
                                       | (pl.col("assessment_authorised_date") >= start)))
    out["cin_plans"] = tables["cin_plans"].filter(
        pl.col("cin_episode_id").is_in(ep_ids) & (pl.col("cin_plan_start_date") <= end)
        & (pl.col("cin_plan_end_date").is_null() | (pl.col("cin_plan_end_date") >= start)))
    out["s47_enquiries"] = tables["s47_enquiries"].filter(
        pl.col("cin_episode_id").is_in(ep_ids) & (pl.col("s47_start_date") <= end)
        & ((pl.col("s47_start_date") >= start) | (pl.col("icpc_date") >= start)
           | (pl.col("icpc_date").is_null() & ~pl.col("icpc_not_required"))))
    plans = tables["cp_plans"].filter(
        pl.col("cin_episode_id").is_in(ep_ids) & (pl.col("cp_plan_start_date") <= end)
        & (pl.col("cp_plan_end_date").is_null() | (pl.col("cp_plan_end_date") >= start)))
    out["cp_reviews"] = tables["cp_reviews"].filter(
        pl.col("cp_plan_id").is_in(plans["cp_plan_id"].to_list())
        & pl.col("cp_review_date").is_between(start, end))

    # conferences on working days: move a plan (and its conference) off a weekend or holiday
    hols = _bank_holidays(start - timedelta(days=800), end + timedelta(days=10))
    days = plans["cp_plan_start_date"].to_numpy().astype("datetime64[D]")
    moved = np.busday_offset(days, 0, roll="forward", holidays=hols)
    moved_dates = pl.Series("new_start", moved).cast(pl.Date)
    out["cp_plans"] = plans.with_columns(moved_dates.alias("cp_plan_start_date"))
    changed = plans.with_columns(moved_dates).filter(pl.col("new_start") != pl.col("cp_plan_start_date"))
    pairs = changed.select("cin_episode_id", pl.col("cp_plan_start_date").alias("icpc_date"), "new_start")
    out["s47_enquiries"] = out["s47_enquiries"].join(pairs, on=["cin_episode_id", "icpc_date"], how="left",
                                                     maintain_order="left").with_columns(
        pl.coalesce("new_start", "icpc_date").alias("icpc_date")).drop("new_start")

    kids = set(out["cin_episodes"]["child_id"].to_list()) | set(out["referrals"]["child_id"].to_list())
    out["children"] = tables["children"].filter(pl.col("child_id").is_in(sorted(kids)))
    return {name: out[name] for name in ("children", "referrals", "cin_episodes", "assessments",
                                         "cin_plans", "s47_enquiries", "cp_plans", "cp_reviews")}
