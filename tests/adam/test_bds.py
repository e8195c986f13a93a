"""BDS derivations on small tables: baseline, change, visit windows, analysis flag, peaks."""

import numpy as np
import pandas as pd
import pytest

from adam.bds import (
    compute_ratio,
    compute_window_table,
    derive_param_extreme_record,
    derive_var_ablfl,
    derive_var_anl01fl,
    derive_var_base,
    derive_var_chg,
    derive_var_pchg,
    derive_vars_avisit,
)

NA = np.nan
T = pd.Timestamp


def _records(rows, columns):
    frame = pd.DataFrame(rows, columns=columns)
    for name in columns:
        if name.endswith(("DT", "DTM")):
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[ns]")
    return frame.assign(STUDYID="S", PARAMCD="X")


def test_ablfl_last_non_missing_on_or_before_reference_date():
    data = _records(
        [
            # screening value, then a day-0 value on the reference date: day 0 wins
            ("1", "2024-01-01", 5.0, "2024-01-15"),
            ("1", "2024-01-15", 6.0, "2024-01-15"),
            ("1", "2024-01-20", 7.0, "2024-01-15"),
            # the latest pre-treatment value is missing: the earlier non-missing one counts
            ("2", "2024-01-01", 5.0, "2024-01-15"),
            ("2", "2024-01-10", NA, "2024-01-15"),
            # only post-treatment values: no baseline
            ("3", "2024-02-01", 5.0, "2024-01-15"),
            # no treatment date: no baseline
            ("4", "2024-01-01", 5.0, None),
        ],
        ["USUBJID", "ADT", "AVAL", "TRTSDT"],
    )
    flags = derive_var_ablfl(data)["ABLFL"].tolist()
    assert flags == [pd.NA, "Y", pd.NA, "Y", pd.NA, pd.NA, pd.NA]


def test_ablfl_uses_times_when_both_known():
    data = _records(
        [
            # screening sample; day-0 sample at 08:00 before a 10:00 infusion is baseline
            ("1", "2024-01-01", "2024-01-01 09:00", 5.0),
            ("1", "2024-01-15", "2024-01-15 08:00", 6.0),
            # day-0 sample after the infusion is post-baseline
            ("1", "2024-01-15", "2024-01-15 14:00", 9.0),
            # subject 2: day-0 sample after the infusion only: screening is baseline
            ("2", "2024-01-01", "2024-01-01 09:00", 5.0),
            ("2", "2024-01-15", "2024-01-15 14:00", 9.0),
            # subject 3: day-0 sample without time counts as pre-infusion (date rule)
            ("3", "2024-01-01", "2024-01-01 09:00", 5.0),
            ("3", "2024-01-15", None, 6.0),
        ],
        ["USUBJID", "ADT", "ADTM", "AVAL"],
    ).assign(TRTSDT=T("2024-01-15"), TRTSDTM=T("2024-01-15 10:00"))
    result = derive_var_ablfl(data, order=["ADT", "ADTM"], reference_datetime="TRTSDTM",
                              datetime_var="ADTM")
    assert result["ABLFL"].tolist() == [pd.NA, "Y", pd.NA, "Y", pd.NA, pd.NA, "Y"]


def test_base_chg_pchg():
    data = _records(
        [
            ("1", "Y", 10.0), ("1", None, 15.0),
            # baseline 0: PCHG not defined, CHG is
            ("2", "Y", 0.0), ("2", None, 3.0),
            # no baseline: BASE, CHG, PCHG missing
            ("3", None, 4.0),
            # negative baseline: percent change relative to |BASE|
            ("4", "Y", -2.0), ("4", None, -1.0),
        ],
        ["USUBJID", "ABLFL", "AVAL"],
    )
    post = "ABLFL != 'Y'"
    result = derive_var_pchg(derive_var_chg(derive_var_base(data), filter=post), filter=post)
    np.testing.assert_array_equal(result["BASE"], [10, 10, 0, 0, NA, -2, -2])
    np.testing.assert_array_equal(result["CHG"], [NA, 5, NA, 3, NA, NA, 1])
    np.testing.assert_array_equal(result["PCHG"], [NA, 50, NA, NA, NA, NA, 50])


def test_base_two_baselines_is_an_error():
    data = _records([("1", "Y", 1.0), ("1", "Y", 2.0)], ["USUBJID", "ABLFL", "AVAL"])
    with pytest.raises(ValueError, match="more than one baseline"):
        derive_var_base(data)


WINDOWS = [
    {"AVISIT": "BASELINE", "AVISITN": 0, "AWTARGET": 1, "AWLO": None, "AWHI": 1},
    {"AVISIT": "DAY 28", "AVISITN": 28, "AWTARGET": 29, "AWLO": 2, "AWHI": 60},
    {"AVISIT": "MONTH 3", "AVISITN": 90, "AWTARGET": 91, "AWLO": 61, "AWHI": 136},
]


def test_avisit_window_edges():
    data = _records([("1", d, 1.0) for d in (-30, 1, 2, 60, 61, 136, 137, NA)],
                    ["USUBJID", "ADY", "AVAL"])
    result = derive_vars_avisit(data, WINDOWS)
    # open lower bound, both edges of each window inclusive, beyond the last window none
    assert result["AVISIT"].tolist() == ["BASELINE", "BASELINE", "DAY 28", "DAY 28", "MONTH 3",
                                         "MONTH 3", pd.NA, pd.NA]
    np.testing.assert_array_equal(result["AWTDIFF"], [31, 0, 27, 31, 30, 45, NA, NA])
    assert result["AWU"].tolist()[:2] == ["DAYS", "DAYS"]


def test_window_table_rejects_overlap_and_target_outside():
    with pytest.raises(ValueError, match="overlap"):
        compute_window_table([*WINDOWS, {"AVISIT": "X", "AVISITN": 1, "AWTARGET": 60, "AWLO": 50,
                                         "AWHI": 70}])
    with pytest.raises(ValueError, match="AWLO <= AWTARGET"):
        compute_window_table([{"AVISIT": "X", "AVISITN": 1, "AWTARGET": 0, "AWLO": 5, "AWHI": 9}])


def test_anl01fl_closest_to_target_later_on_tie():
    data = _records(
        [
            # two records equally far from target 29 (ADY 27 and 31): the later one
            ("1", 27, 1.0), ("1", 31, 2.0),
            # closest record has a missing value: the next closest with a value
            ("2", 29, NA), ("2", 35, 3.0), ("2", 40, 4.0),
            # one record only
            ("3", 100, 5.0),
        ],
        ["USUBJID", "ADY", "AVAL"],
    )
    result = derive_var_anl01fl(derive_vars_avisit(data, WINDOWS))
    assert result["ANL01FL"].tolist() == [pd.NA, "Y", pd.NA, "Y", pd.NA, "Y"]


def test_peak_record_and_ratio():
    data = _records(
        [
            # the peak occurs twice: the earlier date is kept
            ("1", "2024-01-02", 8.0), ("1", "2024-01-05", 8.0), ("1", "2024-01-03", 3.0),
            # missing values are never the peak
            ("2", "2024-01-02", NA), ("2", "2024-01-03", 1.0),
        ],
        ["USUBJID", "ADT", "AVAL"],
    )
    peaks = derive_param_extreme_record(data, paramcd={"X": "XPK"}, set_values_to={"DTYPE": "MAXIMUM"})
    assert peaks["USUBJID"].tolist() == ["1", "2"]
    assert peaks["ADT"].tolist() == [T("2024-01-02"), T("2024-01-03")]
    assert peaks["PARAMCD"].tolist() == ["XPK", "XPK"]
    assert peaks["DTYPE"].tolist() == ["MAXIMUM", "MAXIMUM"]
    # ratio to a baseline of 0 or missing is not defined
    ratio = compute_ratio(pd.Series([8.0, 8.0, 8.0]), pd.Series([2.0, 0.0, NA]))
    np.testing.assert_array_equal(ratio, [4.0, NA, NA])


# ---- on-treatment flag (admiral derive_var_ontrtfl) -------------------------------------------

def test_ontrtfl_from_start_to_end_of_treatment():
    from adam.bds import derive_var_ontrtfl

    data = pd.DataFrame({
        "ADT": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-05", "2024-01-20", "2024-01-25", None]),
        "TRTSDT": pd.to_datetime(["2024-01-05"] * 6),
        "TRTEDT": pd.to_datetime(["2024-01-20"] * 6),
        "AVISIT": ["Screening", "Baseline", "Week 1", "Week 2", "Follow-up", "Week 3"],
    })
    # before start: no; start day: yes unless a pre-dose (Baseline) record; end day: yes; after: no;
    # no date: no flag
    flags = derive_var_ontrtfl(data, filter_pre_timepoint="AVISIT == 'Baseline'")["ONTRTFL"]
    assert flags.fillna("").tolist() == ["", "", "Y", "Y", "", ""]
    # a 5-day window after the end takes the follow-up record in
    windowed = derive_var_ontrtfl(data, ref_end_window=5)["ONTRTFL"]
    assert windowed.fillna("").tolist() == ["", "Y", "Y", "Y", "Y", ""]
    # no end date: everything from the start on
    open_ended = derive_var_ontrtfl(data, ref_end_date=None)["ONTRTFL"]
    assert open_ended.fillna("").tolist() == ["", "Y", "Y", "Y", "Y", ""]
