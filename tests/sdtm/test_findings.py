"""The pure functions behind the findings algorithms, as small tables."""

from __future__ import annotations

import math

import pandas as pd

from sdtm.findings import (
    compute_blq,
    compute_duration_days,
    compute_elapsed_time,
    compute_nrind,
    compute_sum_of_diameters,
    compute_wide_to_long,
)

BLQ_CASES = [
    # (result as collected, LLOQ on the record, STRESC, STRESN, LLOQ)
    ("1234", "50", "1234", 1234.0, 50.0),          # a number
    ("1,234.5", "50", "1234.5", 1234.5, 50.0),     # thousands separator
    ("12.50", "50", "12.5", 12.5, 50.0),           # trailing zero dropped
    ("<LLOQ", "50", "<BLQ", None, 50.0),           # lab spelling 1
    ("< LLOQ", "50", "<BLQ", None, 50.0),          # with a space
    ("BLQ", "50", "<BLQ", None, 50.0),             # lab spelling 2
    ("blq", "50", "<BLQ", None, 50.0),             # lower case
    ("<BLQ", "", "<BLQ", None, None),              # already standard, no limit given
    ("BLOQ", "50", "<BLQ", None, 50.0),
    ("BQL", "50", "<BLQ", None, 50.0),
    ("NQ", "50", "<BLQ", None, 50.0),
    ("below LLOQ", "50", "<BLQ", None, 50.0),
    ("< 50", "", "<BLQ", None, 50.0),              # the limit is in the result
    ("<25.5", "", "<BLQ", None, 25.5),
    ("< 50", "40", "<BLQ", None, 40.0),            # the record's LLOQ wins
    ("", "50", "", None, 50.0),                    # no result (not done)
]


def test_compute_blq_every_spelling():
    table = pd.DataFrame(BLQ_CASES, columns=["result", "lloq", "stresc", "stresn", "limit"])
    out = compute_blq(table["result"], table["lloq"])
    assert out["STRESC"].tolist() == table["stresc"].tolist()
    pd.testing.assert_series_equal(out["STRESN"], table["stresn"].astype("float64"), check_names=False)
    pd.testing.assert_series_equal(out["LLOQ"], table["limit"].astype("float64"), check_names=False)
    assert out["BLQ"].tolist() == [s == "<BLQ" for s in table["stresc"]]
    assert not out["INVALID"].any()


def test_compute_blq_flags_text_that_is_no_result():
    out = compute_blq(pd.Series(["abc", "12 copies", "<", "5"]))
    # Free text, a number with words, a bare "<": invalid; a number is fine.
    assert out["INVALID"].tolist() == [True, True, True, False]


ELTM_CASES = [
    # (time point as collected, visit protocol day, TPT, ELTM, TPTNUM in days)
    ("PRE-INFUSION", 0, "PRE-INFUSION", "-PT1H", -0.0417),   # alias: before the infusion
    ("Day 7", 7, "DAY 7", "P7D", 7.0),                       # protocol day, no day-0 shift
    ("D14", 14, "D14", "P14D", 14.0),
    ("4h post-infusion", 0, "4H POST-INFUSION", "PT4H", 0.1667),
    ("30 min pre-dose", 0, "30 MIN PRE-DOSE", "-PT30M", -0.0208),  # minutes before the reference
    ("2 days post", 2, "2 DAYS POST", "P2D", 2.0),
    ("SCREENING", -14, "SCREENING", "-P14D", -14.0),          # visit name: the visit's protocol day
    ("", 28, "", "P28D", 28.0),                               # blank: the scheduled visit's day
    ("", None, "", "", None),                                 # blank and unscheduled: nothing
]


def test_compute_elapsed_time():
    table = pd.DataFrame(ELTM_CASES, columns=["tpt", "day", "label", "eltm", "num"])
    out = compute_elapsed_time(table["tpt"], aliases={"Pre-infusion": "-PT1H"},
                               visit_day=table["day"].astype("float64"), visit_names=["SCREENING"])
    assert out["TPT"].tolist() == table["label"].tolist()
    assert out["ELTM"].tolist() == table["eltm"].tolist()
    pd.testing.assert_series_equal(out["TPTNUM"], table["num"].astype("float64"), check_names=False,
                                   atol=1e-4)
    assert not out["INVALID"].any()


def test_compute_elapsed_time_unknown_text_is_invalid():
    out = compute_elapsed_time(pd.Series(["WHENEVER", "DAY 3"]))
    assert out["INVALID"].tolist() == [True, False]


def test_compute_duration_days():
    got = compute_duration_days(pd.Series(["P7D", "-PT1H", "P1DT12H", "PT30M", "", "P"]))
    assert got.iloc[:4].tolist() == [7.0, -0.0417, 1.5, 0.0208]
    # Blank, and a bare P with no amount, have no duration.
    assert got.iloc[4:].isna().all()


def test_compute_sum_of_diameters():
    lesions = pd.DataFrame({
        "SUBJID": ["1", "1", "1", "1", "1", "1", "2", "2"],
        "FOLDER": ["SCRN", "SCRN", "SCRN", "D28", "D28", "D28", "SCRN", "SCRN"],
        "LESTYPE": ["Target", "Target", "Non-target", "Target", "Target", "New", "Target", "Target"],
        "DIAM": ["20", "15", "", "18", "", "12", "30", "11"],
    })
    out = compute_sum_of_diameters(lesions, ["SUBJID", "FOLDER"], diameter="DIAM",
                                   is_target=lesions["LESTYPE"] == "Target").set_index(["SUBJID", "FOLDER"])
    # Baseline: targets only (the non-target does not count).
    assert out.loc[("1", "SCRN"), "SUM"] == 35
    # A target not measured: no sum, one missing lesion; the new lesion's size does not count.
    assert math.isnan(out.loc[("1", "D28"), "SUM"])
    assert out.loc[("1", "D28"), "MISSING"] == 1
    assert out.loc[("2", "SCRN"), "SUM"] == 41


def test_compute_nrind():
    value = pd.Series([5.0, 0.5, 20.0, None, 3.0, 3.0])
    low = pd.Series([1.0, 1.0, 1.0, 1.0, None, None])
    high = pd.Series([10.0, 10.0, 10.0, 10.0, 2.0, None])
    # Within, below, above, no value, only an upper limit, no range at all.
    assert compute_nrind(value, low, high).tolist() == ["NORMAL", "LOW", "HIGH", "", "HIGH", ""]


def test_compute_wide_to_long():
    records = pd.DataFrame({"SUBJID": ["1", "2"], "ND": ["", "X"],
                            "Q1": ["3", ""], "Q2": ["", ""]}, index=[10, 11])
    items = [{"field": "Q1", "testcd": "T1"}, {"field": "Q2", "testcd": "T2", "evlint": "-P1W"}]
    long = compute_wide_to_long(records, items, not_done=records["ND"] == "X", not_done_code="QSALL")
    # Form done: one row per item in item order (a missing item keeps its row, blank value);
    # form not done: one QSALL row. Each row keeps its raw record's index.
    assert long["_TESTCD"].tolist() == ["T1", "T2", "QSALL"]
    assert long["_VALUE"].tolist() == ["3", "", ""]
    assert long["_EVLINT"].tolist() == ["", "-P1W", ""]
    assert long.index.tolist() == [10, 10, 11]
    assert long["SUBJID"].tolist() == ["1", "1", "2"]
