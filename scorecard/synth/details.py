"""The whole-census details of a simulated history: child details, assessment factors, section 47
enquiries and conferences, CIN plans and child protection plan reviews.

:func:`add_details` works on the clean tables :func:`scorecard.synth.simulate.simulate` made and
never changes a value they already hold (so every metric of the original tables is unchanged),
with a random stream of its own. The model:

* every child gets a UPN with a valid check letter once of school age (under-fives: ``UN1``; a
  few older children ``UN3``/``UN5``), a few a former UPN; most children ``NONE`` for disability,
  some one to three disability codes; a child whose last episode closed ``RC2`` (died) gets that
  day as date of death;
* every authorised assessment records the factors identified (``21`` "no factors" alone for some
  assessments that closed the case); assessments and CP plans link to their CIN episode; a plan's
  ``number_of_previous_cpp`` counts the child's earlier plans;
* a strategy discussion starts a section 47 enquiry; every CP plan starts at its initial child
  protection conference (ICPC), which mostly follows the strategy discussion within 15 working
  days and sometimes later; some enquiries lead to a conference but no plan, more need no
  conference (``icpc_not_required``); the conference target is 15 working days after the start;
* a CIN plan runs from shortly after the assessment to the end of the episode, stopping while
  the child is on a CP plan (ending the day the plan starts, restarting the day it ends);
  episodes closed at assessment (``RC8``/``RC9``) have no plan and no enquiry;
* CP plans are reviewed about three months after the conference, then about every six months
  (a few reviews late).

Nothing is dated after the end of the window; ids follow the system that created the record.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from ..schema import TABLES

__all__ = ["add_details", "upn_check_letter"]

EPOCH = date(1970, 1, 1)
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"

P_DISABLED = 0.13
DISABILITIES = {"LD": 30.0, "AUT": 25.0, "COMM": 14.0, "BEH": 12.0, "MOB": 6.0, "HAND": 2.0, "PC": 3.0,
                "INC": 2.0, "HEAR": 2.0, "VIS": 2.0, "CON": 1.0, "DDA": 6.0}
FACTORS = {"3B": 14.0, "4B": 13.0, "3A": 9.0, "16A": 7.0, "17A": 7.0, "2B": 6.0, "1B": 5.0, "4A": 6.0,
           "5B": 2.0, "6B": 2.0, "14A": 3.0, "15A": 3.0, "10A": 2.0, "11A": 2.0, "24A": 2.0, "13A": 1.0,
           "18C": 2.0, "18B": 1.0, "19C": 1.0, "19B": 0.5, "2A": 2.0, "1A": 1.0, "5A": 1.0, "6A": 1.0,
           "7A": 1.0, "20": 3.0, "3C": 1.0, "4C": 1.0, "2C": 0.5, "1C": 0.5, "9A": 0.3, "22A": 0.1,
           "23A": 0.1, "12A": 0.2, "8F": 0.1}
P_NO_FACTORS = 0.25          # of assessments that closed the case (RC8/RC9): factor "21" alone
P_REVIEW_DATE = 0.05         # assessments with an internal review date
P_S47_NO_CONFERENCE = 0.55   # of episodes with a plan of support and no CP plan
P_CONFERENCE_NO_PLAN = 0.08  # ... of which a conference was held but no plan followed
P_ICPC_LATE = 0.18           # conferences more than 15 working days after the strategy discussion
P_REVIEW_LATE = 0.06
P_CIN_PLAN = 0.92
CLOSED_AT_ASSESSMENT = ("RC8", "RC9")


def upn_check_letter(digits12: str) -> str:
    """The check letter of a UPN whose characters 2-13 are ``digits12``: each digit times its
    position (2-13), summed, modulo 23, as a letter of ``ABCDEFGHJKLMNPQRTUVWXYZ``."""
    return UPN_LETTERS[sum(int(d) * w for d, w in zip(digits12, range(2, 14))) % 23]


def _days(col: pl.Series) -> np.ndarray:
    """A Date column as day numbers (null -> a large sentinel)."""
    return col.cast(pl.Int32).fill_null(np.iinfo(np.int32).max).to_numpy().astype(np.int64)


def _choice(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _codes(rng: np.random.Generator, weights: dict[str, float], counts: np.ndarray) -> list[str | None]:
    """Space-separated distinct codes, ``counts[i]`` of them (None for 0), drawn by weight without
    replacement (the Gumbel top-k trick, vectorised) and listed in the order of ``weights``."""
    keys = np.array(list(weights), dtype=object)
    logp = np.log(np.array(list(weights.values()), dtype=float))
    counts = np.minimum(np.asarray(counts, dtype=np.int64), len(keys))
    out = np.full(len(counts), None, dtype=object)
    for k in range(1, int(counts.max(initial=0)) + 1):
        rows = np.nonzero(counts == k)[0]
        for lo in range(0, len(rows), 100_000):
            part = rows[lo:lo + 100_000]
            g = logp - np.log(-np.log(rng.random((len(part), len(keys)))))
            top = np.sort(np.argsort(-g, axis=1)[:, :k], axis=1)
            text = keys[top[:, 0]].astype(str)
            for j in range(1, k):
                text = np.char.add(np.char.add(text, " "), keys[top[:, j]].astype(str))
            out[part] = text
    return out.tolist()


def _busday(days: np.ndarray, offset: np.ndarray | int, hols: np.ndarray, roll: str = "forward") -> np.ndarray:
    return np.busday_offset(days.astype("datetime64[D]"), offset, roll=roll,
                            holidays=hols).astype(np.int64)


def add_details(tables: dict[str, pl.DataFrame], p, ids, hols: np.ndarray) -> dict[str, pl.DataFrame]:
    """``tables`` with the census details added (see the module docstring).

    :param p: the :class:`~scorecard.synth.simulate.Params`; :param ids: the id allocator;
    :param hols: England and Wales bank holidays (``datetime64[D]``).
    """
    from .simulate import _frame, _number

    rng = np.random.default_rng(np.random.SeedSequence([p.seed, p.la_code, 20_231_013]))
    d_end = (p.window_end - EPOCH).days
    d_cut = (p.cutover - EPOCH).days
    t = dict(tables)

    # ---- episodes, their assessment and CP plan ------------------------------------------
    # (the model's frames carry the extension columns blank: they are filled here)
    cin = t["cin_episodes"].with_columns(pl.lit(False).alias("referral_nfa"))
    t["cin_episodes"] = cin.select(TABLES["cin_episodes"].column_names)
    t["assessments"] = t["assessments"].drop("cin_episode_id", "assessment_internal_review_date",
                                             "assessment_factors")
    t["cp_plans"] = t["cp_plans"].drop("cin_episode_id", "number_of_previous_cpp")
    ass = t["assessments"].join(cin.select("referral_id", "cin_episode_id", "reason_for_closure"),
                                on="referral_id", how="left", maintain_order="left")
    plans = t["cp_plans"].join(
        cin.select("child_id", "cin_episode_id", "cin_start_date", "cin_closure_date"), on="child_id",
        how="left", maintain_order="left",
    ).filter((pl.col("cin_start_date") <= pl.col("cp_plan_start_date"))
             & (pl.col("cin_closure_date").is_null()
                | (pl.col("cin_closure_date") >= pl.col("cp_plan_start_date"))))
    plans = plans.sort("cin_start_date").group_by("cp_plan_id", maintain_order=True).last()
    plan_episode = dict(zip(plans["cp_plan_id"].to_list(), plans["cin_episode_id"].to_list()))
    cp = t["cp_plans"].with_columns(
        pl.col("cp_plan_id").replace_strict(plan_episode, default=None, return_dtype=pl.Utf8)
        .alias("cin_episode_id"),
        (pl.col("cp_plan_start_date").rank("ordinal").over("child_id") - 1).cast(pl.Utf8)
        .alias("number_of_previous_cpp"))
    t["cp_plans"] = cp.select(TABLES["cp_plans"].column_names)

    # ---- assessments: episode, review date, factors ---------------------------------------
    n_a = ass.height
    authorised = ass["assessment_authorised_date"].is_not_null().to_numpy()
    closed_at_ass = ass["reason_for_closure"].is_in(list(CLOSED_AT_ASSESSMENT)).fill_null(False).to_numpy()
    counts = np.where(authorised, rng.choice([1, 2, 3, 4], n_a, p=[0.35, 0.35, 0.2, 0.1]), 0)
    factors = _codes(rng, FACTORS, counts)
    none = authorised & closed_at_ass & (rng.random(n_a) < P_NO_FACTORS)
    factors = ["21" if z else f for z, f in zip(none, factors)]
    a_start, a_auth = _days(ass["assessment_start_date"]), _days(ass["assessment_authorised_date"])
    span = np.where(authorised, a_auth - a_start, 0)
    review = authorised & (span >= 10) & (rng.random(n_a) < P_REVIEW_DATE)
    review_day = a_start + (rng.random(n_a) * np.maximum(span - 1, 1)).astype(np.int64) + 1
    t["assessments"] = ass.with_columns(
        pl.Series("assessment_internal_review_date", np.where(review, review_day, 0)).cast(pl.Int32)
        .cast(pl.Date).zip_with(pl.Series(review), pl.Series([None] * n_a, dtype=pl.Date)),
        pl.Series("assessment_factors", factors, dtype=pl.Utf8),
    ).select(TABLES["assessments"].column_names)

    # ---- per episode: what happened inside it ----------------------------------------------
    ep = cin.join(ass.filter(pl.col("cin_episode_id").is_not_null())
                  .select("cin_episode_id", "assessment_authorised_date"),
                  on="cin_episode_id", how="left", maintain_order="left") \
        .join(plans.select("cin_episode_id", "cp_plan_start_date", "cp_plan_end_date")
              .unique("cin_episode_id", keep="first", maintain_order=True),
              on="cin_episode_id", how="left", maintain_order="left")
    n_e = ep.height
    e_id = ep["cin_episode_id"].to_numpy().astype(object)
    e_child = ep["child_id"].to_numpy().astype(object)
    e_start, e_close = _days(ep["cin_start_date"]), _days(ep["cin_closure_date"])
    e_auth = _days(ep["assessment_authorised_date"])
    c_start, c_end = _days(ep["cp_plan_start_date"]), _days(ep["cp_plan_end_date"])
    has_cp = ep["cp_plan_start_date"].is_not_null().to_numpy()
    at_ass = ep["reason_for_closure"].is_in(list(CLOSED_AT_ASSESSMENT)).fill_null(False).to_numpy()
    supported = ~at_ass & (e_auth <= d_end)          # a plan of support follows the assessment
    last = np.minimum(e_close, d_end)                 # the last day anything can happen

    # section 47 enquiries: one before every CP plan; others in supported episodes
    k = np.where(rng.random(n_e) < P_ICPC_LATE, rng.integers(16, 31, n_e), rng.integers(4, 16, n_e))
    s_cp = np.maximum(_busday(np.where(has_cp, c_start, e_start), -k, hols, roll="backward"), e_start)
    other = supported & ~has_cp & (rng.random(n_e) < P_S47_NO_CONFERENCE)
    s_other = _busday(e_start + rng.integers(1, 40, n_e), 0, hols)
    conf = other & (rng.random(n_e) < P_CONFERENCE_NO_PLAN / P_S47_NO_CONFERENCE)
    icpc_other = _busday(s_other, k, hols)
    other &= s_other <= last
    conf_held = conf & other & (icpc_other <= last)
    pending = conf & other & ~conf_held & (e_close > d_end)   # conference still to come
    other &= ~conf | conf_held | pending
    sel = has_cp | other
    s_start = np.where(has_cp, s_cp, s_other)[sel]
    s_icpc = np.where(has_cp, c_start, np.where(conf_held, icpc_other, 0))[sel]
    s_has_icpc = (has_cp | conf_held)[sel]
    s_not_required = (other & ~conf)[sel]
    target = _busday(s_start, 15, hols, roll="backward")   # 15 working days after the start
    s47_id = _number("s47_enquiries", s_start, s_start, d_cut, ids)
    t["s47_enquiries"] = _frame("s47_enquiries", {
        "s47_id": s47_id, "child_id": e_child[sel], "cin_episode_id": e_id[sel],
        "s47_start_date": s_start, "icpc_target_date": target, "icpc_date": s_icpc,
        "icpc_not_required": s_not_required},
        null={"icpc_date": ~s_has_icpc, "icpc_target_date": target > d_end}, mosaic=s_start >= d_cut)

    # CIN plans: from shortly after the assessment to the end of the episode, paused by a CP plan
    p_start = _busday(np.minimum(e_auth, d_end) + rng.integers(1, 8, n_e), 0, hols)
    want = supported & (rng.random(n_e) < P_CIN_PLAN)
    before = want & (p_start < np.where(has_cp, c_start, last))
    before_end = np.where(has_cp, c_start, e_close)
    after = want & has_cp & (c_end <= d_end) & (c_end < e_close)
    rows_start = np.concatenate([p_start[before], c_end[after]])
    rows_end = np.concatenate([before_end[before], e_close[after]])
    rows_ep = np.concatenate([e_id[before], e_id[after]])
    rows_child = np.concatenate([e_child[before], e_child[after]])
    plan_id = _number("cin_plans", rows_start, rows_start, d_cut, ids)
    t["cin_plans"] = _frame("cin_plans", {
        "cin_plan_id": plan_id, "child_id": rows_child, "cin_episode_id": rows_ep,
        "cin_plan_start_date": rows_start, "cin_plan_end_date": np.minimum(rows_end, d_end)},
        null={"cin_plan_end_date": rows_end > d_end}, mosaic=rows_start >= d_cut)

    # CP plan reviews: about 3 months after the conference, then about every 6 months
    cpp = t["cp_plans"]
    r_plan, r_child, r_day = [], [], []
    p_ids = cpp["cp_plan_id"].to_numpy().astype(object)
    p_child = cpp["child_id"].to_numpy().astype(object)
    p_first, p_stop = _days(cpp["cp_plan_start_date"]), np.minimum(_days(cpp["cp_plan_end_date"]), d_end + 1)
    due = p_first + 88
    for _ in range(12):
        late = rng.random(len(due)) < P_REVIEW_LATE
        day = _busday(due + np.where(late, rng.integers(8, 30, len(due)), rng.integers(-6, 1, len(due))), 0, hols)
        ok = (day < p_stop) & (day <= d_end) & (day > p_first)
        if not ok.any():
            break
        r_plan.append(p_ids[ok])
        r_child.append(p_child[ok])
        r_day.append(day[ok])
        due = np.where(ok, day + 180, np.iinfo(np.int32).max // 2)
    r_day_a = np.concatenate(r_day) if r_day else np.array([], dtype=np.int64)
    review_id = _number("cp_reviews", r_day_a, r_day_a, d_cut, ids)
    t["cp_reviews"] = _frame("cp_reviews", {
        "cp_review_id": review_id, "child_id": np.concatenate(r_child) if r_child else np.array([], object),
        "cp_plan_id": np.concatenate(r_plan) if r_plan else np.array([], object), "cp_review_date": r_day_a},
        mosaic=r_day_a >= d_cut)

    t["children"] = _child_details(t, p, rng)
    return t


def _child_details(t: dict[str, pl.DataFrame], p, rng: np.random.Generator) -> pl.DataFrame:
    """``children`` with UPN, former UPN, UPN-unknown reason, date of death and disabilities."""
    kids = t["children"]
    n = kids.height
    end = (p.window_end - EPOCH).days
    dob = _days(kids["date_of_birth"])
    age = (end - dob) / 365.25
    school = age >= 5
    no_upn = school & (rng.random(n) < 0.02)
    number = kids["child_id"].str.slice(1).cast(pl.Int64, strict=False).fill_null(
        pl.Series(np.arange(n, dtype=np.int64))).to_numpy()

    def upn(la: int, serial: np.ndarray) -> np.ndarray:
        """UPNs: LA code, an 8-digit serial, a random digit, and the check letter first."""
        digits12 = np.char.add(np.char.add(f"{la:03d}", np.char.zfill((serial % 10**8).astype(str), 8)),
                               rng.integers(0, 10, len(serial)).astype(str))
        d = np.frombuffer("".join(digits12.tolist()).encode(), dtype=np.uint8).reshape(-1, 12) - ord("0") \
            if len(serial) else np.zeros((0, 12), dtype=np.int64)
        check = np.array(list(UPN_LETTERS))[(d.astype(np.int64) * np.arange(2, 14)).sum(axis=1) % 23]
        return np.char.add(check, digits12).astype(object)

    upns = upn(p.la_code, number)
    former = upn(881 if p.la_code != 881 else 880, number * 7 + 13)
    has_former = school & ~no_upn & (rng.random(n) < 0.03)
    unknown = np.where(school, np.where(rng.random(n) < 0.5, "UN3", "UN5"), "UN1").astype(object)
    disabled = rng.random(n) < P_DISABLED
    counts = np.where(disabled, rng.choice([1, 2, 3], n, p=[0.7, 0.22, 0.08]), 0)
    disabilities = [d or "NONE" for d in _codes(rng, DISABILITIES, counts)]

    # a child whose last episode closed because the child died: the closure day is the death
    died = t["cin_episodes"].filter(pl.col("reason_for_closure") == "RC2").select(
        "child_id", pl.col("cin_closure_date").alias("death"))
    dated = [t[name].select("child_id", pl.col(TABLES[name].date_column).cast(pl.Date).alias("d"))
             for name in ("contacts", "referrals", "assessments", "cin_episodes", "cp_plans",
                          "missing_episodes", "return_interviews")]
    lasts = pl.concat(dated).group_by("child_id").agg(pl.col("d").max().alias("last"))
    died = died.join(lasts, on="child_id", how="left").filter(pl.col("death") >= pl.col("last"))
    death = kids.select("child_id").join(died.select("child_id", "death").unique("child_id"),
                                          on="child_id", how="left", maintain_order="left")["death"]
    return kids.with_columns(
        pl.Series("upn", np.where(school & ~no_upn, upns, None).tolist(), dtype=pl.Utf8),
        pl.Series("former_upn", np.where(has_former, former, None).tolist(), dtype=pl.Utf8),
        pl.Series("upn_unknown", np.where(~school | no_upn, unknown, None).tolist(), dtype=pl.Utf8),
        pl.lit(None, dtype=pl.Date).alias("expected_date_of_birth"),
        death.alias("date_of_death"),
        pl.Series("disabilities", disabilities, dtype=pl.Utf8),
    ).select(TABLES["children"].column_names)
