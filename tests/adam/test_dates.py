import pandas as pd

from adam.dates import (
    compute_dt,
    compute_dtf,
    compute_dtm,
    compute_tmf,
    derive_vars_dt,
    derive_vars_dtm,
    derive_vars_dtm_to_dt,
    derive_vars_dy,
    impute_dtc_dt,
    impute_dtc_dtm,
)


def _ts(values):
    return pd.Series(pd.to_datetime(values, format="ISO8601"), dtype="datetime64[ns]")


def test_compute_dt_keeps_only_complete_dates():
    dtc = pd.Series(
        [
            "2024-05-14T09:30",  # complete date with time: time dropped
            "2024-05-14",  # complete date
            "2024-05",  # day unknown: no imputation
            "2024---14",  # month unknown in the middle
            "2023-02-30",  # not a calendar date
            "",  # blank from XPT
            None,  # missing from parquet
        ]
    )
    expected = _ts(["2024-05-14", "2024-05-14", None, None, None, None, None])
    pd.testing.assert_series_equal(compute_dt(dtc), expected)


def test_compute_dtm_needs_date_and_time():
    dtc = pd.Series(
        [
            "2024-05-14T09:30:15",  # full precision
            "2024-05-14T09:30",  # minutes precision: seconds read as :00
            "2024-05-14",  # no time: 00:00:00 would be imputation
            "2024-05-14T09",  # hour only
            "2024-05",  # partial date
        ]
    )
    expected = _ts(["2024-05-14 09:30:15", "2024-05-14 09:30:00", None, None, None])
    pd.testing.assert_series_equal(compute_dtm(dtc), expected)


def test_compute_dt_keeps_index():
    # Rows of a filtered frame keep their labels
    dtc = pd.Series(["2024-01-02", "2024"], index=[7, 3])
    assert list(compute_dt(dtc).index) == [7, 3]


def _dtc(*values):
    return pd.Series(list(values), dtype="string")


def test_impute_dtc_dtm_levels_and_rules():
    dtc = _dtc(
        "2019-07-18T15:25:40",  # complete: unchanged
        "2019-07-18T15:25",  # seconds missing
        "2019-07-18",  # time missing
        "2019-02",  # day missing: first of month
        "2019",  # month missing: 1 January
        "2019---07",  # unknown month, known day: day dropped without preserve
        "",  # nothing collected
    )
    got = impute_dtc_dtm(dtc, highest_imputation="M")
    expected = _ts(
        [
            "2019-07-18 15:25:40",
            "2019-07-18 15:25:00",
            "2019-07-18 00:00:00",
            "2019-02-01",
            "2019-01-01",
            "2019-01-01",
            None,
        ]
    )
    pd.testing.assert_series_equal(got, expected)


def test_impute_dtc_dtm_highest_level_stops_imputation():
    dtc = _dtc("2019-07-18", "2019-07", "2019-07-18T10")
    # "h": date parts must be collected, time may be imputed
    got = impute_dtc_dtm(dtc, highest_imputation="h")
    pd.testing.assert_series_equal(got, _ts(["2019-07-18", None, "2019-07-18 10:00"]))
    # "n": any missing part gives NaT
    got = impute_dtc_dtm(dtc, highest_imputation="n")
    pd.testing.assert_series_equal(got, _ts([None, None, None]))


def test_impute_dtc_dtm_last_and_mid():
    dtc = _dtc("2019-02", "2020-02", "2019", "2019-07-18T15")
    last = impute_dtc_dtm(dtc, highest_imputation="M", date_imputation="last", time_imputation="last")
    # last day of February, leap year, 31 December; missing minutes/seconds to 59
    expected = _ts(
        ["2019-02-28 23:59:59", "2020-02-29 23:59:59", "2019-12-31 23:59:59", "2019-07-18 15:59:59"]
    )
    pd.testing.assert_series_equal(last, expected)
    mid = impute_dtc_dtm(dtc, highest_imputation="M", date_imputation="mid")
    # mid-month is the 15th, mid-year 30 June (admiral)
    expected = _ts(["2019-02-15", "2020-02-15", "2019-06-30", "2019-07-18 15:00"])
    pd.testing.assert_series_equal(mid, expected)


def test_impute_dtc_dtm_preserve_keeps_known_day():
    # "2019---07": the 7th is known although the month is not
    got = impute_dtc_dtm(_dtc("2019---07"), highest_imputation="M", date_imputation="mid", preserve=True)
    pd.testing.assert_series_equal(got, _ts(["2019-06-07"]))


def test_impute_dtc_dtm_min_dates_within_possible_range():
    dtc = _dtc("2020-11", "2020-11", "2020-11-20", "")
    treatment_start = _ts(["2020-11-11 11:11", "2020-12-06", "2020-11-11", "2020-11-11"])
    got = impute_dtc_dtm(dtc, highest_imputation="M", min_dates=[treatment_start])
    expected = _ts(
        [
            "2020-11-11 11:11",  # partial month equals treatment month: impute to treatment start
            "2020-11-01",  # treatment in a later month: collected month must not change
            "2020-11-20",  # complete date is never moved
            None,  # missing year is not imputed below "Y"
        ]
    )
    pd.testing.assert_series_equal(got, expected)


def test_impute_dtc_dtm_year_only_from_bounds():
    # highest "Y": a missing date takes the latest minimum date, if there is one
    dtc = _dtc("", "")
    bound = _ts(["2021-03-04", None])
    got = impute_dtc_dtm(dtc, highest_imputation="Y", min_dates=[bound])
    pd.testing.assert_series_equal(got, _ts(["2021-03-04", None]))


def test_impute_dtc_dt_caps_with_max_dates():
    dtc = _dtc("2020-12", "2020-11", "2020-12-20")
    death = _ts(["2020-12-06", "2020-12-06", "2020-12-06"])
    got = impute_dtc_dt(dtc, highest_imputation="M", date_imputation="last", max_dates=[death])
    expected = _ts(
        [
            "2020-12-06",  # end of December capped by death in December
            "2020-11-30",  # death after the possible range: plain last day
            "2020-12-20",  # collected date kept even after death
        ]
    )
    pd.testing.assert_series_equal(got, expected)


def test_derive_vars_dtm_flags():
    ae = pd.DataFrame({"AESTDTC": ["2019-07-18T15:25", "2019-07-18", "2019-02", "2019", "2019-02"]})
    ae["TRTSDTM"] = _ts([None, None, None, None, "2019-02-10 08:00"])
    got = derive_vars_dtm(
        ae, new_vars_prefix="AST", dtc="AESTDTC", highest_imputation="M", min_dates=["TRTSDTM"]
    )
    # seconds imputed only: not flagged; time missing: H; day: D; month: M
    assert got["ASTDTF"].tolist() == [pd.NA, pd.NA, "D", "M", "D"]
    # the last row took the treatment time, so its hour differs from the collected nothing: H
    assert got["ASTTMF"].tolist() == [pd.NA, "H", "H", "H", "H"]
    assert got["ASTDTM"].iloc[4] == pd.Timestamp("2019-02-10 08:00")
    assert "ASTDTM" not in ae  # input not modified


def test_derive_vars_dt_flag_auto():
    dm = pd.DataFrame({"DTHDTC": ["2021-05", "2021-05-03", None]})
    got = derive_vars_dt(dm, new_vars_prefix="DTH", dtc="DTHDTC", highest_imputation="M")
    pd.testing.assert_series_equal(got["DTHDT"], _ts(["2021-05-01", "2021-05-03", None]), check_names=False)
    assert got["DTHDTF"].tolist() == ["D", pd.NA, pd.NA]
    # no imputation requested: no flag variable
    assert "DTHDTF" not in derive_vars_dt(dm, new_vars_prefix="DTH", dtc="DTHDTC")


def test_compute_tmf_when_bound_changes_collected_time_part():
    # time collected as 00:00 but moved to 23:59 by a max date: minutes and hours changed
    got = compute_tmf(_dtc("2022-05--T00:00"), _ts(["2022-05-15 23:59"]))
    assert got.tolist() == ["H"]
    assert compute_dtf(_dtc("2022-05"), _ts(["2022-05-15"])).tolist() == ["D"]


def test_derive_vars_dy_has_no_day_zero():
    adae = pd.DataFrame(
        {
            "TRTSDT": _ts(["2024-01-10"] * 4),
            "ASTDT": _ts(["2024-01-09", "2024-01-10", "2024-01-11", None]),
            "AENDTM": _ts(["2024-01-10 23:00", None, "2024-01-08 01:00", None]),
        }
    )
    got = derive_vars_dy(adae, reference_date="TRTSDT", source_vars=["ASTDT", "AENDTM"])
    # day before reference is -1, reference day is 1; time is ignored
    assert got["ASTDY"].tolist() == [-1, 1, 2, pd.NA]
    assert got["AENDY"].tolist() == [1, pd.NA, -2, pd.NA]


def test_derive_vars_dtm_to_dt():
    frame = pd.DataFrame({"ASTDTM": _ts(["2024-01-10 13:00", None])})
    got = derive_vars_dtm_to_dt(frame, ["ASTDTM"])
    pd.testing.assert_series_equal(got["ASTDT"], _ts(["2024-01-10", None]), check_names=False)
