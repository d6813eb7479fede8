"""One small census per DfE rule version: a clean return the rule passes and the smallest change
that breaks it, with exactly the records it must flag. Synthetic: made-up ids, never real records.

A census here is a list of frame rows (``scorecard.validate.cin_rules.frame``), each a dict with
``t`` (the frame table) and ``id`` (its record id); children carry ``disabilities`` and
assessments ``factors`` as lists. ``base(year)`` is one child with one open CIN episode (D1) and
one completed assessment (A1) in the census ending 31 March ``year``; ``cp(year)`` adds a
section 47 enquiry (S1) whose conference starts a CP plan (P1) with one review (V1);
``plan(year)`` adds an open CIN plan (L1) instead.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date

RETURN = "<return>"     # a rule about the whole return: flagged with no record id
_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"


def upn(la: str = "370", serial: str = "12345678", last: str = "9") -> str:
    """A UPN with the right check letter (the DfE UPN guide: weights 2-13, remainder of 23)."""
    body = la + serial + last
    values = [int(c) if c.isdigit() else _ALPHABET.index(c) for c in body]
    return _ALPHABET[sum(v * w for v, w in zip(values, range(2, 14))) % 23] + body


def wrong_letter(u: str) -> str:
    return ("B" if u[0] != "B" else "C") + u[1:]


class Census(list):
    """Frame rows with small editing helpers; each returns a new census."""

    def set(self, rid: str, **changes) -> "Census":
        out = Census(copy.deepcopy(list(self)))
        hit = [r for r in out if r["id"] == rid]
        assert hit, f"no record {rid}"
        for r in hit:
            r.update(changes)
        return out

    def add(self, *rows: dict) -> "Census":
        return Census(copy.deepcopy(list(self)) + [dict(r) for r in rows])

    def drop(self, *rids: str) -> "Census":
        return Census([copy.deepcopy(r) for r in self if r["id"] not in rids])


def child(cid: str = "C", year: int = 2023, **kw) -> dict:
    return {"t": "cin_child", "id": cid, "child_id": cid, "upn": upn(), "sex": "M", "ethnicity": "WBRI",
            "birth_date": date(year - 8, 6, 1), "id_length": 10, "id_alphanumeric": True,
            "disabilities": ["NONE"], **kw}


def details(did: str = "D1", cid: str = "C", year: int = 2023, **kw) -> dict:
    return {"t": "cin_details", "id": did, "child_id": cid, "episode": did,
            "referral_date": date(year - 1, 6, 1), "referral_source": "6", "primary_need": "N1",
            "referral_nfa": False, "referral_linked": True, **kw}


def assessment(aid: str = "A1", did: str = "D1", cid: str = "C", year: int = 2023, **kw) -> dict:
    return {"t": "cin_assessment", "id": aid, "child_id": cid, "episode": did,
            "start_date": date(year - 1, 6, 2), "authorisation_date": date(year - 1, 7, 1),
            "factors": ["3A"], **kw}


def s47(sid: str = "S1", did: str = "D1", cid: str = "C", year: int = 2023, **kw) -> dict:
    return {"t": "cin_s47", "id": sid, "child_id": cid, "episode": did, "start_date": date(year - 1, 7, 5),
            "icpc_target_date": date(year - 1, 7, 20), "icpc_date": date(year - 1, 7, 20),
            "icpc_not_required": False, **kw}


def cpp(pid: str = "P1", did: str = "D1", cid: str = "C", year: int = 2023, **kw) -> dict:
    return {"t": "cin_cpp", "id": pid, "child_id": cid, "episode": did, "start_date": date(year - 1, 7, 20),
            "initial_category": "NEG", "latest_category": "NEG", "previous_cpp": "0", **kw}


def review(vid: str = "V1", pid: str = "P1", cid: str = "C", year: int = 2023, **kw) -> dict:
    return {"t": "cin_review", "id": vid, "child_id": cid, "cp_plan": pid, "review_date": date(year - 1, 10, 12),
            **kw}


def cin_plan(lid: str = "L1", did: str = "D1", cid: str = "C", year: int = 2023, **kw) -> dict:
    return {"t": "cin_plan", "id": lid, "child_id": cid, "episode": did, "start_date": date(year - 1, 7, 10), **kw}


def base(year: int = 2023) -> Census:
    return Census([child(year=year), details(year=year), assessment(year=year)])


def cp(year: int = 2023) -> Census:
    return base(year).add(s47(year=year), cpp(year=year), review(year=year))


def plan(year: int = 2023) -> Census:
    return base(year).add(cin_plan(year=year))


def second_child(cid: str = "C2", **kw) -> Census:
    """Another child with an episode and assessment of their own."""
    return Census([child(cid, **{"upn": upn(serial="87654321"), **kw}), details("D" + cid, cid),
                   assessment("A" + cid, "D" + cid, cid)])


@dataclass
class Case:
    clean: Census
    broken: Census
    flagged: set[str]
    year: int = 2023
    header: dict | None = None          # header overrides for the broken return


d = date
# The census of 31 March 2023: collection 1 April 2022 to 31 March 2023.
closed = base().set("D1", closure_date=d(2022, 9, 1), reason_for_closure="RC7")
nfa = Census([child(), details(referral_nfa=True, primary_need=None)])


def unborn(year: int = 2023, **kw) -> Census:
    fields = {"birth_date": None, "expected_birth_date": d(year, 3, 1), "sex": "U", "upn": None,
              "disabilities": [], **kw}
    return Census([child(year=year, **fields), details(year=year)])



two_plans = cp().set("P1", end_date=d(2022, 10, 3)).add(
    s47("S2", start_date=d(2022, 10, 20), icpc_target_date=d(2022, 11, 1), icpc_date=d(2022, 11, 1)),
    cpp("P2", start_date=d(2022, 11, 1)))
step_down = cp().set("P1", end_date=d(2022, 11, 1)).add(cin_plan(start_date=d(2022, 11, 1)))
cin_then_cp = cp().add(cin_plan(start_date=d(2022, 6, 10), end_date=d(2022, 7, 20)))
two_s47 = base().add(s47(), s47("S2", start_date=d(2022, 7, 21), icpc_target_date=None, icpc_date=None))
late = base().set("D1", referral_date=d(2022, 7, 1)).set(
    "A1", start_date=d(2022, 7, 2), authorisation_date=d(2022, 7, 20))
twenty_one = base().set("D1", closure_date=d(2022, 8, 1), reason_for_closure="RC8").set("A1", factors=["21"])

CASES: dict[str, Case] = {
    "100": Case(base(), base(), {RETURN}, header={"header_reference_date": d(2023, 3, 30)}),
    "1103": Case(base(), base().set("A1", start_date=d(2022, 5, 31)), {"A1"}),
    "1104": Case(cp(), cp().set("S1", icpc_date=d(2022, 5, 31)), {"S1"}),
    "1105": Case(cp(), cp().set("P1", start_date=d(2022, 5, 31)), {"P1"}),
    "1510": Case(base().add(*second_child(upn=upn(serial="87654321", last="K"))),
                 base().set("C", upn=wrong_letter(upn())), {"C"}),
    "1520": Case(base().add(*second_child()), base().add(*second_child(upn=upn())), {"C", "C2"}),
    "1530": Case(base(), base().set("C", upn=upn(la="942")), {"C"}),
    "1530/2023-24": Case(base(2024).set("C", upn=upn(la="942")), base(2024).set("C", upn=upn(la="999")),
                         {"C"}, year=2024),
    "1540": Case(base(), base().set("C", upn="A370123X56789"), {"C"}),
    "1550": Case(base(), base().set("C", upn="A37012345678I"), {"C"}),
    "1560Q": Case(base().set("C", former_upn="B370123456789"), base().set("C", former_upn="B37012345678"),
                  {"C"}),
    "1570/2024-25": Case(base(2025).set("C", id_length=20), base(2025).set("C", id_length=21), {"C"}, year=2025),
    "1580/2024-25": Case(base(2025), base(2025).set("C", id_alphanumeric=False), {"C"}, year=2025),
    "2883": Case(cp(), base().add(cpp()), {RETURN}),
    "2884": Case(cp(), cp().set("D1", icpc_date=d(2022, 7, 20)), {"S1", "D1"}),
    "2885": Case(cp(), cp().set("P1", start_date=d(2022, 7, 21)), {"P1"}),
    "2886Q": Case(base(), base().set("C", sex="U"), {RETURN}),
    "2886Q/2024-25": Case(base(2025), base(2025).set("C", sex="U"), {RETURN}, year=2025),
    "2887Q": Case(base().set("C", disabilities=["MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS"]),
                  base(), {RETURN}),
    "2888Q": Case(base().set("C", disabilities=["MOB", "HAND"]), base().set("C", disabilities=["MOB"]), {RETURN}),
    "2889": Case(cp(), cp().set("S1", start_date=d(2022, 5, 31)), {"S1"}),
    "2990": Case(base().set("D1", closure_date=d(2022, 8, 1), reason_for_closure="RC8"),
                 base().set("D1", closure_date=d(2022, 8, 1), reason_for_closure="RC8").add(
                     s47(icpc_date=None, icpc_target_date=None, icpc_not_required=True)), {"D1"}),
    "2991Q": Case(cp(), cp().drop("A1"), {"S1"}),
    "4000": Case(plan(), plan().set("D1", referral_nfa=True), {"D1"}),
    "4001": Case(cin_then_cp, cin_then_cp.set("L1", end_date=None), {"L1", "P1"}),
    "4003": Case(step_down, step_down.add(review("V2", review_date=d(2022, 12, 1))), {"V2"}),
    "4004": Case(plan(), plan().add(cin_plan("L2", start_date=d(2022, 8, 1))), {"L1", "L2"}),
    "4008": Case(plan().set("C", death_date=d(2023, 1, 1)), plan().set("C", death_date=d(2022, 7, 9)), {"L1"}),
    "4009Q": Case(plan().set("L1", end_date=d(2022, 9, 1)).set("C", death_date=d(2022, 9, 1)),
                  plan().set("L1", end_date=d(2022, 9, 1)).set("C", death_date=d(2022, 8, 31)), {"L1"}),
    "4010": Case(plan(), plan().set("L1", start_date=None), {"L1"}),
    "4011": Case(plan().set("L1", end_date=d(2022, 9, 1)), plan().set("L1", end_date=d(2022, 7, 9)), {"L1"}),
    "4012Q": Case(plan().set("L1", end_date=d(2022, 9, 1)), plan().set("L1", end_date=d(2022, 7, 10)), {"L1"}),
    "4013": Case(plan().set("L1", end_date=d(2022, 9, 1)), plan().set("L1", end_date=d(2023, 4, 1)), {"L1"}),
    "4014": Case(plan().set("L1", start_date=d(2022, 6, 10), end_date=d(2022, 7, 1)).add(
                     cin_plan("L2", start_date=d(2022, 7, 2))),
                 plan().set("L1", start_date=d(2022, 6, 10), end_date=d(2022, 7, 1)).add(
                     cin_plan("L2", start_date=d(2022, 7, 1))), {"L2"}),
    "4015": Case(plan(), plan().set("L1", start_date=d(2022, 5, 31)), {"L1"}),
    "4016": Case(step_down, step_down.set("L1", start_date=d(2022, 10, 31)), {"L1"}),
    "4017": Case(cin_then_cp, cin_then_cp.set("L1", end_date=d(2022, 7, 21)), {"P1"}),
    "4180": Case(base().set("C", sex="I"), base().set("C", sex=None), {"C"}),
    "4180/2024-25": Case(base(2025).set("C", sex="U"), base(2025).set("C", sex="I"), {"C"}, year=2025),
    "4220": Case(base(), base().set("C", ethnicity="XXXX"), {"C"}),
    "8500": Case(base(), base().set("C", child_id=None, id=""), {""}),
    "8510": Case(base().add(*second_child()), base().add(*second_child()).set("C2", child_id="C", id="C"), {"C"}),
    "8520": Case(late.set("C", birth_date=d(2023, 3, 31)), late.set("C", birth_date=d(2023, 4, 1)), {"C"}),
    "8525Q": Case(base(), base().set("C", expected_birth_date=d(2023, 5, 1)), {"C"}),
    "8530Q": Case(unborn(), unborn().set("C", expected_birth_date=d(2023, 2, 28)), {"C"}),
    "8535Q": Case(base().set("C", death_date=d(2023, 1, 1)), base().set("C", death_date=d(2015, 5, 1)), {"C"}),
    "8540": Case(base(), base().set("C", disabilities=[]), {"C"}),
    "8545Q": Case(base().set("C", death_date=d(2023, 1, 1)), base().set("C", death_date=d(2023, 4, 1)), {"C"}),
    "8555Q": Case(base().set("C", death_date=d(2022, 6, 1)), base().set("C", death_date=d(2022, 5, 31)), {"D1"}),
    "8565": Case(closed, closed.set("A1", authorisation_date=d(2022, 9, 2)), {"D1"}),
    "8568": Case(base(), base().set("D1", referral_nfa=None), {"D1"}),
    "8569Q": Case(nfa.set("D1", referral_date=d(2022, 3, 31)), nfa.set("D1", referral_date=d(2022, 3, 30)), {"D1"}),
    "8585Q": Case(closed.set("D1", reason_for_closure="RC2").set("C", death_date=d(2022, 9, 1)),
                  closed.set("D1", reason_for_closure="RC2"), {"D1"}),
    "8590": Case(base().add(*second_child()), base().add(second_child()[0]), {"C2"}),
    "8600": Case(base().set("D1", referral_date=d(2023, 3, 31), closure_date=None).drop("A1"),
                 base().set("D1", referral_date=d(2023, 4, 1)).drop("A1"), {"D1"}),
    "8606": Case(base().set("C", birth_date=d(2023, 3, 8)), base().set("C", birth_date=d(2023, 3, 9)), {"D1"}),
    "8608": Case(base().set("A1", authorisation_date=d(2022, 6, 2)),
                 base().set("A1", authorisation_date=d(2022, 6, 1)), {"A1"}),
    "8610": Case(base(), base().set("D1", primary_need=None), {"D1"}),
    "8614": Case(base(), base().set("A1", authorisation_date=None), {"A1"}),
    "8615": Case(cp(), cp().set("S1", start_date=None), {"S1"}),
    "8620": Case(closed.set("D1", referral_date=d(2022, 1, 10), closure_date=d(2022, 4, 1)).drop("A1"),
                 closed.set("D1", referral_date=d(2022, 1, 10), closure_date=d(2022, 3, 31)).drop("A1"), {"D1"}),
    "8630": Case(closed.set("D1", closure_date=d(2022, 7, 1)), closed.set("D1", closure_date=d(2022, 5, 31)),
                 {"D1"}),
    "8640": Case(closed, closed.set("D1", reason_for_closure="RC0"), {"D1"}),
    "8650": Case(base().set("D1", primary_need="N0"), base().set("D1", primary_need="N10"), {"D1"}),
    "8670Q": Case(base().set("A1", start_date=d(2023, 1, 27), authorisation_date=None, factors=[]),
                  base().set("A1", start_date=d(2023, 1, 26), authorisation_date=None, factors=[]), {"A1"}),
    "8675Q": Case(base().add(s47(start_date=d(2023, 3, 10), icpc_target_date=None, icpc_date=None)),
                  base().add(s47(start_date=d(2023, 3, 9), icpc_target_date=None, icpc_date=None)), {"S1"}),
    "8696": Case(base().set("A1", authorisation_date=d(2023, 3, 31)),
                 base().set("A1", authorisation_date=d(2023, 4, 1)), {"A1"}),
    "8715": Case(cp(), cp().set("S1", icpc_date=d(2023, 4, 3)), {"S1"}),
    "8720": Case(cp(), cp().set("P1", start_date=d(2023, 4, 3)), {"P1"}),
    "8730": Case(cp().set("P1", previous_cpp="2"), cp().set("P1", previous_cpp="two"), {"P1"}),
    "8736": Case(base().set("A1", authorisation_date=None, factors=[]),
                 base().set("D1", referral_date=d(2022, 3, 1)).set(
                     "A1", start_date=d(2022, 3, 31), authorisation_date=None, factors=[]), {"A1"}),
    "8740": Case(base().add(s47(start_date=d(2022, 6, 5), icpc_target_date=None, icpc_date=None)),
                 base().set("D1", referral_date=d(2022, 3, 1)).add(
                     s47(start_date=d(2022, 3, 31), icpc_target_date=None, icpc_date=None)), {"S1"}),
    "8750": Case(unborn(), unborn().set("C", sex="M"), {"C"}),
    "8750/2024-25": Case(unborn(2025), unborn(2025, sex="M"), {"C"}, year=2025),
    "8770Q": Case(base().set("C", upn=None, upn_unknown="UN3"), base().set("C", upn=None, upn_unknown="UN1"),
                  {"C"}),
    "8770Q/2024-25": Case(base(2025).set("C", upn=None, birth_date=d(2019, 9, 1)),
                          base(2025).set("C", upn=None, birth_date=d(2019, 8, 31)), {"C"}, year=2025),
    "8772": Case(nfa.set("C", upn=None, upn_unknown="UN7"),
                 nfa.set("C", upn=None, upn_unknown="UN7").set("D1", referral_nfa=None), {"C"}),
    "8775Q": Case(base().set("C", birth_date=d(1998, 3, 31)), base().set("C", birth_date=d(1998, 3, 30)), {"C"}),
    "8790": Case(base(), base().set("C", disabilities=["NONE", "MOB"]), {"C"}),
    "8794": Case(base().set("C", disabilities=["MOB", "HAND"]), base().set("C", disabilities=["MOB", "MOB"]),
                 {"C"}),
    "8805": Case(closed, closed.set("D1", reason_for_closure=None), {"D1"}),
    "8810": Case(closed, base().set("D1", reason_for_closure="RC7"), {"D1"}),
    "8815": Case(base().add(details("D2", referral_date=d(2022, 5, 1), referral_nfa=True, primary_need=None)),
                 base().add(details("D2", referral_date=d(2022, 5, 1))), {"D1", "D2"}),
    "8816": Case(base().add(details("D2", referral_date=d(2022, 5, 1), closure_date=d(2022, 5, 20),
                                    reason_for_closure="RC7")),
                 base().add(details("D2", referral_date=d(2022, 9, 1), closure_date=d(2022, 10, 1),
                                    reason_for_closure="RC7")), {"D1"}),
    "8820": Case(closed.set("D1", closure_date=d(2022, 7, 1)).add(details("D2", referral_date=d(2022, 7, 1))),
                 closed.set("D1", closure_date=d(2022, 7, 1)).add(details("D2", referral_date=d(2022, 6, 30))),
                 {"D2"}),
    "8825Q": Case(twenty_one, twenty_one.drop("A1"), {"D1"}),
    "8831": Case(nfa, nfa.add(assessment()), {"D1"}),
    "8832": Case(nfa, nfa.add(cpp()), {"D1"}),
    "8839": Case(two_s47, two_s47.set("S1", icpc_date=None, icpc_target_date=None), {"S1", "S2"}),
    "8840": Case(cp().set("P1", end_date=d(2022, 12, 1)), cp().set("P1", end_date=d(2022, 7, 20)), {"P1"}),
    "8841": Case(cp(), cp().set("V1", review_date=d(2022, 7, 20)), {"V1"}),
    "8842Q": Case(cp(), cp().set("V1", review_date=None), {"V1"}),
    "8863Q": Case(base().add(assessment("A2", start_date=d(2022, 7, 2), authorisation_date=d(2022, 8, 1))),
                  base().add(assessment("A2", start_date=d(2022, 7, 1), authorisation_date=d(2022, 8, 1))),
                  {"A2"}),
    "8866": Case(base().set("C", birth_date=d(2012, 6, 1)).add(details("D0", referral_date=d(2013, 3, 31), referral_source=None,
                                    closure_date=d(2022, 4, 1), reason_for_closure="RC7")),
                 base().set("D1", referral_source="XX"), {"D1"}),
    "8867": Case(closed, closed.set("A1", authorisation_date=None, factors=[]), {"D1"}),
    "8868": Case(closed.add(s47()), closed.add(s47(icpc_date=None)), {"D1"}),
    "8869": Case(base().set("A1", factors=["21"]), base().set("A1", factors=["21", "3A"]), {"A1"}),
    "8870Q": Case(cp(), cp().set("S1", icpc_target_date=d(2022, 7, 23)), {"S1"}),
    "8873Q": Case(twenty_one, twenty_one.set("D1", reason_for_closure="RC7"), {"D1"}),
    "8875": Case(cp(), cp().set("S1", icpc_date=d(2022, 7, 23)).set("P1", start_date=d(2022, 7, 23)), {"S1"}),
    "8890": Case(two_s47, two_s47.set("S2", start_date=d(2022, 7, 20)), {"S2"}),
    "8896": Case(base().add(assessment("A2", start_date=d(2022, 8, 1), authorisation_date=None, factors=[])),
                 base().set("A1", authorisation_date=None, factors=[]).add(
                     assessment("A2", start_date=d(2022, 8, 1), authorisation_date=None, factors=[])), {"A1", "A2"}),
    "8897Q": Case(base(), base().set("A1", factors=[]), {"A1"}),
    "8898": Case(base().set("A1", factors=["3A", "4A"]), base().set("A1", factors=["3A", "3A"]), {"A1"}),
    "8905": Case(cp().set("P1", initial_category="MUL"), cp().set("P1", initial_category="XXX"), {"P1"}),
    "8910": Case(cp(), cp().set("P1", latest_category=None), {"P1"}),
    "8915": Case(cp().set("C", death_date=d(2022, 7, 20)), cp().set("C", death_date=d(2022, 7, 19)), {"P1"}),
    "8920": Case(cp().set("P1", end_date=d(2022, 12, 1)).set("C", death_date=d(2022, 12, 1)),
                 cp().set("P1", end_date=d(2022, 12, 1)).set("C", death_date=d(2022, 11, 30)), {"P1"}),
    "8925": Case(cp().set("P1", end_date=d(2022, 12, 1)), cp().set("P1", end_date=d(2022, 7, 19)), {"P1"}),
    "8930": Case(cp().set("P1", end_date=d(2023, 3, 31)), cp().set("P1", end_date=d(2023, 4, 3)), {"P1"}),
    "8935": Case(two_plans, two_plans.set("P1", end_date=None), {"P1", "P2"}),
    "8940": Case(two_plans, two_plans.set("P2", start_date=d(2022, 10, 3)).set(
        "S2", icpc_date=d(2022, 10, 3)), {"P2"}),
    "8945Q/2024-25": Case(base(2025), base(2025).set("A1", factors=["18A"]), {"A1"}, year=2025),
    "8950Q/2024-25": Case(base(2025), base(2025).set("A1", factors=["19A"]), {"A1"}, year=2025),
}
