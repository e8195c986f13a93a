"""QS: the wide QLQ-C15-PAL form as one record per item; forms and items not done."""

from __future__ import annotations

import math

import pytest

from specs.errors import InputError
from specs.loader import load_study
from tests.sdtm.rawforms import TREATED, convert_some, raw_forms


@pytest.fixture(scope="module")
def study():
    return load_study("ovarian")


def _form(folder, date, answers=None, not_done="", reason=""):
    row = {"SUBJID": "001", "FOLDER": folder, "QSDAT": date, "QSND": not_done, "QSREASND": reason}
    row |= {f"Q{i:02d}": str(v) for i, v in (answers or {}).items()}
    return row


def _qs(study, forms):
    return convert_some(study, raw_forms(study, **TREATED, qlq=forms), "QS")["QS"]


def test_qs_scenarios(study):
    full = {i: 1 + (i % 4) for i in range(1, 15)} | {15: 6}
    missing_item = {i: v for i, v in full.items() if i != 5}
    qs = _qs(study, [
        # Screening: every item answered.
        _form("SCRN", "02 MAR 2024", full),
        # Day 28: item 5 left blank.
        _form("D28", "12 APR 2024", missing_item),
        # Month 3: the form was not done.
        _form("M3", "13 JUN 2024", not_done="X", reason="Patient too unwell"),
    ])
    scrn, d28, m3 = (qs[qs["VISIT"] == v].set_index("QSTESTCD") for v in ("SCREENING", "DAY 28", "MONTH 3"))
    # One record per item; the response text in QSORRES, the rating in QSSTRESC/QSSTRESN.
    assert len(scrn) == 15 and len(d28) == 15
    assert scrn.loc["C15P01", "QSORRES"] == "A little" and scrn.loc["C15P01", "QSSTRESN"] == 2
    assert scrn.loc["C15P03", "QSORRES"] == "Very much"
    # Item 15 is rated 1-7 and its response is the rating itself.
    assert (scrn.loc["C15P15", "QSORRES"], scrn.loc["C15P15", "QSSTRESC"]) == ("6", "6")
    assert scrn.loc["C15P15", "QSTEST"] == "C15P15-Overall Quality of Life Past Week"
    # One-week recall for items 4-15 only.
    assert scrn.loc["C15P01", "QSEVLINT"] == "" and scrn.loc["C15P04", "QSEVLINT"] == "-P1W"
    # A missing item: a record with QSSTAT NOT DONE and no result.
    assert (d28.loc["C15P05", "QSSTAT"], d28.loc["C15P05", "QSORRES"]) == ("NOT DONE", "")
    assert math.isnan(d28.loc["C15P05", "QSSTRESN"])
    assert d28["QSSTAT"].drop("C15P05").eq("").all()
    # The form not done: one QSALL record with the reason.
    assert list(m3.index) == ["QSALL"]
    assert (m3.loc["QSALL", "QSSTAT"], m3.loc["QSALL", "QSREASND"]) == ("NOT DONE", "Patient too unwell")
    assert set(qs["QSCAT"]) == {"EORTC QLQ-C15-PAL V1.0"}
    # Baseline flag on the screening answers; sequence numbers unique per subject.
    assert scrn["QSLOBXFL"].eq("Y").all() and d28["QSLOBXFL"].eq("").all()
    assert sorted(qs["QSSEQ"]) == [float(i) for i in range(1, 32)]
    assert scrn.loc["C15P01", "QSDTC"] == "2024-03-02" and d28.loc["C15P01", "QSDY"] == 29


def test_qs_rating_out_of_range_is_an_error(study):
    # Items 1-14 are rated 1-4: a 5 is not a response of the instrument.
    with pytest.raises(InputError, match="C15PAL4"):
        _qs(study, [_form("SCRN", "02 MAR 2024", {1: 5})])
