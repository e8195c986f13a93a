"""ADQS on small QS tables: items, scale scores with the half rule, baseline, windows."""

import numpy as np
import pandas as pd
import pytest

from adam.adqs import QSCAT, build_adqs

NA = np.nan
TRTSDT = pd.Timestamp("2024-03-01")
ALL_TWOS = dict.fromkeys(range(1, 16), 2)


def _form(subject, visitnum, visit, day, answers):
    """One QLQ form: day is the protocol day (0 = infusion day); answers item -> rating."""
    date = (TRTSDT + pd.Timedelta(days=day)).strftime("%Y-%m-%d")
    return [
        {"USUBJID": subject, "VISITNUM": float(visitnum), "VISIT": visit, "QSDTC": date,
         "QSTESTCD": f"C15P{item:02d}", "QSTEST": f"Item {item}",
         "QSSTRESN": answers.get(item, NA),
         "QSSTAT": "" if item in answers and not np.isnan(answers[item]) else "NOT DONE"}
        for item in range(1, 16)
    ]


def _qs(*forms):
    frame = pd.DataFrame([row for form in forms for row in form])
    return frame.assign(STUDYID="S", DOMAIN="QS", QSCAT=QSCAT)


def _adsl(*subjects):
    return pd.DataFrame({"STUDYID": "S", "USUBJID": list(subjects), "TRTSDT": TRTSDT, "TRT01A": "CAR-T"})


def _value(adqs, subject, paramcd, column="AVAL", visit=None):
    rows = adqs[(adqs["USUBJID"] == subject) & (adqs["PARAMCD"] == paramcd)]
    if visit is not None:
        rows = rows[rows["VISIT"] == visit]
    return rows[column].tolist()


def test_items_and_scales_with_half_rule():
    answers = {**ALL_TWOS, 1: 2, 2: 2, 3: 3, 13: 3, 14: NA, 15: 5, 7: NA, 11: NA}
    adqs = build_adqs(_qs(_form("1", 1, "SCREENING", -14, answers)), _adsl("1"))
    # items: AVAL = QSSTRESN, PARCAT2 of their scale
    assert _value(adqs, "1", "C15P03") == [3.0]
    assert _value(adqs, "1", "C15P15", "PARCAT2") == ["Global"]
    assert _value(adqs, "1", "C15P13", "PARCAT2") == ["Functional"]
    # PF: mean of 2, 2, 3 on the functional transform
    assert _value(adqs, "1", "PF")[0] == pytest.approx(100 * (1 - (7 / 3 - 1) / 3))
    # EF, a two-item scale with one item answered: half answered, so scored from item 13
    assert _value(adqs, "1", "EF")[0] == pytest.approx(100 * (1 - (3 - 1) / 3))
    # FA, both items missing: not scored
    assert np.isnan(_value(adqs, "1", "FA")[0])
    assert _value(adqs, "1", "QL")[0] == pytest.approx(100 * 4 / 6)
    assert _value(adqs, "1", "NV", "PARCAT2") == ["Symptom"]
    assert _value(adqs, "1", "PF", "PARAM") == ["Physical functioning"]
    assert set(adqs["PARCAT1"]) == {"EORTC QLQ-C15-PAL"}
    assert len(adqs) == 25


def test_scale_with_fewer_than_half_items_is_not_scored():
    # PF has three items; one answered is less than half
    adqs = build_adqs(_qs(_form("1", 1, "SCREENING", -14, {**ALL_TWOS, 2: NA, 3: NA})), _adsl("1"))
    assert np.isnan(_value(adqs, "1", "PF")[0])


def test_baseline_screening_or_day_zero_and_change():
    qs = _qs(
        # subject 1: screening and an infusion-day (day 0) form: day 0 is baseline
        _form("1", 1, "SCREENING", -14, {**ALL_TWOS, 15: 3}),
        _form("1", 5, "DAY 0", 0, {**ALL_TWOS, 15: 4}),
        _form("1", 12, "DAY 28", 28, {**ALL_TWOS, 15: 6}),
        # subject 2: screening only before the infusion
        _form("2", 1, "SCREENING", -14, {**ALL_TWOS, 15: 3}),
        _form("2", 12, "DAY 28", 28, {**ALL_TWOS, 15: 7}),
        # subject 3: the screening QL item is missing: no QL baseline, but items are there
        _form("3", 1, "SCREENING", -14, {**ALL_TWOS, 15: NA}),
        _form("3", 12, "DAY 28", 28, {**ALL_TWOS, 15: 7}),
    )
    adqs = build_adqs(qs, _adsl("1", "2", "3"))
    assert _value(adqs, "1", "C15P15", "ABLFL") == [pd.NA, "Y", pd.NA]
    assert _value(adqs, "1", "C15P15", "BASE") == [4, 4, 4]
    assert _value(adqs, "1", "C15P15", "CHG")[2] == 2
    # change is only for records after the infusion date
    assert np.isnan(_value(adqs, "1", "C15P15", "CHG")[:2]).all()
    assert _value(adqs, "2", "C15P15", "ABLFL") == ["Y", pd.NA]
    assert _value(adqs, "2", "QL", "CHG")[1] == pytest.approx(100 * 6 / 6 - 100 * 2 / 6)
    assert _value(adqs, "3", "C15P15", "ABLFL") == [pd.NA, pd.NA]
    assert np.isnan(_value(adqs, "3", "QL", "BASE")).all()
    assert _value(adqs, "3", "C15P01", "ABLFL") == ["Y", pd.NA]


def test_not_done_form_record_is_left_out():
    qs = _qs(_form("1", 1, "SCREENING", -14, ALL_TWOS))
    qsall = {"STUDYID": "S", "DOMAIN": "QS", "USUBJID": "1", "QSCAT": QSCAT, "QSTESTCD": "QSALL",
             "QSTEST": "All", "QSSTAT": "NOT DONE", "QSREASND": "TOO ILL", "VISITNUM": 12.0,
             "VISIT": "DAY 28", "QSDTC": "", "QSSTRESN": NA}
    adqs = build_adqs(pd.concat([qs, pd.DataFrame([qsall])], ignore_index=True), _adsl("1"))
    assert "QSALL" not in set(adqs["PARAMCD"]) and len(adqs) == 25


def test_windows_and_analysis_flag():
    qs = _qs(
        _form("1", 1, "SCREENING", -14, ALL_TWOS),
        # protocol days 26 and 30: ADY 27 and 31, both 2 days from the DAY 28 target (ADY 29);
        # the later one is analysed
        _form("1", 12, "DAY 28", 26, ALL_TWOS),
        _form("1", 99.1, "UNSCHEDULED 1", 30, ALL_TWOS),
        # protocol day 59 (ADY 60) is the last day of the DAY 28 window, day 60 the first of MONTH 3
        _form("1", 99.2, "UNSCHEDULED 2", 59, ALL_TWOS),
        _form("1", 99.3, "UNSCHEDULED 3", 60, ALL_TWOS),
    )
    adqs = build_adqs(qs, _adsl("1"))
    ql = adqs[adqs["PARAMCD"] == "QL"]
    assert ql["ADY"].tolist() == [-14, 27, 31, 60, 61]
    assert ql["AVISIT"].tolist() == ["BASELINE", "DAY 28", "DAY 28", "DAY 28", "MONTH 3"]
    assert ql["AVISITN"].tolist() == [0, 28, 28, 28, 90]
    assert ql["ANL01FL"].tolist() == ["Y", pd.NA, "Y", pd.NA, "Y"]
    assert ql["AWTDIFF"].tolist() == [15, 2, 2, 31, 30]
