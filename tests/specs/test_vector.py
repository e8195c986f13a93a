import pandas as pd

from specs.vector import factorize_rows, per_distinct


def test_codes_number_combinations_in_order_of_first_appearance():
    a = pd.Series(["x", "y", "x", None, "y"], dtype="str")
    b = pd.Series([1.0, 2.0, 1.0, 3.0, 5.0])
    codes, first = factorize_rows(a, b)
    # (x,1) twice; (y,2) and (y,5) differ in b; a missing value is a value of its own
    assert codes.tolist() == [0, 1, 0, 2, 3] and first.tolist() == [0, 1, 3, 4]


def test_per_distinct_calls_once_per_combination_and_keeps_the_index():
    seen = []

    def fn(text, number):
        seen.append(len(text))
        return text.fillna("?") + number.astype("string")

    a = pd.Series(["x", "y", "x", None], index=[10, 11, 12, 13], dtype="str")
    b = pd.Series(["1", "2", "1", "3"], index=a.index, dtype="str")
    out = per_distinct(fn, a, b)
    assert seen == [3]  # three distinct rows evaluated, once
    assert out.to_dict() == {10: "x1", 11: "y2", 12: "x1", 13: "?3"}


def test_per_distinct_of_a_frame_and_of_nothing():
    dates = pd.Series(["2024-01-02", "2024-01-02"], index=[5, 6])
    out = per_distinct(lambda d: pd.DataFrame({"D": pd.to_datetime(d), "N": d.str.len()}), dates)
    assert out.index.tolist() == [5, 6] and out["N"].tolist() == [10, 10]
    empty = per_distinct(lambda d: d.str.upper(), pd.Series([], dtype="str"))
    assert len(empty) == 0


def test_is_in_matches_pandas_isin_and_never_finds_a_missing_value():
    from specs.vector import is_in

    values = pd.Series(["a", "b", None, "c", ""], index=[5, 6, 7, 8, 9], dtype="str")
    lookup = {"a", "c", ""}
    assert is_in(values, lookup).tolist() == values.isin(lookup).tolist() == [True, False, False, True, True]
    assert is_in(values, pd.Series(["b", "b", None])).tolist() == [False, True, False, False, False]
    assert is_in(values, set()).index.tolist() == [5, 6, 7, 8, 9]
