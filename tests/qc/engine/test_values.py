"""qc/engine/values.py: nulls, text, join keys, regex parts and ISO 8601 dates on whole columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qc.engine.values import as_number, as_text, date_parts, is_null, key_text, regex_part, shown


def test_is_null_on_text_numbers_and_lists():
    text = pd.Series(["", " ", "Y", None], dtype="str")
    # a blank is a value, as CORE reads it; "" and NA are missing
    assert is_null(text).tolist() == [True, False, False, True]
    assert is_null(pd.Series([1.0, np.nan])).tolist() == [False, True]
    # operation results: an empty list is null, a list with items or a number is not
    mixed = pd.Series([[], ["A"], None, "", 3.0], dtype=object)
    assert is_null(mixed).tolist() == [True, False, True, True, False]


def test_as_text_writes_whole_numbers_without_decimals():
    assert as_text(pd.Series([3.0, 2.5, np.nan])).tolist() == ["3", "2.5", ""]
    assert as_text(pd.Series(["a", None], dtype=object)).tolist() == ["a", ""]
    # flags as Python writes them, so a flag column equals the YAML literal `false`
    assert as_text(pd.Series([True, False])).tolist() == ["True", "False"]


@pytest.mark.parametrize("value, key", [
    ("1", "1"), ("1.0", "1"), (" 12 ", "12"), ("1.5", "1.5"), ("A1", "A1"),
])
def test_key_text(value, key):
    assert key_text(pd.Series([value])).iloc[0] == key


def test_regex_part_cuts_only_columns_whose_first_value_matches():
    dates = pd.Series(["2022-01-14T07:00", "2022-01-15", ""])
    assert regex_part(dates, r"^\d{4}-\d{2}-\d{2}").tolist() == ["2022-01-14", "2022-01-15", ""]
    words = pd.Series(["PREDOSE", "2022-01-15"])
    assert regex_part(words, r"^\d{4}-\d{2}-\d{2}").tolist() == ["PREDOSE", "2022-01-15"]


@pytest.mark.parametrize("value, valid, precision", [
    ("2018", True, 1),
    ("2018-04", True, 2),
    ("2018-04-17T10:15:30", True, 6),
    # unknown month written with "--": a valid partial date of year precision
    ("2018---17", True, 1),
    # an impossible calendar date, a month 20
    ("2023-02-30", False, 0),
    ("2003-20", False, 0),
    ("", False, 0),
    ("17APR2018", False, 0),
])
def test_date_parts(value, valid, precision):
    parts = date_parts(pd.Series([value]))
    assert bool(parts["valid"].iloc[0]) is valid
    assert parts["precision"].iloc[0] == precision


def test_shown_values_as_core_reports_them():
    assert shown(pd.Series([151.0, np.nan])).tolist() == ["151.0", ""]
    assert shown(pd.Series([["A", "B"], " ", None], dtype=object)).tolist() == ["['A', 'B']", "", ""]


def test_dates_and_times_are_numbers_in_order():
    from qc.engine.values import as_number

    dates = pd.Series(pd.to_datetime(["1960-01-02T00:00:00", "2024-01-05T10:30:00", None]))
    assert as_number(dates).tolist()[:2] == [86400.0, 23380 * 86400.0 + 37800]
    assert pd.isna(as_number(dates)[2])
    times = pd.Series(pd.to_timedelta(["10:30:00", None]))
    assert as_number(times).tolist()[0] == 37800.0 and pd.isna(as_number(times)[1])


def test_numbers_from_text_once_per_distinct_value_and_none_from_lists():
    text = pd.Series(["1.5", " 2", "x", "", None, "1.5"] * 3, dtype="string")
    assert as_number(text).tolist()[:6] == pytest.approx([1.5, 2.0, float("nan"), float("nan"), float("nan"),
                                                          1.5], nan_ok=True)
    assert as_number(pd.Series([["1"], ["2"]], dtype=object)).isna().all()
