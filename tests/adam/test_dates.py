import pandas as pd

from adam.dates import compute_dt, compute_dtm


def _ts(values):
    return pd.Series(pd.to_datetime(values), dtype="datetime64[ns]")


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
