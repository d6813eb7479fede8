"""Taking in a file's rows (scorecard.ingest): pseudonyms (keyed, the same in SQL as the
reference HMAC), no raw child id stored. Synthetic data only; quarantine and the ledger are
tested through the whole load in test_load.py."""
from __future__ import annotations

import pytest

from scorecard import db
from scorecard.ingest import hmac_pads
from scorecard.load import load, pseudonymise

from .conftest import snapshot
from .test_load import REFERRALS, con  # noqa: F401  (con: the fixture)


def test_no_raw_child_id_is_stored_anywhere_in_the_database(con, raw, key):
    (raw / "referrals.csv").write_text(REFERRALS)
    (raw / "children.csv").write_text("child_id,date_of_birth\nC100,2010-01-01\n C200 ,2012-02-02\n")
    load(con, raw, key=key)
    for table, rows in snapshot(con).items():
        for row in rows:
            assert "'C100'" not in row and "'C200'" not in row and "' C200 '" not in row, table
    # the same child gets the same pseudonym across files (trimmed)
    kids = dict(con.execute("select child_id, date_of_birth from staging.children").fetchall())
    refs = {r[0] for r in con.execute("select child_id from staging.referrals").fetchall()}
    assert refs == set(kids)


def test_pseudonyms_are_keyed():
    a = pseudonymise(["C1"], b"k" * 16)["C1"]
    assert a == pseudonymise([" C1 "], b"k" * 16)[" C1 "]
    assert a != pseudonymise(["C1"], b"j" * 16)["C1"]
    assert a.startswith("P") and len(a) == 17


@pytest.mark.parametrize("key", [b"k" * 16, b"a-very-long-key-" * 8])
def test_sql_pseudonyms_equal_the_reference_hmac(key):
    con = db.connect(":memory:")
    ipad, opad = hmac_pads(key)
    ids = ["C1", " C2 ", "Zoë", "0012345"]
    got = [con.execute("select sc_pseudonym($v, $i, $o)", {"v": v, "i": ipad, "o": opad}).fetchall()[0][0]
           for v in ids]
    assert got == [pseudonymise([v], key)[v] for v in ids]
