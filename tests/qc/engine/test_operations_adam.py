"""qc/engine/operations.py: clinforge's operations for ADaM calculations and period variables
(formula, max_across_variables) and get_column_order_from_dataset of another dataset."""

from __future__ import annotations

import pandas as pd
import pytest

from qc.engine.operations import OPERATIONS
from qc.engine.table import NotRun, Table, Unsupported
from tests.qc.engine.build import rule, submission


def test_formula_computes_a_number_per_record():
    frame = pd.DataFrame({"AVAL": [5.0, 3.0, None, 4.0], "BASE": [2.0, 0.0, 1.0, 2.0],
                          "CHG": [3.0, 3.0, 1.0, 1.0]})
    data = submission(standard="ADAMIG", ADLB=frame)
    table = Table(rule({}), data.datasets["ADLB"], data, frame)
    diff = OPERATIONS["formula"](table, {"expression": "abs(CHG - (AVAL - BASE))"})
    assert diff.tolist()[:2] == [0.0, 0.0] and pd.isna(diff[2]) and diff[3] == 1.0
    ratio = OPERATIONS["formula"](table, {"expression": "AVAL / BASE"})
    assert ratio[0] == 2.5 and pd.isna(ratio[1])  # division by 0: NaN
    assert OPERATIONS["formula"](table, {"expression": "AVAL - PCHG"}).isna().all()  # no PCHG
    with pytest.raises(Unsupported):
        OPERATIONS["formula"](table, {"expression": "__import__('os')"})


def test_formula_takes_the_remainder_and_column_order_reads_another_dataset():
    frame = pd.DataFrame({"ADTM": pd.to_datetime(["2024-01-05T10:30:00"]),
                          "ATM": pd.to_timedelta(["10:30:00"])})
    data = submission(standard="ADAMIG", ADLB=frame, ADSL=pd.DataFrame({"USUBJID": ["1"], "TRT01P": ["A"]}))
    table = Table(rule({}), data.datasets["ADLB"], data, frame)
    assert OPERATIONS["formula"](table, {"expression": "ADTM % 86400 - ATM"}).tolist() == [0.0]
    assert OPERATIONS["get_column_order_from_dataset"](table, {"domain": "ADSL"}) == ["USUBJID", "TRT01P"]
    assert OPERATIONS["get_column_order_from_dataset"](table, {}) == ["ADTM", "ATM"]
    with pytest.raises(NotRun):
        OPERATIONS["get_column_order_from_dataset"](table, {"domain": "ADAE"})


def test_max_across_variables_per_record():
    frame = pd.DataFrame({"TR01EDT": pd.to_datetime(["1960-01-02", None, None]),
                          "TR02EDT": pd.to_datetime(["1960-01-03", "1960-01-02", None]), "TRTEDT": [0, 0, 0]})
    data = submission(standard="ADAMIG", ADSL=frame)
    table = Table(rule({}), data.datasets["ADSL"], data, frame)
    found = OPERATIONS["max_across_variables"](table, {"regex": r"TR\d\dEDT"})
    assert found.tolist()[:2] == [2 * 86400.0, 86400.0] and pd.isna(found[2])
    assert OPERATIONS["max_across_variables"](table, {"regex": "AP.*"}).isna().all()
