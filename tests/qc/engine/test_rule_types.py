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


def test_values_with_dataset_metadata_one_row_per_value_in_parts(monkeypatch):
    data = submission(AE=pd.DataFrame({"STUDYID": ["S", "S"], "AETERM": ["A", ""], "AESEQ": [1.0, 2.0]}))
    columns = ["row_number", "variable_name", "variable_value"]
    # A small dataset: one part holds every value.
    (part,) = RULE_TYPES["Value Check with Dataset Metadata"](data.datasets["AE"], data)
    assert part[columns].astype(str).to_numpy().tolist() == [
        ["1", "STUDYID", "S"], ["2", "STUDYID", "S"], ["1", "AETERM", "A"], ["2", "AETERM", ""],
        ["1", "AESEQ", "1"], ["2", "AESEQ", "2"]]
    assert (part["dataset_name"] == "AE").all()
    # A large one (here: parts of 4 values) is cut into parts of whole variables.
    monkeypatch.setattr("qc.engine.rule_types.LONG_ROWS", 4)
    parts = list(RULE_TYPES["Value Check with Dataset Metadata"](data.datasets["AE"], data))
    assert [sorted(set(p["variable_name"])) for p in parts] == [["AETERM", "STUDYID"], ["AESEQ"]]


def test_domain_presence_a_column_per_domain():
    data = submission(AE=pd.DataFrame({"DOMAIN": ["AE"]}),
                      SUPPAE=pd.DataFrame({"RDOMAIN": ["AE"]}))
    table = RULE_TYPES["Domain Presence Check"](data.datasets["AE"], data)
    assert {"AE", "SUPPAE"} <= set(table.columns)
    assert table["AE"].iloc[0] == "ae.xpt"
