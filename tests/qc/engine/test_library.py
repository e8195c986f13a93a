"""qc/engine/library.py: classes, ADaM data structures and the model's variables from the guide."""

from __future__ import annotations

import pandas as pd
import pytest

from qc.engine.data import dataset_from_frame
from qc.engine.library import adam_structure, vote_order
from tests.qc.engine.build import library

GUIDE = library(
    ("AE", "EVENTS", [("STUDYID", "Identifier", "Req"), ("USUBJID", "Identifier", "Req"),
                      ("AESEQ", "Identifier", "Req"), ("AETERM", "Topic", "Req"),
                      ("AESTDTC", "Timing", "Exp")]),
    ("DM", "SPECIAL PURPOSE", [("STUDYID", "Identifier", "Req"), ("USUBJID", "Identifier", "Req"),
                               ("ARMCD", "Record Qualifier", "Exp")]),
    ("SUPPQUAL", "RELATIONSHIP", [("STUDYID", "Identifier", "Req"), ("QNAM", "Topic", "Req")]),
)


def names(frame: pd.DataFrame, name: str) -> list[str]:
    return [v.name for v in GUIDE.model_variables(dataset_from_frame(name, frame))]


def test_model_variables_of_a_general_class_dataset_are_the_class_variables():
    # a custom Events domain (its --TERM tells the class) gets the class's variables
    frame = pd.DataFrame({"STUDYID": ["S"], "DOMAIN": ["XE"], "XETERM": ["X"]})
    assert GUIDE.dataset_class(dataset_from_frame("XE", frame)) == "EVENTS"
    assert names(frame, "XE") == ["STUDYID", "USUBJID", "--SEQ", "--TERM", "--STDTC"]


def test_model_variables_of_an_associated_persons_dataset_trade_usubjid_for_ap_identifiers():
    frame = pd.DataFrame({"STUDYID": ["S"], "DOMAIN": ["APAE"], "APID": ["P1"], "AETERM": ["X"]})
    assert names(frame, "APAE") == ["STUDYID", "--SEQ", "APID", "RSUBJID", "RDEVID", "SREL", "--TERM",
                                    "--STDTC"]


def test_model_variables_of_other_datasets_are_their_guides():
    assert names(pd.DataFrame({"STUDYID": ["S"], "DOMAIN": ["DM"]}), "DM") == ["STUDYID", "USUBJID", "ARMCD"]
    supp = pd.DataFrame({"STUDYID": ["S"], "RDOMAIN": ["AE"]})
    assert names(supp, "SUPPAE") == ["STUDYID", "QNAM"]


def test_vote_order_follows_the_majority_of_the_domains_orders():
    # AE lists --DTC before VISITNUM once; DS and LB list VISITNUM first: the model order wins
    domains = [["--SEQ", "--DTC", "VISITNUM"], ["--SEQ", "VISITNUM", "VISIT", "--DTC"],
               ["VISITNUM", "--DTC", "--DY"]]
    assert vote_order(domains) == ["--SEQ", "VISITNUM", "VISIT", "--DTC", "--DY"]
    # first appearance decides between names no domain orders
    assert vote_order([["B"], ["A"]]) == ["B", "A"]


def test_model_timing_variables_of_all_general_classes_in_a_domains_order():
    guide = library(
        ("AE", "EVENTS", [("STUDYID", "Identifier", "Req"), ("AETERM", "Topic", "Req"),
                          ("AEDTC", "Timing", "Perm")]),
        ("LB", "FINDINGS", [("STUDYID", "Identifier", "Req"), ("LBTESTCD", "Topic", "Req"),
                            ("VISITNUM", "Timing", "Exp"), ("LBDTC", "Timing", "Exp")]))
    frame = pd.DataFrame({"STUDYID": ["S"], "DOMAIN": ["DS"], "DSTERM": ["X"]})
    found = [v.name for v in guide.model_variables(dataset_from_frame("DS", frame))]
    # VISITNUM comes from a Findings domain but is a timing variable of every general class
    assert found == ["STUDYID", "--TERM", "VISITNUM", "--DTC"]


def test_wildcard_variables_of_the_model():
    assert {"--SEQ", "--TERM", "--STDTC"} <= GUIDE.wildcard_variables
    assert "--MCD" not in GUIDE.wildcard_variables  # ARMCD is DM's, not a --MCD


@pytest.mark.parametrize("name, columns, structure", [
    ("ADSL", ["USUBJID"], "SUBJECT LEVEL ANALYSIS DATASET"),
    ("ADLB", ["USUBJID", "PARAMCD", "AVAL"], "BASIC DATA STRUCTURE"),
    ("ADAE", ["USUBJID", "AETERM"], "OCCURRENCE DATA STRUCTURE"),
    ("ADCM", ["USUBJID", "CMTRT"], "OCCURRENCE DATA STRUCTURE"),
    ("ADXX", ["USUBJID", "XYZ"], "ADAM OTHER"),
])
def test_adam_structure(name, columns, structure):
    frame = pd.DataFrame({c: ["x"] for c in columns})
    assert adam_structure(dataset_from_frame(name, frame)) == structure
