"""qc/engine/ordering.py: --SEQ in the order of a date, per subject."""

from __future__ import annotations

import pandas as pd
import pytest

from qc.engine.ordering import sorted_by


def frame(seq: list, dates: list, subjects: list | None = None) -> pd.DataFrame:
    return pd.DataFrame({"USUBJID": subjects or ["1"] * len(seq), "SEQ": seq, "DTC": dates})


@pytest.mark.parametrize("seq, dates, ascending, nulls_last, expected", [
    # in order
    ([1.0, 2.0, 3.0], ["2020-01-01", "2020-01-02", "2020-01-03"], True, True, [True, True, True]),
    # two records swapped
    ([1.0, 2.0, 3.0], ["2020-01-01", "2020-01-03", "2020-01-02"], True, True, [True, False, False]),
    # descending order asked for
    ([1.0, 2.0], ["2020-01-02", "2020-01-01"], False, True, [True, True]),
    # a null date must come last: here it comes first
    ([1.0, 2.0], ["", "2020-01-01"], True, True, [False, True]),
    ([1.0, 2.0], ["2020-01-01", ""], True, True, [True, True]),
    # a month overlapping a day of it: their order cannot be known, both reported
    ([1.0, 2.0, 3.0], ["2020-01", "2020-01-05", "2020-02-01"], True, True, [False, False, True]),
])
def test_sorted_by(seq, dates, ascending, nulls_last, expected):
    result = sorted_by(frame(seq, dates), "SEQ", ["USUBJID"], "DTC", ascending, nulls_last)
    assert result.tolist() == expected


def test_groups_are_judged_apart():
    # subject 2 restarts the sequence: not out of order
    data = frame([1.0, 2.0, 1.0, 2.0], ["2020-01-01", "2020-02-01", "2019-01-01", "2019-02-01"],
                 ["1", "1", "2", "2"])
    assert sorted_by(data, "SEQ", ["USUBJID"], "DTC", True, True).all()
