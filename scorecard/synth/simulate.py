"""Record-level histories for one local authority, vectorised with numpy and polars.

The model (one ``scale`` unit resembles Barnsley 2022/23):

* children arrive at the front door as *referral chains*: a child's first referral, then
  (with probability ``P_MORE_REFERRALS`` each time) another one after a gap that is
  mostly under a year, which gives about 20 % re-referrals within 12 months;
* every referral comes from a contact (decision at the referral date); further contacts
  end in early help, advice or no further action;
* most referrals lead to an assessment and a child-in-need episode that starts at the
  referral date; a referral while the child's episode is still open adds no episode, so
  a child never holds two overlapping CIN episodes;
* some episodes lead to a child protection plan (more likely when the child had one
  before, which gives about 20 % repeat plans); the episode stays open until the plan ends,
  so plans never overlap either;
* each financial year about 340 children aged 10-17 go missing about 2.5 times each;
  returned episodes get a return home interview offer.

The history starts five years before the reporting window so that open cases and
earlier plans look settled; the output keeps one look-back year before the window (for
re-referrals) plus every older record a kept record needs (open episodes and plans,
earlier plans of the same child, the referral each episode follows).
Nothing is dated after the end of the window.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import polars as pl

from ..schema import TABLES

__all__ = ["Params", "Simulation", "simulate", "MAIN_DATE", "EPOCH"]

EPOCH = date(1970, 1, 1)
DAY = 86_400

#: the column that dates a record (its creation in the case-management system)
MAIN_DATE = {**{t.name: t.date_column for t in TABLES.values() if t.date_column},
             "children": "date_of_birth"}

# --- calibration (scale = 1.0; Barnsley 2022/23 and DfE CIN/CP statistics) -------------
REFERRALS_PER_YEAR = 3380.0
P_PRONE = 0.2                     # children whose needs escalate (more referrals, CP plans)
P_MORE_REFERRALS = (0.40, 0.52)   # chance a chain continues with another referral (other, prone)
P_GAP_UNDER_A_YEAR = 0.66         # share of re-referral gaps under 12 months
P_AFTER_CLOSURE = 0.7             # a re-referral due while the case is open comes after closure
OTHER_CONTACTS_PER_REFERRAL = 1.5
P_NFA = 0.04
P_ASSESSMENT = 0.92
P_ASSESSMENT_IN_45WD = 0.86
P_CIN = 0.72                      # of referrals that are not NFA
P_CIN_SHORT = 0.35                # episodes closed soon after assessment
CIN_LONG_MEDIAN_DAYS, CIN_LONG_SIGMA = 215.0, 0.95
P_CP_FIRST = (0.075, 0.48)         # (other, prone) children, first plan
P_CP_REPEAT = (0.65, 0.95)        # after an earlier plan
CP_MEDIAN_DAYS, CP_SIGMA = 205.0, 0.72
MISSING_CHILDREN_PER_YEAR = 340.0
MISSING_EXTRA_EPISODES_N, MISSING_EXTRA_EPISODES_P = 0.45, 0.22   # 1 + NB: mean ~2.6
P_LOOKED_AFTER = 0.35
P_RHI_RECORD, P_RHI_OFFERED, P_RHI_ACCEPTED, P_RHI_IN_72H = 0.97, 0.97, 0.78, 0.76

REFERRAL_SOURCES = {
    "6": 27.2, "2A": 18.0, "2B": 3.5, "3A": 3.0, "3B": 2.5, "3C": 0.5, "3D": 2.0, "3E": 4.0,
    "3F": 2.4, "5A": 4.0, "5B": 3.0, "5C": 2.0, "5D": 4.0, "1A": 4.0, "1B": 1.0, "1C": 1.5,
    "1D": 1.5, "7": 3.0, "4": 3.0, "8": 6.0, "9": 3.0, "10": 1.0,
}
PRIMARY_NEED = {"N0": 1.2, "N1": 72.0, "N2": 5.5, "N3": 1.0, "N4": 3.0, "N5": 8.0, "N6": 2.0,
                "N7": 0.3, "N8": 3.5, "N9": 3.5}
CLOSE_SHORT = {"RC8": 55.0, "RC9": 45.0}
CLOSE_LONG = {"RC7": 74.0, "RC5": 8.0, "RC6": 5.0, "RC4": 4.0, "RC3": 4.0, "RC9": 3.0,
              "RC1": 1.5, "RC2": 0.5}
CP_BEFORE = {"NEG": 40.0, "EMO": 35.0, "MUL": 13.0, "SAB": 7.0, "PHY": 5.0}
CP_AFTER = {"NEG": 45.0, "EMO": 41.0, "SAB": 8.0, "PHY": 6.0}   # MUL discontinued at cut-over
ETHNICITY = {"WBRI": 86.0, "WOTH": 3.0, "WIRT": 0.2, "MWBC": 1.5, "MWBA": 0.5, "MWAS": 0.5,
             "MOTH": 1.0, "AIND": 0.5, "APKN": 0.5, "AOTH": 0.5, "BAFR": 0.8, "BCRB": 0.2,
             "CHNE": 0.3, "OOTH": 1.0, "NOBT": 1.0, "REFU": 0.6}
SEX = {"M": 51.0, "F": 48.0, "U": 1.0}
CONTACT_OUTCOMES = {"Early help": 35.0, "Information & advice – no further action": 45.0,
                    "Signposted to universal services": 20.0}
REFERRAL_OUTCOME = "Referral to children's social care"

#: per-table base of the numeric (Mosaic-style) ids; TED ids are "TED-<letter>-000123"
ID_LETTERS = {"contacts": "C", "referrals": "R", "assessments": "A", "cin_episodes": "E",
              "cp_plans": "P", "missing_episodes": "M", "return_interviews": "H"}
MOSAIC_ORDER = ("contacts", "referrals", "assessments", "cin_episodes", "cp_plans",
                "missing_episodes", "return_interviews")


@dataclass(frozen=True)
class Params:
    """Validated generation parameters (see :func:`scorecard.synth.generate`)."""

    la_code: int
    start_year: int
    years: int
    seed: int
    scale: float
    cutover: date

    @property
    def window_start(self) -> date:
        return date(self.start_year, 4, 1)

    @property
    def window_end(self) -> date:
        return date(self.start_year + self.years, 3, 31)

    @property
    def history_start(self) -> date:
        """Start of the look-back year kept before the window."""
        return date(self.start_year - 1, 4, 1)

    @property
    def sim_start(self) -> date:
        return date(self.start_year - 5, 4, 1)

    @property
    def extract_date(self) -> date:
        """The day the extract was taken; anything later is a future date."""
        return self.window_end + timedelta(days=30)


@dataclass
class IdAllocator:
    """Hands out fresh record ids in the style of the system a record was created in."""

    width: int
    next_ted: dict[str, int] = field(default_factory=dict)
    next_mosaic: dict[str, int] = field(default_factory=dict)

    def base(self, table: str) -> int:
        return (MOSAIC_ORDER.index(table) + 1) * 10 ** self.width

    def new(self, table: str, mosaic: bool) -> str:
        """A new id for ``table``: numeric for Mosaic, ``TED-X-nnnnnn`` for TED."""
        if mosaic:
            n = self.next_mosaic[table]
            self.next_mosaic[table] = n + 1
            return str(self.base(table) + n)
        n = self.next_ted[table]
        self.next_ted[table] = n + 1
        return f"TED-{ID_LETTERS[table]}-{n:06d}"


@dataclass
class Simulation:
    """The clean tables plus what artefacts need to know about them."""

    params: Params
    tables: dict[str, pl.DataFrame]
    ids: IdAllocator


# ----------------------------------------------------------------------------- helpers
def _day(d: date) -> int:
    return (d - EPOCH).days


def _choice(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _bank_holidays(first: date, last: date) -> np.ndarray:
    import holidays  # imported here: only generation needs it

    hols = holidays.country_holidays("GB", subdiv="ENG", years=range(first.year, last.year + 1))
    return np.array(sorted(hols), dtype="datetime64[D]")


def _ids(table: str, seq: np.ndarray, mosaic: np.ndarray, width: int) -> pl.Series:
    """Ids for records numbered ``seq`` within their system (TED or Mosaic)."""
    s = pl.DataFrame({"n": seq, "m": mosaic})
    base = (MOSAIC_ORDER.index(table) + 1) * 10 ** width
    out = s.select(
        pl.when(pl.col("m"))
        .then((pl.col("n") + base).cast(pl.Utf8))
        .otherwise(pl.lit(f"TED-{ID_LETTERS[table]}-") + pl.col("n").cast(pl.Utf8).str.zfill(6))
    ).to_series()
    return out


def _number(table: str, order_key: np.ndarray, created_day: np.ndarray, cutover: int,
            ids: IdAllocator) -> np.ndarray:
    """Ids numbered in creation order, separately for TED (before cut-over) and Mosaic."""
    n = len(order_key)
    order = np.lexsort((np.arange(n), order_key))
    mosaic = created_day >= cutover
    seq = np.empty(n, dtype=np.int64)
    m_sorted = mosaic[order]
    seq[order] = np.where(m_sorted, np.cumsum(m_sorted), np.cumsum(~m_sorted))
    ids.next_ted[table] = int((~mosaic).sum()) + 1
    ids.next_mosaic[table] = int(mosaic.sum()) + 1
    return _ids(table, seq, mosaic, ids.width).to_numpy().astype(object)


def _frame(table: str, cols: dict[str, object], null: dict[str, np.ndarray] | None = None,
           mosaic: np.ndarray | None = None) -> pl.DataFrame:
    """A canonical frame: day/second integer columns become Date/Datetime, nulls applied."""
    spec = TABLES[table]
    null = null or {}
    data: dict[str, pl.Series] = {}
    n = len(next(iter(cols.values())))
    for c in spec.columns:
        if c.name not in cols and c.name not in ("source_system", "legacy_id"):
            # a column this model does not generate: blank
            dtype = {"date": pl.Date, "datetime": pl.Datetime("us"), "flag": pl.Boolean}.get(c.kind, pl.Utf8)
            data[c.name] = pl.Series(c.name, [None] * n, dtype=dtype)
            continue
        if c.name == "source_system":
            vals = np.where(mosaic, "MOSAIC", "TED") if mosaic is not None else [None] * n
            s = pl.Series(c.name, vals, dtype=pl.Utf8)
        elif c.name == "legacy_id":
            s = pl.Series(c.name, [None] * n, dtype=pl.Utf8)
        elif c.kind == "date":
            s = pl.Series(c.name, np.asarray(cols[c.name], dtype=np.int64)).cast(pl.Int32).cast(pl.Date)
        elif c.kind == "datetime":   # whole minutes, as case-management systems record them
            secs = np.asarray(cols[c.name], dtype=np.int64)
            s = pl.Series(c.name, (secs - secs % 60) * 1_000_000).cast(
                pl.Datetime("us"))
        elif c.kind == "flag":
            s = pl.Series(c.name, np.asarray(cols[c.name], dtype=bool))
        else:
            s = pl.Series(c.name, np.asarray(cols[c.name], dtype=object), dtype=pl.Utf8)
        if c.name in null:
            s = s.zip_with(pl.Series(~np.asarray(null[c.name], dtype=bool)),
                           pl.Series(c.name, [None] * n, dtype=s.dtype))
        data[c.name] = s
    return pl.DataFrame(data)


# --------------------------------------------------------------------------- simulation
def simulate(p: Params) -> Simulation:
    """Generate the clean tables for ``p`` (deterministic in ``p.seed``)."""
    rng = np.random.default_rng(np.random.SeedSequence([p.seed, p.la_code, 20_230_331]))
    d_sim, d_hist, d_end = _day(p.sim_start), _day(p.history_start), _day(p.window_end)
    d_cut = _day(p.cutover)
    yr = 365.25

    # ---- referral chains -------------------------------------------------------------
    mean_chain = P_PRONE / (1 - P_MORE_REFERRALS[1]) + (1 - P_PRONE) / (1 - P_MORE_REFERRALS[0])
    per_day = REFERRALS_PER_YEAR * p.scale / mean_chain / yr
    n_child = int(rng.poisson(per_day * (d_end - d_sim + 1)))
    prone = rng.random(n_child) < P_PRONE
    t0 = rng.integers(d_sim, d_end + 1, n_child)
    band = rng.choice(4, n_child, p=[0.30, 0.27, 0.33, 0.10])
    lo = np.array([0, 5, 10, 16])[band] * yr
    hi = np.array([5, 10, 16, 18])[band] * yr
    dob = t0 - rng.uniform(lo, hi).astype(np.int64) - 1
    k = rng.geometric(1 - np.where(prone, P_MORE_REFERRALS[1], P_MORE_REFERRALS[0]))
    R = int(k.sum())
    child = np.repeat(np.arange(n_child), k)
    level = np.arange(R) - np.repeat(np.cumsum(k) - k, k)

    # ---- per-referral draws ------------------------------------------------------------
    gap = np.where(rng.random(R) < P_GAP_UNDER_A_YEAR, rng.integers(14, 365, R),
                   rng.integers(365, 4 * 365, R))
    push = rng.random(R) < P_AFTER_CLOSURE
    push_gap = rng.integers(14, 2 * 365, R)
    nfa = rng.random(R) < P_NFA
    source = _choice(rng, REFERRAL_SOURCES, R)
    want_cin = (~nfa) & (rng.random(R) < P_CIN)
    cin_short = rng.random(R) < P_CIN_SHORT
    cin_dur = np.where(cin_short, rng.integers(10, 70, R),
                       np.exp(rng.normal(np.log(CIN_LONG_MEDIAN_DAYS), CIN_LONG_SIGMA, R)).astype(np.int64) + 30)
    u_cp = rng.random(R)
    cp_delay = rng.integers(12, 60, R)
    cp_dur = np.exp(rng.normal(np.log(CP_MEDIAN_DAYS), CP_SIGMA, R)).astype(np.int64) + 14
    cin_after_cp = rng.integers(14, 120, R)
    has_ass = (~nfa) & ((rng.random(R) < P_ASSESSMENT) | want_cin)
    a_delay = rng.integers(0, 4, R)
    wd = np.where(rng.random(R) < P_ASSESSMENT_IN_45WD, rng.integers(8, 46, R), rng.integers(46, 95, R))
    after_auth = rng.integers(0, 10, R)

    # ---- histories, one chain position at a time (vectorised across children) --------
    hols = _bank_holidays(p.sim_start, p.window_end + timedelta(days=5 * 365))
    rdate = np.zeros(R, np.int64)
    a_start = np.zeros(R, np.int64)
    a_auth = np.zeros(R, np.int64)
    cin_end = np.zeros(R, np.int64)
    cin_ok = np.zeros(R, bool)
    has_cp = np.zeros(R, bool)
    last_end = np.full(n_child, np.iinfo(np.int64).min)
    had_cp = np.zeros(n_child, bool)
    by_level = np.argsort(level, kind="stable")
    bounds = np.searchsorted(level[by_level], np.arange(level.max() + 2 if R else 1))
    for lv in range(len(bounds) - 1):
        idx = by_level[bounds[lv]:bounds[lv + 1]]
        c = child[idx]
        if lv == 0:
            rd = t0[c]
        else:
            rd = rdate[idx - 1] + gap[idx]
            # most re-referrals come after the case has closed
            inside = (rd <= last_end[c]) & push[idx]
            rd = np.where(inside, last_end[c] + push_gap[idx], rd)
        rdate[idx] = rd
        ast = np.busday_offset((rd + a_delay[idx]).astype("datetime64[D]"), 0, roll="forward",
                               holidays=hols)
        aut = np.busday_offset(ast, wd[idx], roll="forward", holidays=hols).astype(np.int64)
        a_start[idx], a_auth[idx] = ast.astype(np.int64), aut
        # the assessment decides the episode, so it stays open until authorised
        end = np.where(has_ass[idx], np.maximum(rd + cin_dur[idx], aut + after_auth[idx]),
                       rd + cin_dur[idx])
        ok = want_cin[idx] & (rd > last_end[c])
        p_cp = np.where(had_cp[c], np.where(prone[c], P_CP_REPEAT[1], P_CP_REPEAT[0]),
                        np.where(prone[c], P_CP_FIRST[1], P_CP_FIRST[0]))
        cp = ok & (u_cp[idx] < p_cp) & (rd + cp_delay[idx] <= d_end)
        end = np.where(cp, np.maximum(end, rd + cp_delay[idx] + cp_dur[idx] + cin_after_cp[idx]), end)
        cin_end[idx] = end
        cin_ok[idx], has_cp[idx] = ok, cp
        last_end[c[ok]] = end[ok]
        had_cp[c[cp]] = True

    keep = (rdate <= d_end) & (rdate - dob[child] < 18 * yr - 1)
    (child, level, rdate, nfa, source, cin_ok, has_cp, cin_short, cin_end, has_ass, a_start,
     a_auth, cp_delay, cp_dur) = (x[keep] for x in (
        child, level, rdate, nfa, source, cin_ok, has_cp, cin_short, cin_end, has_ass, a_start,
        a_auth, cp_delay, cp_dur))
    R = len(rdate)
    cp_start = rdate + cp_delay
    cp_end = cp_start + cp_dur

    # ---- what the extract keeps ------------------------------------------------------
    cin_open_end = np.where(cin_end > d_end, np.iinfo(np.int64).max, cin_end)
    cp_open_end = np.where(cp_end > d_end, np.iinfo(np.int64).max, cp_end)
    cp_keep = has_cp & (cp_open_end >= d_hist)
    kept_cp_child = np.zeros(n_child, bool)
    kept_cp_child[child[cp_keep]] = True
    cp_keep |= has_cp & kept_cp_child[child]                      # earlier plans of the child
    cin_keep = cin_ok & ((cin_open_end >= d_hist) | cp_keep)
    ref_keep = (rdate >= d_hist) | cin_keep
    ass_keep = has_ass & ref_keep & (a_start <= d_end)

    width = max(7, len(str(max(R * (1 + OTHER_CONTACTS_PER_REFERRAL) * 1.2, 1))))
    ids = IdAllocator(width)
    tables: dict[str, pl.DataFrame] = {}

    # referrals
    ref_id = _number("referrals", rdate, rdate, d_cut, ids)
    child_code = np.char.add("P", np.char.zfill((np.arange(n_child) + 10_001).astype(str), 7))
    child_code = child_code.astype(object)
    sel = ref_keep
    tables["referrals"] = _frame("referrals", {
        "referral_id": ref_id[sel], "child_id": child_code[child[sel]], "referral_date": rdate[sel],
        "referral_source": source[sel], "referral_nfa": nfa[sel]}, mosaic=rdate[sel] >= d_cut)

    # contacts: one before every referral, plus contacts ending elsewhere
    dec_sec = rdate * DAY + rng.integers(9 * 3600, 18 * 3600, R)
    delay = np.minimum(np.exp(rng.normal(np.log(12 * 3600), 1.3, R)), 30 * DAY).astype(np.int64)
    con_sec = dec_sec - delay
    n_other = int(rng.poisson(OTHER_CONTACTS_PER_REFERRAL * REFERRALS_PER_YEAR * p.scale
                              * (d_end - d_hist + 1) / yr))
    oc = rng.integers(0, n_child, n_other)
    lo_d = np.maximum(dob[oc] + 30, d_hist)
    hi_d = np.minimum(dob[oc] + int(18 * yr) - 2, d_end)
    ok_o = lo_d <= hi_d
    oc, lo_d, hi_d = oc[ok_o], lo_d[ok_o], hi_d[ok_o]
    o_day = lo_d + (rng.random(len(oc)) * (hi_d - lo_d + 1)).astype(np.int64)
    o_sec = o_day * DAY + rng.integers(7 * 3600, 20 * 3600, len(oc))
    o_dec = o_sec + np.minimum(np.exp(rng.normal(np.log(12 * 3600), 1.3, len(oc))), 40 * DAY).astype(np.int64)
    c_sec = np.concatenate([con_sec[sel], o_sec])
    c_dec = np.concatenate([dec_sec[sel], o_dec])
    c_child = np.concatenate([child[sel], oc])
    c_out = np.concatenate([np.full(int(sel.sum()), REFERRAL_OUTCOME, dtype=object),
                            _choice(rng, CONTACT_OUTCOMES, len(oc))])
    c_src = np.concatenate([source[sel], _choice(rng, REFERRAL_SOURCES, len(oc))])
    c_created = c_sec // DAY
    con_id = _number("contacts", c_sec, c_created, d_cut, ids)
    tables["contacts"] = _frame("contacts", {
        "contact_id": con_id, "child_id": child_code[c_child], "contact_datetime": c_sec,
        "contact_source": c_src, "decision_datetime": c_dec, "contact_outcome": c_out},
        null={"decision_datetime": c_dec > (d_end + 1) * DAY - 1}, mosaic=c_created >= d_cut)

    # assessments
    ass_id = _number("assessments", a_start, a_start, d_cut, ids)
    sel = ass_keep
    tables["assessments"] = _frame("assessments", {
        "assessment_id": ass_id[sel], "child_id": child_code[child[sel]], "referral_id": ref_id[sel],
        "assessment_start_date": a_start[sel], "assessment_authorised_date": a_auth[sel]},
        null={"assessment_authorised_date": a_auth[sel] > d_end}, mosaic=a_start[sel] >= d_cut)

    # CIN episodes (start at the referral date)
    cin_id = _number("cin_episodes", rdate, rdate, d_cut, ids)
    sel = cin_keep
    open_cin = cin_end[sel] > d_end
    reason = np.where(cin_short, _choice(rng, CLOSE_SHORT, R), _choice(rng, CLOSE_LONG, R))
    reason = np.where(has_cp, _choice(rng, {"RC7": 85.0, "RC5": 8.0, "RC4": 4.0, "RC3": 3.0}, R), reason)
    tables["cin_episodes"] = _frame("cin_episodes", {
        "cin_episode_id": cin_id[sel], "child_id": child_code[child[sel]], "referral_id": ref_id[sel],
        "cin_start_date": rdate[sel], "cin_closure_date": cin_end[sel],
        "reason_for_closure": reason[sel], "primary_need_code": _choice(rng, PRIMARY_NEED, R)[sel]},
        null={"cin_closure_date": open_cin, "reason_for_closure": open_cin}, mosaic=rdate[sel] >= d_cut)

    # CP plans
    cp_idx = np.nonzero(cp_keep)[0]
    cp_id = _number("cp_plans", cp_start[cp_idx], cp_start[cp_idx], d_cut, ids)
    after = cp_start[cp_idx] >= d_cut
    initial = np.where(after, _choice(rng, CP_AFTER, len(cp_idx)), _choice(rng, CP_BEFORE, len(cp_idx)))
    latest = np.where(after, _choice(rng, CP_AFTER, len(cp_idx)), _choice(rng, CP_BEFORE, len(cp_idx)))
    changed = (rng.random(len(cp_idx)) < 0.12) & (latest != initial)
    open_cp = cp_end[cp_idx] > d_end
    tables["cp_plans"] = _frame("cp_plans", {
        "cp_plan_id": cp_id, "child_id": child_code[child[cp_idx]],
        "cp_plan_start_date": cp_start[cp_idx], "cp_plan_end_date": cp_end[cp_idx],
        "initial_category": initial, "latest_category": latest},
        null={"cp_plan_end_date": open_cp, "latest_category": ~changed}, mosaic=after)

    # ---- missing episodes and return interviews --------------------------------------
    m_child, m_start = [], []
    for fy in range(p.start_year - 1, p.start_year + p.years):
        f0, f1 = _day(date(fy, 4, 1)), _day(date(fy + 1, 3, 31))
        mid = (f0 + f1) // 2
        age = (mid - dob) / yr
        pool = np.nonzero((age >= 10) & (age < 17.5) & (t0 <= f1))[0]
        n_mc = min(int(rng.poisson(MISSING_CHILDREN_PER_YEAR * p.scale)), len(pool))
        kids = rng.choice(pool, n_mc, replace=False)
        n_ep = 1 + rng.negative_binomial(MISSING_EXTRA_EPISODES_N, MISSING_EXTRA_EPISODES_P, n_mc)
        kid = np.repeat(kids, n_ep)
        m_child.append(kid)
        evening = rng.normal(20 * 3600, 3 * 3600, len(kid)).astype(np.int64) % DAY
        m_start.append(rng.integers(f0, f1 + 1, len(kid)) * DAY + evening)
    m_child_a, m_start_a = np.concatenate(m_child), np.concatenate(m_start)
    order = np.lexsort((m_start_a, m_child_a))
    m_child_a, m_start_a = m_child_a[order], m_start_a[order]
    M = len(m_child_a)
    dur = np.exp(rng.normal(np.log(9 * 3600), 1.1, M)).astype(np.int64) + 1800
    nxt = np.full(M, np.iinfo(np.int64).max)
    same = m_child_a[1:] == m_child_a[:-1]
    nxt[:-1][same] = m_start_a[1:][same]
    # a child cannot go missing again before returning: keep episodes apart
    m_end = np.minimum(m_start_a + dur, m_start_a + (nxt - m_start_a) // 2)
    m_end = np.maximum(m_end, m_start_a + 600)
    m_end = np.where(rng.random(M) < 0.003, np.iinfo(np.int64).max, m_end)  # still missing
    returned = m_end <= (d_end + 1) * DAY - 1
    la = rng.random(n_child) < P_LOOKED_AFTER
    looked_after = la[m_child_a]
    mtype = np.where(looked_after & (rng.random(M) < 0.3), "A", "M").astype(object)
    m_created = m_start_a // DAY
    m_id = _number("missing_episodes", m_start_a, m_created, d_cut, ids)
    tables["missing_episodes"] = _frame("missing_episodes", {
        "missing_episode_id": m_id, "child_id": child_code[m_child_a],
        "missing_start_datetime": m_start_a, "missing_end_datetime": np.where(returned, m_end, 0),
        "missing_type": mtype, "looked_after": looked_after},
        null={"missing_end_datetime": ~returned}, mosaic=m_created >= d_cut)

    h = np.nonzero(returned & (rng.random(M) < P_RHI_RECORD))[0]
    h = h[np.argsort(m_end[h], kind="stable")]
    H = len(h)
    ret = m_end[h]
    offered = rng.random(H) < P_RHI_OFFERED
    accepted = offered & (rng.random(H) < P_RHI_ACCEPTED)
    hours = np.where(rng.random(H) < P_RHI_IN_72H, rng.uniform(4, 72, H), rng.uniform(72.5, 240, H))
    done = ret + (hours * 3600).astype(np.int64)
    done = done - done % 60
    completed = accepted & (done <= (d_end + 1) * DAY - 1)
    off_day = ret // DAY + rng.choice(3, H, p=[0.5, 0.35, 0.15])
    off_day = np.where(completed, np.minimum(off_day, done // DAY), off_day)
    offered &= off_day <= d_end
    accepted &= offered
    completed &= accepted
    h_id = _number("return_interviews", ret, ret // DAY, d_cut, ids)
    tables["return_interviews"] = _frame("return_interviews", {
        "rhi_id": h_id, "missing_episode_id": m_id[h], "child_id": child_code[m_child_a[h]],
        "rhi_offered_date": off_day, "rhi_accepted": accepted, "rhi_completed_datetime": done},
        null={"rhi_offered_date": ~offered, "rhi_completed_datetime": ~completed},
        mosaic=ret // DAY >= d_cut)

    # ---- children referenced anywhere -------------------------------------------------
    used = pl.concat([t.select("child_id") for t in tables.values()]).unique()
    used_idx = np.sort(np.searchsorted(child_code.astype(str), used["child_id"].to_numpy().astype(str)))
    tables["children"] = _frame("children", {
        "child_id": child_code[used_idx], "date_of_birth": dob[used_idx],
        "sex": _choice(rng, SEX, n_child)[used_idx],
        "ethnicity": _choice(rng, ETHNICITY, n_child)[used_idx]}, mosaic=t0[used_idx] >= d_cut)

    for name, df in tables.items():
        if name != "return_interviews":   # already in order of return
            tables[name] = df.sort([MAIN_DATE[name], TABLES[name].id_column], nulls_last=True)
    for name, spec in TABLES.items():
        if name not in tables:   # tables this model does not generate: empty
            tables[name] = _frame(name, {spec.id_column: np.array([], dtype=object)})
    tables = {name: tables[name] for name in TABLES}
    return Simulation(p, tables, ids)
