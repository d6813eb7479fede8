"""Reading Ofsted Annex A workbooks: round trip, header variants, code spellings, ids, bad input."""
from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import openpyxl
import pytest

from scorecard.errors import StructuralError
from scorecard.formats import annex_a, reader_for
from scorecard.formats.annex_a_write import write

_spec = importlib.util.spec_from_file_location(
    "canonical_fixture", Path(__file__).parent / "fixtures" / "formats" / "canonical.py")
canon = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(canon)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A workbook with the given sheets (rows of cell values, row 1 first)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def _by_table(frames):
    return {f.table: f for f in frames if f.table != "children"}


def test_round_trip_every_table_exact_and_input_untouched(tmp_path):
    tables = canon.canonical_tables()
    path = write(tables, tmp_path / "annex_a.xlsx")
    before = _digest(path)
    assert annex_a.sniff(path)
    frames = annex_a.read(path)
    assert _digest(path) == before
    for table, df in tables.items():
        assert canon.read_back(frames, table) == canon.as_text(df), table
    # sheets carry Annex A spellings, not canonical codes
    ws = openpyxl.load_workbook(path)["List 3 - Referrals"]
    heads = [c.value for c in ws[1]]
    assert heads[:4] == ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth"]
    row = {h: c.value for h, c in zip(heads, ws[2])}
    assert row["Referral Source"] == "e) 2A: Schools"
    assert row["Referral NFA?"] == "b) No"
    assert row["Gender"] == "b) Female"
    assert row["Referral ID"] == "R1"


def test_row_numbers_and_locations(tmp_path):
    path = write(canon.canonical_tables(), tmp_path / "a.xlsx")
    referrals = _by_table(annex_a.read(path))["referrals"]
    assert referrals.data["_row"].to_list() == [2, 3, 4, 5]
    assert referrals.location == "a.xlsx, sheet 'List 3 - Referrals'"


def test_header_variants_offset_header_and_derived_ids(tmp_path):
    path = _workbook(tmp_path / "ilacs.xlsx", {
        "Cover": [["Annex A for inspection"]],
        "List 3": [
            ["Annex A List 3: referrals in the last six months"],
            [],
            ["CHILD UNIQUE  ID", "gender", "Date of\nreferral (DD/MM/YYYY)", "Referral source",
             "Referral NFA?", "Allocated Worker"],
            ["900", "a) Male", "05/04/2022", "q) 6: Police", "a) Yes", "Worker A"],
            [None, None, None, None, None, None],
            [901, "Female", "2022-06-01", "5D", "c) Unknown", "Worker B"],
            ["900", "a) Male", "05/04/2022", "1A: Individual", "b) No", "Worker A"],
        ],
    })
    frames = annex_a.read(path)
    ref = _by_table(frames)["referrals"]
    rows = ref.data.to_dicts()
    assert [r["_row"] for r in rows] == [4, 6, 7]
    assert [r["child_id"] for r in rows] == ["900", "901", "900"]
    assert [r["referral_date"] for r in rows] == ["05/04/2022", "2022-06-01", "05/04/2022"]
    assert [r["referral_source"] for r in rows] == ["6", "5D", "1A"]
    assert [r["referral_nfa"] for r in rows] == ["Y", None, "N"]
    assert "allocated_worker" not in ref.data.columns  # staff names are not read
    ids = [r["referral_id"] for r in rows]
    assert all(i.startswith("AA3-") for i in ids) and len(set(ids)) == 3
    # derivation is deterministic: same workbook, same ids
    assert _by_table(annex_a.read(path))["referrals"].data["referral_id"].to_list() == ids
    children = next(f for f in frames if f.table == "children")
    assert children.data.select("child_id", "sex").rows() == [("900", "M"), ("901", "F")]


def test_excel_date_cells_become_iso_and_codes_translate(tmp_path):
    import datetime as dt

    path = _workbook(tmp_path / "cp.xlsx", {
        "List 7 - CP": [
            ["Child Unique ID", "Child Protection Plan Start Date", "Initial Category of Abuse",
             "Latest category of abuse", "Child Protection Plan End Date"],
            ["C1", dt.datetime(2022, 3, 1), "a) Neglect", "Emotional abuse", None],
            ["C2", 44621, "e) Multiple/not recommended", "Neglect", "not a date"],
        ],
        "List 6": [
            ["Child Unique ID", "CIN Start Date", "Primary Need Code", "CIN Closure Date",
             "Reason for Closure"],
            ["C1", dt.datetime(2022, 1, 2), "N1 - Abuse or neglect", dt.datetime(2022, 5, 1),
             "RC8 - Case closed after assessment, no further action"],
        ],
    })
    frames = _by_table(annex_a.read(path))
    cp = frames["cp_plans"].data.to_dicts()
    assert (cp[0]["cp_plan_start_date"], cp[0]["initial_category"], cp[0]["latest_category"]) \
        == ("2022-03-01", "NEG", "EMO")
    # a serial number stays a serial (the core loader reads Excel serials); bad text untouched
    assert (cp[1]["cp_plan_start_date"], cp[1]["cp_plan_end_date"]) == ("44621", "not a date")
    assert cp[1]["initial_category"] == "MUL"
    cin = frames["cin_episodes"].data.to_dicts()[0]
    assert (cin["primary_need_code"], cin["reason_for_closure"], cin["cin_closure_date"]) == \
        ("N1", "RC8", "2022-05-01")


def test_unknown_codes_pass_through_untouched(tmp_path):
    path = _workbook(tmp_path / "x.xlsx", {"List 3": [
        ["Child Unique ID", "Date of referral", "Referral Source", "Referral NFA?"],
        ["1", "01/02/2022", "z) 99: Carrier pigeon", "Maybe"],
        ["2", "31/02/2022", "3G", ""],
    ]})
    rows = _by_table(annex_a.read(path))["referrals"].data.to_dicts()
    assert [r["referral_source"] for r in rows] == ["z) 99: Carrier pigeon", "3G"]
    assert [r["referral_nfa"] for r in rows] == ["Maybe", None]
    assert rows[1]["referral_date"] == "31/02/2022"


def test_missing_and_rhi_lists_link_by_start_time(tmp_path):
    import datetime as dt

    start = dt.datetime(2022, 7, 1, 22, 0)
    path = _workbook(tmp_path / "m.xlsx", {
        "Missing episodes": [
            ["Child Unique ID", "Date and time missing episode started",
             "Date and time child returned", "Missing or absent", "Looked after child"],
            ["C1", start, dt.datetime(2022, 7, 2, 10, 30), "a) Missing", "a) Yes"],
        ],
        "Return interviews": [
            ["Child Unique ID", "Date and time missing episode started",
             "Date return interview offered", "Did the child accept a return interview",
             "Date and time return interview completed"],
            ["C1", start, dt.datetime(2022, 7, 2), "Yes", dt.datetime(2022, 7, 4, 14, 0)],
        ],
    })
    frames = _by_table(annex_a.read(path))
    ep = frames["missing_episodes"].data.to_dicts()[0]
    rhi = frames["return_interviews"].data.to_dicts()[0]
    assert ep["missing_start_datetime"] == "2022-07-01 22:00:00"
    assert (ep["missing_type"], ep["looked_after"]) == ("M", "Y")
    assert rhi["missing_episode_id"] == ep["missing_episode_id"]
    assert rhi["rhi_id"].startswith("AAR-") and rhi["rhi_accepted"] == "Y"
    assert "missing_start_datetime" not in frames["return_interviews"].data.columns


def test_unread_lists_are_ignored_and_blank_list_sheets_skipped(tmp_path):
    path = _workbook(tmp_path / "y.xlsx", {
        "List 2": [["Child Unique ID", "Assessment start date"], ["1", "01/01/2022"]],
        "List 5": [["Child Unique ID",
                    "Strategy discussion initiating Section 47 Enquiry Start Date"],
                   ["1", "01/01/2022"]],
        "List 6": [],
        "List 3": [["Child Unique ID", "Date of referral", "Referral Source"],
                   ["1", "01/01/2022", "6"]],
    })
    # List 5 is read (section 47 enquiries); List 2 (early help) is not
    assert [f.table for f in annex_a.read(path)] == ["s47_enquiries", "referrals"]


def test_sniff_and_dispatch(tmp_path):
    annex = _workbook(tmp_path / "ofsted.xlsx", {"List 1": [["Child Unique ID"]]})
    canonical = _workbook(tmp_path / "referrals.xlsx", {"referrals": [["referral_id"]]})
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    assert annex_a.sniff(annex) and not annex_a.sniff(canonical) and not annex_a.sniff(broken)
    assert reader_for(annex, []) is annex_a.read
    assert reader_for(canonical, []) is None
    assert reader_for(tmp_path / "referrals.csv", []) is None


@pytest.mark.parametrize("sheets, expect", [
    ({"Summary": [["nothing here"]]}, ["not an Annex A workbook"]),
    ({"List 3": [["Referrals"], ["Some text but no headings"]]},
     ["sheet 'List 3'", "no heading row", "Child Unique ID"]),
    ({"List 3": [["Child Unique ID", "Date of referral", "Gender"], ["1", "01/01/2022", "M"]]},
     ["sheet 'List 3'", "referral_source", "'Referral Source'"]),
    ({"List 7": [["Child Unique ID", "CP plan start date"], ["1", "01/01/2022"]]},
     ["sheet 'List 7'", "initial_category", "'Initial Category of Abuse'"]),
    ({"Return interviews": [["Child Unique ID", "RHI accepted"], ["1", "Y"]]},
     ["sheet 'Return interviews'", "missing_episode_id"]),
])
def test_structural_errors_name_file_sheet_and_column(tmp_path, sheets, expect):
    path = _workbook(tmp_path / "bad.xlsx", sheets)
    with pytest.raises(StructuralError) as err:
        annex_a.read(path)
    message = str(err.value)
    assert message.startswith(str(path))
    for part in expect:
        assert part in message


def test_unreadable_workbook_is_structural(tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(StructuralError, match="cannot open as an Excel workbook"):
        annex_a.read(path)


def test_workbook_named_after_a_canonical_extract_stays_canonical(tmp_path):
    path = _workbook(tmp_path / "missing_episodes_2023-01.xlsx",
                     {"missing_episodes": [["missing_episode_id", "child_id"]]})
    assert annex_a.sniff(path)  # the sheet name alone looks like a supplementary list ...
    assert reader_for(path, []) is None  # ... but the file name says canonical


# ---------------------------------------------------------------- List 5 and the LA it names
def test_list_5_section_47_enquiries_as_the_template_has_them(tmp_path):
    import datetime as dt

    path = _workbook(tmp_path / "annex.xlsx", {
        "List 5 - Section 47": [
            ["Annex A List 5: section 47 enquiries"],
            ["Child Unique ID", "Gender", "Strategy discussion initiating Section 47\nEnquiry Start Date",
             "Was an Initial Child Protection Conference deemed unnecessary?",
             "Date of Initial Child Protection Conference (DD/MM/YYYY)",
             "Did the Initial Child Protection Conference Result in a Child Protection Plan", "Allocated Worker"],
            ["C1", "a) Male", dt.datetime(2022, 5, 3), "b) No", dt.datetime(2022, 5, 20), "a) Yes", "Worker A"],
            ["C2", "b) Female", "06/06/2022", "a) Yes", None, None, "Worker B"],
            ["C2", "b) Female", "06/06/2022", "c) Unknown", None, None, "Worker B"],
        ]})
    frames = _by_table(annex_a.read(path))
    rows = frames["s47_enquiries"].data.to_dicts()
    assert [(r["child_id"], r["s47_start_date"], r["icpc_not_required"], r["icpc_date"]) for r in rows] == [
        ("C1", "2022-05-03", "N", "2022-05-20"), ("C2", "06/06/2022", "Y", None), ("C2", "06/06/2022", None, None)]
    ids = [r["s47_id"] for r in rows]
    assert all(i.startswith("AA5-") for i in ids) and len(set(ids)) == 3   # a second one that day differs
    assert frames["s47_enquiries"].location == "annex.xlsx, sheet 'List 5 - Section 47'"
    assert "allocated_worker" not in frames["s47_enquiries"].data.columns


def test_list_5_round_trip_and_episode_links(tmp_path):
    tables = canon.canonical_tables()
    census = canon.census_tables()
    tables["s47_enquiries"] = census["s47_enquiries"]
    tables["cp_plans"] = census["cp_plans"]
    frames = annex_a.read(write(tables, tmp_path / "a.xlsx"))
    for table in ("s47_enquiries", "cp_plans", "referrals"):
        # Annex A has no column for the number of previous plans
        want = tables[table].drop("number_of_previous_cpp", strict=False)
        assert canon.read_back(frames, table) == canon.as_text(want), table
    heads = [c.value for c in openpyxl.load_workbook(tmp_path / "a.xlsx")["List 5 - Section 47 enquiries"][1]]
    assert "Strategy discussion initiating Section 47 Enquiry Start Date" in heads


def test_a_front_sheet_names_the_la(tmp_path, key):
    from scorecard import db
    from scorecard.load import load

    (tmp_path / "raw").mkdir()
    path = write(canon.canonical_tables(), tmp_path / "raw" / "annex_a.xlsx", la_code=370)
    facts = annex_a.read(path)[0].facts
    assert (facts["format"], facts["la_code"]) == ("annex_a", "370")
    hand = _workbook(tmp_path / "hand.xlsx", {
        "Cover": [["Annex A"], [], ["Local authority code:", None, 371]],
        "List 3": [["Child Unique ID", "Date of referral", "Referral Source"], ["1", "01/02/2022", "6"]]})
    assert annex_a.read(hand)[0].facts["la_code"] == "371"
    assert annex_a.read(_workbook(tmp_path / "none.xlsx", {"List 3": [
        ["Child Unique ID", "Date of referral", "Referral Source"], ["1", "01/02/2022", "6"]]}))[0].facts is None
    con = db.connect(":memory:")
    load(con, tmp_path / "raw", key=key, la_code=370)
    with pytest.raises(StructuralError, match=r"annex_a.xlsx: the Annex A front sheet \(LA code\) is for LA 370, "
                                              r"but this build is for LA 371"):
        load(db.connect(":memory:"), tmp_path / "raw", key=key, la_code=371)
