"""qc/engine/rule_types.py: the table each rule type builds for a dataset."""

from __future__ import annotations

import pandas as pd

from qc.engine.rule_types import RULE_TYPES
from tests.qc.engine.build import library, submission


def test_dataset_metadata_carries_the_domain_value():
    # a dataset named AB holding LB records (CORE-000598 compares the name with DOMAIN)
    data = submission(AB=pd.DataFrame({"STUDYID": ["S", "S"], "DOMAIN": ["LB", "LB"]}))
    table = RULE_TYPES["Dataset Metadata Check"](data.datasets["AB"], data)
    assert table[["dataset_name", "DOMAIN", "record_count"]].to_numpy().tolist() == [["AB", "LB", 2]]


def test_variable_metadata_one_row_per_variable_in_order():
    data = submission(AE=pd.DataFrame({"STUDYID": ["S"], "AETERM": ["A" * 12]}))
    table = RULE_TYPES["Variable Metadata Check"](data.datasets["AE"], data)
    assert table["variable_name"].tolist() == ["STUDYID", "AETERM"]
    assert table["variable_order_number"].tolist() == [1, 2]
    assert table["variable_max_size"].tolist() == [1, 12]


def test_variable_metadata_with_the_guides_metadata():
    guide = library(("AE", "EVENTS", [("STUDYID", "Identifier", "Req"), ("AETERM", "Topic", "Req")]))
    data = submission(guide, AE=pd.DataFrame({"STUDYID": ["S"], "DOMAIN": ["AE"], "AEXX": ["x"]}))
    table = RULE_TYPES["Variable Metadata Check against Library Metadata"](data.datasets["AE"], data)
    # a variable the guide lacks gets empty library columns
    assert table.set_index("variable_name")["library_variable_core"].to_dict() == {
        "STUDYID": "Req", "DOMAIN": "", "AEXX": ""}


def test_values_with_dataset_metadata_one_row_per_value_a_variable_at_a_time():
    data = submission(AE=pd.DataFrame({"STUDYID": ["S", "S"], "AETERM": ["A", ""]}))
    parts = list(RULE_TYPES["Value Check with Dataset Metadata"](data.datasets["AE"], data))
    columns = ["row_number", "variable_name", "variable_value"]
    assert [part[columns].to_numpy().tolist() for part in parts] == [
        [[1, "STUDYID", "S"], [2, "STUDYID", "S"]], [[1, "AETERM", "A"], [2, "AETERM", ""]]]
    assert (parts[0]["dataset_name"] == "AE").all()


def test_domain_presence_a_column_per_domain():
    data = submission(AE=pd.DataFrame({"DOMAIN": ["AE"]}),
                      SUPPAE=pd.DataFrame({"RDOMAIN": ["AE"]}))
    table = RULE_TYPES["Domain Presence Check"](data.datasets["AE"], data)
    assert {"AE", "SUPPAE"} <= set(table.columns)
    assert table["AE"].iloc[0] == "ae.xpt"
