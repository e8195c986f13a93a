"""define/datatypes.py: byte lengths and decimals as define.xml states them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from define.datatypes import byte_lengths, compute_length, compute_significant_digits, longest_bytes


def test_byte_lengths_of_text_count_utf8_bytes_and_missing_as_zero():
    text = pd.Series(["a", "é", "µg/mL", "✓", "Größe", "", None, np.nan], index=range(10, 18), dtype=object)
    sizes = byte_lengths(text)
    assert sizes.tolist() == [1, 2, 6, 3, 7, 0, 0, 0]
    assert sizes.index.tolist() == list(range(10, 18))
    assert byte_lengths(pd.Series(["ab", None], dtype="string")).tolist() == [2, 0]
    assert byte_lengths(pd.Series(["Größe", np.nan], dtype="str")).tolist() == [7, 0]


def test_byte_lengths_of_numbers_are_those_of_their_text():
    # 1.0 is written "1", 12.5 "12.5", missing "".
    assert byte_lengths(pd.Series([1.0, 12.5, np.nan, -3.0, 100.0])).tolist() == [1, 4, 0, 2, 3]
    assert byte_lengths(pd.Series([7, 100, -20])).tolist() == [1, 3, 3]
    # Mixed values in an object column are text of each value.
    assert byte_lengths(pd.Series(["Größe", 12.5, 3], dtype=object)).tolist() == [7, 4, 1]


def test_longest_bytes_is_at_least_one():
    assert longest_bytes(pd.Series(["a", "Größe", None], dtype=object)) == 7
    assert longest_bytes(pd.Series(["", None], dtype=object)) == 1
    assert longest_bytes(pd.Series([], dtype=object)) == 1
    assert longest_bytes(pd.Series([], dtype="float64")) == 1
    assert longest_bytes(pd.Series([12.25, np.nan])) == 5
    assert compute_length("Char", pd.Series(["µg", "ab"])) == 3
    assert compute_length("Char", pd.Series(["µg"]), fixed=20) == 20
    assert compute_length("Num", pd.Series([1.5])) == 8
    assert compute_length("Char", None) is None


def test_significant_digits_of_repeated_values():
    assert compute_significant_digits(pd.Series([1.25, 1.25, 3.0, np.nan, 3.0])) == 2
    assert compute_significant_digits(pd.Series(["1.5", "1.5", "x", ""])) == 1
    assert compute_significant_digits(pd.Series([4.0, 4.0])) == 0
    assert compute_significant_digits(pd.Series([np.nan, np.nan])) is None
    assert compute_significant_digits(None) is None
