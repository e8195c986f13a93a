"""qc/engine/table.py: names a check uses, constants and grouped sets."""

from __future__ import annotations

import pandas as pd

from qc.engine.table import Grouped, Table, constant
from tests.qc.engine.build import rule, submission


def test_columns_named_expands_prefixes_and_listed_variables():
    data = submission(EG=pd.DataFrame({"DOMAIN": ["EG"], "USUBJID": ["1"], "EGDTC": [""], "VISITNUM": [1.0]}))
    table = Table(rule({}), data.datasets["EG"], data, data.datasets["EG"].frame)
    table.values["$timing"] = ["VISITNUM", "EGDTC"]
    assert table.columns_named(["USUBJID", "--TESTCD", "$timing", "VISITNUM"]) == [
        "USUBJID", "EGTESTCD", "VISITNUM", "EGDTC"]


def test_constant_shares_one_list_on_every_row():
    column = constant(["A", "B"], pd.RangeIndex(3))
    assert column.tolist() == [["A", "B"]] * 3
    assert column.iloc[0] is column.iloc[2]


def test_grouped_membership_per_group():
    pairs = pd.DataFrame({"USUBJID": ["1", "1", "2"], "value": [1.0, 2.0, 1.0]})
    visits = Grouped(("USUBJID",), pairs)
    frame = pd.DataFrame({"USUBJID": ["1", "2", "3"]})
    # subject 2 lacks visit 2; subject 3 has no visits at all
    assert visits.contains(frame, pd.Series([2.0, 2.0, 1.0])).tolist() == [True, False, False]
